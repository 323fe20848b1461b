"""Benchmark boards ranked by a Dynascore: the maintainers' default weights (PUT, CLI), the viewer's (`weights=`),
and on hidden phases a Dynascore made from the point values the viewer is shown, so it tells nothing new."""

from __future__ import annotations

import copy
import json
import re

import pytest
from fastapi.testclient import TestClient

from benchhub import Hub
from benchhub.ranking.dynascore import dynascores
from benchhub.server import create_app
from tests.fixtures.benchmarks import BENCHMARK, make_benchmark
from tests.test_cli import one_error_line, run_cli

URL = f"/api/benchmarks/{BENCHMARK}"


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """`sentiment` (dev public, test hidden) with three scored test submissions: alice, bob and carol."""
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    hub = Hub.open()
    setup = make_benchmark(hub, tmp_path / "files")
    hub.create_user("carol")
    ids = [r["id"] for r in setup.test_rows]
    for user, wrong in (("alice", ids[:3]), ("bob", ids[3:12]), ("carol", ids[::2])):
        hub.submit(BENCHMARK, setup.predictions(f"{user}.jsonl", wrong=set(wrong)), user=user, phase="test")
    hub.run_worker(once=True)
    yield setup
    hub.close()


@pytest.fixture
def client(setup):
    with TestClient(create_app(setup.hub.config)) as client:
        yield client


