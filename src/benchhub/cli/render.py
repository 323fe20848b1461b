"""Turning results into tables (rich, CSV, Markdown) for the terminal."""

from __future__ import annotations

import csv
import io
from typing import Any

from benchhub.results import DatasetInfo, Evaluation, Leaderboard


def metric_text(metric: dict[str, float] | None, *, percent: bool = False) -> str:
    if not metric:
        return "-"
    scale = 100.0 if percent else 1.0
    digits = 1 if percent else 3
    return f"{metric['value'] * scale:.{digits}f} [{metric['ci_low'] * scale:.{digits}f}, {metric['ci_high'] * scale:.{digits}f}]"


def human_count(value: float | int | None) -> str:
    if value is None:
        return "-"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:.0f}" if isinstance(value, float) else str(value)


def human_bytes(value: int | None) -> str:
    if value is None:
        return "-"
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if value >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value} B"


def leaderboard_rows(board: Leaderboard) -> tuple[list[str], list[list[str]]]:
    """The leaderboard as header and text rows, shared by every tabular format."""
    secondary = "accuracy" if board.metric != "accuracy" else "macro_f1"
    header = ["#", "model", "kind", f"{board.metric} [95% CI]", f"{secondary} [95% CI]", "vs leader",
              "ex/s", "p50 ms", "params", "size"]
    rows = []
    for row in board.rows:
        if row.rank == 1:
            versus = "leader"
        elif row.tied_with_leader:
            versus = f"≈ (p={row.p_value_vs_leader:.2f})"
        else:
            versus = f"worse (p={row.p_value_vs_leader:.3f})"
        efficiency = row.efficiency
        p50 = efficiency.get("batch_latency_ms_p50")
        rows.append([
            str(row.rank), row.model, "baseline" if row.baseline else row.kind,
            metric_text(row.metrics.get(board.metric)), metric_text(row.metrics.get(secondary)), versus,
            human_count(efficiency.get("examples_per_second")), f"{p50:.1f}" if p50 is not None else "-",
            human_count(efficiency.get("parameters")), human_bytes(efficiency.get("size_bytes")),
        ])
    return header, rows


def to_csv(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def to_markdown(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(header), "|" + "|".join("---" for _ in header) + "|", *(line(r) for r in rows)]) + "\n"


def rich_table(title: str, header: list[str], rows: list[list[str]], *, dim_rows: set[int] | None = None) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for name in header:
        table.add_column(name, overflow="fold")
    for index, row in enumerate(rows):
        table.add_row(*row, style="dim" if dim_rows and index in dim_rows else None)
    return table


def evaluation_rows(evaluations: list[Evaluation]) -> tuple[list[str], list[list[str]]]:
    header = ["model", "dataset/split", "accuracy [95% CI]", "macro_f1 [95% CI]", "examples/s", "cached", "id"]
    rows = [
        [e.model, f"{e.dataset}/{e.split}", metric_text(e.metrics.get("accuracy")), metric_text(e.metrics.get("macro_f1")),
         human_count(e.efficiency.get("examples_per_second")), "yes" if e.cached else "no", str(e.id)]
        for e in evaluations
    ]
    return header, rows


def dataset_lines(info: DatasetInfo) -> list[str]:
    lines = [
        f"dataset      {info.name}",
        f"task         {info.task}",
        f"labels       {', '.join(info.labels)}",
        f"fingerprint  {info.fingerprint}",
        f"source       {info.source}",
        f"columns      {', '.join(f'{k}={v}' for k, v in info.columns.items() if v)}",
    ]
    for split in info.splits:
        counts = ", ".join(f"{label}: {count}" for label, count in split.label_counts.items())
        lines.append(f"split {split.name:<7}{split.num_rows} rows ({counts})")
    return lines
