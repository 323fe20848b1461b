"""Checking that a registered model's files are still the ones it was registered with.

Every transformers or ONNX evaluation checks first, cached ones included, so an edited file
never returns the old result. A fingerprint stored under an older definition (see
`models.fingerprints`) is checked under that definition, then replaced by the current one, which
changes the model's cache keys: its earlier results are not reused, since files the old definition
did not cover may have changed. The upgrade is logged once, on stderr for the command line.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from benchhub.catalog.models import (
    checkpoint_folder,
    model_folder,
    onnx_model_fingerprint,
    transformers_fingerprint,
)
from benchhub.errors import InvalidInputError
from benchhub.models.base import NETWORK_KINDS
from benchhub.models.fingerprints import FINGERPRINT_VERSION
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.tables import ModelRow

log = logging.getLogger(__name__)


def check_model_files(row: ModelRow, artifacts: ArtifactStore) -> None:
    """Raises when a transformers or ONNX model's files differ from those it was registered with."""
    if row.kind in NETWORK_KINDS and _fingerprint(row, artifacts, fingerprint_version(row)) != row.fingerprint:
        what = "ONNX model" if row.kind == "onnx" else "model"
        raise InvalidInputError(
            f"The files of {what} {row.name!r} in {_folder(row, artifacts)} changed since it was registered; "
            f"register the new version under a new name."
        )


def refresh_fingerprint(session: Session, row: ModelRow, artifacts: ArtifactStore) -> None:
    """Checks a model's files; a fingerprint made under an older definition is then replaced by the current one."""
    check_model_files(row, artifacts)
    if row.kind not in NETWORK_KINDS or fingerprint_version(row) == FINGERPRINT_VERSION:
        return
    old = fingerprint_version(row)
    row.fingerprint = _fingerprint(row, artifacts, FINGERPRINT_VERSION)
    row.info = {**row.info, "fingerprint_version": FINGERPRINT_VERSION}
    session.commit()
    log.warning(
        "note: model %r was re-fingerprinted (fingerprint version %d -> %d, which also covers its tokenizer and "
        "generation config); its earlier evaluations are not reused.", row.name, old, FINGERPRINT_VERSION,
    )


def fingerprint_version(row: ModelRow) -> int:
    """The definition a row's fingerprint was made under: 1 for rows stored before versions were recorded."""
    return int((row.info or {}).get("fingerprint_version", 1))


def _fingerprint(row: ModelRow, artifacts: ArtifactStore, version: int) -> str:
    if row.kind == "onnx":
        return onnx_model_fingerprint(model_folder(row, artifacts), row.options, version=version)
    return transformers_fingerprint(_folder(row, artifacts), row.options, version=version)


def _folder(row: ModelRow, artifacts: ArtifactStore) -> Any:
    if row.kind == "onnx":
        return model_folder(row, artifacts)
    return checkpoint_folder(row, artifacts)
