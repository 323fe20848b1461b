"""A benchmark board ranked by a Dynascore: the viewer's weights, else the default weights its maintainers set.

A board's columns are its primary metric (`metric`) and the family's other board metrics by name (e.g.
`metric:1,accuracy:0.5` on a benchmark ranked by macro_f1); every one of them is higher-is-better. A benchmark with
a phase that takes models can weigh what the host measured too (`latency_ms`, `peak_memory_mb` and `flip_rate`
are costs, `throughput` is not). The defaults
live in the benchmark's settings under `board_weights` (shown with the benchmark's other settings); setting them
is a maintainer's action, recorded in the audit log.

The Dynascore is computed from the board as the viewer receives it (`weigh_board` takes the board after
`permissions.Viewer.board`): from each row's point values only, never an interval, and only over the rows the
board shows (hidden and disqualified submissions are not on it). It is a function of numbers the viewer already
has, so it tells nothing finer about hidden labels than the board itself does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchhub.competitions import benchmarks
from benchhub.ranking.dynascore import (
    METRIC,
    Column,
    dynascores,
    order_by_dynascore,
    read_weights,
    weights_query,
)
from benchhub.results import Board, Dynascore
from benchhub.store.database import commit_or_undo, immediate_transaction
from benchhub.store.tables import BenchmarkRow
from benchhub.tasks.base import metric_sign
from benchhub.tasks.registry import get_task

BOARD_WEIGHTS = "board_weights"  # the settings key of the maintainers' default weights


# What the host measures of submitted models, weighable where a phase takes models; all but throughput are costs.
MEASURED = (Column("latency_ms", "latency ms (batch 1)", cost=True), Column("throughput", "examples/s (batch 32)"),
            Column("peak_memory_mb", "peak memory MB", cost=True), Column("flip_rate", "probe flip rate", cost=True))


def board_columns(task: str, primary_metric: str, *, measured: bool = False) -> list[Column]:
    """The columns a board of this benchmark can weigh, in the order `weights_query` writes them; with `measured`
    (a benchmark with a phase that takes models), what the host measures of the models too."""
    family = get_task(task)
    return [Column(METRIC, primary_metric),
            *(Column(name, name, cost=name in family.lower_is_better) for name in family.board_metrics if name != primary_metric),
            *(MEASURED if measured else ())]


def columns_of(bench: BenchmarkRow) -> list[Column]:
    """The columns the boards of `bench` can weigh."""
    return board_columns(bench.task, bench.primary_metric, measured=any(p.takes == benchmarks.MODELS for p in bench.phases))


def default_weights(bench: BenchmarkRow) -> dict[str, float] | None:
    """The maintainers' default weights, of the columns the board has (None: rank by the primary metric)."""
    stored = (bench.settings or {}).get(BOARD_WEIGHTS)
    if not isinstance(stored, Mapping):
        return None
    known = {column.name for column in columns_of(bench)}
    kept = {name: value for name, value in stored.items() if name in known}  # a family may have renamed a metric since
    return read_weights(kept, columns_of(bench)) if any(kept.values()) else None


def weigh_board(session: Session, board: Board, weights: str | Mapping[str, Any] | None) -> Board:
    """`board` (as the viewer may see it) ranked by the Dynascore of `weights`, else of the maintainers' defaults;
    as it is when neither is set."""
    bench = benchmarks.get_benchmark_row(session, board.benchmark)
    columns = columns_of(bench)
    chosen, source = read_weights(weights, columns), "viewer"
    if chosen is None:
        chosen, source = default_weights(bench), "maintainers"
    if chosen is None:
        return board
    return rank_board(board, chosen, source=source, columns=columns, sign=metric_sign(get_task(bench.task), board.metric))


def rank_board(board: Board, weights: dict[str, float], *, source: str, columns: list[Column] | None = None,
               sign: float = 1.0) -> Board:
    """The board's rows by Dynascore (checked `weights`), ties and unscored rows in the board's own order; the ranked
    metric enters signed so that higher is better (`sign` -1 for a perplexity), the `columns` marked costs negated."""
    costs = sorted({c.name for c in (*MEASURED, *(columns or ())) if c.cost})
    values = {}
    for row in board.rows:
        point = {name: entry.get("value") for name, entry in row.metrics.items() if isinstance(entry, dict)}
        measured = {column.name: (row.measurements or {}).get(column.name) for column in MEASURED}
        values[row.user] = {**point, **measured, METRIC: None if row.score is None else sign * row.score}
    result = dynascores(values, weights=weights, costs=costs, label=board.metric)
    by_name = {row.user: replace(row, metric_rank=row.metric_rank or row.rank) for row in board.rows}
    order = order_by_dynascore(list(by_name), result.scores)
    rows = [replace(by_name[name], rank=rank, dynascore=result.scores[name]) for rank, name in enumerate(order, start=1)]
    summary = Dynascore(weights=weights, normalized=result.normalized, amrs=result.amrs,
                        costs=[name for name in costs if name in weights], query=weights_query(weights),
                        source=source, scored=sum(score is not None for score in result.scores.values()), notes=result.notes)
    return replace(board, rows=rows, dynascore=summary)


def set_default_weights(session: Session, benchmark: str, *, actor_id: int,
                        weights: str | Mapping[str, Any] | None) -> dict[str, float] | None:
    """Sets (or, with None, clears) the weights a benchmark's boards rank by when a viewer gives none (maintainers)."""
    bench = benchmarks.get_benchmark_row(session, benchmark)
    actor = benchmarks.require_maintainer(session, bench, actor_id, "set the boards' default weights")
    chosen = read_weights(weights, columns_of(bench))
    bench_id = bench.id
    session.commit()  # the checks above only read; the write below runs alone
    immediate_transaction(session)
    row = session.scalar(select(BenchmarkRow).where(BenchmarkRow.id == bench_id).with_for_update()
                         .execution_options(populate_existing=True))
    settings = {key: value for key, value in row.settings.items() if key != BOARD_WEIGHTS}
    row.settings = {**settings, BOARD_WEIGHTS: chosen} if chosen is not None else settings
    benchmarks.add_audit(session, row, actor.id, "set_board_weights", {"weights": chosen})
    commit_or_undo(session)
    return chosen
