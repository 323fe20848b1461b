"""Evaluation matrices on the local executor: every model on every dataset in worker processes, cached jobs
skipped, failures reported per job, results equal to evaluating one by one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchhub import Hub
from benchhub.config import HubConfig
from benchhub.errors import MissingDependencyError
from benchhub.matrix_service import run_matrix
from tests.conftest import review_rows, write_jsonl

MODELS = ["baseline:majority", "baseline:keyword", "baseline:tfidf-logreg"]


@pytest.fixture
def datasets(tmp_path: Path, isolated_hub: Path) -> HubConfig:
    with Hub.open() as hub:
        for name, seed in (("reviews-a", 1), ("reviews-b", 5)):
            hub.add_dataset(name, id_column="id", splits={
                "train": write_jsonl(tmp_path / f"{name}-train.jsonl", review_rows(40, seed=seed, prefix="train")),
                "test": write_jsonl(tmp_path / f"{name}-test.jsonl", review_rows(30, seed=seed + 1, prefix=name))})
        return hub.config


def test_a_three_by_two_matrix_matches_one_by_one_evaluation_and_is_cached_after(datasets, tmp_path):
    results = run_matrix(datasets, models=MODELS, datasets=["reviews-a", "reviews-b"], max_parallel=2, show_progress=False)
    assert [(r.model, r.dataset, r.status) for r in results] == [
        (m, d, "evaluated") for m in MODELS for d in ("reviews-a", "reviews-b")]
    with Hub(datasets) as hub:
        for result in results:
            again = hub.evaluate(model=result.model, dataset=result.dataset, progress=False)
            assert again.cached and again.id == result.evaluation_id
            assert again.metrics["macro_f1"]["value"] == result.value
    rerun = run_matrix(datasets, models=MODELS, datasets=["reviews-a", "reviews-b"], show_progress=False)
    assert {r.status for r in rerun} == {"cached"} and [r.evaluation_id for r in rerun] == [r.evaluation_id for r in results]


def test_a_failing_job_is_reported_and_the_others_complete(datasets, tmp_path):
    with Hub(datasets) as hub:
        rows = review_rows(30, seed=2, prefix="reviews-a")  # reviews-a's test split; reviews-b has other ids
        hub.add_model("a-only", write_jsonl(tmp_path / "a-only.jsonl", [{"id": r["id"], "label": r["label"]} for r in rows]))
    results = run_matrix(datasets, models=["a-only", "baseline:majority"], datasets=["reviews-a", "reviews-b"],
                         max_parallel=2, show_progress=False)
    by_job = {(r.model, r.dataset): r for r in results}
    assert by_job[("a-only", "reviews-a")].status == "evaluated" and by_job[("a-only", "reviews-a")].value == 1.0
    failed = by_job[("a-only", "reviews-b")]
    assert failed.status == "failed" and "unknown id" in failed.error
    assert by_job[("baseline:majority", "reviews-b")].status == "evaluated"


def test_the_cli_matrix_and_the_ray_executor_without_ray(datasets, monkeypatch):
    from benchhub.cli.app import app

    result = CliRunner().invoke(app, ["eval", "--model", "baseline:majority", "--dataset", "reviews-a", "--dataset", "reviews-b",
                                      "--quiet", "--json"])
    assert result.exit_code == 0, result.output
    assert [(row["dataset"], row["status"]) for row in json.loads(result.stdout)] == [("reviews-a", "evaluated"), ("reviews-b", "evaluated")]
    monkeypatch.setitem(sys.modules, "ray", None)  # importing ray now fails, as where it is not installed
    with pytest.raises(MissingDependencyError, match=r"^--executor ray needs Ray: pip install 'benchhub\[ray\]'\.$"):
        run_matrix(datasets, models=["baseline:majority"], datasets=["reviews-a"], executor="ray", show_progress=False)
