"""`benchmark remove`: an admin removes a hosted benchmark with its phases, submissions (files, scores, jobs),
members and audit log in one go; refused, with nothing changed, for non-admins, while a submission is being
scored, and while it hides labels no other benchmark hides unless --release-labels. The dataset stays."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from benchhub import ConflictError
from benchhub.cli.app import app
from benchhub.competitions import queue
from benchhub.competitions.benchmarks import PhaseSpec, hidden_splits
from benchhub.errors import PermissionDeniedError
from benchhub.store.tables import (
    AuditLogRow,
    BenchmarkMemberRow,
    BenchmarkPhaseRow,
    BenchmarkRow,
    ScoringJobRow,
    SubmissionRow,
    SubmissionScoreRow,
)
from tests.fixtures.benchmarks import BENCHMARK, make_benchmark, state
from tests.test_cli import one_error_line, run_cli

TABLES = (BenchmarkRow, BenchmarkPhaseRow, BenchmarkMemberRow, SubmissionRow, SubmissionScoreRow, ScoringJobRow, AuditLogRow)


def counts(hub) -> dict[str, int]:
    with hub.session() as session:
        return {table.__tablename__: session.scalar(select(func.count()).select_from(table)) for table in TABLES}


def submitted_files(hub) -> list[str]:
    folder = hub.artifacts.path("submissions")
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


@pytest.fixture
def hosted(open_hub, tmp_path, monkeypatch):
    """The sentiment benchmark with two scored submissions and one queued; a second benchmark hides nothing."""
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    hub = open_hub()
    setup = make_benchmark(hub, tmp_path / "files")
    hub.submit(BENCHMARK, setup.predictions("a.jsonl"), user="alice", phase="test")
    hub.submit(BENCHMARK, setup.predictions("b.jsonl", wrong={setup.test_rows[0]["id"]}), user="bob", phase="test")
    assert hub.run_worker(once=True) == 2
    hub.submit(BENCHMARK, setup.predictions("c.jsonl", rows=setup.dev_rows), user="alice", phase="dev")
    hub.create_benchmark("open-dev", dataset="reviews", user="admin", phases=[PhaseSpec("dev", "dev", labels_public=True)])
    return setup


def test_an_admin_removes_a_benchmark_with_everything_it_holds_and_the_dataset_stays(hosted):
    hub = hosted.hub
    before = counts(hub)
    assert before["submissions"] == 3 and before["submission_scores"] == 2 and len(submitted_files(hub)) == 3
    with pytest.raises(ConflictError) as refused:
        hub.remove_benchmark(BENCHMARK, user="admin")
    assert str(refused.value) == (
        "Removing benchmark 'sentiment' would release the hidden labels of reviews/test: with no benchmark hiding them, "
        "everyone may read and rank on them. Pass --release-labels to remove it anyway, or remove the dataset too "
        "afterwards (nothing was removed).")
    with pytest.raises(PermissionDeniedError, match=r"^Only admins may remove benchmarks; user 'alice' is not an admin\.$"):
        hub.remove_benchmark(BENCHMARK, user="alice", release_labels=True)
    assert counts(hub) == before and len(submitted_files(hub)) == 3

    removed = hub.remove_benchmark(BENCHMARK, user="admin", release_labels=True)
    assert removed.summary() == ("Removed benchmark 'sentiment' with 2 phases and 3 submissions; the labels of reviews/test "
                                 "are no longer hidden.")
    left = counts(hub)
    assert left == {"benchmarks": 1, "benchmark_phases": 1, "benchmark_members": 1, "submissions": 0, "submission_scores": 0,
                    "scoring_jobs": 0, "audit_log": left["audit_log"]}
    with hub.session() as session:
        assert session.scalars(select(BenchmarkRow.name)).all() == ["open-dev"]
        assert session.scalar(select(func.count()).select_from(AuditLogRow).join(BenchmarkRow)
                              .where(BenchmarkRow.name == "open-dev")) == left["audit_log"]
        assert hidden_splits(session, "reviews") == set()
    assert submitted_files(hub) == [] and [d.name for d in hub.datasets()] == ["reviews"]
    assert hub.run_worker(once=True) == 0  # the queued job went with its submission
    # The name is free again.
    hub.create_benchmark(BENCHMARK, dataset="reviews", user="admin", phases=[PhaseSpec("test", "test")])


def test_a_split_another_benchmark_still_hides_is_not_released(hosted):
    hub = hosted.hub
    hub.create_benchmark("second", dataset="reviews", user="admin", phases=[PhaseSpec("test", "test")])
    removed = hub.remove_benchmark(BENCHMARK, user="admin")
    assert removed.released == [] and removed.summary() == "Removed benchmark 'sentiment' with 2 phases and 3 submissions."
    with hub.session() as session:
        assert hidden_splits(session, "reviews") == {"test"}


def test_removal_waits_for_a_submission_being_scored(hosted):
    hub = hosted.hub
    with hub.session() as session:
        claimed = queue.claim(session, "worker-1", lease_seconds=300)
    assert claimed is not None
    before = state(hub)
    with pytest.raises(ConflictError, match=r"^Benchmark 'sentiment' has 1 submission being scored right now; remove it "
                                            r"once scoring ends \(nothing was removed\)\.$"):
        hub.remove_benchmark(BENCHMARK, user="admin", release_labels=True)
    assert state(hub) == before


def test_the_cli_removes_a_benchmark_and_refuses_in_one_line(hosted):
    env = {"BENCHHUB_HOME": str(hosted.hub.config.home), "BENCHHUB_DATABASE_URL": hosted.hub.config.database_url}
    refused = one_error_line(run_cli("benchmark", "remove", BENCHMARK, "--user", "admin", env=env))
    assert refused == ("error: Removing benchmark 'sentiment' would release the hidden labels of reviews/test: with no "
                       "benchmark hiding them, everyone may read and rank on them. Pass --release-labels to remove it anyway, "
                       "or remove the dataset too afterwards (nothing was removed).")
    done = CliRunner().invoke(app, ["benchmark", "remove", BENCHMARK, "--user", "admin", "--release-labels"], env=env)
    assert done.exit_code == 0, done.output
    assert done.output == ("Removed benchmark 'sentiment' with 2 phases and 3 submissions; the labels of reviews/test are "
                           "no longer hidden.\n")
    assert "sentiment" in one_error_line(run_cli("benchmark", "remove", BENCHMARK, "--user", "admin", env=env))


def test_the_api_removes_a_benchmark_for_admins_only(hosted):
    from fastapi.testclient import TestClient

    from benchhub.server import create_app

    hub = hosted.hub
    tokens = {name: {"Authorization": f"Bearer {hub.create_token(name)[1]}"} for name in ("admin", "alice")}
    before = state(hub)
    with TestClient(create_app(hub.config)) as client:
        assert client.delete(f"/api/benchmarks/{BENCHMARK}").status_code == 401
        assert client.delete(f"/api/benchmarks/{BENCHMARK}", headers=tokens["alice"]).status_code == 403
        refused = client.delete(f"/api/benchmarks/{BENCHMARK}", headers=tokens["admin"])
        assert refused.status_code == 409 and refused.json()["error"]["message"].startswith(
            "Removing benchmark 'sentiment' would release the hidden labels of reviews/test:")
        assert state(hub) == before
        removed = client.delete(f"/api/benchmarks/{BENCHMARK}", params={"release_labels": "true"}, headers=tokens["admin"])
        assert removed.status_code == 200, removed.text
        assert removed.json() == {"name": "sentiment", "dataset": "reviews", "phases": 2, "submissions": 3, "released": ["test"],
                                  "summary": "Removed benchmark 'sentiment' with 2 phases and 3 submissions; the labels of "
                                             "reviews/test are no longer hidden."}
        assert client.get(f"/api/benchmarks/{BENCHMARK}").status_code == 404
        assert client.delete(f"/api/benchmarks/{BENCHMARK}", headers=tokens["admin"]).status_code == 404
