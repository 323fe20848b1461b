"""One self-contained HTML page per leaderboard: dataset facts, the ranked table, accuracy against latency.

The page opens offline: its CSS and the plotly.js bundle are inlined, and nothing is fetched.
Every user-supplied string (model, dataset and split names, notes) is escaped.
"""

from __future__ import annotations

import math
from datetime import datetime
from html import escape
from typing import Any

from benchhub.results import DatasetInfo, Evaluation, Leaderboard, LeaderboardRow
from benchhub.tasks.registry import get_task
from benchhub.units import change_text, human_bytes

NO_SPEED = "No speed measurements yet — run `benchhub bench MODEL ...` to place models on an accuracy-vs-latency plot."
PLOT_CONFIG = {"displaylogo": False, "responsive": True}

CSS = """
:root { --ink: #1f2933; --muted: #6b7785; --line: #dde3ea; --band: #f5f7fa; --accent: #2f6fde; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1280px; padding: 2rem 1.5rem 4rem; color: var(--ink);
       font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 2.25rem 0 .75rem; }
.meta, .legend, .empty { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1.25rem; margin: 1rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: .45rem .65rem; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { position: sticky; top: 0; background: #fff; font-weight: 600; border-bottom: 2px solid var(--ink); }
td.num, th.num { text-align: right; }
tbody tr:nth-child(even) { background: var(--band); }
tr.baseline td { color: var(--muted); font-style: italic; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .6rem; font-size: 12px; font-style: normal;
         background: var(--line); color: var(--ink); }
.tied { color: var(--accent); font-weight: 600; }
.pareto { color: var(--accent); }
ul.notes { padding-left: 1.25rem; }
.flag { border-left: 4px solid #c77700; padding: .25rem .6rem; background: #fff6e5; }
"""


