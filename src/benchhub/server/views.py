"""What the public API shows of datasets, models and evaluations: metadata, never example rows or server paths.

What covers hidden labels is shown as the request's `permissions.Viewer` allows."""

from __future__ import annotations

from typing import Any

from benchhub.catalog.contamination import TRAIN, flag_text, shown_check
from benchhub.results import DatasetInfo, Evaluation, ModelRecord
from benchhub.server.permissions import Viewer

MODEL_OPTIONS = ("label_map", "revision")


def dataset_view(info: DatasetInfo, viewer: Viewer) -> dict[str, Any]:
    """Task, label names, columns, splits with row counts and fingerprints (or, where they cover hidden
    labels, keyed digests; `hidden` says which benchmark hides a split).

    Per-split label counts are left out: on a split whose labels are hidden they would leak its distribution.
    Contamination checks of a hidden split (or against a hidden train split) show their counts, never which items.
    """
    document = info.to_dict()
    return {
        "name": document["name"],
        "task": document["task"],
        **viewer.fingerprint(info.fingerprint, dataset=info.name),
        "labels": document["labels"],
        "columns": document["columns"],
        # Options a family keeps for itself (the train split's mention strings) may come from a hidden split.
        "options": {key: value for key, value in document["options"].items()
                    if key not in _internal_options(document["task"])},
        "source": _source(document["source"], hidden=viewer.hides_any(info.name)),
        "splits": [{"name": s.name, "num_rows": s.num_rows, **viewer.fingerprint(s.fingerprint, dataset=info.name, split=s.name),
                    "hidden": viewer.reason(info.name, s.name)} for s in info.splits],
        "contamination": [_contamination(check, info.name, viewer) for check in document["contamination"]],
        "created_at": document["created_at"],
    }


def _contamination(check: dict[str, Any], dataset: str, viewer: Viewer) -> dict[str, Any]:
    hidden = bool(viewer.hidden_by(dataset, check["split"]) or (check["against"] == TRAIN and viewer.hidden_by(dataset, TRAIN)))
    return {**shown_check(check, hidden=hidden), "note": flag_text(check)}


def _source(source: dict[str, Any], *, hidden: bool) -> dict[str, Any]:
    """A hub id and its revision, or the files a user uploaded by name (with the split each was read for); a file's
    size and SHA-256 only where no split is hidden, since they cover its labels. Server paths never."""
    shown = {key: source[key] for key in ("hub_id", "revision") if key in source}
    if "uploaded" in source:
        keys = ("name",) if hidden else ("name", "size_bytes", "sha256")
        shown["uploaded"] = [{key: file[key] for key in keys} for file in source["uploaded"]]
        shown.update({"splits": dict(source["splits"])} if "splits" in source else {})
    return shown


def _internal_options(task: str) -> frozenset[str]:
    from benchhub.tasks.registry import TASKS

    return TASKS[task].internal_options if task in TASKS else frozenset()


def model_view(record: ModelRecord, viewer: Viewer) -> dict[str, Any]:
    """Kind, fingerprint, lineage and label facts; where its files live on the server is left out (and a
    predictions file's fingerprint and size where it holds predictions on a split hidden from the viewer)."""
    document = record.to_dict()
    shown = viewer.model(record)
    return {
        "name": document["name"],
        "kind": document["kind"],
        **{key: value for key, value in shown.items() if key != "info"},
        "parent": document["parent"],
        "options": {key: document["options"][key] for key in MODEL_OPTIONS if key in document["options"]},
        "info": {key: value for key, value in shown["info"].items() if key != "original"},
        "created_at": document["created_at"],
    }


def evaluation_view(evaluation: Evaluation, viewer: Viewer) -> dict[str, Any]:
    """Metrics, details, efficiency and provenance; the per-example rows are a separate, guarded route.
    On a split hidden from the viewer, `hidden` says why metrics, details and efficiency are empty."""
    document = viewer.evaluation(evaluation).to_dict()
    document.pop("predictions_path")
    document.pop("cached")
    return {**document, "hidden": viewer.reason(evaluation.dataset, evaluation.split)}
