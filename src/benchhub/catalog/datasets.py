"""Registering datasets: read, validate, fingerprint, copy into the hub, record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benchhub.catalog.contamination import (
    TRAIN,
    corpus_checks,
    train_checks,
    with_checks,
)
from benchhub.data.contamination import DEFAULT_NGRAM
from benchhub.data.readers import Table
from benchhub.data.records import (
    ColumnMapping,
    DatasetFacts,
    Split,
    dataset_fingerprint,
)
from benchhub.data.splits import DEFAULT_SPLIT, effective_mapping
from benchhub.errors import (
    DatasetFormatError,
    DatasetNotFoundError,
    InvalidInputError,
    NameTakenError,
    SplitNotFoundError,
)
from benchhub.naming import check_name
from benchhub.results import DatasetInfo, SplitInfo
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import commit_or_undo
from benchhub.store.tables import DatasetRow, SplitRow
from benchhub.tasks.base import Task
from benchhub.tasks.registry import get_task


def add_dataset(session: Session, artifacts: ArtifactStore, name: str, *, task: str, source: str | None = None,
                split_sources: dict[str, str] | None = None, columns: dict[str, str | None] | None = None,
                settings: dict[str, Any] | None = None, revision: str | None = None, exist_ok: bool = False,
                owner_id: int | None = None, check: Callable[[DatasetRow], None] | None = None,
                recorded_source: dict[str, Any] | None = None) -> DatasetInfo:
    """Registers a dataset from one source or from one source per split; all or nothing.

    `columns` names source columns by role (the task family reads its own roles and defaults the rest);
    `settings` are the family's registration settings (e.g. a tag scheme). With `exist_ok`, a dataset of
    this name with the same fingerprint and options is returned as it is (so a script can run again); one
    with other content is refused. With a train split, every other split is checked for contamination against it
    (`catalog/contamination.py`) and the checks are stored on the row. `recorded_source` is what the row records as the dataset's source instead of
    the paths read (an upload records the files its user sent: it is read from temporary copies). `check(row)` runs in the transaction that inserts the row, once the hub's copy
    is written, and may refuse it (an upload's storage quota, under its owner's lock).
    """
    check_name(name, "Dataset")
    task_spec = get_task(task)
    mapping = task_spec.column_mapping(dict(columns or {}))
    existing = session.scalar(select(DatasetRow).where(DatasetRow.name == name))
    if existing is not None and not exist_ok:
        raise NameTakenError(f"A dataset named {name!r} already exists; choose another name.")
    tables, origin, described = _read_tables(task_spec, mapping, source, split_sources, revision)
    mapping = effective_mapping(tables, mapping)
    splits, labels = task_spec.build_splits(tables, mapping, origin=origin)
    options = task_spec.dataset_options(splits, dict(settings or {}))
    fingerprint = dataset_fingerprint(task, labels, splits)
    if existing is not None:
        return _same_dataset(existing, fingerprint, options)
    # A folder of this registration's own: one racing it under the same name never writes or removes it.
    folder = artifacts.claim_folder("datasets", name)
    try:
        with artifacts.new_folder(*folder) as staging:
            for split in splits.values():
                split.write_jsonl(staging / f"{split.name}.jsonl")
                split.write_columns(staging / f"{split.name}.columns.json")
    except BaseException:
        artifacts.remove("/".join(folder))
        raise
    row = DatasetRow(
        name=name, task=task, fingerprint=fingerprint, source=recorded_source or described, columns=mapping.to_dict(),
        labels=labels, options=options, folder="/".join(folder), owner_id=owner_id,
        contamination=train_checks(task_spec, splits),
    )
    row.splits = [
        SplitRow(
            name=s.name, num_rows=len(s), has_labels=s.has_labels, label_counts=task_spec.label_counts(s),
            fingerprint=s.fingerprint, path=f"{'/'.join(folder)}/{s.name}.jsonl",
        )
        for s in splits.values()
    ]
    try:
        commit_or_undo(session, row, undo=lambda: artifacts.remove("/".join(folder)),
                       check=(lambda: check(row)) if check else None)
    except IntegrityError as exc:  # registered under this name by another process since the check above
        winner = session.scalar(select(DatasetRow).where(DatasetRow.name == name))
        if winner is None:
            raise
        if exist_ok:
            return _same_dataset(winner, fingerprint, options)
        raise NameTakenError(f"A dataset named {name!r} was registered at the same time by another request; "
                             "choose another name, or use that one.") from exc
    return dataset_info(row)


def _same_dataset(row: DatasetRow, fingerprint: str, options: dict[str, Any]) -> DatasetInfo:
    """The record of `row` when it holds what was given again, else the error that says how they differ."""
    if row.fingerprint != fingerprint:
        differs = f"registered fingerprint {row.fingerprint[:12]}, given {fingerprint[:12]}"
    elif dict(row.options or {}) != options:
        stored = dict(row.options or {})
        differs = f"other settings: {', '.join(sorted(k for k in {*stored, *options} if stored.get(k) != options.get(k)))}"
    else:
        return dataset_info(row)
    raise NameTakenError(
        f"A dataset named {row.name!r} already exists with other content ({differs}); remove it first "
        f"(`benchhub dataset remove {row.name}`) or choose another name."
    )


def _read_tables(task: Task, mapping: ColumnMapping, source: str | None, split_sources: dict[str, str] | None,
                 revision: str | None) -> tuple[dict[str, Table], dict[str, str], dict[str, Any]]:
    if bool(source) == bool(split_sources):
        raise InvalidInputError("Give either one PATH or HUB_ID, or --split NAME=PATH once per split, not both.")
    if split_sources:
        tables = {}
        for split_name, path in split_sources.items():
            if not Path(path).expanduser().is_file():
                raise DatasetFormatError(f"--split {split_name}={path}: no such file; give a CSV, JSONL, JSON or Parquet file.")
            tables[split_name] = task.read_file(Path(path).expanduser(), mapping)
        origin = {split_name: str(Path(path).name) for split_name, path in split_sources.items()}
        described = {"splits": {k: str(Path(v).expanduser().resolve()) for k, v in split_sources.items()}}
        return tables, origin, described
    loaded = task.read_source(source, mapping, revision=revision)
    tables = loaded if isinstance(loaded, dict) else {DEFAULT_SPLIT: loaded}
    local = Path(source).expanduser()
    where = str(local.resolve()) if local.exists() else source
    described = {"path" if local.exists() else "hub_id": where}
    if revision:
        described["revision"] = revision
    origin = {split_name: f"{local.name if local.exists() else source} [{split_name}]" for split_name in tables}
    return tables, origin, described


def get_dataset_row(session: Session, name: str) -> DatasetRow:
    row = session.scalar(select(DatasetRow).where(DatasetRow.name == name))
    if row is None:
        names = session.scalars(select(DatasetRow.name).order_by(DatasetRow.name)).all()
        known = f"registered datasets: {', '.join(names)}" if names else "no datasets are registered yet"
        raise DatasetNotFoundError(f"No dataset named {name!r}; {known}. Add one with `benchhub dataset add`.")
    return row


def get_split_row(row: DatasetRow, split: str) -> SplitRow:
    split_row = next((s for s in row.splits if s.name == split), None)
    if split_row is None:
        raise SplitNotFoundError(
            f"Dataset {row.name!r} has no split {split!r}; its splits are {[s.name for s in row.splits]}."
        )
    return split_row


def load_split(artifacts: ArtifactStore, row: DatasetRow, split: str, *, read: dict[str, Split] | None = None) -> Split:
    """Reads a registered split back from the hub's copy, checked against its fingerprint; `read` holds splits
    already read (by name), used when their fingerprint is the stored split's (a dataset registered again since reads anew)."""
    split_row = get_split_row(row, split)
    known = (read or {}).get(split)
    if known is not None and known.fingerprint == split_row.fingerprint:
        return known
    path = artifacts.path(split_row.path)
    read_back = Split.read_jsonl(split, path)
    if read_back.fingerprint != split_row.fingerprint:
        # Evaluating edited rows under the registered fingerprint would cache results of other data under its key.
        raise InvalidInputError(
            f"The hub's copy of {row.name}/{split} ({path}) was changed on disk since the dataset was registered; "
            f"register the data again under a new name."
        )
    return read_back


