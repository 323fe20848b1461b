"""What the services return: plain records, independent of the database session."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class SplitInfo:
    name: str
    num_rows: int
    label_counts: dict[str, int]
    fingerprint: str


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    task: str
    fingerprint: str
    labels: list[str]
    columns: dict[str, Any]
    source: dict[str, Any]
    splits: list[SplitInfo]
    created_at: datetime
    options: dict[str, Any] = field(default_factory=dict)

    def split(self, name: str) -> SplitInfo | None:
        return next((s for s in self.splits if s.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class ModelRecord:
    name: str
    kind: str
    source: str
    fingerprint: str
    options: dict[str, Any]
    info: dict[str, Any]
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class Evaluation:
    id: int
    model: str
    model_kind: str
    dataset: str
    split: str
    task: str
    task_version: str
    task_config: dict[str, Any]
    metrics: dict[str, dict[str, float]]
    details: dict[str, Any]
    efficiency: dict[str, Any]
    provenance: dict[str, Any]
    predictions_path: str
    created_at: datetime
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    model: str
    kind: str
    baseline: bool
    metrics: dict[str, dict[str, float]]
    efficiency: dict[str, Any]
    evaluation_id: int
    p_value_vs_leader: float | None
    tied_with_leader: bool
    shortcut_gap: float | None = None


@dataclass(frozen=True)
class Leaderboard:
    dataset: str
    split: str
    task: str
    metric: str
    rows: list[LeaderboardRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value
