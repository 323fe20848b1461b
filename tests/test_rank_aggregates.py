"""Rank-based aggregates across the datasets of a task (`/api/tasks/{task}/top?aggregate=`): mean rank and Borda
count, with average ranks for ties and a stated rule for models missing on a dataset."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from benchhub import Hub
from benchhub.config import HubConfig
from benchhub.ranking.across_datasets import (
    aggregate_scores,
    average_ranks,
    ranking_order,
)
from benchhub.server import create_app
from tests.conftest import write_jsonl

# d1: a 0.75, b 0.5, c 0.25          -> ranks a 1, b 2, c 3
# d2: a 0.5, b 0.5, c 0.25           -> a and b tie for first: 1.5 each, c 3
# d3: d 1.0, c 0.75, a 0.25 (no b)   -> d 1, c 2, a 3
VALUES = {
    "a": {"d1": 0.75, "d2": 0.5, "d3": 0.25},
    "b": {"d1": 0.5, "d2": 0.5},
    "c": {"d1": 0.25, "d2": 0.25, "d3": 0.75},
    "d": {"d3": 1.0},
}


def test_average_ranks_share_the_ranks_they_span():
    assert average_ranks({"w": 0.9, "x": 0.8, "y": 0.8, "z": 0.5}) == {"w": 1.0, "x": 2.5, "y": 2.5, "z": 4.0}
    assert average_ranks({"x": 0.5, "y": 0.5, "z": 0.5}) == {"x": 2.0, "y": 2.0, "z": 2.0}
    assert average_ranks({}) == {}


def test_each_aggregate_by_hand_and_the_three_orders_differ():
    mean, ranks = aggregate_scores(VALUES, "mean")
    assert ranks == {"a": {"d1": 1.0, "d2": 1.5, "d3": 3.0}, "b": {"d1": 2.0, "d2": 1.5},
                     "c": {"d1": 3.0, "d2": 3.0, "d3": 2.0}, "d": {"d3": 1.0}}
    assert mean == {"a": 0.5, "b": 0.5, "c": pytest.approx(5 / 12), "d": 1.0}
    assert ranking_order(VALUES, mean, "mean") == ["d", "a", "b", "c"]  # a and b tie at 0.5: a has more datasets
    # Mean rank over the datasets each model was evaluated on (b's missing d3 is not a last place): lower is better.
    mean_rank, _ = aggregate_scores(VALUES, "mean-rank")
    assert mean_rank == {"a": pytest.approx(5.5 / 3), "b": 1.75, "c": pytest.approx(8 / 3), "d": 1.0}
    assert ranking_order(VALUES, mean_rank, "mean-rank") == ["d", "b", "a", "c"]
    # Borda: n - rank on each dataset (3 models on each), 0 where a model was not evaluated.
    # a: 2 + 1.5 + 0; b: 1 + 1.5 (+ 0 for d3); c: 0 + 0 + 1; d: 2 (+ 0 for d1 and d2).
    borda, _ = aggregate_scores(VALUES, "borda")
    assert borda == {"a": 3.5, "b": 2.5, "c": 1.0, "d": 2.0}
    assert ranking_order(VALUES, borda, "borda") == ["a", "b", "d", "c"]


def test_an_unknown_aggregate_is_refused_in_one_line():
    with pytest.raises(Exception, match=r"^Aggregate 'median' is not one of mean, mean-rank, borda\.$"):
        aggregate_scores(VALUES, "median")


N = 8
FLIP = {"positive": "negative", "negative": "positive"}
GOLD = {  # the same ids on every dataset, different gold labels
    "d1": ["positive", "negative"] * (N // 2),
    "d2": ["positive"] * (N // 2) + ["negative"] * (N // 2),
    "d3": ["negative", "positive"] * (N // 2),
}


@pytest.fixture
def client(tmp_path):
    home = tmp_path / "hub"
    hub = Hub(HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}"))
    for name, gold in GOLD.items():
        rows = [{"id": f"e{i}", "text": f"review {i} of {name}", "label": label} for i, label in enumerate(gold)]
        hub.add_dataset(name, write_jsonl(tmp_path / f"{name}.jsonl", rows), id_column="id")
    predictions = {
        "first": GOLD["d1"],                      # perfect on d1
        "twin-a": GOLD["d2"],                     # perfect on d2; the twins predict alike, so they tie everywhere
        "twin-b": GOLD["d2"],
        "only-d3": GOLD["d3"],                    # evaluated on d3 alone
    }
    for model, labels in predictions.items():
        hub.add_model(model, write_jsonl(tmp_path / f"{model}.jsonl", [{"id": f"e{i}", "label": label} for i, label in enumerate(labels)]))
    for model in ("first", "twin-a", "twin-b"):
        for dataset in ("d1", "d2", "d3"):
            hub.evaluate(model=model, dataset=dataset, progress=False)
    hub.evaluate(model="only-d3", dataset="d3", progress=False)
    yield TestClient(create_app(hub.config))
    hub.close()


def test_the_api_ranks_by_each_aggregate_with_ties_and_missing_datasets_as_stated(client):
    url = "/api/tasks/text-classification/top"
    default = client.get(url).json()
    assert default == client.get(url, params={"aggregate": "mean"}).json()
    assert [row["score"] for row in default["rows"]] == [row["mean"] for row in default["rows"]]
    values = {row["model"]: row["values"] for row in default["rows"]}
    assert set(values) == {"first", "twin-a", "twin-b", "only-d3"} and set(values["only-d3"]) == {"d3"}
    seen = {}
    for aggregate in ("mean", "mean-rank", "borda"):
        ranking = client.get(url, params={"aggregate": aggregate}).json()
        scores, ranks = aggregate_scores(values, aggregate)
        assert [row["model"] for row in ranking["rows"]] == ranking_order(values, scores, aggregate)
        assert {row["model"]: (row["score"], row["ranks"]) for row in ranking["rows"]} == {
            model: (pytest.approx(scores[model]), ranks[model]) for model in values}
        seen[aggregate] = ranking
    rows = {row["model"]: row for row in seen["borda"]["rows"]}
    # The twins tie on every dataset: they share the average of the two ranks they span.
    assert all(rows["twin-a"]["ranks"][d] == rows["twin-b"]["ranks"][d] and rows["twin-a"]["ranks"][d] % 1 == 0.5
               for d in ("d1", "d2", "d3"))
    # only-d3 is perfect on d3, alone of the four: rank 1 of 4 there, and 0 Borda points on d1 and d2.
    assert rows["only-d3"]["ranks"] == {"d3": 1.0} and rows["only-d3"]["score"] == 3.0
    assert "Borda count" in seen["borda"]["rule"] and "0 on a dataset it was not evaluated on" in seen["borda"]["rule"]
    assert "datasets it was not evaluated on are left out" in seen["mean-rank"]["rule"]
    refused = client.get(url, params={"aggregate": "median"})
    assert refused.status_code == 422
    assert refused.json() == {"error": {"type": "InvalidInputError",
                                        "message": "Aggregate 'median' is not one of mean, mean-rank, borda."}}
    schema = client.get("/openapi.json").json()["paths"]["/api/tasks/{task}/top"]["get"]["parameters"]
    assert next(p for p in schema if p["name"] == "aggregate")["schema"]["enum"] == ["mean", "mean-rank", "borda"]
