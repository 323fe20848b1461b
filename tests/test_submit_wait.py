"""Remote participants' CLI: `submit --wait` polls until the submission is scored and prints its public score;
`benchmark submissions` lists them, on a server (HTTP, a token) or on this hub."""

from __future__ import annotations

import json
import re

from benchhub import Hub
from benchhub.config import HubConfig
from tests.browser_support import live_server
from tests.fixtures.benchmarks import BENCHMARK, make_benchmark
from tests.test_cli import one_error_line, run_cli


def test_a_remote_participant_submits_waits_for_the_score_and_lists_submissions(tmp_path):
    home = tmp_path / "served"
    config = HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}")
    with Hub(config) as hub:
        setup = make_benchmark(hub, tmp_path / "files")
        token = hub.create_token("alice")[1]
        predictions = setup.predictions("alice.jsonl", wrong={setup.test_rows[0]["id"]})
    with live_server(config) as url:
        shown = run_cli("submit", BENCHMARK, str(predictions), "--phase", "test", "--server", url, "--token", token,
                        "--wait", "--wait-timeout", "60")
        assert shown.returncode == 0, shown.stderr
        assert re.search(r"Submission \d+ to .+/test: scored\.\npublic score: \w+ [0-9.]+", shown.stdout), shown.stdout
        assert "Waiting for submission" in shown.stderr
        listed = run_cli("benchmark", "submissions", BENCHMARK, "--server", url, "--token", token, "--json")
        assert listed.returncode == 0, listed.stderr
        (only,) = json.loads(listed.stdout)
        assert only["status"] == "scored" and only["public_metrics"] and only["user"] == "alice"
        table = run_cli("benchmark", "submissions", BENCHMARK, "--server", url, "--token", token)
        assert "scored" in table.stdout and "public score" in table.stdout
        board = run_cli("benchmark", "board", BENCHMARK, "--phase", "test", "--server", url, "--json")  # public: no token
        assert board.returncode == 0, board.stderr
        ranked = json.loads(board.stdout)
        assert [row["user"] for row in ranked["rows"]] == ["alice"] and ranked["rows"][0]["submission_id"] == only["id"]
        shown_board = run_cli("benchmark", "board", BENCHMARK, "--phase", "test", "--server", url)
        assert "public ranking by" in shown_board.stdout and "alice" in shown_board.stdout
        refused = run_cli("benchmark", "submissions", BENCHMARK, "--server", url, "--token", "bh_" + "x" * 43)
        assert re.search(r"The server refused \(401\)", one_error_line(refused))


def test_waiting_without_a_worker_gives_up_in_one_line_and_the_submission_stays_queued(tmp_path):
    with Hub.open() as hub:
        setup = make_benchmark(hub, tmp_path / "files")
        predictions = setup.predictions("alice.jsonl")
    result = run_cli("submit", BENCHMARK, str(predictions), "--phase", "test", "--user", "alice", "--wait", "--wait-timeout", "1")
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    waiting, error = result.stderr.splitlines()  # the progress line, then the one error line
    assert waiting.startswith("Waiting for submission")
    assert re.search(r"^error: Submission \d+ is still queued after 1 s; it stays queued\. Look again with "
                     rf"`benchhub benchmark submissions {BENCHMARK}` \(is a worker running\?\)\.$", error)
    with Hub.open() as hub:
        (queued,) = hub.submissions(BENCHMARK, user="alice")
        assert queued.status == "queued"
    listed = run_cli("benchmark", "submissions", BENCHMARK, "--user", "alice")
    assert listed.returncode == 0 and "queued" in listed.stdout
