"""The command line through its real entry point (`python -m benchhub.cli`): output formats, exit codes, streams."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchhub import Hub
from tests.conftest import write_jsonl

COMMANDS = ("dataset", "model", "eval", "score", "leaderboard", "predictions", "demo")
METRIC_KEYS = {"value", "ci_low", "ci_high"}


def run_cli(*args: str, code: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs the command line in a fresh interpreter with this test's environment (its own BENCHHUB_HOME)."""
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "benchhub.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def reviews(review_files) -> dict[str, Path]:
    """`reviews` registered in this test's hub (through the API, to keep the subprocess count down)."""
    with Hub.open() as hub:
        hub.add_dataset("reviews", splits=review_files, id_column="id")
    return review_files


def test_help_lists_every_command_from_both_module_entry_points():
    for module in ("benchhub.cli", "benchhub"):
        result = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, env=dict(os.environ), timeout=300)
        assert result.returncode == 0, result.stderr
        assert f"Usage: python -m {module} [OPTIONS] COMMAND [ARGS]..." in result.stdout
        commands = result.stdout.split("Commands:")[1]
        assert [c for c in COMMANDS if f"\n  {c} " in commands] == list(COMMANDS)


def test_dataset_add_list_and_show(review_files, isolated_hub):
    added = run_cli(
        "dataset", "add", "reviews", "--split", f"train={review_files['train']}", "--split", f"test={review_files['test']}",
        "--id-column", "id", "--json",
    )
    assert added.returncode == 0, added.stderr
    document = json.loads(added.stdout)
    assert document["name"] == "reviews"
    assert [(s["name"], s["num_rows"]) for s in document["splits"]] == [("train", 40), ("test", 24)]
    assert document["labels"] == ["negative", "positive"]
    assert (isolated_hub / "hub.db").is_file()

    listed = run_cli("dataset", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(d["name"], d["fingerprint"]) for d in json.loads(listed.stdout)] == [("reviews", document["fingerprint"])]

    shown = run_cli("dataset", "show", "reviews")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "dataset      reviews"
    assert f"fingerprint  {document['fingerprint']}" in lines
    assert "split train  40 rows (negative: 20, positive: 20)" in lines
    assert "split test   24 rows (negative: 12, positive: 12)" in lines


