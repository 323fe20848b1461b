"""Submissions and scoring under concurrency, on SQLite and PostgreSQL: bursts never exceed a limit,
a repeated idempotency key makes one submission, each job is claimed once, and the job of a killed
worker is finished by another, once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from benchhub.competitions.queue import PAUSE_VARIABLE, Claim, claim, complete
from benchhub.competitions.scoring import score_submission
from benchhub.errors import LimitExceededError
from benchhub.store.tables import (
    BenchmarkMemberRow,
    ScoringJobRow,
    SubmissionRow,
    SubmissionScoreRow,
)
from tests.fixtures.benchmarks import (
    BENCHMARK,
    count,
    job_rows,
    make_benchmark,
    score_rows,
    submission_rows,
)


def burst(n: int, action: Callable[[int], Any]) -> list[Any]:
    """Runs `action(i)` in n threads released together; returns each result or the exception it raised."""
    start = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = action(i)
        except Exception as exc:  # noqa: BLE001
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def test_a_burst_of_50_submissions_at_a_limit_of_5_a_day_accepts_exactly_5(open_hub, tmp_path):
    setup = make_benchmark(open_hub(), tmp_path / "files", settings={"max_per_day": 5})
    hub, file = setup.hub, setup.predictions()
    results = burst(50, lambda i: hub.submit(BENCHMARK, file, user="alice", phase="test"))
    kinds = Counter(type(result).__name__ for result in results)
    assert kinds == {"Submission": 5, "LimitExceededError": 45}, [r for r in results if not isinstance(r, (LimitExceededError,))]
    assert all("the limit is 5 a day" in str(r) for r in results if isinstance(r, LimitExceededError))
    assert submission_rows(hub) == 5 and job_rows(hub) == 5
    assert len({r.id for r in results if not isinstance(r, Exception)}) == 5
    # Refused submissions leave no file behind.
    assert len([p for p in hub.artifacts.path("submissions").rglob("*") if p.is_file()]) == 5


def test_concurrent_repeats_of_one_idempotency_key_make_one_submission(open_hub, tmp_path):
    setup = make_benchmark(open_hub(), tmp_path / "files", settings={"max_per_day": 2})
    hub, file = setup.hub, setup.predictions()
    # bob is no member yet: every request also races to enrol him.
    results = burst(20, lambda i: hub.submit(BENCHMARK, file, user="bob", phase="test", idempotency_key="nightly-7"))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.id for r in results}) == 1
    assert submission_rows(hub) == 1 and job_rows(hub) == 1
    assert count(hub, BenchmarkMemberRow, BenchmarkMemberRow.role == "participant") == 1
    # Only one was charged: bob may still submit once more today.
    hub.submit(BENCHMARK, file, user="bob", phase="test")


def test_concurrent_workers_claim_each_job_once(open_hub, tmp_path):
    setup = make_benchmark(open_hub(), tmp_path / "files", settings={"max_per_day": None})
    hub, file = setup.hub, setup.predictions()
    for _ in range(12):
        hub.submit(BENCHMARK, file, user="alice", phase="test")

    def drain(i: int) -> list[int]:
        taken = []
        with hub.session() as session:
            while (job := claim(session, f"worker-{i}", lease_seconds=60)) is not None:
                taken.append(job.job_id)
        return taken

    results = burst(6, drain)
    claimed = [job for taken in results for job in taken]
    assert sorted(claimed) == list(range(1, 13)), results
    with hub.session() as session:
        assert set(session.scalars(select(ScoringJobRow.state))) == {"running"}
        assert set(session.scalars(select(ScoringJobRow.attempts))) == {1}


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def worker(env: dict[str, str], lease_seconds: float = 5) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "benchhub", "worker", "--once", "--lease-seconds", str(lease_seconds)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_worker_scoring_longer_than_its_lease_keeps_the_job(open_hub, tmp_path, database_url):
    """The lease is renewed every third of it while the worker scores: no other worker takes the job over."""
    setup = make_benchmark(open_hub(), tmp_path / "files")
    hub = setup.hub
    submitted = hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")
    env = {**os.environ, "BENCHHUB_HOME": str(hub.config.home), "BENCHHUB_DATABASE_URL": database_url}
    slow = worker({**env, PAUSE_VARIABLE: "6"}, lease_seconds=1.5)  # scoring takes 4 leases
    with hub.session() as session:
        wait_for(lambda: session.scalar(select(ScoringJobRow.state).execution_options(populate_existing=True)) == "running",
                 60, "the worker to claim the job")
    refused = 0
    while slow.poll() is None:
        with hub.session() as session:
            taken = claim(session, "impatient", lease_seconds=5)
        assert taken is None, "the job was taken over while its worker was still scoring"
        refused += 1
        time.sleep(0.5)
    out, err = slow.communicate(timeout=30)
    assert slow.returncode == 0 and "Handled 1 job(s)." in err, err
    assert refused >= 8  # tried over the whole 6 s, well past the first lease
    with hub.session() as session:
        assert session.execute(select(ScoringJobRow.state, ScoringJobRow.attempts)).one() == ("done", 1)
    assert score_rows(hub, submitted.id) == [(1, True)]


def test_the_job_of_a_killed_worker_is_finished_once_by_another_after_its_lease(open_hub, tmp_path, database_url):
    setup = make_benchmark(open_hub(), tmp_path / "files")
    hub = setup.hub
    submitted = hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")
    env = {**os.environ, "BENCHHUB_HOME": str(hub.config.home), "BENCHHUB_DATABASE_URL": database_url}

    def job() -> ScoringJobRow:
        with hub.session() as session:
            return session.scalar(select(ScoringJobRow))

    doomed = worker({**env, PAUSE_VARIABLE: "120"})  # claims, then sleeps where it would score
    try:
        held = wait_for(lambda: (j := job()).state == "running" and j, 60, "the first worker to claim the job")
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.communicate(timeout=30)
    assert doomed.returncode == -signal.SIGKILL
    assert (held.attempts, job().state) == (1, "running")
    assert score_rows(hub, submitted.id) == []

    with hub.session() as session:  # while the lease lasts, no other worker gets the job
        assert claim(session, "impatient", lease_seconds=5) is None
    wait_for(lambda: datetime.now(timezone.utc) > held.lease_expires_at, 10, "the lease to expire")
    rescuer = worker(env)
    out, err = rescuer.communicate(timeout=120)
    assert rescuer.returncode == 0, err
    assert "Handled 1 job(s)." in err
    done = job()
    assert (done.state, done.attempts) == ("done", 2) and done.lease_owner != held.lease_owner
    assert score_rows(hub, submitted.id) == [(1, True)]
    assert hub.submissions(BENCHMARK, user="alice")[0].status == "scored"

    # Had the killed worker come back with a score, it would have written nothing.
    with hub.session() as session:
        late = Claim(held.id, submitted.id, held.lease_owner, 1)  # the first worker's claim, as it held it
        scores = score_submission(session, hub.artifacts, session.get(SubmissionRow, submitted.id))
        assert complete(session, late, scores) is False
    assert count(hub, SubmissionScoreRow) == 1


def test_fifty_concurrent_http_submissions_at_a_limit_of_five(open_hub, database_url, tmp_path, monkeypatch):
    """Over HTTP against a live server: exactly 5 answered 201, 45 answered 429, 5 rows."""
    import asyncio

    import httpx

    from tests.browser_support import live_server
    from tests.fixtures.benchmarks import BENCHMARK, make_benchmark

    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    hub = open_hub()
    setup = make_benchmark(hub, tmp_path / "files", settings={"max_per_day": 5})
    token = hub.create_token("alice")[1]
    content = setup.predictions().read_bytes()

    async def burst(url: str) -> list[int]:
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            async def one() -> int:
                response = await client.post(f"/api/benchmarks/{BENCHMARK}/submissions", data={"phase": "test"},
                                             files={"file": ("p.jsonl", content)}, headers={"Authorization": f"Bearer {token}"})
                return response.status_code
            return await asyncio.gather(*(one() for _ in range(50)))

    with live_server(hub.config) as url:
        statuses = asyncio.run(burst(url))
    assert sorted(statuses) == [201] * 5 + [429] * 45
    assert len(hub.submissions(BENCHMARK, user="alice")) == 5