def render_html(leaderboard: Leaderboard, *, dataset: DatasetInfo, generated_at: datetime | str, version: str,
                reliability: dict[str, list[dict[str, Any]]] | None = None, leader: Evaluation | None = None) -> str:
    """The leaderboard as one HTML document that needs no network to open.

    `reliability` maps probed models to their reliability bins (from `benchhub probe`), drawn as a
    reliability diagram under the plots. `leader`'s details (per class, the confusion matrix as a
    heatmap) close the page.
    """
    board = leaderboard
    split = dataset.split(board.split)
    facts = [
        ("task", escape(board.task)),
        ("split", escape(board.split)),
        ("rows", f"{split.num_rows:,}" if split else "-"),
        ("dataset fingerprint", f"<code>{escape(dataset.fingerprint)}</code>"),
        *([("split fingerprint", f"<code>{escape(split.fingerprint)}</code>")] if split else []),
        *([("labels", escape(", ".join(dataset.labels)))] if dataset.labels else []),
        ("ranked by", escape(board.metric)),
    ]
    when = generated_at.isoformat(timespec="seconds") if isinstance(generated_at, datetime) else str(generated_at)
    title = f"Leaderboard: {board.dataset}/{board.split}"
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Generated {escape(when)} by benchhub {escape(version)}.</p>',
        '<dl class="facts">' + "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts) + "</dl>",
        "<h2>Ranking</h2>",
        *(f'<p class="flag contamination" role="note">&#9888; {escape(flag["note"])}</p>' for flag in board.contamination),
        _table(board),
        *_notes(board),
        "<h2>Accuracy vs latency</h2>",
        *_plot_section(board),
        *_reliability_section(reliability or {}),
        *_details_section(leader),
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def accuracy_latency_figure(board: Leaderboard) -> Any | None:
    """Ranking metric against latency (log scale), with the Pareto front as a step line; None when nothing is benched."""
    import plotly.graph_objects as go

    points = [(row, value) for row in board.rows if (value := _value(row, board.metric)) is not None and row.latency_ms]
    if not points:
        return None
    low, high = (math.log10(f(row.latency_ms for row, _ in points)) for f in (min, max))

    def label_side(latency: float) -> str:  # labels lean inwards, so the ones at the edges stay on the plot
        where = (math.log10(latency) - low) / (high - low) if high > low else 0.5
        return "top right" if where < 0.25 else "top left" if where > 0.75 else "top center"

    figure = go.Figure()
    for label, baseline, marker in (
        ("models", False, {"size": 11, "color": "#2f6fde", "symbol": "circle"}),
        ("baselines", True, {"size": 11, "color": "#8a94a3", "symbol": "diamond-open", "line": {"width": 2}}),
    ):
        chosen = [(row, value) for row, value in points if row.baseline is baseline]
        if chosen:
            figure.add_trace(go.Scatter(
                name=label, mode="markers+text", marker=marker,
                textposition=[label_side(row.latency_ms) for row, _ in chosen],
                textfont={"size": 11, "color": "#3b4456"}, cliponaxis=False,
                x=[row.latency_ms for row, _ in chosen], y=[value for _, value in chosen],
                text=[escape(row.model) for row, _ in chosen],
                hovertemplate=f"<b>%{{text}}</b><br>{escape(board.metric)}: %{{y:{_format(board)}}}<br>"
                              "latency: %{x:.2f} ms<extra></extra>",
            ))
    front = sorted((row.latency_ms, value) for row, value in points if row.pareto)
    if front:
        # A step: the best accuracy reachable within a latency budget holds until the next faster-is-worse point.
        figure.add_trace(go.Scatter(
            name="Pareto front", mode="lines", line={"shape": "hv", "dash": "dash", "color": "#e4572e"},
            x=[x for x, _ in front], y=[y for _, y in front], hoverinfo="skip",
        ))
    figure.update_layout(
        template="plotly_white", height=480, margin={"l": 60, "r": 20, "t": 30, "b": 80},
        xaxis={"type": "log", "title": {"text": "latency per example, ms<br>(log scale; lower is better)"},
               **log_ticks([row.latency_ms for row, _ in points])},
        yaxis={"title": {"text": f"{escape(board.metric)} "
                                 f"({'lower' if board.metric in get_task(board.task).lower_is_better else 'higher'} is better)"}},
        legend={"orientation": "h", "y": -0.22},
    )
    return figure


def log_ticks(values: list[float]) -> dict[str, Any]:
    """Ticks at 1, 2 and 5 of every decade the values span, each written out ("0.05", "2", "100"), for a
    log axis; plotly's own ticks on a short range read "6 7 8 9 1 2 3"."""
    first, last = math.floor(math.log10(min(values))) - 1, math.ceil(math.log10(max(values))) + 1
    ticks = [mantissa * 10.0 ** exponent for exponent in range(first, last + 1) for mantissa in (1, 2, 5)]
    lower = max(i for i, tick in enumerate(ticks) if tick <= min(values) * (1 + 1e-9))
    upper = min(i for i, tick in enumerate(ticks) if tick >= max(values) * (1 - 1e-9))
    if lower == upper:  # one value on a tick: its neighbours too
        lower, upper = lower - 1, upper + 1
    span = ticks[lower:upper + 1]
    if len(span) > 9:  # a wide range: decades only
        span = [tick for tick in span if f"{tick:g}".lstrip("0.").startswith("1")]
    return {"tickvals": span, "ticktext": [f"{tick:g}" for tick in span], "minor": {"ticks": ""}}


