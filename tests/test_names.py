"""Names, keys and ids are validated by full matches: a trailing newline (which `$` lets through) is refused
by the Python API, the command line and the HTTP API, and nothing is registered."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from benchhub import Hub
from benchhub.competitions.benchmarks import PhaseSpec, list_benchmarks
from benchhub.errors import BenchhubError, InvalidInputError
from benchhub.server import create_app
from tests.conftest import review_rows, write_jsonl
from tests.test_cli import one_error_line, run_cli


@pytest.fixture
def hub(tmp_path):
    hub = Hub.open()
    rows = review_rows(12, seed=2, prefix="t")
    hub.add_dataset("reviews", write_jsonl(tmp_path / "reviews.jsonl", rows), id_column="id")
    hub.create_user("admin", admin=True)
    hub.add_model("oracle", write_jsonl(tmp_path / "oracle.jsonl", [{"id": r["id"], "label": r["label"]} for r in rows]))
    yield hub
    hub.close()


def registered(hub: Hub) -> tuple:
    with hub.session() as session:
        benchmarks = [b.name for b in list_benchmarks(session)]
    return [u.name for u in hub.users()], [d.name for d in hub.datasets()], [m.name for m in hub.models()], benchmarks


def test_the_python_api_refuses_names_keys_and_hub_ids_with_a_trailing_newline(hub, tmp_path):
    before = registered(hub)
    file = tmp_path / "reviews.jsonl"
    attempts = [
        (lambda: hub.create_user("alice\n"), r"User name 'alice\\n' is not allowed"),
        (lambda: hub.add_dataset("reviews2\n", file, id_column="id"), r"Dataset name 'reviews2\\n' is not allowed"),
        (lambda: hub.add_dataset("hubbed", "imdb\n"), r"'imdb\\n' is neither an existing path nor a hub id"),
        (lambda: hub.add_dataset("hubbed", "owner/name\n"), r"No such file or folder: 'owner/name\\n'\. Give a path"),
        (lambda: hub.add_model("oracle2\n", tmp_path / "oracle.jsonl"), r"Model name 'oracle2\\n' is not allowed"),
        (lambda: hub.create_benchmark("tickets-bench\n", dataset="reviews", phases=[PhaseSpec("test", "test")], user="admin"),
         r"Benchmark name 'tickets-bench\\n' is not allowed"),
        (lambda: hub.create_benchmark("tickets-bench", dataset="reviews", phases=[PhaseSpec("test\n", "test")], user="admin"),
         r"Phase name 'test\\n' is not allowed"),
    ]
    for attempt, message in attempts:
        with pytest.raises(BenchhubError, match=message):
            attempt()
    assert registered(hub) == before


def test_an_idempotency_key_with_a_trailing_newline_is_refused(hub, tmp_path):
    hub.create_user("alice")
    hub.create_benchmark("tickets-bench", dataset="reviews", phases=[PhaseSpec("test", "test")], user="admin")
    file = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "label": r["label"]} for r in review_rows(12, seed=2, prefix="t")])
    with pytest.raises(InvalidInputError, match="An Idempotency-Key must be 1-200 printable ASCII characters"):
        hub.submit("tickets-bench", file, user="alice", phase="test", idempotency_key="nightly-7\n")
    assert hub.submissions("tickets-bench", user="alice") == []
    assert hub.submit("tickets-bench", file, user="alice", phase="test", idempotency_key="nightly-7").id == 1


def test_the_command_line_refuses_names_with_a_trailing_newline(hub, tmp_path):
    hub.close()
    assert one_error_line(run_cli("user", "create", "alice\n")).startswith(r"error: User name 'alice\n' is not allowed")
    assert one_error_line(run_cli("dataset", "add", "reviews2\n", str(tmp_path / "reviews.jsonl"))).startswith(
        r"error: Dataset name 'reviews2\n' is not allowed")
    assert one_error_line(run_cli("benchmark", "create", "tickets-bench\n", "--dataset", "reviews", "--phase", "test=test",
                                  "--user", "admin")).startswith(r"error: Benchmark name 'tickets-bench\n' is not allowed")
    with Hub.open() as reopened:
        assert [u.name for u in reopened.users()] == ["admin"] and [d.name for d in reopened.datasets()] == ["reviews"]


def test_the_http_api_refuses_names_with_a_trailing_newline(hub):
    root = {"Authorization": f"Bearer {hub.create_token('admin')[1]}"}
    with TestClient(create_app(hub.config)) as client:
        user = client.post("/api/users", json={"name": "alice\n"}, headers=root)
        assert user.status_code == 422 and "alice" in user.json()["error"]["message"], user.text
        for name, phase in (("tickets-bench\n", "test"), ("tickets-bench", "test\n")):
            body = {"name": name, "dataset": "reviews", "phases": [{"name": phase, "split": "test"}]}
            created = client.post("/api/benchmarks", json=body, headers=root)
            assert created.status_code == 422 and "name" in created.json()["error"]["message"], created.text
        assert client.get("/api/benchmarks").json() == []
    assert [u.name for u in hub.users()] == ["admin"]
