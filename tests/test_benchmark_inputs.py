"""A phase's inputs for participants: ids and texts (or questions and contexts) in split order, gold only
where the phase publishes it, released when the phase opens; over the API, the page and the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from benchhub import Hub
from benchhub.benchmark_service import PhaseSpec
from benchhub.cli.app import app
from benchhub.config import HubConfig
from benchhub.server import create_app
from tests.browser_support import live_server
from tests.conftest import write_jsonl
from tests.fixtures.benchmarks import BENCHMARK, make_benchmark


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    monkeypatch.setenv("BENCHHUB_HOME", str(tmp_path / "hub"))
    hub = Hub(HubConfig.from_env())
    made = make_benchmark(hub, tmp_path / "files")
    yield made
    hub.close()


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_hidden_phase_inputs_carry_ids_and_texts_only(setup):
    client = TestClient(create_app(setup.hub.config))
    response = client.get(f"/api/benchmarks/{BENCHMARK}/phases/test/inputs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers["content-disposition"] == f'attachment; filename="{BENCHMARK}-test-inputs.jsonl"'
    assert lines(response.text) == [{"id": row["id"], "text": row["text"]} for row in setup.test_rows]


def test_a_public_label_phase_comes_with_its_labels(setup):
    client = TestClient(create_app(setup.hub.config))
    rows = lines(client.get(f"/api/benchmarks/{BENCHMARK}/phases/dev/inputs").text)
    assert rows == [{"id": row["id"], "text": row["text"], "label": row["label"]} for row in setup.dev_rows]


def test_labels_another_benchmark_hides_stay_hidden(setup):
    setup.hub.create_benchmark("dev-as-test", dataset="reviews", phases=[PhaseSpec("final", "dev")], user="admin")
    alice = {"Authorization": f"Bearer {setup.hub.create_token('alice')[1]}"}
    client = TestClient(create_app(setup.hub.config))
    rows = lines(client.get(f"/api/benchmarks/{BENCHMARK}/phases/dev/inputs", headers=alice).text)
    assert rows == [{"id": row["id"], "text": row["text"]} for row in setup.dev_rows]


def test_an_upcoming_phase_releases_its_inputs_when_it_opens(setup):
    opens = datetime.now(timezone.utc) + timedelta(days=3)
    setup.hub.create_benchmark("later", dataset="reviews", phases=[PhaseSpec("test", "test", opens_at=opens)], user="admin")
    client = TestClient(create_app(setup.hub.config))
    refused = client.get("/api/benchmarks/later/phases/test/inputs")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (f"Phase 'test' of 'later' opens at {opens.isoformat()}; "
                                                  f"its inputs are released then.")
    admin = {"Authorization": f"Bearer {setup.hub.create_token('admin')[1]}"}
    assert len(lines(client.get("/api/benchmarks/later/phases/test/inputs", headers=admin).text)) == 40
    assert "released when it opens" in client.get("/benchmarks/later").text
    assert client.get("/api/benchmarks/later/phases/final/inputs").status_code == 404


def test_the_benchmark_page_links_each_phase_s_inputs(setup):
    page = TestClient(create_app(setup.hub.config)).get(f"/benchmarks/{BENCHMARK}").text
    assert f'<a href="/api/benchmarks/{BENCHMARK}/phases/test/inputs" download>test inputs (JSONL)</a>' in page
    assert f'<a href="/api/benchmarks/{BENCHMARK}/phases/dev/inputs" download>dev inputs (JSONL, with labels)</a>' in page


def test_the_cli_writes_the_inputs_from_this_hub_and_from_a_server(setup, tmp_path):
    local = tmp_path / "local.jsonl"
    result = CliRunner().invoke(app, ["benchmark", "inputs", BENCHMARK, "--phase", "test", "--output", str(local)])
    assert result.exit_code == 0, result.output
    expected = [{"id": row["id"], "text": row["text"]} for row in setup.test_rows]
    assert lines(local.read_text()) == expected
    with live_server(setup.hub.config) as url:
        remote = CliRunner().invoke(app, ["benchmark", "inputs", BENCHMARK, "--server", url])  # the open phases: dev and test
        assert "2 open phases; name one with --phase" in str(remote.exception)
        remote = CliRunner().invoke(app, ["benchmark", "inputs", BENCHMARK, "--server", url, "--phase", "test"])
        assert remote.exit_code == 0 and lines(remote.stdout) == expected


def test_question_answering_inputs_are_questions_and_contexts(tmp_path, isolated_hub):
    rows = [{"id": f"q{i}", "question": f"What is item {i}?", "context": f"Item {i} is a lamp.",
             "answers": {"text": ["a lamp"], "answer_start": [len(f"Item {i} is ")]}} for i in range(12)]
    with Hub.open() as hub:
        hub.create_user("admin", admin=True)
        hub.add_dataset("lamps", task="question-answering", id_column="id", splits={"test": write_jsonl(tmp_path / "t.jsonl", rows)})
        hub.create_benchmark("lamps-bench", dataset="lamps", phases=[PhaseSpec("test", "test")], user="admin")
        text = TestClient(create_app(hub.config)).get("/api/benchmarks/lamps-bench/phases/test/inputs").text
    assert lines(text) == [{"id": r["id"], "question": r["question"], "context": r["context"]} for r in rows]