def _accuracy_bars(board: Leaderboard) -> Any | None:
    """The ranking metric per model with its CI, for boards without speed measurements."""
    import plotly.graph_objects as go

    rows = [(row, value) for row in board.rows if (value := _value(row, board.metric)) is not None]
    if not rows:
        return None
    low = [value - _bound(row.metrics[board.metric], "ci_low", value) for row, value in rows]
    high = [_bound(row.metrics[board.metric], "ci_high", value) - value for row, value in rows]
    figure = go.Figure(go.Bar(
        x=[escape(row.model) for row, _ in rows], y=[value for _, value in rows],
        marker={"color": ["#8a94a3" if row.baseline else "#2f6fde" for row, _ in rows]},
        error_y={"type": "data", "symmetric": False, "array": high, "arrayminus": low},
        hovertemplate=f"<b>%{{x}}</b><br>{escape(board.metric)}: %{{y:{_format(board)}}}<extra></extra>",
    ))
    figure.update_layout(template="plotly_white", height=420, margin={"l": 60, "r": 20, "t": 30, "b": 120},
                         yaxis={"title": {"text": f"{escape(board.metric)} [95% CI]"}})
    return figure


def _plot_section(board: Leaderboard) -> list[str]:
    import plotly.offline

    figure = accuracy_latency_figure(board)
    parts = []
    if figure is None:
        parts.append(f'<p class="empty">{_inline_code(NO_SPEED)}</p>')
        figure = _accuracy_bars(board)
        if figure is None:
            return parts
        parts.append(f"<p class=\"legend\">{escape(board.metric)} per model with its 95% CI (baselines in grey).</p>")
    # The bundle goes right before the first plot, so the table shows while the browser parses it.
    parts.append(f"<script>{plotly.offline.get_plotlyjs()}</script>")
    parts.append('<div class="plot">' + figure.to_html(
        include_plotlyjs=False, full_html=False, div_id="benchhub-plot", config=PLOT_CONFIG,
    ) + "</div>")
    return parts


def reliability_figure(reliability: dict[str, list[dict[str, Any]]]) -> Any | None:
    """Accuracy against confidence per bin for each probed model, with the diagonal of perfect calibration."""
    import plotly.graph_objects as go

    if not reliability:
        return None
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                                line={"dash": "dot", "color": "#9aa3b2"}))
    for model, bins in reliability.items():
        shown = [b for b in bins if b.get("count")]
        figure.add_trace(go.Scatter(
            x=[b["confidence"] for b in shown], y=[b["accuracy"] for b in shown], mode="lines+markers", name=model,
            text=[f"{b['count']} examples" for b in shown], hovertemplate="%{fullData.name}<br>confidence %{x:.2f}, accuracy %{y:.2f}<br>%{text}<extra></extra>",
        ))
    figure.update_layout(xaxis_title="confidence (mean per bin, 15 bins)", yaxis_title="accuracy", template="plotly_white",
                         xaxis_range=[0, 1], yaxis_range=[0, 1.02], margin={"t": 20}, height=420)
    return figure


def _reliability_section(reliability: dict[str, list[dict[str, Any]]]) -> list[str]:
    figure = reliability_figure(reliability)
    if figure is None:
        return []
    return [
        "<h2>Calibration</h2>",
        '<p class="legend">Reliability diagram from <code>benchhub probe</code>: in each of 15 equal-width confidence bins, '
        "the share of correct predictions against the mean confidence; points under the diagonal are overconfident.</p>",
        '<div class="plot">' + figure.to_html(include_plotlyjs=False, full_html=False, div_id="benchhub-reliability",
                                              config=PLOT_CONFIG) + "</div>",
    ]


