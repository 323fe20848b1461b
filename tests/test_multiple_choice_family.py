"""The multiple-choice family through the hub: registration (JSONL, CSV with the choices as a JSON list, the
ARC layout), predictions files of log-likelihoods or choices scored as lm-evaluation-harness's own
`process_results` scores them, the baselines' exact choices and the choices-only shortcut gap, the command
line's metric names, the pages, a hosted benchmark with a hidden test phase, cards and reports, and bad input
refused in one line with nothing left behind."""

from __future__ import annotations

import csv
import html
import json
import math
import random
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from lm_eval.api.metrics import mean as lm_eval_mean

from benchhub import Hub, PredictionsFormatError
from benchhub.competitions.benchmarks import PhaseSpec, public_mask
from benchhub.data.submission_files import check_submission_file
from benchhub.errors import InvalidInputError
from benchhub.tasks.registry import get_task
from tests.contract.family_checks import _app
from tests.fixtures.browser import signed_in
from tests.test_cli import one_error_line, run_cli
from tests.test_multiple_choice_metrics import _lm_eval

SAMPLE = Path(str(resources.files("benchhub") / "resources" / "multiple_choice_sample"))
TASK = get_task("multiple-choice")


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLE / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]


TRAIN, TEST = _rows("train"), _rows("test")


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    hub = Hub.open(tmp_path / "hub")
    hub.add_dataset("mc", splits={"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"}, task="multiple-choice")
    yield hub
    hub.close()


def _loglikelihoods(seed: int) -> list[list[float]]:
    """Random log-likelihoods per test question: ties (np.argmax takes the first), -inf, long and short choices."""
    rng = random.Random(seed)
    rows = []
    for row in TEST:
        lls = [-rng.uniform(0, 40) for _ in row["choices"]]
        if rng.random() < 0.2:
            lls[-1] = lls[0]
        if rng.random() < 0.1:
            lls[rng.randrange(len(lls))] = -math.inf
        if rng.random() < 0.5:  # the model leans to the right answer
            lls[row["answer"]] = max(lls) + rng.uniform(-3, 3)
        rows.append(lls)
    return rows


def _write_lls(path: Path, lls: list[list[float]]) -> Path:
    path.write_text("".join(json.dumps({"id": row["id"], "loglikelihoods": values}) + "\n" for row, values in zip(TEST, lls)),
                    encoding="utf-8")
    return path


def _write_choices(path: Path, choices: list[int]) -> Path:
    path.write_text("".join(json.dumps({"id": row["id"], "choice": c}) + "\n" for row, c in zip(TEST, choices)), encoding="utf-8")
    return path


def _longest(choices: list[str]) -> int:
    return max(range(len(choices)), key=lambda i: (len(choices[i]), -i))


