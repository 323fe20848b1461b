from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from benchhub.errors import InvalidInputError
from benchhub.tasks.text_classification.metrics import (
    VERSION,
    classification_metrics,
    confusion_matrices,
    confusion_matrix,
    per_class_scores,
    scores_from_confusion,
)


def _random_case(seed: int, n: int, n_labels: int) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    references = rng.integers(0, n_labels, n)
    noise = rng.integers(0, n_labels, n)
    predictions = np.where(rng.random(n) < 0.6, references, noise)
    return predictions, references, n_labels


CASES = {
    "random-seed0-L5": _random_case(0, 200, 5),
    "random-seed1-L3": _random_case(1, 50, 3),
    "random-seed2-L10": _random_case(2, 1000, 10),
    "random-seed3-L7-small": _random_case(3, 12, 7),
    "class-never-predicted": (np.array([0, 1, 0, 1, 0]), np.array([0, 1, 2, 2, 1]), 3),
    "class-absent-from-references": (np.array([0, 2, 1, 2]), np.array([0, 1, 1, 0]), 3),
    "class-absent-everywhere": (np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), 4),
    "all-correct": (np.array([0, 1, 2, 1, 0]), np.array([0, 1, 2, 1, 0]), 3),
    "all-wrong": (np.array([1, 2, 0, 0, 1]), np.array([0, 1, 2, 1, 0]), 3),
    "binary": (np.array([1, 1, 0, 1, 0, 0, 1]), np.array([1, 0, 0, 1, 1, 0, 1]), 2),
    "n-1-correct": (np.array([2]), np.array([2]), 4),
    "n-1-wrong": (np.array([0]), np.array([3]), 4),
    "single-label": (np.array([0, 0, 0]), np.array([0, 0, 0]), 1),
}
IDS = list(CASES)


def _sklearn_scores(predictions: np.ndarray, references: np.ndarray, n_labels: int) -> dict[str, float]:
    labels = list(range(n_labels))
    precision, recall, _, _ = skm.precision_recall_fscore_support(
        references, predictions, labels=labels, average="macro", zero_division=0
    )
    return {
        "accuracy": skm.accuracy_score(references, predictions),
        "macro_f1": skm.f1_score(references, predictions, labels=labels, average="macro", zero_division=0),
        "weighted_f1": skm.f1_score(references, predictions, labels=labels, average="weighted", zero_division=0),
        "macro_precision": precision,
        "macro_recall": recall,
    }


@pytest.mark.parametrize("case", IDS, ids=IDS)
def test_classification_metrics_match_sklearn(case: str) -> None:
    predictions, references, n_labels = CASES[case]
    ours = classification_metrics(predictions=predictions, references=references, n_labels=n_labels)
    expected = _sklearn_scores(predictions, references, n_labels)
    assert set(ours) == set(expected)
    for name, value in expected.items():
        assert type(ours[name]) is float
        assert ours[name] == pytest.approx(value, abs=1e-12), name


@pytest.mark.filterwarnings("ignore:A single label was found")  # sklearn warns on the 1x1 case
@pytest.mark.parametrize("case", IDS, ids=IDS)
def test_confusion_matrix_matches_sklearn(case: str) -> None:
    predictions, references, n_labels = CASES[case]
    ours = confusion_matrix(predictions=predictions, references=references, n_labels=n_labels)
    expected = skm.confusion_matrix(references, predictions, labels=list(range(n_labels)))
    assert ours.shape == (n_labels, n_labels)
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("case", IDS, ids=IDS)
def test_per_class_scores_match_sklearn(case: str) -> None:
    predictions, references, n_labels = CASES[case]
    ours = per_class_scores(predictions=predictions, references=references, n_labels=n_labels)
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        references, predictions, labels=list(range(n_labels)), average=None, zero_division=0
    )
    np.testing.assert_allclose(ours["precision"], precision, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours["recall"], recall, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours["f1"], f1, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ours["support"], support)
    assert all(ours[key].shape == (n_labels,) for key in ("precision", "recall", "f1", "support"))


def test_hand_computed_binary_scores() -> None:
    # Class 0: precision 1, recall 1/2, F1 2/3. Class 1: precision 2/3, recall 1, F1 4/5.
    scores = classification_metrics(predictions=np.array([0, 1, 1, 1]), references=np.array([0, 0, 1, 1]), n_labels=2)
    assert scores == pytest.approx(
        {
            "accuracy": 0.75,
            "macro_f1": (2 / 3 + 4 / 5) / 2,
            "weighted_f1": (2 / 3 + 4 / 5) / 2,
            "macro_precision": (1 + 2 / 3) / 2,
            "macro_recall": (1 / 2 + 1) / 2,
        }
    )


