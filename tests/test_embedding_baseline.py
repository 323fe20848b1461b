"""baseline:embedding-logreg: all-MiniLM-L6-v2 sentence embeddings as sentence-transformers computes them (the
oracle), a logistic regression whose probabilities are scikit-learn's, saved without pickle and tied to the
encoder's weights, and usable by name on any classification dataset."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer
from sklearn.linear_model import LogisticRegression

from benchhub import Hub
from benchhub.errors import InvalidInputError
from benchhub.models.pretrained import minilm_folder
from benchhub.tasks.text_classification.baselines import create_baseline
from benchhub.tasks.text_classification.baselines.embedding_logreg import (
    EmbeddingLogRegBaseline,
    _Embedder,
)

SAMPLE = Path(str(resources.files("benchhub") / "resources" / "sample"))
TEXTS = ["Where is my order?", "I want a refund for the cold pizza.", "", "ünïcödé text, with punctuation!!!",
         "a " * 300, "Cancel it please", "The courier was lovely, thank you."]


@pytest.fixture(scope="module")
def rows() -> dict[str, list[dict]]:
    return {name: [json.loads(line) for line in (SAMPLE / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
            for name in ("train", "test")}


def test_embeddings_equal_sentence_transformers_for_the_bundled_all_minilm_l6_v2():
    ours = _Embedder("all-MiniLM-L6-v2", max_length=256).embed(TEXTS)
    reference = SentenceTransformer(str(minilm_folder()), device="cpu", trust_remote_code=False)
    expected = reference.encode(TEXTS, batch_size=1, convert_to_numpy=True, normalize_embeddings=False)
    assert ours.shape == expected.shape == (len(TEXTS), 384)
    assert np.abs(ours - expected).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0)


def test_probabilities_are_the_logistic_regressions_and_survive_a_save_and_load(rows, tmp_path):
    train, test = rows["train"][:120], rows["test"][:40]
    labels = sorted({r["label"] for r in rows["train"]})
    baseline = EmbeddingLogRegBaseline(labels).fit([r["text"] for r in train], [r["label"] for r in train])
    scores = baseline.predict_scores([r["text"] for r in test])
    embedder = baseline._encoder()
    classes = sorted({labels.index(r["label"]) for r in train})
    oracle = LogisticRegression(C=10.0, max_iter=2000, random_state=0).fit(
        embedder.embed([r["text"] for r in train]), [labels.index(r["label"]) for r in train])
    expected = np.zeros_like(scores)
    expected[:, classes] = oracle.predict_proba(embedder.embed([r["text"] for r in test]))
    assert np.abs(scores - expected).max() < 1e-9
    baseline.save(tmp_path / "saved")
    assert not list((tmp_path / "saved").glob("*.pkl"))
    again = EmbeddingLogRegBaseline.load(tmp_path / "saved")
    assert np.array_equal(again.predict_scores([r["text"] for r in test]), scores)
    # A binary split keeps scikit-learn's sigmoid.
    two = [r for r in train if r["label"] in labels[:2]]
    binary = EmbeddingLogRegBaseline(labels).fit([r["text"] for r in two], [r["label"] for r in two])
    oracle = LogisticRegression(C=10.0, max_iter=2000, random_state=0).fit(
        embedder.embed([r["text"] for r in two]), [labels.index(r["label"]) for r in two])
    got = binary.predict_scores([r["text"] for r in test])
    assert np.abs(got[:, :2] - oracle.predict_proba(embedder.embed([r["text"] for r in test]))).max() < 1e-9
    assert np.all(got[:, 2:] == 0.0)


def test_a_saved_baseline_refuses_an_encoder_whose_weights_changed(rows, tmp_path):
    manifest = tmp_path / "saved" / "baseline.json"
    labels = sorted({r["label"] for r in rows["train"]})
    EmbeddingLogRegBaseline(labels).fit([r["text"] for r in rows["train"][:30]], [r["label"] for r in rows["train"][:30]]).save(
        tmp_path / "saved")
    document = json.loads(manifest.read_text())
    document["encoder_sha256"] = "0" * 64
    manifest.write_text(json.dumps(document))
    with pytest.raises(InvalidInputError, match="fit the baseline again"):
        EmbeddingLogRegBaseline.load(tmp_path / "saved")
    with pytest.raises(InvalidInputError, match="has no option 'encoderz'"):
        create_baseline("embedding-logreg", labels, encoderz="x")


def test_the_baseline_is_evaluated_by_name_and_then_ranked_with_the_others(tmp_path):
    hub = Hub.open()
    hub.add_dataset("support", splits={"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"}, id_column="id")
    board = hub.leaderboard(dataset="support", progress=False)
    assert "baseline:embedding-logreg" not in [row.model for row in board.rows]  # not run on every board
    evaluation = hub.evaluate(model="baseline:embedding-logreg", dataset="support", progress=False)
    tfidf = hub.evaluate(model="baseline:tfidf-logreg", dataset="support", progress=False)
    assert evaluation.metrics["macro_f1"]["value"] > tfidf.metrics["macro_f1"]["value"]  # what makes it worth having
    ranked = [row.model for row in hub.leaderboard(dataset="support", progress=False).rows]
    assert "baseline:embedding-logreg" in ranked