# Registration --------------------------------------------------------------------------------------------
def test_csv_with_json_list_cells_and_answers_as_text_and_the_arc_layout_register_the_same_questions(tmp_path):
    hub = Hub.open(tmp_path / "hub")
    jsonl = hub.add_dataset("jsonl", splits={"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"}, task="multiple-choice")
    with (tmp_path / "test.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["qid", "prompt", "options", "right"])
        for row in TEST:
            writer.writerow([row["id"], row["question"], json.dumps(row["choices"]), row["choices"][row["answer"]]])
    from_csv = hub.add_dataset("csv", tmp_path / "test.csv", task="multiple-choice", id_column="qid", question_column="prompt",
                               choices_column="options", answer_column="right")
    arc = tmp_path / "arc.jsonl"
    arc.write_text("".join(json.dumps({"id": row["id"], "question": row["question"], "answerKey": "ABCD"[row["answer"]],
                                       "choices": {"text": row["choices"], "label": list("ABCD")}}) + "\n" for row in TEST))
    from_arc = hub.add_dataset("arc", arc, task="multiple-choice", answer_column="answerKey")
    expected = {"0": 9, "1": 8, "2": 7, "3": 16}
    assert expected == {str(k): sum(r["answer"] == k for r in TEST) for k in range(4)}
    for info in (jsonl, from_csv, from_arc):
        test = next(s for s in info.splits if s.name == "test")
        assert info.labels == ["0", "1", "2", "3"] and info.options == {"choices_per_question": 4}
        assert test.num_rows == 40 and test.label_counts == expected
        assert test.fingerprint == next(s for s in jsonl.splits if s.name == "test").fingerprint, info.name
    hub.close()


@pytest.mark.parametrize(("row", "message"), [
    ({"answer": 4}, r"question 'q1': answer 4 is out of range for 4 choices; give a 0-based index \(0 to 3\) or the text of one choice\."),
    ({"answer": "Lisbon"}, r"answer 'Lisbon' in column 'answer' is none of the choices"),
    ({"answer": None}, r"has no answer in column 'answer'"),
    ({"choices": "Paris, Rome"}, r"holds the text 'Paris, Rome', not a list of choices; in a CSV cell give them as a JSON list"),
    ({"choices": ["Paris"], "answer": 0}, r"has 1 choice\(s\); a question needs at least two\."),
    ({"choices": ["Paris", ""]}, r"choice 1 is ''; every choice must be a non-empty string \(acc_norm divides by its length\)\."),
    ({"question": 7}, r"column 'question' holds 7, not text"),
])
def test_bad_questions_are_one_line_and_register_nothing(tmp_path, row, message):
    good = {"id": "q1", "question": "Capital of France?", "choices": ["Paris", "Rome", "Oslo", "Bern"], "answer": 0}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({**good, **row}) + "\n")
    result = run_cli("dataset", "add", "bad", str(path), "--task", "multiple-choice")
    assert __import__("re").search(message, one_error_line(result))
    assert json.loads(run_cli("dataset", "list", "--json").stdout) == []


def test_a_missing_column_names_the_option_to_fix_it(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "q1", "question": "?", "options": ["a", "b"], "answer": 0}) + "\n")
    result = run_cli("dataset", "add", "bad", str(path), "--task", "multiple-choice")
    assert "Column 'choices' not in" in one_error_line(result) and "--choices-column" in one_error_line(result)


# Scoring -------------------------------------------------------------------------------------------------
def test_a_loglikelihoods_file_scores_acc_and_acc_norm_as_lm_evals_process_results(hub, tmp_path):
    lls = _loglikelihoods(0)
    oracle = _lm_eval(lls, [row["choices"] for row in TEST], [row["answer"] for row in TEST])
    hub.add_model("lm", _write_lls(tmp_path / "lm.jsonl", lls))
    evaluation = hub.evaluate(model="lm", dataset="mc", progress=False)
    assert set(evaluation.metrics) == {"acc", "acc_norm"}
    for name in ("acc", "acc_norm"):
        assert evaluation.metrics[name]["value"] == pytest.approx(lm_eval_mean([row[name] for row in oracle]), abs=1e-12)
        assert evaluation.metrics[name]["ci_low"] <= evaluation.metrics[name]["value"] <= evaluation.metrics[name]["ci_high"]
    # Length normalisation picks other choices on this file, so the two metrics differ.
    assert evaluation.metrics["acc"]["value"] != evaluation.metrics["acc_norm"]["value"]
    rows = hub.predictions(model="lm", dataset="mc")
    for row, values, expected in zip(rows, lls, oracle):
        assert row["predicted"] == int(np.argmax(values)) and row["correct"] == bool(expected["acc"])
        assert row["correct_norm"] == bool(expected["acc_norm"])
        assert row["loglikelihoods"] == [None if v == -math.inf else v for v in values]  # JSON has no -inf
        finite = np.array(values)
        assert row["confidence"] == pytest.approx(float(np.exp(finite[row["predicted"]] - finite.max()) / np.exp(finite - finite.max()).sum()))
        assert TASK.example_confidence(row) == row["confidence"]
    scored = hub.score(dataset="mc", predictions=tmp_path / "lm.jsonl")
    assert {name: m["value"] for name, m in scored["metrics"].items()} == {name: m["value"] for name, m in evaluation.metrics.items()}


