"""`benchhub report`: one self-contained HTML page with the leaderboard and accuracy against latency."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import plotly.offline
import pytest
from typer.testing import CliRunner

from benchhub import Hub, InvalidInputError
from benchhub.cli.app import app
from benchhub.report import accuracy_latency_figure, render_html, write_atomically
from benchhub.results import DatasetInfo, Leaderboard, LeaderboardRow, SplitInfo

EVIL = "<script>alert('x')</script>"
WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def metric(value: float, low: float | None = None, high: float | None = None) -> dict[str, float | None]:
    return {"value": value, "ci_low": low, "ci_high": high}


def row(rank: int, model: str, value: float, *, baseline: bool = False, latency: float | None = None,
        throughput: float | None = None, size: int | None = None, pareto: bool = False, tied: bool = False,
        p_value: float | None = None, **extra: dict) -> LeaderboardRow:
    return LeaderboardRow(
        rank=rank, model=model, kind="baseline" if baseline else "transformers", baseline=baseline,
        metrics={"macro_f1": metric(value, value - 0.1, min(value + 0.05, 1.0)), **extra}, efficiency={},
        evaluation_id=rank, p_value_vs_leader=p_value, tied_with_leader=tied, latency_ms=latency,
        throughput=throughput, size_bytes=size, pareto=pareto,
    )


def dataset_info(name: str = "reviews", task: str = "text-classification") -> DatasetInfo:
    return DatasetInfo(
        name=name, task=task, fingerprint="f" * 64, labels=["negative", "positive"] if task != "question-answering" else [],
        columns={}, source={}, splits=[SplitInfo("test", 24, {}, "e" * 64)], created_at=WHEN,
    )


@pytest.fixture
def benched() -> Leaderboard:
    """Two transformers models and two baselines; three benched, two of them on the Pareto front."""
    return Leaderboard(dataset="reviews", split="test", task="text-classification", metric="macro_f1", rows=[
        row(1, "big-model", 0.9125, latency=40.0, throughput=250.0, size=90_500_000, pareto=True,
            accuracy=metric(0.92, 0.85, 0.97)),
        row(2, EVIL, 0.875, latency=55.5, throughput=1234.5, size=45_300_000, tied=True, p_value=0.31,
            accuracy=metric(0.875, 0.8, 0.95)),
        row(3, "baseline:tfidf-logreg", 0.8, baseline=True, latency=0.25, throughput=9000.0, size=12_000, pareto=True,
            p_value=0.004, accuracy=metric(0.8, 0.7, 0.9)),
        row(4, "baseline:majority", 0.333, baseline=True, p_value=0.001, accuracy=metric(0.5, 0.3, 0.7)),
    ], notes=["A note with <b>markup</b> & an ampersand."])


def without_bundle(page: str) -> str:
    bundle = plotly.offline.get_plotlyjs()
    assert page.count(bundle) == 1
    return page.replace(bundle, "")


def test_the_page_shows_every_row_escaped_with_formatted_values(benched):
    page = render_html(benched, dataset=dataset_info(), generated_at=WHEN, version="9.9.9")
    text = without_bundle(page)
    assert EVIL not in page and "<script>alert" not in page
    assert "<td>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</td>" in text
    for name in ("big-model", "baseline:tfidf-logreg", "baseline:majority"):
        assert f"<td>{name}</td>" in text
    assert "<title>Leaderboard: reviews/test</title>" in text
    assert "Generated 2025-01-02T03:04:05+00:00 by benchhub 9.9.9." in text
    assert "<dt>rows</dt><dd>24</dd>" in text and f"<code>{'f' * 64}</code>" in text and f"<code>{'e' * 64}</code>" in text
    rows = re.findall(r"<tr(?: class=baseline)?>(.*?)</tr>", text, flags=re.S)[1:]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", line) for line in rows]
    assert [c[0] for c in cells] == ["1", "2", "3", "4"]
    assert cells[0][3:5] == ["0.912 [0.812, 0.963]", "0.920"]
    assert cells[0][5:] == ["leader", "40.00", "250.0", "90.5 MB", cells[0][-1]] and "◆" in cells[0][-1]
    assert cells[1][5:9] == ['<span class="tied">≈</span> (p=0.31)', "55.50", "1,234.5", "45.3 MB"] and cells[1][-1] == ""
    assert cells[2][2] == '<span class="badge">baseline</span>' and cells[2][5:9] == ["worse (p=0.004)", "0.25", "9,000.0", "12.0 kB"]
    assert cells[3][5:] == ["worse (p=0.001)", "-", "-", "-", ""]
    assert 'title="0.875 [0.800, 0.950]"' in text
    assert text.count("<tr class=baseline>") == 2
    assert "<li>A note with &lt;b&gt;markup&lt;/b&gt; &amp; an ampersand.</li>" in text


def test_the_page_opens_offline_with_plotly_inlined(benched):
    page = render_html(benched, dataset=dataset_info(), generated_at=WHEN, version="1")
    assert f"<script>{plotly.offline.get_plotlyjs()}</script>" in page
    assert not re.search(r"<script[^>]+src=|<link\b|<iframe|@import", page)
    # Outside the bundle's own code, the page names no address at all: nothing can be fetched.
    assert not re.search(r"https?:|//cdn|src=", without_bundle(page))
    assert page.index("<table>") < page.index("<script>")


def test_the_scatter_plots_benched_rows_with_the_pareto_front_as_a_step_line(benched):
    figure = accuracy_latency_figure(benched)
    traces = {trace.name: trace for trace in figure.data}
    assert list(traces) == ["models", "baselines", "Pareto front"]
    assert list(traces["models"].x) == [40.0, 55.5] and list(traces["models"].y) == [0.9125, 0.875]
    assert list(traces["models"].text) == ["big-model", "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"]
    assert "%{text}" in traces["models"].hovertemplate
    assert list(traces["baselines"].x) == [0.25] and list(traces["baselines"].y) == [0.8]
    assert traces["baselines"].marker.symbol != traces["models"].marker.symbol
    front = traces["Pareto front"]
    assert (list(front.x), list(front.y), front.line.shape, front.mode) == ([0.25, 40.0], [0.8, 0.9125], "hv", "lines")
    assert figure.layout.xaxis.type == "log"
    assert "macro_f1" in figure.layout.yaxis.title.text
    page = without_bundle(render_html(benched, dataset=dataset_info(), generated_at=WHEN, version="1"))
    assert '"name":"Pareto front"' in page and '"shape":"hv"' in page and '"type":"log"' in page
    assert '"x":[40.0,55.5]' in page and '"y":[0.9125,0.875]' in page
    assert "No speed measurements" not in page


def test_without_speed_measurements_the_page_says_how_to_get_them(benched):
    board = Leaderboard(dataset=benched.dataset, split="test", task=benched.task, metric="macro_f1", rows=[
        row(1, "big-model", 0.9), row(2, "baseline:majority", 0.333, baseline=True, p_value=0.01),
    ])
    assert accuracy_latency_figure(board) is None
    page = without_bundle(render_html(board, dataset=dataset_info(), generated_at=WHEN, version="1"))
    assert "No speed measurements yet — run <code>benchhub bench MODEL ...</code>" in page
    assert '"type":"bar"' in page and '"x":["big-model","baseline:majority"]' in page and '"y":[0.9,0.333]' in page
    assert '"name":"Pareto front"' not in page


def test_a_board_without_rows_says_to_evaluate_and_draws_nothing():
    board = Leaderboard(dataset="reviews", split="dev", task="text-classification", metric="macro_f1")
    page = render_html(board, dataset=dataset_info(), generated_at=WHEN, version="1")
    assert "No evaluations yet — run <code>benchhub eval --model MODEL --dataset reviews --split dev</code>." in page
    assert "<dt>rows</dt><dd>-</dd>" in page  # the info has no 'dev' split
    assert "<script>" not in page


def test_a_qa_board_shows_squad_metrics_with_one_decimal_and_the_shortcut_gap():
    def qa_row(rank: int, model: str, f1: float, gap: float, *, baseline: bool = False) -> LeaderboardRow:
        return LeaderboardRow(
            rank=rank, model=model, kind="baseline" if baseline else "predictions", baseline=baseline,
            metrics={"f1": metric(f1, f1 - 5, f1 + 5), "exact": metric(f1 - 10), "HasAns_f1": metric(70.0),
                     "NoAns_f1": metric(100.0), "best_f1": metric(99.0)},
            efficiency={}, evaluation_id=rank, p_value_vs_leader=None if rank == 1 else 0.02, tied_with_leader=False,
            shortcut_gap=gap,
        )

    board = Leaderboard(dataset="qa", split="test", task="question-answering", metric="f1", rows=[
        qa_row(1, "reader", 81.25, 12.25), qa_row(2, "baseline:context-only", 69.0, 0.0, baseline=True),
    ])
    page = without_bundle(render_html(board, dataset=dataset_info("qa", "question-answering"), generated_at=WHEN, version="1"))
    header = re.findall(r"<th[^>]*>(.*?)</th>", page)
    assert header == ["#", "model", "kind", "f1 [95% CI]", "exact", "HasAns_f1", "NoAns_f1", "vs leader", "shortcut gap",
                      "latency ms", "throughput ex/s", "size", "Pareto"]
    assert '<td class="num">81.2 [76.2, 86.2]</td>' in page
    assert '<td class="num">+12.2</td>' in page and '<td class="num">+0.0</td>' in page
    assert '<td class="num" title="71.2">71.2</td>' in page


def test_writes_are_atomic_and_refuse_a_folder(tmp_path):
    target = tmp_path / "deep" / "report.html"
    assert write_atomically(target, "one") == target.resolve()
    assert write_atomically(target, "two") == target.resolve()
    assert target.read_text() == "two"
    assert target.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]
    with pytest.raises(InvalidInputError, match=r"is a folder; give a file name"):
        write_atomically(tmp_path, "x")


@pytest.fixture
def reviews(review_files) -> dict[str, Path]:
    with Hub.open() as hub:
        hub.add_dataset("reviews", splits=review_files, id_column="id")
    return review_files


def test_hub_report_writes_the_leaderboard_with_its_baselines(reviews, tmp_path):
    with Hub.open() as hub:
        path = hub.report_html(dataset="reviews", path=tmp_path / "out" / "reviews.html", progress=False)
        board = hub.leaderboard(dataset="reviews", progress=False)
        info = hub.dataset("reviews")
    assert path == (tmp_path / "out" / "reviews.html").resolve()
    assert sorted(p.name for p in path.parent.iterdir()) == ["reviews.html"]
    page = without_bundle(path.read_text(encoding="utf-8"))
    assert [r.model for r in board.rows] and {r.model for r in board.rows} == {
        "baseline:majority", "baseline:keyword", "baseline:tfidf-logreg"}
    for ranked in board.rows:
        value = ranked.metrics["macro_f1"]
        expected = f"{value['value']:.3f} [{value['ci_low']:.3f}, {value['ci_high']:.3f}]"
        assert re.search(rf"<td>{re.escape(ranked.model)}</td>.*?<td class=\"num\">{re.escape(expected)}</td>", page)
    assert info.fingerprint in page and "No speed measurements yet" in page


def test_cli_report_prints_the_path_it_wrote(reviews, tmp_path):
    target = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--dataset", "reviews", "--html", str(target), "--metric", "accuracy", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{target.resolve()}\n"
    page = without_bundle(target.read_text(encoding="utf-8"))
    assert "<dt>ranked by</dt><dd>accuracy</dd>" in page and "<th class=num>accuracy [95% CI]</th>" in page
    assert "baseline:tfidf-logreg" in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "nope"], "error: No dataset named 'nope'"),
        (["--dataset", "reviews", "--metric", "bleu"], "error: Metric 'bleu' is not reported for text-classification"),
        (["--dataset", "reviews", "--split", "dev"], "error: Dataset 'reviews' has no split 'dev'; its splits are"),
    ],
    ids=["unknown-dataset", "unknown-metric", "unknown-split"],
)
def test_cli_report_errors_are_one_line(args, message, reviews, tmp_path):
    target = tmp_path / "report.html"
    result = subprocess.run([sys.executable, "-m", "benchhub", "report", *args, "--html", str(target)],
                            capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message)
    assert not target.exists()
