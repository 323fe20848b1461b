"""Catalog writes over HTTP: upload a model or a dataset (a file or one archive), or name a model on the model hub.

Members and admins may upload (`accounts.users.may_write_catalog`), within their storage quota (`BodyLimit`
refuses a body over it before it is read). An upload is spooled to a scratch file inside the hub, then
registered by `catalog.uploads` with the same checks as `model add` / `dataset add` (archives refused for
links, escapes and bombs; safetensors only; no remote code; ONNX external data inside its folder); a refused
upload leaves nothing behind. Messages never show where the hub keeps files on the server.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from benchhub.catalog.uploads import add_model_from_hub
from benchhub.errors import InvalidInputError
from benchhub.server.auth import RequiredUser
from benchhub.server.dependencies import HubDep, SessionDep
from benchhub.server.errors import error_responses
from benchhub.server.params import NAME_PATTERN, declared
from benchhub.server.permissions import ViewerDep
from benchhub.server.uploads import (
    may_upload,
    paths_hidden,
    register_dataset_upload,
    register_model_upload,
)
from benchhub.server.views import dataset_view, model_view

router = APIRouter(prefix="/api", tags=["uploads"])
HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?")


class HubModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(**declared(pattern=NAME_PATTERN))
    hub_id: str = Field(max_length=200, description="A model hub id, e.g. distilbert-base-uncased-finetuned-sst-2-english.")
    revision: str | None = Field(None, max_length=100)
    label_map: str | None = Field(None, max_length=10_000)


@router.post("/models", tags=["models"], status_code=201, responses=error_responses(400, 401, 403, 409, 413, 422, 429))
def upload_model(name: Annotated[str, Form(**declared(pattern=NAME_PATTERN))], file: Annotated[UploadFile, File()],
                 session: SessionDep, hub: HubDep, user: RequiredUser, viewer: ViewerDep, response: Response,
                 kind: Annotated[str | None, Form(max_length=32)] = None,
                 label_map: Annotated[str | None, Form(max_length=10_000)] = None) -> dict[str, Any]:
    """Registers a model from one file: a .zip/.tar.gz archive of a transformers folder (safetensors) or an ONNX
    folder, or a predictions (.jsonl/.csv/.json) or rules file."""
    record = register_model_upload(session, hub, user, name, file, kind=kind, label_map=label_map)
    response.headers["Location"] = f"/api/models/{record.name}"
    return model_view(record, viewer)


@router.post("/models/hub", tags=["models"], status_code=201, responses=error_responses(400, 401, 403, 409, 422))
def register_hub_model(body: HubModel, session: SessionDep, hub: HubDep, user: RequiredUser, viewer: ViewerDep,
                       response: Response) -> dict[str, Any]:
    """Registers a transformers model by its model hub id (safetensors only, no remote code), for hubs that can reach
    the model hub. It is fetched into the model hub's cache, and counts toward the user's storage quota."""
    may_upload(user)
    if not HUB_ID.fullmatch(body.hub_id) or ".." in body.hub_id or Path(body.hub_id).exists():
        raise InvalidInputError(f"{body.hub_id!r} is not a model hub id; give OWNER/NAME or NAME (letters, digits, "
                                "'.', '_', '-'), e.g. distilbert-base-uncased. Upload a folder as an archive instead.")
    with paths_hidden({str(hub.artifacts.root): "the hub"}):
        record = add_model_from_hub(session, hub.artifacts, body.name, body.hub_id, revision=body.revision,
                                    label_map=body.label_map, owner=user)
    response.headers["Location"] = f"/api/models/{record.name}"
    return model_view(record, viewer)


@router.post("/datasets", tags=["datasets"], status_code=201, responses=error_responses(400, 401, 403, 409, 413, 422, 429))
def upload_dataset(name: Annotated[str, Form(**declared(pattern=NAME_PATTERN))], task: Annotated[str, Form(max_length=64)],
                   files: Annotated[list[UploadFile], File(description="One archive of the splits' files, one data file "
                                                           "(the test split), or one file per split named after it (train.jsonl).")],
                   session: SessionDep, hub: HubDep, user: RequiredUser, viewer: ViewerDep, response: Response,
                   splits: Annotated[str | None, Form(max_length=10_000, description="In an archive: a JSON object "
                                                      "mapping each split to its file, e.g. {\"test\": \"dev.json\"}.")] = None,
                   columns: Annotated[str | None, Form(max_length=10_000, description="A JSON object of the task's column "
                                                       "roles, e.g. {\"text\": \"review\", \"label\": \"stars\"}.")] = None,
                   settings: Annotated[str | None, Form(max_length=10_000, description="A JSON object of the task's "
                                                        "dataset settings (e.g. a tag scheme).")] = None) -> dict[str, Any]:
    """Registers a dataset from uploaded files, in the formats `benchhub dataset add` reads."""
    info = register_dataset_upload(session, hub, user, name, task, files, splits=splits, columns=columns, settings=settings)
    response.headers["Location"] = f"/api/datasets/{info.name}"
    return dataset_view(info, viewer)
