"""Removing a hosted benchmark: its phases, members, submissions (their files, scores and scoring jobs) and audit log.

    benchmark ── phases ── submissions ── scores, scoring jobs, the submitted files (submissions/NAME/...)
              ── members, audit log
    dataset   stays: registered on its own, it may have evaluations of its own

Only admins remove a benchmark. Refused, with nothing changed:
- while a worker holds a live lease on one of its scoring jobs (the score it is computing would have no row to
  land in): remove it once that job ends;
- while a phase keeps a split's labels hidden that no other benchmark hides, unless the caller says
  `release_labels`: once its benchmark is gone, a split's gold is the dataset's like any other split's
  (readable, ranked on the hub's leaderboards), which is the whole point of hiding it. The refusal names
  the splits.
The rows go in one transaction (the schema's ON DELETE CASCADE takes phases, members, submissions, scores,
jobs and audit entries with the benchmark row); the files only after the commit, so a failed commit leaves
everything as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from benchhub.competitions.benchmarks import get_benchmark_row, get_user
from benchhub.competitions.queue import RUNNING
from benchhub.errors import ConflictError, PermissionDeniedError
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import immediate_transaction
from benchhub.store.tables import (
    BenchmarkPhaseRow,
    BenchmarkRow,
    ScoringJobRow,
    SubmissionRow,
)

SUBMISSIONS_FOLDER = "submissions"  # submissions/BENCHMARK/<uuid>/...; see competitions.submissions


@dataclass(frozen=True)
class BenchmarkRemoval:
    """What `benchmark remove` removed, and the splits whose labels it released (no benchmark hides them now)."""

    name: str
    dataset: str
    phases: int
    submissions: int
    released: list[str] = field(default_factory=list)

    def summary(self) -> str:
        released = (f"; the labels of {', '.join(f'{self.dataset}/{s}' for s in self.released)} are no longer hidden"
                    if self.released else "")
        return (f"Removed benchmark {self.name!r} with {self.phases} phase{'' if self.phases == 1 else 's'} and "
                f"{self.submissions} submission{'' if self.submissions == 1 else 's'}{released}.")


def remove_benchmark(session: Session, artifacts: ArtifactStore, name: str, *, actor_id: int,
                     release_labels: bool = False, now: datetime | None = None) -> BenchmarkRemoval:
    """Removes a benchmark with everything it holds; see the module's docstring for what is refused."""
    now = now or datetime.now(timezone.utc)
    immediate_transaction(session)
    try:
        actor = get_user(session, actor_id)
        if not actor.is_admin:
            raise PermissionDeniedError(f"Only admins may remove benchmarks; user {actor.name!r} is not an admin.")
        bench = get_benchmark_row(session, name)
        session.scalar(select(BenchmarkRow.id).where(BenchmarkRow.id == bench.id).with_for_update())
        # Locking its jobs waits for a worker that is claiming one of them right now.
        jobs = session.scalars(select(ScoringJobRow).join(SubmissionRow).where(SubmissionRow.benchmark_id == bench.id)
                               .with_for_update()).all()
        live = [job for job in jobs if job.state == RUNNING and job.lease_expires_at is not None
                and _aware(job.lease_expires_at) > now]
        if live:
            raise ConflictError(f"Benchmark {name!r} has {len(live)} submission{'s' if len(live) != 1 else ''} being scored "
                                "right now; remove it once scoring ends (nothing was removed).")
        released = _released_splits(session, bench)
        if released and not release_labels:
            splits = ", ".join(f"{bench.dataset.name}/{split}" for split in released)
            raise ConflictError(
                f"Removing benchmark {name!r} would release the hidden labels of {splits}: with no benchmark hiding them, "
                f"everyone may read and rank on them. Pass --release-labels to remove it anyway, or remove the dataset "
                f"too afterwards (nothing was removed).")
        removed = BenchmarkRemoval(name=bench.name, dataset=bench.dataset.name, phases=len(bench.phases), released=released,
                                   submissions=session.scalar(select(func.count()).select_from(SubmissionRow)
                                                              .where(SubmissionRow.benchmark_id == bench.id)) or 0)
        session.execute(delete(BenchmarkRow).where(BenchmarkRow.id == bench.id))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    artifacts.remove(f"{SUBMISSIONS_FOLDER}/{removed.name}")
    return removed


def _released_splits(session: Session, bench: BenchmarkRow) -> list[str]:
    """The splits this benchmark hides that no other benchmark hides."""
    hidden = sorted({phase.split for phase in bench.phases if not phase.labels_public})
    hidden_elsewhere = set(session.scalars(
        select(BenchmarkPhaseRow.split).join(BenchmarkRow)
        .where(BenchmarkRow.dataset_id == bench.dataset_id, BenchmarkRow.id != bench.id, ~BenchmarkPhaseRow.labels_public)))
    return [split for split in hidden if split not in hidden_elsewhere]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