def headers(hub: Hub, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {hub.create_token(user)[1]}"}


def by_hand(board: dict, weights: dict[str, float]) -> dict[str, float | None]:
    """The Dynascores of a board's JSON recomputed from the point values it shows (no interval anywhere)."""
    rows = {row["user"]: {**{name: entry["value"] for name, entry in row["metrics"].items()}, "metric": row["score"]}
            for row in board["rows"]}
    return dynascores(rows, weights=weights, costs=()).scores


def test_maintainers_set_default_weights_and_viewers_may_give_their_own(setup, client):
    hub = setup.hub
    admin, bob = headers(hub, "admin"), headers(hub, "bob")
    before = client.get(f"{URL}/board", params={"phase": "test"}).json()
    assert before["dynascore"] is None and [r["user"] for r in before["rows"]] == ["alice", "bob", "carol"]
    refused = client.put(f"{URL}/board/weights", json={"weights": {"metric": 1, "accuracy": 3}}, headers=bob)
    assert refused.status_code == 403 and refused.json()["error"]["message"] == (
        "Only maintainers of benchmark 'sentiment' (or admins) may set the boards' default weights; user 'bob' is not one.")
    for body, message in (
        ({"weights": {"metric": 1, "latency_b1": 1}}, "No column 'latency_b1' to weigh on this board; its columns are metric, accuracy."),
        ({"weights": {"metric": -1}}, "The weight of 'metric' must be a number in the range [0, 1,000,000]. Got -1.0 instead."),
        ({"weights": {}}, "Every weight is 0; give at least one column a weight above 0, e.g. metric:1,latency_b1:0.5."),
        ({"weights": "metric:1,,"}, "Weights are COLUMN:WEIGHT pairs joined by commas, e.g. metric:1,latency_b1:0.5; one of them is empty."),
        ({"weights": ["metric", 1]}, None),
    ):
        response = client.put(f"{URL}/board/weights", json=body, headers=admin)
        assert response.status_code == 422, response.text
        assert message is None or response.json()["error"]["message"] == message
    assert client.get(URL).json()["settings"].get("board_weights") is None  # nothing stored by a refused request
    saved = client.put(f"{URL}/board/weights", json={"weights": "accuracy:3,metric:1"}, headers=admin)
    assert saved.status_code == 200 and saved.json() == {"weights": {"metric": 1.0, "accuracy": 3.0}, "query": "metric:1,accuracy:3"}
    assert client.get(URL).json()["settings"]["board_weights"] == {"metric": 1.0, "accuracy": 3.0}
    board = client.get(f"{URL}/board", params={"phase": "test"}).json()
    assert board["dynascore"]["source"] == "maintainers" and board["dynascore"]["query"] == "metric:1,accuracy:3"
    assert {r["user"]: r["dynascore"] for r in board["rows"]} == pytest.approx(by_hand(board, {"metric": 1.0, "accuracy": 3.0}))
    assert [r["metric_rank"] for r in board["rows"]] == [1, 2, 3]  # here the Dynascore keeps the order of macro_f1
    mine = client.get(f"{URL}/board", params={"phase": "test", "weights": "metric:1"}).json()
    assert mine["dynascore"]["source"] == "viewer" and [r["dynascore"] for r in mine["rows"]] == [r["score"] for r in mine["rows"]]
    bad = client.get(f"{URL}/board", params={"phase": "test", "weights": "accuracy:x"})
    assert bad.status_code == 422 and bad.json()["error"]["message"] == (
        "The weight of 'accuracy' must be a number in the range [0, 1,000,000]. Got 'x' instead.")
    audit = client.get(f"{URL}/audit", headers=admin).json()
    assert audit[-1]["action"] == "set_board_weights" and audit[-1]["details"] == {"weights": {"metric": 1.0, "accuracy": 3.0}}
    cleared = client.put(f"{URL}/board/weights", json={"weights": None}, headers=admin)
    assert cleared.json() == {"weights": None, "query": None}
    assert client.get(f"{URL}/board", params={"phase": "test"}).json() == before


def _without_the_dynascore(board: dict) -> dict:
    shown = copy.deepcopy(board)
    shown.pop("dynascore")
    for row in shown["rows"]:
        row.pop("dynascore"), row.pop("metric_rank"), row.pop("rank")
    shown["rows"].sort(key=lambda row: row["submission_id"])
    return shown


def test_a_hidden_phases_dynascore_comes_from_the_point_values_the_participant_sees_and_adds_nothing_else(setup, client):
    hub = setup.hub
    alice, admin = headers(hub, "alice"), headers(hub, "admin")
    weights = {"metric": 1.0, "accuracy": 3.0}
    plain = client.get(f"{URL}/board", params={"phase": "test"}, headers=alice).json()
    weighted = client.get(f"{URL}/board", params={"phase": "test", "weights": "metric:1,accuracy:3"}, headers=alice).json()
    # Point values only, as without weights: every interval is withheld from a participant of a hidden phase.
    intervals = [entry[bound] for row in weighted["rows"] for entry in row["metrics"].values() for bound in ("ci_low", "ci_high")]
    assert intervals and set(intervals) == {None}
    # The rows show exactly what they showed before; only the Dynascore, its rank and its summary are new.
    assert plain["dynascore"] is None and _without_the_dynascore(weighted) == _without_the_dynascore(plain)
    assert set(weighted["dynascore"]) == {"weights", "normalized", "amrs", "costs", "query", "source", "scored", "notes"}
    # ... and the Dynascore is a function of those point values: recomputed from them, it is the same number.
    scores = by_hand(weighted, weights)
    assert {r["user"]: r["dynascore"] for r in weighted["rows"]} == scores
    assert weighted["dynascore"]["amrs"] == dynascores(
        {r["user"]: {**{n: e["value"] for n, e in r["metrics"].items()}, "metric": r["score"]} for r in weighted["rows"]},
        weights=weights, costs=()).amrs
    # A maintainer sees the intervals, and the same Dynascore: nothing of them went into it.
    maintained = client.get(f"{URL}/board", params={"phase": "test", "weights": "metric:1,accuracy:3"}, headers=admin).json()
    assert any(entry["ci_low"] is not None for row in maintained["rows"] for entry in row["metrics"].values())
    assert {r["user"]: r["dynascore"] for r in maintained["rows"]} == scores
    # The private board stays closed to participants, weights or not.
    private = client.get(f"{URL}/board", params={"phase": "test", "kind": "private", "weights": "metric:1"}, headers=alice)
    assert private.status_code == 409


def test_the_benchmark_page_ranks_by_weights_from_its_url_and_shows_the_maintainers_defaults(setup, client):
    page = client.get(f"/benchmarks/{BENCHMARK}", params={"weights": "metric:1,accuracy:3"})
    assert page.status_code == 200
    text = page.text
    assert 'name="weights" value="metric:1,accuracy:3"' in text and 'data-weight="accuracy"' in text
    share = re.search(r'<a href="([^"]+)" id="share-link">', text).group(1)
    assert share == f"/benchmarks/{BENCHMARK}?weights=metric:1,accuracy:3"
    test_board = text.split("test: public ranking")[1]
    assert 'title="weighted score in units of macro_f1">Dynascore</th>' in test_board
    assert "Ranked by Dynascore:\n25% macro_f1, 75% accuracy (AMRS" in test_board
    assert client.get(share).text.count('class="num dynascore"') == text.count('class="num dynascore"') == 3
    with setup.hub.session() as session:
        from benchhub.accounts.users import get_user
        from benchhub.ranking.benchmark_boards import set_default_weights

        set_default_weights(session, BENCHMARK, actor_id=get_user(session, "admin").id, weights={"metric": 2, "accuracy": 1})
    defaults = client.get(f"/benchmarks/{BENCHMARK}").text
    assert "boards show a Dynascore with the maintainers' default weights (metric:2,accuracy:1)" in defaults
    assert "Ranked by Dynascore, with the maintainers' default weights:" in defaults
    assert f'<a href="/benchmarks/{BENCHMARK}?weights=metric:1">rank by macro_f1 alone</a>' in defaults
    assert client.get(f"/benchmarks/{BENCHMARK}", params={"weights": "metric:1,f1:2"}).status_code == 422


def test_the_cli_sets_shows_and_clears_default_weights_and_ranks_a_board_by_them(setup):
    setup.hub.close()
    refused = run_cli("benchmark", "board-weights", BENCHMARK, "metric:1,accuracy:2", "--user", "bob")
    assert one_error_line(refused) == ("error: Only maintainers of benchmark 'sentiment' (or admins) may set the boards' "
                                       "default weights; user 'bob' is not one.")
    bad = run_cli("benchmark", "board-weights", BENCHMARK, "metric:1,accuracy:-2", "--user", "admin")
    assert one_error_line(bad) == "error: The weight of 'accuracy' must be a number in the range [0, 1,000,000]. Got -2.0 instead."
    saved = run_cli("benchmark", "board-weights", BENCHMARK, "metric:1,accuracy:2", "--user", "admin")
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout == "Boards of 'sentiment' now rank by a Dynascore of metric:1,accuracy:2 unless a viewer gives weights.\n"
    assert run_cli("benchmark", "board-weights", BENCHMARK).stdout == "metric:1,accuracy:2\n"
    board = run_cli("benchmark", "board", BENCHMARK, "--phase", "test", "--json")
    assert board.returncode == 0, board.stderr
    document = json.loads(board.stdout)
    assert document["dynascore"]["source"] == "maintainers"
    assert [r["dynascore"] for r in document["rows"]] == pytest.approx(list(by_hand(document, {"metric": 1.0, "accuracy": 2.0}).values()))
    table = run_cli("benchmark", "board", BENCHMARK, "--phase", "test", "--weights", "accuracy:1")
    assert table.returncode == 0, table.stderr
    assert "ranking by Dynascore (accuracy:1)" in table.stdout and "Dynascore with your weights: 100% accuracy." in table.stderr
    assert one_error_line(run_cli("benchmark", "board", BENCHMARK, "--weights", "latency_b1:1")) == (
        "error: No column 'latency_b1' to weigh on this board; its columns are metric, accuracy.")
    cleared = run_cli("benchmark", "board-weights", BENCHMARK, "--clear", "--user", "admin")
    assert cleared.stdout == "Boards of 'sentiment' now rank by the primary metric unless a viewer gives weights.\n"
    assert json.loads(run_cli("benchmark", "board", BENCHMARK, "--phase", "test", "--json").stdout)["dynascore"] is None