def test_a_choices_file_scores_acc_only_and_says_why_acc_norm_is_missing(hub, tmp_path):
    picks = [row["answer"] if k % 2 == 0 else (row["answer"] + 1) % 4 for k, row in enumerate(TEST)]
    hub.add_model("picks", _write_choices(tmp_path / "picks.jsonl", picks))
    evaluation = hub.evaluate(model="picks", dataset="mc", progress=False)
    assert set(evaluation.metrics) == {"acc"} and evaluation.metrics["acc"]["value"] == 0.5
    assert evaluation.details["acc_norm"].startswith("not reported: the model gives a choice per question")
    tables = {table.title: table for table in TASK.detail_tables(evaluation.details)}
    assert tables["acc_norm"].rows == [[evaluation.details["acc_norm"]]]
    assert all(TASK.example_confidence(row) is None for row in hub.predictions(model="picks", dataset="mc"))


def test_position_details_count_where_the_answers_are_and_which_positions_are_picked(hub, tmp_path):
    picks = [0] * 20 + [row["answer"] for row in TEST[20:]]
    hub.add_model("first", _write_choices(tmp_path / "first.jsonl", picks))
    details = hub.evaluate(model="first", dataset="mc", progress=False).details
    gold = [row["answer"] for row in TEST]
    expected = np.zeros((4, 4), dtype=int)
    for g, p in zip(gold, picks):
        expected[g, p] += 1
    labels, matrix = TASK.confusion(details)
    assert labels == ["0", "1", "2", "3"] and matrix == expected.tolist()
    tables = {table.title: table for table in TASK.detail_tables(details)}
    by_gold = tables["Accuracy by gold position"].rows
    assert [int(r[1]) for r in by_gold] == [gold.count(k) for k in range(4)]
    assert [int(r[2]) for r in by_gold] == [int(expected[k, k]) for k in range(4)]
    picked = tables["Positions picked (position bias)"].rows
    assert [int(r[1]) for r in picked] == [picks.count(k) for k in range(4)]
    assert picked[0][2] == f"{picks.count(0) / 40:.3f}" and picked[3][3] == f"{gold.count(3) / 40:.3f}"


def test_paired_tests_cover_acc_and_acc_norm_where_both_systems_give_loglikelihoods(hub, tmp_path):
    hub.add_model("a", _write_lls(tmp_path / "a.jsonl", _loglikelihoods(1)))
    hub.add_model("b", _write_lls(tmp_path / "b.jsonl", _loglikelihoods(2)))
    hub.add_model("c", _write_choices(tmp_path / "c.jsonl", [row["answer"] for row in TEST]))
    comparison = hub.compare("a", "b", dataset="mc", progress=False)
    assert {m.metric for m in comparison.metrics if m.difference is not None} >= {"acc", "acc_norm"}
    first, second = (hub.evaluate(model=m, dataset="mc", progress=False).metrics for m in ("a", "b"))
    for m in comparison.metrics:
        assert m.difference == pytest.approx(first[m.metric]["value"] - second[m.metric]["value"], abs=1e-12)
    hub.evaluate(model="c", dataset="mc", progress=False)
    rows = {m: hub.predictions(model=m, dataset="mc") for m in ("a", "c")}
    facts = None  # the family's paired test needs no facts
    assert TASK.paired_test(rows["a"], rows["c"], "acc_norm", facts) is None
    assert TASK.paired_test(rows["a"], rows["c"], "acc", facts).difference == pytest.approx(first["acc"]["value"] - 1.0)


