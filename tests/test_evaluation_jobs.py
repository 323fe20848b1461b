"""Evaluation through the hub: jobs asked for over the API, queued fairly, run by workers in processes of their own
under time and memory limits, cancelled by their owners, retried when a worker dies, written once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from benchhub.evaluation import jobs as job_service
from benchhub.evaluation.job_process import FAULT_VARIABLE
from benchhub.server.app import create_app
from benchhub.server.in_process_scoring import WorkerSettings
from benchhub.store.tables import EvaluationJobRow, EvaluationRow, UserRow, utcnow
from tests.conftest import review_rows, write_jsonl
from tests.fixtures.benchmarks import make_benchmark
from tests.test_submission_concurrency import wait_for

MODELS = ["baseline:majority", "baseline:tfidf-logreg"]


@pytest.fixture
def setup(open_hub, tmp_path):
    """The sentiment benchmark's hub (admin, alice, bob; `reviews` with a hidden test split), plus `open` (train and
    test, hidden by nothing), a reader `rita`, and an API client with a token per user; no in-process worker."""
    hub = open_hub()
    make_benchmark(hub, tmp_path / "files")
    hub.add_dataset("open", id_column="id", splits={
        "train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
        "test": write_jsonl(tmp_path / "test.jsonl", review_rows(30, seed=3, prefix="test"))})
    hub.create_user("rita", role="reader")
    tokens = {name: {"Authorization": f"Bearer {hub.create_token(name)[1]}"} for name in ("admin", "alice", "bob", "rita")}
    with TestClient(create_app(hub.config, scoring=WorkerSettings(enabled=False))) as client:
        yield hub, client, tokens


def _jobs(hub, *where):
    with hub.session() as session:
        return session.scalars(select(EvaluationJobRow).where(*where).order_by(EvaluationJobRow.id)).all()


def test_a_member_evaluates_through_the_api_and_the_result_is_the_one_the_cli_would_store(setup):
    hub, client, tokens = setup
    asked = client.post("/api/evaluations", headers=tokens["alice"], json={"models": MODELS, "datasets": ["open"]})
    assert asked.status_code == 202, asked.text
    batch, jobs = asked.json()["batch"], asked.json()["jobs"]
    assert asked.headers["location"] == f"/api/jobs?batch={batch}"
    assert [(j["model"], j["state"], j["position"]) for j in jobs] == [(MODELS[0], "queued", 0), (MODELS[1], "queued", 1)]
    assert hub.run_worker(once=True) == 2
    done = client.get(f"/api/jobs?batch={batch}", headers=tokens["alice"]).json()
    assert [(j["model"], j["state"], j["attempts"], j["cached"]) for j in done] == [(MODELS[1], "done", 1, False),
                                                                                     (MODELS[0], "done", 1, False)]
    assert all(j["examples_done"] == j["examples_total"] == 30 and j["error"] is None for j in done)
    assert all(j["peak_memory_mb"] > 10 for j in done)
    for job in done:
        evaluation = client.get(f"/api/evaluations/{job['evaluation_id']}", headers=tokens["alice"]).json()
        assert (evaluation["model"], evaluation["dataset"], evaluation["split"]) == (job["model"], "open", "test")
        assert hub.evaluate(model=job["model"], dataset="open", progress=False).id == job["evaluation_id"]  # one stored result
    board = client.get("/api/leaderboards/open").json()
    assert {row["model"] for row in board["rows"]} >= set(MODELS)
    # Asking again: the stored results answer at once, and no worker is needed.
    again = client.post("/api/evaluations", headers=tokens["bob"], json={"models": MODELS, "datasets": ["open"]}).json()["jobs"]
    assert [(j["state"], j["cached"], j["evaluation_id"]) for j in again] == [("done", True, j["evaluation_id"]) for j in done[::-1]]
    # A job is its owner's: another user sees no such job; an admin sees everyone's.
    assert client.get(f"/api/jobs/{done[0]['id']}", headers=tokens["bob"]).status_code == 404
    assert len(client.get("/api/jobs?all=true", headers=tokens["admin"]).json()) == 4
    assert len(client.get("/api/jobs?all=true", headers=tokens["bob"]).json()) == 2  # all=true is for admins


def test_requests_are_checked_whole_before_anything_is_queued(setup, monkeypatch):
    hub, client, tokens = setup

    def refused(token, body, status, start):
        answer = client.post("/api/evaluations", headers=tokens[token] if token else {}, json=body)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["message"].startswith(start), answer.json()["error"]["message"]

    refused(None, {"models": MODELS, "datasets": ["open"]}, 401, "")
    refused("rita", {"models": MODELS, "datasets": ["open"]}, 403, "User 'rita' is a reader of this hub; an admin can make")
    refused("alice", {"models": MODELS, "datasets": ["reviews"]}, 403,
            "You cannot evaluate on reviews/test: labels of reviews/test are hidden by benchmark sentiment")
    refused("alice", {"models": [*MODELS, "nope"], "datasets": ["open"]}, 404, "No model named 'nope'")
    refused("alice", {"models": MODELS, "datasets": ["open"], "split": "dev"}, 404, "")
    refused("alice", {"models": MODELS, "datasets": ["open"], "batch_size": 0}, 422, "")
    refused("alice", {"models": MODELS, "datasets": ["open"], "memory_limit_mb": 8}, 422, "")
    refused("alice", {"models": MODELS, "datasets": ["open"], "settings": {"max_length": "long"}}, 422,
            "settings.max_length must be an int")
    refused("alice", {"models": MODELS, "datasets": ["open"], "settings": {"max_length": ["a"] * 17}}, 422, "")
    refused("alice", {"models": MODELS, "datasets": ["open"], "settings": {"max_length": "x" * 4001}}, 422, "")
    refused("alice", {"models": MODELS, "datasets": ["open"], "settings": {"doc_stride": 64}}, 422,
            "settings.doc_stride does not apply to text-classification; its settings are settings.max_length.")
    with monkeypatch.context() as patched:
        patched.setattr(job_service, "MAX_QUEUED_PER_USER", 1)
        refused("alice", {"models": MODELS, "datasets": ["open"]}, 429, "User 'alice' has 0 evaluation jobs queued or running;")
    assert _jobs(hub) == []
    # The admin (a maintainer) may evaluate on the hidden split; the public dev split is open to everyone.
    assert client.post("/api/evaluations", headers=tokens["admin"], json={"models": MODELS[:1], "datasets": ["reviews"]}).status_code == 202
    assert client.post("/api/evaluations", headers=tokens["alice"],
                       json={"models": MODELS[:1], "datasets": ["reviews"], "split": "dev"}).status_code == 202
    # A reader made a member may start evaluations.
    hub.set_user("rita", role="member")
    assert client.post("/api/evaluations", headers=tokens["rita"], json={"models": MODELS, "datasets": ["open"]}).status_code == 202


def test_a_quota_of_evaluation_time_counts_what_ran_not_what_was_cancelled(setup):
    hub, client, tokens = setup
    hub.set_user("alice", evaluation_quota_hours=1)
    first = client.post("/api/evaluations", headers=tokens["alice"], json={"models": MODELS, "datasets": ["open"]}).json()["jobs"]
    cancelled = client.post(f"/api/jobs/{first[0]['id']}/cancel", headers=tokens["alice"]).json()
    assert (cancelled["state"], cancelled["error"]) == ("cancelled", "cancelled by alice")
    assert client.post(f"/api/jobs/{first[0]['id']}/cancel", headers=tokens["alice"]).status_code == 409
    with hub.session() as session:  # the other job ran for an hour and a half
        row = session.get(EvaluationJobRow, first[1]["id"])
        row.state, row.started_at, row.finished_at = "done", utcnow() - timedelta(minutes=100), utcnow() - timedelta(minutes=10)
        cancelled_row = session.get(EvaluationJobRow, first[0]["id"])
        cancelled_row.started_at = utcnow() - timedelta(hours=5)  # a cancelled job never counts
        session.commit()
        assert job_service.used_evaluation_seconds(session, session.scalar(select(UserRow).where(UserRow.name == "alice"))) \
            == pytest.approx(90 * 60, abs=5)
    over = client.post("/api/evaluations", headers=tokens["alice"], json={"models": MODELS, "datasets": ["open"]})
    assert over.status_code == 429
    assert over.json()["error"]["message"].startswith("User 'alice' has used 1.5 of their 1 hours of evaluation time in the last 7 days")
    hub.set_user("alice", evaluation_quota_hours=2)
    queued = client.post("/api/evaluations", headers=tokens["alice"], json={"models": MODELS, "datasets": ["open"]}).json()["jobs"]
    assert [job["state"] for job in queued] == ["queued", "queued"]
    # The quota is checked again when a job would start: time used up while it waited ends it, saying why.
    hub.set_user("alice", evaluation_quota_hours=1)
    with hub.session() as session:
        assert job_service.claim_job(session, "worker", lease_seconds=60) is None
    ended = [client.get(f"/api/jobs/{job['id']}", headers=tokens["alice"]).json() for job in queued]
    assert [job["state"] for job in ended] == ["failed", "failed"]
    assert ended[0]["error"] == ("not started: alice's evaluation time for the last 7 days is used up (1.5 of 1 hours); "
                                 "ask again later, or ask an admin for more")


def test_jobs_are_taken_round_robin_so_a_single_job_is_not_stuck_behind_a_matrix(setup):
    hub, _, _ = setup
    with hub.session() as session:
        users = {user.name: user.id for user in session.scalars(select(UserRow))}
        now = utcnow()
        for user, count in (("admin", 50), ("alice", 5), ("bob", 1)):  # all at once, the matrix first
            session.add_all(EvaluationJobRow(
                owner_id=users[user], queue_key=f"user:{users[user]}", batch=user, model=MODELS[0], dataset="open",
                split="test", batch_size=32, settings={}, state="queued", attempts=0, max_attempts=3,
                time_limit_seconds=60, memory_limit_mb=1024, cancel_requested=False, examples_done=0, cached=False,
                created_at=now) for _ in range(count))
        session.commit()
        listed = job_service.list_jobs(session, session.get(UserRow, users["admin"]), everyone=True)
    # Where each job stands, as the round-robin will take them: the matrix's first job, then alice's, then bob's ...
    positions = {(job.batch, job.id): job.position for job in listed}
    first = {batch: min(job_id for name, job_id in positions if name == batch) for batch in ("admin", "alice", "bob")}
    assert [positions[batch, first[batch]] for batch in ("admin", "alice", "bob")] == [0, 1, 2]
    assert sorted(positions.values()) == list(range(56))
    assert positions["admin", first["admin"] + 5] == 3 + 4 * 2  # its 6th job: after a round of 3, then 4 rounds of 2
    order = []
    with hub.session() as session:
        for turn in range(12):
            claim = job_service.claim_job(session, f"worker-{turn}", lease_seconds=60, now=utcnow() + timedelta(seconds=turn))
            order.append(session.get(EvaluationJobRow, claim.job_id).batch)
    # The single job starts third, not 51st; the two queues that remain alternate.
    assert order == ["admin", "alice", "bob", "admin", "alice", "admin", "alice", "admin", "alice", "admin", "alice", "admin"]


def test_next_in_turn_is_round_robin_by_last_start():
    early, late = utcnow() - timedelta(minutes=5), utcnow()
    candidates = [(1, "user:1"), (2, "user:1"), (7, "user:2"), (9, "user:3")]
    assert job_service.next_in_turn(candidates, {"user:1": late, "user:2": early, "user:3": None}) == 9  # never started: first
    assert job_service.next_in_turn(candidates, {"user:1": late, "user:2": early, "user:3": late}) == 7  # longest ago next
    assert job_service.next_in_turn(candidates, {}) == 1  # ties: the oldest job


def _run_worker_in_thread(hub):
    stop = threading.Event()
    thread = threading.Thread(target=lambda: _work_until(hub, stop), daemon=True)
    thread.start()
    return stop, thread


def _work_until(hub, stop):
    from benchhub.competitions.queue import worker_name
    from benchhub.evaluation import job_process

    name = worker_name()
    while not stop.is_set():
        if not job_process.work_once(hub.config, hub._sessions, worker=name, lease_seconds=2.0):
            stop.wait(0.1)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_limits_and_cancelling_stop_the_jobs_process_and_say_why(setup, monkeypatch):
    hub, client, tokens = setup

    def ask(**extra):
        body = {"models": MODELS[:1], "datasets": ["open"], **extra}
        answer = client.post("/api/evaluations", headers=tokens["alice"], json=body)
        assert answer.status_code == 202, answer.text
        return answer.json()["jobs"][0]["id"]

    monkeypatch.setenv(FAULT_VARIABLE, "sleep:60")
    slow = ask(time_limit_seconds=4)
    stop, thread = _run_worker_in_thread(hub)
    try:
        job = wait_for(lambda: (j := client.get(f"/api/jobs/{slow}", headers=tokens["alice"]).json())["state"] == "failed" and j,
                    60, "the time limit")
        assert job["error"] == "stopped: it ran longer than the job's time limit of 4 s"
        monkeypatch.setenv(FAULT_VARIABLE, "allocate:1500")
        big = ask(memory_limit_mb=1024)
        job = wait_for(lambda: (j := client.get(f"/api/jobs/{big}", headers=tokens["alice"]).json())["state"] == "failed" and j,
                    60, "the memory limit")
        assert job["error"].startswith("stopped: it used ") and job["error"].endswith("over the job's limit of 1,024 MB")
        assert job["peak_memory_mb"] > 1024
        monkeypatch.setenv(FAULT_VARIABLE, "sleep:60")
        running = ask()
        wait_for(lambda: client.get(f"/api/jobs/{running}", headers=tokens["alice"]).json()["examples_done"] > 0, 60, "progress")
        seen = client.get(f"/api/jobs/{running}", headers=tokens["alice"]).json()
        assert seen["state"] == "running" and seen["rate_per_second"] > 0 and seen["seconds_left"] > 0
        assert client.post(f"/api/jobs/{running}/cancel", headers=tokens["alice"]).json()["cancel_requested"] is True
        job = wait_for(lambda: (j := client.get(f"/api/jobs/{running}", headers=tokens["alice"]).json())["state"] == "cancelled" and j,
                    30, "the cancel")
        assert job["error"] == "cancelled by its owner while it ran" and job["evaluation_id"] is None
    finally:
        stop.set()
        thread.join(30)
    assert _evaluations(hub) == 0  # none of them stored a result


def _evaluations(hub):
    with hub.session() as session:
        return session.scalar(select(func.count()).select_from(EvaluationRow).where(EvaluationRow.split == "test"))


def test_a_crashed_process_is_retried_and_a_killed_worker_loses_its_job_to_another_written_once(setup, database_url):
    hub, client, tokens = setup
    env = {**os.environ, FAULT_VARIABLE: "crash-first"}
    job = client.post("/api/evaluations", headers=tokens["alice"], json={"models": MODELS[:1], "datasets": ["open"]}).json()["jobs"][0]
    worker = subprocess.run([sys.executable, "-m", "benchhub", "worker", "--once", "--lease-seconds", "2", "--poll-seconds", "0.2"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert worker.returncode == 0, worker.stderr
    done = client.get(f"/api/jobs/{job['id']}", headers=tokens["alice"]).json()
    assert (done["state"], done["attempts"]) == ("done", 2) and done["evaluation_id"] is not None
    # kill -9 of a worker mid-job: its process stops too, and another worker runs the job once its lease expires.
    job = client.post("/api/evaluations", headers=tokens["alice"], json={"models": MODELS[1:], "datasets": ["open"]}).json()["jobs"][0]
    env[FAULT_VARIABLE] = "sleep:30"
    doomed = subprocess.Popen([sys.executable, "-m", "benchhub", "worker", "--lease-seconds", "2", "--poll-seconds", "0.2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: _jobs(hub, EvaluationJobRow.id == job["id"])[0].examples_done > 0, 120, "the job to run")
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(30)
    wait_for(lambda: not _job_processes(str(hub.config.home)), 10, "the orphaned job process to stop")
    del env[FAULT_VARIABLE]
    wait_for(lambda: _jobs(hub, EvaluationJobRow.id == job["id"])[0].lease_expires_at < utcnow(), 10, "its lease to expire")
    again = subprocess.run([sys.executable, "-m", "benchhub", "worker", "--once", "--lease-seconds", "2", "--poll-seconds", "0.2"],
                           env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    finished = _jobs(hub, EvaluationJobRow.id == job["id"])[0]
    assert (finished.state, finished.attempts) == ("done", 2)
    with hub.session() as session:
        stored = session.scalars(select(EvaluationRow).where(EvaluationRow.split == "test")).all()
    assert sorted(row.id for row in stored) == sorted([done["evaluation_id"], finished.evaluation_id])  # each written once


def _job_processes(home: str) -> list[int]:
    """Living processes spawned for this hub's jobs (their parent may be gone): a spawn command line, this hub's home."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read()
            with open(f"/proc/{entry}/environ", "rb") as handle:
                environment = handle.read().split(b"\0")
            with open(f"/proc/{entry}/stat") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"multiprocessing" in command and f"BENCHHUB_HOME={home}".encode() in environment and state != "Z":
            found.append(int(entry))
    return found


