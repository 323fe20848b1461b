"""Leaderboards: ranking, significance against the leader, baselines as reference rows."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchhub import Hub, InvalidInputError
from benchhub.tasks.text_classification.bootstrap import paired_bootstrap_pvalue
from tests.conftest import review_rows, write_jsonl

N = 200


def _predictions_file(path, rows, wrong: set[int]):
    flip = {"positive": "negative", "negative": "positive"}
    lines = [{"id": r["id"], "label": flip[r["label"]] if i in wrong else r["label"]} for i, r in enumerate(rows)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.fixture
def ranked_hub(tmp_path):
    hub = Hub.open()
    train = write_jsonl(tmp_path / "train.jsonl", review_rows(60, seed=1, prefix="train"))
    test_rows = review_rows(N, seed=2, prefix="test")
    test = write_jsonl(tmp_path / "test.jsonl", test_rows)
    hub.add_dataset("reviews", splits={"train": train, "test": test}, id_column="id")
    rng = np.random.default_rng(0)
    for name, errors in (("strong", 10), ("close", 12), ("weak", 80)):
        wrong = set(rng.choice(N, size=errors, replace=False).tolist())
        hub.add_model(name, _predictions_file(tmp_path / f"{name}.jsonl", test_rows, wrong))
        hub.evaluate(model=name, dataset="reviews", progress=False)
    return hub


def test_rows_rank_by_primary_metric_with_significance(ranked_hub):
    board = ranked_hub.leaderboard(dataset="reviews", progress=False)
    assert board.metric == "macro_f1"
    values = [row.metrics["macro_f1"]["value"] for row in board.rows]
    assert values == sorted(values, reverse=True)
    by_name = {row.model: row for row in board.rows}
    assert set(by_name) == {"strong", "close", "weak", "baseline:majority", "baseline:keyword", "baseline:tfidf-logreg"}
    leader = board.rows[0]
    assert leader.rank == 1 and leader.p_value_vs_leader is None and not leader.tied_with_leader
    assert by_name["weak"].p_value_vs_leader < 0.01 and not by_name["weak"].tied_with_leader
    assert by_name["baseline:majority"].tied_with_leader is False
    assert isinstance(by_name["weak"].p_value_vs_leader, float)
    assert [row.rank for row in board.rows] == list(range(1, len(board.rows) + 1))


def test_p_values_come_from_the_paired_bootstrap_on_stored_predictions(ranked_hub):
    board = ranked_hub.leaderboard(dataset="reviews", progress=False)
    leader = board.rows[0]
    other = next(r for r in board.rows if r.model in ("close", "strong") and r.rank > 1)
    labels = ["negative", "positive"]
    def codes(model):
        rows = ranked_hub.predictions(model=model, dataset="reviews")
        return (np.array([labels.index(r["gold"]) for r in rows]), np.array([labels.index(r["predicted"]) for r in rows]))
    gold, a = codes(leader.model)
    _, b = codes(other.model)
    expected = paired_bootstrap_pvalue(references=gold, predictions_a=a, predictions_b=b, n_labels=2, metric="macro_f1")
    assert other.p_value_vs_leader == pytest.approx(expected)
    assert other.tied_with_leader == (expected >= 0.05)


def test_close_models_are_marked_tied_with_the_leader(ranked_hub):
    board = ranked_hub.leaderboard(dataset="reviews", baselines=False, progress=False)
    assert [row.model for row in board.rows] == ["strong", "close", "weak"]
    strong, close, weak = board.rows
    assert strong.metrics["accuracy"]["value"] == pytest.approx(0.95)
    assert close.tied_with_leader and close.p_value_vs_leader >= 0.05
    assert not weak.tied_with_leader and weak.p_value_vs_leader < 0.01


def test_top_keeps_baselines_as_reference_rows(ranked_hub):
    board = ranked_hub.leaderboard(dataset="reviews", top=1, progress=False)
    models = [row.model for row in board.rows if not row.baseline]
    assert len(models) == 1
    assert {row.model for row in board.rows if row.baseline} == {"baseline:majority", "baseline:keyword", "baseline:tfidf-logreg"}


def test_another_metric_reorders(ranked_hub):
    board = ranked_hub.leaderboard(dataset="reviews", metric="accuracy", progress=False)
    values = [row.metrics["accuracy"]["value"] for row in board.rows]
    assert board.metric == "accuracy" and values == sorted(values, reverse=True)
    assert {row.model: row for row in board.rows}["weak"].metrics["accuracy"]["value"] == pytest.approx(0.6)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"metric": "bleu"}, r"Metric 'bleu' is not reported for text-classification on 'reviews'; choose one of accuracy, macro_f1"),
    ({"top": 0}, r"--top must be an int in the range \[1, inf\)"),
    ({"split": "dev"}, r"has no split 'dev'; its splits are \['train', 'test'\]"),
], ids=["unknown-metric", "top-zero", "unknown-split"])
def test_bad_requests_say_what_is_allowed(ranked_hub, kwargs, message):
    with pytest.raises(Exception, match=message):
        ranked_hub.leaderboard(dataset="reviews", progress=False, **kwargs)


def test_dataset_without_train_split_has_no_baselines_and_says_why(tmp_path):
    hub = Hub.open()
    hub.add_dataset("only-test", write_jsonl(tmp_path / "t.jsonl", review_rows(10, seed=5, prefix="t")), id_column="id")
    board = hub.leaderboard(dataset="only-test", progress=False)
    assert board.rows == []
    assert board.notes == ["No baselines: dataset 'only-test' has no 'train' split to train them on."]
    with pytest.raises(InvalidInputError, match="trains on a split named 'train'"):
        hub.evaluate(model="baseline:keyword", dataset="only-test", progress=False)


def test_p_values_are_computed_once_per_pair_and_recomputed_for_a_rerun(ranked_hub, monkeypatch):
    from benchhub.tasks.text_classification.task import TextClassification

    first = {row.model: row.p_value_vs_leader for row in ranked_hub.leaderboard(dataset="reviews", progress=False).rows}
    calls = []
    real = TextClassification.paired_pvalue

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(TextClassification, "paired_pvalue", counted)
    again = {row.model: row.p_value_vs_leader for row in ranked_hub.leaderboard(dataset="reviews", progress=False).rows}
    assert again == first and calls == []  # every pair was seen: no bootstrap, no file read
    ranked_hub.evaluate(model="weak", dataset="reviews", use_cache=False, progress=False)  # a new row, a new file
    rerun = {row.model: row.p_value_vs_leader for row in ranked_hub.leaderboard(dataset="reviews", progress=False).rows}
    assert len(calls) == 1 and rerun == first


def test_a_slice_ranks_on_the_subset_with_the_tasks_own_scores(ranked_hub, tmp_path):
    board = ranked_hub.leaderboard(dataset="reviews", slice="label=positive", progress=False)
    assert board.notes[-1] == "slice label positive: 100 of 200 examples, re-scored from per-example rows."
    for row in board.rows:
        rows = [r for r in ranked_hub.predictions(model=row.model, dataset="reviews") if r["gold"] == "positive"]
        expected = sum(r["correct"] for r in rows) / len(rows)
        assert row.metrics["accuracy"]["value"] == pytest.approx(expected)
    # One gold label: ranked by accuracy (that label's recall), which macro-F1 would dilute with the other label.
    values = [row.metrics["accuracy"]["value"] for row in board.rows]
    assert board.metric == "accuracy" and values == sorted(values, reverse=True)
    with pytest.raises(InvalidInputError, match=r"^--slice label=neutral matches no example; labels here are negative, positive\.$"):
        ranked_hub.leaderboard(dataset="reviews", slice="label=neutral", progress=False)
    with pytest.raises(InvalidInputError, match=r"^--slice length=5-6 is not a length bucket; use one of length=0-9, length=10-19, length=20-39, length=40\+\.$"):
        ranked_hub.leaderboard(dataset="reviews", slice="length=5-6", progress=False)
    with pytest.raises(InvalidInputError, match=r"^--slice 'size' is not length=BUCKET, label=VALUE or column=NAME:VALUE"):
        ranked_hub.leaderboard(dataset="reviews", slice="size", progress=False)
    short = ranked_hub.leaderboard(dataset="reviews", slice="length=0-9", progress=False)
    assert short.notes[-1].startswith("slice length 0-9 words: 200 of 200 examples")


def test_a_source_column_slices_the_ranking_without_changing_the_fingerprint(tmp_path):
    rows = review_rows(60, seed=4, prefix="c")
    tagged = [dict(row, source="web" if i % 3 else "phone", score=i / 7) for i, row in enumerate(rows)]
    with Hub.open() as hub:
        plain = hub.add_dataset("plain", write_jsonl(tmp_path / "plain.jsonl", rows), id_column="id")
        info = hub.add_dataset("tagged", write_jsonl(tmp_path / "tagged.jsonl", tagged), id_column="id")
        assert info.fingerprint == plain.fingerprint  # slicing columns live beside the rows, not in them
        sidecar = json.loads((hub.artifacts.path("datasets", "tagged", "test.columns.json")).read_text())
        assert sorted(sidecar) == ["score", "source"] and sidecar["source"][:3] == ["phone", "web", "web"]
        hub.add_model("copy", _predictions_file(tmp_path / "copy.jsonl", rows, {0, 1, 2, 3}))
        hub.evaluate(model="copy", dataset="tagged", progress=False)
        board = hub.leaderboard(dataset="tagged", baselines=False, slice="column=source:phone", progress=False)
        assert board.notes[-1] == "slice source = phone: 20 of 60 examples, re-scored from per-example rows."
        # Examples 0 and 3 are phone examples (i % 3 == 0) and wrong: 18 of 20 right.
        assert board.rows[0].metrics["accuracy"]["value"] == pytest.approx(18 / 20)
        with pytest.raises(InvalidInputError, match=r"^--slice column=place:x names no slicing column of this split \(column=NAME:VALUE\); its columns are score, source\.$"):
            hub.leaderboard(dataset="tagged", baselines=False, slice="column=place:x", progress=False)
        with pytest.raises(InvalidInputError, match=r"^--slice column=source:tv matches no example; source takes phone, web\.$"):
            hub.leaderboard(dataset="tagged", baselines=False, slice="column=source:tv", progress=False)


def test_only_categorical_scalar_source_columns_are_kept_for_slicing():
    from benchhub.data.readers import Table
    from benchhub.data.records import ColumnMapping
    from benchhub.data.splits import build_splits

    rows = [{"id": f"r{i}", "text": "t", "label": "a", "free": f"note {i}", "kind": "x" if i % 2 else "y",
             "nested": {"a": i}, "part": "test"} for i in range(150)]
    table = Table(["id", "text", "label", "free", "kind", "nested", "part"], rows)
    splits, _ = build_splits({"all": table}, ColumnMapping(id="id", split="part"), origin={"all": "rows.jsonl"})
    assert splits["test"].columns == {"kind": ["y" if i % 2 == 0 else "x" for i in range(150)]}
