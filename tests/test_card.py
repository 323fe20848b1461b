"""`benchhub export-card`: a model's results as Hugging Face model-index metadata, parsed back without loss."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from huggingface_hub import EvalResult, ModelCard
from huggingface_hub.repocard_data import model_index_to_eval_results
from typer.testing import CliRunner

from benchhub import Hub, InvalidInputError, ModelNotFoundError
from benchhub.cli.app import app
from benchhub.report import card_yaml, model_card, model_index
from benchhub.results import DatasetInfo, Evaluation, ModelRecord
from tests.conftest import write_jsonl
from tests.test_qa_hub import squad_files

WHEN = datetime(2025, 1, 2, tzinfo=timezone.utc)


def expected_results(evaluations: list[Evaluation], datasets: dict[str, DatasetInfo], task_name: str) -> list[EvalResult]:
    return [
        EvalResult(task_type=e.task, task_name=task_name, dataset_type=e.dataset, dataset_name=e.dataset,
                   dataset_split=e.split, dataset_revision=datasets[e.dataset].fingerprint, metric_type=name,
                   metric_name=name, metric_value=entry["value"], verified=False)
        for e in evaluations for name, entry in e.metrics.items()
    ]


def parsed(metadata: str) -> tuple[str, list[EvalResult]]:
    """What the Hub's own parsers read from the YAML, through a README and directly."""
    card = ModelCard(f"---\n{metadata}---\n\n# card\n")
    name, results = model_index_to_eval_results(yaml.safe_load(metadata)["model-index"])
    assert (card.data.model_name, card.data.eval_results) == (name, results)
    return name, results


@pytest.fixture
def reviews(review_files) -> dict[str, Path]:
    with Hub.open() as hub:
        hub.add_dataset("reviews", splits=review_files, id_column="id")
    return review_files


def test_classification_results_of_every_split_round_trip_exactly(reviews):
    with Hub.open() as hub:
        on_train = hub.evaluate(model="baseline:keyword", dataset="reviews", split="train", progress=False)
        on_test = hub.evaluate(model="baseline:keyword", dataset="reviews", progress=False)
        hub.evaluate(model="baseline:majority", dataset="reviews", progress=False)
        metadata = hub.export_card("baseline:keyword")
        datasets = {"reviews": hub.dataset("reviews")}
    name, results = parsed(metadata)
    assert name == "baseline:keyword"
    # Ordered by (dataset, split): test before train; every stored metric, values compared exactly.
    assert results == expected_results([on_test, on_train], datasets, "Text Classification")
    assert {r.metric_type for r in results} == {"accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall"}
    assert len(results) == 10 and on_test.metrics["accuracy"]["value"] == 0.875
    assert {(r.task_type, r.dataset_revision) for r in results} == {("text-classification", datasets["reviews"].fingerprint)}
    assert "majority" not in metadata


def test_question_answering_results_keep_squad_names_and_the_0_100_scale(tmp_path):
    files = squad_files(tmp_path)
    with Hub.open() as hub:
        hub.add_dataset("qa", task="question-answering", splits={"train": files["train"], "test": files["test"]})
        evaluation = hub.evaluate(model="baseline:sliding-window", dataset="qa", progress=False)
        metadata = hub.export_card("baseline:sliding-window")
        datasets = {"qa": hub.dataset("qa")}
    _, results = parsed(metadata)
    assert results == expected_results([evaluation], datasets, "Question Answering")
    assert {r.task_type for r in results} == {"question-answering"}
    assert {"exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1", "best_f1"} <= {r.metric_type for r in results}
    assert any(r.metric_value > 1 for r in results if r.metric_type in ("f1", "NoAns_f1"))


