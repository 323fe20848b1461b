"""A `benchhub worker` killed with SIGKILL while a submitted model runs: the model's process dies with it, the lease
expires, another worker runs the model again, and the submission is scored exactly once with nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import pytest
from sqlalchemy import select

from benchhub.competitions.model_scoring import FAULT_VARIABLE
from benchhub.store.tables import (
    ScoringJobRow,
    SubmissionRow,
    SubmissionScoreRow,
    utcnow,
)
from tests.fixtures.benchmarks import score_rows
from tests.fixtures.model_submissions import archive_of, left_behind
from tests.test_model_phases import BENCH, expected_accuracy, hosted
from tests.test_server_restart import wait_for

LEASE = ["--lease-seconds", "2", "--poll-seconds", "0.5"]


def worker(env: dict[str, str], *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "benchhub", "worker", *LEASE, *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def model_process(worker_pid: int) -> psutil.Process | None:
    """The submitted model's process: the worker's descendant that leads a process group of its own."""
    for child in psutil.Process(worker_pid).children(recursive=True):
        try:
            if os.getpgid(child.pid) == child.pid:
                return child
        except ProcessLookupError:
            continue
    return None


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_worker_killed_while_a_submitted_model_runs_leaves_no_orphan_and_the_model_is_scored_once_by_another(
        open_hub, tmp_path, database_url, tiny_bert):
    hub = open_hub()
    test = hosted(hub, tmp_path / "files")
    made = hub.submit(BENCH, archive_of(tiny_bert, tmp_path / "model.zip"), user="alice", phase="test")
    env = {**os.environ, "BENCHHUB_HOME": str(hub.config.home), "BENCHHUB_DATABASE_URL": database_url}
    env.pop(FAULT_VARIABLE, None)
    with hub.session() as session:
        submission_folder = hub.artifacts.path(session.scalar(select(SubmissionRow.file_path))).parent

    def run_folders() -> list[str]:
        return sorted(p.name for p in submission_folder.iterdir() if p.name != "model")

    def job() -> ScoringJobRow:
        with hub.session() as session:
            (row,) = session.scalars(select(ScoringJobRow)).all()
            session.expunge(row)
            return row

    first = worker({**env, FAULT_VARIABLE: "sleep:300"})  # the model's process sleeps before it loads the model
    try:
        child = wait_for(lambda: model_process(first.pid), 60, "the worker to start the model's process")
        descendants = psutil.Process(first.pid).children(recursive=True)  # the fork server and the model's process among them
        claimed = job()
        assert (claimed.state, claimed.attempts) == ("running", 1)
        assert claimed.lease_owner.split(":")[1] == str(first.pid)
        (killed_run,) = run_folders()
        assert killed_run.startswith("run-")
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL
    # The model's process watches its worker: with nobody to enforce the phase's limits, it ends itself.
    wait_for(lambda: not running(child.pid), 10, f"the model's process {child.pid} to end after its worker was killed")
    wait_for(lambda: not any(running(p.pid) for p in descendants), 10, "every process the worker started to end")
    assert (job().state, job().attempts) == ("running", 1)  # held by the dead worker until its lease expires

    wait_for(lambda: job().lease_expires_at < utcnow(), 10, "the dead worker's lease to expire")
    second = worker(env, "--once")
    try:
        output = second.communicate(timeout=300)[0]
    finally:
        if second.poll() is None:
            second.kill()
            second.communicate()
    assert second.returncode == 0 and "Handled 1 job(s)." in output, output

    retried = job()
    assert (retried.state, retried.attempts) == ("done", 2)  # the retry after the lease expired wrote the score
    assert retried.lease_owner.split(":")[1] == str(second.pid)
    assert score_rows(hub, made.id) == [(1, True)]
    with hub.session() as session:
        assert session.scalars(select(SubmissionScoreRow.job_id)).all() == [retried.id]
    (scored,) = hub.submissions(BENCH, user="admin", phase="test")
    assert scored.status == "scored", scored.error
    public, private = expected_accuracy(hub, tiny_bert, test, tmp_path)
    assert scored.public_metrics["accuracy"]["value"] == pytest.approx(public)
    assert scored.private_metrics["accuracy"]["value"] == pytest.approx(private)
    measured = scored.measurements
    assert measured["latency_ms"] > 0 and measured["throughput"] > 0 and measured["peak_memory_mb"] > 100
    assert 0 <= measured["flip_rate"] <= 1
    # Neither run left anything beside the model: the killed one's folder is gone too.
    assert left_behind(hub, BENCH) == [submission_folder.name] and run_folders() == []
