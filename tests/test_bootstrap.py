from __future__ import annotations

import math

import numpy as np
import pytest

from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.metrics.bootstrap import VERSION, Interval, resample_indices
from benchhub.tasks.text_classification.bootstrap import (
    bootstrap_intervals,
    paired_bootstrap_pvalue,
)
from benchhub.tasks.text_classification.metrics import classification_metrics

SCORES = ["accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall"]


def _system(references: np.ndarray, n_labels: int, accuracy: float, seed: int) -> np.ndarray:
    """Return predictions that are right on exactly round(accuracy * n) random examples."""
    rng = np.random.default_rng(seed)
    n = len(references)
    wrong = rng.permutation(n)[: n - round(accuracy * n)]
    predictions = references.copy()
    predictions[wrong] = (references[wrong] + rng.integers(1, n_labels, len(wrong))) % n_labels
    return predictions


def _data(n: int, accuracy: float, n_labels: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    references = np.random.default_rng(seed + 100).integers(0, n_labels, n)
    return _system(references, n_labels, accuracy, seed), references


def test_resample_indices_shape_range_and_seed() -> None:
    indices = resample_indices(50, n_resamples=30, seed=4)
    assert indices.shape == (30, 50)
    assert indices.min() >= 0 and indices.max() < 50
    np.testing.assert_array_equal(indices, np.random.default_rng(4).integers(0, 50, size=(30, 50)))
    np.testing.assert_array_equal(indices, resample_indices(50, n_resamples=30, seed=4))


@pytest.mark.parametrize(("n", "n_resamples"), [(0, 10), (5, 0)], ids=["no-examples", "no-resamples"])
def test_resample_indices_rejects_empty_sizes(n: int, n_resamples: int) -> None:
    with pytest.raises(InvalidInputError, match=r"must be at least 1"):
        resample_indices(n, n_resamples=n_resamples)


def test_intervals_contain_point_estimates() -> None:
    predictions, references = _data(400, 0.75)
    point = classification_metrics(predictions=predictions, references=references, n_labels=4)
    intervals = bootstrap_intervals(predictions=predictions, references=references, n_labels=4)
    assert set(intervals) == set(SCORES)
    for name in SCORES:
        assert isinstance(intervals[name], Interval)
        assert type(intervals[name].low) is float and type(intervals[name].high) is float
        assert intervals[name].low < point[name] < intervals[name].high, name


def test_intervals_are_deterministic_per_seed() -> None:
    predictions, references = _data(300, 0.7)
    kwargs = {"predictions": predictions, "references": references, "n_labels": 4, "n_resamples": 200}
    first = bootstrap_intervals(**kwargs, seed=1)
    assert first == bootstrap_intervals(**kwargs, seed=1)
    assert first != bootstrap_intervals(**kwargs, seed=2)


def test_intervals_do_not_depend_on_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    predictions, references = _data(101, 0.6)
    kwargs = {"predictions": predictions, "references": references, "n_labels": 4, "n_resamples": 250, "seed": 3}
    one_block = bootstrap_intervals(**kwargs)
    monkeypatch.setattr(bootstrap, "MAX_INDICES_PER_BLOCK", 7 * 101 + 5)  # 7 rows per block, last block 5 rows
    assert bootstrap_intervals(**kwargs) == one_block


def test_intervals_narrow_with_more_data() -> None:
    widths = []
    for n in (100, 10_000):
        predictions, references = _data(n, 0.8)
        interval = bootstrap_intervals(predictions=predictions, references=references, n_labels=4)["accuracy"]
        widths.append(interval.high - interval.low)
    assert widths[1] < widths[0] / 5


@pytest.mark.parametrize(("n", "accuracy"), [(2000, 0.8), (5000, 0.5), (1000, 0.9)], ids=str)
def test_accuracy_width_matches_normal_approximation(n: int, accuracy: float) -> None:
    predictions, references = _data(n, accuracy)
    interval = bootstrap_intervals(predictions=predictions, references=references, n_labels=4, n_resamples=2000)
    expected = 2 * 1.96 * math.sqrt(accuracy * (1 - accuracy) / n)
    assert interval["accuracy"].high - interval["accuracy"].low == pytest.approx(expected, rel=0.15)


def test_higher_confidence_gives_wider_interval() -> None:
    predictions, references = _data(500, 0.7)
    kwargs = {"predictions": predictions, "references": references, "n_labels": 4}
    narrow = bootstrap_intervals(**kwargs, confidence=0.8)["macro_f1"]
    wide = bootstrap_intervals(**kwargs, confidence=0.99)["macro_f1"]
    assert wide.low < narrow.low and narrow.high < wide.high


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5], ids=str)
def test_intervals_reject_bad_confidence(confidence: float) -> None:
    with pytest.raises(InvalidInputError, match=r"confidence must lie strictly between 0 and 1"):
        bootstrap_intervals(predictions=[0, 1], references=[0, 1], n_labels=2, confidence=confidence)


