"""What the public API shows of datasets, models and evaluations: metadata, never example rows or server paths."""

from __future__ import annotations

from typing import Any

from benchhub.results import DatasetInfo, Evaluation, ModelRecord

MODEL_OPTIONS = ("label_map", "revision")


def dataset_view(info: DatasetInfo) -> dict[str, Any]:
    """Task, label names, columns, splits with row counts and fingerprints.

    Per-split label counts are left out: on a split whose labels are hidden they would leak its distribution.
    """
    document = info.to_dict()
    return {
        "name": document["name"],
        "task": document["task"],
        "fingerprint": document["fingerprint"],
        "labels": document["labels"],
        "columns": document["columns"],
        "options": document["options"],
        "source": {key: document["source"][key] for key in ("hub_id", "revision") if key in document["source"]},
        "splits": [{"name": s.name, "num_rows": s.num_rows, "fingerprint": s.fingerprint} for s in info.splits],
        "created_at": document["created_at"],
    }


def model_view(record: ModelRecord) -> dict[str, Any]:
    """Kind, fingerprint, lineage and label facts; where its files live on the server is left out."""
    document = record.to_dict()
    return {
        "name": document["name"],
        "kind": document["kind"],
        "fingerprint": document["fingerprint"],
        "parent": document["parent"],
        "options": {key: document["options"][key] for key in MODEL_OPTIONS if key in document["options"]},
        "info": {key: value for key, value in document["info"].items() if key != "original"},
        "created_at": document["created_at"],
    }


def evaluation_view(evaluation: Evaluation) -> dict[str, Any]:
    """Metrics, details, efficiency and provenance; the per-example rows are a separate, guarded route."""
    document = evaluation.to_dict()
    document.pop("predictions_path")
    document.pop("cached")
    return document