def test_models_evaluations_scores_leaderboards_and_predictions(reviews, tmp_path):
    gold = [json.loads(line) for line in reviews["test"].read_text().splitlines()]
    predictions = write_jsonl(tmp_path / "preds.jsonl", [
        {"id": row["id"], "label": row["label"] if i % 4 else "positive"} for i, row in enumerate(gold)
    ])
    expected_accuracy = sum(row["label"] == ("positive" if i % 4 == 0 else row["label"]) for i, row in enumerate(gold)) / 24

    added = run_cli("model", "add", "replay", str(predictions))
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("Registered predictions model 'replay' (fingerprint ")

    evaluated = run_cli("eval", "--model", "baseline:majority", "--model", "baseline:keyword", "--dataset", "reviews", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    documents = json.loads(evaluated.stdout)
    assert [d["model"] for d in documents] == ["baseline:majority", "baseline:keyword"]
    for document in documents:
        assert (document["dataset"], document["split"], document["cached"]) == ("reviews", "test", False)
        assert set(document["metrics"]) == {"accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall"}
        for metric in document["metrics"].values():
            assert set(metric) == METRIC_KEYS
            assert metric["ci_low"] <= metric["value"] <= metric["ci_high"]
    assert documents[0]["metrics"]["accuracy"]["value"] == 0.5

    single = run_cli("eval", "--model", "replay", "--dataset", "reviews", "--json")
    assert single.returncode == 0, single.stderr
    replay = json.loads(single.stdout)
    assert isinstance(replay, dict) and replay["model"] == "replay"
    assert replay["metrics"]["accuracy"]["value"] == pytest.approx(expected_accuracy)

    scored = run_cli("score", "--dataset", "reviews", "--predictions", str(predictions), "--json")
    assert scored.returncode == 0, scored.stderr
    score = json.loads(scored.stdout)
    assert score["metrics"] == replay["metrics"]
    assert score["predictions"]["path"] == str(predictions.resolve())

    as_json = run_cli("leaderboard", "--dataset", "reviews", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    board = json.loads(as_json.stdout)
    assert board["metric"] == "macro_f1"
    rows = board["rows"]
    assert {r["model"] for r in rows} == {"baseline:majority", "baseline:keyword", "baseline:tfidf-logreg", "replay"}
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    values = [r["metrics"]["macro_f1"]["value"] for r in rows]
    assert values == sorted(values, reverse=True)
    assert rows[0]["p_value_vs_leader"] is None and all(r["p_value_vs_leader"] is not None for r in rows[1:])

    as_csv = run_cli("leaderboard", "--dataset", "reviews", "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert list(table[0])[:10] == ["rank", "model", "kind", "baseline", "macro_f1", "macro_f1_ci_low", "macro_f1_ci_high",
                                   "accuracy", "accuracy_ci_low", "accuracy_ci_high"]
    assert [(line["rank"], line["model"]) for line in table] == [(str(r["rank"]), r["model"]) for r in rows]
    for line, row in zip(table, rows, strict=True):  # numbers, exactly as the JSON has them
        for part in ("value", "ci_low", "ci_high"):
            assert float(line["macro_f1" if part == "value" else f"macro_f1_{part}"]) == row["metrics"]["macro_f1"][part]
        assert line["p_value_vs_leader"] == ("" if row["p_value_vs_leader"] is None else str(row["p_value_vs_leader"]))
    assert (table[0]["dataset"], table[0]["split"], table[0]["slice"]) == ("reviews", "test", "")

    as_markdown = run_cli("leaderboard", "--dataset", "reviews", "--format", "markdown")
    assert as_markdown.returncode == 0, as_markdown.stderr
    lines = as_markdown.stdout.splitlines()
    assert lines[0].startswith("| # | model | kind | macro_f1 [95% CI] |")
    assert lines[1] == "|" + "|".join(["---"] * 10) + "|"
    assert [line.split(" | ")[1] for line in lines[2:]] == [r["model"] for r in rows]

    as_table = run_cli("leaderboard", "--dataset", "reviews")
    assert as_table.returncode == 0, as_table.stderr
    assert "Leaderboard: reviews/test (text-classification), ranked by macro_f1" in as_table.stdout
    assert all(r["model"] in as_table.stdout for r in rows)

    errors = run_cli("predictions", "--model", "baseline:majority", "--dataset", "reviews", "--errors", "--json")
    assert errors.returncode == 0, errors.stderr
    wrong = json.loads(errors.stdout)
    assert len(wrong) == 12
    assert all(not r["correct"] and r["gold"] != r["predicted"] for r in wrong)
    assert {r["id"] for r in wrong} < {row["id"] for row in gold}


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["dataset", "show", "nope"], {}, "error: No dataset named 'nope'; no datasets are registered yet. Add one with `benchhub dataset add`."),
        (["dataset", "add", "d", "no-such-file.csv"], {}, "error: No such file or folder: no-such-file.csv."),
        (["leaderboard", "--dataset", "d", "--format", "xml"], {}, "error: --format 'xml' is not supported; use one of table, json, csv, markdown."),
        (["dataset", "list"], {"BENCHHUB_DATABASE_URL": "nosuchdriver://host/db"}, "error: Cannot use database URL 'nosuchdriver://host/db'"),
    ],
    ids=["unknown-dataset", "missing-file", "bad-format", "bad-database-url"],
)
def test_user_errors_exit_1_with_one_line_on_stderr(args, env, message):
    assert one_error_line(run_cli(*args, env=env)).startswith(message)


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--bogus"], "No such option: --bogus"), (["eval", "--model", "baseline:majority"], "Missing option '--dataset'")],
    ids=["unknown-option", "missing-option"],
)
def test_usage_errors_exit_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_json_stdout_is_one_document_while_progress_goes_to_stderr(reviews):
    # The progress bar normally waits a second before it appears; start it at once so this run shows one.
    code = (
        "import sys; import benchhub.progress as progress; "
        "progress.Progress.__init__.__kwdefaults__['delay'] = 0.0; "
        "from benchhub.cli.app import main; sys.argv[0] = 'benchhub'; main()"
    )
    result = run_cli("eval", "--model", "baseline:majority", "--dataset", "reviews", "--batch-size", "1", "--no-cache", "--json", code=code)
    assert result.returncode == 0, result.stderr
    assert "baseline:majority on reviews/test" in result.stderr
    assert "24/24" in result.stderr
    document = json.loads(result.stdout)
    assert document["model"] == "baseline:majority" and document["efficiency"]["batches"] == 24


