from __future__ import annotations

import math

import numpy as np
import pytest

from benchhub.errors import InvalidInputError
from benchhub.metrics.bootstrap import resample_indices
from benchhub.metrics.calibration import (
    bin_edges,
    classification_confidences,
    ece_interval,
    expected_calibration_error,
    maximum_calibration_error,
    qa_confidences,
    qa_risk_coverage,
    reliability_bins,
    reliability_diagram,
    risk_coverage,
    selective_risk_at,
)


def _calibrated() -> tuple[np.ndarray, np.ndarray]:
    """In every filled bin the share correct equals the bin's mean confidence exactly."""
    confidences, correct = [], []
    for value in (0.1, 0.3, 0.5, 0.7, 0.9):  # five different bins of 15
        confidences += [value] * 10
        correct += [1] * round(value * 10) + [0] * (10 - round(value * 10))
    # One bin, (8/15, 9/15], with two confidences whose mean is 0.55: 55 of 100 right.
    confidences += [0.54] * 50 + [0.56] * 50
    correct += [1] * 55 + [0] * 45
    return np.array(confidences), np.array(correct, dtype=bool)


def test_perfectly_calibrated_scores_have_zero_ece_and_mce() -> None:
    confidences, correct = _calibrated()
    assert expected_calibration_error(confidences, correct) == pytest.approx(0.0, abs=1e-12)
    assert maximum_calibration_error(confidences, correct) == pytest.approx(0.0, abs=1e-12)


def test_overconfident_scores_ece_is_the_gap() -> None:
    confidences = np.full(10, 0.9)
    correct = np.array([1] * 6 + [0] * 4)
    assert expected_calibration_error(confidences, correct) == pytest.approx(0.3, abs=1e-12)
    assert maximum_calibration_error(confidences, correct) == pytest.approx(0.3, abs=1e-12)


def test_two_bins_hand_computed() -> None:
    confidences = [0.1, 0.1, 0.95, 0.95, 0.95, 0.95]
    correct = [0, 1, 1, 1, 1, 0]
    # Bin of 0.1: acc 0.5, gap 0.4, weight 2/6. Bin of 0.95: acc 0.75, gap 0.2, weight 4/6.
    assert expected_calibration_error(confidences, correct) == pytest.approx(2 / 6 * 0.4 + 4 / 6 * 0.2, abs=1e-12)
    assert maximum_calibration_error(confidences, correct) == pytest.approx(0.4, abs=1e-12)
    bins = reliability_bins(confidences, correct)
    assert [b["count"] for b in bins] == [0, 2] + [0] * 12 + [4]
    assert bins[1] == {"lower": 1 / 15, "upper": 2 / 15, "count": 2, "accuracy": 0.5, "confidence": 0.1}
    assert bins[14]["accuracy"] == 0.75 and bins[14]["confidence"] == pytest.approx(0.95)
    assert bins[0] == {"lower": 0.0, "upper": 1 / 15, "count": 0, "accuracy": None, "confidence": None}


def test_one_bin_ece_is_the_gap_of_the_means() -> None:
    confidences = np.array([0.2, 0.4, 0.9, 1.0])
    correct = np.array([0, 1, 1, 1])
    assert expected_calibration_error(confidences, correct, n_bins=1) == pytest.approx(abs(0.75 - 0.625), abs=1e-12)


def test_bin_edge_rule() -> None:
    edges = bin_edges(15)
    assert len(edges) == 16 and edges[0] == 0.0 and edges[-1] == 1.0
    # k/15 sits in bin k-1 (upper edge inclusive); 0 joins the first bin.
    confidences = [0.0] + [k / 15 for k in range(1, 16)]
    bins = reliability_bins(confidences, [1] * len(confidences))
    assert [b["count"] for b in bins] == [2] + [1] * 14
    assert bins[0]["confidence"] == pytest.approx(1 / 30)
    above = reliability_bins([np.nextafter(1 / 15, 1.0), np.nextafter(0.2, 0.0), 0.2], [1, 1, 1])
    assert [b["count"] for b in above][:4] == [0, 1, 2, 0]
    assert reliability_bins([1.0], [0])[14]["count"] == 1


