"""A model sent to a models phase: extracted and vetted at submit time, before any limit is charged.

The archive (.zip, .tar or .tar.gz of a transformers safetensors folder or an ONNX folder) is extracted by
`data.archives` (no links, escapes or bombs; at most the phase's `model_size_mb`) into the submission's own
folder, and then checked as `model add` checks a local folder: safetensors only (no pickles), no custom code,
ONNX external data inside the folder, a task head this benchmark's task evaluates. A refused model costs
nothing and leaves nothing behind: the caller removes the submission's folder on any error.

The model is never registered in the catalog: it belongs to its submission, and `benchhub model list`
never shows it. The folder it lives in is the submission's `file_path`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from benchhub.catalog.models import checkpoint_info
from benchhub.data.archives import ArchiveLimits, archive_format, extract_archive
from benchhub.errors import BenchhubError, InvalidInputError, PredictionsFormatError
from benchhub.models.checkpoints import folder_size, vet_checkpoint
from benchhub.models.onnx_files import ONNX_FILE, vet_onnx_folder
from benchhub.store.tables import BenchmarkPhaseRow
from benchhub.tasks.registry import tasks_with_head

MIB = 1024 * 1024
MODEL_FOLDER = "model"  # inside the submission's folder
UPLOAD_FOLDER = "upload"  # where the archive waits to be extracted, removed after
DEFAULT_ARCHIVE_NAME = "model.zip"
WHAT = "a .zip or .tar.gz of a transformers (safetensors) or ONNX model folder"


def takes_models_hint(phase: BenchmarkPhaseRow) -> str:
    return f"Phase {phase.name!r} takes models, not predictions files: submit {WHAT}; the hub runs it on the phase's split."


def check_size(name: str, size: int, phase: BenchmarkPhaseRow) -> None:
    """Refuses an empty archive, or one over the phase's model size limit, before anything is written."""
    limit = phase.limits["model_size_mb"]
    if size == 0:
        raise InvalidInputError(f"{name} is empty; submit {WHAT}.")
    if size > limit * MIB:
        raise InvalidInputError(f"{name} is {size / MIB:,.1f} MB; phase {phase.name!r} takes models of up to "
                                f"{limit:,} MB (its model_size_mb limit).")


def stage_model(folder: Path, archive: Path, phase: BenchmarkPhaseRow, task: str) -> Path:
    """Extracts `archive` (written in folder/upload) to folder/model and vets it; returns the model folder.
    The archive and its folder are removed once extracted."""
    if archive_format(archive) is None:
        raise PredictionsFormatError(takes_models_hint(phase))
    limit = phase.limits["model_size_mb"] * MIB
    target = folder / MODEL_FOLDER
    try:
        extract_archive(archive, target, limits=ArchiveLimits(max_total_bytes=limit))
    except InvalidInputError as exc:
        raise InvalidInputError(f"{exc} (Phase {phase.name!r} takes models of up to {limit // MIB:,} MB extracted.)") from None
    finally:
        shutil.rmtree(archive.parent, ignore_errors=True)
    if folder_size(target) > limit:  # extract_archive counts as it writes; this says it in the phase's words
        raise InvalidInputError(f"{archive.name} extracts to {folder_size(target) / MIB:,.1f} MB; phase {phase.name!r} "
                                f"takes models of up to {limit // MIB:,} MB.")
    try:
        vet_model(target, task)
    except BenchhubError as exc:  # in the sender's terms: their archive, not the hub's folders
        raise type(exc)(str(exc).replace(str(target), archive.name)) from None
    return target


def model_runtime(folder: Path) -> str:
    """How a vetted model folder runs: "onnx" with a model.onnx, else "torch" (a transformers checkpoint)."""
    return "onnx" if (folder / ONNX_FILE).is_file() else "torch"


def vet_model(folder: Path, task: str) -> None:
    """The checks of `model add` on a local folder, and a head for the benchmark's task."""
    if model_runtime(folder) == "onnx":
        vet_onnx_folder(folder)
    else:
        vet_checkpoint(folder)
    info = checkpoint_info(folder)
    if task not in {t.name for t in tasks_with_head(info["architectures"])}:
        named = ", ".join(map(str, info["architectures"] or []))
        raise InvalidInputError(f"The model's head ({named}) is not one for {task}, this benchmark's task; "
                                f"submit a model fine-tuned for {task}.")
