"""Scoring one submission against its phase's split, hidden labels included, on the server only.

The file is read by the same predictions adapters and scored by the same engine and task code as
`benchhub score`; a hidden split is scored twice, once on each half of `public_mask`. Only metrics
come out: no per-example rows, no details that would tell which examples are in which half. On a phase
that takes models, the file is the one the submitted model writes (`model_scoring`), with what the host measured.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

from sqlalchemy.orm import Session

from benchhub.catalog.datasets import get_split_row, load_split
from benchhub.competitions.benchmarks import MODELS, public_mask
from benchhub.competitions.model_scoring import run_submitted_model
from benchhub.competitions.model_submissions import model_runtime
from benchhub.data.records import DatasetFacts, Split
from benchhub.engine.evaluate import evaluate
from benchhub.evaluation.evaluations import dataset_facts, model_settings
from benchhub.models.base import Model
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.tables import DatasetRow, SubmissionRow
from benchhub.tasks.base import Task
from benchhub.tasks.registry import get_task


@dataclass(frozen=True)
class HalfScores:
    """Metrics on the public half (the whole split when its labels are public) and on the private half."""

    public: dict[str, Any]
    private: dict[str, Any] | None
    details: dict[str, Any]
    measurements: dict[str, Any] | None = None  # what the host measured of a submitted model


def score_submission(session: Session, artifacts: ArtifactStore, submission: SubmissionRow) -> HalfScores:
    """Scores a submission: its predictions file, or on a models phase the predictions its model makes there."""
    if submission.phase.takes == MODELS:
        return _score_model(session, artifacts, submission)
    return _score_file(session, artifacts, submission, artifacts.path(submission.file_path))


def _score_file(session: Session, artifacts: ArtifactStore, submission: SubmissionRow, path: Path,
                na_probs: Path | None = None) -> HalfScores:
    benchmark, phase = submission.benchmark, submission.phase
    dataset_row = benchmark.dataset
    split = load_split(artifacts, dataset_row, phase.split)
    task = get_task(dataset_row.task)
    # The benchmark's scoring settings (code execution's limits) hold for every submission, files and models alike.
    facts = replace(dataset_facts(dataset_row), settings=model_settings(
        task, "predictions", benchmark.settings.get("model_settings") or {}))
    replay = _Replay(_predictions_model(dataset_row, path, na_probs), split)
    details: dict[str, Any] = {"task": task.name, "task_version": task.version, "metric_versions": task.metric_versions}
    if phase.labels_public:
        return HalfScores(_metrics(replay, split, task, facts), None, {**details, "examples": {"public": len(split)}})
    mask = public_mask(benchmark.split_seed, split.ids, benchmark.settings["public_fraction"])
    public, private = _subset(split, mask), _subset(split, [not keep for keep in mask])
    return HalfScores(
        _metrics(replay, public, task, facts), _metrics(replay, private, task, facts),
        {**details, "examples": {"public": len(public), "private": len(private)}},
    )


def _score_model(session: Session, artifacts: ArtifactStore, submission: SubmissionRow) -> HalfScores:
    """Runs the submitted model on the whole split under the phase's limits, then scores its predictions as a file."""
    benchmark, phase, dataset_row = submission.benchmark, submission.phase, submission.benchmark.dataset
    split = load_split(artifacts, dataset_row, phase.split)  # the split file is the one registered (its fingerprint holds)
    mask = public_mask(benchmark.split_seed, split.ids, benchmark.settings["public_fraction"])
    task = get_task(dataset_row.task)
    model_folder = artifacts.path(submission.file_path)
    runtime = model_runtime(model_folder)
    request = dict(model_folder=model_folder, runtime=runtime, split_path=artifacts.path(get_split_row(dataset_row, phase.split).path),
                   split_name=phase.split, task=task.name, facts=dataset_facts(dataset_row),
                   settings=model_settings(task, "onnx" if runtime == "onnx" else "transformers",
                                           benchmark.settings.get("model_settings") or {}),
                   limits=dict(phase.limits), work=model_folder.parent, label=f"submission-{submission.id}",
                   public=[position for position, keep in enumerate(mask) if keep])
    session.commit()  # the model may run for minutes: no transaction stays open meanwhile
    run = run_submitted_model(**request)
    try:
        scores = _score_file(session, artifacts, submission, run.predictions, run.na_probs)
    finally:
        run.remove()
    return replace(scores, measurements=run.measurements)


def _predictions_model(dataset_row: DatasetRow, path: Path, na_probs: Path | None = None) -> Model:
    return get_task(dataset_row.task).predictions_model(path, dataset_facts(dataset_row), na_probs=na_probs)


def _metrics(model: Model, split: Split, task: Task, facts: DatasetFacts) -> dict[str, Any]:
    output = evaluate(model, split, task=task, facts=facts, batch_size=max(len(split), 1), show_progress=False)
    return output.metrics


def _subset(split: Split, keep: Sequence[bool]) -> Split:
    return split.subset([position for position, wanted in enumerate(keep) if wanted])


class _Replay:
    """A predictions adapter read once over the whole split, answering for any subset of its examples."""

    def __init__(self, model: Model, split: Split) -> None:
        self.model = model
        self.info = model.info
        self.labels = getattr(model, "labels", ())
        self._items = dict(zip((str(i) for i in split.ids), model.encode(split), strict=True))

    def encode(self, split: Split) -> list[Any]:
        return [self._items[str(example_id)] for example_id in split.ids]

    def length(self, item: Any) -> int:
        return self.model.length(item)

    def predict(self, items: Sequence[Any]) -> Any:
        return self.model.predict(items)