def test_reliability_diagram_bundles_the_numbers() -> None:
    confidences = [0.1, 0.1, 0.95, 0.95, 0.95, 0.95]
    correct = [0, 1, 1, 1, 1, 0]
    diagram = reliability_diagram(confidences, correct)
    assert diagram["n"] == 6 and diagram["n_bins"] == 15 and len(diagram["bins"]) == 15
    assert diagram["ece"] == expected_calibration_error(confidences, correct)
    assert diagram["mce"] == pytest.approx(0.4)


def test_ece_interval_matches_brute_force_on_the_same_resamples() -> None:
    rng = np.random.default_rng(3)
    confidences = rng.uniform(0.3, 1.0, 80)
    correct = rng.uniform(0, 1, 80) < confidences - 0.1
    interval = ece_interval(confidences, correct, n_resamples=300, seed=7)
    values = [expected_calibration_error(confidences[row], correct[row]) for row in resample_indices(80, n_resamples=300, seed=7)]
    low, high = np.quantile(values, [0.025, 0.975])
    assert interval.low == pytest.approx(low, abs=1e-12) and interval.high == pytest.approx(high, abs=1e-12)
    assert interval.low <= expected_calibration_error(confidences, correct) <= interval.high
    assert ece_interval(confidences, correct, n_resamples=300, seed=7) == interval
    assert ece_interval(confidences, correct, n_resamples=300, seed=8) != interval


RC_CONFIDENCES = [0.9, 0.8, 0.8, 0.5, 0.3]
RC_CORRECT = [1, 0, 1, 1, 0]


def test_risk_coverage_groups_ties() -> None:
    curve = risk_coverage(RC_CONFIDENCES, RC_CORRECT)
    np.testing.assert_allclose(curve.coverage, [0.2, 0.6, 0.8, 1.0])
    np.testing.assert_allclose(curve.risk, [0.0, 1 / 3, 1 / 4, 2 / 5])
    assert curve.aurc == pytest.approx(0.2 * 0 + 0.4 * (1 / 3) + 0.2 * (1 / 4) + 0.2 * (2 / 5), abs=1e-12)
    # Tied examples are accepted together, so the input order does not matter.
    flipped = risk_coverage([0.3, 0.5, 0.8, 0.8, 0.9], [0, 1, 1, 0, 1])
    np.testing.assert_allclose(flipped.risk, curve.risk)
    assert flipped.aurc == curve.aurc
    coverage, risk, aurc = curve
    assert aurc == curve.aurc and coverage is curve.coverage and risk is curve.risk


def test_aurc_without_ties_is_the_mean_selective_risk() -> None:
    confidences = [0.95, 0.2, 0.7, 0.4]
    correct = [1, 1, 0, 0]
    # Sorted: 0.95 (right), 0.7 (wrong), 0.4 (wrong), 0.2 (right): risks 0, 1/2, 2/3, 2/4.
    curve = risk_coverage(confidences, correct)
    np.testing.assert_allclose(curve.coverage, [0.25, 0.5, 0.75, 1.0])
    assert curve.aurc == pytest.approx((0 + 1 / 2 + 2 / 3 + 2 / 4) / 4, abs=1e-12)


def test_selective_risk_at_takes_the_first_point_reaching_the_coverage() -> None:
    curve = risk_coverage(RC_CONFIDENCES, RC_CORRECT)
    assert curve.selective_risk_at(0.2) == 0.0
    assert curve.selective_risk_at(0.4) == pytest.approx(1 / 3)
    assert curve.selective_risk_at(0.6) == pytest.approx(1 / 3)
    assert curve.selective_risk_at(1.0) == pytest.approx(2 / 5)
    assert selective_risk_at(RC_CONFIDENCES, RC_CORRECT, coverage=0.7) == pytest.approx(1 / 4)
    with pytest.raises(InvalidInputError, match=r"coverage must lie in \(0, 1\]"):
        curve.selective_risk_at(0.0)


def test_risk_coverage_with_losses() -> None:
    curve = risk_coverage([0.9, 0.1], losses=[2.0, 4.0])
    np.testing.assert_allclose(curve.risk, [2.0, 3.0])
    assert curve.aurc == pytest.approx(0.5 * 2 + 0.5 * 3)
    with pytest.raises(InvalidInputError, match="exactly one of correct or losses; got both"):
        risk_coverage([0.9], [1], losses=[0.0])
    with pytest.raises(InvalidInputError, match="got neither"):
        risk_coverage([0.9])


