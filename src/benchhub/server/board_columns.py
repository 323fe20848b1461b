"""The columns of the web leaderboard, and where each shows before a reader chooses.

A board can have fifteen columns; at 1,280 px about eight fit, at phone width three. Each column says
where it shows by default (`wide`, `phone wide`, or nowhere: `""`); the chooser in `app.js` lets a
reader show any of them and remembers the choice in the browser. A note that explains columns is
shown only while one of those columns is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from benchhub.results import Leaderboard

WIDE = "wide"
EVERYWHERE = "phone wide"
HIDDEN = ""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    show: str = WIDE
    numeric: bool = True
    title: str = ""


@dataclass(frozen=True)
class Note:
    text: str
    columns: str = ""  # the column keys it explains, space-separated; "" for a note about the whole board


def board_columns(board: Leaderboard, extra_metrics: Iterable[str]) -> list[Column]:
    """The columns this board has data for, in order: rank, model and metric everywhere; the rest by width."""
    rows = board.rows
    benched = any(row.latency_ms is not None or row.throughput is not None for row in rows)
    robust = any(row.robustness for row in rows)
    columns = [
        Column("rank", "#", EVERYWHERE),
        Column("model", "model", EVERYWHERE, numeric=False),
        Column("metric", f"{board.metric} [95% CI]", EVERYWHERE),
        *(Column(f"metric:{name}", name, HIDDEN) for name in extra_metrics),
        Column("versus", "vs leader", WIDE, numeric=False, title="paired bootstrap test against the leader"),
    ]
    if any(row.shortcut_gap is not None for row in rows):
        columns.append(Column("shortcut", "shortcut gap", WIDE, title=f"{board.metric} minus the best partial-input baseline"))
    # The evaluation's own rate is the only speed figure until models are benched; then the bench's are better.
    columns.append(Column("examples_per_second", "ex/s", HIDDEN if benched else WIDE,
                          title="examples per second during the evaluation"))
    if benched:
        columns += [Column("latency", "latency ms (b1)", WIDE, title="median latency at batch 1; ◆ marks the Pareto front"),
                    Column("throughput", "throughput (b32)", HIDDEN, title="examples per second at batch 32")]
    columns.append(Column("size", "size", WIDE))
    if robust:
        columns += [Column("flip_rate", "flip rate", HIDDEN, title="predictions changed by invariance probes"),
                    Column("worst_change", "worst change", WIDE, title="the largest fall of the metric under a probe, in points"),
                    Column("ece", "ECE", HIDDEN, title="expected calibration error")]
    return columns


def board_notes(notes: Iterable[str]) -> list[Note]:
    """Each note with the columns it explains, read from the topic the ranking starts it with."""
    topics = {"speed: latency": "latency", "speed: throughput": "throughput", "speed:": "latency throughput",
              "Pareto": "latency", "robustness:": "flip_rate worst_change ece", "shortcut gap:": "shortcut"}
    return [Note(note, next((keys for topic, keys in topics.items() if note.startswith(topic)), "")) for note in notes]
