"""Registering a model or a dataset from uploaded files, all or nothing.

An upload is one file or one archive (.zip, .tar, .tar.gz, told apart by content). `data.archives`
extracts archives, refusing links, escapes and bombs; what comes out then goes through exactly the
checks of `model add` and `dataset add` (`add_model`, `add_dataset`), so an uploaded checkpoint is
vetted like a local folder: safetensors only, no custom code, ONNX external data inside its folder.

    model archive   extracted to models/_upload-NAME-RANDOM, where the model's row points (relative to the
                    artifact store, so the hub's home can move): the hub keeps it, and `model remove`
                    deletes it with the model (`catalog.removal`)
    model file      a predictions or rules file, which add_model copies into models/NAME
    dataset         add_dataset copies the splits' rows into datasets/NAME, so an extracted archive
                    (uploads/datasets/NAME-RANDOM) is removed afterwards, whatever happened

A refused upload leaves no row and no files. The uploaded files themselves stay the caller's.

A model registered by its hub id through the server (`add_model_from_hub`) is stored as the snapshot
`model add` fetches into the model hub's cache, which its quota counts.

Through the server an upload has an `owner`: a member or an admin (`accounts.users.may_write_catalog`), whose
uploaded models and datasets may take at most their storage quota. It is checked early, on the upload and on what
it extracts to, and last, on the files the new row would count, in the transaction that inserts it, under the
owner's lock (`accounts.users.lock_user`): two uploads of one user at once cannot both take the last room.
Staging and the checks of `model add` / `dataset add` run outside the lock.
"""

from __future__ import annotations

import dataclasses
import secrets
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchhub.accounts.users import lock_user, may_write_catalog, storage_quota_bytes
from benchhub.catalog.datasets import add_dataset
from benchhub.catalog.models import add_model, model_folder
from benchhub.data.archives import ArchiveLimits, archive_format, extract_archive
from benchhub.errors import InvalidInputError, LimitExceededError, PermissionDeniedError
from benchhub.models.base import NETWORK_KINDS
from benchhub.models.checkpoints import file_sha256, folder_size
from benchhub.naming import check_name
from benchhub.results import DatasetInfo, ModelRecord
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.tables import DatasetRow, ModelRow, UserRow
from benchhub.units import human_bytes

MODEL_UPLOADS = "models"
# No model name starts with "_", so an upload's folder is never another model's models/NAME.
UPLOAD_PREFIX = "_upload-"
DATASET_UPLOADS = "uploads/datasets"


def add_model_from_upload(session: Session, artifacts: ArtifactStore, name: str, upload: Path, *,
                          kind: str | None = None, label_map: str | None = None, na_probs: Path | None = None,
                          exist_ok: bool = False, limits: ArchiveLimits | None = None,
                          owner: UserRow | None = None) -> ModelRecord:
    """Registers a model from an uploaded archive (a transformers or ONNX folder, or one predictions or rules
    file) or from one uploaded predictions or rules file, with the checks and options of `model add`."""
    check_name(name, "Model")  # before it names a folder
    room = _room(session, artifacts, owner, upload.stat().st_size, upload.name)
    options: dict[str, Any] = {"kind": kind, "label_map": label_map, "na_probs": str(na_probs) if na_probs else None,
                               "exist_ok": exist_ok, "owner_id": owner.id if owner else None,
                               "check": _within_quota(session, artifacts, owner, upload.name)}
    if archive_format(upload) is None:
        return add_model(session, artifacts, name, str(upload), **options)
    folder = artifacts.path(MODEL_UPLOADS, f"{UPLOAD_PREFIX}{name}-{secrets.token_hex(6)}")
    folder.parent.mkdir(parents=True, exist_ok=True)
    extract_archive(upload, folder, limits=_within(limits, room))
    try:
        _fits(folder, room, upload.name, owner)
        record = add_model(session, artifacts, name, str(_model_source(folder)), in_hub=True, **options)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if record.source != artifacts.relative(folder):  # a file add_model copied, or the model exist_ok found
        shutil.rmtree(folder, ignore_errors=True)
    return record


def add_model_from_hub(session: Session, artifacts: ArtifactStore, name: str, hub_id: str, *,
                       revision: str | None = None, label_map: str | None = None, owner: UserRow) -> ModelRecord:
    """Registers a transformers model by its model hub id for `owner`, with the checks of `model add`. Its snapshot,
    fetched into the model hub's cache, counts toward the owner's storage quota: a model that does not fit is
    refused (the cache keeps what was fetched: it is the model hub's, shared by whoever uses it)."""
    check_name(name, "Model")
    _room(session, artifacts, owner, 0, hub_id)
    return add_model(session, artifacts, name, hub_id, kind="transformers", revision=revision, label_map=label_map,
                     owner_id=owner.id, check=_within_quota(session, artifacts, owner, hub_id))


