"""Text PostgreSQL cannot take: a NUL character, or more characters than the column holds. 422 with one line
on SQLite and PostgreSQL alike, never 500.

PostgreSQL cannot store or compare text that holds NUL, so the hub refuses it before every query, on both.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from benchhub.errors import InvalidInputError
from benchhub.server import create_app
from benchhub.store.tables import ApiTokenRow
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
        refused = api.post("/api/tokens", json={"label": "ci\x00"}, headers=admin)  # checked as text, before the store
        assert refused.status_code == 422 and refused.json()["error"]["message"] == (
            "A token label holds '\\x00' at position 2; control or format characters are not allowed.")
        body = {"name": "other", "dataset": "reviews", "phases": [{"name": "test", "split": "test"}], "description": "rules\x00"}
        refused = api.post("/api/benchmarks", json=body, headers=admin)
        assert refused.status_code == 422 and refused.json()["error"]["message"] == (
            "A benchmark description holds '\\x00' at position 5; control or format characters other than line breaks "
            "and tabs are not allowed.")
        assert api.get("/api/health").json()["status"] == "ok"
    assert (state(hub), len(hub.tokens("admin"))) == before  # nothing half-written


def test_the_python_api_refuses_nul_characters_too(open_hub):
    hub = open_hub()
    with pytest.raises(InvalidInputError, match=r"^'bob\\x00' holds a NUL character"):
        hub.create_token("bob\x00")


# The benchmark service names these limits first; the store's own check (below) stands behind every column.
@pytest.mark.parametrize(("body", "message"), [
    ({"phases": [{"name": "p" * 150, "split": "test"}]}, "Phase name 'pppppppppppppppppppp'... is 150 characters long; use at most 100."),
    ({"title": "t" * 400}, "A benchmark title must be text of at most 300 characters. Got 400 instead."),
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



def test_the_store_refuses_text_longer_than_its_column_whatever_the_caller(open_hub):
    """Behind the services' own checks, every flush checks every column's width (PostgreSQL would fail, SQLite store it)."""
    hub = open_hub()
    hub.create_user("admin", admin=True)
    hub.create_token("admin", label="laptop")
    with hub.session() as session:
        row = session.scalars(select(ApiTokenRow)).one()
        row.label = "l" * 201
        with pytest.raises(InvalidInputError) as refused:
            session.commit()
        session.rollback()
    assert str(refused.value) == "ApiToken label 'llllllllllllllllllllllllllllllllllllllll…' has 201 characters; at most 200 fit."
    assert [token.label for token in hub.tokens("admin")] == ["laptop"]
