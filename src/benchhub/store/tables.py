"""The hub's tables, as SQLAlchemy 2 ORM classes.

Every schema change goes through an Alembic migration in `store/migrations/versions`.
JSON columns hold small documents (metrics, provenance); bulk data lives in artifact files.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend; SQLite stores no offset and reads back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(timezone.utc) if value is not None and value.tzinfo is not None else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class DatasetRow(Base):
    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    task: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    source: Mapped[dict[str, Any]] = mapped_column(JSON)
    columns: Mapped[dict[str, Any]] = mapped_column(JSON)
    labels: Mapped[list[Any]] = mapped_column(JSON)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    folder: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Who uploaded it through the server (a user id, counted against their storage quota); None: registered on the
    # hub's machine. No foreign key, so SQLite can add and drop the column in place.
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    # N-gram overlap checks of its splits with its train split or a corpus (`catalog.contamination`), newest kept per
    # split and reference. Outside `options`: a check made later must change neither its settings nor cache keys.
    contamination: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")

    splits: Mapped[list[SplitRow]] = relationship(
        back_populates="dataset", cascade="all, delete-orphan", order_by="SplitRow.id"
    )


class SplitRow(Base):
    __tablename__ = "dataset_splits"
    __table_args__ = (UniqueConstraint("dataset_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    num_rows: Mapped[int] = mapped_column(Integer)
    has_labels: Mapped[bool] = mapped_column(default=True)
    label_counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)

    dataset: Mapped[DatasetRow] = relationship(back_populates="splits")


class ModelRow(Base):
    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    info: Mapped[dict[str, Any]] = mapped_column(JSON)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("models.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Who uploaded it through the server (a user id, counted against their storage quota); None: registered on the
    # hub's machine. No foreign key, so SQLite can add and drop the column in place.
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)


class EvaluationRow(Base):
    __tablename__ = "evaluations"
    # Ids are never reused: a rerun must not inherit the id of the result it replaced. One row per key:
    # a job that runs twice cannot store its result twice.
    __table_args__ = (Index("uq_evaluations_key", "cache_key", "model_id", "dataset_id", unique=True),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cache_key: Mapped[str] = mapped_column(String(64), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    split: Mapped[str] = mapped_column(String(100))
    task: Mapped[str] = mapped_column(String(64))
    task_version: Mapped[str] = mapped_column(String(16))
    task_config: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    efficiency: Mapped[dict[str, Any]] = mapped_column(JSON)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON)
    predictions_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    model: Mapped[ModelRow] = relationship()
    dataset: Mapped[DatasetRow] = relationship()


class SpeedRunRow(Base):
    """One (model, batch size, sequence length) measurement of a `benchhub bench` run; rows of one run share `run_id`.

    Rows are kept; the newest per (model, batch_size, seq_len) is the one leaderboards show.
    """

    __tablename__ = "speed_runs"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(32), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    batch_size: Mapped[int] = mapped_column(Integer)
    seq_len: Mapped[int] = mapped_column(Integer)
    threads: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_p50_ms: Mapped[float] = mapped_column(Float)
    latency_p90_ms: Mapped[float] = mapped_column(Float)
    latency_p99_ms: Mapped[float] = mapped_column(Float)
    throughput: Mapped[float] = mapped_column(Float)
    timings: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    hardware: Mapped[dict[str, Any]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    model: Mapped[ModelRow] = relationship()


class UserRow(Base):
    """A person (or service) using a hub server; admins manage everything, others get roles per benchmark."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # On the hub's catalog (admins have every right): member (registers and evaluates) or reader (reads).
    role: Mapped[str] = mapped_column(String(16), default="member", server_default="member")
    # Evaluation time a user's jobs may take in a rolling window (`accounts.users.QUOTA_WINDOW`); None: the hub's default.
    evaluation_quota_seconds: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Bytes the models and datasets a user uploads may take; None: the hub's default.
    storage_quota_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ApiTokenRow(Base):
    """An API token: only its SHA-256 is stored; the token itself is shown once, when created."""

    __tablename__ = "api_tokens"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to tell tokens apart in listings
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[UserRow] = relationship()


class BenchmarkRow(Base):
    """A hosted benchmark over one registered dataset; its phases say which splits take submissions, and when.

    `split_seed` fixes each hidden split's public/private halves; it never leaves the server.
    """

    __tablename__ = "benchmarks"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    task: Mapped[str] = mapped_column(String(64))
    primary_metric: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    split_seed: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    dataset: Mapped[DatasetRow] = relationship()
    creator: Mapped[UserRow | None] = relationship()
    phases: Mapped[list[BenchmarkPhaseRow]] = relationship(
        back_populates="benchmark", cascade="all, delete-orphan", order_by="BenchmarkPhaseRow.id"
    )


