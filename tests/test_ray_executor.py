"""Evaluation matrices and submission scoring on Ray (and the same faults on the local pool): correct
results, no duplicate rows when a worker is SIGKILLed mid-job, cached jobs not rerun, a job that keeps
dying reported after its retries. One local Ray instance of 2 CPUs serves the whole module."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from benchhub import Hub
from benchhub.competitions.queue import Claim, claim
from benchhub.competitions.queue_on_ray import run_ray_worker, score_in_task
from benchhub.config import HubConfig
from benchhub.errors import InvalidInputError
from benchhub.evaluation.evaluations import remove_orphan_predictions
from benchhub.evaluation.matrix import (
    MatrixPlan,
    MatrixResult,
    evaluate_job,
    run_matrix,
)
from benchhub.store.tables import EvaluationRow, ScoringJobRow
from tests.conftest import add_review_datasets
from tests.fixtures.benchmarks import BENCHMARK, make_benchmark, score_rows

pytestmark = [pytest.mark.ray, pytest.mark.usefixtures("local_ray")]

MODELS = ["baseline:majority", "baseline:keyword", "baseline:tfidf-logreg"]
DATASETS = ["reviews-a", "reviews-b"]


@pytest.fixture(scope="session")
def local_ray():
    try:
        import ray
    except ImportError:  # make install installs the extra; `-m 'not ray'` leaves these tests out
        pytest.fail("the ray tests need Ray: pip install 'benchhub[ray]'")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, object_store_memory=200 * 1024**2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture
def hub_config(database_url, tmp_path: Path) -> HubConfig:
    with Hub.open() as hub:
        add_review_datasets(hub, tmp_path)
        return hub.config


# Job functions the tests hand to the executors: evaluate_job's signature, importable by the workers.
# Each logs its attempts to a file in the hub's home, which every worker of this machine sees.

def _log_attempt(plan: MatrixPlan, model: str, dataset: str) -> int:
    log = plan.config.home / "attempts.log"
    with log.open("a") as handle:
        handle.write(f"{model}|{dataset}\n")
    return attempts(plan.config)[(model, dataset)]


def attempts(config: HubConfig) -> dict[tuple[str, str], int]:
    log = config.home / "attempts.log"
    counts: dict[tuple[str, str], int] = {}
    for line in (log.read_text().splitlines() if log.exists() else []):
        model, dataset = line.split("|")
        counts[(model, dataset)] = counts.get((model, dataset), 0) + 1
    return counts


def logged_job(plan: MatrixPlan, model: str, dataset: str, splits=None) -> MatrixResult:
    _log_attempt(plan, model, dataset)
    return evaluate_job(plan, model, dataset, splits)


def killed_once_job(plan: MatrixPlan, model: str, dataset: str, splits=None) -> MatrixResult:
    """keyword on reviews-a dies before evaluating, keyword on reviews-b after storing its row: each once."""
    attempt = _log_attempt(plan, model, dataset)
    if (model, attempt) == ("baseline:keyword", 1) and dataset == "reviews-a":
        os.kill(os.getpid(), signal.SIGKILL)
    result = evaluate_job(plan, model, dataset, splits)
    if (model, attempt) == ("baseline:keyword", 1) and dataset == "reviews-b":
        os.kill(os.getpid(), signal.SIGKILL)
    return result


def always_killed_job(plan: MatrixPlan, model: str, dataset: str, splits=None) -> MatrixResult:
    _log_attempt(plan, model, dataset)
    if (model, dataset) == ("baseline:majority", "reviews-a"):
        os.kill(os.getpid(), signal.SIGKILL)
    return evaluate_job(plan, model, dataset, splits)


def device_job(plan: MatrixPlan, model: str, dataset: str, splits=None) -> MatrixResult:
    (plan.config.home / f"device-{model}-{dataset}").write_text(str(plan.device))
    return evaluate_job(plan, model, dataset, splits)


def raising_job(plan: MatrixPlan, model: str, dataset: str, splits=None) -> MatrixResult:
    _log_attempt(plan, model, dataset)
    if (model, dataset) == ("baseline:keyword", "reviews-b"):
        raise RuntimeError("a bug in this job")
    return evaluate_job(plan, model, dataset, splits)


def stored(config: HubConfig, *, after_kills: bool = False) -> tuple[int, int, int]:
    """(evaluation rows, distinct evaluation keys, prediction files) in the hub.

    A process killed between writing its predictions and committing them (the one SIGKILLed, or, on the
    local pool, a sibling the broken pool terminated) leaves a file no row names: `after_kills` first
    removes those, as a matrix run does once they are 10 minutes old.
    """
    with Hub(config) as hub, hub.session() as session:
        if after_kills:
            remove_orphan_predictions(session, hub.artifacts, older_than_seconds=-1)
        rows = session.scalar(select(func.count()).select_from(EvaluationRow))
        keys = session.scalar(select(func.count(func.distinct(EvaluationRow.cache_key))))
        named = set(session.scalars(select(EvaluationRow.predictions_path)))
    files = {str(p.relative_to(config.artifacts)) for p in (config.artifacts / "evaluations").iterdir()}
    assert named <= files, "a stored evaluation lost its predictions file"
    return rows, keys, len(files)


def test_a_three_by_two_matrix_on_ray_equals_one_by_one_evaluation(hub_config):
    results = run_matrix(hub_config, models=MODELS, datasets=DATASETS, executor="ray", show_progress=False)
    assert [(r.model, r.dataset, r.status) for r in results] == [(m, d, "evaluated") for m in MODELS for d in DATASETS]
    by_job = {(r.model, r.dataset): r for r in results}
    # Two balanced classes: always answering one scores F1 2/3 on it and 0 on the other.
    assert by_job[("baseline:majority", "reviews-a")].value == pytest.approx(1 / 3, abs=1e-12)
    with Hub(hub_config) as hub:
        for result in results:
            again = hub.evaluate(model=result.model, dataset=result.dataset, use_cache=False, progress=False)
            assert again.metrics["macro_f1"]["value"] == result.value, result
    assert stored(hub_config) == (6, 6, 6)


def test_the_local_pool_and_ray_store_the_same_results(hub_config):
    local = run_matrix(hub_config, models=MODELS, datasets=DATASETS, executor="local", max_parallel=2, show_progress=False)
    on_ray = run_matrix(hub_config, models=MODELS, datasets=DATASETS, executor="ray", use_cache=False, show_progress=False)
    assert [(r.status, r.value) for r in on_ray] == [("evaluated", r.value) for r in local]
    assert {r.evaluation_id for r in on_ray}.isdisjoint({r.evaluation_id for r in local})  # rerun, replacing the rows
    assert stored(hub_config) == (6, 6, 6)


def test_cached_jobs_are_not_sent_to_ray_again(hub_config):
    first = run_matrix(hub_config, models=MODELS, datasets=DATASETS, executor="ray", show_progress=False,
                       job_function=logged_job)
    assert sum(attempts(hub_config).values()) == 6
    (hub_config.home / "attempts.log").unlink()
    again = run_matrix(hub_config, models=MODELS, datasets=DATASETS, executor="ray", show_progress=False,
                       job_function=logged_job)
    assert attempts(hub_config) == {}
    assert [(r.status, r.evaluation_id) for r in again] == [("cached", r.evaluation_id) for r in first]


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_a_worker_killed_mid_job_is_retried_and_nothing_is_stored_twice(hub_config, executor):
    results = run_matrix(hub_config, models=MODELS, datasets=DATASETS, executor=executor, max_parallel=2,
                         use_cache=False, show_progress=False, job_function=killed_once_job)
    assert [r.status for r in results] == ["evaluated"] * 6, [r.error for r in results]
    tried = attempts(hub_config)
    assert tried[("baseline:keyword", "reviews-a")] == tried[("baseline:keyword", "reviews-b")] == 2
    # The killed attempt on reviews-b had stored its row; the retry replaced it: one row, one file per key.
    assert stored(hub_config, after_kills=True) == (6, 6, 6)
    by_job = {(r.model, r.dataset): r for r in results}
    with Hub(hub_config) as hub:
        assert hub.evaluate(model="baseline:keyword", dataset="reviews-b", progress=False).id == \
            by_job[("baseline:keyword", "reviews-b")].evaluation_id


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_a_job_that_keeps_dying_is_reported_after_its_retries(hub_config, executor):
    results = run_matrix(hub_config, models=MODELS, datasets=DATASETS, executor=executor, max_parallel=2, max_retries=1,
                         show_progress=False, job_function=always_killed_job)
    by_job = {(r.model, r.dataset): r for r in results}
    doomed = by_job.pop(("baseline:majority", "reviews-a"))
    assert doomed.status == "failed"
    assert doomed.error.endswith("died on each of 2 attempts (killed by a signal or out of memory); not retried again")
    assert attempts(hub_config)[("baseline:majority", "reviews-a")] == 2
    assert {r.status for r in by_job.values()} == {"evaluated"}
    assert stored(hub_config, after_kills=True) == (5, 5, 5)


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_a_job_that_raises_is_reported_at_once_not_retried(hub_config, executor):
    results = run_matrix(hub_config, models=MODELS, datasets=DATASETS, executor=executor, max_parallel=2,
                         show_progress=False, job_function=raising_job)
    failed = [r for r in results if r.status == "failed"]
    assert [(r.model, r.dataset, r.error) for r in failed] == [("baseline:keyword", "reviews-b", "RuntimeError: a bug in this job")]
    assert attempts(hub_config)[("baseline:keyword", "reviews-b")] == 1
    assert stored(hub_config) == (5, 5, 5)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_ray_jobs_that_ask_for_no_gpu_run_on_the_cpu(hub_config):
    run_matrix(hub_config, models=["baseline:keyword"], datasets=DATASETS, executor="ray", show_progress=False,
               job_function=device_job)
    assert [(hub_config.home / f"device-baseline:keyword-{d}").read_text() for d in DATASETS] == ["cpu", "cpu"]
    run_matrix(hub_config, models=["baseline:keyword"], datasets=DATASETS, executor="local", use_cache=False,
               show_progress=False, job_function=device_job)  # the local pool leaves the choice to the model
    assert [(hub_config.home / f"device-baseline:keyword-{d}").read_text() for d in DATASETS] == ["None", "None"]


def test_a_cluster_of_several_nodes_refuses_a_sqlite_hub():
    from benchhub.executors.ray_tasks import check_shared_store

    class TwoNodes:
        @staticmethod
        def nodes():
            return [{"Alive": True}, {"Alive": True}, {"Alive": False}]

    sqlite = HubConfig(Path("/srv/hub"), "sqlite:////srv/hub/hub.db")
    with pytest.raises(InvalidInputError, match=r"^This Ray cluster has 2 nodes, but the hub's database is a SQLite file"):
        check_shared_store(sqlite, TwoNodes)
    check_shared_store(HubConfig(Path("/srv/hub"), "postgresql+psycopg://hub@db/hub"), TwoNodes)  # no error


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_cli_starts_a_local_ray_instance_on_demand_or_joins_a_running_one(hub_config, local_ray):
    """From a process of its own: without --ray-address, `benchhub eval --executor ray` starts a Ray instance
    for the run (beside this test process's); with --ray-address auto it joins the one this process runs."""
    env = {**os.environ, "BENCHHUB_HOME": str(hub_config.home), "BENCHHUB_DATABASE_URL": hub_config.database_url}
    env.pop("RAY_ADDRESS", None)
    command = [sys.executable, "-m", "benchhub", "eval", "--executor", "ray", "--model", "baseline:keyword",
               "--dataset", "reviews-a", "--dataset", "reviews-b", "--json", "--no-cache"]
    ours = local_ray.get_runtime_context().gcs_address
    for extra, announced in (([], "Started a local Ray instance at "), (["--ray-address", "auto"], f"Joined the Ray cluster at {ours} ")):
        done = subprocess.run([*command, *extra], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert [(row["dataset"], row["status"]) for row in json.loads(done.stdout)] == [
            ("reviews-a", "evaluated"), ("reviews-b", "evaluated")]
        line = next(line for line in done.stderr.splitlines() if "Ray" in line)
        assert line.startswith(announced) and (ours in line) == bool(extra), line


# Scoring benchmark submissions on Ray.

def killed_after_scoring_once(config: HubConfig, job: Claim) -> None:
    """Scores (and writes the score), then dies on its first attempt: Ray's retry must write nothing more."""
    marker = config.home / f"scored-{job.job_id}"
    score_in_task(config, job)
    if not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("task", [None, killed_after_scoring_once], ids=["plain", "killed-after-scoring"])
def test_the_ray_scoring_worker_scores_each_submission_once(open_hub, tmp_path, task):
    setup = make_benchmark(open_hub(), tmp_path / "files", settings={"max_per_day": 10})
    hub = setup.hub
    submitted = [hub.submit(BENCHMARK, setup.predictions(f"p{i}.jsonl", wrong={setup.test_rows[i]["id"]}), user="alice", phase="test")
                 for i in range(3)]
    handled = run_ray_worker(hub.config, once=True, poll_seconds=0.2, task_function=task)
    assert handled == 3
    for submission in submitted:
        assert score_rows(hub, submission.id) == [(1, True)]
    with hub.session() as session:
        assert session.execute(select(ScoringJobRow.state, ScoringJobRow.attempts)).all() == [("done", 1)] * 3
    assert {s.status for s in hub.submissions(BENCHMARK, user="alice")} == {"scored"}
    if task is not None:
        assert len(list(hub.config.home.glob("scored-*"))) == 3


def test_benchhub_worker_executor_ray_from_the_command_line(open_hub, tmp_path):
    from typer.testing import CliRunner

    from benchhub.cli.app import app

    setup = make_benchmark(open_hub(), tmp_path / "files")
    submitted = setup.hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")
    runner = CliRunner()
    refused = runner.invoke(app, ["worker", "--once", "--executor", "dask"])
    assert isinstance(refused.exception, InvalidInputError)
    assert str(refused.exception) == "--executor 'dask' is not supported; use local or ray."
    alone = runner.invoke(app, ["worker", "--once", "--ray-address", "auto"])
    assert str(alone.exception) == "--ray-address applies to --executor ray only; add --executor ray."
    done = runner.invoke(app, ["worker", "--once", "--executor", "ray", "--poll-seconds", "0.2"])
    assert done.exit_code == 0, done.output
    assert "Handled 1 job(s)." in done.output
    assert score_rows(setup.hub, submitted.id) == [(1, True)]


def slow_scoring(config: HubConfig, job: Claim) -> None:
    time.sleep(5)
    score_in_task(config, job)


def test_the_ray_dispatcher_renews_the_leases_of_the_jobs_it_holds(open_hub, tmp_path):
    setup = make_benchmark(open_hub(), tmp_path / "files")
    hub = setup.hub
    submitted = hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")
    handled: list[int] = []
    dispatcher = threading.Thread(target=lambda: handled.append(run_ray_worker(
        hub.config, once=True, poll_seconds=0.2, lease_seconds=1.5, task_function=slow_scoring)))
    dispatcher.start()
    refused = 0
    while dispatcher.is_alive():
        with hub.session() as session:
            running = session.scalar(select(ScoringJobRow.state)) == "running"
            if running:
                assert claim(session, "impatient", lease_seconds=5) is None, "taken over while still scored on Ray"
                refused += 1
        time.sleep(0.5)
    dispatcher.join()
    assert handled == [1] and refused >= 6
    with hub.session() as session:
        assert session.execute(select(ScoringJobRow.state, ScoringJobRow.attempts)).one() == ("done", 1)
    assert score_rows(setup.hub, submitted.id) == [(1, True)]


def test_an_address_nothing_answers_at_fails_at_once_in_one_line(hub_config):
    import socket as sockets

    from benchhub.executors.ray_tasks import check_reachable

    with sockets.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(InvalidInputError, match=rf"^Nothing answers at 127.0.0.1:{port} \(Connection refused\); start the"):
        check_reachable(f"127.0.0.1:{port}")
    with pytest.raises(InvalidInputError, match=r"^--ray-address 'headnode' is not 'auto', HOST:PORT or ray://HOST:PORT"):
        check_reachable("headnode")
    check_reachable("auto")  # left to Ray
    env = {**os.environ, "BENCHHUB_HOME": str(hub_config.home), "BENCHHUB_DATABASE_URL": hub_config.database_url}
    done = subprocess.run([sys.executable, "-m", "benchhub", "eval", "--executor", "ray", "--ray-address", f"ray://127.0.0.1:{port}",
                           "--model", "baseline:majority", "--dataset", "reviews-a", "--quiet"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.startswith(f"error: Nothing answers at 127.0.0.1:{port}")
    assert done.stderr.count("\n") == 1


def test_evaluation_jobs_run_in_ray_tasks_each_in_a_limited_process_with_scoring_beside_them(hub_config, tmp_path):
    from benchhub.evaluation.jobs_on_ray import run_ray_evaluations
    from benchhub.store.tables import EvaluationJobRow

    with Hub(hub_config) as hub:
        setup = make_benchmark(hub, tmp_path / "files")
        made = hub.request_evaluations(user="alice", models=["baseline:majority", "baseline:keyword"],
                                       datasets=["reviews-a", "reviews-b"])
        submitted = hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test").id
        assert [job.state for job in made] == ["queued"] * 4
        # One worker: the submission scored in a Ray task, the four evaluation jobs dispatched to Ray tasks.
        assert hub.run_worker(once=True, executor="ray") == 5
        done = [hub.job(job.id, user="alice") for job in made]
        assert [(job.state, job.attempts, job.examples_done) for job in done] == [("done", 1, 30)] * 4
        assert all(job.peak_memory_mb > 1 for job in done)
        for job in done:
            assert hub.evaluate(model=job.model, dataset=job.dataset, progress=False).id == job.evaluation_id
        assert score_rows(hub, submitted) == [(1, True)]
        # A job whose task cannot open the hub (no artifact folder on its node) goes back to the queue, while it
        # has attempts left.
        (again,) = hub.request_evaluations(user="alice", models=["baseline:tfidf-logreg"], datasets=["reviews-a"])
        import ray

        elsewhere = HubConfig(home=tmp_path / "nowhere", database_url=hub_config.database_url)
        assert run_ray_evaluations(elsewhere, hub._sessions, ray, worker="w", once=True, lease_seconds=5) == 3
        with hub.session() as session:
            row = session.get(EvaluationJobRow, again.id)
            assert (row.state, row.attempts, row.error) == ("failed", 3, "its Ray task failed (RayTaskError(ConfigError))")


@pytest.fixture(scope="module")
def language_models(tmp_path_factory) -> dict[str, Path]:
    from tests.fixtures.tiny_lm import build_tiny_causal_lm, build_tiny_seq2seq_lm

    corpus = [json.loads(line)[key] for name, key in (("summarization_sample", "document"), ("translation_sample", "source"))
              for line in (SAMPLES / name / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    root = tmp_path_factory.mktemp("matrix-lms")
    return {"gpt": build_tiny_causal_lm(root / "gpt", corpus, init_std=0.2),
            "bart": build_tiny_seq2seq_lm(root / "bart", corpus, init_std=0.2)}


SAMPLES = Path(__file__).resolve().parents[1] / "src" / "benchhub" / "resources"


def test_a_matrix_of_language_models_on_generation_tasks_is_the_same_on_the_local_pool_ray_and_one_by_one(
        language_models):
    with Hub.open() as hub:  # on SQLite: what this adds to the matrices above is the task, not the database
        hub_config = hub.config
        for name, task in (("news", "summarization"), ("pairs", "translation")):
            folder = SAMPLES / f"{task}_sample"
            hub.add_dataset(name, splits={"train": folder / "train.jsonl", "test": folder / "test.jsonl"}, task=task,
                            id_column="id")
        for name, folder in language_models.items():
            hub.add_model(name, folder)
    models, datasets, settings = ["gpt", "bart"], ["news", "pairs"], {"max_new_tokens": 6}
    local = run_matrix(hub_config, models=models, datasets=datasets, executor="local", max_parallel=2, settings=settings,
                       show_progress=False)
    assert [(r.model, r.dataset, r.status, r.metric) for r in local] == [
        (m, d, "evaluated", "rouge2" if d == "news" else "bleu") for m in models for d in datasets]
    on_ray = run_matrix(hub_config, models=models, datasets=datasets, executor="ray", use_cache=False, settings=settings,
                        show_progress=False)
    assert [(r.status, r.value) for r in on_ray] == [("evaluated", r.value) for r in local]
    with Hub(hub_config) as hub:
        for result in on_ray:
            again = hub.evaluate(model=result.model, dataset=result.dataset, use_cache=False, progress=False, **settings)
            assert again.metrics[result.metric]["value"] == result.value, result
            assert again.task_config["max_new_tokens"] == 6
    cached = run_matrix(hub_config, models=models, datasets=datasets, executor="ray", settings=settings, show_progress=False)
    assert {r.status for r in cached} == {"cached"}


def test_a_matrix_with_code_generation_executes_programs_on_ray_as_on_the_local_pool(tmp_path):
    from tests.fixtures.code_problems import write_generations

    folder = SAMPLES / "code_generation_sample"
    problems = [json.loads(line) for line in (folder / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    right = {row["task_id"] for row in problems[::3]}  # every third problem solved, the rest answered with None
    generations = write_generations(tmp_path / "generations.jsonl", {
        row["task_id"]: [row["canonical_solution"] if row["task_id"] in right else "    return None\n"]
        for row in problems})
    with Hub.open() as hub:  # on SQLite, as the matrix of language models above
        hub_config = hub.config
        hub.add_dataset("code", splits={"train": folder / "train.jsonl", "test": folder / "test.jsonl"},
                        task="code-generation")
        hub.add_model("generations", generations)
    models = ["generations", "baseline:retrieval"]
    local = run_matrix(hub_config, models=models, datasets=["code"], executor="local", max_parallel=2, show_progress=False)
    # The data card's six train relatives for retrieval; the file's solved share for the generations.
    assert [(r.model, r.status, r.metric, r.value) for r in local] == [
        ("generations", "evaluated", "pass@1", pytest.approx(len(right) / len(problems), abs=1e-12)),
        ("baseline:retrieval", "evaluated", "pass@1", pytest.approx(6 / len(problems), abs=1e-12))]
    on_ray = run_matrix(hub_config, models=models, datasets=["code"], executor="ray", use_cache=False, show_progress=False)
    assert [(r.status, r.value) for r in on_ray] == [("evaluated", r.value) for r in local]
    with Hub(hub_config) as hub:
        rows = {row["id"]: row for row in hub.predictions(model="generations", dataset="code")}
    assert {i for i, row in rows.items() if row["samples"][0]["status"] == "passed"} == right  # ran in Ray's workers
