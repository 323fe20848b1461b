"""The generative-answers family end to end: questions with one or several acceptable answers, predictions files of
generated text, exact_match and F1 equal to the official SQuAD script after the stored normalisation, answers found
by the dataset's regex as lm-evaluation-harness finds them, the two baselines, the CLI's JSON, the examples table,
paired tests, a hosted benchmark with a hidden test split, and the refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from benchhub import Hub
from benchhub.competitions.benchmarks import PhaseSpec, public_mask
from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.store.tables import BenchmarkRow
from benchhub.tasks.generative_answers.settings import GSM8K_PATTERN
from benchhub.tasks.registry import get_task
from tests.conftest import write_jsonl
from tests.fixtures.browser import signed_in
from tests.test_generative_answers_metrics import lm_eval_extract, official

SAMPLE = Path(str(resources.files("benchhub") / "resources" / "generative_answers_sample"))
METRICS = ["exact_match", "f1"]
# Original system outputs for the sample's test questions: the first reference unless given here (some right after
# normalisation, some partly right, one empty, one in another script).
CHANGED = {"t001": "paris.", "t002": "Eight", "t003": "The planet Mars", "t004": "Shakespeare", "t009": "",
           "t010": "6 legs", "t015": "Austen, Jane", "t016": "The Arctic", "t021": "a lion", "t026": "15 km",
           "t033": "Fall", "t040": "東京"}
# A GSM8K-style set, written for this test: references end with "#### answer" after their workings.
MATH_TRAIN = [
    {"id": "m1", "question": "Ann has 2 pens and buys 3 more. How many pens?", "answer": "2 + 3 = 5\n#### 5"},
    {"id": "m2", "question": "A pack has 4 cups. How many cups in 3 packs?", "answer": "4 * 3 = 12\n#### 12"},
    {"id": "m3", "question": "Bo has 9 coins and loses 4. How many coins are left?", "answer": "9 - 4 = 5\n#### 5"},
    {"id": "m4", "question": "What is 250 times 4?", "answer": "250 * 4 = 1000\n#### 1000"},
]
MATH_TEST = [
    {"id": "q1", "question": "Cy has 3 pens and buys 2 more. How many pens?", "answer": "3 + 2 = 5\n#### 5"},
    {"id": "q2", "question": "A box has 6 eggs. How many eggs in 2 boxes?", "answer": "6 * 2 = 12\n#### 12"},
    {"id": "q3", "question": "What is 500 times 2?", "answer": "500 * 2 = 1000\n#### 1000"},
    {"id": "q4", "question": "Di has 10 cards and gives away 3. How many are left?", "answer": "10 - 3 = 7\n#### 7"},
    {"id": "q5", "question": "What is 2 minus 5?", "answer": "2 - 5 = -3\n#### -3"},
]
MATH_OUTPUTS = {"q1": "3 + 2 = 5\n#### 5", "q2": "6 * 2 = 12, so the answer is 12.", "q3": "#### 1,000",
                "q4": "10 - 3 = 8\n#### 8", "q5": "#### -3 #### 4"}


def rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLE / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]


def references(row: dict) -> list[str]:
    return row["answer"] if isinstance(row["answer"], list) else [row["answer"]]


def outputs_of(chosen: list[dict]) -> dict[str, str]:
    return {row["id"]: CHANGED.get(row["id"], references(row)[0]) for row in chosen}


def expected_scores(chosen: list[dict], outputs: dict[str, str]) -> dict[str, float]:
    exact, f1 = official([outputs[row["id"]] for row in chosen], [references(row) for row in chosen])
    return {"exact_match": float(np.mean(exact)), "f1": float(np.mean(f1))}


def cli(*args: object) -> tuple[int, str, str]:
    """Runs `python -m benchhub` in a fresh interpreter with this test's environment (its own BENCHHUB_HOME)."""
    result = subprocess.run([sys.executable, "-m", "benchhub", *map(str, args)], capture_output=True, text=True,
                            env=dict(os.environ), timeout=300)
    return result.returncode, result.stdout, result.stderr


def one_line_error(*args: object) -> str:
    code, out, err = cli(*args)
    assert code == 1 and out == "" and "Traceback" not in err, (code, out, err)
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    with Hub.open() as hub:
        hub.add_dataset("trivia", splits={"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"},
                        task="generative-answers", input_column="question", target_column="answer", id_column="id")
    return write_jsonl(tmp_path / "system.jsonl", [{"id": i, "text": t} for i, t in outputs_of(rows("test")).items()])