def test_a_5000_digit_integer_in_a_user_file_is_one_error_line_naming_the_line(reviews, tmp_path):
    huge = "1" + "0" * 4999
    rows = [json.loads(line) for line in reviews["test"].read_text().splitlines()]
    lines = [json.dumps({"id": row["id"], "label": row["label"]}) for row in rows]
    lines[2] = '{"id": %s, "label": "positive"}' % huge
    predictions = tmp_path / "huge.jsonl"
    predictions.write_text("\n".join(lines) + "\n")
    expected = "error: huge.jsonl, line 3: an integer of more than 4,300 digits (Python's limit); write it as a string or shorten it."
    assert one_error_line(run_cli("score", "--dataset", "reviews", "--predictions", str(predictions))) == expected
    assert one_error_line(run_cli("model", "add", "huge", str(predictions))) == expected
    dataset = tmp_path / "huge-data.jsonl"
    dataset.write_text(json.dumps(rows[0]) + "\n" + '{"id": "x", "text": "fine", "label": %s}\n' % huge)
    assert one_error_line(run_cli("dataset", "add", "huge", str(dataset))) == (
        f"error: {dataset}, line 2: an integer of more than 4,300 digits (Python's limit); write it as a string or shorten it.")
    with Hub.open() as hub:
        assert hub.models() == [] and [d.name for d in hub.datasets()] == ["reviews"]


def test_the_cli_says_its_version():
    from benchhub._version import __version__

    shown = run_cli("--version")
    assert shown.returncode == 0 and shown.stdout == f"benchhub {__version__}\n"


def test_every_command_option_and_argument_has_help_text():
    from typing import Any

    import typer

    from benchhub.cli.app import app

    missing, leaves = [], []

    def walk(command: Any, path: list[str]) -> None:
        context = type(command).context_class(command) if hasattr(command, "context_class") else None
        if hasattr(command, "list_commands"):  # typer's own click: not an instance of the click package's Group
            for name in command.list_commands(context):
                walk(command.get_command(context, name), [*path, name])
            return
        leaves.append(path)
        if not (command.help or "").strip():
            missing.append(" ".join(path))
        missing.extend(f"{' '.join(path)} {param.name}" for param in command.params
                       if param.name != "help" and not (getattr(param, "help", None) or "").strip())

    walk(typer.main.get_command(app), [])
    assert len(leaves) > 30 and ["dataset", "add"] in leaves and missing == []


def test_the_leaderboard_table_has_one_latency_column_labelled_with_its_batch_size():
    from benchhub.cli.render import leaderboard_rows
    from benchhub.results import Leaderboard, LeaderboardRow

    def row(rank: int, latency: float | None = None) -> LeaderboardRow:
        return LeaderboardRow(rank=rank, model=f"m{rank}", kind="transformers", baseline=False,
                              metrics={"macro_f1": {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6}},
                              efficiency={"batch_latency_ms_p50": 12.5, "batch_size": 8}, evaluation_id=rank,
                              p_value_vs_leader=None, tied_with_leader=False, latency_ms=latency)

    header, rows = leaderboard_rows(Leaderboard("d", "test", "text-classification", "macro_f1", rows=[row(1), row(2)]))
    assert [h for h in header if " ms" in h] == ["batch p50 ms"] and rows[0][header.index("batch p50 ms")] == "12.5 (b8)"
    benched, _ = leaderboard_rows(Leaderboard("d", "test", "text-classification", "macro_f1", rows=[row(1, 3.0), row(2)]))
    assert [h for h in benched if " ms" in h] == ["latency ms (b1)"]  # the bench's, measured alike for every model
