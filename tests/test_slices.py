from __future__ import annotations

import math

import numpy as np
import pytest

from benchhub.data.records import DatasetFacts, Split
from benchhub.errors import InvalidInputError
from benchhub.ranking.slices import (
    MISSING,
    slice_by_column,
    slice_by_length,
    slice_metrics,
    subset_split,
)
from benchhub.tasks.question_answering.outputs import QAPrediction
from benchhub.tasks.question_answering.task import QuestionAnswering
from benchhub.tasks.text_classification.task import TextClassification

LABELS = ["neg", "pos"]


def test_slice_by_column_groups_values_and_missing() -> None:
    values = ["news", None, "blog", "news", "", 3, math.nan, "blog"]
    assert slice_by_column(values) == {"3": [5], "blog": [2, 7], "news": [0, 3], MISSING: [1, 4, 6]}


def test_slice_by_length_counts_words_in_half_open_buckets() -> None:
    texts = ["", "one two", " ".join(["w"] * 9), " ".join(["w"] * 10), " ".join(["w"] * 39),
             " ".join(["w"] * 40), None, " ".join(["w"] * 19)]
    assert slice_by_length(texts) == {
        "0-9 words": [0, 1, 2, 6], "10-19 words": [3, 7], "20-39 words": [4], "40+ words": [5],
    }
    assert slice_by_length(["a b c", "a"], edges=(0, 2, math.inf)) == {"0-1 words": [1], "2+ words": [0]}


@pytest.mark.parametrize("edges", [(5, math.inf), (0, 10, 20), (0, 20, 10, math.inf), (0, 2.5, math.inf), (0,)],
                         ids=["not-from-0", "not-to-inf", "falling", "fraction", "one-edge"])
def test_slice_by_length_rejects_bad_edges(edges) -> None:
    with pytest.raises(InvalidInputError, match="edges must be integers rising from 0"):
        slice_by_length(["a"], edges=edges)


def _classification() -> tuple[TextClassification, Split, DatasetFacts, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 40
    gold = rng.integers(0, 2, n)
    positive = np.clip(gold * 0.6 + rng.uniform(0, 0.4, n) + (rng.uniform(0, 1, n) < 0.25) * 0.3, 0, 1)
    positive = np.where(rng.uniform(0, 1, n) < 0.2, 1 - positive, positive)
    scores = np.column_stack([1 - positive, positive])
    split = Split("test", ids=list(range(n)), texts=[f"text {i}" for i in range(n)],
                  labels=[LABELS[g] for g in gold])
    return TextClassification(n_resamples=200), split, DatasetFacts(labels=LABELS), scores


def test_classification_slice_metrics_equal_the_subsets_hand_computed_scores() -> None:
    task, split, facts, scores = _classification()
    rows = task.score(split, scores, facts).examples
    source = ["a" if i % 3 else "b" for i in range(len(split))]
    source[5] = None
    slices = slice_by_column(source)
    results = slice_metrics(task, split, rows, facts, slices)
    assert list(results) == ["a", "b", MISSING]
    for name, positions in slices.items():
        accuracy = np.mean([rows[i]["correct"] for i in positions])
        result = results[name]
        assert result["n"] == len(positions)
        assert result["metrics"]["accuracy"]["value"] == pytest.approx(accuracy)
    big = results["a"]
    assert big["too_small"] is False
    assert big["metrics"]["accuracy"]["ci_low"] <= big["metrics"]["accuracy"]["value"] <= big["metrics"]["accuracy"]["ci_high"]
    assert big["metrics"]["accuracy"]["ci_low"] < big["metrics"]["accuracy"]["ci_high"]
    assert set(big["metrics"]) == set(task.metrics)
    expected = task.score(subset_split(split, slices["a"]), scores[slices["a"]], facts).metrics
    assert big["metrics"] == expected
    assert results[MISSING] == {
        "n": 1, "too_small": True,
        "metrics": {name: {"value": results[MISSING]["metrics"][name]["value"], "ci_low": None, "ci_high": None}
                    for name in task.metrics},
    }


def test_slice_metrics_take_raw_predictions_too_and_report_empty_slices() -> None:
    task, split, facts, scores = _classification()
    rows = task.score(split, scores, facts).examples
    slices = {"first-half": list(range(20)), "none": []}
    from_rows = slice_metrics(task, split, rows, facts, slices)
    assert slice_metrics(task, split, scores, facts, slices) == from_rows
    assert from_rows["none"] == {"n": 0, "too_small": True, "metrics": {}}


def test_slice_metrics_validate_rows_and_positions() -> None:
    task, split, facts, scores = _classification()
    rows = task.score(split, scores, facts).examples
    with pytest.raises(InvalidInputError, match=r"one entry per example of split 'test' \(40\); got 39"):
        slice_metrics(task, split, rows[1:], facts, {"all": [0]})
    with pytest.raises(InvalidInputError, match="row for 1 found where 0 belongs"):
        slice_metrics(task, split, [rows[1], rows[0], *rows[2:]], facts, {"all": [0]})
    with pytest.raises(InvalidInputError, match=r"Slice 'x' holds position 40, outside the split's \[0, 40\)"):
        slice_metrics(task, split, rows, facts, {"x": [0, 40]})


def test_question_answering_slice_metrics_follow_the_subsets_rows() -> None:
    task = QuestionAnswering(n_resamples=200)
    facts = DatasetFacts(options={"squad_version": "2.0"})
    n = 24
    golds = [["Paris"] if i % 4 else [] for i in range(n)]
    predicted = ["Paris" if i % 3 == 0 else ("in Paris today" if i % 3 == 1 else "") for i in range(n)]
    split = Split("test", ids=[f"q{i}" for i in range(n)], texts=[" ".join(["w"] * (i % 15)) for i in range(n)],
                  text_pairs=["Paris is nice."] * n,
                  fields={"answers": [{"text": g, "answer_start": [0] * len(g)} for g in golds]})
    predictions = [QAPrediction(text, 0.1 + 0.8 * (i % 5) / 4) for i, text in enumerate(predicted)]
    rows = task.score(split, predictions, facts).examples
    slices = slice_by_length(split.texts)
    results = slice_metrics(task, split, rows, facts, slices)
    for name, positions in slices.items():
        if not positions:
            assert results[name]["n"] == 0
            continue
        assert results[name]["metrics"]["f1"]["value"] == pytest.approx(100 * np.mean([rows[i]["f1"] for i in positions]))
        assert results[name]["metrics"]["exact"]["value"] == pytest.approx(
            100 * np.mean([rows[i]["exact"] for i in positions]))
    short = results["0-9 words"]
    assert short["n"] == 19 and short["too_small"] is False
    assert short["metrics"]["f1"]["ci_low"] is not None and short["metrics"]["f1"]["ci_high"] is not None
    assert "best_f1" in short["metrics"]
    assert results["10-19 words"]["too_small"] is True and results["10-19 words"]["metrics"]["f1"]["ci_low"] is None