def test_intervals_validate_labels() -> None:
    with pytest.raises(InvalidInputError, match=r"predictions must hold labels in \[0, 2\); got 5"):
        bootstrap_intervals(predictions=[0, 5], references=[0, 1], n_labels=2)


@pytest.mark.parametrize("metric", SCORES, ids=SCORES)
def test_pvalue_of_identical_predictions_is_one(metric: str) -> None:
    predictions, references = _data(200, 0.7)
    p = paired_bootstrap_pvalue(
        references=references, predictions_a=predictions, predictions_b=predictions.copy(), n_labels=4, metric=metric
    )
    assert p == 1.0


@pytest.mark.parametrize("metric", ["accuracy", "macro_f1"], ids=str)
def test_pvalue_of_clearly_better_system_is_small(metric: str) -> None:
    references = np.random.default_rng(5).integers(0, 3, 500)
    good = _system(references, 3, 0.9, seed=1)
    bad = _system(references, 3, 0.5, seed=2)
    p = paired_bootstrap_pvalue(
        references=references, predictions_a=good, predictions_b=bad, n_labels=3, metric=metric
    )
    assert p < 0.01
    assert p == pytest.approx(1 / 1001)


@pytest.mark.parametrize("metric", SCORES, ids=SCORES)
def test_pvalue_of_equally_good_systems_is_large(metric: str) -> None:
    references = np.random.default_rng(6).integers(0, 3, 500)
    a = _system(references, 3, 0.8, seed=3)
    b = a.copy()
    right = np.flatnonzero(a == references)[:3]
    wrong = np.flatnonzero(a != references)[:3]
    b[right] = (references[right] + 1) % 3
    b[wrong] = references[wrong]
    p = paired_bootstrap_pvalue(references=references, predictions_a=a, predictions_b=b, n_labels=3, metric=metric)
    assert p > 0.05


def test_pvalue_is_symmetric_and_seeded() -> None:
    references = np.random.default_rng(8).integers(0, 4, 300)
    a = _system(references, 4, 0.72, seed=4)
    b = _system(references, 4, 0.68, seed=5)
    forward = paired_bootstrap_pvalue(references=references, predictions_a=a, predictions_b=b, n_labels=4, seed=9)
    backward = paired_bootstrap_pvalue(references=references, predictions_a=b, predictions_b=a, n_labels=4, seed=9)
    assert forward == backward
    assert 1 / 1001 <= forward <= 1.0


def test_pvalue_does_not_depend_on_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    references = np.random.default_rng(8).integers(0, 4, 300)
    a = _system(references, 4, 0.72, seed=4)
    b = _system(references, 4, 0.66, seed=5)
    kwargs = {"references": references, "predictions_a": a, "predictions_b": b, "n_labels": 4, "n_resamples": 500}
    one_block = paired_bootstrap_pvalue(**kwargs)
    monkeypatch.setattr(bootstrap, "MAX_INDICES_PER_BLOCK", 300 * 64)
    assert paired_bootstrap_pvalue(**kwargs) == one_block


