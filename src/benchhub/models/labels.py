"""Matching a model's output labels to a dataset's labels."""

from __future__ import annotations

from benchhub.errors import LabelMappingError


def parse_label_map(text: str | None) -> dict[str, str] | None:
    """Parses `--label-map "LABEL_0=negative,LABEL_1=positive"` into a dictionary."""
    if not text:
        return None
    mapping = {}
    for part in text.split(","):
        model_label, sep, dataset_label = part.partition("=")
        if not sep or not model_label.strip() or not dataset_label.strip():
            raise LabelMappingError(
                f"--label-map entry {part!r} is not MODEL_LABEL=DATASET_LABEL; write e.g. 'LABEL_0=negative,LABEL_1=positive'."
            )
        mapping[model_label.strip()] = dataset_label.strip()
    return mapping


def match_labels(model_labels: list[str], dataset_labels: list[str], explicit: dict[str, str] | None = None) -> list[int]:
    """Returns, for each model output, the index of its dataset label.

    An explicit map wins; otherwise labels match case-insensitively. Every model output must
    land on a dataset label, or predictions could name labels the dataset does not have.
    """
    unknown = [key for key in explicit or {} if key not in model_labels]
    if unknown:
        # Otherwise a misspelt key is ignored and its model label silently falls back to matching by name.
        raise LabelMappingError(
            f"--label-map names {unknown[0]!r}, which is not a model label. Model labels: {model_labels}; "
            f"dataset labels: {dataset_labels}."
        )
    by_folded = {label.casefold(): index for index, label in enumerate(dataset_labels)}
    if len(by_folded) != len(dataset_labels):
        by_folded = {}
    exact = {label: index for index, label in enumerate(dataset_labels)}
    columns = []
    for label in model_labels:
        target = explicit.get(label, label) if explicit else label
        index = exact.get(target, by_folded.get(target.casefold()))
        if index is None:
            raise LabelMappingError(
                f"Model label {label!r} matches no dataset label. Model labels: {model_labels}; "
                f"dataset labels: {dataset_labels}. Pass --label-map MODEL=DATASET,... to map them."
            )
        columns.append(index)
    if len(set(columns)) != len(columns):
        raise LabelMappingError(
            f"Two model labels map to the same dataset label. Model labels: {model_labels}; dataset labels: {dataset_labels}."
        )
    return columns
