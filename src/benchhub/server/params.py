"""The integers routes take, bounded: ids within the databases' 64-bit signed range, pages of sensible size.

A number outside these bounds is answered 422 with the allowed range, before any query runs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path, Query
from pydantic import Field

from benchhub.evaluation_lookup import MAX_OFFSET, MAX_PAGE
from benchhub.store.ids import MAX_ID

MAX_TOP = 1000

EvaluationId = Annotated[int, Path(ge=1, le=MAX_ID, description="An evaluation's id.")]
SubmissionId = Annotated[int, Path(ge=1, le=MAX_ID, description="A submission's id.")]
SubmissionField = Annotated[int, Form(ge=1, le=MAX_ID, description="A submission's id.")]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="At most this many items.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many items first.")]
Top = Annotated[int | None, Query(ge=1, le=MAX_TOP, description="The best N models; baselines always shown.")]