def test_pvalue_rejects_unknown_metric() -> None:
    with pytest.raises(InvalidInputError, match=r"metric must be one of accuracy, macro_f1, .*; got 'f1'"):
        paired_bootstrap_pvalue(references=[0, 1], predictions_a=[0, 1], predictions_b=[1, 1], n_labels=2, metric="f1")


def test_pvalue_validates_both_systems() -> None:
    with pytest.raises(InvalidInputError, match=r"same length; got 3 and 2"):
        paired_bootstrap_pvalue(references=[0, 1], predictions_a=[0, 1], predictions_b=[1, 1, 0], n_labels=2)


def test_version_is_a_string() -> None:
    assert VERSION == "1"


def test_the_paired_difference_is_the_mean_difference_with_the_percentile_interval_of_shared_resamples():
    rng = np.random.default_rng(3)
    a, b = rng.random(57), rng.random(57)
    got = bootstrap.paired_mean_difference(a, b, scale=100.0, n_resamples=400, confidence=0.9, seed=5)
    indices = bootstrap.resample_indices(57, n_resamples=400, seed=5)
    deltas = (a - b)[indices].mean(axis=1)
    low, high = np.quantile(100 * deltas, [0.05, 0.95])
    assert got.difference == pytest.approx(100 * (a - b).mean(), abs=1e-12)
    assert (got.ci_low, got.ci_high) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    assert got.ci_low <= got.difference <= got.ci_high and got.n_resamples == 400
    # The p-value is the one the leaderboard uses, and does not depend on the scale.
    assert got.p_value == bootstrap.paired_mean_pvalue(a, b, n_resamples=400, seed=5)
    assert got.p_value == bootstrap.paired_mean_difference(a, b, n_resamples=400, confidence=0.9, seed=5).p_value


def test_identical_systems_differ_by_zero_with_p_one_and_undefined_resamples_count_as_extreme():
    same = bootstrap.paired_mean_difference(np.ones(10), np.ones(10), n_resamples=50)
    assert (same.difference, same.ci_low, same.ci_high, same.p_value) == (0.0, 0.0, 0.0, 1.0)
    deltas = np.array([0.5, np.nan, 0.4, 0.6])
    got = bootstrap.paired_difference(0.5, deltas)
    assert got.p_value == (1 + 1) / (1 + 4)  # only the NaN resample is as extreme as the observed difference
    assert (got.ci_low, got.ci_high) == (pytest.approx(0.405), pytest.approx(0.595))  # from the finite three


def test_resampled_totals_are_the_float_sums_of_the_resampled_rows():
    values = np.random.default_rng(1).normal(size=(40, 3))
    totals = bootstrap.resampled_totals(values, n_resamples=25, seed=6)
    expected = values[resample_indices(40, n_resamples=25, seed=6)].sum(axis=1)
    np.testing.assert_allclose(totals, expected, rtol=1e-12, atol=1e-12)
    counts = np.arange(80).reshape(40, 2)
    np.testing.assert_array_equal(bootstrap.resampled_sums(counts, n_resamples=25, seed=6),
                                  counts[resample_indices(40, n_resamples=25, seed=6)].sum(axis=1))


def test_percentile_interval_leaves_out_nan_and_keeps_infinity():
    alpha = (1 - 0.9) / 2
    values = np.array([3.0, 1.0, np.nan, 2.0, 4.0])
    interval = bootstrap.percentile_interval(values, confidence=0.9)
    assert (interval.low, interval.high) == tuple(np.quantile([1.0, 2.0, 3.0, 4.0], [alpha, 1 - alpha]))
    infinite = bootstrap.percentile_interval(np.array([1.0, 2.0] + [np.inf] * 8))
    assert infinite.low == pytest.approx(np.quantile([1.0, 2.0] + [9.0] * 8, 0.025)) and infinite.high == np.inf
    undefined = bootstrap.percentile_interval(np.array([np.nan, np.nan]))
    assert math.isnan(undefined.low) and math.isnan(undefined.high)
    with pytest.raises(InvalidInputError, match="confidence must lie strictly between 0 and 1"):
        bootstrap.percentile_interval(values, confidence=1.0)
