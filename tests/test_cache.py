"""The evaluation cache: keyed by model and dataset fingerprints, split, task version and task config."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import benchhub.catalog.loading
import benchhub.evaluation.evaluations
from benchhub import Hub
from tests.conftest import write_jsonl


@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """Records every model load; the evaluation service's own reference is the one that runs."""
    calls: list[str] = []
    real = benchhub.catalog.loading.load_model

    def counting(row, *args, **kwargs):
        calls.append(row.name)
        return real(row, *args, **kwargs)

    monkeypatch.setattr(benchhub.evaluation.evaluations, "load_model", counting)
    return calls


@pytest.fixture
def hub(review_files, tiny_bert):
    with Hub.open() as opened:
        opened.add_dataset("reviews", splits=review_files, id_column="id")
        opened.add_model("tiny", tiny_bert)
        yield opened


def evaluation_rows(home: Path) -> list[tuple[int, str, str]]:
    """(id, model name, cache key) of every stored evaluation, read straight from the database."""
    with sqlite3.connect(home / "hub.db") as connection:
        return connection.execute(
            "SELECT e.id, m.name, e.cache_key FROM evaluations e JOIN models m ON m.id = e.model_id ORDER BY e.id"
        ).fetchall()


def test_a_cache_hit_returns_the_stored_evaluation_without_loading_the_model(hub, loads, monkeypatch):
    first = hub.evaluate(model="tiny", dataset="reviews", progress=False)
    assert loads == ["tiny"]

    def refuse(*_args, **_kwargs):
        raise AssertionError("a cache hit must not load the model")

    monkeypatch.setattr(benchhub.evaluation.evaluations, "load_model", refuse)
    second = hub.evaluate(model="tiny", dataset="reviews", progress=False)
    assert (first.cached, second.cached) == (False, True)
    assert second.id == first.id
    assert second.metrics == first.metrics
    assert second.predictions_path == first.predictions_path
    # Batch size changes speed, not results, so it is not part of the key.
    assert hub.evaluate(model="tiny", dataset="reviews", batch_size=3, progress=False).id == first.id


def test_no_cache_reruns_and_replaces_the_stored_evaluation(hub, loads, isolated_hub):
    first = hub.evaluate(model="tiny", dataset="reviews", progress=False)
    rerun = hub.evaluate(model="tiny", dataset="reviews", use_cache=False, progress=False)
    assert loads == ["tiny", "tiny"]
    assert not rerun.cached
    assert rerun.id != first.id
    assert rerun.metrics == first.metrics
    rows = evaluation_rows(isolated_hub)
    assert [(row_id, name) for row_id, name, _ in rows] == [(rerun.id, "tiny")]
    again = hub.evaluate(model="tiny", dataset="reviews", progress=False)
    assert (again.id, again.cached) == (rerun.id, True)
    assert [r.evaluation_id for r in hub.leaderboard(dataset="reviews", baselines=False, progress=False).rows] == [rerun.id]


def test_evaluation_ids_are_never_reused(hub, isolated_hub):
    seen = [hub.evaluate(model="baseline:majority", dataset="reviews", use_cache=False, progress=False).id for _ in range(3)]
    assert len(set(seen)) == 3
    assert seen == sorted(seen)
    assert [row_id for row_id, _, _ in evaluation_rows(isolated_hub)] == [seen[-1]]


def test_max_length_is_part_of_a_transformers_key_only(hub, loads, isolated_hub):
    default = hub.evaluate(model="tiny", dataset="reviews", progress=False)
    short = hub.evaluate(model="tiny", dataset="reviews", max_length=4, progress=False)
    assert not short.cached and short.id != default.id
    assert (default.task_config, short.task_config) == ({"max_length": 512}, {"max_length": 4})
    assert short.provenance["model"]["max_length"] == 4
    assert hub.evaluate(model="tiny", dataset="reviews", progress=False).id == default.id
    assert hub.evaluate(model="tiny", dataset="reviews", max_length=4, progress=False).id == short.id
    assert loads == ["tiny", "tiny"]
    rows = evaluation_rows(isolated_hub)
    assert len(rows) == 2 and len({key for _, _, key in rows}) == 2
    # A baseline reads no tokens: max_length does not change its result, so it shares one entry.
    baseline = hub.evaluate(model="baseline:majority", dataset="reviews", max_length=4, progress=False)
    assert baseline.task_config == {}
    assert hub.evaluate(model="baseline:majority", dataset="reviews", max_length=256, progress=False).id == baseline.id