def check_contamination(session: Session, artifacts: ArtifactStore, name: str, *, corpus: str | Path | None = None,
                        ngram: int = DEFAULT_NGRAM, splits: list[str] | None = None) -> list[dict[str, Any]]:
    """Checks `splits` (default: every split but train) against a corpus file, or without one against the train
    split, and stores the checks on the dataset in place of earlier ones of the same split and reference."""
    row = get_dataset_row(session, name)
    names = splits or [s.name for s in row.splits if s.name != TRAIN]
    for split in names:
        get_split_row(row, split)
    if corpus is None and not any(s.name == TRAIN for s in row.splits):
        raise InvalidInputError(f"Dataset {name!r} has no {TRAIN!r} split to check against; give --corpus FILE "
                                f"(a .txt or .jsonl file of documents) instead.")
    if not names or (corpus is None and TRAIN in names):
        raise InvalidInputError(f"Nothing to check in {name!r}: the {TRAIN!r} split is what the others are checked "
                                f"against; name another split with --split, or give --corpus FILE.")
    task = get_task(row.task)
    read = {split: load_split(artifacts, row, split) for split in names}
    if corpus is None:
        read[TRAIN] = load_split(artifacts, row, TRAIN)
        checks = train_checks(task, read, ngram=ngram, only=names)
    else:
        checks = corpus_checks(task, list(read.values()), Path(corpus), ngram=ngram)
    row.contamination = with_checks(row.contamination, checks)
    session.commit()
    return checks


def dataset_facts(dataset: DatasetRow) -> DatasetFacts:
    """What a task needs to know about a registered dataset beyond a split: its labels and options."""
    return DatasetFacts(labels=list(dataset.labels), options=dict(dataset.options or {}))


def list_datasets(session: Session) -> list[DatasetInfo]:
    return [dataset_info(row) for row in session.scalars(select(DatasetRow).order_by(DatasetRow.name))]


def dataset_info(row: DatasetRow) -> DatasetInfo:
    return DatasetInfo(
        name=row.name, task=row.task, fingerprint=row.fingerprint, labels=list(row.labels), options=dict(row.options or {}),
        columns=dict(row.columns), contamination=list(row.contamination or []),
        source=dict(row.source), created_at=row.created_at,
        splits=[SplitInfo(s.name, s.num_rows, dict(s.label_counts), s.fingerprint) for s in row.splits],
    )
