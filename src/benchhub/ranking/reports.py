"""Sharing results: the HTML leaderboard report and a model's Hugging Face card."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchhub._version import __version__
from benchhub.catalog.datasets import dataset_info
from benchhub.catalog.models import (
    BASELINE_PREFIX,
    builtin_family,
    get_model_row,
    model_record,
)
from benchhub.errors import InvalidInputError
from benchhub.evaluation.evaluations import evaluation_record
from benchhub.results import DatasetInfo, Evaluation, Leaderboard
from benchhub.store.tables import EvaluationRow, ModelRow


def write_report(board: Leaderboard, dataset: DatasetInfo, path: str | Path,
                 reliability: dict[str, list[dict]] | None = None, leader: Evaluation | None = None) -> Path:
    """Renders the leaderboard as a self-contained HTML page and writes it atomically; returns its path.
    `leader` is the evaluation whose details (per class, confusion matrix) the page shows."""
    from benchhub.report.files import write_atomically
    from benchhub.report.html import render_html

    page = render_html(board, dataset=dataset, generated_at=datetime.now(timezone.utc), version=__version__,
                       reliability=reliability, leader=leader)
    return write_atomically(path, page)


def probed_reliability(session: Session, dataset: str, split: str, models: list[str]) -> dict[str, list[dict]]:
    """The reliability bins of each model's newest probe run on the split (models without scores have none)."""
    from benchhub.catalog.datasets import get_dataset_row
    from benchhub.store.tables import ProbeRunRow

    dataset_row = get_dataset_row(session, dataset)
    found: dict[str, list[dict]] = {}
    runs = session.scalars(select(ProbeRunRow).where(ProbeRunRow.dataset_id == dataset_row.id, ProbeRunRow.split == split)
                           .order_by(ProbeRunRow.id.desc()))
    for run in runs:
        calibration = (run.results or {}).get("calibration")
        if run.model.name in models and run.model.name not in found and calibration:
            found[run.model.name] = calibration["reliability"]
    return found


def export_card(session: Session, model: str, *, output: str | Path | None = None) -> str:
    """The model's `model-index` YAML; with `output`, also writes a README.md card (front matter and body) there."""
    from benchhub.report.card import card_yaml, model_card
    from benchhub.report.files import write_atomically

    row = _model_row(session, model)
    record = model_record(row)
    rows = _evaluation_rows(session, row)
    evaluations = [evaluation_record(evaluation) for evaluation in rows]
    datasets = {evaluation.dataset.name: dataset_info(evaluation.dataset) for evaluation in rows}
    metadata = card_yaml(record, evaluations, datasets)
    if output is not None:
        write_atomically(output, model_card(record, evaluations, datasets, version=__version__), example="README.md")
    return metadata


def card_text(session: Session, model: str, *, shown: Callable[[str], bool]) -> str:
    """The model's README.md card (front matter and body), with the evaluations on datasets `shown(dataset)` allows
    (a server leaves out datasets a hosted benchmark hides a split of from the reader: the card names each
    dataset's fingerprint, which covers every split)."""
    from benchhub.report.card import model_card

    row = _model_row(session, model)
    rows = [evaluation for evaluation in _evaluation_rows(session, row) if shown(evaluation.dataset.name)]
    datasets = {evaluation.dataset.name: dataset_info(evaluation.dataset) for evaluation in rows}
    return model_card(model_record(row), [evaluation_record(evaluation) for evaluation in rows], datasets, version=__version__)


def model_evaluations(session: Session, model: ModelRow) -> list[Evaluation]:
    """Every stored evaluation of one model, newest first."""
    return [evaluation_record(row) for row in _evaluation_rows(session, model)]


def _evaluation_rows(session: Session, model: ModelRow) -> list[EvaluationRow]:
    return list(session.scalars(
        select(EvaluationRow).where(EvaluationRow.model_id == model.id).order_by(EvaluationRow.id.desc())
    ))


def _model_row(session: Session, name: str) -> ModelRow:
    """The registered model; a built-in baseline that never ran has nothing to report (and is not created)."""
    row = session.scalar(select(ModelRow).where(ModelRow.name == name))
    if row is not None:
        return row
    if name.startswith(BASELINE_PREFIX) and builtin_family(name.removeprefix(BASELINE_PREFIX)) is not None:
        raise InvalidInputError(
            f"Model {name!r} has no evaluations to put on a card; run `benchhub eval --model {name} --dataset DATASET` first."
        )
    return get_model_row(session, name)
