"""What participants predict on: a phase's inputs by id, in the layout of its task family (`Task.input_row`).

Gold labels and answers come along only where the phase publishes them (`labels_public`, e.g. a dev
phase) and no other benchmark hides that split from the user. A phase's inputs are released when
it opens; its maintainers (and admins) may fetch them before.

A hidden phase's inputs come in an order keyed by the benchmark's secret seed, not in file order: a test
file sorted by label would otherwise tell its labels by position. (Where the dataset has no id column, an
id is its row position and tells the same; benchmarks over such files should add ids, or shuffle the file.)
The key is derived apart from the public/private cut (`public_mask`), so the order says nothing of the halves.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from benchhub.catalog.datasets import load_split
from benchhub.competitions.benchmarks import (
    MODELS,
    get_benchmark_row,
    get_phase_row,
    is_maintainer,
    may_see_labels,
    phase_state,
)
from benchhub.errors import PermissionDeniedError
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.tables import UserRow, utcnow
from benchhub.tasks.registry import get_task


def phase_inputs(session: Session, artifacts: ArtifactStore, benchmark: str, phase: str | None, *,
                 user: UserRow | None, now: datetime | None = None) -> tuple[str, list[dict[str, Any]]]:
    """(phase name, one row per example): id and inputs, plus gold where the phase publishes it; in split order,
    or in the benchmark's keyed order on a hidden phase."""
    row = get_benchmark_row(session, benchmark)
    phase_row = get_phase_row(row, phase, now=now)
    if phase_row.takes == MODELS:
        raise PermissionDeniedError(f"Phase {phase_row.name!r} of {benchmark!r} takes models: its inputs are never released; "
                                    f"submit a model archive, and the hub runs it on them.")
    if phase_state(phase_row, now or utcnow()) == "upcoming" and not is_maintainer(session, row, user.id if user else None):
        raise PermissionDeniedError(f"Phase {phase_row.name!r} of {benchmark!r} opens at {phase_row.opens_at.isoformat()}; "
                                    f"its inputs are released then.")
    split = load_split(artifacts, row.dataset, phase_row.split)
    with_gold = phase_row.labels_public and may_see_labels(session, user, row.dataset_id, phase_row.split)
    order = range(len(split.ids)) if phase_row.labels_public else release_order(row.split_seed, split.ids)
    task = get_task(row.dataset.task)
    return phase_row.name, [task.input_row(split, i, with_gold=with_gold) for i in order]


def release_order(seed: str, ids: list[Any]) -> list[int]:
    """Row indexes sorted by a keyed hash of each id: the same for every request, unrelated to file order."""
    return sorted(range(len(ids)), key=lambda i: hashlib.sha256(f"{seed}\x00release-order\x00{ids[i]}".encode("utf-8")).digest())