def _qa_rows() -> list[dict]:
    return [
        {"id": "a", "predicted": "Paris", "no_answer_probability": 0.1, "has_answer": True, "exact": 1.0, "f1": 1.0},
        {"id": "b", "predicted": "in Rome", "no_answer_probability": 0.3, "has_answer": True, "exact": 0.0, "f1": 0.5},
        {"id": "c", "predicted": "1999", "no_answer_probability": 0.6, "has_answer": False, "exact": 0.0, "f1": 0.0},
        {"id": "d", "predicted": "", "no_answer_probability": 0.9, "has_answer": False, "exact": 1.0, "f1": 1.0},
    ]


def test_qa_helper_ranks_by_confidence_of_answering() -> None:
    confidences, correct = qa_confidences(_qa_rows())
    np.testing.assert_allclose(confidences, [0.9, 0.7, 0.4, 0.1])
    np.testing.assert_allclose(correct, [1.0, 0.5, 0.0, 1.0])
    curve = qa_risk_coverage(_qa_rows())
    np.testing.assert_allclose(curve.risk, [0.0, 0.25, 0.5, 0.375])
    assert curve.aurc == pytest.approx((0 + 0.25 + 0.5 + 0.375) / 4)
    exact = qa_risk_coverage(_qa_rows(), score="exact")
    np.testing.assert_allclose(exact.risk, [0.0, 0.5, 2 / 3, 0.5])


def test_qa_helper_rejects_rows_without_probabilities_or_score() -> None:
    rows = _qa_rows()
    rows[2]["no_answer_probability"] = None
    with pytest.raises(InvalidInputError, match="Example 'c' has no no_answer_probability"):
        qa_confidences(rows)
    with pytest.raises(InvalidInputError, match="Example 'a' has no 'exact_match' score"):
        qa_confidences(_qa_rows(), score="exact_match")
    with pytest.raises(InvalidInputError, match="score must be one of"):
        qa_confidences(_qa_rows(), score="accuracy")


def test_classification_confidences_take_the_predicted_labels_score() -> None:
    rows = [
        {"id": 0, "gold": "pos", "predicted": "pos", "correct": True, "scores": {"neg": 0.2, "pos": 0.8}},
        {"id": 1, "gold": "pos", "predicted": "neg", "correct": False, "scores": {"neg": 0.6, "pos": 0.4}},
    ]
    confidences, correct = classification_confidences(rows)
    np.testing.assert_allclose(confidences, [0.8, 0.6])
    np.testing.assert_array_equal(correct, [1.0, 0.0])
    with pytest.raises(InvalidInputError, match="Example 2 has no score for its predicted label"):
        classification_confidences([{"id": 2, "predicted": "pos", "correct": True}])


@pytest.mark.parametrize(
    ("confidences", "correct", "n_bins", "message"),
    [
        ([0.5, 0.5], [1], 15, "same length; got 2 and 1"),
        ([], [], 15, "must not be empty"),
        ([0.5, 1.2], [1, 0], 15, r"confidences must lie in \[0, 1\]; got 1.2"),
        ([-0.1], [1], 15, r"confidences must lie in \[0, 1\]; got -0.1"),
        ([0.5, math.nan], [1, 0], 15, "confidences must hold finite numbers; got nan"),
        ([0.5], [math.inf], 15, "correct must hold finite numbers; got inf"),
        ([0.5], [2], 15, r"correct must lie in \[0, 1\]; got 2.0"),
        ([[0.5]], [1], 15, "confidences must be a 1-D array"),
        (["a"], [1], 15, "confidences must hold real numbers"),
        ([0.5], [1], 0, "n_bins must be an integer of at least 1; got 0"),
        ([0.5], [1], 2.5, "n_bins must be an integer of at least 1; got 2.5"),
    ],
    ids=["lengths", "empty", "above-one", "negative", "nan", "inf-correct", "correct-range", "2d", "strings",
         "zero-bins", "float-bins"],
)
def test_invalid_inputs_raise_one_line(confidences, correct, n_bins, message) -> None:
    with pytest.raises(InvalidInputError, match=message) as info:
        expected_calibration_error(confidences, correct, n_bins)
    assert "\n" not in str(info.value)
