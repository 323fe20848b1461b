"""`Hub`: the Python API of one benchhub installation; the command line is a thin shell over it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from sqlalchemy.orm import Session, sessionmaker

from benchhub import dataset_service, evaluation_service, leaderboard, model_service
from benchhub.config import HubConfig
from benchhub.data.records import ColumnMapping
from benchhub.results import DatasetInfo, Evaluation, Leaderboard, ModelRecord, OptimizeResult, SpeedResult
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import open_database

if TYPE_CHECKING:
    from benchhub.engine.latency import BenchBudget


class Hub:
    """A hub: a database of datasets, models and evaluations, plus an artifact folder.

    >>> hub = Hub.open()                      # $BENCHHUB_HOME, default ~/.benchhub
    >>> hub.add_dataset("reviews", "reviews.csv", task="text-classification")
    >>> hub.evaluate(model="baseline:majority", dataset="reviews")
    """

    def __init__(self, config: HubConfig) -> None:
        self.config = config
        config.home.mkdir(parents=True, exist_ok=True)
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

    def add_dataset(self, name: str, source: str | Path | None = None, *, task: str = "text-classification",
                    splits: dict[str, str | Path] | None = None, text_column: str = "text",
                    label_column: str = "label", id_column: str | None = None, text_pair_column: str | None = None,
                    split_column: str | None = None, question_column: str = "question", context_column: str = "context",
                    answers_column: str = "answers", revision: str | None = None) -> DatasetInfo:
        """Registers a dataset from one file, folder or hub id, or from one file per split.

        Text classification reads text/label (and optional second text) columns; question answering
        reads SQuAD-style question/context/answers/id columns, or SQuAD v1.1/v2.0 JSON directly.
        """
        if task == "question-answering":
            mapping = ColumnMapping.question_answering(
                question=question_column, context=context_column, answers=answers_column, id=id_column,
                split=split_column,
            )
        else:
            mapping = ColumnMapping(text=text_column, label=label_column, id=id_column, text_pair=text_pair_column, split=split_column)
        with self._sessions() as session:
            return dataset_service.add_dataset(
                session, self.artifacts, name, task=task, source=str(source) if source is not None else None,
                split_sources={k: str(v) for k, v in splits.items()} if splits else None, mapping=mapping, revision=revision,
            )

    def datasets(self) -> list[DatasetInfo]:
        with self._sessions() as session:
            return dataset_service.list_datasets(session)

    def dataset(self, name: str) -> DatasetInfo:
        with self._sessions() as session:
            return dataset_service.dataset_info(dataset_service.get_dataset_row(session, name))

    def add_model(self, name: str, source: str | Path, *, kind: str | None = None, label_map: str | None = None,
                  na_probs: str | Path | None = None, revision: str | None = None) -> ModelRecord:
        """Registers a transformers checkpoint, a predictions file (with optional QA no-answer probabilities)
        or a regex-rules baseline."""
        with self._sessions() as session:
            return model_service.add_model(
                session, self.artifacts, name, str(source), kind=kind, label_map=label_map,
                na_probs=str(na_probs) if na_probs else None, revision=revision,
            )

    def models(self) -> list[ModelRecord]:
        with self._sessions() as session:
            return model_service.list_models(session)

    def model(self, name: str) -> ModelRecord:
        with self._sessions() as session:
            return model_service.model_record(model_service.get_model_row(session, name))

    def evaluate(self, *, model: str, dataset: str, split: str = "test", batch_size: int = 32, max_length: int | None = None,
                 use_cache: bool = True, progress: bool = True, **settings: Any) -> Evaluation:
        """Evaluates `model` on a split; an identical earlier evaluation is returned from the cache.

        Transformers settings default per task: `max_length` (512 for classification, 384 for QA) and,
        for question answering, `doc_stride=128`, `n_best=20`, `max_answer_length=30`, `null_threshold=0.0`.
        """
        with self._sessions() as session:
            return evaluation_service.run_evaluation(
                session, self.artifacts, model=model, dataset=dataset, split=split, batch_size=batch_size,
                settings={"max_length": max_length, **settings}, use_cache=use_cache, show_progress=progress,
            )

    def score(self, *, dataset: str, predictions: str | Path, split: str = "test",
              na_probs: str | Path | None = None) -> dict[str, Any]:
        """Scores a predictions file (and, for QA, optional no-answer probabilities) without storing anything."""
        from benchhub.scoring import score_predictions_file

        with self._sessions() as session:
            return score_predictions_file(
                session, self.artifacts, dataset=dataset, predictions=Path(predictions), split=split,
                na_probs=Path(na_probs) if na_probs else None,
            )

    def leaderboard(self, *, dataset: str, split: str = "test", metric: str | None = None, top: int | None = None,
                    baselines: bool = True, progress: bool = True) -> Leaderboard:
        """Ranks every model evaluated on the split; built-in baselines are evaluated first if needed."""
        with self._sessions() as session:
            return leaderboard.build_leaderboard(
                session, self.artifacts, dataset=dataset, split=split, metric=metric, top=top,
                with_baselines=baselines, show_progress=progress,
            )

    def predictions(self, *, model: str, dataset: str, split: str = "test") -> list[dict[str, Any]]:
        """The per-example rows (id, gold, predicted, correct, scores) of the newest evaluation."""
        with self._sessions() as session:
            row = evaluation_service.find_evaluation(session, model=model, dataset=dataset, split=split)
            return self.artifacts.read_jsonl_gz(self.artifacts.path(row.predictions_path))

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
        from benchhub.optimize_service import optimize_model

        with self._sessions() as session:
            return optimize_model(
                session, self.artifacts, model=model, quantize=quantize, fuse=fuse, name=name, dataset=dataset,
                split=split, tolerance=tolerance, force=force, batch_size=batch_size, settings=settings,
                show_progress=progress, echo=echo or (lambda line: None),
            )

    def report_html(self, *, dataset: str, split: str = "test", path: str | Path, metric: str | None = None,
                    baselines: bool = True, progress: bool = True) -> Path:
        """Writes the split's leaderboard as one self-contained HTML page (table and accuracy-vs-latency plot)."""
        from benchhub.report_service import write_report

        board = self.leaderboard(dataset=dataset, split=split, metric=metric, baselines=baselines, progress=progress)
        return write_report(board, self.dataset(dataset), path)

    def export_card(self, model: str, *, output: str | Path | None = None) -> str:
        """The model's results as Hugging Face `model-index` YAML; with `output`, also writes a README.md card there."""
        from benchhub.report_service import export_card

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
        from benchhub.speed_service import bench_models

        with self._sessions() as session:
            return bench_models(
                session, self.artifacts, models=list(models), dataset=dataset, batch_sizes=list(batch_sizes),
                seq_lens=list(seq_lens), threads=threads, budget=budget, show_progress=progress,
            )
