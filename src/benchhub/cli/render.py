"""Turning results into tables (rich, CSV, Markdown) for the terminal."""

from __future__ import annotations

import csv
import io
from typing import Any

from benchhub.results import (
    Comparison,
    DatasetInfo,
    Dynascore,
    Evaluation,
    Leaderboard,
    SpeedResult,
)
from benchhub.tasks.registry import get_task
from benchhub.units import change_text, human_bytes

PARETO_MARK = "◆"


def metric_text(metric: dict[str, float] | None, *, scaled: bool = False) -> str:
    """`value [low, high]`; `scaled` metrics are already on a 0–100 scale (SQuAD) and get one decimal."""
    if not metric:
        return "-"
    digits = 1 if scaled else 3
    if metric.get("ci_low") is None:
        return f"{metric['value']:.{digits}f}"
    return f"{metric['value']:.{digits}f} [{metric['ci_low']:.{digits}f}, {metric['ci_high']:.{digits}f}]"


def human_count(value: float | int | None) -> str:
    if value is None:
        return "-"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:.0f}" if isinstance(value, float) else str(value)


def leaderboard_rows(board: Leaderboard) -> tuple[list[str], list[list[str]]]:
    """The leaderboard as header and text rows, shared by every tabular format."""
    task = get_task(board.task)
    extra = task.extra_board_metrics(board.metric, {name for row in board.rows for name in row.metrics})
    scaled = task.metric_scale > 1
    shortcut = any(row.shortcut_gap is not None for row in board.rows)
    # One latency column: `benchhub bench`'s at batch 1 once models are benched, else the evaluation's own median
    # batch time, labelled with the batch size it ran at.
    speed = any(row.latency_ms is not None or row.throughput is not None for row in board.rows)
    robust = any(row.robustness for row in board.rows)
    weighted = board.dynascore is not None
    header = ["#", "model", "kind", *(["Dynascore"] if weighted else []), f"{board.metric} [95% CI]",
              *(f"{name}{' [95% CI]' if name == extra[0] else ''}" for name in extra),
              "vs leader", *(["shortcut gap"] if shortcut else []), "ex/s", *([] if speed else ["batch p50 ms"]), "params", "size",
              *(["latency ms (b1)", "throughput ex/s (b32)", "pareto"] if speed else []),
              *(["flip rate", "worst change", "ECE"] if robust else [])]
    rows = []
    for row in board.rows:
        if row.upper_bound:
            versus = "upper bound"
        elif (row.metric_rank or row.rank) == 1:
            versus = "leader"
        elif row.p_value_vs_leader is None:
            versus = "-"
        elif row.tied_with_leader:
            versus = f"≈ (p={row.p_value_vs_leader:.2f})"
        else:
            versus = f"worse (p={row.p_value_vs_leader:.3f})"
        efficiency = row.efficiency
        p50 = efficiency.get("batch_latency_ms_p50")
        cells = [*([f"{row.dynascore:.4f}" if row.dynascore is not None else "-"] if weighted else []),
                 metric_text(row.metrics.get(board.metric), scaled=scaled)]
        for index, name in enumerate(extra):
            metric = row.metrics.get(name)
            cells.append(metric_text(metric, scaled=scaled) if index == 0 else value_text(metric, scaled=scaled))
        gap = [f"{row.shortcut_gap:+.1f}" if row.shortcut_gap is not None else "-"] if shortcut else []
        speed_cells = [
            f"{row.latency_ms:.2f}" if row.latency_ms is not None else "-",
            f"{row.throughput:.1f}" if row.throughput is not None else "-",
            PARETO_MARK if row.pareto else "",
        ] if speed else []
        rows.append([
            str(row.rank), row.model, _kind(row), *cells, versus, *gap,
            human_count(efficiency.get("examples_per_second")),
            *([] if speed else [f"{p50:.1f} (b{efficiency.get('batch_size') or '?'})" if p50 is not None else "-"]),
            human_count(efficiency.get("parameters")), human_bytes(efficiency.get("size_bytes")), *speed_cells,
            *(robustness_cells(row.robustness) if robust else []),
        ])
    return header, rows


def _kind(row: Any) -> str:
    """A row's kind as a board shows it: an oracle that reads the references says so."""
    if row.upper_bound:
        return "oracle (reads references)"
    kind = "baseline" if row.baseline else row.kind
    return f"{kind}, UNSANDBOXED" if getattr(row, "unsandboxed", False) else kind


