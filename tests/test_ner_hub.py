"""Token classification through the hub and the command line: CoNLL registration, baselines on the board with the
memorization gap, a tagger exported to ONNX behind its parity gate and benched, and bad input as one line."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from benchhub import Hub
from benchhub.engine.latency import BenchBudget
from tests.fixtures.tiny_bert import build_tiny_bert_tagger
from tests.test_cli import one_error_line, run_cli

SAMPLE = Path(str(resources.files("benchhub") / "resources" / "ner_sample"))
SPLITS = ["--split", f"train={SAMPLE / 'train.conll'}", "--split", f"test={SAMPLE / 'test.conll'}"]


def test_the_cli_registers_conll_files_and_ranks_the_baselines_with_seen_and_unseen_f1():
    added = run_cli("dataset", "add", "ner", "--task", "token-classification", *SPLITS, "--json")
    assert added.returncode == 0, added.stderr
    info = json.loads(added.stdout)
    assert info["options"]["scheme"] == "IOB2" and info["labels"][0] == "O"
    board = run_cli("leaderboard", "--dataset", "ner", "--format", "json", "--quiet")
    assert board.returncode == 0, board.stderr
    rows = {row["model"]: row for row in json.loads(board.stdout)["rows"]}
    assert list(rows)[0] == "baseline:memorization"
    assert rows["baseline:memorization"]["metrics"]["unseen_f1"]["value"] == 0.0
    assert rows["baseline:feature-logreg"]["metrics"]["unseen_f1"]["value"] > 0.2
    table = run_cli("leaderboard", "--dataset", "ner", "--quiet")
    assert "strict_f1 [95% CI]" in table.stdout and "unseen_f1" in table.stdout
    shown = run_cli("predictions", "--model", "baseline:majority-tag", "--dataset", "ner", "--errors", "--limit", "2")
    assert shown.returncode == 0, shown.stderr
    assert "right / gold / predicted" in shown.stdout and re.search(r"B-\w+", shown.stdout) and " / 0 " in shown.stdout


def test_a_family_setting_given_to_another_family_is_refused_in_one_line():
    assert run_cli("dataset", "add", "ner", "--task", "token-classification", *SPLITS).returncode == 0
    refused = run_cli("eval", "--model", "baseline:majority-tag", "--dataset", "ner", "--doc-stride", "64")
    assert re.search(r"--doc-stride does not apply to token-classification", one_error_line(refused))
    refused = run_cli("eval", "--model", "baseline:majority-tag", "--dataset", "ner", "--aggregation", "mean")
    assert re.search(r"--aggregation must be one of first, max, average", one_error_line(refused))


@pytest.mark.parametrize(("args", "message"), [
    (["--scheme", "IOBES"], r"split 'train', sentence 0, position 4: 'B-MISC' after 'O' is ill-formed in IOBES; .* \(scheme IOBES, stated\); fix the tags, or name the scheme"),
    (["--text-column", "words"], r"--text-column does not apply to token-classification datasets; they read --id-column, --split-column, --tags-column, --tokens-column\."),
    (["--tags-column", "ner"], r"--tags-column 'ner' names a column of a table; in a CoNLL file columns have numbers"),
])
def test_bad_registrations_are_one_line_and_register_nothing(args, message):
    result = run_cli("dataset", "add", "bad", "--task", "token-classification", *SPLITS, *args)
    assert re.search(message, one_error_line(result))
    assert json.loads(run_cli("dataset", "list", "--json").stdout) == []


@pytest.mark.slow
def test_a_tagger_is_exported_to_onnx_behind_its_parity_gate_and_benched(tmp_path):
    hub = Hub.open()
    info = hub.add_dataset("ner", splits={"train": SAMPLE / "train.conll", "test": SAMPLE / "test.conll"},
                           task="token-classification")
    corpus = [line.split()[0] for line in (SAMPLE / "train.conll").read_text(encoding="utf-8").splitlines() if line.strip()]
    hub.add_model("tagger", build_tiny_bert_tagger(tmp_path / "tagger", info.labels, corpus=[" ".join(corpus[:3000])]))
    made = hub.optimize("tagger", dataset="ner", progress=False)
    assert made.model.name == "tagger@onnx" and made.gate["fp32_parity"]["passed"]
    assert made.gate["fp32_parity"]["max_abs_diff"] <= 1e-4 and made.gate["fp32_parity"]["examples"] == 120
    source = hub.evaluate(model="tagger", dataset="ner", progress=False)
    assert made.evaluation.metrics["f1"]["value"] == pytest.approx(source.metrics["f1"]["value"], abs=1e-9)
    speeds = hub.bench(["tagger", "tagger@onnx"], dataset="ner", batch_sizes=(1, 4), seq_lens=(16,), progress=False,
                       budget=BenchBudget(warmup_calls=1, min_timings=2, min_seconds=0.0, max_seconds=5.0))
    assert {(s.model, s.batch_size) for s in speeds} == {("tagger", 1), ("tagger", 4), ("tagger@onnx", 1), ("tagger@onnx", 4)}
    assert all(s.latency_ms_p50 > 0 for s in speeds)


def test_part_of_speech_tags_from_a_conll_column_are_ranked_per_word(tmp_path):
    rows = [("The", "DT", "B-NP"), ("cat", "NN", "I-NP"), ("sat", "VBD", "B-VP"), (".", ".", "O")]
    text = "-DOCSTART- -X- O\n\n" + "\n\n".join("\n".join(" ".join(r) for r in rows[: 2 + i % 3]) for i in range(40)) + "\n"
    for name in ("train", "test"):
        (tmp_path / f"{name}.conll").write_text(text, encoding="utf-8")
    splits = ["--split", f"train={tmp_path / 'train.conll'}", "--split", f"test={tmp_path / 'test.conll'}"]
    pos = run_cli("dataset", "add", "pos", "--task", "token-classification", *splits, "--tags-column", "1", "--json")
    assert pos.returncode == 0, pos.stderr
    assert json.loads(pos.stdout)["options"] == {"scheme": "none"}
    chunks = run_cli("dataset", "add", "chunks", "--task", "token-classification", *splits, "--json")
    assert json.loads(chunks.stdout)["options"]["scheme"] == "IOB2"
    board = json.loads(run_cli("leaderboard", "--dataset", "pos", "--format", "json", "--quiet").stdout)
    assert [row["model"] for row in board["rows"]] == ["baseline:feature-logreg", "baseline:majority-tag"]
    assert board["rows"][0]["metrics"]["accuracy"]["value"] == 1.0  # one tag per word type here


def test_the_server_never_shows_the_train_splits_mention_strings():
    from fastapi.testclient import TestClient

    from benchhub.server import create_app
    from benchhub.server.in_process_scoring import WorkerSettings

    hub = Hub.open()
    hub.add_dataset("ner", splits={"train": SAMPLE / "train.conll", "test": SAMPLE / "test.conll"}, task="token-classification")
    assert "train_mentions" in hub.dataset("ner").options  # kept for scoring seen/unseen mentions
    client = TestClient(create_app(hub.config, scoring=WorkerSettings(enabled=False)))
    document = client.get("/api/datasets/ner").json()
    assert document["options"] == {"scheme": "IOB2"}
    assert "Lisbon" not in client.get("/datasets/ner").text and "Lisbon" not in client.get("/api/datasets").text