class BenchmarkPhaseRow(Base):
    """A stage of a benchmark on one split (e.g. `dev` with public labels, `test` with hidden ones)."""

    __tablename__ = "benchmark_phases"
    __table_args__ = (UniqueConstraint("benchmark_id", "name"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    benchmark_id: Mapped[int] = mapped_column(ForeignKey("benchmarks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    split: Mapped[str] = mapped_column(String(100))
    labels_public: Mapped[bool] = mapped_column(Boolean, default=False)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # `predictions` (participants send predictions files) or `models` (they send a model the hub runs).
    takes: Mapped[str] = mapped_column(String(16), default="predictions", server_default="predictions")
    # A models phase's resource limits (competitions.benchmarks.DEFAULT_LIMITS); None on a predictions phase.
    limits: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    benchmark: Mapped[BenchmarkRow] = relationship(back_populates="phases")


class BenchmarkMemberRow(Base):
    """A user's role in one benchmark: `maintainer` or `participant`. Submissions lock this row."""

    __tablename__ = "benchmark_members"
    __table_args__ = (UniqueConstraint("benchmark_id", "user_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    benchmark_id: Mapped[int] = mapped_column(ForeignKey("benchmarks.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[UserRow] = relationship()


class SubmissionRow(Base):
    """A predictions file sent to a benchmark phase; the file itself lives in the artifact folder."""

    __tablename__ = "submissions"
    __table_args__ = (
        # NULL keys are distinct on every backend, so submissions without a key never collide.
        UniqueConstraint("user_id", "benchmark_id", "idempotency_key"),
        Index("ix_submissions_phase_user", "phase_id", "user_id", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    benchmark_id: Mapped[int] = mapped_column(ForeignKey("benchmarks.id", ondelete="CASCADE"))
    phase_id: Mapped[int] = mapped_column(ForeignKey("benchmark_phases.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))  # queued | scoring | scored | failed
    filename: Mapped[str] = mapped_column(String(200))
    file_path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    disqualified: Mapped[bool] = mapped_column(Boolean, default=False)
    moderation_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    selected_final: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # What the participant says the predictions come from, shown on the board (checked by competitions.submissions).
    method_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    method_description: Mapped[str | None] = mapped_column(Text, nullable=True)
    method_url: Mapped[str | None] = mapped_column(String(500), nullable=True)

    benchmark: Mapped[BenchmarkRow] = relationship()
    phase: Mapped[BenchmarkPhaseRow] = relationship()
    user: Mapped[UserRow] = relationship()


class SubmissionScoreRow(Base):
    """One scoring of a submission; a rescore adds a version and moves `is_current`, keeping the history."""

    __tablename__ = "submission_scores"
    __table_args__ = (UniqueConstraint("submission_id", "version"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    # Unique: a job writes at most one score, however often its result is delivered.
    job_id: Mapped[int] = mapped_column(ForeignKey("scoring_jobs.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    public_metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What the host measured of a submitted model on its own hardware (speed, peak memory); None for a predictions file.
    measurements: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ScoringJobRow(Base):
    """A unit of work in the database-backed scoring queue; a worker holds it under a lease while it scores."""

    __tablename__ = "scoring_jobs"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(16))  # submit | rescore
    state: Mapped[str] = mapped_column(String(16), index=True)  # queued | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # When a worker last claimed it: jobs are taken round-robin across benchmarks by their latest claims.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditLogRow(Base):
    """One action on a benchmark (who, what, when, with what details); rows are only ever added."""

    __tablename__ = "audit_log"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    benchmark_id: Mapped[int] = mapped_column(ForeignKey("benchmarks.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[UserRow | None] = relationship()


class ProbeRunRow(Base):
    """One probe suite run of a model on a dataset split: per-probe results and a summary for leaderboards."""

    __tablename__ = "probe_runs"
    __table_args__ = (Index("ix_probe_runs_dataset_split", "dataset_id", "split"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cache_key: Mapped[str] = mapped_column(String(64), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    split: Mapped[str] = mapped_column(String(100))
    suite: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    results: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    model: Mapped[ModelRow] = relationship()
    dataset: Mapped[DatasetRow] = relationship()


class EvaluationJobRow(Base):
    """One model evaluated on one dataset split, asked for through the server and run by a worker under a lease
    (`evaluation.jobs`). Jobs are taken fairly: round-robin over `queue_key` (a user, or a benchmark)."""

    __tablename__ = "evaluation_jobs"
    __table_args__ = (Index("ix_evaluation_jobs_state_queue", "state", "queue_key"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    queue_key: Mapped[str] = mapped_column(String(120))
    batch: Mapped[str] = mapped_column(String(32), index=True)  # the request that made it (one per POST)
    model: Mapped[str] = mapped_column(String(200))
    dataset: Mapped[str] = mapped_column(String(200))
    split: Mapped[str] = mapped_column(String(100))
    batch_size: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed | cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    time_limit_seconds: Mapped[int] = mapped_column(Integer)
    memory_limit_mb: Mapped[int] = mapped_column(Integer)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    examples_done: Mapped[int] = mapped_column(Integer, default=0)
    examples_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    peak_memory_mb: Mapped[float | None] = mapped_column(Float, nullable=True)
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id", ondelete="SET NULL"), nullable=True)
    cached: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # the one-line reason, shown to its owner
    log: Mapped[str | None] = mapped_column(Text, nullable=True)  # the end of the run's log, for its owner
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
