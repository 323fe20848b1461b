"""A killed `benchhub serve` leaves jobs `running` or `queued`; the next server resumes them by itself, without a request."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select

from benchhub.competitions.queue import PAUSE_VARIABLE
from benchhub.store.tables import ScoringJobRow
from tests.fixtures.benchmarks import BENCHMARK, make_benchmark, score_rows


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(env: dict[str, str], port: int, *extra: str) -> subprocess.Popen:
    """`benchhub serve` on `port`, its scoring worker polling every 0.5 s under 2 s leases; returns once it answers."""
    server = subprocess.Popen(
        [sys.executable, "-m", "benchhub", "serve", "--port", str(port), "--poll-seconds", "0.5", "--lease-seconds", "2", *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while True:
        with socket.socket() as probe:  # a TCP connect, no HTTP request
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise AssertionError(f"benchhub serve did not start: {server.communicate()[0]}")
        time.sleep(0.1)


def stopped_cleanly(server: subprocess.Popen, output: str) -> None:
    # uvicorn ends by re-raising the signal it handled.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete." in output and "Traceback" not in output, output


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_a_restarted_server_scores_what_a_killed_one_left_running_or_queued(open_hub, tmp_path, database_url):
    setup = make_benchmark(open_hub(), tmp_path / "files")
    hub = setup.hub
    token = hub.create_token("alice")[1]
    env = {**os.environ, "BENCHHUB_HOME": str(hub.config.home), "BENCHHUB_DATABASE_URL": database_url}
    env.pop("BENCHHUB_IN_PROCESS_SCORING", None)
    port = free_port()

    def jobs() -> dict[int, tuple[str, int]]:
        with hub.session() as session:
            return {job.submission_id: (job.state, job.attempts) for job in session.scalars(select(ScoringJobRow))}

    first = serve({**env, PAUSE_VARIABLE: "300"}, port)  # claims, then sleeps where it would score
    try:
        answer = httpx.post(f"http://127.0.0.1:{port}/api/benchmarks/{BENCHMARK}/submissions", data={"phase": "test"},
                            files={"file": ("p.jsonl", setup.predictions().read_bytes())},
                            headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert answer.status_code == 201, answer.text
        running = answer.json()["id"]
        wait_for(lambda: jobs().get(running) == ("running", 1), 30, "the server to claim the job")
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL
    # Submitted while no server runs: nobody wakes a worker for it.
    queued = hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test").id
    assert jobs() == {running: ("running", 1), queued: ("queued", 0)}

    second = serve(env, port)
    try:
        wait_for(lambda: jobs() == {running: ("done", 2), queued: ("done", 1)}, 30,
                 f"the restarted server to score both submissions (jobs now: {jobs()})")
        assert score_rows(hub, running) == [(1, True)] and score_rows(hub, queued) == [(1, True)]
        assert {s.id: s.status for s in hub.submissions(BENCHMARK, user="alice")} == {running: "scored", queued: "scored"}
    finally:
        second.send_signal(signal.SIGTERM)  # shutdown stops the worker, then closes the hub
        output = second.communicate(timeout=30)[0]
    stopped_cleanly(second, output)


def test_a_server_with_no_worker_leaves_scoring_to_benchhub_worker(open_hub, tmp_path, database_url):
    setup = make_benchmark(open_hub(), tmp_path / "files")
    hub = setup.hub
    queued = hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test").id
    env = {**os.environ, "BENCHHUB_HOME": str(hub.config.home), "BENCHHUB_DATABASE_URL": database_url}
    env.pop("BENCHHUB_IN_PROCESS_SCORING", None)
    server = serve(env, free_port(), "--no-worker")
    try:
        time.sleep(3)  # six polls of a worker, had it one
        assert [s.status for s in hub.submissions(BENCHMARK, user="alice")] == ["queued"]
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    stopped_cleanly(server, output)
    assert hub.run_worker(once=True) == 1
    assert score_rows(hub, queued) == [(1, True)]


def test_a_restarted_server_runs_the_evaluation_jobs_a_killed_one_left_running_or_queued(open_hub, tmp_path, database_url):
    from benchhub.evaluation.job_process import FAULT_VARIABLE
    from benchhub.store.tables import EvaluationJobRow, EvaluationRow, ModelRow
    from tests.conftest import review_rows, write_jsonl

    hub = open_hub()
    hub.add_dataset("open", id_column="id", splits={
        "train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
        "test": write_jsonl(tmp_path / "test.jsonl", review_rows(30, seed=3, prefix="test"))})
    hub.create_user("alice")
    token = hub.create_token("alice")[1]
    env = {**os.environ, "BENCHHUB_HOME": str(hub.config.home), "BENCHHUB_DATABASE_URL": database_url}
    env.pop("BENCHHUB_IN_PROCESS_SCORING", None)
    port = free_port()

    def jobs() -> dict[str, tuple[str, int]]:
        with hub.session() as session:
            return {job.model: (job.state, job.attempts) for job in session.scalars(select(EvaluationJobRow))}

    first = serve({**env, FAULT_VARIABLE: "sleep:300"}, port)  # its job's process sleeps before it evaluates
    try:
        answer = httpx.post(f"http://127.0.0.1:{port}/api/evaluations", json={"models": ["baseline:majority"], "datasets": ["open"]},
                            headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert answer.status_code == 202, answer.text
        wait_for(lambda: jobs().get("baseline:majority") == ("running", 1), 60, "the server to start the job")
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    # Asked for while no server runs: it waits in the queue.
    hub.request_evaluations(user="alice", models=["baseline:tfidf-logreg"], datasets=["open"])
    second = serve(env, port)
    try:
        wait_for(lambda: jobs() == {"baseline:majority": ("done", 2), "baseline:tfidf-logreg": ("done", 1)}, 60,
                 f"the restarted server to run both jobs (jobs now: {jobs()})")
    finally:
        second.send_signal(signal.SIGTERM)
        output = second.communicate(timeout=30)[0]
    stopped_cleanly(second, output)
    with hub.session() as session:  # each result stored once
        stored = session.execute(select(ModelRow.name).join(EvaluationRow, EvaluationRow.model_id == ModelRow.id)).scalars().all()
    assert sorted(stored) == ["baseline:majority", "baseline:tfidf-logreg"]
