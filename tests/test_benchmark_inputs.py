"""A phase's inputs for participants: ids and texts (or questions and contexts), gold only where the phase
publishes it, in a keyed order on hidden phases, released when the phase opens; over the API, the page and the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from benchhub import Hub
from benchhub.cli.app import app
from benchhub.competitions.benchmarks import PhaseSpec
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


def by_id(rows: list[dict]) -> list[dict]:
    """Rows in id order: a hidden phase releases them in a keyed order."""
    return sorted(rows, key=lambda row: row["id"])


def test_hidden_phase_inputs_carry_ids_and_texts_only(setup):
    client = TestClient(create_app(setup.hub.config))
    response = client.get(f"/api/benchmarks/{BENCHMARK}/phases/test/inputs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers["content-disposition"] == f'attachment; filename="{BENCHMARK}-test-inputs.jsonl"'
    released = lines(response.text)
    expected = [{"id": row["id"], "text": row["text"]} for row in setup.test_rows]
    assert by_id(released) == by_id(expected)
    # Not in file order (a file sorted by label would tell its labels by position), and the same order every time.
    assert [r["id"] for r in released] != [r["id"] for r in expected]
    assert lines(client.get(f"/api/benchmarks/{BENCHMARK}/phases/test/inputs").text) == released


def test_the_release_order_is_keyed_and_apart_from_the_public_half():
    from benchhub.competitions.benchmarks import public_mask
    from benchhub.competitions.inputs import release_order

    ids = [f"x-{i}" for i in range(200)]
    order = release_order("seed-a", ids)
    assert sorted(order) == list(range(200)) and order != list(range(200))
    assert release_order("seed-b", ids) != order and release_order("seed-a", ids) == order
    # The first half of the order is no more the public half than chance would make it.
    public = public_mask("seed-a", ids, 0.5)
    first_half_public = sum(public[i] for i in order[:100])
    assert 35 <= first_half_public <= 65


def test_a_public_label_phase_comes_with_its_labels(setup):
    client = TestClient(create_app(setup.hub.config))
    rows = lines(client.get(f"/api/benchmarks/{BENCHMARK}/phases/dev/inputs").text)
    assert rows == [{"id": row["id"], "text": row["text"], "label": row["label"]} for row in setup.dev_rows]


def test_labels_cannot_be_published_by_one_phase_and_hidden_by_another(setup):
    from benchhub.errors import InvalidInputError, NotFoundError

    # dev's labels are out already (benchmark BENCHMARK publishes them): a later benchmark cannot hide them.
    with pytest.raises(InvalidInputError, match=(
            rf"^The labels of reviews/dev cannot be both public and hidden: phase 'dev' of benchmark '{BENCHMARK}' "
            r"publishes them and phase 'final' hides them; hide labels only on a split no phase publishes")):
        setup.hub.create_benchmark("dev-as-test", dataset="reviews", phases=[PhaseSpec("final", "dev")], user="admin")
    # test's labels are hidden: a phase that would publish them (its inputs with gold, full-split metrics) is refused.
    with pytest.raises(InvalidInputError, match=(
            rf"^The labels of reviews/test cannot be both public and hidden: phase 'practice' publishes them and "
            rf"phase 'test' of benchmark '{BENCHMARK}' hides them")):
        setup.hub.create_benchmark("leak", dataset="reviews", phases=[PhaseSpec("practice", "test", labels_public=True)],
                                   user="admin")
    # Within one benchmark too.
    with pytest.raises(InvalidInputError, match=r"^The labels of reviews/train cannot be both public and hidden"):
        setup.hub.create_benchmark("both", dataset="reviews", user="admin", phases=[
            PhaseSpec("a", "train", labels_public=True), PhaseSpec("b", "train")])
    for refused in ("dev-as-test", "leak", "both"):
        with pytest.raises(NotFoundError):
            setup.hub.benchmark(refused)


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
    assert by_id(lines(local.read_text())) == by_id(expected)
    with live_server(setup.hub.config) as url:
        remote = CliRunner().invoke(app, ["benchmark", "inputs", BENCHMARK, "--server", url])  # the open phases: dev and test
        assert "2 open phases; name one with --phase" in str(remote.exception)
        remote = CliRunner().invoke(app, ["benchmark", "inputs", BENCHMARK, "--server", url, "--phase", "test"])
        assert remote.exit_code == 0 and lines(remote.stdout) == lines(local.read_text())


def test_question_answering_inputs_are_questions_and_contexts(tmp_path, isolated_hub):
    rows = [{"id": f"q{i}", "question": f"What is item {i}?", "context": f"Item {i} is a lamp.",
             "answers": {"text": ["a lamp"], "answer_start": [len(f"Item {i} is ")]}} for i in range(12)]
    with Hub.open() as hub:
        hub.create_user("admin", admin=True)
        hub.add_dataset("lamps", task="question-answering", id_column="id", splits={"test": write_jsonl(tmp_path / "t.jsonl", rows)})
        hub.create_benchmark("lamps-bench", dataset="lamps", phases=[PhaseSpec("test", "test")], user="admin")
        text = TestClient(create_app(hub.config)).get("/api/benchmarks/lamps-bench/phases/test/inputs").text
    assert by_id(lines(text)) == by_id([{"id": r["id"], "question": r["question"], "context": r["context"]} for r in rows])