def test_macro_average_counts_classes_absent_everywhere() -> None:
    scores = classification_metrics(predictions=np.array([0, 1]), references=np.array([0, 1]), n_labels=4)
    assert scores["accuracy"] == 1.0
    assert scores["macro_f1"] == 0.5
    assert scores["weighted_f1"] == 1.0


def test_scores_from_confusion_shapes_and_zero_matrix() -> None:
    single = scores_from_confusion(np.zeros((3, 3), dtype=np.int64))
    assert all(value.shape == () and value == 0.0 for value in single.values())
    stack = scores_from_confusion(np.zeros((4, 3, 3), dtype=np.int64))
    assert all(value.shape == (4,) for value in stack.values())


def test_scores_from_confusion_stack_equals_each_matrix() -> None:
    predictions, references, n_labels = CASES["random-seed0-L5"]
    indices = np.random.default_rng(7).integers(0, len(references), size=(6, len(references)))
    stack = confusion_matrices(predictions=predictions, references=references, n_labels=n_labels, indices=indices)
    batched = scores_from_confusion(stack)
    for b in range(len(indices)):
        for name, value in scores_from_confusion(stack[b]).items():
            assert batched[name][b] == pytest.approx(float(value), abs=1e-12), name


@pytest.mark.parametrize("case", ["random-seed1-L3", "random-seed2-L10", "binary", "n-1-wrong"], ids=str)
def test_confusion_matrices_equals_per_resample_loop(case: str) -> None:
    predictions, references, n_labels = CASES[case]
    n = len(references)
    indices = np.random.default_rng(11).integers(0, n, size=(25, n))
    stack = confusion_matrices(predictions=predictions, references=references, n_labels=n_labels, indices=indices)
    assert stack.shape == (25, n_labels, n_labels)
    for b, rows in enumerate(indices):
        expected = confusion_matrix(predictions=predictions[rows], references=references[rows], n_labels=n_labels)
        np.testing.assert_array_equal(stack[b], expected)


def test_accepts_lists_and_small_int_dtypes() -> None:
    from_lists = classification_metrics(predictions=[0, 1, 1], references=[0, 1, 0], n_labels=2)
    from_int8 = classification_metrics(
        predictions=np.array([0, 1, 1], dtype=np.int8), references=np.array([0, 1, 0], dtype=np.uint8), n_labels=2
    )
    assert from_lists == from_int8
    assert from_lists["accuracy"] == pytest.approx(2 / 3)


def test_version_is_a_string() -> None:
    assert VERSION == "1"


INVALID = {
    "length-mismatch": ([0, 1], [0, 1, 1], 2, r"same length; got 2 and 3"),
    "empty": ([], [], 2, r"must not be empty"),
    "prediction-too-large": ([0, 2], [0, 1], 2, r"predictions must hold labels in \[0, 2\); got 2"),
    "reference-negative": ([0, 1], [-1, 1], 2, r"references must hold labels in \[0, 2\); got -1"),
    "float-labels": ([0.0, 1.0], [0, 1], 2, r"predictions must hold integer labels .* got dtype float64"),
    "two-dimensional": ([[0, 1]], [0, 1], 2, r"predictions must be a 1-D array of labels; got shape \(1, 2\)"),
    "n-labels-zero": ([0], [0], 0, r"n_labels must be a positive integer; got 0"),
}


@pytest.mark.parametrize("case", list(INVALID), ids=list(INVALID))
def test_invalid_inputs_raise(case: str) -> None:
    predictions, references, n_labels, message = INVALID[case]
    with pytest.raises(InvalidInputError, match=message):
        classification_metrics(predictions=predictions, references=references, n_labels=n_labels)


@pytest.mark.parametrize(
    ("indices", "message"),
    [
        (np.array([0, 1, 2]), r"2-D integer array"),
        (np.array([[0.0, 1.0, 2.0]]), r"2-D integer array"),
        (np.array([[0, 1, 3]]), r"indices must lie in \[0, 3\)"),
        (np.array([[0, -1, 2]]), r"indices must lie in \[0, 3\)"),
    ],
    ids=["one-dimensional", "float", "too-large", "negative"],
)
def test_confusion_matrices_rejects_bad_indices(indices: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        confusion_matrices(predictions=np.array([0, 1, 1]), references=np.array([0, 1, 0]), n_labels=2, indices=indices)
