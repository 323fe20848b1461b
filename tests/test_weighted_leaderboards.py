"""Hub leaderboards ranked by a Dynascore: the board's columns as inputs, `weights=` over the API (422 in one line),
the web page's sliders and shareable URL, and `benchhub leaderboard --weights`."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from benchhub import Hub
from benchhub.config import HubConfig
from benchhub.errors import InvalidInputError
from benchhub.ranking.leaderboard import (
    leaderboard_columns,
    leaderboard_values,
    weigh_leaderboard,
)
from benchhub.results import Leaderboard, LeaderboardRow
from benchhub.server import create_app
from tests.conftest import review_rows, write_jsonl
from tests.test_cli import one_error_line, run_cli


def _row(rank: int, model: str, value: float, *, latency: float | None = None, baseline: bool = False,
         robustness: dict | None = None, size: int | None = None) -> LeaderboardRow:
    return LeaderboardRow(rank=rank, model=model, kind="baseline" if baseline else "predictions", baseline=baseline,
                          metrics={"macro_f1": {"value": value, "ci_low": value - 0.05, "ci_high": value + 0.05}},
                          efficiency={}, evaluation_id=rank, p_value_vs_leader=None if rank == 1 else 0.01,
                          tied_with_leader=False, latency_ms=latency, size_bytes=size, robustness=robustness, metric_rank=rank)


BOARD = Leaderboard(dataset="reviews", split="test", task="text-classification", metric="macro_f1", rows=[
    _row(1, "A", 0.9, latency=50.0), _row(2, "B", 0.8, latency=10.0), _row(3, "C", 0.7, latency=12.0),
    _row(4, "baseline:majority", 0.6, baseline=True),
])


def test_a_leaderboard_ranks_by_dynascore_keeping_each_rows_metric_rank_by_hand():
    # By macro_f1: C 0.7, B 0.8, A 0.9. C->B: 2 ms for 0.1 (20 ms a unit); B->A: 40 ms for 0.1 (400): AMRS 210 ms.
    # Equal weights: A = 0.45 - 50 / 210 / 2, B = 0.40 - 10 / 420, C = 0.35 - 12 / 420; the baseline has no latency.
    board = weigh_leaderboard(BOARD, "metric:1,latency_b1:1")
    assert board.dynascore.amrs == {"metric": 1.0, "latency_b1": pytest.approx(210.0)}
    assert board.dynascore.costs == ["latency_b1"] and board.dynascore.query == "metric:1,latency_b1:1"
    assert [(r.rank, r.model, r.metric_rank) for r in board.rows] == [(1, "B", 2), (2, "A", 1), (3, "C", 3), (4, "baseline:majority", 4)]
    scores = {r.model: r.dynascore for r in board.rows}
    assert scores == {"A": pytest.approx(0.45 - 50 / 420), "B": pytest.approx(0.40 - 10 / 420),
                      "C": pytest.approx(0.35 - 12 / 420), "baseline:majority": None}
    assert board.dynascore.scored == 3 and "baseline:majority (latency_b1)" in board.dynascore.notes[0]
    # Significance stays that of the metric: A is still the leader the others were tested against.
    assert {r.model: r.p_value_vs_leader for r in board.rows}["A"] is None
    # --top keeps the best N by the Dynascore (baselines always), after the AMRS has compared every row.
    top = weigh_leaderboard(BOARD, {"metric": 1, "latency_b1": 1}, top=1)
    assert [(r.rank, r.model) for r in top.rows] == [(1, "B"), (4, "baseline:majority")]
    assert top.dynascore.amrs == board.dynascore.amrs
    assert weigh_leaderboard(BOARD, None) == BOARD  # no weights: the board as it was
    with pytest.raises(InvalidInputError, match=r"^--top must be an int in the range \[1, inf\)\. Got 0 instead\.$"):
        weigh_leaderboard(BOARD, "metric:1", top=0)


def test_the_leaderboard_columns_and_where_each_value_comes_from():
    assert [(c.name, c.cost) for c in leaderboard_columns("text-classification", "macro_f1")] == [
        ("metric", False), ("accuracy", False), ("latency_b1", True), ("throughput_b32", False), ("size", True),
        ("flip_rate", True), ("worst_change", False), ("ece", True)]
    # Ranked by accuracy, macro_f1 becomes a column of its own.
    assert [c.name for c in leaderboard_columns("text-classification", "accuracy")][:2] == ["metric", "macro_f1"]
    row = _row(1, "A", 0.9, latency=5.0, size=1000, robustness={"flip_rate": 0.1, "worst_drop_points": 4.0, "ece": 0.02})
    assert leaderboard_values(BOARD, row) == {"macro_f1": 0.9, "metric": 0.9, "latency_b1": 5.0, "throughput_b32": None,
                                              "size": 1000, "flip_rate": 0.1, "worst_change": -4.0, "ece": 0.02}


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    """`reviews` with an oracle, two baselines evaluated, and the baselines benched at batch 1."""
    home = tmp_path / "hub"
    hub = Hub(HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}"))
    test = review_rows(24, seed=2, prefix="test")
    hub.add_dataset("reviews", splits={"train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
                                       "test": write_jsonl(tmp_path / "test.jsonl", test)}, id_column="id")
    hub.add_model("oracle", write_jsonl(tmp_path / "oracle.jsonl", [{"id": r["id"], "label": r["label"]} for r in test]))
    for model in ("oracle", "baseline:majority", "baseline:keyword"):
        hub.evaluate(model=model, dataset="reviews", progress=False)
    yield hub
    hub.close()


@pytest.fixture
def client(hub: Hub) -> TestClient:
    return TestClient(create_app(hub.config))


def _recomputed(document: dict, weights: dict[str, float]) -> dict[str, float | None]:
    """The Dynascores of an unweighted board's JSON, by the formula, from the values it shows."""
    from benchhub.ranking.dynascore import dynascores

    board = Leaderboard(**{**document, "rows": [LeaderboardRow(**row) for row in document["rows"]], "dynascore": None})
    columns = leaderboard_columns(board.task, board.metric)
    return dynascores({row.model: leaderboard_values(board, row) for row in board.rows}, weights=weights,
                      costs={c.name for c in columns if c.cost}).scores


