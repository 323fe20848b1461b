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
    parent: str | None = None

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
    # Speed from the model's newest `benchhub bench` run (None until benched): median latency of one
    # example at sequence length 128, examples/second at batch 32, and the model's size on disk.
    latency_ms: float | None = None
    throughput: float | None = None
    size_bytes: int | None = None
    # On the accuracy-latency Pareto front: no other benched row is both more accurate and faster.
    pareto: bool = False


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


@dataclass(frozen=True)
class SpeedResult:
    """How fast one model answers at one batch size and sequence length (one row of `benchhub bench`).

    Latencies are milliseconds per call (encode + predict of `batch_size` synthetic examples of
    `seq_len` tokens); `throughput` is examples per second at the median call, batch_size / p50.
    `threads` is the intra-op thread count the model ran with (None when nothing reports one).
    """

    id: int
    run_id: str
    model: str
    model_kind: str
    dataset: str
    task: str
    batch_size: int
    seq_len: int
    threads: int | None
    latency_ms_p50: float
    latency_ms_p90: float
    latency_ms_p99: float
    throughput: float
    timings: int
    size_bytes: int | None
    hardware: dict[str, Any]
    details: dict[str, Any]
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class OptimizeResult:
    """What `benchhub optimize` made: the new model, its gate checks, and its evaluation next to its source's."""

    model: ModelRecord
    source: str
    steps: dict[str, Any]
    gate: dict[str, Any]
    evaluation: Evaluation
    source_evaluation: Evaluation

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