def _table(board: Leaderboard) -> str:
    if not board.rows:
        return ('<p class="empty">' + _inline_code(
            f"No evaluations yet — run `benchhub eval --model MODEL --dataset {board.dataset} --split {board.split}`."
        ) + "</p>")
    extra = _extra_metrics(board)
    shortcut = any(row.shortcut_gap is not None for row in board.rows)
    robust = any(row.robustness for row in board.rows)
    header = [("#", True), ("model", False), ("kind", False), (f"{board.metric} [95% CI]", True),
              *((name, True) for name in extra), ("vs leader", False), *([("shortcut gap", True)] if shortcut else []),
              ("latency ms", True), ("throughput ex/s", True), ("size", True), ("Pareto", False),
              *([("flip rate", True), ("worst change (points)", True), ("ECE", True)] if robust else [])]
    lines = ['<div class="scroll"><table><thead><tr>']
    lines.append("".join(f'<th{" class=num" if numeric else ""}>{escape(name)}</th>' for name, numeric in header))
    lines.append("</tr></thead><tbody>")
    for row in board.rows:
        cells = [
            _td(str(row.rank), numeric=True),
            _td(escape(row.model) + (' <span class="badge">unsandboxed (--unsafe-no-sandbox)</span>'
                                     if getattr(row, "unsandboxed", False) else "")),
            _td('<span class="badge">oracle · upper bound (reads the references)</span>' if row.upper_bound else
                '<span class="badge">baseline</span>' if row.baseline else escape(row.kind)),
            _td(escape(_metric_text(board, row.metrics.get(board.metric))), numeric=True),
            *(_extra_cell(board, row.metrics.get(name)) for name in extra),
            _td(_versus(row)),
            *([_td("-" if row.shortcut_gap is None else f"{row.shortcut_gap:+.{_digits(board)}f}", numeric=True)] if shortcut else []),
            _td(_number(row.latency_ms, ".2f"), numeric=True),
            _td(_number(row.throughput, ",.1f"), numeric=True),
            _td(human_bytes(_size(row)), numeric=True),
            _td('<span class="pareto" title="on the accuracy-latency Pareto front">◆</span>' if row.pareto else ""),
            *(_robustness_cells(row, most_robust(board)) if robust else []),
        ]
        lines.append(f'<tr{" class=baseline" if row.baseline else ""}>' + "".join(cells) + "</tr>")
    lines.append("</tbody></table></div>")
    lines.append(
        '<p class="legend">≈ : not significantly different from the leader (paired bootstrap, p ≥ 0.05). '
        "Latency (one example, sequence length 128), throughput (batch 32) and size come from "
        "<code>benchhub bench</code>; ◆ marks the Pareto front: no other benched model is both more accurate and faster.</p>"
    )
    return "\n".join(lines)


def most_robust(board: Leaderboard) -> str | None:
    """The probed model whose worst metric drop under the invariance probes is smallest (not only the most accurate)."""
    probed = [row for row in board.rows if row.robustness and row.robustness.get("worst_drop_points") is not None]
    return min(probed, key=lambda row: (row.robustness["worst_drop_points"], row.rank)).model if probed else None


def _robustness_cells(row: LeaderboardRow, robust_model: str | None) -> list[str]:
    summary = row.robustness or {}
    flip, drop, ece = summary.get("flip_rate"), summary.get("worst_drop_points"), summary.get("ece")
    mark = ' <span class="badge" title="the smallest worst-case drop under the probes">most robust</span>' if row.model == robust_model else ""
    return [
        _td(_number(None if flip is None else 100 * flip, ".1f") + ("%" if flip is not None else ""), numeric=True),
        _td(((change_text(drop) if drop is not None else "–") + (f" ({escape(str(summary.get('worst_probe')))})" if drop is not None else "")) + mark, numeric=True),
        _td(_number(ece, ".3f"), numeric=True),
    ]


