"""What every probe shares: the perturbed split it produces, and the protocols of the three probe kinds.

- INV (invariance): a label-preserving change of the inputs (typos, case, names, filler, a QA
  distractor sentence...). Gold labels and answers stay valid (QA answer offsets are moved with the
  text); the engine reports the prediction flip rate and the metric on the changed split.
- DIR (directional): a change with an expected direction of the scores (appending a strongly negative
  clause must not raise the positive score); `violations` says, per example, whether it was broken.
- MFT (minimum functionality): template-generated examples with their expected labels (a new split).

An INV probe may change the model's prompt rather than the inputs: then it has `model_for(model)`, the loaded
model reading its prompt (None where the model reads none it changes; its `not_applicable` says why).

An INV probe may be compound (`Compound`): several changed splits of one split (every rotation of a question's
choices), each run through the engine, whose outputs the probe itself combines into its result (CircularEval).

Perturbations are deterministic given `seed`: the same split and seed give the same output, on any
machine (use `random.Random(f"{seed}:{name}:{example id}")`-style per-example generators, never the
global RNG, so one example's change does not depend on the others).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import numpy as np

from benchhub.data.records import Split


@dataclass(frozen=True)
class Perturbed:
    """A probe's version of a split: the same ids in the same order; `changed[i]` says whether example i
    was altered (unchanged examples still run, so flip rates are over changed examples only)."""

    split: Split
    changed: list[bool]

    def __post_init__(self) -> None:
        if len(self.changed) != len(self.split):
            raise ValueError(f"changed has {len(self.changed)} entries for {len(self.split)} examples")


class Perturbation(Protocol):
    """An INV or DIR change of a split's inputs."""

    name: str   # short, stable, used in stored results: "typos", "name-swap", "qa-distractor", ...
    kind: str   # "INV" or "DIR"
    task: str   # "text-classification" or "question-answering"

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        """The changed split (same ids, gold kept valid)."""


class Directional(Perturbation, Protocol):
    """A DIR probe: besides the change, an expectation on how the scores may move."""

    def violations(self, original: np.ndarray, perturbed: np.ndarray, labels: Sequence[str]) -> np.ndarray:
        """Per example, whether the expectation is broken; `original`/`perturbed` are (n, len(labels)) probabilities."""


class Compound(Perturbation, Protocol):
    """An INV probe made of several changed splits of one split; the probe combines their rows into its result."""

    def variants(self, split: Split, *, seed: int) -> list[Perturbed]:
        """The changed splits (each with the split's ids, in order)."""

    def combine(self, split: Split, base_rows: list[dict[str, Any]], variants: list[Perturbed],
                variant_rows: list[list[dict[str, Any]]], *, base_metrics: dict[str, Any], seed: int) -> dict[str, Any]:
        """The probe's result: at least `changed`, `examples`, `flip_rate` (with `flip_rate_ci`), `metric`, `value`,
        `base` and `drop_points`, as a single INV probe's."""


def is_compound(probe: Any) -> bool:
    """Whether a probe runs several changed splits (`Compound`) rather than one (`apply`)."""
    return callable(getattr(probe, "variants", None)) and callable(getattr(probe, "combine", None))


def probe_model(probe: Any, model: Any) -> Any | None:
    """The model a probe runs: `model` itself, or the one its `model_for` gives (None: the probe does not apply)."""
    model_for = getattr(probe, "model_for", None)
    return model if model_for is None else model_for(model)
