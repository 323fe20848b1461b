"""Evaluation matrices on the local executor: every model on every dataset in worker processes, cached jobs
skipped, failures reported per job, results equal to evaluating one by one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from benchhub import Hub
from benchhub.config import HubConfig
from benchhub.errors import InvalidInputError, MissingDependencyError
from benchhub.evaluation.matrix import run_matrix
from benchhub.store.tables import EvaluationRow
from tests.conftest import add_review_datasets, review_rows, write_jsonl

MODELS = ["baseline:majority", "baseline:keyword", "baseline:tfidf-logreg"]


@pytest.fixture
def datasets(tmp_path: Path, isolated_hub: Path) -> HubConfig:
    with Hub.open() as hub:
        add_review_datasets(hub, tmp_path)
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


@pytest.mark.parametrize("arguments, message", [
    (["--cpus-per-job", "2"], "--ray-address, --cpus-per-job and --gpus-per-job apply to --executor ray only; add --executor ray."),
    (["--max-retries", "-1"], "--max-retries must be an int in the range [0, inf). Got -1 instead."),
    (["--executor", "dask"], "--executor 'dask' is not supported; use one of local, ray."),
    (["--executor", "ray", "--cpus-per-job", "0"], "--cpus-per-job must be a number in the range (0, inf) and --gpus-per-job in [0, inf)."),
])
def test_matrix_options_are_checked_before_any_job_runs(datasets, arguments, message):
    from benchhub.cli.app import app

    result = CliRunner().invoke(app, ["eval", "--model", "baseline:majority", "--dataset", "reviews-a", *arguments])
    assert isinstance(result.exception, InvalidInputError) and str(result.exception) == message
    with Hub(datasets) as hub, hub.session() as session:
        assert session.scalar(select(func.count()).select_from(EvaluationRow)) == 0


def test_a_worker_without_the_hub_folder_reports_it_and_creates_nothing(tmp_path):
    from benchhub.evaluation.matrix import MatrixPlan, evaluate_job

    missing = tmp_path / "elsewhere" / "hub"
    result = evaluate_job(MatrixPlan(HubConfig(missing, f"sqlite:///{missing / 'hub.db'}")), "baseline:majority", "reviews-a")
    assert result.status == "failed"
    assert result.error == (f"the hub's artifact folder {missing / 'artifacts'} is not on this machine: every worker needs it "
                            "at the same path (a shared file system; see docs/scaling.md)")
    assert not (tmp_path / "elsewhere").exists()


def test_a_job_told_to_use_the_cpu_loads_its_model_there(datasets, tiny_bert, monkeypatch):
    """What a Ray job that asked for no GPU gets: device "cpu", whatever GPUs the worker can see."""
    from benchhub.evaluation.matrix import MatrixPlan, evaluate_job
    from benchhub.models import torch_runtime

    with Hub(datasets) as hub:
        hub.add_model("tiny", tiny_bert, kind="transformers")
    asked: list[str | None] = []
    real = torch_runtime.load_torch

    def recording(*args, device=None, **kwargs):
        asked.append(device)
        return real(*args, device=device, **kwargs)

    monkeypatch.setattr(torch_runtime, "load_torch", recording)
    placed = evaluate_job(MatrixPlan(datasets, device="cpu"), "tiny", "reviews-a")
    unplaced = evaluate_job(MatrixPlan(datasets, use_cache=False), "tiny", "reviews-a")
    assert (placed.status, unplaced.status) == ("evaluated", "evaluated")
    assert asked == ["cpu", None]  # None: the runtime takes CUDA where it sees a GPU
    with Hub(datasets) as hub:
        assert hub.evaluate(model="tiny", dataset="reviews-a", progress=False).provenance["model"]["device"] == "cpu"


def test_the_cli_shows_the_matrix_models_down_and_datasets_across(datasets):
    from benchhub.cli.app import app

    result = CliRunner().invoke(app, ["eval", "--model", "baseline:majority", "--model", "baseline:keyword",
                                      "--dataset", "reviews-a", "--dataset", "reviews-b", "--quiet"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    pivot = result.output[result.output.index("Primary metric by model and dataset"):]
    assert "reviews-a (macro_f1)" in pivot and "reviews-b (macro_f1)" in pivot
    majority = next(line for line in pivot.splitlines() if "baseline:majority" in line)
    assert majority.count("0.3333") == 2  # both balanced: F1 2/3 on one class, 0 on the other