def _details_section(evaluation: Evaluation | None) -> list[str]:
    """Per-class (per-type) tables and the confusion matrix of one evaluation; nothing when it has none."""
    if evaluation is None:
        return []
    task = get_task(evaluation.task)
    parts = []
    for table in task.detail_tables(evaluation.details):
        head = "".join((f'<th class="num">{escape(h)}</th>' if i else f"<th>{escape(h)}</th>") for i, h in enumerate(table.header))
        body = "".join("<tr>" + "".join(_td(escape(c), numeric=i > 0) for i, c in enumerate(row)) + "</tr>" for row in table.rows)
        parts += [f"<h3>{escape(table.title)}</h3>", f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>']
    confusion = task.confusion(evaluation.details)
    if confusion is not None:
        labels, matrix = confusion
        head = "<th>gold \\ predicted</th>" + "".join(f'<th class="num">{escape(label)}</th>' for label in labels)
        rows = []
        for label, counts in zip(labels, matrix, strict=True):
            total = sum(counts) or 1
            cells = "".join(
                f'<td class="num" style="background: rgba(47, 111, 222, {0.08 + 0.72 * c / total if c else 0:.3f})'
                f'{"; color: #fff" if c / total > 0.55 else ""}" title="{c / total:.0%} of {escape(label)}">{c}</td>'
                for c in counts)
            rows.append(f"<tr><th>{escape(label)}</th>{cells}</tr>")
        parts += ["<h3>Confusion matrix</h3>", '<p class="legend">Rows are gold labels, columns predicted ones; a shade is the share of its row.</p>',
                  f'<div class="scroll"><table class="heatmap"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>']
    if not parts:
        return []
    return [f"<h2>Where {escape(evaluation.model)} errs</h2>",
            f'<p class="legend">The leading model\'s details on this split (evaluation {evaluation.id}).</p>', *parts]


def _notes(board: Leaderboard) -> list[str]:
    if not board.notes:
        return []
    return ["<h2>Notes</h2>", '<ul class="notes">' + "".join(f"<li>{escape(note)}</li>" for note in board.notes) + "</ul>"]


def _extra_metrics(board: Leaderboard) -> list[str]:
    """The family's report metrics (secondary ones beside the ranking metric) that the rows report."""
    present = [name for row in board.rows for name in row.metrics]
    preferred = get_task(board.task).report_metrics
    return [name for name in preferred if name != board.metric and name in present]


def _extra_cell(board: Leaderboard, metric: dict[str, float] | None) -> str:
    """A secondary metric's value, its CI in the tooltip to keep the table narrow."""
    if not metric or metric.get("value") is None:
        return _td("-", numeric=True)
    ci = _metric_text(board, metric)
    return f'<td class="num" title="{escape(ci)}">{metric["value"]:.{_digits(board)}f}</td>'


def _versus(row: LeaderboardRow) -> str:
    if row.rank == 1:
        return "leader"
    if row.p_value_vs_leader is None:
        return "-"
    if row.tied_with_leader:
        return f'<span class="tied">≈</span> (p={row.p_value_vs_leader:.2f})'
    return f"worse (p={row.p_value_vs_leader:.3f})"


def _metric_text(board: Leaderboard, metric: dict[str, float] | None) -> str:
    """`value [low, high]`; metrics on a 0–100 scale (SQuAD's) get one decimal, others three."""
    if not metric or metric.get("value") is None:
        return "-"
    digits = _digits(board)
    if metric.get("ci_low") is None or metric.get("ci_high") is None:
        return f"{metric['value']:.{digits}f}"
    return f"{metric['value']:.{digits}f} [{metric['ci_low']:.{digits}f}, {metric['ci_high']:.{digits}f}]"


def _value(row: LeaderboardRow, metric: str) -> float | None:
    entry = row.metrics.get(metric)
    value = entry.get("value") if entry else None
    return float(value) if value is not None and math.isfinite(value) else None


def _bound(metric: dict[str, float], name: str, value: float) -> float:
    return value if metric.get(name) is None else float(metric[name])


def _size(row: LeaderboardRow) -> int | None:
    """The benched size on disk, else the size the evaluation recorded."""
    return row.size_bytes if row.size_bytes is not None else row.efficiency.get("size_bytes")


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _digits(board: Leaderboard) -> int:
    return 1 if get_task(board.task).metric_scale > 1 else 3


def _format(board: Leaderboard) -> str:
    return f".{_digits(board)}f"


def _td(content: str, *, numeric: bool = False) -> str:
    return f'<td class="num">{content}</td>' if numeric else f"<td>{content}</td>"


def _inline_code(text: str) -> str:
    """Escapes `text` and sets its `backticked` parts as code."""
    pieces = escape(text).split("`")
    return "".join(f"<code>{piece}</code>" if index % 2 else piece for index, piece in enumerate(pieces))