def test_eval_and_score_report_exact_match_and_f1_as_the_official_squad_script(outputs):
    code, out, _ = cli("dataset", "show", "trivia")
    assert code == 0 and "normalization=squad" in out and "split test   40 rows (examples: 40, references: 48" in out
    assert cli("model", "add", "system", outputs)[0] == 0
    code, out, _ = cli("eval", "--model", "system", "--dataset", "trivia", "--json")
    assert code == 0
    evaluation = json.loads(out)
    expected = expected_scores(rows("test"), outputs_of(rows("test")))
    assert list(evaluation["metrics"]) == METRICS
    for name in METRICS:
        entry = evaluation["metrics"][name]
        assert entry["value"] == pytest.approx(expected[name], abs=1e-9), name
        assert entry["ci_low"] < entry["value"] < entry["ci_high"]
    assert evaluation["details"]["settings"]["normalization"] == "squad"
    assert evaluation["details"]["settings"]["answer_regex"] is None
    assert evaluation["provenance"]["metrics"] == {"generative_answers": "1", "bootstrap": "1"}
    code, out, _ = cli("score", "--dataset", "trivia", "--predictions", outputs, "--json")
    assert code == 0
    scored = json.loads(out)["metrics"]
    assert [scored[name]["value"] for name in METRICS] == pytest.approx([expected[n] for n in METRICS], abs=1e-9)
    assert expected["exact_match"] == pytest.approx(34 / 40) and expected["f1"] > expected["exact_match"]


def test_an_answer_regex_and_a_reference_regex_read_gsm8k_style_text_as_lm_eval_does(tmp_path):
    train, test = write_jsonl(tmp_path / "train.jsonl", MATH_TRAIN), write_jsonl(tmp_path / "test.jsonl", MATH_TEST)
    code, _, err = cli("dataset", "add", "math", "--task", "generative-answers", "--split", f"train={train}",
                       "--split", f"test={test}", "--id-column", "id", "--answer-regex", GSM8K_PATTERN,
                       "--reference-regex", "#### (.*)")
    assert code == 0, err
    path = write_jsonl(tmp_path / "math.jsonl", [{"id": k, "text": v} for k, v in MATH_OUTPUTS.items()])
    code, out, _ = cli("score", "--dataset", "math", "--predictions", path, "--json")
    assert code == 0
    scored = json.loads(out)
    found = lm_eval_extract(list(MATH_OUTPUTS.values()), GSM8K_PATTERN, 0)
    assert found == ["5", None, "1,000", "8", "-3"]
    exact, _ = official([text or "" for text in found], [[row["answer"].split("#### ")[1]] for row in MATH_TEST])
    exact = [0.0 if text is None else value for text, value in zip(found, exact)]
    assert scored["metrics"]["exact_match"]["value"] == pytest.approx(np.mean(exact), abs=1e-9) == pytest.approx(0.6)
    assert scored["details"]["answers_found"] == 4
    assert scored["details"]["settings"]["reference_regex"] == "#### (.*)"
    with Hub.open() as hub:
        hub.add_model("math-system", path)
        hub.evaluate(model="math-system", dataset="math", progress=False)
        board = hub.leaderboard(dataset="math", progress=False)
        majority = hub.predictions(model="baseline:majority-answer", dataset="math")
        shown = hub.examples(model="math-system", dataset="math")
    assert [row.model for row in board.rows] == ["math-system", "baseline:nearest-question", "baseline:majority-answer"]
    # "5" is train's most frequent answer; the baseline writes it as train wrote it, which the answer regex reads.
    assert {row["predicted"] for row in majority} == {"2 + 3 = 5\n#### 5"}
    assert [row["exact_match"] for row in majority] == [1.0, 0.0, 0.0, 0.0, 0.0]
    header, cells = get_task("generative-answers").example_table(shown)
    assert header == ["id", "input", "reference", "generated", "answer", "f1", "exact"]
    by_id = {row[0]: row for row in cells}
    assert by_id["q2"][2:] == ["12", "6 * 2 = 12, so the answer is 12.", "(no match)", "0.000", "no"]
    assert by_id["q3"][4:] == ["1,000", "1.000", "yes"]


def test_the_baselines_are_on_every_board_and_nearest_question_shows_what_rewording_train_leaks(outputs):
    test = rows("test")
    with Hub.open() as hub:
        hub.add_model("system", outputs)
        hub.evaluate(model="system", dataset="trivia", progress=False)
        board = hub.leaderboard(dataset="trivia", progress=False)
        majority = hub.predictions(model="baseline:majority-answer", dataset="trivia")
        nearest = hub.predictions(model="baseline:nearest-question", dataset="trivia")
        from benchhub.server import create_app
        from benchhub.server.in_process_scoring import WorkerSettings

        client = TestClient(create_app(hub.config, scoring=WorkerSettings(enabled=False)))
        api = client.get("/api/leaderboards/trivia")
        page = client.get(f"/evaluations/{board.rows[0].evaluation_id}")
    assert board.metric == "exact_match"
    assert [row.model for row in board.rows] == ["system", "baseline:nearest-question", "baseline:majority-answer"]
    assert all(row.baseline and not row.upper_bound for row in board.rows[1:]) and board.rows[2].p_value_vs_leader < 0.05
    assert api.status_code == 200 and [r["model"] for r in api.json()["rows"]] == [r.model for r in board.rows]
    assert page.status_code == 200 and "Answer settings and extraction" in page.text
    # "8" is the most frequent train answer (three questions); test asks two questions whose answer is 8.
    assert {row["predicted"] for row in majority} == {"8"} and sum(row["correct"] for row in majority) == 2
    reworded = [row["id"] for row in test[:8]]  # the eight test questions that reword a train question
    assert all(row["correct"] for row in nearest if row["id"] in reworded)
    assert sum(row["correct"] for row in nearest) == 10


