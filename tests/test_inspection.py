"""Looking at results: the examples browser (inputs, filters, confidence order) and two models compared
(paired differences, contingency table, McNemar's exact test with scipy as the oracle, disagreements)."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binomtest

from benchhub import Hub
from benchhub.cli.render import metric_comparison_rows
from benchhub.errors import InvalidInputError
from benchhub.inspection.comparison import mcnemar_exact_pvalue
from tests.test_cli import one_error_line, run_cli

RESOURCES = Path(str(resources.files("benchhub") / "resources"))
SUPPORT, NER = RESOURCES / "sample", RESOURCES / "ner_sample"


@pytest.fixture
def hub() -> Hub:
    hub = Hub.open()
    hub.add_dataset("support", splits={"train": SUPPORT / "train.jsonl", "test": SUPPORT / "test.jsonl"}, id_column="id")
    return hub


@pytest.mark.parametrize("seed", range(40))
def test_mcnemar_exact_equals_the_two_sided_binomial_test_of_scipy(seed):
    rng = np.random.default_rng(seed)
    only_a, only_b = (int(v) for v in rng.integers(0, 60 if seed % 2 else 8, size=2))
    expected = 1.0 if only_a + only_b == 0 else binomtest(only_a, only_a + only_b, 0.5).pvalue
    assert mcnemar_exact_pvalue(only_a, only_b) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_mcnemar_refuses_counts_that_are_not_counts():
    for bad in (-1, 2.0, True):
        with pytest.raises(InvalidInputError, match="must be a count"):
            mcnemar_exact_pvalue(bad, 3)


def test_a_comparison_pairs_the_metrics_counts_the_examples_and_lists_every_disagreement(hub):
    a, b = "baseline:keyword", "baseline:tfidf-logreg"
    comparison = hub.compare(a, b, dataset="support", progress=False)
    rows = {name: {r["id"]: r for r in hub.predictions(model=name, dataset="support")} for name in (a, b)}
    evaluations = {name: hub.evaluate(model=name, dataset="support", progress=False) for name in (a, b)}
    assert [m.metric for m in comparison.metrics] == ["macro_f1", "accuracy"]
    for metric in comparison.metrics:
        expected = evaluations[a].metrics[metric.metric]["value"] - evaluations[b].metrics[metric.metric]["value"]
        assert metric.difference == pytest.approx(expected, abs=1e-12)
        assert metric.ci_low <= metric.difference <= metric.ci_high and 0 < metric.p_value <= 1
    right = {name: {i: r["correct"] for i, r in rows[name].items()} for name in (a, b)}
    ids = list(rows[a])
    expected_cells = {
        "both_right": sum(right[a][i] and right[b][i] for i in ids), "only_a": sum(right[a][i] and not right[b][i] for i in ids),
        "only_b": sum(right[b][i] and not right[a][i] for i in ids), "both_wrong": sum(not (right[a][i] or right[b][i]) for i in ids),
    }
    assert comparison.contingency == expected_cells and comparison.examples == len(ids) == 210
    assert comparison.mcnemar_p_value == pytest.approx(
        binomtest(expected_cells["only_a"], expected_cells["only_a"] + expected_cells["only_b"], 0.5).pvalue, rel=1e-12)
    differ = [i for i in ids if rows[a][i]["predicted"] != rows[b][i]["predicted"]]
    assert sorted(d["id"] for d in comparison.disagreements) == sorted(differ)
    texts = {json.loads(line)["id"]: json.loads(line)["text"] for line in (SUPPORT / "test.jsonl").read_text().splitlines()}
    for d in comparison.disagreements:
        assert d["inputs"] == {"text": texts[d["id"]]} and d["a"] == rows[a][d["id"]]["predicted"]
    # A's wins come first, then B's, then those both get wrong.
    kinds = [(d["a_correct"], d["b_correct"]) for d in comparison.disagreements]
    assert kinds == sorted(kinds, key=lambda k: {(True, False): 0, (False, True): 1}.get(k, 2))
    swapped = hub.compare(b, a, dataset="support", progress=False)
    assert swapped.metrics[0].difference == pytest.approx(-comparison.metrics[0].difference, abs=1e-12)
    assert (swapped.contingency["only_a"], swapped.contingency["only_b"]) == (expected_cells["only_b"], expected_cells["only_a"])
    assert swapped.mcnemar_p_value == comparison.mcnemar_p_value


def test_a_comparison_on_a_slice_rescores_the_slice_as_the_leaderboard_does(hub):
    a, b = "baseline:keyword", "baseline:tfidf-logreg"
    comparison = hub.compare(a, b, dataset="support", slice="label=cancel_order", progress=False)
    board = hub.leaderboard(dataset="support", slice="label=cancel_order", progress=False)
    on_board = {row.model: row.metrics for row in board.rows}
    assert comparison.slice == "label cancel_order"
    assert comparison.examples == sum(1 for r in hub.predictions(model=a, dataset="support") if r["gold"] == "cancel_order")
    accuracy = next(m for m in comparison.metrics if m.metric == "accuracy")
    assert accuracy.a == pytest.approx(on_board[a]["accuracy"]["value"]) and accuracy.b == pytest.approx(on_board[b]["accuracy"]["value"])
    assert accuracy.difference == pytest.approx(accuracy.a - accuracy.b, abs=1e-12)


def test_a_slice_of_fewer_than_ten_examples_gets_differences_without_intervals(hub):
    a, b = "baseline:keyword", "baseline:tfidf-logreg"
    small = hub.compare(a, b, dataset="support", slice="length=40+", progress=False)
    assert small.examples == 9
    assert small.notes == ["Only 9 examples: too few to resample (at least 10), so the differences have no interval or "
                           "p-value; McNemar's exact test holds at any size."]
    for metric in small.metrics:
        assert (metric.ci_low, metric.ci_high, metric.p_value) == (None, None, None)
        assert metric.difference == pytest.approx(metric.a - metric.b, abs=1e-12)
    assert 0 < small.mcnemar_p_value <= 1
    header, rows = metric_comparison_rows(small)
    assert rows[0][3] == f"{small.metrics[0].difference:+.3f} (no CI)" and rows[0][4] == "-"
    larger = hub.compare(a, b, dataset="support", slice="length=20-39", progress=False)
    assert larger.examples == 23 and larger.notes == [] and all(m.ci_low is not None for m in larger.metrics)


def test_the_examples_browser_filters_by_correctness_labels_and_slices_and_sorts_by_confidence(hub):
    hub.evaluate(model="baseline:tfidf-logreg", dataset="support", progress=False)
    every = hub.examples(model="baseline:tfidf-logreg", dataset="support")
    assert [r["position"] for r in every] == list(range(210)) and all("text" in r["inputs"] for r in every)
    errors = hub.examples(model="baseline:tfidf-logreg", dataset="support", errors=True, sort="confidence")
    assert errors and all(not r["correct"] for r in errors) and len(errors) == sum(not r["correct"] for r in every)
    confidences = [r["confidence"] for r in errors]
    assert confidences == sorted(confidences, reverse=True)
    assert confidences[0] == max(errors[0]["scores"].values())
    least = hub.examples(model="baseline:tfidf-logreg", dataset="support", errors=True, sort="-confidence")
    assert [r["confidence"] for r in least] == sorted(confidences)
    gold = hub.examples(model="baseline:tfidf-logreg", dataset="support", gold="order_status", predicted="cancel_order")
    assert gold and all(r["gold"] == "order_status" and r["predicted"] == "cancel_order" for r in gold)
    short = hub.examples(model="baseline:tfidf-logreg", dataset="support", slice="length=0-9")
    assert short and all(len(r["inputs"]["text"].split()) < 10 for r in short)


def test_token_classification_examples_filter_by_entity_type_and_show_wrong_words():
    hub = Hub.open()
    hub.add_dataset("ner", splits={"train": NER / "train.conll", "test": NER / "test.conll"}, task="token-classification")
    for model in ("baseline:feature-logreg", "baseline:memorization"):
        hub.evaluate(model=model, dataset="ner", progress=False)
    rows = hub.examples(model="baseline:feature-logreg", dataset="ner", gold="PER", errors=True, sort="confidence")
    assert rows and all(any(tag.endswith("-PER") for tag in r["gold"]) and not r["correct"] for r in rows)
    assert all(r["confidence"] == pytest.approx(np.mean(r["confidences"])) for r in rows)
    predicted = hub.examples(model="baseline:memorization", dataset="ner", predicted="LOC")
    assert predicted and all(any(tag.endswith("-LOC") for tag in r["predicted"]) for r in predicted)
    shown = run_cli("predictions", "--model", "baseline:feature-logreg", "--dataset", "ner", "--errors", "--limit", "3")
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"\w+\[[BIO]-?[A-Z]*→[BIO]-?[A-Z]*\]", shown.stdout) and "3 of " in shown.stdout


def test_the_cli_compares_two_models_in_tables_and_as_json(hub):
    shown = run_cli("compare", "baseline:keyword", "baseline:tfidf-logreg", "--dataset", "support", "--quiet", "--limit", "3")
    assert shown.returncode == 0, shown.stderr
    assert "A - B [95% CI]" in shown.stdout and "McNemar's exact test" in shown.stdout and "Disagreements: 3 of" in shown.stdout
    document = json.loads(run_cli("compare", "baseline:keyword", "baseline:tfidf-logreg", "--dataset", "support",
                                  "--quiet", "--json").stdout)
    assert set(document["contingency"]) == {"both_right", "only_a", "only_b", "both_wrong"}
    cells, disagreements = document["contingency"], document["disagreements"]
    # Both right means the same (gold) label; every example only one gets right is a disagreement.
    both_wrong_differ = sum(1 for d in disagreements if not d["a_correct"] and not d["b_correct"])
    assert len(disagreements) == cells["only_a"] + cells["only_b"] + both_wrong_differ
    assert 0 < both_wrong_differ <= cells["both_wrong"]


@pytest.mark.parametrize(("args", "message"), [
    (["compare", "baseline:keyword", "baseline:keyword", "--dataset", "support"], r"Both models are 'baseline:keyword'; compare two different models\."),
    (["compare", "baseline:keyword", "nobody", "--dataset", "support"], r"No model named 'nobody'"),
    (["predictions", "--model", "baseline:keyword", "--dataset", "support", "--sort", "size"], r"--sort 'size' is not an order; use one of split, confidence, -confidence\."),
    (["predictions", "--model", "baseline:keyword", "--dataset", "support", "--gold", "weather"], r"--gold 'weather' is no gold label of this split; it has account_access, "),
])
def test_bad_comparisons_and_queries_are_one_line(hub, args, message):
    if args[0] == "predictions":
        hub.evaluate(model="baseline:keyword", dataset="support", progress=False)
    assert re.search(message, one_error_line(run_cli(*args)))


def test_eval_prints_the_per_class_table_and_the_confusion_matrix_and_the_report_shows_them(hub, tmp_path):
    shown = run_cli("eval", "--model", "baseline:keyword", "--dataset", "support", "--quiet")
    assert shown.returncode == 0, shown.stderr
    assert "Per class: baseline:keyword on support/test" in shown.stdout and "Confusion matrix (rows gold" in shown.stdout
    evaluation = hub.evaluate(model="baseline:keyword", dataset="support", progress=False)
    matrix = evaluation.details["confusion_matrix"]
    first = next(line for line in shown.stdout.splitlines() if line.startswith("│ account_access") and line.count("│") > 6)
    assert [int(cell) for cell in first.strip("│ ").split("│")[1:]] == matrix[0]
    page = hub.report_html(dataset="support", path=tmp_path / "report.html", progress=False).read_text(encoding="utf-8")
    assert "<h3>Per class</h3>" in page and "<h3>Confusion matrix</h3>" in page and "Where baseline:tfidf-logreg errs" in page


def test_the_evaluation_and_comparison_pages_show_examples_only_to_those_who_may_read_them(hub):
    from fastapi.testclient import TestClient

    from benchhub.server import create_app
    from benchhub.server.in_process_scoring import WorkerSettings
    from tests.fixtures.browser import signed_in

    hub.create_user("pat")
    token = hub.create_token("pat")[1]
    evaluation = hub.evaluate(model="baseline:keyword", dataset="support", progress=False)
    hub.evaluate(model="baseline:majority", dataset="support", progress=False)
    app = create_app(hub.config, scoring=WorkerSettings(enabled=False))
    anonymous = TestClient(app).get(f"/evaluations/{evaluation.id}")
    assert anonymous.status_code == 200 and "to browse the examples" in anonymous.text and 'id="example-rows"' not in anonymous.text
    assert 'id="confusion"' in anonymous.text  # aggregate numbers are public, as on the leaderboard
    assert TestClient(app).get("/compare?a=baseline:keyword&b=baseline:majority&dataset=support").status_code == 403
    client = signed_in(TestClient(app), token)
    page = client.get(f"/evaluations/{evaluation.id}?errors=true&sort=confidence")
    assert page.status_code == 200 and 'id="example-rows"' in page.text
    wrong = hub.examples(model="baseline:keyword", dataset="support", errors=True, sort="confidence")
    assert f"{len(wrong)} examples, page 1 of {-(-len(wrong) // 25)}" in page.text and wrong[0]["id"] in page.text
    later = client.get(f"/evaluations/{evaluation.id}?errors=true&sort=confidence&page=2")
    assert wrong[25]["id"] in later.text and wrong[0]["id"] not in later.text
    compared = client.get("/compare?a=baseline:keyword&b=baseline:majority&dataset=support")
    assert compared.status_code == 200 and "McNemar" in compared.text and 'id="disagreement-rows"' in compared.text
    assert client.get(f"/evaluations/{evaluation.id}?sort=size").status_code == 422



def test_a_one_label_slice_ranks_by_accuracy_unless_a_metric_is_asked_for(hub, tmp_path):
    gold = [json.loads(line) for line in (SUPPORT / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps({"id": r["id"], "label": r["label"]}) + "\n" for r in gold))
    hub.add_model("gold", tmp_path / "gold.jsonl")
    hub.evaluate(model="gold", dataset="support", progress=False)
    board = hub.leaderboard(dataset="support", slice="label=cancel_order", progress=False)
    assert board.metric == "accuracy" and board.rows[0].model == "gold"
    assert board.rows[0].metrics["accuracy"]["value"] == 1.0
    assert board.rows[0].metrics["macro_f1"]["value"] == pytest.approx(1 / 6)  # what ranking by it would have shown
    assert any(note.startswith("ranked by accuracy (the recall of 'cancel_order')") for note in board.notes)
    asked = hub.leaderboard(dataset="support", slice="label=cancel_order", metric="macro_f1", progress=False)
    assert asked.metric == "macro_f1"
    assert hub.leaderboard(dataset="support", slice="length=0-9", progress=False).metric == "macro_f1"