# Baselines -----------------------------------------------------------------------------------------------
def test_the_baselines_choose_exactly_what_they_say(hub):
    counts = [sum(r["answer"] == k for r in TRAIN) for k in range(4)]
    majority = counts.index(max(counts))
    picked = {b: [row["predicted"] for row in (hub.evaluate(model=f"baseline:{b}", dataset="mc", progress=False),
                                                hub.predictions(model=f"baseline:{b}", dataset="mc"))[1]]
              for b in TASK.baselines}
    assert picked["majority-position"] == [majority] * len(TEST)
    assert picked["longest-choice"] == [_longest(row["choices"]) for row in TEST]
    assert picked["choices-only"] == _choices_only_by_hand()


def _choices_only_by_hand() -> list[int]:
    """The choices-only baseline written out with scikit-learn: TF-IDF of each choice and two length features,
    a logistic regression on train's choices (gold or not), the top-scored choice of each test question."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def features(rows, vectorizer):
        texts = [c for row in rows for c in row["choices"]]
        lengths = [[len(c) / np.mean([len(x) for x in row["choices"]]), float(len(c) == max(map(len, row["choices"])))]
                   for row in rows for c in row["choices"]]
        return np.hstack([vectorizer.transform(texts).toarray(), np.array(lengths)])

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", sublinear_tf=True)
    vectorizer.fit([c for row in TRAIN for c in row["choices"]])
    target = [float(i == row["answer"]) for row in TRAIN for i in range(len(row["choices"]))]
    model = LogisticRegression(C=1.0, max_iter=1000, random_state=0).fit(features(TRAIN, vectorizer), target)
    scores = model.decision_function(features(TEST, vectorizer)).reshape(len(TEST), 4)
    return [int(np.argmax(row)) for row in scores]


def test_the_choices_only_baseline_never_reads_the_question(hub):
    from benchhub.engine.runner import run_model
    from benchhub.models.baselines.model import BaselineModel
    from tests.contract.family_checks import Case

    case = Case(hub, TASK, "mc", Path("."))
    train, test = case.split("train"), case.split("test")
    cls = TASK.baseline_classes()["choices-only"]
    model = BaselineModel(cls.trained(train, case.facts))
    blank = test.subset(range(len(test)))
    blank.texts[:] = ["" for _ in blank.texts]
    assert run_model(model, blank, batch_size=8).outputs == run_model(model, test, batch_size=8).outputs
    assert cls.partial_input and TASK.baseline_classes()["longest-choice"].partial_input
    assert not TASK.baseline_classes()["majority-position"].partial_input


def test_the_board_shows_every_models_shortcut_gap_over_the_best_choices_only_baseline(hub, tmp_path):
    hub.add_model("lm", _write_lls(tmp_path / "lm.jsonl", _loglikelihoods(3)))
    hub.evaluate(model="lm", dataset="mc", progress=False)
    board = hub.leaderboard(dataset="mc", progress=False)
    rows = {row.model: row for row in board.rows}
    assert board.metric == "acc" and {f"baseline:{b}" for b in TASK.baselines} <= set(rows)
    partial = {b: rows[f"baseline:{b}"].metrics["acc"]["value"] for b in ("longest-choice", "choices-only")}
    best = max(partial, key=partial.get)
    assert rows["lm"].shortcut_gap == pytest.approx(rows["lm"].metrics["acc"]["value"] - partial[best], abs=1e-12)
    assert any(note.startswith(f"shortcut gap: acc minus the best partial-input baseline (baseline:{best}") for note in board.notes)
    # The sample's right answers are often the longest choice: the choices alone beat chance by far.
    assert min(partial.values()) > 0.4 and rows["baseline:majority-position"].metrics["acc"]["value"] == pytest.approx(0.2)


# The command line ----------------------------------------------------------------------------------------
def test_score_and_eval_json_name_acc_and_acc_norm(tmp_path):
    added = run_cli("dataset", "add", "mc", "--task", "multiple-choice", "--split", f"train={SAMPLE / 'train.jsonl'}",
                    "--split", f"test={SAMPLE / 'test.jsonl'}", "--question-column", "question", "--choices-column", "choices",
                    "--answer-column", "answer", "--json")
    assert added.returncode == 0, added.stderr
    lls = _write_lls(tmp_path / "lm.jsonl", _loglikelihoods(4))
    scored = run_cli("score", "--dataset", "mc", "--predictions", str(lls), "--json")
    assert scored.returncode == 0, scored.stderr
    metrics = json.loads(scored.stdout)["metrics"]
    assert set(metrics) == {"acc", "acc_norm"} and set(metrics["acc"]) == {"value", "ci_low", "ci_high"}
    assert run_cli("model", "add", "picks", str(_write_choices(tmp_path / "p.jsonl", [0] * 40))).returncode == 0
    evaluated = run_cli("eval", "--model", "picks", "--model", "baseline:choices-only", "--dataset", "mc", "--json", "--quiet")
    assert evaluated.returncode == 0, evaluated.stderr
    document = json.loads(evaluated.stdout)
    results = {item["model"]: item for item in (document if isinstance(document, list) else document["evaluations"])}
    assert set(results["picks"]["metrics"]) == {"acc"} and set(results["baseline:choices-only"]["metrics"]) == {"acc", "acc_norm"}
    shown = run_cli("predictions", "--model", "picks", "--dataset", "mc", "--errors", "--limit", "2")
    assert shown.returncode == 0 and "predicted (norm)" in shown.stdout


# Refusals ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("lines", "message"), [
    (['{"id": "test-001", "loglikelihoods": [NaN, -1, -2, -3]}'], r"line 1: .*NaN.* not allowed"),
    (['{"id": "test-001", "loglikelihoods": [1e999, -1, -2, -3]}'], r"line 1: .*(holds inf|Infinity at).*not NaN or \+Infinity|line 1: Infinity at .* not allowed"),
    (['{"id": "test-001", "loglikelihoods": [-1, -2]}'], r"line 1: id 'test-001' has 2 log-likelihoods for 4 choices"),
    (['{"id": "test-001", "loglikelihoods": [-1, -2, -3, -4], "choice": 0}'], r"line 1: gives both \"loglikelihoods\" and \"choice\""),
    (['{"id": "test-001", "loglikelihoods": [-1, -2, -3, -4]}', '{"id": "test-002", "choice": 0}'],
     r"line 2: gives \"choice\" where line 1 gives \"loglikelihoods\"; use one layout for the whole file\."),
    (['{"id": "test-001", "choice": 4}'], r"line 1: choice 4 of id 'test-001' is out of range; it has 4 choices, 0 to 3\."),
    (['{"id": "test-001", "choice": 1.0}'], r"line 1: \"choice\" of id 'test-001' must be a choice's 0-based index"),
    (['{"id": "test-001", "choice": true}'], r"line 1: \"choice\" of id 'test-001' must be a choice's 0-based index"),
    (['{"id": "test-001", "label": "A"}'], r"line 1: expected an object with \"id\" and either \"loglikelihoods\" or \"choice\""),
    (['{"id": "test-001", "choice": 0}', '{"id": "test-001", "choice": 1}'], r"line 2: duplicate id 'test-001'"),
    (['{"id": "test-001", "choice": 0}'], r"39 question\(s\) have no prediction, first id 'test-002'"),
])
def test_bad_predictions_files_are_refused_naming_the_first_problem(hub, tmp_path, lines, message):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(PredictionsFormatError, match=message):
        hub.score(dataset="mc", predictions=path)
    with hub.session() as session:
        from benchhub.catalog.datasets import get_dataset_row, load_split

        split = load_split(hub.artifacts, get_dataset_row(session, "mc"), "test")
    with pytest.raises(PredictionsFormatError, match=message):
        check_submission_file(path, task=TASK, split=split, labels=["0", "1", "2", "3"])


def test_minus_infinity_is_a_log_likelihood_but_not_every_choice_need_be_finite(hub, tmp_path):
    lls = [[-math.inf, -1.0, -math.inf, -2.0] for _ in TEST]
    path = _write_lls(tmp_path / "inf.jsonl", lls)
    assert "-Infinity" in path.read_text()
    metrics = hub.score(dataset="mc", predictions=path)["metrics"]
    assert metrics["acc"]["value"] == pytest.approx(sum(r["answer"] == 1 for r in TEST) / 40)


def test_local_language_models_are_refused_in_one_line_and_leave_nothing_behind(tmp_path):
    import torch
    import transformers

    from tests.fixtures.tiny_bert import _save_tokenizer

    assert run_cli("dataset", "add", "mc", "--task", "multiple-choice", "--split", f"train={SAMPLE / 'train.jsonl'}",
                   "--split", f"test={SAMPLE / 'test.jsonl'}").returncode == 0
    folder = tmp_path / "tiny-llama"
    vocab = _save_tokenizer(folder, [row["question"] for row in TRAIN], model_max_length=128)
    config = transformers.LlamaConfig(vocab_size=vocab, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=128)
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(config).save_pretrained(folder, safe_serialization=True)
    # A causal LM registers (language modeling scores documents with it), and multiple choice refuses to run it.
    assert run_cli("model", "add", "llama", str(folder)).returncode == 0
    refused = one_error_line(run_cli("eval", "--model", "llama", "--dataset", "mc"))
    assert "scoring choices with a local language model comes in a later version" in refused
    assert json.loads(run_cli("leaderboard", "--dataset", "mc", "--format", "json", "--quiet", "--top", "10").stdout)
    hub = Hub.open()
    assert {row.model for row in hub.leaderboard(dataset="mc", progress=False).rows} == {f"baseline:{b}" for b in TASK.baselines}
    assert [m.name for m in hub.models() if m.kind != "baseline"] == ["llama"]
    # A baseline predicts on the inputs, in the family's layout.
    inputs, output = tmp_path / "inputs.jsonl", tmp_path / "out.jsonl"
    inputs.write_text("".join(json.dumps({"id": r["id"], "question": r["question"], "choices": r["choices"]}) + "\n" for r in TEST))
    summary = hub.predict("baseline:longest-choice", inputs, dataset="mc", output=output, progress=False)
    assert summary["examples"] == 40
    assert [json.loads(line)["choice"] for line in output.read_text().splitlines()] == [_longest(r["choices"]) for r in TEST]
    hub.close()
    with pytest.raises(InvalidInputError, match="has no fine-tuning recipe"):
        TASK.finetune_config(None)


# Pages, benchmarks, reports ------------------------------------------------------------------------------
def test_the_api_and_web_pages_show_acc_acc_norm_and_the_position_tables(hub, tmp_path):
    hub.add_model("lm", _write_lls(tmp_path / "lm.jsonl", _loglikelihoods(5)))
    evaluation = hub.evaluate(model="lm", dataset="mc", progress=False)
    hub.leaderboard(dataset="mc", progress=False)  # evaluates the reference baselines
    client = TestClient(_app(hub))
    board = client.get("/api/leaderboards/mc")
    assert board.status_code == 200, board.text[:300]
    rows = {row["model"]: row for row in board.json()["rows"]}
    assert rows["lm"]["metrics"]["acc_norm"]["value"] == evaluation.metrics["acc_norm"]["value"]
    page = client.get("/leaderboards/mc")
    assert page.status_code == 200 and "acc_norm" in page.text and "shortcut gap" in page.text
    shown = html.unescape(client.get(f"/evaluations/{evaluation.id}").text)
    assert "Accuracy by gold position" in shown and "Positions picked (position bias)" in shown
    hub.create_user("ann")
    _, token = hub.create_token("ann")
    examples = client.get(f"/api/evaluations/{evaluation.id}/examples", headers={"Authorization": f"Bearer {token}"})
    assert examples.status_code == 200, examples.text[:300]
    assert "Infinity" not in examples.text and "loglikelihoods" in examples.text  # -inf travels as null
    assert client.get("/datasets/mc").status_code == 200


def test_a_hidden_test_phase_releases_no_answers_and_scores_both_halves(hub, tmp_path):
    for name in ("admin", "alice"):
        hub.create_user(name, admin=name == "admin")
    hub.create_benchmark("quiz", dataset="mc", user="admin", phases=[PhaseSpec("test", "test")])
    _, token = hub.create_token("alice")
    client = signed_in(TestClient(_app(hub)), token)
    released = client.get("/api/benchmarks/quiz/phases/test/inputs", headers={"Authorization": f"Bearer {token}"})
    assert released.status_code == 200, released.text[:300]
    items = [json.loads(line) for line in released.text.splitlines()]
    assert all(set(item) == {"id", "question", "choices"} for item in items)
    assert sorted(item["id"] for item in items) == sorted(row["id"] for row in TEST)
    page = html.unescape(client.get("/benchmarks/quiz").text)
    assert f"Predictions file ({TASK.predictions_hint})" in page

    bad = tmp_path / "short.jsonl"
    bad.write_text(json.dumps({"id": "test-001", "loglikelihoods": [-1.0]}) + "\n")
    with pytest.raises(PredictionsFormatError, match=r"short.jsonl, line 1: id 'test-001' has 1 log-likelihoods for 4 choices"):
        hub.submit("quiz", bad, user="alice")
    assert hub.submissions("quiz", user="alice") == []

    lls = _loglikelihoods(6)
    hub.submit("quiz", _write_lls(tmp_path / "lm.jsonl", lls), user="alice")
    assert hub.run_worker(once=True) == 1
    (submission,) = hub.submissions("quiz", user="alice")
    with hub.session() as session:
        from sqlalchemy import select

        from benchhub.store.tables import BenchmarkRow

        bench = session.scalar(select(BenchmarkRow).where(BenchmarkRow.name == "quiz"))
        mask = public_mask(bench.split_seed, [row["id"] for row in TEST], bench.settings["public_fraction"])
    oracle = _lm_eval(lls, [row["choices"] for row in TEST], [row["answer"] for row in TEST])
    for half, keep in (("public", True), ("private", False)):
        expected = [row for row, m in zip(oracle, mask) if m == keep]
        hub.close_phase("quiz", "test", user="admin") if half == "private" else None
        metrics = hub.submissions("quiz", user="alice")[0].public_metrics if half == "public" else \
            hub.benchmark_board("quiz", phase="test", kind="private").rows[0].metrics
        for name in ("acc", "acc_norm"):
            assert metrics[name]["value"] == pytest.approx(lm_eval_mean([row[name] for row in expected]), abs=1e-12), (half, name)
    assert submission.private_metrics is None  # not shown before the phase closed


def test_reports_and_model_cards_render_for_predictions_files_and_baselines(hub, tmp_path):
    hub.add_model("lm", _write_lls(tmp_path / "lm.jsonl", _loglikelihoods(7)))
    hub.add_model("picks", _write_choices(tmp_path / "p.jsonl", [1] * 40))
    for model in ("lm", "picks"):
        hub.evaluate(model=model, dataset="mc", progress=False)
    report = Path(hub.report_html(dataset="mc", path=tmp_path / "report.html", progress=False)).read_text(encoding="utf-8")
    assert "acc_norm" in report and "baseline:choices-only" in report
    for model in ("lm", "picks", "baseline:choices-only"):
        card = hub.export_card(model)
        assert "type: multiple-choice" in card and "Multiple Choice" in card and "type: acc" in card, model
    assert "type: acc_norm" in hub.export_card("lm") and "type: acc_norm" not in hub.export_card("picks")
