"""The contract every model adapter meets; a new adapter is added to ADAPTERS and nothing else."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchhub.data.records import Split
from benchhub.engine.runner import run_model
from benchhub.models.baselines.model import BaselineModel
from benchhub.tasks.text_classification.adapters import PredictionsClassifier
from benchhub.tasks.text_classification.baselines import create_baseline
from benchhub.tasks.text_classification.transformers_classifier import (
    TransformersClassifier,
)
from tests.conftest import review_rows

LABELS = ["negative", "positive"]


def _split(n: int, seed: int, prefix: str) -> Split:
    rows = review_rows(n, seed=seed, prefix=prefix)
    # Vary lengths so length-sorted batching actually reorders examples.
    texts = [row["text"] + " really" * (i % 5) for i, row in enumerate(rows)]
    return Split(prefix, [r["id"] for r in rows], texts, None, [r["label"] for r in rows])


def _baseline(name: str):
    def build(tmp_path, tiny_bert):
        train = _split(30, 1, "train")
        return BaselineModel(create_baseline(name, LABELS).fit(train.texts, train.labels))

    return build


def _transformers(tmp_path, tiny_bert):
    return TransformersClassifier(tiny_bert, dataset_labels=LABELS)


def _predictions(tmp_path, tiny_bert):
    test = _split(17, 2, "test")
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps({"id": i, "label": LABELS[k % 2]}) + "\n" for k, i in enumerate(test.ids)))
    return PredictionsClassifier(path, dataset_labels=LABELS)


ADAPTERS = {
    "transformers": _transformers,
    "baseline-majority": _baseline("majority"),
    "baseline-keyword": _baseline("keyword"),
    "baseline-tfidf-logreg": _baseline("tfidf-logreg"),
    "predictions": _predictions,
}


@pytest.fixture(params=sorted(ADAPTERS), ids=sorted(ADAPTERS))
def adapter(request, tmp_path, tiny_bert):
    return ADAPTERS[request.param](tmp_path, tiny_bert)


def test_labels_and_info(adapter):
    assert tuple(adapter.labels) == tuple(LABELS)
    assert adapter.info.load_seconds is None or adapter.info.load_seconds >= 0


def test_encode_gives_one_item_per_example(adapter):
    split = _split(17, 2, "test")
    items = adapter.encode(split)
    assert len(items) == len(split)
    assert all(adapter.length(item) >= 1 for item in items)


def test_scores_are_probabilities_over_dataset_labels(adapter):
    split = _split(17, 2, "test")
    scores = adapter.predict(adapter.encode(split)[:5])
    assert scores.shape == (5, len(LABELS))
    assert scores.dtype == np.float64
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=1e-6)
    assert (scores >= 0).all()


@pytest.mark.parametrize("batch_size", [1, 4, 64], ids=["batch1", "batch4", "batch64"])
def test_batching_does_not_change_scores_or_order(adapter, batch_size):
    split = _split(17, 2, "test")
    items = adapter.encode(split)
    one_by_one = np.vstack([adapter.predict([item]) for item in items])
    batched = run_model(adapter, split, batch_size=batch_size, show_progress=False).scores
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
