"""`Hub`: the Python API of one benchhub installation; the command line is a thin shell over it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from sqlalchemy.orm import Session, sessionmaker

from benchhub.accounts import users as accounts_service
from benchhub.catalog import datasets as dataset_service
from benchhub.catalog import models as model_service
from benchhub.config import HOME_VARIABLE, HubConfig
from benchhub.data.contamination import DEFAULT_NGRAM
from benchhub.errors import ConfigError, InvalidInputError
from benchhub.evaluation import evaluations as evaluation_service
from benchhub.evaluation import lookup as evaluation_lookup
from benchhub.ranking import leaderboard
from benchhub.results import (
    AuditEntry,
    Benchmark,
    BenchmarkPhase,
    Board,
    Comparison,
    DatasetInfo,
    Evaluation,
    EvaluationJob,
    FastestResult,
    FinetuneResult,
    Leaderboard,
    ModelRecord,
    OptimizeResult,
    ProbeReport,
    Removal,
    SpeedResult,
    Submission,
    TokenRecord,
    UserRecord,
)
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import open_database
from benchhub.tasks.registry import DEFAULT_TASK, get_task

if TYPE_CHECKING:
    from benchhub.competitions.benchmarks import PhaseSpec
    from benchhub.competitions.removal import BenchmarkRemoval
    from benchhub.engine.latency import BenchBudget
    from benchhub.executors.background import LoopGroup


class Hub:
    """A hub: a database of datasets, models and evaluations, plus an artifact folder.

    >>> hub = Hub.open()                      # $BENCHHUB_HOME, default ~/.benchhub
    >>> hub.add_dataset("reviews", "reviews.csv")
    >>> hub.evaluate(model="baseline:majority", dataset="reviews")
    """

    def __init__(self, config: HubConfig) -> None:
        self.config = config
        try:
            config.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file in the way, or no permission
            raise ConfigError(f"The hub folder {config.home} cannot be used ({exc.strerror or exc}); "
                              f"point --home or ${HOME_VARIABLE} at a folder you can write to.") from exc
        self.artifacts = ArtifactStore(config.artifacts)
        self._sessions: sessionmaker[Session] = open_database(config.database_url)

    @classmethod
    def open(cls, home: str | Path | None = None, *, database_url: str | None = None) -> Hub:
        """Opens (creating and migrating as needed) the hub at `home`, or where the environment says."""
        return cls(HubConfig.from_env(home, database_url))

    def close(self) -> None:
        self._sessions.kw["bind"].dispose()

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def session(self) -> Session:
        """A new database session; the caller closes it (the server opens one per request)."""
        return self._sessions()

    def add_dataset(self, name: str, source: str | Path | None = None, *, task: str = DEFAULT_TASK,
                    splits: dict[str, str | Path] | None = None, columns: dict[str, str | None] | None = None,
                    settings: dict[str, Any] | None = None, revision: str | None = None, exist_ok: bool = False,
                    **options: Any) -> DatasetInfo:
        """Registers a dataset from one file, folder or hub id, or from one file per split.

        The task family reads its own columns (unnamed ones take the family's defaults), named by role in
        `columns` or as `ROLE_column=` keywords: text classification text/label (and text_pair); question
        answering SQuAD-style question/context/answers columns, or SQuAD v1.1/v2.0 JSON; token
        classification CoNLL column files, or tokens/tags columns. Every family reads `id` and `split`.
        Other keywords, like `settings`, are the family's registration settings (token classification:
        `scheme`, by default detected). With `exist_ok`, registering the same content (fingerprint and settings)
        under a name again returns the registered dataset, so a script can run again; other content is refused.
        """
        columns = {**(columns or {}), **{key.removesuffix("_column"): value for key, value in options.items()
                                         if key.endswith("_column")}}
        settings = {**(settings or {}), **{key: value for key, value in options.items()
                                           if not key.endswith("_column") and value is not None}}
        with self._sessions() as session:
            return dataset_service.add_dataset(
                session, self.artifacts, name, task=task, source=str(source) if source is not None else None,
                split_sources={k: str(v) for k, v in splits.items()} if splits else None, columns=columns,
                settings=settings, revision=revision, exist_ok=exist_ok,
            )

    def remove_dataset(self, name: str, *, cascade: bool = False) -> Removal:
        """Removes a dataset and its files. Refused while evaluations, probe runs or models fine-tuned on it depend
        on it, unless `cascade` (which removes them too); refused whenever a hosted benchmark uses it."""
        from benchhub.catalog.removal import remove_dataset

        with self._sessions() as session:
            return remove_dataset(session, self.artifacts, name, cascade=cascade)

    def datasets(self) -> list[DatasetInfo]:
        with self._sessions() as session:
            return dataset_service.list_datasets(session)

    def dataset(self, name: str) -> DatasetInfo:
        with self._sessions() as session:
            return dataset_service.dataset_info(dataset_service.get_dataset_row(session, name))

    def check_contamination(self, name: str, *, corpus: str | Path | None = None, ngram: int = DEFAULT_NGRAM,
                            splits: list[str] | None = None) -> list[dict[str, Any]]:
        """Checks the dataset's splits (default: every one but train) for items that share an n-gram of `ngram` words
        with a corpus file (.txt of blank-line-separated documents, or .jsonl of {"text": ...}), or without `corpus`
        with the train split; the checks are stored and flag the dataset's boards where any item is flagged."""
        with self._sessions() as session:
            return dataset_service.check_contamination(session, self.artifacts, name, corpus=corpus, ngram=ngram,
                                                       splits=splits)

    def add_model(self, name: str, source: str | Path, *, kind: str | None = None, label_map: str | None = None,
                  na_probs: str | Path | None = None, revision: str | None = None, exist_ok: bool = False,
                  endpoint: dict[str, Any] | None = None) -> ModelRecord:
        """Registers a transformers checkpoint, a predictions file (with optional QA no-answer probabilities),
        a regex-rules baseline, or an OpenAI-compatible server (`source` its base URL up to /v1, `endpoint` the
        server's model name and how to reach it: {"model", "route", "api_key_env", "concurrency",
        "timeout_seconds"}). With `exist_ok`, registering the same content (kind, fingerprint, options) under a
        name again returns the registered model, so a script can run again; other content is refused."""
        with self._sessions() as session:
            return model_service.add_model(
                session, self.artifacts, name, str(source), kind=kind, label_map=label_map,
                na_probs=str(na_probs) if na_probs else None, revision=revision, exist_ok=exist_ok, endpoint=endpoint,
            )

    def remove_model(self, name: str, *, cascade: bool = False) -> Removal:
        """Removes a model and the files the hub keeps for it. Refused while evaluations, speed or probe runs or
        models made from it (fine-tuned, optimized) depend on it, unless `cascade` (which removes them too); a
        fine-tuned checkpoint another model uses stays. Of a built-in baseline, `cascade` removes the results only."""
        from benchhub.catalog.removal import remove_model

        with self._sessions() as session:
            return remove_model(session, self.artifacts, name, cascade=cascade)

    def models(self) -> list[ModelRecord]:
        with self._sessions() as session:
            return model_service.list_models(session)

    def model(self, name: str) -> ModelRecord:
        with self._sessions() as session:
            return model_service.model_record(model_service.get_model_row(session, name))

    def create_user(self, name: str, *, admin: bool = False, role: str = "member") -> UserRecord:
        """Creates a hub account: an admin manages everything; on the catalog a member registers and evaluates
        through the server, a reader reads. Roles on a hosted benchmark are its own."""
        with self._sessions() as session:
            return accounts_service.create_user(session, name, admin=admin, role=role)

    def set_user(self, name: str, *, role: str | None = None, evaluation_quota_hours: float | None = None,
                 storage_quota_gb: float | None = None) -> UserRecord:
        """Changes a user's catalog role (member, reader), evaluation-time quota (hours per 7 days) or storage quota
        (GB their uploaded models and datasets may take)."""
        with self._sessions() as session:
            return accounts_service.set_user(session, name, role=role, evaluation_quota_hours=evaluation_quota_hours,
                                             storage_quota_gb=storage_quota_gb)

    def request_evaluations(self, *, user: str, models: list[str], datasets: list[str], split: str = "test",
                            batch_size: int = 32, time_limit_seconds: int | None = None, memory_limit_mb: int | None = None,
                            **settings: Any) -> list[EvaluationJob]:
        """Queues an evaluation job per (model, dataset) for `user`, run by `benchhub worker` or the server's worker;
        pairs already evaluated are done at once. See `evaluation.jobs`."""
        from benchhub.evaluation import jobs

        with self._sessions() as session:
            return jobs.request_evaluations(session, self.artifacts, accounts_service.get_user(session, user), models=models,
                                            datasets=datasets, split=split, batch_size=batch_size, settings=settings,
                                            time_limit_seconds=time_limit_seconds, memory_limit_mb=memory_limit_mb)

    def jobs(self, *, user: str, everyone: bool = False, batch: str | None = None, state: str | None = None) -> list[EvaluationJob]:
        from benchhub.evaluation import jobs

        with self._sessions() as session:
            return jobs.list_jobs(session, accounts_service.get_user(session, user), everyone=everyone, batch=batch, state=state)

    def job(self, job_id: int, *, user: str) -> EvaluationJob:
        from benchhub.evaluation import jobs

        with self._sessions() as session:
            return jobs.job_record(session, jobs.get_job(session, accounts_service.get_user(session, user), job_id))

    def cancel_job(self, job_id: int, *, user: str) -> EvaluationJob:
        from benchhub.evaluation import jobs

        with self._sessions() as session:
            return jobs.cancel_job(session, accounts_service.get_user(session, user), job_id)

    def users(self) -> list[UserRecord]:
        with self._sessions() as session:
            return accounts_service.list_users(session)

    def create_token(self, user: str, *, label: str = "") -> tuple[TokenRecord, str]:
        """Creates an API token for `user`: its record and the token itself, which only this call returns."""
        with self._sessions() as session:
            return accounts_service.create_token(session, accounts_service.get_user(session, user), label)

    def tokens(self, user: str | None = None) -> list[TokenRecord]:
        """Every API token (of `user`, if given): prefixes, labels and dates, never the tokens."""
        with self._sessions() as session:
            owner = accounts_service.get_user(session, user) if user is not None else None
            return accounts_service.list_tokens(session, owner)

    def revoke_token(self, prefix: str) -> TokenRecord:
        """Revokes the API token with this prefix (or this whole token)."""
        with self._sessions() as session:
            return accounts_service.revoke_token(session, prefix)

    def evaluate(self, *, model: str, dataset: str, split: str = "test", batch_size: int = 32, max_length: int | None = None,
                 use_cache: bool = True, progress: bool = True, unsafe_no_sandbox: bool = False,
                 **settings: Any) -> Evaluation:
        """Evaluates `model` on a split; an identical earlier evaluation is returned from the cache.

        Transformers settings default per task: `max_length` (512 for classification, 384 for QA) and,
        for question answering, `doc_stride=128`, `n_best=20`, `max_answer_length=30`, `null_threshold=0.0`.
        `unsafe_no_sandbox` runs a code-running family's programs without isolation (logged, in the task config).
        """
        with self._sessions() as session:
            return evaluation_service.run_evaluation(
                session, self.artifacts, model=model, dataset=dataset, split=split, batch_size=batch_size,
                settings={"max_length": max_length, **settings}, use_cache=use_cache, show_progress=progress,
                unsafe_no_sandbox=unsafe_no_sandbox,
            )

    def score(self, *, dataset: str, predictions: str | Path, split: str = "test",
              na_probs: str | Path | None = None, unsafe_no_sandbox: bool = False, **settings: Any) -> dict[str, Any]:
        """Scores a predictions file (and, for QA, optional no-answer probabilities) without storing anything;
        `settings` are the family's scoring settings (code generation's `wall_seconds`, `memory_mb`)."""
        from benchhub.evaluation.predictions_files import score_predictions_file

        with self._sessions() as session:
            return score_predictions_file(
                session, self.artifacts, dataset=dataset, predictions=Path(predictions), split=split,
                na_probs=Path(na_probs) if na_probs else None, settings=settings, unsafe_no_sandbox=unsafe_no_sandbox,
            )

    def leaderboard(self, *, dataset: str, split: str = "test", metric: str | None = None, top: int | None = None,
                    baselines: bool = True, progress: bool = True, slice: str | None = None) -> Leaderboard:
        """Ranks every model evaluated on the split; built-in baselines are evaluated first if needed."""
        with self._sessions() as session:
            return leaderboard.build_leaderboard(
                session, self.artifacts, dataset=dataset, split=split, metric=metric, top=top,
                with_baselines=baselines, show_progress=progress, slice=slice,
            )

    def predictions(self, *, model: str, dataset: str, split: str = "test") -> list[dict[str, Any]]:
        """The per-example rows (id, gold, predicted, correct, scores) of the newest evaluation."""
        with self._sessions() as session:
            row = evaluation_service.find_evaluation(session, model=model, dataset=dataset, split=split)
            return self.artifacts.read_jsonl_gz(self.artifacts.path(row.predictions_path))

    def examples(self, *, model: str, dataset: str, split: str = "test", errors: bool = False, gold: str | None = None,
                 predicted: str | None = None, slice: str | None = None, sort: str = "split") -> list[dict[str, Any]]:
        """The per-example rows of the newest evaluation with their inputs (`inputs`) and `confidence`: only the
        wrong ones (`errors`), those with a gold or predicted label, those of a slice; in split order, or by
        confidence (`sort="confidence"`: the most confident first; `"-confidence"`: the least)."""
        from benchhub.inspection.examples import ExampleQuery, select_examples

        query = ExampleQuery(errors=errors, gold=gold, predicted=predicted, slice=slice, sort=sort)
        with self._sessions() as session:
            row = evaluation_service.find_evaluation(session, model=model, dataset=dataset, split=split)
            dataset_row = dataset_service.get_dataset_row(session, dataset)
            split_data = dataset_service.load_split(self.artifacts, dataset_row, split)
            rows = self.artifacts.read_jsonl_gz(self.artifacts.path(row.predictions_path))
            chosen, _ = select_examples(get_task(dataset_row.task), split_data, rows,
                                        dataset_service.dataset_facts(dataset_row), query)
            return chosen

    def compare(self, model_a: str, model_b: str, *, dataset: str, split: str = "test", slice: str | None = None,
                progress: bool = True) -> Comparison:
        """Two models on the same examples: metrics with the paired difference (CI, p-value), the contingency
        table of exactly right examples with McNemar's exact test, and the examples where they disagree."""
        from benchhub.inspection.comparison import compare_models

        with self._sessions() as session:
            return compare_models(session, self.artifacts, model_a=model_a, model_b=model_b, dataset=dataset,
                                  split=split, slice=slice, show_progress=progress)

    def predict(self, model: str, inputs: str | Path | None, *, dataset: str, output: str | Path, batch_size: int = 32,
                progress: bool = True, split: str = "test", **settings: Any) -> dict[str, Any]:
        """Runs `model` (for `dataset`'s family and labels) on a JSON-lines inputs file (as `benchmark inputs`
        writes it; None: the released inputs of `dataset`'s `split`) and writes a predictions file of that family
        to `output`, scoring nothing; returns a summary."""
        from benchhub.evaluation.predicting import predict_file

        with self._sessions() as session:
            return predict_file(session, self.artifacts, model=model, dataset=dataset,
                                inputs=Path(inputs) if inputs is not None else None, output=Path(output),
                                batch_size=batch_size, settings=settings, show_progress=progress, split=split)

    def write_predictions(self, *, model: str, dataset: str, output: str | Path, split: str = "test") -> dict[str, Any]:
        """Writes the newest evaluation of `model` on the split as the family's predictions file (code generation's
        generations: `benchhub execute` runs them again without generating); returns a summary."""
        from benchhub.evaluation.predicting import write_stored_predictions

        with self._sessions() as session:
            return write_stored_predictions(session, self.artifacts, model=model, dataset=dataset, split=split,
                                            output=Path(output))

    def finetune(self, base: str, *, dataset: str, split: str = "train", evaluate_on: str | None = "test",
                 name: str | None = None, epochs: float | None = None, learning_rate: float | None = None,
                 batch_size: int | None = None, seed: int | None = None, progress: bool = True,
                 echo: Any = None) -> FinetuneResult:
        """Fine-tunes `base` (a registered transformers model, a checkpoint folder or hub id, or the bundled
        "all-MiniLM-L6-v2") on `split` of `dataset` with its family's recipe, registers the result as `name`
        (default BASE-DATASET) with its lineage, and evaluates it on `evaluate_on` (None: not at all)."""
        from benchhub.evaluation.finetuning import finetune_model

        settings = {"epochs": epochs, "learning_rate": learning_rate, "batch_size": batch_size, "seed": seed}
        with self._sessions() as session:
            return finetune_model(session, self.artifacts, base=base, dataset=dataset, split=split, evaluate_on=evaluate_on,
                                  name=name, settings=settings, show_progress=progress, echo=echo or (lambda line: None))

    def optimize(self, model: str, *, quantize: str = "none", fuse: bool = True, name: str | None = None,
                 dataset: str | None = None, split: str = "test", tolerance: float = 1.0, force: bool = False,
                 batch_size: int = 32, progress: bool = True, echo: Any = None, **settings: Any) -> OptimizeResult:
        """Exports a transformers model to ONNX (fused; int8 with `quantize="dynamic-int8"`), gates its accuracy
        on `dataset`/`split` (default: where the model was last evaluated), registers it as `MODEL@onnx` or
        `MODEL@onnx-int8` (or `name`) with its lineage, and evaluates it.

        fp32 exports must match PyTorch's logits to 1e-4; int8 exports must keep the primary metric within
        `tolerance` points. A failing variant is not registered unless `force`. `settings` are evaluation
        settings as for `evaluate` (max_length; for QA doc_stride, max_answer_length, null_threshold).
        """
        from benchhub.evaluation.variants import optimize_model

        with self._sessions() as session:
            return optimize_model(
                session, self.artifacts, model=model, quantize=quantize, fuse=fuse, name=name, dataset=dataset,
                split=split, tolerance=tolerance, force=force, batch_size=batch_size, settings=settings,
                show_progress=progress, echo=echo or (lambda line: None),
            )

    def optimize_variants(self, model: str, *, variants: str = "auto", dataset: str | None = None, split: str = "test",
                          tolerance: float = 1.0, name_b1: str | None = None, name_b32: str | None = None,
                          batch_size: int = 32, budget: BenchBudget | None = None, seq_len: int | None = None,
                          profile: str = "b1,b32", recheck: bool = False,
                          progress: bool = True, echo: Any = None, **settings: Any) -> FastestResult:
        """Tries every variant this machine can run (`variants="auto"`, or names such as "onnx-int8,torch-bf16"),
        gates each on `dataset`/`split`, times them against PyTorch fp32 at batch 1 and batch 32, and registers the
        fastest gated variant of each workload as `MODEL@fast-b1` / `MODEL@fast-b32` (or the names given), with
        the machine it was chosen on and the measurements (stored as speed runs). See `evaluation.fastest`."""
        from benchhub.evaluation.fastest import optimize_fastest

        with self._sessions() as session:
            return optimize_fastest(
                session, self.artifacts, model=model, variants=variants, dataset=dataset, split=split, tolerance=tolerance,
                names={"b1": name_b1, "b32": name_b32}, batch_size=batch_size, settings=settings, budget=budget,
                seq_len=seq_len, profile=profile, recheck=recheck, show_progress=progress, echo=echo or (lambda line: None),
            )

    def probe(self, *, model: str, dataset: str, split: str = "test", suite: str = "default", seed: int = 0,
              batch_size: int = 32, use_cache: bool = True, progress: bool = True, max_length: int | None = None,
              **settings: Any) -> ProbeReport:
        """Runs a probe suite (`default`, or a YAML suite file) through the evaluation engine; stores and returns it.

        Text classification: invariance (typos, case, punctuation, contractions, names, filler), directional
        (appended clauses) and template tests; question answering: distractor sentences, moved answer
        sentences, removed answer sentences; both: calibration (ECE, reliability, risk-coverage). `settings` are
        evaluation settings, as `evaluate` takes them.
        """
        from benchhub.evaluation.probing import run_probes

        with self._sessions() as session:
            return run_probes(session, self.artifacts, model=model, dataset=dataset, split=split, suite=suite, seed=seed,
                              batch_size=batch_size, use_cache=use_cache, show_progress=progress,
                              settings={"max_length": max_length, **settings})

    def report_html(self, *, dataset: str, split: str = "test", path: str | Path, metric: str | None = None,
                    baselines: bool = True, progress: bool = True) -> Path:
        """Writes the split's leaderboard as one self-contained HTML page (table and accuracy-vs-latency plot)."""
        from benchhub.ranking.reports import write_report

        board = self.leaderboard(dataset=dataset, split=split, metric=metric, baselines=baselines, progress=progress)
        from benchhub.ranking.reports import probed_reliability

        with self._sessions() as session:
            reliability = probed_reliability(session, dataset, split, [row.model for row in board.rows])
            leader = next((row for row in board.rows if not row.baseline), board.rows[0] if board.rows else None)
            details = (evaluation_service.evaluation_record(evaluation_lookup.get_evaluation_row(session, leader.evaluation_id))
                       if leader is not None else None)
        return write_report(board, self.dataset(dataset), path, reliability, leader=details)

    def export_card(self, model: str, *, output: str | Path | None = None) -> str:
        """The model's results as Hugging Face `model-index` YAML; with `output`, also writes a README.md card there."""
        from benchhub.ranking.reports import export_card

        with self._sessions() as session:
            return export_card(session, model, output=output)

    def bench(self, models: Sequence[str], *, dataset: str | None = None, batch_sizes: Sequence[int] = (1, 8, 32),
              seq_lens: Sequence[int] = (32, 128), threads: int | None = None, budget: BenchBudget | None = None,
              progress: bool = True) -> list[SpeedResult]:
        """Measures latency (p50/p90/p99) and throughput of each model at each batch size and sequence length.

        Models run interleaved, round by round, on synthetic inputs of exactly `seq_len` tokens; each
        runs with the task and labels of `dataset`, else of its newest evaluation. Results are stored
        and feed the leaderboards' speed columns. `budget` sets warm-up and repetitions.
        """
        from benchhub.evaluation.speed import bench_models

        with self._sessions() as session:
            return bench_models(
                session, self.artifacts, models=list(models), dataset=dataset, batch_sizes=list(batch_sizes),
                seq_lens=list(seq_lens), threads=threads, budget=budget, show_progress=progress,
            )

    def remove_benchmark(self, name: str, *, user: str, release_labels: bool = False) -> BenchmarkRemoval:
        """Removes a benchmark with its phases, submissions (files, scores, jobs), members and audit log (admins).
        Refused while a submission is being scored, and while it hides labels no other benchmark hides unless
        `release_labels`; the dataset stays."""
        from benchhub.competitions.removal import remove_benchmark

        with self._sessions() as session:
            return remove_benchmark(session, self.artifacts, name, actor_id=self._user_id(session, user),
                                    release_labels=release_labels)

    def create_benchmark(self, name: str, *, dataset: str, phases: Sequence[PhaseSpec], user: str, title: str | None = None,
                         description: str = "", primary_metric: str | None = None,
                         settings: dict[str, Any] | None = None) -> Benchmark:
        """Hosts a benchmark over a registered dataset; `user` (an admin) becomes its first maintainer.

        `settings` override `benchmark_service.DEFAULT_SETTINGS` (limits per day and in total, the failed-scoring
        cap, how many final selections, the public share of hidden splits, the file size limit).
        """
        from benchhub.competitions import benchmarks as benchmark_service

        with self._sessions() as session:
            return benchmark_service.create_benchmark(
                session, self.artifacts, name, actor_id=self._user_id(session, user), dataset=dataset, phases=phases,
                title=title, description=description, primary_metric=primary_metric, settings=settings,
            )

    def benchmark(self, name: str) -> Benchmark:
        from benchhub.competitions import benchmarks as benchmark_service

        with self._sessions() as session:
            return benchmark_service.benchmark_record(benchmark_service.get_benchmark_row(session, name))

    def add_member(self, benchmark: str, member: str, *, user: str, role: str = "participant") -> None:
        """Gives `member` a role (`maintainer` or `participant`) in the benchmark, acting as `user`."""
        from benchhub.competitions import benchmarks as benchmark_service

        with self._sessions() as session:
            benchmark_service.add_member(session, benchmark, actor_id=self._user_id(session, user), user=member, role=role)

    def submit(self, benchmark: str, predictions: str | Path, *, user: str, phase: str | None = None,
               idempotency_key: str | None = None, method_name: str | None = None, method_description: str | None = None,
               method_url: str | None = None) -> Submission:
        """Submits a predictions file as `user` (to the open phase unless `phase` is given); it is scored by a worker.
        On a phase that takes models, `predictions` is a model archive (.zip or .tar.gz of a transformers safetensors
        or ONNX folder), which a worker runs on the phase's hidden split under the phase's limits.

        A repeated `idempotency_key` returns the first submission and charges nothing. The method (a name of up
        to 120 characters, a description of up to 2,000, an http(s) URL) is optional and shown on the board.
        """
        from benchhub.competitions import benchmarks as benchmark_service
        from benchhub.competitions import submissions as submission_service
        from benchhub.data.submission_files import check_size

        path = Path(predictions)
        with self._sessions() as session:
            # The most any phase takes; the phase then checks its own limit (a predictions file, or a model archive).
            check_size(path.name, path.stat().st_size, benchmark_service.upload_limit(benchmark_service.get_benchmark_row(session, benchmark)))
            return submission_service.submit(
                session, self.artifacts, benchmark, actor_id=self._user_id(session, user), content=path.read_bytes(),
                filename=path.name, phase=phase, idempotency_key=idempotency_key, method_name=method_name,
                method_description=method_description, method_url=method_url,
            ).submission

    def edit_submission(self, submission_id: int, *, user: str, benchmark: str | None = None, method_name: str | None = None,
                        method_description: str | None = None, method_url: str | None = None) -> Submission:
        """Sets, changes or clears a submission's method (None: unchanged; "": cleared), as its participant or a maintainer."""
        from benchhub.competitions import submissions as submission_service

        with self._sessions() as session:
            return submission_service.edit_method(session, submission_id, actor_id=self._user_id(session, user), benchmark=benchmark,
                                                  name=method_name, description=method_description, url=method_url)

    def submissions(self, benchmark: str, *, user: str, phase: str | None = None) -> list[Submission]:
        """`user`'s submissions, newest first (a maintainer sees everyone's)."""
        from benchhub.competitions import submissions as submission_service

        with self._sessions() as session:
            return submission_service.list_submissions(session, benchmark, actor_id=self._user_id(session, user), phase=phase)

    def select_final(self, benchmark: str, submission_ids: Sequence[int], *, user: str, phase: str | None = None) -> list[Submission]:
        """Picks `user`'s submissions for the private ranking (at most the benchmark's `final_selections`)."""
        from benchhub.competitions import submissions as submission_service

        with self._sessions() as session:
            return submission_service.select_final(session, benchmark, submission_ids, actor_id=self._user_id(session, user), phase=phase)

    def benchmark_board(self, benchmark: str, *, phase: str | None = None, kind: str = "public", user: str | None = None) -> Board:
        """The `public` ranking, or the `private` one once the phase is closed (maintainers: at any time)."""
        from benchhub.competitions.boards import benchmark_board

        with self._sessions() as session:
            viewer = self._user_id(session, user) if user is not None else None
            return benchmark_board(session, benchmark, phase=phase, kind=kind, viewer_id=viewer)

    def close_phase(self, benchmark: str, phase: str, *, user: str) -> BenchmarkPhase:
        from benchhub.competitions import benchmarks as benchmark_service

        with self._sessions() as session:
            return benchmark_service.close_phase(session, benchmark, phase, actor_id=self._user_id(session, user))

    def rescore(self, benchmark: str, *, user: str, phase: str | None = None) -> int:
        """Queues every submission for scoring again (after a metric fix); returns how many. Old scores are kept."""
        from benchhub.competitions import submissions as submission_service

        with self._sessions() as session:
            return submission_service.rescore(session, benchmark, actor_id=self._user_id(session, user), phase=phase)

    def hide_submission(self, submission_id: int, *, reason: str, user: str) -> Submission:
        return self._moderate(submission_id, "hide", reason, user)

    def disqualify_submission(self, submission_id: int, *, reason: str, user: str) -> Submission:
        return self._moderate(submission_id, "disqualify", reason, user)

    def _moderate(self, submission_id: int, action: str, reason: str, user: str) -> Submission:
        from benchhub.competitions import submissions as submission_service

        with self._sessions() as session:
            return submission_service.moderate(session, submission_id, actor_id=self._user_id(session, user), action=action, reason=reason)

    def audit_log(self, benchmark: str, *, user: str) -> list[AuditEntry]:
        from benchhub.competitions import benchmarks as benchmark_service

        with self._sessions() as session:
            return benchmark_service.audit_log(session, benchmark, actor_id=self._user_id(session, user))

    def run_worker(self, *, once: bool = False, poll_seconds: float = 1.0, lease_seconds: float = 60.0,
                   executor: str = "local", ray_address: str | None = None, cpus_per_job: float = 1.0,
                   max_retries: int = 3) -> int:
        """Scores queued submissions and runs queued evaluation jobs (with `once`, until none is left); returns how
        many jobs it handled.

        `executor="local"` scores and evaluates in this process (each evaluation job in a process of its own under its
        limits, `evaluation.job_process`); `"ray"` claims jobs here and runs each in a Ray task (a local Ray
        instance, or the cluster at `ray_address`), where an evaluation job runs the same way.
        """
        if executor not in ("local", "ray"):
            raise InvalidInputError(f"--executor {executor!r} is not supported; use local or ray.")
        if executor == "local" and ray_address is not None:
            raise InvalidInputError("--ray-address applies to --executor ray only; add --executor ray.")
        import threading
        from contextlib import nullcontext

        from benchhub.competitions.queue import run_worker, worker_name
        from benchhub.evaluation import job_process

        # Evaluation jobs are claimed in a thread of their own, so a long evaluation never holds up the scoring of
        # submissions.
        name, stop, handled = worker_name(), threading.Event(), [0]

        def evaluations(ray: Any) -> None:
            if ray is not None:
                from benchhub.evaluation.jobs_on_ray import run_ray_evaluations

                handled[0] = run_ray_evaluations(self.config, self._sessions, ray, worker=name, once=once,
                                                 poll_seconds=poll_seconds,
                                                 lease_seconds=lease_seconds, cpus_per_job=cpus_per_job,
                                                 max_retries=max_retries, stop=stop)
                return
            while not stop.is_set():
                if job_process.work_once(self.config, self._sessions, worker=name, lease_seconds=lease_seconds):
                    handled[0] += 1
                elif once:
                    return
                else:
                    stop.wait(poll_seconds)

        if executor == "ray":
            from benchhub.executors.ray_tasks import ray_session

            session = ray_session(self.config, ray_address)
        else:
            session = nullcontext(None)
        with session as ray:
            thread = threading.Thread(target=evaluations, args=(ray,), name="benchhub-evaluations", daemon=True)
            thread.start()
            try:
                if ray is not None:
                    from benchhub.competitions.queue_on_ray import run_ray_worker

                    scored = run_ray_worker(self.config, address=ray_address, once=once, poll_seconds=poll_seconds,
                                            lease_seconds=lease_seconds, cpus_per_job=cpus_per_job,
                                            max_retries=max_retries, stop=stop)
                else:
                    scored = run_worker(self._sessions, self.artifacts, worker=name, once=once, poll_seconds=poll_seconds,
                                        lease_seconds=lease_seconds, stop=stop)
                while thread.is_alive():
                    thread.join(0.5)
            finally:
                stop.set()
                thread.join(30)
        return scored + handled[0]

    def start_scoring_worker(self, *, poll_seconds: float = 5.0, lease_seconds: float = 60.0) -> LoopGroup:
        """Starts scoring queued submissions and running queued evaluation jobs, each in a thread of this process (the
        server's default); `wake()` them after a submission or a request."""
        from benchhub.competitions.queue import BackgroundWorker, worker_name
        from benchhub.evaluation import job_process
        from benchhub.executors.background import BackgroundLoop, LoopGroup

        name = worker_name()
        evaluations = BackgroundLoop(
            lambda: job_process.work_once(self.config, self._sessions, worker=name, lease_seconds=lease_seconds),
            poll_seconds=poll_seconds, name="benchhub-evaluations")
        scoring = BackgroundWorker(self._sessions, self.artifacts, poll_seconds=poll_seconds, lease_seconds=lease_seconds)
        return LoopGroup([scoring, evaluations]).start()

    @staticmethod
    def _user_id(session: Session, name: str) -> int:
        return accounts_service.get_user(session, name).id
