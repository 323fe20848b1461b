"""Removing a dataset or a model, with what depends on it.

    dataset ── evaluations, probe runs ── models fine-tuned on it (their lineage) ── models made from those
    model   ── evaluations, probe runs, speed runs ── models made from it (fine-tuned, optimized: `parent_id`)
    dataset ── benchmarks: never removed, so neither is their dataset

Removal is refused while anything depends on it, unless `cascade`. All rows go in one transaction, which
holds the rows removed against concurrent writers; files (split copies, fitted baselines, per-example
predictions, the hub's own model folders) are deleted only after the commit, so a failed commit leaves
everything as it was. A model folder another model still uses (a shared fine-tuned checkpoint) stays.
Built-in baselines stay available: only their stored results can be removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from benchhub.catalog.datasets import get_dataset_row
from benchhub.catalog.loading import fitted_folder
from benchhub.catalog.models import is_builtin, unknown_model
from benchhub.errors import ConflictError, InvalidInputError
from benchhub.results import Removal
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import immediate_transaction
from benchhub.store.tables import (
    BenchmarkRow,
    DatasetRow,
    EvaluationRow,
    ModelRow,
    ProbeRunRow,
    SpeedRunRow,
    SplitRow,
    SubmissionRow,
)

# Artifact folders whose entries belong to one model each: `models/NAME` (copied files, ONNX exports) and
# `checkpoints/NAME` (fine-tuned checkpoints, shared by registrations of the same recipe).
MODEL_FOLDERS = ("models", "checkpoints")


@dataclass
class _Rows:
    """The rows a removal takes: the model removed (if a model is), the models made from what is removed, their
    evaluations, probe and speed runs, and the files these rows leave behind."""

    model: ModelRow | None = None
    models: list[ModelRow] = field(default_factory=list)
    evaluations: list[int] = field(default_factory=list)
    probe_runs: list[int] = field(default_factory=list)
    speed_runs: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def all_models(self) -> list[ModelRow]:
        return [*([self.model] if self.model is not None else []), *self.models]

    def any(self) -> bool:
        return bool(self.models or self.evaluations or self.probe_runs or self.speed_runs)

    def removal(self, kind: str, name: str, *, files: int = 0, builtin: bool = False) -> Removal:
        return Removal(kind=kind, name=name, evaluations=len(self.evaluations), probe_runs=len(self.probe_runs),
                       speed_runs=len(self.speed_runs), models=[m.name for m in self.models], files=files, builtin=builtin)

    def described(self) -> str:
        return self.removal("", "").dependents()


def remove_dataset(session: Session, artifacts: ArtifactStore, name: str, *, cascade: bool = False) -> Removal:
    """Removes a dataset, its splits and files; with `cascade` also its evaluations, probe runs and the models
    fine-tuned on it (and those made from them). Refused while a benchmark uses it, even with `cascade`."""
    immediate_transaction(session)
    try:
        row = session.scalar(select(DatasetRow).where(DatasetRow.name == name).with_for_update())
        if row is None:
            get_dataset_row(session, name)  # raises, naming the registered datasets
        rows = _dependents(session, _with_descendants(session, _finetuned_on(session, row)), dataset_id=row.id)
        benchmarks = _benchmarks(session, row)
        if benchmarks:
            uses = f"{benchmarks}, and by {rows.described()}" if rows.any() else benchmarks
            raise ConflictError(
                f"Dataset {name!r} is used by {uses}; a dataset a hosted benchmark uses is never removed, not even with "
                f"--cascade, since the benchmark holds its participants' submissions (nothing was removed)."
            )
        if rows.any() and not cascade:
            raise ConflictError(_refusal("dataset", name, rows))
        rows.files += [row.folder, fitted_folder(row)]
        _delete(session, rows)
        session.execute(delete(SplitRow).where(SplitRow.dataset_id == row.id))
        session.execute(delete(DatasetRow).where(DatasetRow.id == row.id))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return rows.removal("dataset", name, files=_remove_files(session, artifacts, rows))


def remove_model(session: Session, artifacts: ArtifactStore, name: str, *, cascade: bool = False) -> Removal:
    """Removes a model and the files the hub keeps for it; with `cascade` also its evaluations, speed and probe
    runs and the models made from it. Of a built-in baseline only the stored results go (with `cascade`)."""
    immediate_transaction(session)
    try:
        row = session.scalar(select(ModelRow).where(ModelRow.name == name).with_for_update())
        builtin = is_builtin(name)
        if row is None and not builtin:
            raise unknown_model(session, name)
        rows = _Rows()
        if row is not None:
            rows = _dependents(session, [m for m in _with_descendants(session, [row]) if m.id != row.id], model=row)
        if builtin and not cascade:
            raise InvalidInputError(_builtin_refusal(name, rows))
        if rows.any() and not cascade:
            raise ConflictError(_refusal("model", name, rows))
        _delete(session, rows)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return rows.removal("model", name, files=_remove_files(session, artifacts, rows), builtin=builtin)


def shared_folders(session: Session, artifacts: ArtifactStore) -> set[str]:
    """The hub's model folders that registered models use (as `MODEL_FOLDERS` entries), which stay."""
    sources = session.scalars(select(ModelRow).where(ModelRow.kind != "baseline"))
    return {folder for folder in (model_folder_of(row, artifacts) for row in sources) if folder is not None}