def value_text(metric: dict[str, Any] | None, *, scaled: bool) -> str:
    """A metric's value without its interval: one decimal on the 0-100 scale, three on 0-1."""
    if not metric or metric.get("value") is None:
        return "-"
    return f"{metric['value']:.1f}" if scaled else f"{metric['value']:.3f}"


def leaderboard_numbers(board: Leaderboard) -> tuple[list[str], list[list[Any]]]:
    """The leaderboard for spreadsheets and scripts: numbers as numbers (each metric's value, ci_low and ci_high),
    empty cells for what is missing, and the slice it was ranked on."""
    task = get_task(board.task)
    metrics = [board.metric, *task.extra_board_metrics(board.metric, {name for row in board.rows for name in row.metrics})]
    header = ["rank", "model", "kind", "baseline", *(f"{m}{part}" for m in metrics for part in ("", "_ci_low", "_ci_high")),
              "p_value_vs_leader", "tied_with_leader", "shortcut_gap", "examples_per_second", "batch_latency_ms_p50",
              "parameters", "size_bytes", "latency_ms_b1", "throughput_b32", "pareto", "flip_rate", "worst_drop_points",
              "worst_probe", "ece", "dataset", "split", "slice", "upper_bound", *(["dynascore", "metric_rank"] if board.dynascore else [])]

    def blank(value: Any) -> Any:
        return "" if value is None else value

    rows = []
    for row in board.rows:
        cells: list[Any] = [row.rank, row.model, row.kind, row.baseline]
        for name in metrics:
            metric = row.metrics.get(name) or {}
            cells += [blank(metric.get("value")), blank(metric.get("ci_low")), blank(metric.get("ci_high"))]
        robustness = row.robustness or {}
        cells += [blank(row.p_value_vs_leader), row.tied_with_leader, blank(row.shortcut_gap),
                  blank(row.efficiency.get("examples_per_second")), blank(row.efficiency.get("batch_latency_ms_p50")),
                  blank(row.efficiency.get("parameters")), blank(row.size_bytes or row.efficiency.get("size_bytes")),
                  blank(row.latency_ms), blank(row.throughput), row.pareto, blank(robustness.get("flip_rate")),
                  blank(robustness.get("worst_drop_points")), blank(robustness.get("worst_probe")), blank(robustness.get("ece")),
                  board.dataset, board.split, board.slice or "", row.upper_bound]
        if board.dynascore is not None:
            cells += [blank(row.dynascore), blank(row.metric_rank)]
        rows.append(cells)
    return header, rows


def dynascore_lines(summary: Dynascore, metric: str) -> list[str]:
    """How a board's Dynascore was computed, for stderr: each weight's share and AMRS, then its notes."""
    parts = []
    for name, share in summary.normalized.items():
        rate = summary.amrs.get(name)
        cost = " (lower is better)" if name in summary.costs else ""
        parts.append(f"{share:.0%} {metric if name == 'metric' else name}{cost}"
                     + (f", AMRS {rate:.4g} per unit of {metric}" if name != "metric" and rate is not None else ""))
    head = (f"Dynascore ({summary.query}): " + "; ".join(parts) + f"; {summary.scored} rows scored.") if parts else \
        f"Dynascore ({summary.query}): no row scored."
    return [head, *summary.notes]


def robustness_cells(summary: dict[str, Any] | None) -> list[str]:
    """Flip rate under the invariance probes, the worst metric drop (points, and which probe), ECE."""
    if not summary:
        return ["-", "-", "-"]
    flip = summary.get("flip_rate")
    drop = summary.get("worst_drop_points")
    ece = summary.get("ece")
    return [
        f"{flip:.1%}" if flip is not None else "-",
        f"{change_text(drop)} ({summary.get('worst_probe')})" if drop is not None else "-",
        f"{ece:.3f}" if ece is not None else "-",
    ]


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
    header = ["model", "dataset/split", "primary [95% CI]", "second [95% CI]", "examples/s", "cached", "id"]
    rows = []
    for e in evaluations:
        task = get_task(e.task)
        scaled = task.metric_scale > 1
        second = (task.extra_board_metrics(task.primary_metric, set(e.metrics)) or ["-"])[0]
        names = (task.primary_metric, second)
        rows.append([
            e.model, f"{e.dataset}/{e.split}", f"{names[0]} {metric_text(e.metrics.get(names[0]), scaled=scaled)}",
            f"{names[1]} {metric_text(e.metrics.get(names[1]), scaled=scaled)}",
            human_count(e.efficiency.get("examples_per_second")), "yes" if e.cached else "no", str(e.id),
        ])
    return header, rows