def _model_source(folder: Path) -> Path:
    """The extracted model: the folder, or the one file it holds alone (a predictions or rules file)."""
    entries = list(folder.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_file() else folder


def add_dataset_from_upload(session: Session, artifacts: ArtifactStore, name: str, upload: Path | Mapping[str, Path], *,
                            task: str, splits: Mapping[str, str] | None = None,
                            columns: dict[str, str | None] | None = None, settings: dict[str, Any] | None = None,
                            exist_ok: bool = False, limits: ArchiveLimits | None = None,
                            owner: UserRow | None = None) -> DatasetInfo:
    """Registers a dataset from uploaded files, with the checks and options of `dataset add`.

    `upload` is one file per split ({split: file}, as `--split NAME=PATH`), one data file (one split, `test`,
    as `dataset add NAME PATH`), or one archive of data files. In an archive each file names its split
    (train.jsonl -> train), unless `splits` maps each split to a file in it ({"test": "dev.json"}), named
    relative to the archive's folder.

    The dataset's source records what was sent: each uploaded file's name, size and SHA-256, and the file (or the
    archive's member) each split was read from; never where the upload was kept while it was read.
    """
    check_name(name, "Dataset")
    files = list(upload.values()) if isinstance(upload, Mapping) else [upload]
    room = _room(session, artifacts, owner, sum(path.stat().st_size for path in files), ", ".join(p.name for p in files))
    options: dict[str, Any] = {"task": task, "columns": columns, "settings": settings, "exist_ok": exist_ok,
                               "owner_id": owner.id if owner else None,
                               "check": _within_quota(session, artifacts, owner, ", ".join(p.name for p in files))}
    if isinstance(upload, Mapping):
        if splits is not None:
            raise InvalidInputError("splits= names the files inside one archive; with one uploaded file per split, "
                                    "give {split: file} alone.")
        archived = next((f"{split}={path.name}" for split, path in upload.items() if _is_archive(path)), None)
        if archived is not None:
            raise InvalidInputError(f"The split file {archived} is an archive; upload one archive that holds every "
                                    f"split, or one data file per split.")
        return add_dataset(session, artifacts, name, split_sources={k: str(v) for k, v in upload.items()},
                           recorded_source=_sent(files, {split: path.name for split, path in upload.items()}), **options)
    if archive_format(upload) is None:
        if splits is not None:
            raise InvalidInputError(f"splits= names the files inside an archive, and {upload.name} is a data file; "
                                    f"upload {{split: file}} for one file per split.")
        return add_dataset(session, artifacts, name, source=str(upload), recorded_source=_sent(files), **options)
    folder = artifacts.path(DATASET_UPLOADS, f"{name}-{secrets.token_hex(6)}")
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        extract_archive(upload, folder, limits=_within(limits, room))
        _fits(folder, room, upload.name, owner)
        sources = _mapped_splits(folder, splits, upload.name) if splits is not None else _named_splits(folder, upload.name)
        members = {split: Path(path).relative_to(folder).as_posix() for split, path in sources.items()}
        return add_dataset(session, artifacts, name, split_sources=sources, recorded_source=_sent(files, members),
                           **options)
    finally:  # add_dataset keeps its own copy of the rows
        shutil.rmtree(folder, ignore_errors=True)


def _sent(files: list[Path], splits: dict[str, str] | None = None) -> dict[str, Any]:
    """An uploaded dataset's source: the files sent (name, size, SHA-256) and, where known before reading, the file
    or archive member each split is read from."""
    sent = [{"name": path.name, "size_bytes": path.stat().st_size, "sha256": file_sha256(path)} for path in files]
    return {"uploaded": sent, **({"splits": splits} if splits else {})}


def storage_used_bytes(session: Session, artifacts: ArtifactStore, owner_id: int) -> int:
    """Bytes the models and datasets `owner_id` uploaded take in the hub (their folders and files)."""
    models = session.scalars(select(ModelRow).where(ModelRow.owner_id == owner_id)).all()
    datasets = session.scalars(select(DatasetRow).where(DatasetRow.owner_id == owner_id)).all()
    return sum(model_bytes(row, artifacts) for row in models) + sum(_size(artifacts.path(row.folder)) for row in datasets)


def model_bytes(row: ModelRow, artifacts: ArtifactStore) -> int:
    """Bytes a model's files take: its folder, or the files the hub copied (a predictions file and its no-answer
    probabilities, a rules file). A model registered by its hub id is its snapshot in the model hub's cache, which
    counts too (though other models and users may share it)."""
    if row.kind in NETWORK_KINDS:
        return _size(model_folder(row, artifacts))
    files = [row.source, *([row.options["na_probs"]] if row.options.get("na_probs") else [])]
    return sum(_size(artifacts.path(file)) for file in files)


def _size(path: Path) -> int:
    return folder_size(path) if path.is_dir() else path.stat().st_size if path.is_file() else 0


def _room(session: Session, artifacts: ArtifactStore, owner: UserRow | None, size: int, what: str) -> int | None:
    """The bytes `owner` may still upload (None: no owner, no quota); refused when `size` is over it already."""
    if owner is None:
        return None
    if not may_write_catalog(owner):
        raise PermissionDeniedError(f"User {owner.name!r} is a reader of this hub; an admin can make them a member "
                                    f"(`benchhub user set {owner.name} --role member`) to upload models and datasets.")
    room = storage_quota_bytes(owner) - storage_used_bytes(session, artifacts, owner.id)
    if size > room:
        raise LimitExceededError(_over(owner, what, size, room))
    return room


def _within_quota(session: Session, artifacts: ArtifactStore, owner: UserRow | None,
                  what: str) -> Callable[[ModelRow | DatasetRow], None] | None:
    """The last check of an upload, run right before its row is inserted (None: no owner, no quota): under the
    owner's lock, the files the row counts must fit the room their other uploads leave."""
    if owner is None:
        return None

    def check(row: ModelRow | DatasetRow) -> None:
        locked = lock_user(session, owner)
        room = storage_quota_bytes(locked) - storage_used_bytes(session, artifacts, locked.id)
        size = model_bytes(row, artifacts) if isinstance(row, ModelRow) else _size(artifacts.path(row.folder))
        if size > room:
            raise LimitExceededError(_over(locked, what, size, room))

    return check


def _within(limits: ArchiveLimits | None, room: int | None) -> ArchiveLimits:
    limits = limits or ArchiveLimits()
    if room is None or room >= limits.max_total_bytes:
        return limits
    return dataclasses.replace(limits, max_total_bytes=max(room, 1))


def _fits(folder: Path, room: int | None, what: str, owner: UserRow | None) -> None:
    if room is not None and owner is not None and (size := folder_size(folder)) > room:
        raise LimitExceededError(_over(owner, what, size, room))


def _over(owner: UserRow, what: str, size: int, room: int) -> str:
    quota = storage_quota_bytes(owner)
    return (f"{what} takes {human_bytes(size)}, and {owner.name!r} has {human_bytes(max(room, 0))} left of their "
            f"{human_bytes(quota)} storage quota; remove models or datasets they uploaded, or ask an admin for more "
            f"(`benchhub user set {owner.name} --storage-quota-gb N`).")


def _is_archive(path: Path) -> bool:
    return path.is_file() and archive_format(path) is not None


def _named_splits(folder: Path, archive: str) -> dict[str, str]:
    """One split per file, named by the file's name without its suffix (train.jsonl -> train), as `dataset add`
    reads a folder of CoNLL files; a subfolder or two files for one split need `splits=`."""
    entries = sorted(folder.iterdir())
    inner = next((entry.name for entry in entries if entry.is_dir()), None)
    if inner is not None:
        raise InvalidInputError(f"{archive} holds the folder {inner!r} beside other files, so its splits are not clear; "
                                f"name each split's file with splits={{'test': '{inner}/...'}} or upload the files alone.")
    sources: dict[str, str] = {}
    for entry in entries:
        split = entry.stem
        if split in sources:
            raise InvalidInputError(
                f"{archive} holds {Path(sources[split]).name!r} and {entry.name!r}, both for split {split!r}; name each "
                f"split's file with splits={{'{split}': '{entry.name}', ...}}."
            )
        sources[split] = str(entry)
    return sources


def _mapped_splits(folder: Path, splits: Mapping[str, str], archive: str) -> dict[str, str]:
    """The files `splits` names inside the extracted archive, each checked to be a file there."""
    if not splits:
        raise InvalidInputError(f"splits= is empty; map each split to a file in {archive}, e.g. {{'test': 'test.jsonl'}}.")
    files = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
    sources = {}
    for split, member in splits.items():
        parts = PurePosixPath(member).parts
        path = folder.joinpath(*parts)
        if not parts or PurePosixPath(member).is_absolute() or ".." in parts or not path.is_file():
            shown = ", ".join(files[:10]) + (f" and {len(files) - 10} more" if len(files) > 10 else "")
            raise InvalidInputError(f"{archive} holds no file {member!r} (for split {split!r}); its files are {shown}.")
        sources[split] = str(path)
    return sources
