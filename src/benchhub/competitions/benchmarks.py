"""Hosted benchmarks: creation from a registered dataset, phases, members and roles, the audit log.

Each hidden split is cut into a public and a private half by a seeded hash of the example ids
(`public_mask`). The seed is made once, when the benchmark is created, and never leaves the server:
records, messages and logs show neither the seed nor which ids fall in which half.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benchhub.accounts.users import get_user as get_user_by_name
from benchhub.catalog.datasets import get_dataset_row, load_split
from benchhub.data.fewshot import fewshot_split
from benchhub.errors import (
    BenchhubError,
    ConflictError,
    InvalidInputError,
    NameTakenError,
    NotFoundError,
    PermissionDeniedError,
)
from benchhub.evaluation.evaluations import dataset_facts
from benchhub.naming import check_name, check_text
from benchhub.results import AuditEntry, Benchmark, BenchmarkPhase
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import commit_or_undo, immediate_transaction
from benchhub.store.tables import (
    AuditLogRow,
    BenchmarkMemberRow,
    BenchmarkPhaseRow,
    BenchmarkRow,
    DatasetRow,
    UserRow,
    utcnow,
)
from benchhub.tasks.registry import get_task

MAINTAINER = "maintainer"
PARTICIPANT = "participant"
ROLES = (MAINTAINER, PARTICIPANT)

# Every setting, with its default. None means "no limit".
DEFAULT_SETTINGS: dict[str, Any] = {
    "max_per_day": 5,            # submissions per user and phase since midnight UTC (failed scorings excepted)
    "max_total": None,           # submissions per user and phase, ever (failed scorings excepted)
    "max_failed_per_day": 10,    # submissions per user and phase since midnight UTC that failed scoring
    "final_selections": 2,       # K: submissions a participant may pick for the private ranking
    "public_fraction": 0.5,      # share of each hidden split in its public half
    "max_bytes": 10 * 1024 * 1024,
    "max_scoring_attempts": 3,
    "open_enrollment": True,     # anyone signed in may submit (and so becomes a participant)
    # The evaluation settings submitted models run with in phases that take models, as `eval` takes them (a
    # family's: max_length; for generation max_new_tokens, stop, prompt_template, ...): the same for every model.
    "model_settings": {},
}
OPTIONAL_SETTINGS = {"max_total", "max_per_day", "max_failed_per_day"}  # may be null: no limit
# The largest value of each whole-number setting: far beyond any real need, and within what the database stores.
SETTING_MAXIMA: dict[str, int] = {
    "max_per_day": 100_000,
    "max_total": 1_000_000,
    "max_failed_per_day": 100_000,
    "final_selections": 100,
    "max_bytes": 1024 * 1024 * 1024,  # a predictions file is read into memory
    "max_scoring_attempts": 100,
}
# What a phase takes: predictions files participants make, or models the hub runs on a split it never releases.
PREDICTIONS, MODELS = "predictions", "models"
TAKES = (PREDICTIONS, MODELS)
# A models phase's resource limits, with their defaults and their allowed ranges. The time runs from the start of
# the model's process until its predictions are written; memory is the resident memory of that process and all
# it starts; the size is that of the model once extracted (its archive may take no more either).
DEFAULT_LIMITS: dict[str, int] = {"time_limit_seconds": 600, "memory_limit_mb": 4096, "model_size_mb": 1024}
LIMIT_RANGES: dict[str, tuple[int, int]] = {
    "time_limit_seconds": (1, 24 * 3600),
    "memory_limit_mb": (256, 1024 * 1024),
    "model_size_mb": (1, 64 * 1024),
}
MAX_TITLE = 300  # the store's column widths
MAX_PHASE_NAME = 100
MAX_DESCRIPTION = 20_000
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9999, 12, 30, tzinfo=timezone.utc)


@dataclass(frozen=True)
class PhaseSpec:
    """What a maintainer gives for one phase; times are timezone-aware, None means "no bound"."""

    name: str
    split: str
    labels_public: bool = False
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    takes: str = PREDICTIONS  # or MODELS: participants submit a model archive, run by the hub on the hidden split
    limits: dict[str, int] | None = None  # a models phase's overrides of DEFAULT_LIMITS


def checked_limits(phase: str, takes: str, given: dict[str, Any] | None) -> dict[str, int] | None:
    """A models phase's limits (the defaults overridden by `given`, each checked); None for a predictions phase."""
    if takes not in TAKES:
        raise InvalidInputError(f"Phase {phase!r} takes {takes!r}; a phase takes one of {list(TAKES)}.")
    if takes == PREDICTIONS:
        if given:
            raise InvalidInputError(f"Phase {phase!r} takes predictions files, so it has no model limits; "
                                    f"make it a models phase (takes='models', on the command line SPLIT:models).")
        return None
    unknown = sorted(set(given or {}) - set(DEFAULT_LIMITS))
    if unknown:
        raise InvalidInputError(f"Phase {phase!r}: unknown limit {unknown[0]!r}; the limits are {sorted(DEFAULT_LIMITS)}.")
    chosen = {**DEFAULT_LIMITS, **(given or {})}
    for key, value in chosen.items():
        low, high = LIMIT_RANGES[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidInputError(f"Phase {phase!r}: limit {key!r} must be an int in the range [{low}, {high}]. "
                                    f"Got {_shown(value)} instead.")
    return chosen


def limits_text(limits: dict[str, int]) -> str:
    """A models phase's limits as its pages say them: '600 s, 4,096 MB of memory, models up to 1,024 MB'."""
    return (f"{limits['time_limit_seconds']:,} s, {limits['memory_limit_mb']:,} MB of memory, "
            f"models up to {limits['model_size_mb']:,} MB")


def _checked_takes(spec: PhaseSpec) -> dict[str, int] | None:
    limits = checked_limits(spec.name, spec.takes, spec.limits)
    if spec.takes == MODELS and spec.labels_public:
        raise InvalidInputError(f"Phase {spec.name!r} takes models, so its split stays hidden (its inputs are never "
                                f"released); drop ':public', or make a predictions phase for public labels.")
    return limits


def upload_limit(benchmark: BenchmarkRow) -> int:
    """The most bytes one submission to the benchmark may send: its predictions-file limit, or the model size
    limit of its largest models phase where that is more (each phase checks its own limit again)."""
    sizes = [p.limits["model_size_mb"] * 1024 * 1024 for p in benchmark.phases if p.takes == MODELS and p.limits]
    return max([int(benchmark.settings["max_bytes"]), *sizes])


def create_benchmark(session: Session, artifacts: ArtifactStore, name: str, *, actor_id: int, dataset: str,
                     phases: Sequence[PhaseSpec], title: str | None = None, description: str = "",
                     primary_metric: str | None = None, settings: dict[str, Any] | None = None) -> Benchmark:
    """Creates a benchmark over a registered dataset; its creator (an admin) becomes its first maintainer."""
    actor = get_user(session, actor_id)
    if not actor.is_admin:
        raise PermissionDeniedError(f"Only admins may create benchmarks; user {actor.name!r} is not an admin.")
    check_name(name, "Benchmark")
    if title is not None:
        check_text(title, "A benchmark title", max_length=MAX_TITLE)
    check_text(description, "A benchmark description", max_length=MAX_DESCRIPTION, multiline=True)
    if session.scalar(select(BenchmarkRow.id).where(BenchmarkRow.name == name)) is not None:
        raise NameTakenError(f"A benchmark named {name!r} already exists; choose another name.")
    dataset_row = get_dataset_row(session, dataset)
    task = get_task(dataset_row.task)
    metrics = [m for m in task.metric_names(dataset_facts(dataset_row)) if not m.endswith("_thresh")]
    metric = primary_metric or task.primary_metric
    if metric not in metrics:
        raise InvalidInputError(f"Primary metric {metric!r} is not reported for this dataset; choose one of {metrics}.")
    chosen = checked_settings(settings or {})
    check_model_settings(task, chosen["model_settings"])
    read: dict[str, Any] = {}  # the hidden splits the seed is drawn for, read once
    seed = _split_seed(artifacts, dataset_row, phases, chosen["public_fraction"], read)
    row = BenchmarkRow(
        name=name, title=title or name, description=description, dataset_id=dataset_row.id, task=dataset_row.task,
        primary_metric=metric, created_by=actor.id, settings=chosen, split_seed=seed,
    )
    for spec in _unique(phases):
        _checked_takes(spec)
    over_dataset = _phases_over(session, dataset_row, phases)
    _check_label_release(dataset_row, phases, over_dataset)
    _check_input_release(dataset_row, over_dataset)
    _check_fewshot_source(dataset_row, phases)
    row.phases = [_phase_row(artifacts, dataset_row, spec, seed, chosen["public_fraction"], read) for spec in phases]
    session.add(row)
    session.flush()
    session.add(BenchmarkMemberRow(benchmark_id=row.id, user_id=actor.id, role=MAINTAINER))
    add_audit(session, row, actor.id, "create_benchmark", {
        "dataset": dataset_row.name, "title": row.title, "primary_metric": metric, "settings": chosen,
        "phases": [_phase_details(p) for p in row.phases],
    })
    try:
        commit_or_undo(session)
    except IntegrityError as exc:  # created concurrently
        raise NameTakenError(f"A benchmark named {name!r} already exists; choose another name.") from exc
    return benchmark_record(row)


def check_model_settings(task: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """The settings submitted models of this task run with, checked as `eval` checks them (their names in messages
    as `model_settings.NAME`)."""
    from benchhub.evaluation.evaluations import model_settings

    try:
        return model_settings(task, "transformers", settings)
    except InvalidInputError as error:
        raise InvalidInputError(f"Setting 'model_settings': {error}") from None


def checked_settings(given: dict[str, Any]) -> dict[str, Any]:
    """The defaults overridden by `given`, each value checked."""
    unknown = sorted(set(given) - set(DEFAULT_SETTINGS))
    if unknown:
        raise InvalidInputError(f"Unknown benchmark setting {unknown[0]!r}; the settings are {sorted(DEFAULT_SETTINGS)}.")
    chosen = {**DEFAULT_SETTINGS, **given}
    for key, value in chosen.items():
        if key == "model_settings":
            if not isinstance(value, dict) or len(value) > 20 or not all(isinstance(name, str) for name in value):
                raise InvalidInputError("Setting 'model_settings' must be an object of at most 20 evaluation settings, e.g. "
                                        f'{{"max_new_tokens": 64}}. Got {_shown(value)} instead.')
        elif key == "open_enrollment":
            if not isinstance(value, bool):
                raise InvalidInputError(f"Setting 'open_enrollment' must be true or false. Got {value!r} instead.")
        elif key == "public_fraction":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
                raise InvalidInputError(f"Setting 'public_fraction' must be a number in the range (0, 1). Got {value!r} instead.")
        elif not (value is None and key in OPTIONAL_SETTINGS) and (
                isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= SETTING_MAXIMA[key]):
            allowed = " or null for no limit" if key in OPTIONAL_SETTINGS else ""
            raise InvalidInputError(f"Setting {key!r} must be an int in the range [1, {SETTING_MAXIMA[key]}]{allowed}. "
                                    f"Got {_shown(value)} instead.")
    return chosen


def _shown(value: Any) -> str:
    """A value for an error message: a huge number by its size rather than its thousands of digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 63:
        return "an int beyond the 64-bit range"
    if isinstance(value, str) and len(value) > 40:
        return repr(value[:40] + "…")
    return repr(value)


def _unique(phases: Sequence[PhaseSpec]) -> Sequence[PhaseSpec]:
    if not phases:
        raise InvalidInputError("A benchmark needs at least one phase, e.g. PhaseSpec('test', split='test').")
    names = [p.name for p in phases]
    repeated = next((n for n in names if names.count(n) > 1), None)
    if repeated is not None:
        raise InvalidInputError(f"Phase {repeated!r} is given twice; give each phase once.")
    return phases


def _phases_over(session: Session, dataset_row: DatasetRow, phases: Sequence[PhaseSpec]) -> list[tuple[str, bool, str, str]]:
    """Every phase over the dataset's splits, the stored ones and the `phases` given: (split, labels public, what it
    takes, how a message names it)."""
    existing = session.execute(
        select(BenchmarkPhaseRow.split, BenchmarkPhaseRow.labels_public, BenchmarkPhaseRow.takes, BenchmarkPhaseRow.name,
               BenchmarkRow.name)
        .join(BenchmarkRow, BenchmarkRow.id == BenchmarkPhaseRow.benchmark_id)
        .where(BenchmarkRow.dataset_id == dataset_row.id).order_by(BenchmarkRow.name, BenchmarkPhaseRow.name)
    ).all()
    return ([(split, public, takes, f"phase {phase!r} of benchmark {bench!r}") for split, public, takes, phase, bench in existing]
            + [(spec.split, spec.labels_public, spec.takes, f"phase {spec.name!r}") for spec in phases])


def _check_label_release(dataset_row: DatasetRow, phases: Sequence[PhaseSpec], known: list[tuple[str, bool, str, str]]) -> None:
    """Refuses phases that would publish labels another phase hides, or hide labels another phase has published.

    A public-label phase releases its split's gold with the inputs and shows full-split metrics; over a split
    that a benchmark hides, that undoes the hiding. Published labels cannot be taken back by a later hidden phase.
    """
    for spec in phases:
        clash = next((where for split, public, _, where in known if split == spec.split and public != spec.labels_public), None)
        if clash is not None:
            mine = f"phase {spec.name!r}"
            publisher, hider = (mine, clash) if spec.labels_public else (clash, mine)
            raise InvalidInputError(
                f"The labels of {dataset_row.name}/{spec.split} cannot be both public and hidden: {publisher} "
                f"publishes them and {hider} hides them; hide labels only on a split no phase publishes "
                f"(register a fresh split for it)."
            )


def _check_fewshot_source(dataset_row: DatasetRow, phases: Sequence[PhaseSpec]) -> None:
    """Refuses a hidden phase over the split the dataset's few-shot examples come from: every prompt shows them
    with their answers, so any model evaluated on the dataset (an endpoint's server among them) reads those labels."""
    source = fewshot_split(dataset_row.options or {})
    hider = next((spec for spec in phases if not spec.labels_public and spec.split == source), None)
    if hider is not None:
        shots = dataset_row.options["num_fewshot"]
        raise InvalidInputError(
            f"Phase {hider.name!r} would hide the labels of {dataset_row.name}/{source}, but the dataset's {shots} "
            f"few-shot examples are drawn from that split and shown, answered, in every prompt; hide another split, or "
            f"register the dataset again without --num-fewshot."
        )


def _check_input_release(dataset_row: DatasetRow, known: list[tuple[str, bool, str, str]]) -> None:
    """Refuses a models phase over a split whose inputs a predictions phase releases, or the other way round: a
    models phase promises that its split's inputs are never released, and a predictions phase releases them."""
    for split, _, takes, where in known:
        clash = next((other for other_split, _, other_takes, other in known if other_split == split and other_takes != takes),
                     None)
        if clash is not None:
            releaser, withholder = (where, clash) if takes == PREDICTIONS else (clash, where)
            raise InvalidInputError(
                f"The inputs of {dataset_row.name}/{split} cannot be both released and withheld: {releaser} releases "
                f"them (it takes predictions files) and {withholder} takes models, whose inputs are never released; "
                f"run models on a split no predictions phase uses (register a fresh split for it)."
            )


SEED_DRAWS = 200


def _split_seed(artifacts: ArtifactStore, dataset_row: Any, phases: Sequence[PhaseSpec], fraction: float,
                read: dict[str, Any]) -> str:
    """A secret seed that cuts every hidden split into a public and a private half, both non-empty. Random seeds are
    drawn until one does (a split of n examples is all on one side with a chance of about 2 × 0.5^n, so a small
    split would otherwise be refused by bad luck); where none does in SEED_DRAWS, the split is too small, and
    `_phase_row` says so. The splits it reads are kept in `read`, by name."""
    hidden = {spec.split for spec in phases if not spec.labels_public}
    ids = []
    for name in sorted(hidden):
        try:
            read[name] = load_split(artifacts, dataset_row, name)
            ids.append(read[name].ids)
        except BenchhubError:
            pass  # `_phase_row` names the missing split
    for _ in range(SEED_DRAWS):
        seed = secrets.token_hex(16)
        if all(set(public_mask(seed, split_ids, fraction)) == {True, False} for split_ids in ids):
            break
    return seed


def _phase_row(artifacts: ArtifactStore, dataset_row: Any, spec: PhaseSpec, seed: str, fraction: float,
               read: dict[str, Any]) -> BenchmarkPhaseRow:
    check_name(spec.name, "Phase")
    if len(spec.name) > MAX_PHASE_NAME:
        raise InvalidInputError(f"Phase name {spec.name[:20]!r}... is {len(spec.name)} characters long; use at most {MAX_PHASE_NAME}.")
    for label, moment in (("opens_at", spec.opens_at), ("closes_at", spec.closes_at)):
        if moment is None:
            continue
        if moment.tzinfo is None:
            raise InvalidInputError(f"Phase {spec.name!r}: {label} must be timezone-aware, e.g. 2026-12-01T00:00:00+00:00.")
        if not EARLIEST <= moment <= LATEST:
            # Outside this range the database cannot store the time in UTC (a year-9999 time west of UTC overflows).
            raise InvalidInputError(f"Phase {spec.name!r}: {label} {moment.isoformat()} must lie between "
                                    f"{EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC).")
    if spec.opens_at and spec.closes_at and spec.closes_at <= spec.opens_at:
        raise InvalidInputError(f"Phase {spec.name!r} closes ({spec.closes_at.isoformat()}) before it opens ({spec.opens_at.isoformat()}).")
    limits = _checked_takes(spec)
    split = load_split(artifacts, dataset_row, spec.split, read=read)
    if not get_task(dataset_row.task).has_references(split):
        raise InvalidInputError(f"Split {spec.split!r} has no labels, so phase {spec.name!r} could not score anything.")
    if not spec.labels_public:
        halves = set(public_mask(seed, split.ids, fraction))
        if halves != {True, False}:
            raise InvalidInputError(
                f"Split {spec.split!r} ({len(split)} examples) is too small to cut into a public and a private half; "
                f"use a split of at least 10 examples."
            )
    return BenchmarkPhaseRow(name=spec.name, split=spec.split, labels_public=spec.labels_public,
                             opens_at=spec.opens_at, closes_at=spec.closes_at, takes=spec.takes, limits=limits)


def public_mask(seed: str, ids: Sequence[Any], fraction: float) -> list[bool]:
    """Whether each example is in its split's public half: SHA-256 of seed and id, read as a number in [0, 1)."""
    threshold = int(fraction * 2**64)
    return [
        int.from_bytes(hashlib.sha256(f"{seed}\x00{example_id}".encode("utf-8")).digest()[:8], "big") < threshold
        for example_id in ids
    ]


def get_benchmark_row(session: Session, name: str) -> BenchmarkRow:
    row = session.scalar(select(BenchmarkRow).where(BenchmarkRow.name == name))
    if row is None:
        raise NotFoundError(f"No benchmark named {name!r}.")
    return row


def get_phase_row(benchmark: BenchmarkRow, name: str | None, *, now: datetime | None = None) -> BenchmarkPhaseRow:
    """The named phase; without a name, the one phase that is open now."""
    if name is not None:
        phase = next((p for p in benchmark.phases if p.name == name), None)
        if phase is None:
            raise NotFoundError(f"Benchmark {benchmark.name!r} has no phase {name!r}; its phases are {[p.name for p in benchmark.phases]}.")
        return phase
    now = now or utcnow()
    open_phases = [p for p in benchmark.phases if phase_state(p, now) == "open"]
    if len(open_phases) != 1:
        state = "no phase is open" if not open_phases else f"phases {[p.name for p in open_phases]} are open"
        raise InvalidInputError(f"Benchmark {benchmark.name!r}: {state}; name the phase (its phases are {[p.name for p in benchmark.phases]}).")
    return open_phases[0]


def phase_state(phase: BenchmarkPhaseRow, now: datetime) -> str:
    """`upcoming`, `open` or `closed` at `now`."""
    if phase.closed_at is not None or (phase.closes_at is not None and now >= phase.closes_at):
        return "closed"
    if phase.opens_at is not None and now < phase.opens_at:
        return "upcoming"
    return "open"


def list_benchmarks(session: Session) -> list[Benchmark]:
    return [benchmark_record(row) for row in session.scalars(select(BenchmarkRow).order_by(BenchmarkRow.name))]


def add_member(session: Session, benchmark: str, *, actor_id: int, user: str, role: str = PARTICIPANT) -> None:
    """Gives `user` a role in the benchmark (changing the role they had); maintainers and admins only."""
    row = get_benchmark_row(session, benchmark)
    actor = require_maintainer(session, row, actor_id, "add members")
    if role not in ROLES:
        raise InvalidInputError(f"Role {role!r} is not one of {list(ROLES)}.")
    member_user = get_user_by_name(session, user)
    member = session.scalar(select(BenchmarkMemberRow).where(
        BenchmarkMemberRow.benchmark_id == row.id, BenchmarkMemberRow.user_id == member_user.id))
    if member is None:
        session.add(BenchmarkMemberRow(benchmark_id=row.id, user_id=member_user.id, role=role))
    else:
        member.role = role
    add_audit(session, row, actor.id, "add_member", {"user": member_user.name, "role": role})
    try:
        commit_or_undo(session)
    except IntegrityError as exc:
        raise ConflictError(f"User {member_user.name!r} joined benchmark {benchmark!r} at this moment; set the role again.") from exc


def role_of(session: Session, benchmark: BenchmarkRow, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.scalar(select(BenchmarkMemberRow.role).where(
        BenchmarkMemberRow.benchmark_id == benchmark.id, BenchmarkMemberRow.user_id == user_id))


def is_maintainer(session: Session, benchmark: BenchmarkRow, user_id: int | None) -> bool:
    """Whether the user may manage the benchmark: an admin, or one of its maintainers."""
    if user_id is None:
        return False
    user = session.get(UserRow, user_id)
    return user is not None and (user.is_admin or role_of(session, benchmark, user_id) == MAINTAINER)


def may_see_labels(session: Session, user: UserRow | None, dataset_id: int, split: str) -> bool:
    """Whether `user` may read a split's gold labels (e.g. per-example results): not where a benchmark phase
    hides them, unless the user is an admin or a maintainer of every benchmark that does."""
    return split not in hidden_from(session, user, dataset_id)


def hidden_from(session: Session, user: UserRow | None, dataset_id: int) -> dict[str, list[str]]:
    """The splits of a dataset whose labels are hidden from `user`, each with the names of the benchmarks
    hiding it: those with a phase over it whose labels are not public that the user does not maintain."""
    rows = session.execute(
        select(BenchmarkPhaseRow.split, BenchmarkRow).join(BenchmarkRow, BenchmarkRow.id == BenchmarkPhaseRow.benchmark_id)
        .where(BenchmarkRow.dataset_id == dataset_id, ~BenchmarkPhaseRow.labels_public).order_by(BenchmarkRow.name)
    ).all()
    maintained = {bench.id: is_maintainer(session, bench, user.id if user else None) for _, bench in rows}
    hidden: dict[str, list[str]] = {}
    for split, bench in rows:
        if not maintained[bench.id] and bench.name not in hidden.get(split, []):
            hidden.setdefault(split, []).append(bench.name)
    return hidden


def require_maintainer(session: Session, benchmark: BenchmarkRow, actor_id: int, action: str) -> UserRow:
    actor = get_user(session, actor_id)
    if not is_maintainer(session, benchmark, actor_id):
        raise PermissionDeniedError(f"Only maintainers of benchmark {benchmark.name!r} (or admins) may {action}; user {actor.name!r} is not one.")
    return actor


def close_phase(session: Session, benchmark: str, phase: str, *, actor_id: int) -> BenchmarkPhase:
    """Closes a phase now: submissions stop and its private ranking appears."""
    row = get_benchmark_row(session, benchmark)
    actor = require_maintainer(session, row, actor_id, "close a phase")
    phase_id = get_phase_row(row, phase).id
    session.commit()  # the checks above only read; the lock below starts a fresh transaction
    immediate_transaction(session)
    # Submissions hold this row FOR SHARE while they insert; closing waits for them, and later ones see it closed.
    phase_row = session.scalar(select(BenchmarkPhaseRow).where(BenchmarkPhaseRow.id == phase_id)
                               .with_for_update().execution_options(populate_existing=True))
    if phase_row.closed_at is not None:
        session.rollback()
        raise ConflictError(f"Phase {phase!r} of benchmark {benchmark!r} was closed already, at {phase_row.closed_at.isoformat()}.")
    phase_row.closed_at = utcnow()
    add_audit(session, row, actor.id, "close_phase", {"phase": phase})
    commit_or_undo(session)
    return phase_record(phase_row)


def set_phase_limits(session: Session, benchmark: str, phase: str, *, actor_id: int, limits: dict[str, Any]) -> BenchmarkPhase:
    """Changes some of a models phase's limits (maintainers and admins); the limits not given stay as they are.

    The new limits apply to model runs that start afterwards: a queued submission, or a rescored one, runs
    under the limits its phase has when its run starts; a run under way keeps those it started with. The
    model size limit applies to archives sent afterwards (the request body limit follows it at once); models
    already submitted stay. The change, with the old and the new limits, is in the public audit log.
    """
    row = get_benchmark_row(session, benchmark)
    actor = require_maintainer(session, row, actor_id, "change a phase's limits")
    phase_row = get_phase_row(row, phase)
    if phase_row.takes != MODELS:
        raise InvalidInputError(f"Phase {phase!r} of benchmark {benchmark!r} takes predictions files, so it has no model "
                                f"limits to change; only a phase that takes models has them.")
    if not limits:
        raise InvalidInputError(f"Give at least one limit to change; the limits are {sorted(DEFAULT_LIMITS)}.")
    checked_limits(phase, MODELS, {**phase_row.limits, **limits})  # refuses before the lock below
    phase_id = phase_row.id
    session.commit()  # the checks above only read; the write below runs alone
    immediate_transaction(session)
    locked = session.scalar(select(BenchmarkPhaseRow).where(BenchmarkPhaseRow.id == phase_id)
                            .with_for_update().execution_options(populate_existing=True))
    old = dict(locked.limits)
    new = checked_limits(phase, MODELS, {**old, **limits})  # over the limits as they are now, another change included
    locked.limits = new
    add_audit(session, row, actor.id, "set_phase_limits", {"phase": phase, "old": old, "new": new})
    commit_or_undo(session)
    return phase_record(locked)


def add_audit(session: Session, benchmark: BenchmarkRow, user_id: int | None, action: str, details: dict[str, Any]) -> None:
    """Adds an audit entry to the session's transaction: it is written with the action, or not at all."""
    session.add(AuditLogRow(benchmark_id=benchmark.id, user_id=user_id, action=action, details=details))


# Maintainers' actions, which anyone may read on the benchmark page; a participant's own choices are not among them.
# The boards' default weights and a phase's limits are public facts of the benchmark (its page shows them), and so
# are their changes.
MAINTAINER_ACTIONS = ("create_benchmark", "add_member", "close_phase", "rescore", "hide", "unhide", "disqualify", "reinstate",
                      "set_board_weights", "set_phase_limits")


def audit_log(session: Session, benchmark: str, *, actor_id: int) -> list[AuditEntry]:
    """Every recorded action on the benchmark, oldest first; maintainers and admins only."""
    row = get_benchmark_row(session, benchmark)
    require_maintainer(session, row, actor_id, "read the audit log")
    return _entries(session, row, None)


def public_audit_log(session: Session, benchmark: str) -> list[AuditEntry]:
    """The maintainers' actions (closing, rescoring, moderation with its reason, the boards' default weights, a phase's
    limits), oldest first, for everyone."""
    return _entries(session, get_benchmark_row(session, benchmark), MAINTAINER_ACTIONS)


def _entries(session: Session, row: BenchmarkRow, actions: Sequence[str] | None) -> list[AuditEntry]:
    statement = select(AuditLogRow).where(AuditLogRow.benchmark_id == row.id).order_by(AuditLogRow.id)
    if actions is not None:
        statement = statement.where(AuditLogRow.action.in_(actions))
    return [AuditEntry(e.id, row.name, e.user.name if e.user else None, e.action, dict(e.details), e.created_at)
            for e in session.scalars(statement)]


def get_user(session: Session, user_id: int) -> UserRow:
    user = session.get(UserRow, user_id)
    if user is None:
        raise NotFoundError(f"No user with id {user_id}.")
    return user


def benchmark_record(row: BenchmarkRow) -> Benchmark:
    return Benchmark(
        name=row.name, title=row.title, description=row.description, dataset=row.dataset.name, task=row.task,
        primary_metric=row.primary_metric, settings=dict(row.settings), phases=[phase_record(p) for p in row.phases],
        created_by=row.creator.name if row.creator else None, created_at=row.created_at,
    )


def phase_record(row: BenchmarkPhaseRow, now: datetime | None = None) -> BenchmarkPhase:
    return BenchmarkPhase(
        name=row.name, split=row.split, labels_public=row.labels_public, opens_at=row.opens_at,
        closes_at=row.closes_at, closed_at=row.closed_at, is_open=phase_state(row, now or utcnow()) == "open",
        takes=row.takes, limits=dict(row.limits) if row.limits else None,
    )


def _phase_details(row: BenchmarkPhaseRow) -> dict[str, Any]:
    return {
        "name": row.name, "split": row.split, "labels_public": row.labels_public,
        "opens_at": row.opens_at.isoformat() if row.opens_at else None,
        "closes_at": row.closes_at.isoformat() if row.closes_at else None,
        **({"takes": row.takes, "limits": dict(row.limits)} if row.takes == MODELS else {}),
    }


def hidden_splits(session: Session, dataset: str) -> set[str]:
    """The splits of `dataset` whose labels a hosted benchmark phase keeps hidden."""
    return set(session.scalars(
        select(BenchmarkPhaseRow.split).join(BenchmarkRow).join(DatasetRow, DatasetRow.id == BenchmarkRow.dataset_id)
        .where(DatasetRow.name == dataset, ~BenchmarkPhaseRow.labels_public)
    ))