def speed_rows(results: list[SpeedResult]) -> tuple[list[str], list[list[str]]]:
    """`benchhub bench` results as table text, one row per model x batch size x sequence length."""
    generating = any("generation" in r.details for r in results)
    header = ["model", "batch", "seq len", "p50 ms", "p90 ms", "p99 ms", "ex/s", *(["tok/s", "TTFT p50 ms"] if generating else []),
              "timings", "size"]
    return header, [
        [r.model, str(r.batch_size), str(r.seq_len), f"{r.latency_ms_p50:.2f}", f"{r.latency_ms_p90:.2f}",
         f"{r.latency_ms_p99:.2f}", f"{r.throughput:.1f}", *(_generation_cells(r.details.get("generation")) if generating else []),
         str(r.timings), human_bytes(r.size_bytes)]
        for r in results
    ]


def _generation_cells(generation: dict[str, Any] | None) -> list[str]:
    """Tokens per second and time to first token ("-" for a model that does not generate, or under beam search)."""
    if generation is None:
        return ["-", "-"]
    ttft = generation.get("ttft_p50_ms")
    return [f"{generation['tokens_per_second']:.1f}", "-" if ttft is None else f"{ttft:.2f}"]


def hardware_line(hardware: dict[str, Any], threads: int | None) -> str:
    """One line naming the machine a benchmark ran on."""
    gpu = f", GPU {hardware['gpu']}" if hardware.get("gpu") else ""
    return (f"hardware: {hardware.get('cpu', 'unknown CPU')} ({hardware.get('cpu_count', '?')} CPUs, {hardware.get('machine', '?')}{gpu}); "
            f"threads: {threads if threads is not None else '-'}")


def prediction_rows(task_name: str, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Per-example rows of an evaluation as table text, in the task family's columns."""
    return get_task(task_name).example_table(rows)


def detail_tables(evaluation: Evaluation) -> list[tuple[str, list[str], list[list[str]]]]:
    """An evaluation's detail tables (per class, per entity type, ...) and its confusion matrix, as (title, header, rows)."""
    task = get_task(evaluation.task)
    named = f"{evaluation.model} on {evaluation.dataset}/{evaluation.split}"
    tables = [(f"{table.title}: {named}", table.header, table.rows) for table in task.detail_tables(evaluation.details)]
    confusion = task.confusion(evaluation.details)
    if confusion is not None:
        labels, matrix = confusion
        tables.append((f"Confusion matrix (rows gold, columns predicted): {named}", ["gold \\ predicted", *labels],
                       [[label, *map(str, counts)] for label, counts in zip(labels, matrix, strict=True)]))
    return tables


def metric_comparison_rows(comparison: Comparison) -> tuple[list[str], list[list[str]]]:
    """Each metric of a comparison: A, B, and A - B with its CI and paired p-value."""
    task = get_task(comparison.task)
    scaled = task.metric_scale > 1
    level = f"{comparison.confidence:.0%}"
    header = ["metric", "A", "B", f"A - B [{level} CI]", "p (paired)"]

    def number(value: float | None) -> str:
        return "-" if value is None else (f"{value:+.2f}" if scaled else f"{value:+.3f}")

    rows = []
    for m in comparison.metrics:
        if m.difference is None:
            change = "- (not paired)"
        elif m.ci_low is None or m.ci_high is None:
            change = f"{number(m.difference)} (no CI)"
        else:
            change = f"{number(m.difference)} [{number(m.ci_low)}, {number(m.ci_high)}]"
        value = (lambda v: "-" if v is None else (f"{v:.1f}" if scaled else f"{v:.3f}"))
        rows.append([m.metric, value(m.a), value(m.b), change,
                     "-" if m.p_value is None else f"{m.p_value:.3f}"])
    return header, rows


def comparison_lines(comparison: Comparison) -> list[str]:
    """The contingency table of exactly right examples and McNemar's exact test, as lines."""
    c = comparison.contingency
    return [
        *comparison.notes,
        f"exactly right: both {c['both_right']}, only A {c['only_a']}, only B {c['only_b']}, neither {c['both_wrong']}",
        f"McNemar's exact test (only A vs only B): p = {comparison.mcnemar_p_value:.4g}",
        f"predictions differ on {len(comparison.disagreements)} of {comparison.examples} examples",
    ]


def disagreement_rows(comparison: Comparison, limit: int) -> tuple[list[str], list[list[str]]]:
    """The first `limit` examples where the two models' predictions differ."""
    from benchhub.tasks.base import inputs_text

    task = get_task(comparison.task)

    def shown(value: Any, right: bool | None = None) -> str:
        text = task.value_text(value)
        text = text if len(text) <= 60 else text[:59] + "…"
        return text if right is None else f"{text} {'✓' if right else '✗'}"

    header = ["id", "input", "gold", "A", "B"]
    return header, [
        [str(d["id"]), inputs_text(d["inputs"], limit=70), shown(d["gold"]), shown(d["a"], d["a_correct"]),
         shown(d["b"], d["b_correct"])]
        for d in comparison.disagreements[:limit]
    ]


def _option_text(value: Any) -> str:
    """An option's value, or how many values a long list holds (e.g. the train split's mention strings)."""
    return f"({len(value)} values)" if isinstance(value, list) and len(value) > 10 else str(value)


def dataset_lines(info: DatasetInfo) -> list[str]:
    lines = [
        f"dataset      {info.name}",
        f"task         {info.task}",
        *([f"labels       {', '.join(info.labels)}"] if info.labels else []),
        *([f"options      {', '.join(f'{k}={_option_text(v)}' for k, v in info.options.items())}"] if info.options else []),
        f"fingerprint  {info.fingerprint}",
        f"source       {source_text(info.source)}",
        f"columns      {', '.join(f'{k}={v}' for k, v in info.columns.items() if v)}",
    ]
    for split in info.splits:
        counts = ", ".join(f"{label}: {count}" for label, count in split.label_counts.items())
        lines.append(f"split {split.name:<7}{split.num_rows} rows ({counts})")
    for check in info.contamination:
        lines.append(f"contamination {check['split']} against {check['against']}: {check['flagged']} of {check['items']} "
                     f"items ({check['share']:.1%}) share a {check['ngram']}-gram")
    return lines


def contamination_lines(checks: list[dict[str, Any]]) -> list[str]:
    """Contamination checks as a text table (split, reference, n, items, flagged, share, too short), then the first
    flagged items of each."""
    header = ["split", "against", "n", "items", "flagged", "share", "too short"]
    rows = [[c["split"], c["against"], str(c["ngram"]), str(c["items"]), str(c["flagged"]), f"{c['share']:.1%}",
             str(c["too_short"])] for c in checks]
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in [header, *rows]]
    for check in checks:
        if check.get("examples"):
            lines.append(f"first flagged items of {check['split']} (against {check['against']}):")
            lines.extend(f"  {example['id']}: {example['text']}" for example in check["examples"])
    return lines