def model_folder_of(row: ModelRow, artifacts: ArtifactStore) -> str | None:
    """The artifact folder that holds the files the hub made or copied for a model (`models/NAME`, a fine-tuned
    checkpoint), or None: a folder the user registered from is the user's."""
    if row.kind == "baseline":
        return None
    source = Path(row.source).expanduser()
    path = source if source.is_absolute() else artifacts.path(row.source)
    try:
        parts = path.resolve().relative_to(artifacts.root.resolve()).parts
    except (OSError, ValueError):
        return None
    return "/".join(parts[:2]) if len(parts) >= 2 and parts[0] in MODEL_FOLDERS else None


def _finetuned_on(session: Session, dataset: DatasetRow) -> list[ModelRow]:
    """The models whose lineage says they were fine-tuned on this version of the dataset."""
    found = []
    for row in session.scalars(select(ModelRow).where(ModelRow.kind == "transformers").order_by(ModelRow.id)):
        trained = ((row.options or {}).get("lineage") or {}).get("finetuned_from") or {}
        if (trained.get("dataset"), trained.get("dataset_fingerprint")) == (dataset.name, dataset.fingerprint):
            found.append(row)
    return found


def _with_descendants(session: Session, models: list[ModelRow]) -> list[ModelRow]:
    """`models` and every model made from them, at any depth (fine-tuned from or optimized from them)."""
    found = {row.id: row for row in models}
    frontier = list(found)
    while frontier:
        children = session.scalars(select(ModelRow).where(ModelRow.parent_id.in_(frontier)).with_for_update()).all()
        frontier = [child.id for child in children if child.id not in found]
        found.update((child.id, child) for child in children)
    return list(found.values())


def _dependents(session: Session, models: list[ModelRow], *, model: ModelRow | None = None,
                dataset_id: int | None = None) -> _Rows:
    """What goes with `model` and `models` (and the dataset): their evaluations, probe runs and speed runs."""
    rows = _Rows(model=model, models=list(models))
    ids = [row.id for row in rows.all_models()]
    evaluation = EvaluationRow.model_id.in_(ids)
    probe = ProbeRunRow.model_id.in_(ids)
    if dataset_id is not None:
        evaluation = evaluation | (EvaluationRow.dataset_id == dataset_id)
        probe = probe | (ProbeRunRow.dataset_id == dataset_id)
    for evaluation_id, path in session.execute(select(EvaluationRow.id, EvaluationRow.predictions_path).where(evaluation)):
        rows.evaluations.append(evaluation_id)
        rows.files.append(path)
    rows.probe_runs = list(session.scalars(select(ProbeRunRow.id).where(probe)))
    rows.speed_runs = list(session.scalars(select(SpeedRunRow.id).where(SpeedRunRow.model_id.in_(ids))))
    return rows


def _benchmarks(session: Session, dataset: DatasetRow) -> str:
    """The benchmarks over the dataset with their submission counts, in words ("" for none)."""
    counts = session.execute(
        select(BenchmarkRow.name, func.count(SubmissionRow.id)).outerjoin(SubmissionRow, SubmissionRow.benchmark_id == BenchmarkRow.id)
        .where(BenchmarkRow.dataset_id == dataset.id).group_by(BenchmarkRow.name).order_by(BenchmarkRow.name)
    ).all()
    named = [f"{name!r} ({count} submission{'' if count == 1 else 's'})" for name, count in counts]
    if not named:
        return ""
    return f"benchmark {named[0]}" if len(named) == 1 else f"benchmarks {', '.join(named[:-1])} and {named[-1]}"


def _refusal(kind: str, name: str, rows: _Rows) -> str:
    return (f"{kind.capitalize()} {name!r} is used by {rows.described()}; nothing was removed (pass --cascade to remove "
            f"the {kind} with what uses it).")


def _builtin_refusal(name: str, rows: _Rows) -> str:
    if not rows.any():
        return f"Model {name!r} is built in and cannot be removed; it has no stored results either."
    return (f"Model {name!r} is built in and cannot be removed; nothing was removed (pass --cascade to remove its "
            f"{rows.described()}; the baseline stays available).")


def _delete(session: Session, rows: _Rows) -> None:
    """Deletes the rows in the session's transaction; the caller commits."""
    ids = [row.id for row in rows.all_models()]
    session.execute(delete(EvaluationRow).where(EvaluationRow.id.in_(rows.evaluations)))
    session.execute(delete(ProbeRunRow).where(ProbeRunRow.id.in_(rows.probe_runs)))
    session.execute(delete(SpeedRunRow).where(SpeedRunRow.id.in_(rows.speed_runs)))
    # Models made from each other go together: unlinked first, the order of the deletes does not matter.
    session.execute(update(ModelRow).where(ModelRow.id.in_(ids)).values(parent_id=None))
    session.execute(delete(ModelRow).where(ModelRow.id.in_(ids)))


def _remove_files(session: Session, artifacts: ArtifactStore, rows: _Rows) -> int:
    """Deletes the files of a committed removal: `rows.files`, and each removed model's fitted baselines and hub
    folder unless a remaining model uses that folder. Returns how many files and folders were deleted."""
    models = rows.all_models()
    paths = list(rows.files)
    if models:
        datasets = session.scalars(select(DatasetRow)).all()
        paths += [fitted_folder(dataset, model) for model in models for dataset in datasets]
        kept = shared_folders(session, artifacts)
        paths += [folder for folder in (model_folder_of(model, artifacts) for model in models)
                  if folder is not None and folder not in kept]
    session.rollback()  # the reads above only looked
    removed = 0
    for path in dict.fromkeys(paths):
        if artifacts.path(path).exists():
            artifacts.remove(path)
            removed += 1
    return removed
