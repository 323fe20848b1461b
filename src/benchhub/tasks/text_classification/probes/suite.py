"""Text-classification probe suites: the default one, probes by name, and user suite files.

A suite file is YAML (read with `yaml.safe_load`; at most 1 MiB, UTF-8, no aliases)::

    probes:                    # optional; default: default_text_suite(labels)
      - typos                  # a registered name ...
      - typos: {rate: 0.3}     # ... or a one-key mapping of a name to its parameters
      - case-lower
      - append-negative
    mft: my_tests.yaml         # optional; a template file (see text_templates), relative to the suite file,
                               # or "builtin:sentiment" for the built-in sentiment tests

Registered names: typos, case-lower, case-upper, case-title, strip-punctuation, contractions,
name-swap, neutral-filler, append-negative, append-positive. A DIR probe named in a suite whose
labels are not sentiment-like stays in the suite; runners ask `applicable(probe, labels)` and skip it
with a note (`not_applicable_reason`); its `violations` would raise `ProbeNotApplicableError`.

The default suite is `default_text_suite(labels)` (probes) with `default_templates(labels)` (the
built-in sentiment MFTs where the labels are sentiment-like, else none).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from benchhub.data.yaml_documents import read_yaml
from benchhub.errors import InvalidInputError
from benchhub.probes.base import Perturbation
from benchhub.tasks.text_classification.probes.directional import (
    AppendNegative,
    AppendPositive,
    ProbeNotApplicableError,
    sentiment_labels,
)
from benchhub.tasks.text_classification.probes.invariance import (
    TASK,
    CaseChange,
    Contractions,
    NameSwap,
    NeutralFiller,
    StripPunctuation,
    Typos,
)
from benchhub.tasks.text_classification.probes.templates import (
    TemplateTest,
    builtin_sentiment_tests,
    load_templates,
)

BUILTIN_SENTIMENT = "builtin:sentiment"

REGISTRY: dict[str, Callable[..., Perturbation]] = {
    "typos": Typos,
    "case-lower": lambda: CaseChange("lower"),
    "case-upper": lambda: CaseChange("upper"),
    "case-title": lambda: CaseChange("title"),
    "strip-punctuation": StripPunctuation,
    "contractions": Contractions,
    "name-swap": NameSwap,
    "neutral-filler": NeutralFiller,
    "append-negative": AppendNegative,
    "append-positive": AppendPositive,
}

INVARIANCE_NAMES = ("typos", "case-lower", "case-upper", "strip-punctuation", "contractions", "name-swap", "neutral-filler")
DIRECTIONAL_NAMES = ("append-negative", "append-positive")


class TextSuite(NamedTuple):
    """What a suite file asks for: perturbation probes and MFTs (unpacks as `probes, mft`)."""

    probes: list[Perturbation]
    mft: list[TemplateTest]


def probe_by_name(name: str, **params: Any) -> Perturbation:
    """A new probe of a registered name; `params` go to its constructor."""
    factory = REGISTRY.get(name)
    if factory is None:
        raise InvalidInputError(f"unknown text probe {name!r}; registered: {', '.join(REGISTRY)}")
    try:
        return factory(**params)
    except TypeError as exc:
        raise InvalidInputError(f"text probe {name!r} does not take the parameters {', '.join(params)}") from exc


def default_text_suite(labels: Sequence[str]) -> list[Perturbation]:
    """The INV probes, and the DIR ones where the labels have a positive and a negative label."""
    names = INVARIANCE_NAMES + (DIRECTIONAL_NAMES if sentiment_labels(labels) else ())
    return [probe_by_name(name) for name in names]


def default_templates(labels: Sequence[str]) -> list[TemplateTest]:
    """The built-in sentiment MFTs where the labels have a positive and a negative label, else none."""
    return builtin_sentiment_tests(labels) if sentiment_labels(labels) else []


def not_applicable_reason(probe: Any, labels: Sequence[str]) -> str | None:
    """Why the probe cannot run on a dataset with these labels, or None when it can."""
    check = getattr(probe, "check_applicable", None)
    if check is None:
        return None
    try:
        check(labels)
    except ProbeNotApplicableError as exc:
        return str(exc)
    return None


def applicable(probe: Any, labels: Sequence[str]) -> bool:
    return not_applicable_reason(probe, labels) is None


def load_suite(path: str | Path, labels: Sequence[str], *, task: str = TASK) -> TextSuite:
    """Reads a suite file; see the module docstring for the format."""
    path = Path(path)
    if task != TASK:
        raise InvalidInputError(f"suite files name {TASK} probes only; got a {task} dataset; "
                                "use the default suite for it")
    document = read_yaml(path, what="suite file")
    if not isinstance(document, dict):
        raise InvalidInputError(f"{path} must be a mapping with 'probes' and/or 'mft', e.g. 'probes: [typos, case-lower]'")
    unknown = sorted(set(map(str, document)) - {"probes", "mft"})
    if unknown:
        raise InvalidInputError(f"{path} has unknown keys {', '.join(unknown)}; allowed: mft, probes")
    entries = document.get("probes")
    if entries is None:
        probes = default_text_suite(labels)
    elif isinstance(entries, list):
        probes = [_probe_from_entry(entry, path) for entry in entries]
    else:
        raise InvalidInputError(f"{path}: 'probes' must be a list of probe names; registered: {', '.join(REGISTRY)}")
    mft = document.get("mft")
    if mft is None:
        tests: list[TemplateTest] = []
    elif mft == BUILTIN_SENTIMENT:
        tests = builtin_sentiment_tests(labels)
    elif isinstance(mft, str):
        tests = load_templates(path.parent / mft, labels)
    else:
        raise InvalidInputError(f"{path}: 'mft' must be a template file path or {BUILTIN_SENTIMENT!r}; got {mft!r}")
    return TextSuite(probes=probes, mft=tests)


def _probe_from_entry(entry: Any, path: Path) -> Perturbation:
    if isinstance(entry, str):
        return probe_by_name(entry)
    if isinstance(entry, dict) and len(entry) == 1:
        (name, params), = entry.items()
        if params is None:
            params = {}
        if isinstance(name, str) and isinstance(params, dict) and all(isinstance(key, str) for key in params):
            return probe_by_name(name, **params)
    shown = repr(entry) if len(repr(entry)) <= 80 else repr(entry)[:80] + "..."
    raise InvalidInputError(f"{path}: probe entry {shown} must be a name or a one-key mapping like 'typos: {{rate: 0.2}}'")
