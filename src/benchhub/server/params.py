"""What routes take, declared for the OpenAPI document: bounded integers, name patterns.

Integers are checked here: ids within what both databases store (store/ids.py), pages of sensible size; a number
outside these bounds is answered 422 with the allowed range, before any query runs. Name patterns and
enums are only declared: the services check them, with messages that say what is allowed.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Form, Path, Query
from pydantic import Field

from benchhub import naming
from benchhub.accounts import users as accounts_service
from benchhub.competitions import benchmarks as benchmark_service
from benchhub.evaluation.lookup import MAX_OFFSET, MAX_PAGE
from benchhub.store.ids import MAX_ID

MAX_TOP = 1000

EvaluationId = Annotated[int, Path(ge=1, le=MAX_ID, description="An evaluation's id.")]
SubmissionId = Annotated[int, Path(ge=1, le=MAX_ID, description="A submission's id.")]
SubmissionField = Annotated[int, Form(ge=1, le=MAX_ID, description="A submission's id.")]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="At most this many items.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many items first.")]
Top = Annotated[int | None, Query(ge=1, le=MAX_TOP, description="The best N models; baselines always shown.")]


def schema_pattern(regex: re.Pattern[str]) -> str:
    """A name rule as an OpenAPI pattern, which is searched, not matched: anchored at both ends whatever `regex` uses."""
    body = regex.pattern.removeprefix("^").removeprefix(r"\A")
    for end in ("$", r"\Z", r"\z"):
        body = body.removesuffix(end)
    return f"^(?:{body})$"


def declared(**schema: Any) -> dict[str, Any]:
    """`json_schema_extra` for what the services check themselves, with their own one-line messages."""
    return {"json_schema_extra": schema}


NAME_PATTERN = schema_pattern(naming.NAME)
USER_PATTERN = schema_pattern(accounts_service.USER_NAME)
BenchmarkName = Annotated[str, Path(description="A benchmark's name.", **declared(pattern=NAME_PATTERN))]
DatasetName = Annotated[str, Path(description="A dataset's name.", **declared(pattern=NAME_PATTERN))]


def _setting_schema(key: str) -> dict[str, Any]:
    if key == "model_settings":
        return {"type": "object", "maxProperties": 20}
    if key == "open_enrollment":
        return {"type": "boolean"}
    if key == "public_fraction":
        return {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}
    whole = {"type": "integer", "minimum": 1, "maximum": benchmark_service.SETTING_MAXIMA[key]}
    return {"anyOf": [whole, {"type": "null"}]} if key in benchmark_service.OPTIONAL_SETTINGS else whole


SETTINGS_SCHEMA = {"properties": {key: _setting_schema(key) for key in benchmark_service.DEFAULT_SETTINGS},
                   "additionalProperties": False}