def source_text(source: dict[str, Any]) -> str:
    """Where a dataset came from: a path, a hub id, or the files its user uploaded (name, size, SHA-256 prefix)."""
    if "uploaded" not in source:
        return str(source)
    sent = ", ".join(f"{file['name']} ({human_bytes(file['size_bytes'])}, sha256 {file['sha256'][:12]})"
                     for file in source["uploaded"])
    splits = ", ".join(f"{split}={member}" for split, member in (source.get("splits") or {}).items())
    return f"uploaded {sent}" + (f"; splits {splits}" if splits else "")


def variant_rows(result: Any) -> tuple[list[str], list[list[str]]]:
    """The candidates of `optimize --variants`: gate, latency at batch 1 and throughput at batch 32 against
    PyTorch fp32 in the same run, and which workload chose it."""
    header = ["variant", "gate", "latency b1 ms", "vs fp32", "ex/s b32", "vs fp32", "chosen for"]
    rows = []
    for trial in result.trials:
        if trial.gate is None and trial.error is None:
            gate = "reference"
        elif trial.error is not None:
            gate = f"build failed: {trial.error}"
        elif "max_abs_diff" in trial.gate:
            gate = f"{'passed' if trial.passed else 'FAILED'} (logits within {trial.gate['max_abs_diff']:.1e})"
        else:
            gate = (f"{'passed' if trial.passed else 'FAILED'} ({change_text(-trial.gate['drop_points'], '+.2f')} pts, "
                    f"{trial.gate['agreement']:.1%} same)")
        chosen = [label for workload, label in (("b1", "batch 1"), ("b32", "batch 32")) if result.chosen.get(workload) == trial.variant]
        rows.append([
            trial.variant, gate,
            "-" if trial.latency_b1_ms is None else f"{trial.latency_b1_ms:.2f}",
            "-" if trial.speedup_b1 is None else f"{trial.speedup_b1:.2f}x",
            "-" if trial.throughput_b32 is None else f"{trial.throughput_b32:.1f}",
            "-" if trial.speedup_b32 is None else f"{trial.speedup_b32:.2f}x",
            ", ".join(chosen) or "-",
        ])
    return header, rows
