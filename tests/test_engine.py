"""The runner: length-sorted batches, original order restored, efficiency figures."""

from __future__ import annotations

import numpy as np
import pytest

from benchhub.data.records import DatasetFacts, Split
from benchhub.engine.evaluate import evaluate
from benchhub.engine.runner import run_model
from benchhub.errors import InvalidInputError
from benchhub.models.base import ModelInfo
from benchhub.tasks.text_classification.task import TextClassification


class LengthEcho:
    """Predicts label 1 for texts longer than 10 characters; records the batches it saw."""

    labels = ("short", "long")
    info = ModelInfo(parameters=7, size_bytes=11, load_seconds=0.5)

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def encode(self, split):
        return list(split.texts)

    def length(self, item):
        return len(item)

    def predict(self, items):
        self.batches.append(list(items))
        long = np.array([len(item) > 10 for item in items], dtype=float)
        return np.stack([1 - long, long], axis=1)


TEXTS = ["a", "a much longer text here", "bb", "medium size!", "ccc", "another long sentence", "d"]


def test_batches_group_similar_lengths_and_order_is_restored():
    model = LengthEcho()
    split = Split("test", list(range(len(TEXTS))), TEXTS)
    output = run_model(model, split, batch_size=3, show_progress=False)
    assert model.batches[0] == ["a much longer text here", "another long sentence", "medium size!"]
    assert [len(b) for b in model.batches] == [3, 3, 1]
    assert output.batch_sizes == [3, 3, 1]
    np.testing.assert_array_equal(output.scores.argmax(axis=1), [len(t) > 10 for t in TEXTS])


def test_evaluate_reports_efficiency_and_metrics():
    labels = ["short" if len(t) <= 10 else "long" for t in TEXTS]
    split = Split("test", list(range(len(TEXTS))), TEXTS, None, labels)
    output = evaluate(LengthEcho(), split, task=TextClassification(), facts=DatasetFacts(["short", "long"]), batch_size=2,
                      show_progress=False)
    assert output.metrics["accuracy"]["value"] == 1.0
    assert output.efficiency["examples"] == 7
    assert output.efficiency["batches"] == 4
    assert output.efficiency["parameters"] == 7 and output.efficiency["size_bytes"] == 11
    assert output.efficiency["examples_per_second"] > 0
    assert output.efficiency["batch_latency_ms_p50"] <= output.efficiency["batch_latency_ms_p95"]
    assert output.efficiency["peak_memory_bytes"] > 1_000_000
    assert [row["id"] for row in output.examples] == list(range(7))
    assert all(row["correct"] for row in output.examples)


def test_batch_size_must_be_positive():
    split = Split("test", [0], ["x"])
    with pytest.raises(InvalidInputError, match=r"batch size must be an int in the range \[1, inf\)\. Got 0"):
        run_model(LengthEcho(), split, batch_size=0, show_progress=False)


def test_unlabelled_split_cannot_be_scored():
    split = Split("hidden", [0], ["x"])
    with pytest.raises(InvalidInputError, match="has no labels"):
        evaluate(LengthEcho(), split, task=TextClassification(), facts=DatasetFacts(["short", "long"]), show_progress=False)


class Hungry(LengthEcho):
    """Touches `megabytes` of fresh memory while predicting, then frees it."""

    def __init__(self, megabytes: int) -> None:
        super().__init__()
        self.megabytes = megabytes

    def predict(self, items):
        scratch = np.ones(self.megabytes * 1024 * 1024 // 8)  # written, so resident
        scratch.sum()
        del scratch
        return super().predict(items)


def test_each_run_reports_its_own_peak_memory():
    """Workers run many evaluations in one process: a small one after a big one reports its own, smaller peak."""
    split = Split("test", list(range(len(TEXTS))), TEXTS)
    big = run_model(Hungry(400), split, batch_size=8, show_progress=False).peak_memory_bytes
    small = run_model(LengthEcho(), split, batch_size=8, show_progress=False).peak_memory_bytes
    assert big - small > 300 * 1024 * 1024, (big, small)