def test_paired_tests_bootstrap_the_stored_per_example_scores(outputs):
    test = rows("test")
    with Hub.open() as hub:
        hub.add_model("system", outputs)
        comparison = hub.compare("system", "baseline:majority-answer", dataset="trivia", progress=False)
        majority = [row["predicted"] for row in hub.predictions(model="baseline:majority-answer", dataset="trivia")]
    exact_a, f1_a = official(list(outputs_of(test).values()), [references(row) for row in test])
    exact_b, f1_b = official(majority, [references(row) for row in test])
    for name, a, b in (("exact_match", exact_a, exact_b), ("f1", f1_a, f1_b)):
        entry = next(m for m in comparison.metrics if m.metric == name)
        direct = bootstrap.paired_mean_difference(np.array(a), np.array(b))
        assert (entry.difference, entry.ci_low, entry.ci_high, entry.p_value) == pytest.approx(
            (direct.difference, direct.ci_low, direct.ci_high, direct.p_value), abs=1e-9), name
    # Both right on t022 (8); only the baseline on t002, where the system wrote "Eight".
    assert (comparison.contingency["only_a"], comparison.contingency["only_b"], comparison.contingency["both_right"]) == (33, 1, 1)


def test_a_hidden_test_phase_takes_a_predictions_file_and_scores_each_half_on_its_own(outputs):
    test = rows("test")
    with Hub.open() as hub:
        hub.create_user("admin", admin=True)
        hub.create_user("alice")
        hub.create_benchmark("quiz", dataset="trivia", user="admin", phases=[PhaseSpec("test", "test")])
        _, token = hub.create_token("alice")
        from benchhub.server import create_app
        from benchhub.server.in_process_scoring import WorkerSettings

        client = signed_in(TestClient(create_app(hub.config, scoring=WorkerSettings(enabled=False))), token)
        released = client.get("/api/benchmarks/quiz/phases/test/inputs")
        assert released.status_code == 200
        items = [json.loads(line) for line in released.text.splitlines() if line.strip()]
        assert sorted(items, key=lambda item: item["id"]) == [{"id": r["id"], "text": r["question"]} for r in test]
        hub.submit("quiz", outputs, user="alice")
        assert hub.run_worker(once=True) == 1
        [mine] = hub.submissions("quiz", user="alice")
        [maintained] = hub.submissions("quiz", user="admin")
        with hub.session() as session:
            bench = session.scalar(select(BenchmarkRow).where(BenchmarkRow.name == "quiz"))
            seed, fraction = bench.split_seed, bench.settings["public_fraction"]
    mask = public_mask(seed, [row["id"] for row in test], fraction)
    public = [row for row, shown in zip(test, mask) if shown]
    private = [row for row, shown in zip(test, mask) if not shown]
    assert mine.private_metrics is None
    assert mine.public_metrics["f1"]["value"] == pytest.approx(expected_scores(public, outputs_of(test))["f1"], abs=1e-9)
    assert maintained.private_metrics["exact_match"]["value"] == pytest.approx(
        expected_scores(private, outputs_of(test))["exact_match"], abs=1e-9)


@pytest.mark.parametrize(("options", "message"), [
    ({"answer_regex": "#### [0-9]+"}, r"^--answer-regex '#### \[0-9\]\+' has no capture group"),
    ({"answer_regex": "(unclosed"}, r"^--answer-regex is not a Python regular expression \(missing \)"),
    ({"normalization": "lowercase"}, r"^--normalization must be one of squad, none\. Got 'lowercase' instead\.$"),
    ({"ignore_case": True}, r"^--ignore-case applies with --normalization none"),
    ({"reference_regex": "#### (.*)"}, r"^Split 'train', example 'g001': reference 1 does not match --reference-regex"),
    ({"bleu_tokenizer": "zh"}, r"^--bleu-tokenizer does not apply to generative-answers datasets"),
], ids=["no-group", "bad-regex", "normalization", "flag-with-squad", "reference-not-matched", "other-family"])
def test_bad_settings_are_refused_in_one_line_and_nothing_is_registered(options, message):
    import re

    flags = [word for name, value in options.items()
             for word in ([f"--{name.replace('_', '-')}"] + ([] if value is True else [value]))]
    error = one_line_error("dataset", "add", "bad", "--task", "generative-answers", "--split",
                           f"train={SAMPLE / 'train.jsonl'}", "--split", f"test={SAMPLE / 'test.jsonl'}", "--id-column", "id",
                           *flags)
    assert re.search(message, error.removeprefix("error: ")), error
    with Hub.open() as hub:
        with pytest.raises(InvalidInputError, match=message):
            hub.add_dataset("bad", splits={"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"},
                            task="generative-answers", id_column="id", **options)
        assert hub.datasets() == []
