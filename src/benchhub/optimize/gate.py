"""Accuracy gates: an optimized model is registered only if it still computes what its source computed.

- fp32 exports must reproduce the source network's raw outputs (logits) on every example of the
  evaluation split to within `PARITY_TOLERANCE` (max absolute difference);
- int8 exports must keep the task's primary metric within a tolerance in points (default 1) of
  the source model's on the same split; the share of identical predictions is reported with it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

from benchhub.data.records import Split
from benchhub.units import change_text

PARITY_TOLERANCE = 1e-4
METRIC_TOLERANCE_POINTS = 1.0


@dataclass(frozen=True)
class ParityCheck:
    """The largest absolute difference between two networks' raw outputs over a split."""

    max_abs_diff: float
    examples: int
    items: int
    tolerance: float

    @property
    def passed(self) -> bool:
        return self.max_abs_diff <= self.tolerance

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}

    def describe(self) -> str:
        return (f"max |logit difference| {self.max_abs_diff:.2e} over {self.items} inputs of {self.examples} examples "
                f"(allowed {self.tolerance:.0e})")


@dataclass(frozen=True)
class MetricCheck:
    """The source and candidate's primary metric on one split, and how often their predictions agree."""

    metric: str
    source: float
    candidate: float
    drop_points: float
    tolerance_points: float
    agreement: float

    @property
    def passed(self) -> bool:
        return self.drop_points <= self.tolerance_points + 1e-12

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}

    def describe(self) -> str:
        return (f"{self.metric} {self.candidate:.4g} vs {self.source:.4g} for the source: a change of "
                f"{change_text(self.drop_points, '+.2f')} points (allowed down to {change_text(self.tolerance_points, '+g')}); "
                f"{self.agreement:.1%} of predictions identical")


def logits_parity(reference: Any, candidate: Any, split: Split, *, batch_size: int = 32,
                  tolerance: float = PARITY_TOLERANCE) -> ParityCheck:
    """Runs both adapters' networks on the same padded batches of `split` and compares every raw output."""
    items = reference.encode(split)
    order = np.argsort([reference.length(item) for item in items], kind="stable")
    largest = 0.0
    for start in range(0, len(items), batch_size):
        batch = [items[p] for p in order[start : start + batch_size]]
        expected, actual = reference.forward(batch), candidate.forward(batch)
        for name, values in expected.items():
            largest = max(largest, float(np.max(np.abs(values.astype(np.float64) - actual[name].astype(np.float64)))))
    return ParityCheck(max_abs_diff=largest, examples=len(split), items=len(items), tolerance=tolerance)


def metric_check(metric: str, scale: float, source: dict[str, Any], candidate: dict[str, Any],
                 source_examples: Sequence[dict[str, Any]], candidate_examples: Sequence[dict[str, Any]],
                 *, tolerance_points: float = METRIC_TOLERANCE_POINTS) -> MetricCheck:
    """Compares two evaluations of one split; a point is 1/100 of the metric's perfect score (`scale`)."""
    before, after = float(source[metric]["value"]), float(candidate[metric]["value"])
    predicted = {row["id"]: row["predicted"] for row in candidate_examples}
    same = sum(row["predicted"] == predicted.get(row["id"]) for row in source_examples)
    return MetricCheck(
        metric=metric, source=before, candidate=after, drop_points=(before - after) * 100.0 / scale,
        tolerance_points=tolerance_points, agreement=same / len(source_examples) if source_examples else 1.0,
    )
