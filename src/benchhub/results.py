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
    # Its contamination checks (`catalog/contamination.py`): a split's items that share an n-gram with a reference.
    contamination: list[dict[str, Any]] = field(default_factory=list)

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
    # The newest `benchhub probe` run's summary (None until probed): mean flip rate under the
    # invariance probes, the worst metric drop (points) and which probe caused it, ECE, ...
    robustness: dict[str, Any] | None = None
    # With weights (`Leaderboard.dynascore`): the row's Dynascore (None where it lacks a weighted column), and
    # its place by the metric alone; `rank` is then its place by the Dynascore.
    dynascore: float | None = None
    metric_rank: int | None = None
    # A built-in oracle that reads the references (e.g. summarization's extractive oracle): an upper bound, listed
    # after the models and never the leader or a baseline to beat.
    upper_bound: bool = False
    # Its programs ran without a sandbox (`--unsafe-no-sandbox`, code generation): every view marks it.
    unsandboxed: bool = False


@dataclass(frozen=True)
class Dynascore:
    """How a board's weighted ranking was computed (`ranking/dynascore.py` has the formula and its source).

    `weights` are as given (columns weighted 0 left out), `normalized` those the sum used, divided by their
    total; `amrs` is each weighted column's average marginal rate of substitution against the ranked metric
    (units of the column per unit of the metric; None where it could not be computed), `costs` the columns where
    lower is better. `query` writes the weights as the `weights` parameter takes them (a shareable URL's part);
    `source` is "viewer" (given with the request) or "maintainers" (a benchmark's default weights).
    """

    weights: dict[str, float]
    normalized: dict[str, float]
    amrs: dict[str, float | None]
    costs: list[str]
    query: str
    source: str
    scored: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class Leaderboard:
    dataset: str
    split: str
    task: str
    metric: str
    rows: list[LeaderboardRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    slice: str | None = None  # the slice it ranks on (`--slice`), None for the whole split
    dynascore: Dynascore | None = None  # with weights: rows rank by their Dynascore
    # The split's contamination checks that flag an item (counts and a sentence each, `catalog/contamination.py`'s
    # `flags`): shown above the table.
    contamination: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class MetricComparison:
    """One metric of two models on the same examples: each value, and a - b with its paired-bootstrap
    interval and p-value (None where the family cannot pair the metric, e.g. thresholds fitted per system)."""

    metric: str
    a: float | None
    b: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None


@dataclass(frozen=True)
class Comparison:
    """Two models on one split (or a slice of it): metrics side by side, the contingency table of exactly
    right examples, McNemar's exact test on it, and every example where their predictions differ."""

    model_a: str
    model_b: str
    dataset: str
    split: str
    task: str
    slice: str | None
    examples: int
    metrics: list[MetricComparison]
    # Examples both models get exactly right, only a, only b, neither.
    contingency: dict[str, int]
    mcnemar_p_value: float
    evaluations: dict[str, int]   # model -> the id of the evaluation compared
    disagreements: list[dict[str, Any]]
    confidence: float = 0.95
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


@dataclass(frozen=True)
class VariantTrial:
    """One candidate of `optimize --variants`: its gate (None for the source itself), and its speed against
    PyTorch fp32 in the same interleaved run (None when it was not timed: its build or gate failed)."""

    variant: str
    description: str
    passed: bool
    gate: dict[str, Any] | None
    latency_b1_ms: float | None
    throughput_b32: float | None
    speedup_b1: float | None
    speedup_b32: float | None
    error: str | None = None


@dataclass(frozen=True)
class FastestResult:
    """What `optimize --variants` tried on which machine, what it chose per workload (b1, b32) and registered
    (nothing for a workload where PyTorch fp32 was fastest), with the chosen models' evaluations."""

    source: str
    dataset: str
    split: str
    machine: str
    seq_lens: dict[str, int]
    trials: list[VariantTrial]
    skipped: list[dict[str, str]]
    chosen: dict[str, str]
    registered: dict[str, ModelRecord]
    evaluations: dict[str, Evaluation]
    source_evaluation: Evaluation
    # With `recheck`: each timed variant's speeds in a second interleaved run (as in `VariantTrial`).
    recheck: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class FinetuneResult:
    """What `benchhub finetune` made: the registered model (its lineage in `model.options`), the base it started
    from, the training summary (seconds, steps, final loss), and its evaluation (None when not asked for)."""

    model: ModelRecord
    base: str
    summary: dict[str, Any]
    evaluation: Evaluation | None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class Removal:
    """What `dataset remove` or `model remove` removed: the counts of rows that went with it, the models made
    from it (fine-tuned, optimized), and how many artifact files and folders were deleted. `builtin`: a built-in
    baseline, whose results were removed while the baseline itself stays available."""

    kind: str
    name: str
    evaluations: int = 0
    probe_runs: int = 0
    speed_runs: int = 0
    models: list[str] = field(default_factory=list)
    files: int = 0
    builtin: bool = False

    def dependents(self) -> str:
        """What went with it, in words ("3 evaluations, 1 probe run and model 'x' made from it"); "" for nothing."""
        parts = [f"{count} {noun}{'' if count == 1 else 's'}" for count, noun in
                 ((self.evaluations, "evaluation"), (self.probe_runs, "probe run"), (self.speed_runs, "speed run")) if count]
        if len(self.models) == 1:
            parts.append(f"model {self.models[0]!r} made from it")
        elif self.models:
            parts.append(f"{len(self.models)} models made from it ({', '.join(self.models)})")
        if len(parts) <= 1:
            return "".join(parts)
        return f"{', '.join(parts[:-1])} and {parts[-1]}"

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class UserRecord:
    """A hub account. `role` on the hub's catalog: admin, member (registers and evaluates) or reader; roles on a
    hosted benchmark are its own."""

    id: int
    name: str
    is_admin: bool
    created_at: datetime
    role: str = "member"
    evaluation_quota_hours: float | None = None
    storage_quota_gb: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class TokenRecord:
    """An API token as listings show it: its prefix and dates, never the token or its hash."""

    id: int
    user: str
    prefix: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class TaskLeader:
    """The best non-baseline model on one dataset of a task (None while no model is evaluated there)."""

    dataset: str
    model: str | None
    value: float | None
    evaluation_id: int | None


@dataclass(frozen=True)
class TaskRankingRow:
    """One model across the datasets of a task: its mean primary metric over the datasets it was evaluated on,
    each value, its rank on each dataset (ties: the average of the ranks they span), and the aggregate it is
    ranked by (`score`: the mean, the mean rank, or the Borda count, as `TaskRanking.rule` says)."""

    rank: int
    model: str
    kind: str
    mean: float
    values: dict[str, float]
    score: float | None = None
    ranks: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskRanking:
    """'Top N models for task T' across every dataset of the task (see `task_ranking` for the rule)."""

    task: str
    split: str
    metric: str
    rule: str
    leaders: list[TaskLeader] = field(default_factory=list)
    rows: list[TaskRankingRow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))



