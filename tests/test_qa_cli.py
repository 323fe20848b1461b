"""Question answering through the real command line (`python -m benchhub`): JSON/CSV output, exit codes, streams."""

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
from benchhub.tasks.question_answering import metrics as squad
from tests.test_qa_hub import (
    LIGHTHOUSE_1,
    NA_PROBS,
    PREDICTIONS,
    TEST_ARTICLES,
    TEST_IDS,
    V2_METRICS,
    references,
    squad_document,
    squad_files,
    write_json,
)

METRIC_KEYS = {"value", "ci_low", "ci_high"}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Runs `python -m benchhub` in a fresh interpreter with this test's environment (its own BENCHHUB_HOME)."""
    return subprocess.run([sys.executable, "-m", "benchhub", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=300)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return squad_files(tmp_path)


@pytest.fixture
def qa(files) -> dict[str, Path]:
    """`qa` (SQuAD v2.0, train 9 / test 13 questions) registered through the API, to keep subprocesses few."""
    with Hub.open() as hub:
        hub.add_dataset("qa", task="question-answering", splits={"train": files["train"], "test": files["test"]})
    return files


def test_dataset_add_reads_squad_json_splits(files):
    result = run_cli("dataset", "add", "qa", "--task", "question-answering",
                     "--split", f"train={files['train']}", "--split", f"test={files['test']}", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["name"], document["task"], document["options"]) == ("qa", "question-answering", {"squad_version": "2.0"})
    assert document["columns"] == {"question": "question", "context": "context", "answers": "answers", "id": "id", "split": None}
    assert [(s["name"], s["num_rows"], s["label_counts"]) for s in document["splits"]] == [
        ("train", 9, {"answerable": 6, "unanswerable": 3}),
        ("test", 13, {"answerable": 9, "unanswerable": 4}),
    ]
    assert document["source"] == {"splits": {"train": str(files["train"].resolve()), "test": str(files["test"].resolve())}}
    with Hub.open() as hub:
        assert [d.name for d in hub.datasets()] == ["qa"]


def test_score_prints_the_squad_v2_metrics_on_the_0_to_100_scale(qa):
    result = run_cli("score", "--dataset", "qa", "--predictions", str(qa["predictions"]), "--na-probs", str(qa["na_probs"]), "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["task"], document["split"], document["details"]["squad_version"]) == ("question-answering", "test", "2.0")
    metrics = document["metrics"]
    assert set(metrics) == V2_METRICS
    assert all(set(entry) == METRIC_KEYS for entry in metrics.values())
    official = squad.squad_v2(predictions=PREDICTIONS, references=references(TEST_ARTICLES), na_probs=NA_PROBS)
    assert {name: entry["value"] for name, entry in metrics.items()} == {name: official[name] for name in V2_METRICS}
    for name in V2_METRICS - {"best_exact_thresh", "best_f1_thresh"}:
        assert 0.0 <= metrics[name]["value"] <= 100.0, name
    assert metrics["f1"]["value"] > 1.0  # percentages, not fractions
    assert 0.0 <= metrics["f1"]["ci_low"] <= metrics["f1"]["value"] <= metrics["f1"]["ci_high"] <= 100.0
    with Hub.open() as hub:
        assert hub.models() == []


def test_qa_leaderboard_as_json_and_csv_with_the_shortcut_gap(qa):
    with Hub.open() as hub:
        hub.add_model("replay", qa["predictions"], na_probs=qa["na_probs"])
        hub.evaluate(model="replay", dataset="qa", progress=False)
    as_json = run_cli("leaderboard", "--dataset", "qa", "--format", "json", "--quiet")
    assert as_json.returncode == 0, as_json.stderr
    board = json.loads(as_json.stdout)
    assert (board["task"], board["metric"]) == ("question-answering", "f1")
    models = [row["model"] for row in board["rows"]]
    assert sorted(models) == sorted(["replay", "baseline:sliding-window", "baseline:context-only",
                                     "baseline:question-only", "baseline:always-no-answer"])
    f1 = [row["metrics"]["f1"]["value"] for row in board["rows"]]
    assert f1 == sorted(f1, reverse=True)
    by_name = {row["model"]: row for row in board["rows"]}
    partial = max(by_name[f"baseline:{b}"]["metrics"]["f1"]["value"] for b in ("context-only", "question-only"))
    assert [row["shortcut_gap"] for row in board["rows"]] == [value - partial for value in f1]

    as_csv = run_cli("leaderboard", "--dataset", "qa", "--format", "csv", "--quiet")
    assert as_csv.returncode == 0, as_csv.stderr
    table = list(csv.reader(io.StringIO(as_csv.stdout)))
    header, rows = table[0], table[1:]
    assert header[:7] == ["rank", "model", "kind", "baseline", "f1", "f1_ci_low", "f1_ci_high"]
    assert [row[1] for row in rows] == models
    gaps = [float(row[header.index("shortcut_gap")]) for row in rows]
    assert gaps == [row["shortcut_gap"] for row in board["rows"]]
    assert as_csv.stderr.startswith("shortcut gap: f1 minus the best partial-input baseline")


def test_predictions_errors_lists_the_questions_a_qa_baseline_got_wrong(qa):
    with Hub.open() as hub:
        hub.evaluate(model="baseline:sliding-window", dataset="qa", progress=False)
        every = hub.predictions(model="baseline:sliding-window", dataset="qa")
    result = run_cli("predictions", "--model", "baseline:sliding-window", "--dataset", "qa", "--errors", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows, "the sliding window gets some questions wrong"
    assert all(row["exact"] < 1.0 for row in rows)  # not exactly right (a partial answer can still have F1 1.0)
    added = ("inputs", "position", "confidence")
    assert [{k: v for k, v in row.items() if k not in added} for row in rows] == [row for row in every if row["exact"] < 1.0]
    assert all(set(row["inputs"]) == {"question", "context"} for row in rows)
    assert len(rows) < len(TEST_IDS)
    assert set(rows[0]) >= {"id", "gold", "predicted", "no_answer_probability", "has_answer", "exact", "f1"}


def test_a_wrong_answer_start_is_one_error_line_and_registers_nothing(tmp_path, isolated_hub):
    document = squad_document(TEST_ARTICLES)
    document["data"][0]["paragraphs"][0]["qas"][1]["answers"][0]["answer_start"] = 3
    bad = write_json(tmp_path / "bad.json", document)
    line = one_error_line(run_cli("dataset", "add", "bad", str(bad), "--task", "question-answering"))
    assert line == (
        f"error: {bad.name} [test]: question 'h2': answer_start 3 does not point at answer '1871' in the context "
        f"(the text occurs at {LIGHTHOUSE_1.index('1871')})."
    )
    with Hub.open() as hub:
        assert hub.datasets() == []
    assert not (isolated_hub / "artifacts" / "datasets" / "bad").exists()


def test_qa_mistakes_on_the_command_line_are_one_error_line(qa, review_files):
    with Hub.open() as hub:
        hub.add_dataset("reviews", splits=review_files, id_column="id")
    line = one_error_line(run_cli("eval", "--model", "baseline:majority", "--dataset", "qa"))
    assert line == (
        "error: baseline:majority is a text-classification baseline and dataset 'qa' is question-answering; use one of "
        "baseline:sliding-window, baseline:context-only, baseline:question-only, baseline:always-no-answer."
    )
    line = one_error_line(run_cli("eval", "--model", "baseline:majority", "--dataset", "reviews", "--doc-stride", "16"))
    assert line == "error: --doc-stride does not apply to text-classification; its settings are --max-length."
