"""`benchhub predict`: a model on a benchmark's released inputs, written as a predictions file that scores and
submits; bad inputs refused in one line with no file left behind."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from benchhub import Hub
from benchhub.competitions.benchmarks import PhaseSpec
from tests.test_cli import one_error_line, run_cli

RESOURCES = Path(str(resources.files("benchhub") / "resources"))
QA = RESOURCES / "qa_sample"


@pytest.fixture
def hub() -> Hub:
    hub = Hub.open()
    hub.add_dataset("qa", splits={"train": QA / "train.json", "test": QA / "test.json"}, task="question-answering")
    return hub


def test_predictions_on_a_benchmarks_downloaded_inputs_are_a_valid_submission(hub, tmp_path):
    hub.create_user("admin", admin=True)
    hub.create_user("ann")
    hub.create_benchmark("reading", dataset="qa", user="admin", phases=[PhaseSpec("final", "test")])
    inputs = tmp_path / "inputs.jsonl"
    downloaded = run_cli("benchmark", "inputs", "reading", "--phase", "final", "--output", str(inputs))
    assert downloaded.returncode == 0, downloaded.stderr
    first = json.loads(inputs.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"id", "question", "context"}  # no gold
    shown = run_cli("predict", "baseline:sliding-window", str(inputs), "--dataset", "qa", "-o", str(tmp_path / "preds.json"))
    assert shown.returncode == 0, shown.stderr
    assert re.match(r"Wrote 147 question-answering predictions of baseline:sliding-window to .*preds\.json", shown.stdout)
    answers = json.loads((tmp_path / "preds.json").read_text(encoding="utf-8"))
    assert len(answers) == 147 and first["id"] in answers
    submission = hub.submit("reading", tmp_path / "preds.json", user="ann", phase="final")
    hub.run_worker(once=True)
    (scored,) = [s for s in hub.submissions("reading", user="ann") if s.id == submission.id]
    assert scored.status == "scored", scored


@pytest.mark.parametrize(("lines", "output", "message"), [
    (['{"id": "a", "question": "who?"}'], "p.json", r"inputs\.jsonl, line 1: 'context' is missing; each input row needs 'context' as a string\."),
    (['{"id": "a", "question": "q", "context": "c"}', '{"id": "a", "question": "q", "context": "c"}'], "p.json",
     r"inputs\.jsonl, line 2: id 'a' is given twice; give each example once\."),
    (['{"question": "q", "context": "c"}'], "p.json", r'inputs\.jsonl, line 1: expected an object with "id"'),
    (['{"id": "a", "question": "q", "context": "c"}'], "p.jsonl",
     r"--output p\.jsonl: question-answering predictions are written as predictions\.json; name the file with \.json\."),
    ([], "p.json", r"The inputs file holds no rows"),
])
def test_bad_inputs_are_one_line_and_leave_no_file(hub, tmp_path, lines, output, message):
    inputs = tmp_path / "inputs.jsonl"
    inputs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("predict", "baseline:sliding-window", str(inputs), "--dataset", "qa", "-o", str(tmp_path / output))
    assert re.search(message, one_error_line(result))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "hub") == ["inputs.jsonl"]