def test_only_the_newest_evaluation_per_split_counts_and_undefined_values_are_left_out():
    model = ModelRecord("m", "transformers", "/ckpt", "a" * 64, {}, {}, WHEN)
    info = DatasetInfo("d", "text-classification", "b" * 64, ["x", "y"], {}, {}, [], WHEN)
    old = Evaluation(
        id=3, model="m", model_kind="transformers", dataset="d", split="test", task="text-classification",
        task_version="1", task_config={}, metrics={"accuracy": {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6}},
        details={}, efficiency={}, provenance={}, predictions_path="p", created_at=WHEN,
    )
    new = replace(old, id=7, metrics={"accuracy": {"value": 0.75, "ci_low": 0.5, "ci_high": 0.9},
                                      "macro_f1": {"value": float("nan"), "ci_low": None, "ci_high": None},
                                      "weighted_f1": {"value": None, "ci_low": None, "ci_high": None}})
    document = model_index(model, [new, old], {"d": info})
    assert document == {"model-index": [{"name": "m", "results": [{
        "task": {"type": "text-classification", "name": "Text Classification"},
        "dataset": {"name": "d", "type": "d", "split": "test", "revision": "b" * 64},
        "metrics": [{"type": "accuracy", "value": 0.75, "name": "accuracy", "verified": False}],
    }]}]}
    assert yaml.safe_load(card_yaml(model, [old, new], {"d": info})) == document
    readme = model_card(model, [old, new], {"d": info}, version="9.9")
    assert "| d | test | text-classification | accuracy | 0.7500 | [0.5000, 0.9000] |" in readme
    assert "| d | test | text-classification | macro_f1 | - | - |" in readme
    assert "- d/test: evaluation 7, text-classification v1" in readme


def test_without_evaluations_the_error_says_to_run_eval_first(reviews, tmp_path):
    replay = write_jsonl(tmp_path / "replay.jsonl", [{"id": f"test-{i}", "label": "positive"} for i in range(24)])
    with Hub.open() as hub:
        hub.add_model("replay", replay)
        with pytest.raises(InvalidInputError, match=r"^Model 'replay' has no evaluations to put on a card; "
                                                    r"run `benchhub eval --model replay --dataset DATASET` first\.$"):
            hub.export_card("replay")
        with pytest.raises(InvalidInputError, match=r"^Model 'baseline:majority' has no evaluations"):
            hub.export_card("baseline:majority")
        with pytest.raises(ModelNotFoundError, match=r"No model named 'nope'"):
            hub.export_card("nope")
        # Asking about a built-in that never ran registers nothing.
        assert [m.name for m in hub.models()] == ["replay"]


def test_cli_prints_the_yaml_or_writes_a_readme_card(reviews, tmp_path):
    with Hub.open() as hub:
        evaluation = hub.evaluate(model="baseline:keyword", dataset="reviews", progress=False)
        fingerprint = hub.dataset("reviews").fingerprint
    runner = CliRunner()
    printed = runner.invoke(app, ["export-card", "baseline:keyword"])
    assert printed.exit_code == 0, printed.output
    _, results = parsed(printed.stdout)
    assert {r.metric_type: r.metric_value for r in results} == {k: v["value"] for k, v in evaluation.metrics.items()}

    target = tmp_path / "card" / "README.md"
    written = runner.invoke(app, ["export-card", "baseline:keyword", "--output", str(target)])
    assert written.exit_code == 0, written.output
    assert written.stdout == f"Wrote the model card of 'baseline:keyword' to {target}.\n"
    card = ModelCard.load(target)
    assert card.data.eval_results == results
    accuracy = evaluation.metrics["accuracy"]
    assert (f"| reviews | test | text-classification | accuracy | {accuracy['value']:.4f} | "
            f"[{accuracy['ci_low']:.4f}, {accuracy['ci_high']:.4f}] |") in card.text
    assert f"dataset fingerprint `{fingerprint}`" in card.text


def test_cli_without_evaluations_is_one_error_line(reviews):
    result = subprocess.run([sys.executable, "-m", "benchhub", "export-card", "baseline:majority"],
                            capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == ("error: Model 'baseline:majority' has no evaluations to put on a card; "
                             "run `benchhub eval --model baseline:majority --dataset DATASET` first.\n")
