"""Hosted benchmarks: creation and roles, the public/private split, submission checks and limits,
idempotency, scoring by workers, rescoring, closing, final selections, moderation, and hidden labels."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from benchhub.accounts import users as accounts_service
from benchhub.competitions import scoring as submission_scoring
from benchhub.competitions.benchmarks import PhaseSpec, may_see_labels, public_mask
from benchhub.competitions.queue import claim, complete
from benchhub.competitions.submissions import score_history
from benchhub.errors import (
    ConflictError,
    InvalidInputError,
    LimitExceededError,
    NameTakenError,
    NotFoundError,
    PermissionDeniedError,
    PredictionsFormatError,
    SplitNotFoundError,
)
from benchhub.store.tables import (
    BenchmarkMemberRow,
    BenchmarkRow,
    ScoringJobRow,
    SubmissionRow,
    SubmissionScoreRow,
)
from tests.conftest import review_rows, write_jsonl
from tests.fixtures.benchmarks import (
    BENCHMARK,
    count,
    dump,
    job_rows,
    make_benchmark,
    score_rows,
    submission_rows,
)

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def setup(open_hub, tmp_path):
    return make_benchmark(open_hub(), tmp_path / "files")


@pytest.fixture
def strict(open_hub, tmp_path):
    """A benchmark with one submission a day per user and phase."""
    return make_benchmark(open_hub(), tmp_path / "files", settings={"max_per_day": 1})


def test_a_benchmark_is_hosted_from_a_registered_dataset_with_phases_roles_and_an_audit_trail(setup):
    hub = setup.hub
    bench = hub.benchmark(BENCHMARK)
    assert (bench.title, bench.dataset, bench.task, bench.primary_metric, bench.created_by) == (
        "Sentiment", "reviews", "text-classification", "macro_f1", "admin")
    assert [(p.name, p.split, p.labels_public, p.is_open) for p in bench.phases] == [
        ("dev", "dev", True, True), ("test", "test", False, True)]
    assert bench.settings["max_per_day"] == 5 and bench.settings["final_selections"] == 2
    with hub.session() as session:
        seed = session.scalar(select(BenchmarkRow.split_seed))
    assert len(seed) == 32 and seed not in dump(bench)

    with pytest.raises(PermissionDeniedError, match=r"^Only maintainers of benchmark 'sentiment' \(or admins\) may add members; user 'alice'"):
        hub.add_member(BENCHMARK, "bob", user="alice", role="maintainer")
    hub.add_member(BENCHMARK, "bob", user="admin", role="maintainer")
    assert hub.close_phase(BENCHMARK, "dev", user="bob").is_open is False
    with pytest.raises(ConflictError, match=r"^Phase 'dev' of benchmark 'sentiment' was closed already, at "):
        hub.close_phase(BENCHMARK, "dev", user="bob")
    with pytest.raises(PermissionDeniedError, match="may close a phase; user 'alice' is not one"):
        hub.close_phase(BENCHMARK, "test", user="alice")
    with pytest.raises(PermissionDeniedError, match=r"^Only admins may create benchmarks; user 'bob' is not an admin\.$"):
        hub.create_benchmark("other", dataset="reviews", phases=[PhaseSpec("test", "test")], user="bob")
    with pytest.raises(NameTakenError, match="A benchmark named 'sentiment' already exists"):
        hub.create_benchmark(BENCHMARK, dataset="reviews", phases=[PhaseSpec("test", "test")], user="admin")
    with pytest.raises(PermissionDeniedError, match="may read the audit log"):
        hub.audit_log(BENCHMARK, user="alice")

    log = hub.audit_log(BENCHMARK, user="bob")
    assert [(entry.user, entry.action) for entry in log] == [
        ("admin", "create_benchmark"), ("admin", "add_member"), ("bob", "close_phase")]
    assert log[0].details["phases"][1] == {"name": "test", "split": "test", "labels_public": False, "opens_at": None, "closes_at": None}
    assert log[1].details == {"user": "bob", "role": "maintainer"} and log[2].details == {"phase": "dev"}
    assert seed not in json.dumps([entry.to_dict() for entry in log])


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"primary_metric": "bleu"}, InvalidInputError, r"Primary metric 'bleu' is not reported for this dataset; choose one of \['accuracy'"),
        ({"phases": [PhaseSpec("test", "validation")]}, SplitNotFoundError, r"Dataset 'reviews' has no split 'validation'"),
        ({"phases": []}, InvalidInputError, r"A benchmark needs at least one phase"),
        ({"phases": [PhaseSpec("test", "test"), PhaseSpec("test", "dev")]}, InvalidInputError, r"Phase 'test' is given twice"),
        ({"phases": [PhaseSpec("test", "test", opens_at=datetime(2030, 1, 1))]}, InvalidInputError, r"opens_at must be timezone-aware"),
        ({"phases": [PhaseSpec("test", "test", opens_at=datetime(2030, 1, 2, tzinfo=timezone.utc),
                               closes_at=datetime(2030, 1, 1, tzinfo=timezone.utc))]}, InvalidInputError, r"closes \(2030-01-01T00:00:00\+00:00\) before it opens"),
        ({"phases": [PhaseSpec("test", "tiny")]}, InvalidInputError, r"Split 'tiny' \(1 examples\) is too small to cut into a public and a private half"),
        ({"settings": {"max_per_day": 0}}, InvalidInputError, r"Setting 'max_per_day' must be an int in the range \[1, 100000\] or null for no limit\. Got 0 instead\."),
        ({"settings": {"public_fraction": 1.5}}, InvalidInputError, r"'public_fraction' must be a number in the range \(0, 1\)\. Got 1\.5"),
        ({"settings": {"max_per_dya": 3}}, InvalidInputError, r"Unknown benchmark setting 'max_per_dya'; the settings are \["),
        ({"name": "no spaces"}, InvalidInputError, r"Benchmark name 'no spaces' is not allowed"),
    ],
    ids=["unknown-metric", "unknown-split", "no-phases", "phase-twice", "naive-time", "closes-before-opens", "split-too-small",
         "limit-zero", "fraction-over-one", "unknown-setting", "bad-name"],
)
def test_a_benchmark_needs_a_known_metric_labelled_splits_and_sound_settings(open_hub, tmp_path, change, error, message):
    hub = open_hub()
    hub.create_user("admin", admin=True)
    files = {"dev": write_jsonl(tmp_path / "dev.jsonl", review_rows(10, seed=1, prefix="dev")),
             "test": write_jsonl(tmp_path / "test.jsonl", review_rows(20, seed=2, prefix="test")),
             "tiny": write_jsonl(tmp_path / "tiny.jsonl", review_rows(1, seed=3, prefix="tiny"))}
    hub.add_dataset("reviews", splits=files, id_column="id")
    arguments = {"name": "bench", "dataset": "reviews", "phases": [PhaseSpec("test", "test")], **change}
    with pytest.raises(error, match=message):
        hub.create_benchmark(arguments.pop("name"), user="admin", **arguments)
    with hub.session() as session:
        assert session.scalar(select(BenchmarkRow)) is None


@SQLITE_ONLY
def test_a_phase_takes_submissions_only_between_its_opening_and_closing_times(setup):
    hub, now = setup.hub, datetime.now(timezone.utc)
    hub.create_benchmark("timed", dataset="reviews", user="admin", phases=[
        PhaseSpec("past", "test", closes_at=now - timedelta(minutes=1)),
        PhaseSpec("future", "test", opens_at=now + timedelta(days=1)),
    ])
    assert [p.is_open for p in hub.benchmark("timed").phases] == [False, False]
    with pytest.raises(ConflictError, match=r"^Phase 'future' of benchmark 'timed' opens at \d{4}-.*; submit then\.$"):
        hub.submit("timed", setup.predictions(), user="alice", phase="future")
    with pytest.raises(ConflictError, match=r"^Phase 'past' of benchmark 'timed' is closed"):
        hub.submit("timed", setup.predictions(), user="alice", phase="past")
    with pytest.raises(InvalidInputError, match=r"^Benchmark 'timed': no phase is open; name the phase \(its phases are \['past', 'future'\]\)\.$"):
        hub.submit("timed", setup.predictions(), user="alice")
    assert hub.benchmark_board("timed", phase="past", kind="private").rows == []  # closed by its time
    assert submission_rows(hub) == 0


def test_split_labels_are_hidden_from_all_but_maintainers_where_a_benchmark_hides_them(setup):
    hub = setup.hub
    with hub.session() as session:
        dataset_id = session.scalar(select(BenchmarkRow.dataset_id))
        users = {name: accounts_service.get_user(session, name) for name in ("admin", "alice", "bob")}
        hub.add_member(BENCHMARK, "bob", user="admin", role="maintainer")
        assert [may_see_labels(session, users[n], dataset_id, "test") for n in ("admin", "alice", "bob")] == [True, False, True]
        assert may_see_labels(session, None, dataset_id, "test") is False
        assert may_see_labels(session, users["alice"], dataset_id, "dev") is True  # the dev phase's labels are public


def test_the_public_private_split_is_fixed_by_the_seed_and_about_half():
    ids = [f"example-{i}" for i in range(2000)]
    mask = public_mask("seed-a", ids, 0.5)
    assert mask == public_mask("seed-a", ids, 0.5)
    assert 930 <= sum(mask) <= 1070
    assert mask != public_mask("seed-b", ids, 0.5)
    # Decided per id, not per position: reordering the split moves no example between the halves.
    assert public_mask("seed-a", ids[::-1], 0.5) == mask[::-1]
    assert public_mask("seed-a", [3, "3"], 0.5)[0] == public_mask("seed-a", [3, "3"], 0.5)[1]
    assert 160 <= sum(public_mask("seed-a", ids, 0.1)) <= 240


@SQLITE_ONLY
def test_each_half_of_a_hidden_split_is_scored_on_its_own_and_the_private_half_stays_private(setup):
    hub = setup.hub
    public, private = setup.halves()
    assert public and private and not public & private and len(public | private) == 40
    submitted = hub.submit(BENCHMARK, setup.predictions(wrong=private), user="alice", phase="test")
    assert (submitted.status, submitted.public_metrics, submitted.private_metrics) == ("queued", None, None)
    assert hub.run_worker(once=True) == 1
    [mine] = hub.submissions(BENCHMARK, user="alice")
    assert mine.status == "scored" and mine.score_version == 1
    assert mine.public_metrics["accuracy"] == {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0}
    assert mine.private_metrics is None  # until the phase closes
    [seen_by_maintainer] = hub.submissions(BENCHMARK, user="admin")
    assert seen_by_maintainer.private_metrics["accuracy"]["value"] == 0.0
    with hub.session() as session:
        details = session.scalar(select(SubmissionScoreRow.details))
    assert details["examples"] == {"public": len(public), "private": len(private)}
    assert set(details) == {"task", "task_version", "metric_versions", "examples"}  # no per-example rows

    # A phase with public labels is scored on its whole split and has no private ranking.
    dev = hub.submit(BENCHMARK, write_jsonl(setup.folder / "dev.jsonl", [{"id": r["id"], "label": r["label"]} for r in setup.dev_rows]),
                     user="alice", phase="dev")
    hub.run_worker(once=True)
    [scored_dev] = hub.submissions(BENCHMARK, user="admin", phase="dev")
    assert scored_dev.id == dev.id and scored_dev.public_metrics["accuracy"]["value"] == 1.0 and scored_dev.private_metrics is None
    with pytest.raises(InvalidInputError, match="Phase 'dev' has public labels, so it has no private ranking"):
        hub.benchmark_board(BENCHMARK, phase="dev", kind="private", user="admin")


def _lines(rows: list[dict]) -> list[str]:
    return [json.dumps({"id": r["id"], "label": r["label"]}) for r in rows]


def _bad_file(case: str, rows: list[dict]) -> tuple[str, bytes]:
    lines = _lines(rows)
    if case == "empty":
        return "p.jsonl", b""
    if case == "11-mb":
        return "p.jsonl", b" " * (11 * 1024 * 1024)
    if case == "invalid-json":
        lines[1] = '{"id": "test-1", "label": '
    elif case == "duplicate-id":
        lines.append(lines[3])
    elif case == "unknown-id":
        lines[5] = json.dumps({"id": "test-99", "label": "positive"})
    elif case == "missing-id":
        del lines[7]
    elif case == "nan":
        lines[2] = '{"id": "test-2", "label": NaN}'
    elif case == "overflow-to-infinity":
        lines[3] = '{"id": "test-3", "label": 1e999}'
    elif case == "deep-nesting":
        lines[0] = '{"id": "test-0", "label": ' + "[" * 100_000 + "]" * 100_000 + "}"
    elif case == "first-of-two":
        lines[1] = json.dumps({"id": "test-77", "label": "positive"})
        lines[4] = json.dumps({"id": "test-78", "label": "positive"})
    elif case == "5000-digit-id":
        lines[5] = '{"id": 1' + "0" * 4999 + ', "label": "positive"}'
    elif case == "5000-digit-label":
        lines[6] = '{"id": "test-6", "label": -' + "9" * 5000 + "}"
    elif case == "unknown-label":
        lines[0] = json.dumps({"id": "test-0", "label": "meh"})
    elif case == "not-utf-8":
        return "p.jsonl", b"\xff\xfe" + "\n".join(lines).encode("utf-16-le")
    elif case == "csv-header":
        return "p.csv", ("ident,label\n" + "".join(f"{r['id']},{r['label']}\n" for r in rows)).encode()
    return "p.jsonl", ("\n".join(lines) + "\n").encode()


BAD_FILES = [
    ("empty", r"^p\.jsonl is empty; expected one prediction per example\.$"),
    ("11-mb", r"^p\.jsonl is 11,534,336 bytes; the limit is 10,485,760\.$"),
    ("invalid-json", r"^p\.jsonl, line 2: not valid JSON \(Expecting value at column 27\)\.$"),
    ("duplicate-id", r"^p\.jsonl, line 41: duplicate id 'test-3'; give each example exactly once\.$"),
    ("unknown-id", r"^p\.jsonl, line 6: unknown id 'test-99'; it is not an example of this split\.$"),
    ("missing-id", r"^p\.jsonl: 1 example\(s\) have no prediction, first id 'test-7'; give every example exactly once\.$"),
    ("nan", r"^p\.jsonl, line 3: NaN at \['label'\] is not allowed; JSON predictions must hold finite numbers"),
    ("overflow-to-infinity", r"^p\.jsonl, line 4: Infinity at \['label'\] is not allowed"),
    ("deep-nesting", r"^p\.jsonl, line 1: JSON nested deeper than 32 levels; a predictions file needs one level\.$"),
    ("first-of-two", r"^p\.jsonl, line 2: unknown id 'test-77'"),
    ("5000-digit-id", r"^p\.jsonl, line 6: an integer of more than 4,300 digits \(Python's limit\); write it as a string or shorten it\.$"),
    ("5000-digit-label", r"^p\.jsonl, line 7: an integer of more than 4,300 digits"),
    ("unknown-label", r"^p\.jsonl, line 1: label 'meh' for id 'test-0' is not one of \['negative', 'positive'\]\.$"),
    ("not-utf-8", r"^p\.jsonl is not valid UTF-8 \(byte offset 0\); save it as UTF-8\.$"),
    ("csv-header", r"^p\.csv: the CSV header must name 'id' and 'label' columns; it has \['ident', 'label'\]\.$"),
]


@SQLITE_ONLY
@pytest.mark.parametrize(("case", "message"), BAD_FILES, ids=[case for case, _ in BAD_FILES])
def test_a_bad_file_is_refused_with_its_first_error_and_costs_nothing(strict, case, message):
    hub = strict.hub
    name, content = _bad_file(case, strict.test_rows)
    path = strict.folder / name
    path.write_bytes(content)
    with pytest.raises(PredictionsFormatError, match=message) as caught:
        hub.submit(BENCHMARK, path, user="alice", phase="test", idempotency_key="attempt-1")
    assert "\n" not in str(caught.value) and str(strict.folder) not in str(caught.value)
    assert submission_rows(hub) == 0 and job_rows(hub) == 0
    assert not [p for p in hub.artifacts.path("submissions").rglob("*") if p.is_file()]
    # Nothing was charged: the one submission a day is still there, and the key is still free.
    accepted = hub.submit(BENCHMARK, strict.predictions(), user="alice", phase="test", idempotency_key="attempt-1")
    assert accepted.status == "queued" and submission_rows(hub) == 1


@SQLITE_ONLY
@pytest.mark.parametrize("open_enrollment", [True, False])
def test_who_may_submit_depends_on_enrolment(open_hub, tmp_path, open_enrollment):
    setup = make_benchmark(open_hub(), tmp_path / "files", settings={"open_enrollment": open_enrollment})
    hub = setup.hub

    def members() -> int:
        return count(hub, BenchmarkMemberRow, BenchmarkMemberRow.role == "participant")

    bad = setup.predictions("bad.jsonl", rows=setup.test_rows[:-1])
    if open_enrollment:
        with pytest.raises(PredictionsFormatError, match="have no prediction, first id 'test-39'"):
            hub.submit(BENCHMARK, bad, user="alice", phase="test")
        assert members() == 0  # a refused file does not enrol anyone either
        hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")
        assert members() == 1
    else:
        with pytest.raises(PermissionDeniedError, match=r"^Benchmark 'sentiment' takes submissions from its members only; ask a maintainer to add 'alice'\.$"):
            hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")
        hub.add_member(BENCHMARK, "alice", user="admin")
        assert hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test").user == "alice"


def _age(hub, days: int) -> None:
    with hub.session() as session:
        for row in session.scalars(select(SubmissionRow)):
            row.created_at -= timedelta(days=days)
        session.commit()


@SQLITE_ONLY
def test_limits_per_day_since_midnight_utc_and_in_total(open_hub, tmp_path):
    setup = make_benchmark(open_hub(), tmp_path / "files", settings={"max_per_day": 2, "max_total": 3})
    hub, file = setup.hub, setup.predictions()
    hub.submit(BENCHMARK, file, user="alice", phase="test")
    hub.submit(BENCHMARK, file, user="alice", phase="test")
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).date().isoformat()
    with pytest.raises(LimitExceededError, match=(
            r"^You have made 2 submissions to phase 'test' of benchmark 'sentiment' today \(UTC\); the limit is 2 a day\. "
            rf"Submit again after {tomorrow}T00:00:00\+00:00\.$")):
        hub.submit(BENCHMARK, file, user="alice", phase="test")
    hub.submit(BENCHMARK, file, user="bob", phase="test")  # limits are per user
    hub.submit(BENCHMARK, setup.predictions("dev.jsonl", rows=setup.dev_rows), user="alice", phase="dev")  # and per phase
    _age(hub, 1)
    hub.submit(BENCHMARK, file, user="alice", phase="test")
    with pytest.raises(LimitExceededError, match=r"^You have made 3 submissions to phase 'test' of benchmark 'sentiment'; the limit is 3 in total\.$"):
        hub.submit(BENCHMARK, file, user="alice", phase="test")
    assert submission_rows(hub) == 5


@SQLITE_ONLY
def test_failed_scoring_is_retried_then_reported_without_its_cause_and_has_its_own_cap(open_hub, tmp_path, caplog):
    setup = make_benchmark(open_hub(), tmp_path / "files", settings={"max_per_day": 1, "max_failed_per_day": 2})
    hub = setup.hub

    def doomed_submission() -> int:
        doomed = hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")
        with hub.session() as session:
            hub.artifacts.path(session.get(SubmissionRow, doomed.id).file_path).unlink()  # scoring cannot read it now
        return doomed.id

    first = doomed_submission()
    with caplog.at_level(logging.WARNING, logger="benchhub.competitions.queue"):
        assert hub.run_worker(once=True) == 3  # three attempts, then it gives up
    assert caplog.text.count("failed: PredictionsFormatError") == 3
    [failed] = hub.submissions(BENCHMARK, user="alice")
    assert (failed.id, failed.status) == (first, "failed")
    assert failed.error == "Scoring failed after 3 attempt(s); the maintainers can see the cause."
    with hub.session() as session:
        job = session.scalar(select(ScoringJobRow))
    assert (job.state, job.attempts) == ("failed", 3) and "does not exist" in job.last_error
    # The maintainers can see the cause; participants cannot ask for it.
    from benchhub.competitions import submissions as submission_service

    with hub.session() as session:
        admin, alice = (hub._user_id(session, name) for name in ("admin", "alice"))
        assert submission_service.scoring_errors(session, BENCHMARK, actor_id=admin) == {first: job.last_error}
        with pytest.raises(PermissionDeniedError):
            submission_service.scoring_errors(session, BENCHMARK, actor_id=alice)
    # A failed scoring does not count against the limit of one a day ...
    doomed_submission()
    hub.run_worker(once=True)
    assert [s.status for s in hub.submissions(BENCHMARK, user="alice")] == ["failed", "failed"]
    # ... but the cap on failures does.
    with pytest.raises(LimitExceededError, match=r"^2 of your submissions to phase 'test' of benchmark 'sentiment' failed scoring today \(UTC\); the cap is 2 a day\."):
        hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")


def test_a_repeated_idempotency_key_returns_the_first_submission_and_charges_nothing(strict):
    hub = strict.hub
    first = hub.submit(BENCHMARK, strict.predictions(), user="alice", phase="test", idempotency_key="run-1")
    again = hub.submit(BENCHMARK, strict.predictions("copy.jsonl"), user="alice", phase="test", idempotency_key="run-1")
    assert again == first
    assert submission_rows(hub) == 1 and job_rows(hub) == 1
    with pytest.raises(ConflictError, match=rf"^Idempotency key 'run-1' was used for submission {first.id} with a different file or phase"):
        hub.submit(BENCHMARK, strict.predictions("other.jsonl", wrong={"test-0"}), user="alice", phase="test", idempotency_key="run-1")
    with pytest.raises(ConflictError, match="with a different file or phase"):
        hub.submit(BENCHMARK, strict.predictions(), user="alice", phase="dev", idempotency_key="run-1")
    # Keys are per user: bob's run-1 is a submission of its own.
    assert hub.submit(BENCHMARK, strict.predictions(), user="bob", phase="test", idempotency_key="run-1").id != first.id
    with pytest.raises(LimitExceededError, match="the limit is 1 a day"):
        hub.submit(BENCHMARK, strict.predictions(), user="alice", phase="test", idempotency_key="run-2")
    # The repeat still answers once the limit is reached, and shows the submission as it is now.
    hub.run_worker(once=True)
    replay = hub.submit(BENCHMARK, strict.predictions(), user="alice", phase="test", idempotency_key="run-1")
    assert (replay.id, replay.status) == (first.id, "scored")
    assert submission_rows(hub) == 2 and job_rows(hub) == 2
    with pytest.raises(InvalidInputError, match="An Idempotency-Key must be 1-200 printable ASCII characters"):
        hub.submit(BENCHMARK, strict.predictions(), user="alice", phase="test", idempotency_key="has space")


def test_a_job_is_scored_once_and_a_worker_that_lost_its_lease_writes_nothing(setup):
    hub = setup.hub
    submitted = hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")
    start = datetime.now(timezone.utc)
    with hub.session() as session:
        first = claim(session, "worker-a", lease_seconds=60, now=start)
        assert (first.submission_id, first.attempt) == (submitted.id, 1)
        assert claim(session, "worker-b", lease_seconds=60, now=start + timedelta(seconds=30)) is None  # leased
        second = claim(session, "worker-b", lease_seconds=60, now=start + timedelta(seconds=61))  # lease expired
        assert (second.job_id, second.attempt) == (first.job_id, 2)
        scores = submission_scoring.score_submission(session, hub.artifacts, session.get(SubmissionRow, submitted.id))
        assert complete(session, first, scores) is False  # worker-a was too late
        assert complete(session, second, scores) is True
        assert complete(session, second, scores) is False  # a repeated delivery writes nothing either
        job = session.get(ScoringJobRow, first.job_id, populate_existing=True)
        assert (job.state, job.attempts, job.lease_owner) == ("done", 2, "worker-b")
        assert claim(session, "worker-c", lease_seconds=60, now=start + timedelta(hours=1)) is None
    assert score_rows(hub, submitted.id) == [(1, True)]
    assert hub.submissions(BENCHMARK, user="alice")[0].status == "scored"


def test_rescoring_keeps_every_earlier_score_as_history(setup, monkeypatch):
    hub = setup.hub
    submitted = hub.submit(BENCHMARK, setup.predictions(wrong={"test-0", "test-1"}), user="alice", phase="test")
    real = submission_scoring._metrics

    def broken(*args, **kwargs):  # a metric bug: every value off by 0.5
        return {name: {**entry, "value": entry["value"] - 0.5} for name, entry in real(*args, **kwargs).items()}

    monkeypatch.setattr(submission_scoring, "_metrics", broken)
    hub.run_worker(once=True)
    monkeypatch.setattr(submission_scoring, "_metrics", real)
    wrong_value = hub.submissions(BENCHMARK, user="alice")[0].public_metrics["accuracy"]["value"]

    with pytest.raises(PermissionDeniedError, match="may rescore submissions"):
        hub.rescore(BENCHMARK, user="alice")
    assert hub.rescore(BENCHMARK, user="admin") == 1
    assert hub.run_worker(once=True) == 1
    [current] = hub.submissions(BENCHMARK, user="alice")
    assert current.score_version == 2 and current.public_metrics["accuracy"]["value"] == wrong_value + 0.5
    assert score_rows(hub, submitted.id) == [(1, False), (2, True)]
    with hub.session() as session:
        history = score_history(session, submitted.id, actor_id=session.scalar(select(BenchmarkRow.created_by)))
    assert [(s.version, s.is_current, s.public_metrics["accuracy"]["value"]) for s in history] == [
        (1, False, wrong_value), (2, True, wrong_value + 0.5)]
    assert hub.audit_log(BENCHMARK, user="admin")[-1].details == {"phase": None, "jobs": 1}


def test_closing_a_phase_reveals_the_private_ranking_where_a_tie_goes_to_the_earlier_submission(setup):
    hub = setup.hub
    public, private = setup.halves()
    wrong = {min(public), min(private)}
    alice = hub.submit(BENCHMARK, setup.predictions("a.jsonl", wrong=wrong), user="alice", phase="test")
    bob = hub.submit(BENCHMARK, setup.predictions("b.jsonl", wrong=wrong), user="bob", phase="test")
    assert hub.run_worker(once=True) == 2
    board = hub.benchmark_board(BENCHMARK, phase="test")
    assert [(row.rank, row.user, row.submission_id) for row in board.rows] == [(1, "alice", alice.id), (2, "bob", bob.id)]
    assert board.rows[0].score == board.rows[1].score < 1.0
    with pytest.raises(ConflictError, match=r"^The private ranking of phase 'test' appears when the phase closes\.$"):
        hub.benchmark_board(BENCHMARK, phase="test", kind="private", user="alice")
    assert hub.submissions(BENCHMARK, user="alice")[0].private_metrics is None

    hub.close_phase(BENCHMARK, "test", user="admin")
    private = hub.benchmark_board(BENCHMARK, phase="test", kind="private", user="alice")
    assert [(row.rank, row.user, row.submission_id) for row in private.rows] == [(1, "alice", alice.id), (2, "bob", bob.id)]
    assert private.rows[0].score == private.rows[1].score < 1.0
    assert hub.benchmark_board(BENCHMARK, phase="test", kind="private").rows == private.rows  # anyone, once closed
    assert hub.submissions(BENCHMARK, user="alice")[0].private_metrics == private.rows[0].metrics
    with pytest.raises(ConflictError, match=r"^Phase 'test' of benchmark 'sentiment' is closed; it takes no more submissions\.$"):
        hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")


@SQLITE_ONLY
def test_final_selections_decide_the_private_ranking(setup):
    hub = setup.hub
    public, private = setup.halves()
    shows_well = hub.submit(BENCHMARK, setup.predictions("p.jsonl", wrong=private), user="alice", phase="test")
    generalises = hub.submit(BENCHMARK, setup.predictions("q.jsonl", wrong=public), user="alice", phase="test")
    hub.submit(BENCHMARK, setup.predictions("b.jsonl", wrong=set(sorted(public)[:2]) | set(sorted(private)[:2])), user="bob", phase="test")
    hub.run_worker(once=True)
    # No selection: alice's best public submission stands for her, and it is all wrong on the private half.
    before = hub.benchmark_board(BENCHMARK, phase="test", kind="private", user="admin")  # maintainers may look early
    assert [(row.user, row.submission_id) for row in before.rows][1] == ("alice", shows_well.id)
    assert before.rows[0].user == "bob" and before.rows[1].score == 0.0

    with pytest.raises(InvalidInputError, match=r"^Pick at most 2 submissions for the final ranking; 3 were given\.$"):
        hub.select_final(BENCHMARK, [shows_well.id, generalises.id, 99], user="alice", phase="test")
    with pytest.raises(NotFoundError, match=r"No submission 3 of yours in phase 'test'"):
        hub.select_final(BENCHMARK, [3], user="alice", phase="test")
    chosen = hub.select_final(BENCHMARK, [generalises.id], user="alice", phase="test")
    assert [(s.id, s.selected_final) for s in chosen] == [(generalises.id, True)]
    hub.close_phase(BENCHMARK, "test", user="admin")
    after = hub.benchmark_board(BENCHMARK, phase="test", kind="private", user="bob")
    assert [(row.rank, row.user, row.submission_id, row.score) for row in after.rows][0] == (1, "alice", generalises.id, 1.0)
    with pytest.raises(ConflictError, match="is closed"):
        hub.select_final(BENCHMARK, [shows_well.id], user="alice", phase="test")
    assert hub.audit_log(BENCHMARK, user="admin")[1].details == {"phase": "test", "submissions": [generalises.id]}


@SQLITE_ONLY
def test_hidden_and_disqualified_submissions_leave_the_boards_with_a_reason_and_an_audit_entry(setup):
    hub = setup.hub
    alice = hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")
    bob = hub.submit(BENCHMARK, setup.predictions(wrong={"test-1"}), user="bob", phase="test")
    hub.run_worker(once=True)
    with pytest.raises(InvalidInputError, match=rf"^Give a reason to hide submission {alice.id}; the participant will see it\.$"):
        hub.hide_submission(alice.id, reason="  ", user="admin")
    with pytest.raises(PermissionDeniedError, match="may disqualify submissions"):
        hub.disqualify_submission(alice.id, reason="jealousy", user="bob")
    hub.hide_submission(alice.id, reason="a name that breaks the rules", user="admin")
    assert [row.user for row in hub.benchmark_board(BENCHMARK, phase="test").rows] == ["bob"]
    [mine] = hub.submissions(BENCHMARK, user="alice")
    assert (mine.hidden, mine.moderation_reason) == (True, "a name that breaks the rules")
    hub.disqualify_submission(bob.id, reason="trained on the test labels", user="admin")
    assert hub.benchmark_board(BENCHMARK, phase="test").rows == []
    with pytest.raises(InvalidInputError, match="cannot be picked: it is disqualified"):
        hub.select_final(BENCHMARK, [bob.id], user="bob", phase="test")
    actions = [(entry.action, entry.details) for entry in hub.audit_log(BENCHMARK, user="admin")[1:]]
    assert actions == [
        ("hide", {"submission": alice.id, "user": "alice", "reason": "a name that breaks the rules"}),
        ("disqualify", {"submission": bob.id, "user": "bob", "reason": "trained on the test labels"}),
    ]


CANARY = "CANARY-GOLD-7f3a"


def qa_rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        answer = f"{CANARY}-{i}"
        context = f"Item {i} was filed under the code {answer} last spring."
        rows.append({"id": f"q{i}", "question": f"Which code was item {i} filed under?", "context": context,
                     "answers": {"text": [answer], "answer_start": [context.index(answer)]}})
    return rows


@SQLITE_ONLY
def test_hidden_labels_never_reach_a_participant(open_hub, tmp_path, monkeypatch, caplog):
    hub = open_hub()
    hub.create_user("admin", admin=True)
    hub.create_user("alice")
    hub.add_dataset("codes", write_jsonl(tmp_path / "codes.jsonl", qa_rows(30)), task="question-answering")
    hub.create_benchmark("codes", dataset="codes", phases=[PhaseSpec("test", "test")], user="admin")
    shown: list = [hub.benchmark("codes")]

    def submit(name: str, document: object, **kwargs):
        path = tmp_path / name
        path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
        try:
            shown.append(hub.submit("codes", path, user="alice", **kwargs))
        except InvalidInputError as error:
            shown.append(error)

    answers = {f"q{i}": "no idea" for i in range(30)}
    submit("unknown.json", {**answers, "q99": "x"})
    submit("missing.json", {f"q{i}": "x" for i in range(29)})
    submit("number.json", {**answers, "q3": 7})
    submit("nan.json", json.dumps(answers)[:-1] + ', "q0": NaN}')
    assert all(isinstance(error, InvalidInputError) for error in shown[1:])
    submit("guess.json", answers)
    submit("half.json", {**answers, "q1": "filed"})
    real = submission_scoring._metrics
    calls = iter(range(100))

    def failing_once(model, split, task, facts):
        if next(calls) == 2:  # the second submission's public half
            raise RuntimeError(f"gold answers were {split.field('answers')[0]['text']}")
        return real(model, split, task, facts)

    monkeypatch.setattr(submission_scoring, "_metrics", failing_once)
    with caplog.at_level(logging.DEBUG):
        hub.run_worker(once=True)
    mine = hub.submissions("codes", user="alice")
    assert sorted(s.status for s in mine) == ["scored", "scored"]  # the failure was retried
    with hub.session() as session:
        assert CANARY in session.scalar(select(ScoringJobRow.last_error).where(ScoringJobRow.last_error.is_not(None)))
    shown += mine + [hub.benchmark_board("codes", user="alice")]
    shown += hub.select_final("codes", [mine[0].id], user="alice")
    hub.close_phase("codes", "test", user="admin")
    shown += hub.submissions("codes", user="alice") + [hub.benchmark_board("codes", kind="private", user="alice")]
    assert shown[-1].rows[0].metrics["f1"]["value"] >= 0.0
    for thing in shown:
        assert CANARY not in dump(thing), thing
    assert CANARY not in caplog.text
    with hub.session() as session:
        for details, public, private in session.execute(select(SubmissionScoreRow.details, SubmissionScoreRow.public_metrics,
                                                               SubmissionScoreRow.private_metrics)):
            assert CANARY not in json.dumps([details, public, private])


def test_scoring_jobs_are_taken_round_robin_across_benchmarks(open_hub, tmp_path):
    setup = make_benchmark(open_hub(), tmp_path / "files")
    hub = setup.hub
    hub.create_benchmark("second", dataset="reviews", user="admin", title="Second", description="Another.",
                         phases=[PhaseSpec("dev", "dev", labels_public=True)])
    dev = write_jsonl(tmp_path / "dev-guess.jsonl", [{"id": row["id"], "label": row["label"]} for row in setup.dev_rows])
    for index in range(4):  # the first benchmark's flood comes first
        hub.submit(BENCHMARK, setup.predictions(f"p{index}.jsonl", wrong={f"test-{index}"}), user="alice", phase="test")
    hub.submit("second", dev, user="bob", phase="dev")
    order = []
    with hub.session() as session:
        for turn in range(5):
            job = claim(session, f"worker-{turn}", lease_seconds=60)
            submission = session.get(SubmissionRow, session.get(ScoringJobRow, job.job_id).submission_id)
            order.append(session.get(BenchmarkRow, submission.benchmark_id).name)
    assert order == [BENCHMARK, "second", BENCHMARK, BENCHMARK, BENCHMARK]  # the second's one job goes second, not fifth


@SQLITE_ONLY
def test_a_small_hidden_split_is_cut_into_two_halves_every_time(open_hub, tmp_path):
    # One random seed leaves 4 examples all on one side 1 time in 8; the seed is drawn until both halves hold some.
    hub = open_hub()
    hub.add_dataset("small", id_column="id", splits={"test": write_jsonl(tmp_path / "small.jsonl", review_rows(4, seed=5, prefix="s"))})
    hub.create_user("admin", admin=True)
    for index in range(40):
        hub.create_benchmark(f"small-{index}", dataset="small", phases=[PhaseSpec("test", "test")], user="admin")
    with hub.session() as session:
        seeds = session.scalars(select(BenchmarkRow.split_seed)).all()
    ids = [f"s-{i}" for i in range(4)]
    assert len(set(seeds)) == 40 and all(set(public_mask(seed, ids, 0.5)) == {True, False} for seed in seeds)
