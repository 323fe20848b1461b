"""Built-in extractive question-answering baselines, by name.

Each predicts (answer, no-answer probability) per question; the answer is "" or an exact
substring of its context, and benchhub turns the probability into abstentions with a threshold.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from benchhub.errors import InvalidInputError
from benchhub.models.baselines.base import MANIFEST_FILE, NotFittedError, read_json
from benchhub.tasks.question_answering.baselines.always_no_answer import (
    AlwaysNoAnswerBaseline,
)
from benchhub.tasks.question_answering.baselines.base import QABaseline
from benchhub.tasks.question_answering.baselines.context_only import ContextOnlyBaseline
from benchhub.tasks.question_answering.baselines.question_only import (
    QuestionOnlyBaseline,
)
from benchhub.tasks.question_answering.baselines.sliding_window import (
    SlidingWindowBaseline,
)

QA_BASELINES: dict[str, type] = {
    baseline.name: baseline
    for baseline in (SlidingWindowBaseline, ContextOnlyBaseline, QuestionOnlyBaseline, AlwaysNoAnswerBaseline)
}


def create_qa_baseline(name: str, **options: Any) -> QABaseline:
    """Returns an unfitted QA baseline of the given name, built with options."""
    baseline = _baseline_class(name)
    allowed = list(inspect.signature(baseline).parameters)
    unknown = [option for option in options if option not in allowed]
    if unknown:
        raise InvalidInputError(
            f"QA baseline {name!r} has no option {unknown[0]!r}; "
            f"allowed options: {', '.join(allowed) or 'none'}; drop or rename it"
        )
    return baseline(**options)


def load_qa_baseline(folder: Path) -> QABaseline:
    """Reads a QA baseline of any kind written by its save method."""
    manifest = read_json(Path(folder) / MANIFEST_FILE)
    name = manifest.get("name") if isinstance(manifest, dict) else None
    return _baseline_class(name).load(Path(folder))


def _baseline_class(name: object) -> type:
    if not isinstance(name, str) or name not in QA_BASELINES:
        raise InvalidInputError(
            f"unknown QA baseline {name!r}; allowed: {', '.join(sorted(QA_BASELINES))}; "
            "pick one of these names"
        )
    return QA_BASELINES[name]


__all__ = [
    "QA_BASELINES",
    "AlwaysNoAnswerBaseline",
    "ContextOnlyBaseline",
    "NotFittedError",
    "QABaseline",
    "QuestionOnlyBaseline",
    "SlidingWindowBaseline",
    "create_qa_baseline",
    "load_qa_baseline",
]