@dataclass(frozen=True)
class BenchmarkPhase:
    """A stage of a hosted benchmark: the split it scores, whether its labels are public, and its window."""

    name: str
    split: str
    labels_public: bool
    opens_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None
    is_open: bool
    takes: str = "predictions"  # or "models": participants submit a model, which the hub runs on the hidden split
    limits: dict[str, int] | None = None  # a models phase's time, memory and model size limits

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class Benchmark:
    """A hosted benchmark as anyone may see it: no hidden labels, no split seed."""

    name: str
    title: str
    description: str
    dataset: str
    task: str
    primary_metric: str
    settings: dict[str, Any]
    phases: list[BenchmarkPhase]
    created_by: str | None
    created_at: datetime

    def phase(self, name: str) -> BenchmarkPhase | None:
        return next((p for p in self.phases if p.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class Submission:
    """A submission as its participant (or a maintainer) sees it.

    `public_metrics` come from the public half of a hidden split (the whole split when its labels are
    public); `private_metrics` stay None until the phase closes. Per-example results are never included.
    `method_*` are what the participant says the predictions come from, shown on the board (None: not given).
    """

    id: int
    benchmark: str
    phase: str
    user: str
    status: str
    filename: str
    sha256: str
    size_bytes: int
    created_at: datetime
    hidden: bool
    disqualified: bool
    moderation_reason: str | None
    selected_final: bool
    error: str | None
    public_metrics: dict[str, Any] | None
    private_metrics: dict[str, Any] | None
    score_version: int | None
    method_name: str | None = None
    method_description: str | None = None
    method_url: str | None = None
    # A submitted model's speed and peak memory, measured by the host on its own hardware (None: a predictions file).
    measurements: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class SubmissionScore:
    """One version of a submission's scores (a rescore adds one; older versions stay as history)."""

    version: int
    public_metrics: dict[str, Any]
    private_metrics: dict[str, Any] | None
    is_current: bool
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class BoardRow:
    """One participant's ranked submission; `method_*` are what the participant said of it (None: not given)."""

    rank: int
    user: str
    submission_id: int
    submitted_at: datetime
    score: float
    metrics: dict[str, Any]
    method_name: str | None = None
    method_description: str | None = None
    method_url: str | None = None
    # With weights (`Board.dynascore`): the row's Dynascore and its place by the primary metric alone.
    dynascore: float | None = None
    metric_rank: int | None = None
    # A submitted model's speed and peak memory, measured by the host on its own hardware (None: a predictions file).
    measurements: dict[str, Any] | None = None


@dataclass(frozen=True)
class Board:
    """A benchmark phase's ranking: `public` (best public score per user) or `private` (final selections, after close).

    Equal scores rank the earlier submission higher.
    """

    benchmark: str
    phase: str
    kind: str
    metric: str
    rows: list[BoardRow] = field(default_factory=list)
    dynascore: Dynascore | None = None  # with weights (the viewer's or the maintainers'): rows rank by it
    # The phase split's contamination checks that flag an item, counts only (`catalog/contamination.py`'s `flags`).
    contamination: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class AuditEntry:
    id: int
    benchmark: str
    user: str | None
    action: str
    details: dict[str, Any]
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

@dataclass(frozen=True)
class ProbeReport:
    """A probe suite run: per-probe results, calibration, and the summary leaderboards show."""

    id: int
    model: str
    dataset: str
    split: str
    suite: dict[str, Any]
    summary: dict[str, Any]
    results: dict[str, Any]
    created_at: datetime
    cached: bool = False

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


@dataclass(frozen=True)
class EvaluationJob:
    """An evaluation asked for through the hub, as its owner sees it: state queued (with `position`, the number of
    jobs a worker takes before it), running (examples done of total, rate, time left), done (the evaluation's id),
    failed (the one-line reason) or cancelled."""

    id: int
    batch: str
    owner: str
    model: str
    dataset: str
    split: str
    state: str
    created_at: datetime
    position: int | None = None
    attempts: int = 0
    examples_done: int = 0
    examples_total: int | None = None
    rate_per_second: float | None = None
    seconds_left: float | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    evaluation_id: int | None = None
    cached: bool = False
    error: str | None = None
    peak_memory_mb: float | None = None
    time_limit_seconds: int | None = None
    memory_limit_mb: int | None = None
    cancel_requested: bool = False

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))
