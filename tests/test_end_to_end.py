"""The whole path with a tiny randomly initialised BERT: register, evaluate, cache, rank."""

from __future__ import annotations

import numpy as np

from benchhub import Hub


def test_tiny_bert_end_to_end(review_files, tiny_bert):
    hub = Hub.open()
    hub.add_dataset("reviews", splits=review_files, id_column="id")
    hub.add_model("tiny", tiny_bert)
    first = hub.evaluate(model="tiny", dataset="reviews", progress=False)
    assert not first.cached
    assert first.efficiency["examples"] == 24
    assert first.efficiency["parameters"] > 10_000
    assert first.provenance["model"]["fingerprint"] == hub.model("tiny").fingerprint
    assert first.provenance["packages"]["torch"]
    rows = hub.predictions(model="tiny", dataset="reviews")
    assert [r["id"] for r in rows] == [f"test-{i}" for i in range(24)]
    accuracy = np.mean([r["gold"] == r["predicted"] for r in rows])
    assert first.metrics["accuracy"]["value"] == accuracy
    second = hub.evaluate(model="tiny", dataset="reviews", progress=False)
    assert second.cached and second.id == first.id
    board = hub.leaderboard(dataset="reviews", progress=False)
    assert {r.model for r in board.rows} == {"tiny", "baseline:majority", "baseline:keyword", "baseline:tfidf-logreg"}