def test_the_api_ranks_by_the_weights_given_and_says_how(client, hub):
    from benchhub.engine.latency import BenchBudget

    hub.bench(["baseline:keyword", "baseline:majority"], dataset="reviews", batch_sizes=(1,), seq_lens=(8,), progress=False,
              budget=BenchBudget(warmup_calls=0, warmup_seconds=0, min_timings=3, min_seconds=0, slice_seconds=0))
    plain = client.get("/api/leaderboards/reviews").json()
    assert plain["dynascore"] is None and [r["dynascore"] for r in plain["rows"]] == [None, None, None]
    weighted = client.get("/api/leaderboards/reviews", params={"weights": "metric:1,size:5"}).json()
    assert weighted["dynascore"]["weights"] == {"metric": 1.0, "size": 5.0}
    assert weighted["dynascore"]["normalized"] == {"metric": pytest.approx(1 / 6), "size": pytest.approx(5 / 6)}
    scores = _recomputed(plain, {"metric": 1.0, "size": 5.0})
    assert {r["model"]: r["dynascore"] for r in weighted["rows"]} == pytest.approx(scores)
    assert [r["model"] for r in weighted["rows"]] == sorted(scores, key=lambda m: -scores[m])
    # Size outweighs macro_f1 five to one: the small majority baseline now leads, the oracle keeps metric rank 1.
    assert [(r["model"], r["metric_rank"]) for r in weighted["rows"]] == [
        ("baseline:majority", 3), ("oracle", 1), ("baseline:keyword", 2)]
    # Latency: only the benched baselines have it; the oracle gets no Dynascore and ranks last, as the note says.
    timed = client.get("/api/leaderboards/reviews", params={"weights": "metric:1,latency_b1:1"}).json()
    assert [r["model"] for r in timed["rows"]][-1] == "oracle" and timed["rows"][-1]["dynascore"] is None
    assert timed["dynascore"]["scored"] == 2 and timed["dynascore"]["notes"][0].startswith("no Dynascore for oracle (latency_b1)")
    assert {r["model"]: r["dynascore"] for r in timed["rows"]} == pytest.approx(_recomputed(plain, {"metric": 1.0, "latency_b1": 1.0}))
    # The percent-encoded form a browser's form sends reads the same.
    encoded = client.get("/api/leaderboards/reviews?weights=metric%3A1%2Csize%3A5").json()
    assert encoded["rows"] == weighted["rows"]


@pytest.mark.parametrize(("weights", "message"), [
    ("metric:-1", "The weight of 'metric' must be a number in the range [0, 1,000,000]. Got -1.0 instead."),
    ("metric:NaN", "The weight of 'metric' must be a number in the range [0, 1,000,000]. Got nan instead."),
    ("latency:1", "No column 'latency' to weigh on this board; its columns are metric, accuracy, latency_b1, throughput_b32, "
                  "size, flip_rate, worst_change, ece."),
    ("macro_f1:1", "'macro_f1' is the metric this board ranks by; weigh it as metric:WEIGHT."),
    ("metric:0", "Every weight is 0; give at least one column a weight above 0, e.g. metric:1,latency_b1:0.5."),
    ("", "The weights are empty; give COLUMN:WEIGHT pairs joined by commas, e.g. metric:1,latency_b1:0.5."),
    ("m" * 501, "query.weights: String should have at most 500 characters"),
], ids=["negative", "nan", "unknown", "metric-by-name", "all-zero", "empty", "too-long"])
def test_bad_weights_are_422_in_one_line(client, weights, message):
    response = client.get("/api/leaderboards/reviews", params={"weights": weights})
    assert response.status_code == 422
    assert response.json() == {"error": {"type": "InvalidInputError", "message": message}}


