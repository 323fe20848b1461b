"""`benchhub benchmark ...` and `benchhub submit`, on this hub and over HTTP to a live server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchhub import Hub, InvalidInputError
from benchhub.cli.app import app
from benchhub.cli.benchmark_commands import parse_phase
from tests.browser_support import live_server
from tests.conftest import review_rows, write_jsonl

runner = CliRunner()


def invoke(*args: str) -> dict | list:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def hosted(tmp_path: Path, isolated_hub: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    test = review_rows(20, seed=2, prefix="test")
    with Hub.open() as hub:
        hub.add_dataset("reviews", splits={"dev": write_jsonl(tmp_path / "dev.jsonl", review_rows(6, seed=1, prefix="dev")),
                                           "test": write_jsonl(tmp_path / "test.jsonl", test)}, id_column="id")
        hub.create_user("root", admin=True)
        hub.create_user("ann")
    created = invoke("benchmark", "create", "sentiment", "--dataset", "reviews", "--phase", "dev=dev:public",
                     "--phase", "test=test", "--user", "root", "--setting", "max_per_day=2", "--title", "Sentiment")
    assert [(p["name"], p["labels_public"]) for p in created["phases"]] == [("dev", True), ("test", False)]
    assert created["settings"]["max_per_day"] == 2
    predictions = write_jsonl(tmp_path / "ann.jsonl", [{"id": r["id"], "label": r["label"]} for r in test])
    return predictions


def test_host_submit_score_and_rank_from_the_command_line(hosted):
    submitted = invoke("submit", "sentiment", str(hosted), "--phase", "test", "--user", "ann")
    assert submitted["status"] == "queued" and submitted["user"] == "ann"
    result = runner.invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    board = invoke("benchmark", "board", "sentiment", "--phase", "test")
    assert [(row["rank"], row["user"], row["score"]) for row in board["rows"]] == [(1, "ann", 1.0)]
    refused = runner.invoke(app, ["benchmark", "board", "sentiment", "--phase", "test", "--private"])
    assert refused.exit_code == 1
    closed = runner.invoke(app, ["benchmark", "close", "sentiment", "test", "--user", "root"])
    assert closed.exit_code == 0 and "Closed phase 'test'" in closed.output
    private = invoke("benchmark", "board", "sentiment", "--phase", "test", "--private")
    assert [(row["user"], row["score"]) for row in private["rows"]] == [("ann", 1.0)]


def test_submit_to_a_server_retries_with_one_idempotency_key(hosted, isolated_hub):
    with Hub.open() as hub:
        token = hub.create_token("ann")[1]
        config = hub.config
    with live_server(config) as url:
        first = invoke("submit", "sentiment", str(hosted), "--phase", "test", "--server", url, "--token", token,
                       "--idempotency-key", "run-42")
        again = invoke("submit", "sentiment", str(hosted), "--phase", "test", "--server", url, "--token", token,
                       "--idempotency-key", "run-42")
        assert again["id"] == first["id"]  # a retry is answered with the first submission, charged once
        invoke("submit", "sentiment", str(hosted), "--phase", "test", "--server", url, "--token", token)
        over = subprocess.run([sys.executable, "-m", "benchhub", "submit", "sentiment", str(hosted), "--phase", "test",
                               "--server", url, "--token", token], capture_output=True, text=True, timeout=60)
        assert over.returncode == 1
        assert over.stderr.startswith("error: The server refused the submission (429): ") and over.stderr.count("\n") == 1
        bad = subprocess.run([sys.executable, "-m", "benchhub", "submit", "sentiment", str(hosted), "--server", url,
                              "--token", "bh_wrong"], capture_output=True, text=True, timeout=60)
        assert bad.returncode == 1 and "(401)" in bad.stderr
    with Hub.open() as hub:
        assert len(hub.submissions("sentiment", user="ann")) == 2


@pytest.mark.parametrize("value, message", [
    ("test", r"is not NAME=SPLIT"),
    ("test=test:secret", r"only ':public' \(labels released\) or ':models' \(participants submit models\) may follow"),
    ("test=test,ends=2026-01-01", r"'ends' is not opens, closes, time, memory or size"),
    ("test=test,closes=tomorrow", r"'tomorrow' is not an ISO time"),
])
def test_bad_phase_specs_are_one_clear_error(value, message):
    with pytest.raises(InvalidInputError, match=message):
        parse_phase(value)


def test_a_phase_spec_with_times():
    spec = parse_phase("final=test,opens=2026-12-01T00:00+00:00,closes=2026-12-31T23:59+00:00")
    assert (spec.name, spec.split, spec.labels_public) == ("final", "test", False)
    assert spec.opens_at.isoformat() == "2026-12-01T00:00:00+00:00" and spec.closes_at.day == 31
