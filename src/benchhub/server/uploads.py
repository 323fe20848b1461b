"""Reading uploaded files, whose body `body_limit.BodyLimit` has already kept within its limit: a predictions file into
memory, or model and dataset uploads spooled to a scratch folder in the hub; and refusals re-worded without server paths."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import UploadFile

from benchhub.accounts.users import may_write_catalog
from benchhub.catalog import uploads as upload_service
from benchhub.data.submission_files import check_size
from benchhub.errors import BenchhubError, InvalidInputError, PermissionDeniedError


def read_upload(file: UploadFile, max_bytes: int) -> bytes:
    """The uploaded file's bytes, after checking (without reading it) that it is neither empty nor over `max_bytes`."""
    file.file.seek(0, os.SEEK_END)
    check_size(file.filename or "the file", file.file.tell(), max_bytes)
    file.file.seek(0)
    return file.file.read(max_bytes + 1)


class spooled:
    """The uploaded files written to a scratch folder inside the hub, under safe names that keep each one's suffix;
    yields (paths, {path: the name the client gave, cleaned}); the folder goes when the block ends."""

    def __init__(self, hub: Any, files: list[UploadFile]) -> None:
        self.hub, self.files = hub, files

    def __enter__(self) -> tuple[list[Path], dict[str, str]]:
        self.hub.artifacts.root.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=".upload-", dir=self.hub.artifacts.root))
        paths, shown = [], {}
        for index, upload in enumerate(self.files):
            given = _clean_name(upload.filename or f"file-{index}")
            path = self.folder / str(index) / given  # a folder each, so messages name the file as the client did
            path.parent.mkdir()
            with path.open("wb") as target:
                shutil.copyfileobj(upload.file, target, 1024 * 1024)
            paths.append(path)
            shown[str(path)] = given
        return paths, {**shown, str(self.folder): "the upload", str(self.hub.artifacts.root): "the hub"}

    def __exit__(self, *exc: Any) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _clean_name(name: str) -> str:
    """The base name of an uploaded file, in safe characters (what messages show and the suffix that says its format)."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name.replace("\\", "/")).name)[-100:].lstrip(".")
    return base or "upload"


class paths_hidden:
    """Re-raises a refusal with the server's folders replaced by what the client knows them as."""

    def __init__(self, replacements: dict[str, str], *, extracted: str | None = None) -> None:
        self.replacements = sorted(replacements.items(), key=lambda item: -len(item[0]))
        self.extracted = extracted  # what the folder an archive was extracted to is called (its file's name)

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> bool:
        if isinstance(error, BenchhubError):
            message, fields = self._hidden(str(error)), self._hidden(error.in_fields)
            if (message, fields) != (str(error), error.in_fields):
                hidden = type(error)(message)
                hidden.fields_message = fields
                raise hidden from error
        return False

    def _hidden(self, message: str) -> str:
        for path, shown in self.replacements:
            message = message.replace(path, shown)
        if self.extracted is not None:
            message = re.sub(rf"the hub/{upload_service.MODEL_UPLOADS}/{upload_service.UPLOAD_PREFIX}[^\s/]+",
                             lambda _: self.extracted, message)
        return message


def json_object(value: str | None, field: str) -> dict[str, Any] | None:
    if value is None or not value.strip():
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{field} is not JSON ({exc.msg}); give a JSON object, e.g. {{\"test\": \"test.jsonl\"}}.") from exc
    if not isinstance(parsed, dict):
        raise InvalidInputError(f"{field} must be a JSON object, not {type(parsed).__name__}.")
    return parsed


MAX_FILES = 16


def may_upload(user: Any) -> None:
    if not may_write_catalog(user):
        raise PermissionDeniedError(f"User {user.name!r} is a reader of this hub; an admin can make them a member "
                                    f"(`benchhub user set {user.name} --role member`) to upload models and datasets.")


def register_model_upload(session: Any, hub: Any, user: Any, name: str, file: UploadFile, *, kind: str | None = None,
                          label_map: str | None = None) -> Any:
    """Registers the model uploaded as `file` for `user` (checked, within their quota; see `catalog.uploads`)."""
    may_upload(user)
    with spooled(hub, [file]) as (paths, shown):
        with paths_hidden(shown, extracted=shown[str(paths[0])]):
            return upload_service.add_model_from_upload(session, hub.artifacts, name, paths[0], kind=kind,
                                                        label_map=label_map or None, owner=user)


def register_dataset_upload(session: Any, hub: Any, user: Any, name: str, task: str, files: list[UploadFile], *,
                            splits: str | None = None, columns: str | None = None, settings: str | None = None) -> Any:
    """Registers the dataset uploaded as `files` (one archive, one data file, or one file per split named after it)
    for `user`; `splits`, `columns` and `settings` are JSON objects as the forms send them."""
    may_upload(user)
    files = [file for file in files if file.filename]  # a browser sends an empty part for an empty file input
    if not 1 <= len(files) <= MAX_FILES:
        raise InvalidInputError(f"Upload 1 to {MAX_FILES} files (one archive, one data file, or one file per split).")
    mapping, roles, options = (json_object(value, field) for value, field in
                               ((splits, "splits"), (columns, "columns"), (settings, "settings")))
    with spooled(hub, files) as (paths, shown):
        if len(paths) == 1:
            upload: Any = paths[0]
        else:
            upload = {}
            for path in paths:
                split = shown[str(path)].rsplit(".", 1)[0]
                if split in upload:
                    raise InvalidInputError(f"Two uploaded files are for split {split!r}; name each file after its split.")
                upload[split] = path
        with paths_hidden(shown):
            return upload_service.add_dataset_from_upload(session, hub.artifacts, name, upload, task=task, splits=mapping,
                                                          columns=roles, settings=options, owner=user)