def test_going_down_to_0010_and_up_again_keeps_every_user_their_tokens_and_submissions(database_url, open_hub, tmp_path):
    from alembic import command

    from benchhub.store.database import create_hub_engine
    from tests.fixtures.benchmarks import BENCHMARK
    from tests.test_store import alembic_config, query

    hub = open_hub()
    setup = make_benchmark(hub, tmp_path / "files")
    hub.create_user("rita", role="reader")
    _, token = hub.create_token("alice")
    made = hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")
    assert hub.run_worker(once=True) == 1
    engine = create_hub_engine(database_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
    engine.dispose()
    assert query(database_url, "SELECT version_num FROM alembic_version") == [("0010",)]
    assert query(database_url, "SELECT count(*) FROM api_tokens") == [(1,)]
    assert query(database_url, "SELECT count(*) FROM submission_scores") == [(1,)]  # no cascade from a copied table
    again = open_hub()  # upgrades: everyone is a member of the catalog (reader rita was made after 0010 existed)
    assert query(database_url, "SELECT version_num FROM alembic_version") == [("0013",)]
    assert {user.name: user.role for user in again.users()} == {"admin": "admin", "alice": "member", "bob": "member",
                                                                "rita": "member"}
    assert [s.id for s in again.submissions(BENCHMARK, user="alice")] == [made.id]
    assert again.request_evaluations(user="alice", models=MODELS[:1], datasets=["reviews"], split="dev")[0].state == "queued"
    assert token.startswith("bh_")


def test_the_web_evaluates_follows_and_cancels_jobs_and_uploads_for_members_only(setup, tmp_path):
    from benchhub.server.sessions import CSRF_COOKIE
    from tests.fixtures.browser import signed_in

    hub, _, _ = setup
    app = create_app(hub.config, scoring=WorkerSettings(enabled=False))
    tokens = {name: hub.create_token(name)[1] for name in ("alice", "rita")}
    with TestClient(app) as anonymous, TestClient(app) as alice_client, TestClient(app) as rita_client:
        assert anonymous.get("/jobs", follow_redirects=False).status_code == 401
        alice, rita = signed_in(alice_client, tokens["alice"]), signed_in(rita_client, tokens["rita"])
        form = alice.get("/evaluate?model=baseline:majority&dataset=open").text
        assert '<option value="baseline:majority" selected>' in form and '<option value="open" selected>' in form
        assert '<a href="/jobs">Jobs</a>' in form
        asked = alice.post("/evaluate", data={"csrf": alice.cookies[CSRF_COOKIE], "models": MODELS, "datasets": ["open"],
                                              "split": "test"}, follow_redirects=False)
        assert asked.status_code == 303 and asked.headers["location"].startswith("/jobs?batch=")
        page = alice.get(asked.headers["location"]).text
        assert "Queued 2 evaluation job(s)." in page and page.count('data-state="queued"') == 2 and "(position 1)" in page
        first = _jobs(hub)[0].id
        cancelled = alice.post(f"/jobs/{first}/cancel", data={"csrf": alice.cookies[CSRF_COOKIE]}, follow_redirects=True)
        assert f"Job {first}: Cancelled." in cancelled.text and 'data-state="cancelled"' in cancelled.text
        shown = alice.get(f"/jobs/{first}").text
        assert "<h1>Evaluation job" in shown and "cancelled by alice" in shown and "3600 s, 8192 MB of memory" in shown
        assert rita.get(f"/jobs/{first}").status_code == 404  # another user's job
        forged = alice.post(f"/jobs/{first + 1}/cancel", data={"csrf": "forged"}, follow_redirects=False)
        assert forged.status_code == 403 and _jobs(hub)[1].state == "queued"
        hidden = alice.post("/evaluate", data={"csrf": alice.cookies[CSRF_COOKIE], "models": MODELS[:1], "datasets": ["reviews"]},
                            follow_redirects=True)
        assert "You cannot evaluate on reviews/test: labels of reviews/test are hidden by benchmark sentiment" in hidden.text
        padded = alice.post("/evaluate", data={"csrf": alice.cookies[CSRF_COOKIE], "models": MODELS[:1], "datasets": ["reviews"],
                                               "split": " test "}, follow_redirects=True)  # the split checked is the one run
        assert "You cannot evaluate on reviews/test: labels of reviews/test are hidden" in padded.text and len(_jobs(hub)) == 2
        assert "You are a reader of this hub" in rita.get("/evaluate").text and "You are a reader" in rita.get("/upload").text
        refused = rita.post("/evaluate", data={"csrf": rita.cookies[CSRF_COOKIE], "models": MODELS, "datasets": ["open"]},
                            follow_redirects=True)
        assert "User &#39;rita&#39; is a reader of this hub" in refused.text and len(_jobs(hub)) == 2
        predictions = "".join(json.dumps({"id": row["id"], "label": row["label"]}) + "\n"
                              for row in review_rows(30, seed=3, prefix="test"))
        made = alice.post("/upload/model", data={"csrf": alice.cookies[CSRF_COOKIE], "name": "oracle"},
                          files={"file": ("oracle.jsonl", predictions)}, follow_redirects=False)
        assert made.status_code == 303 and made.headers["location"] == "/models/oracle"
        assert "Evaluate this model on a dataset" in alice.get("/models/oracle").text
        hub.evaluate(model="oracle", dataset="open", progress=False)
        card = anonymous.get("/models/oracle/card.md")
        assert card.headers["content-disposition"] == 'attachment; filename="oracle.README.md"'
        assert card.text.startswith("---\nmodel-index:") and "| open | test | text-classification | accuracy | 1.0000 | [1.0000, 1.0000] |" in card.text
        # Predictions on the hidden split are its labels: that model's card is for the benchmark's maintainers.
        hub.add_model("guess", write_jsonl(tmp_path / "guess.jsonl", [{"id": row["id"], "label": "positive"}
                                                                      for row in review_rows(40, seed=2, prefix="test")]))
        hub.evaluate(model="guess", dataset="reviews", split="test", progress=False)
        refused_card = anonymous.get("/models/guess/card.md")
        assert refused_card.status_code == 403, refused_card.text
        bad = alice.post("/upload/model", data={"csrf": alice.cookies[CSRF_COOKIE], "name": "oracle"},
                         files={"file": ("oracle.jsonl", predictions)}, follow_redirects=True)
        assert "A model named &#39;oracle&#39; already exists" in bad.text
