"""Built-in text-classification baselines, by name."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchhub.errors import InvalidInputError
from benchhub.tasks.text_classification.baselines.base import (
    MANIFEST_FILE,
    NotFittedError,
    TextBaseline,
    predict_labels,
    read_json,
)
from benchhub.tasks.text_classification.baselines.embedding_logreg import (
    EmbeddingLogRegBaseline,
)
from benchhub.tasks.text_classification.baselines.keyword import KeywordBaseline
from benchhub.tasks.text_classification.baselines.majority import MajorityBaseline
from benchhub.tasks.text_classification.baselines.regex import RegexBaseline, RegexRule
from benchhub.tasks.text_classification.baselines.tfidf_logreg import (
    TfidfLogRegBaseline,
)

BASELINES: dict[str, type] = {
    baseline.name: baseline
    for baseline in (MajorityBaseline, KeywordBaseline, RegexBaseline, TfidfLogRegBaseline, EmbeddingLogRegBaseline)
}


def create_baseline(name: str, labels: Sequence[str], **options: Any) -> TextBaseline:
    """Returns an unfitted baseline of the given name, built with labels and options."""
    baseline = _baseline_class(name)
    parameters = inspect.signature(baseline).parameters
    allowed = [option for option in parameters if option != "labels"]
    unknown = [option for option in options if option not in allowed]
    if unknown:
        raise InvalidInputError(
            f"baseline {name!r} has no option {unknown[0]!r}; allowed options: {', '.join(allowed) or 'none'}"
        )
    missing = [
        option
        for option in allowed
        if parameters[option].default is inspect.Parameter.empty and option not in options
    ]
    if missing:
        raise InvalidInputError(f"baseline {name!r} needs option {missing[0]!r}; pass {missing[0]}=...")
    return baseline(labels, **options)


def load_baseline(folder: Path) -> TextBaseline:
    """Reads a baseline of any kind written by its save method."""
    manifest = read_json(Path(folder) / MANIFEST_FILE)
    name = manifest.get("name") if isinstance(manifest, dict) else None
    return _baseline_class(name).load(Path(folder))


def _baseline_class(name: object) -> type:
    if not isinstance(name, str) or name not in BASELINES:
        raise InvalidInputError(
            f"unknown baseline {name!r}; allowed: {', '.join(sorted(BASELINES))}; pick one of these names"
        )
    return BASELINES[name]


__all__ = [
    "BASELINES",
    "TextBaseline",
    "EmbeddingLogRegBaseline",
    "KeywordBaseline",
    "MajorityBaseline",
    "NotFittedError",
    "RegexBaseline",
    "RegexRule",
    "TfidfLogRegBaseline",
    "create_baseline",
    "load_baseline",
    "predict_labels",
]