def test_another_dataset_is_a_miss(hub, loads, review_files, tmp_path, isolated_hub):
    first = hub.evaluate(model="tiny", dataset="reviews", progress=False)
    rows = [json.loads(line) for line in review_files["test"].read_text().splitlines()]
    rows[0]["label"] = "negative" if rows[0]["label"] == "positive" else "positive"
    changed = hub.add_dataset("reviews-relabelled", splits={"train": review_files["train"], "test": write_jsonl(tmp_path / "changed.jsonl", rows)}, id_column="id")
    assert changed.fingerprint != hub.dataset("reviews").fingerprint
    other = hub.evaluate(model="tiny", dataset="reviews-relabelled", progress=False)
    assert not other.cached and other.id != first.id
    assert other.dataset == "reviews-relabelled"
    assert other.provenance["dataset"]["fingerprint"] == changed.fingerprint
    assert loads == ["tiny", "tiny"]
    assert len({key for _, _, key in evaluation_rows(isolated_hub)}) == 2
    # The first dataset's entry is untouched.
    assert hub.evaluate(model="tiny", dataset="reviews", progress=False).id == first.id


def test_another_split_is_a_miss(hub, loads):
    test = hub.evaluate(model="tiny", dataset="reviews", split="test", progress=False)
    train = hub.evaluate(model="tiny", dataset="reviews", split="train", progress=False)
    assert train.id != test.id and not train.cached
    assert (test.efficiency["examples"], train.efficiency["examples"]) == (24, 40)
    assert loads == ["tiny", "tiny"]


def test_same_data_under_two_names_keeps_results_apart(review_files):
    from benchhub import Hub

    hub = Hub.open()
    hub.add_dataset("a", splits=review_files, id_column="id")
    hub.add_dataset("b", splits=review_files, id_column="id")
    first = hub.evaluate(model="baseline:majority", dataset="a", progress=False)
    second = hub.evaluate(model="baseline:majority", dataset="b", progress=False)
    assert (first.dataset, second.dataset) == ("a", "b")
    assert second.id != first.id and not second.cached
    rerun = hub.evaluate(model="baseline:majority", dataset="b", use_cache=False, progress=False)
    assert rerun.id != second.id
    assert [r.model for r in hub.leaderboard(dataset="a", baselines=False, progress=False).rows] == ["baseline:majority"]
    stored = sorted(p.name for p in (hub.artifacts.root / "evaluations").iterdir())
    assert len(stored) == 2  # a's evaluation and b's rerun; b's replaced file is gone


def test_a_baseline_reports_its_load_time_and_whether_this_run_fitted_it(hub, review_files, tmp_path):
    first = hub.evaluate(model="baseline:tfidf-logreg", dataset="reviews", progress=False)
    again = hub.evaluate(model="baseline:tfidf-logreg", dataset="reviews", use_cache=False, progress=False)
    assert (first.provenance["model"]["fitted"], again.provenance["model"]["fitted"]) == (True, False)
    assert first.efficiency["load_seconds"] > 0 and again.efficiency["load_seconds"] > 0
    # A predictions file's load time is its reading.
    rows = [json.loads(line) for line in review_files["test"].read_text().splitlines()]
    hub.add_model("file", write_jsonl(tmp_path / "p.jsonl", [{"id": row["id"], "label": row["label"]} for row in rows]))
    assert hub.evaluate(model="file", dataset="reviews", progress=False).efficiency["load_seconds"] > 0
