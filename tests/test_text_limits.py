"""Text PostgreSQL cannot take: a NUL character, or more characters than the column holds. 422 with one line
on SQLite and PostgreSQL alike, never 500.

PostgreSQL cannot store or compare text that holds NUL, so the hub refuses it before every query, on both.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from benchhub.errors import InvalidInputError
from benchhub.server import create_app
from tests.fixtures.benchmarks import BENCHMARK, make_benchmark, state


def refused_with_nul(response, value: str) -> None:
    assert response.status_code == 422, response.text
    assert response.json() == {"error": {"type": "InvalidInputError", "message": (
        f"{value!r} holds a NUL character (\\x00), which no name or text may contain; remove it.")}}


def test_nul_characters_in_paths_queries_and_bodies_are_refused(open_hub, tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    hub = open_hub()
    make_benchmark(hub, tmp_path / "files")
    admin = {"Authorization": f"Bearer {hub.create_token('admin')[1]}"}
    before = state(hub), len(hub.tokens("admin"))
    with TestClient(create_app(hub.config)) as api:
        refused_with_nul(api.get("/api/datasets/a%00b"), "a\x00b")
        refused_with_nul(api.get("/api/evaluations", params={"model": "\x00"}, headers=admin), "\x00")
        refused_with_nul(api.get(f"/api/benchmarks/{BENCHMARK}/submissions", params={"user": "x\x00"}, headers=admin), "x\x00")
        refused_with_nul(api.post("/api/tokens", json={"label": "ci\x00"}, headers=admin), "ci\x00")
        body = {"name": "other", "dataset": "reviews", "phases": [{"name": "test", "split": "test"}], "description": "rules\x00"}
        refused_with_nul(api.post("/api/benchmarks", json=body, headers=admin), "rules\x00")
        assert api.get("/api/health").json()["status"] == "ok"
    assert (state(hub), len(hub.tokens("admin"))) == before  # nothing half-written


def test_the_python_api_refuses_nul_characters_too(open_hub):
    hub = open_hub()
    with pytest.raises(InvalidInputError, match=r"^'bob\\x00' holds a NUL character"):
        hub.create_token("bob\x00")


@pytest.mark.parametrize(("body", "message"), [
    ({"phases": [{"name": "p" * 150, "split": "test"}]},
     "BenchmarkPhase name 'pppppppppppppppppppppppppppppppppppppppp…' has 150 characters; at most 100 fit."),
    ({"title": "t" * 400}, "Benchmark title 'tttttttttttttttttttttttttttttttttttttttt…' has 400 characters; at most 300 fit."),
], ids=["phase-name", "title"])
def test_text_longer_than_its_column_is_refused_on_every_database(open_hub, tmp_path, body, message):
    hub = open_hub()
    make_benchmark(hub, tmp_path / "files")
    admin = {"Authorization": f"Bearer {hub.create_token('admin')[1]}"}
    before = state(hub)
    with TestClient(create_app(hub.config)) as api:
        sent = {"name": "other", "dataset": "reviews", "phases": [{"name": "test", "split": "test"}], **body}
        response = api.post("/api/benchmarks", json=sent, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json() == {"error": {"type": "InvalidInputError", "message": message}}
    assert state(hub) == before
