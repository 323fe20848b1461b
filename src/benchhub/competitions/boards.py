"""Benchmark rankings: the public board (best public score per user) and, after close, the private board.

The private board ranks each user by their final selections (their best public submission when they
picked none). Hidden and disqualified submissions are left out. Equal scores: the earlier submission
ranks higher. A metric the family declares lower-is-better (perplexity) ranks lowest first. Rows carry metrics with their
intervals; the server shows participants of hidden phases the point values only (`server.permissions`).
A board ranked by a Dynascore (the viewer's weights or the maintainers' defaults) is made from the board the
viewer receives, by `ranking/benchmark_boards.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchhub.catalog.contamination import flags
from benchhub.competitions import benchmarks
from benchhub.errors import ConflictError, InvalidInputError
from benchhub.results import Board, BoardRow
from benchhub.store.tables import (
    BenchmarkPhaseRow,
    BenchmarkRow,
    SubmissionRow,
    SubmissionScoreRow,
    utcnow,
)
from benchhub.tasks.base import metric_sign
from benchhub.tasks.registry import get_task

KINDS = ("public", "private")
# What the host measured of submitted models, as board columns (key in `BoardRow.measurements`, heading).
MEASURED_COLUMNS = (
    ("latency_ms", "latency ms (batch 1)"),
    ("throughput", "examples/s (batch 32)"),
    ("peak_memory_mb", "peak memory MB"),
    ("flip_rate", "probe flip rate"),
    ("tokens_per_second", "tokens/s (batch 1)"),  # models that generate text
    ("ttft_ms", "ms to first token (batch 1)"),
)


def measured_columns(measurements: Iterable[dict[str, Any] | None]) -> list[tuple[str, str]]:
    """The MEASURED_COLUMNS some row has a value for (none on a board of predictions files)."""
    rows = [m or {} for m in measurements]
    return [(key, heading) for key, heading in MEASURED_COLUMNS if any(row.get(key) is not None for row in rows)]

Entry = tuple[SubmissionRow, SubmissionScoreRow]


def benchmark_board(session: Session, benchmark: str, *, phase: str | None = None, kind: str = "public",
                    viewer_id: int | None = None) -> Board:
    """The ranking of one phase (default: the open one, else the last); `private` only once the phase is closed."""
    if kind not in KINDS:
        raise InvalidInputError(f"Board kind {kind!r} is not one of {list(KINDS)}.")
    bench = benchmarks.get_benchmark_row(session, benchmark)
    phase_row = _phase(bench, phase)
    if kind == "private":
        if phase_row.labels_public:
            raise InvalidInputError(f"Phase {phase_row.name!r} has public labels, so it has no private ranking; ask for the public board.")
        closed = benchmarks.phase_state(phase_row, utcnow()) == "closed"
        if not closed and not benchmarks.is_maintainer(session, bench, viewer_id):
            raise ConflictError(f"The private ranking of phase {phase_row.name!r} appears when the phase closes.")
    entries = _visible_entries(session, phase_row)
    metric = bench.primary_metric
    sign = metric_sign(get_task(bench.task), metric)

    def public(entry: Entry) -> float:
        return entry[1].public_metrics[metric]["value"]

    def private(entry: Entry) -> float:
        return entry[1].private_metrics[metric]["value"]

    by_user: dict[int, list[Entry]] = {}
    for entry in entries:
        by_user.setdefault(entry[0].user_id, []).append(entry)
    if kind == "public":
        best = [_best(mine, public, sign) for mine in by_user.values()]
        score, metrics = public, (lambda entry: entry[1].public_metrics)
    else:
        best = [_best([e for e in mine if e[0].selected_final] or [_best(mine, public, sign)], private, sign)
                for mine in by_user.values()]
        score, metrics = private, (lambda entry: entry[1].private_metrics)
    best.sort(key=_order(score, sign))
    rows = [
        BoardRow(rank=rank, user=submission.user.name, submission_id=submission.id, submitted_at=submission.created_at,
                 score=score((submission, scored)), metrics=dict(metrics((submission, scored))),
                 method_name=submission.method_name, method_description=submission.method_description,
                 method_url=submission.method_url,
                 measurements=dict(scored.measurements) if scored.measurements else None)
        for rank, (submission, scored) in enumerate(best, start=1)
    ]
    return Board(benchmark=bench.name, phase=phase_row.name, kind=kind, metric=metric, rows=rows,
                 contamination=flags(bench.dataset.contamination, phase_row.split))


def _phase(bench: BenchmarkRow, name: str | None) -> BenchmarkPhaseRow:
    if name is not None:
        return benchmarks.get_phase_row(bench, name)
    now = utcnow()
    open_phases = [p for p in bench.phases if benchmarks.phase_state(p, now) == "open"]
    return open_phases[-1] if open_phases else bench.phases[-1]


def _visible_entries(session: Session, phase: BenchmarkPhaseRow) -> list[Entry]:
    return [(submission, score) for submission, score in session.execute(
        select(SubmissionRow, SubmissionScoreRow)
        .join(SubmissionScoreRow, SubmissionScoreRow.submission_id == SubmissionRow.id)
        .where(SubmissionRow.phase_id == phase.id, SubmissionScoreRow.is_current,
               ~SubmissionRow.hidden, ~SubmissionRow.disqualified)
    )]


def _order(score: Callable[[Entry], float], sign: float) -> Callable[[Entry], tuple[Any, ...]]:
    """Best first (`sign` -1 where lower is better), then the earlier submission."""
    return lambda entry: (-sign * score(entry), entry[0].created_at, entry[0].id)


def _best(entries: list[Entry], score: Callable[[Entry], float], sign: float) -> Entry:
    return min(entries, key=_order(score, sign))