def test_a_hidden_split_is_not_ranked_with_weights_either(client, hub, tmp_path):
    from benchhub.competitions.benchmarks import PhaseSpec

    hub.create_user("root", admin=True)
    hub.create_user("pat")
    hub.create_benchmark("hidden", dataset="reviews", user="root", phases=[PhaseSpec("test", "test")])
    token = hub.create_token("pat")[1]
    refused = client.get("/api/leaderboards/reviews", params={"weights": "metric:1,size:1"},
                         headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403 and "hidden by benchmark hidden" in refused.json()["error"]["message"]
    assert client.get("/leaderboards/reviews", params={"weights": "metric:1,size:1"}).status_code == 403


def _page_order(page: str) -> list[str]:
    return re.findall(r'<tr class="(?:baseline)?" data-model="([^"]+)"', page)


def test_the_web_page_ranks_by_its_sliders_and_its_url_shares_the_ranking(client):
    page = client.get("/leaderboards/reviews", params={"split": "test", "weights": "size:5, metric:1"})
    assert page.status_code == 200
    text = page.text
    api = client.get("/api/leaderboards/reviews", params={"weights": "metric:1,size:5"}).json()
    assert _page_order(text) == [r["model"] for r in api["rows"]] == ["baseline:majority", "oracle", "baseline:keyword"]
    # Sliders per column with data (macro_f1, accuracy, size: nothing is benched or probed), set from the URL.
    sliders = {name: value for value, name in re.findall(r'value="([^"]+)" data-weight="([^"]+)"', text)}
    assert sliders == {"metric": "1.0", "accuracy": "0.0", "size": "5.0"}
    assert 'name="weights" value="metric:1,size:5"' in text
    assert 'data-column="dynascore"' in text and "Ranked by <strong>Dynascore</strong>" in text
    share = html.unescape(re.search(r'<a href="([^"]+)" id="share-link">', text).group(1))
    assert share == "/leaderboards/reviews?split=test&weights=metric:1,size:5"
    again = client.get(share).text  # the shared URL, opened fresh, shows the same ranking with the same sliders
    assert _page_order(again) == _page_order(text)
    assert re.findall(r'value="([^"]+)" data-weight="([^"]+)"', again) == re.findall(r'value="([^"]+)" data-weight="([^"]+)"', text)
    # The form's own submission (percent-encoded, with the other fields) is the same ranking too.
    submitted = client.get("/leaderboards/reviews?split=test&weights=metric%3A1%2Csize%3A5").text
    assert _page_order(submitted) == _page_order(text)
    # An empty field (every slider at 0) is the plain ranking by the metric.
    plain = client.get("/leaderboards/reviews?split=test&weights=").text
    assert _page_order(plain) == ["oracle", "baseline:keyword", "baseline:majority"] and 'data-column="dynascore"' not in plain
    refused = client.get("/leaderboards/reviews", params={"weights": "size:-2"})
    assert refused.status_code == 422 and "The weight of &#39;size&#39; must be a number in the range [0, 1,000,000]" in refused.text
    # The script that turns the sliders into the URL's weights is served with the page.
    script = client.get("/static/app.js").text
    assert 'getElementById("weights-form")' in script and "weightsForm.submit()" in script


def test_the_cli_ranks_by_weights_and_refuses_bad_ones_in_one_line(review_files):
    with Hub.open() as hub:
        test_rows = [json.loads(line) for line in Path(review_files["test"]).read_text().splitlines()]
        hub.add_dataset("reviews", splits=review_files, id_column="id")
        hub.add_model("oracle", write_jsonl(review_files["test"].parent / "oracle.jsonl",
                                            [{"id": r["id"], "label": r["label"]} for r in test_rows]))
        hub.evaluate(model="oracle", dataset="reviews", progress=False)
    result = run_cli("leaderboard", "--dataset", "reviews", "--weights", "metric:1,size:5", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["dynascore"]["query"] == "metric:1,size:5"
    assert [r["rank"] for r in document["rows"]] == list(range(1, len(document["rows"]) + 1))
    scores = [r["dynascore"] for r in document["rows"] if r["dynascore"] is not None]
    assert scores == sorted(scores, reverse=True) and len(scores) >= 3  # the baselines were evaluated and scored too
    table = run_cli("leaderboard", "--dataset", "reviews", "--weights", "metric:1,size:5", "--top", "1")
    assert table.returncode == 0, table.stderr
    assert "ranked by Dynascore (metric:1,size:5)" in table.stdout and "Dynascore" in table.stdout
    assert "Dynascore (metric:1,size:5): 17% macro_f1; 83% size (lower is better), AMRS" in table.stderr
    bad = run_cli("leaderboard", "--dataset", "reviews", "--weights", "metric:1,size:-5")
    assert one_error_line(bad) == "error: The weight of 'size' must be a number in the range [0, 1,000,000]. Got -5.0 instead."
    unknown = run_cli("leaderboard", "--dataset", "reviews", "--weights", "speed:1")
    assert one_error_line(unknown).startswith("error: No column 'speed' to weigh on this board; its columns are metric, accuracy,")
