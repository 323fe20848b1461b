"""Ranking the evaluations of one dataset split, with baselines as reference rows.

Every row carries its CI; rows whose difference from the leader is not significant under a
paired bootstrap on per-example outcomes (p >= 0.05) are marked as tied with the leader. A metric the family
declares lower-is-better (`Task.lower_is_better`: perplexity) ranks lowest first.
A split whose items share n-grams with the train split or a checked corpus carries those checks as flags
(`Leaderboard.contamination`, any share above 0). Benched models also show their speed (see `speed_service`), measured on one hardware profile so the
numbers compare, and whether they sit on the accuracy-latency Pareto front.

With `weights` the board ranks by a Dynascore (`ranking/dynascore.py`) over the columns it shows: the ranked
metric (`metric`), the family's other board metrics by name, `latency_b1` (median ms at batch 1), `throughput_b32`
(examples/s at batch 32), `size` (bytes), and from the newest probe run `flip_rate`, `worst_change` (the metric's
change under the worst probe, in points) and `ece`. Latency, size, flip rate and ECE are costs. Significance and
"vs leader" stay those of the metric; `metric_rank` keeps each row's place by the metric.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from benchhub.catalog.contamination import flags
from benchhub.catalog.datasets import get_dataset_row, load_split
from benchhub.catalog.models import BASELINE_PREFIX, builtin_registry
from benchhub.data.records import DatasetFacts
from benchhub.errors import BenchhubError, InvalidInputError
from benchhub.evaluation.evaluations import (
    ISOLATION,
    NO_ISOLATION,
    TRAIN_SPLIT,
    dataset_facts,
    latest_evaluations,
    run_evaluation,
)
from benchhub.evaluation.probing import latest_probe_summaries
from benchhub.evaluation.speed import comparable_speed_runs, describe_profile
from benchhub.ranking.dynascore import (
    METRIC,
    Column,
    dynascores,
    order_by_dynascore,
    read_weights,
    weights_query,
)
from benchhub.results import Dynascore, Leaderboard, LeaderboardRow
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.tables import EvaluationRow, SpeedRunRow
from benchhub.tasks.base import metric_sign
from benchhub.tasks.registry import get_task

ALPHA = 0.05
LATENCY_BATCH, THROUGHPUT_BATCH, SPEED_SEQ_LEN = 1, 32, 128


def build_leaderboard(session: Session, artifacts: ArtifactStore, *, dataset: str, split: str = "test",
                      metric: str | None = None, top: int | None = None, with_baselines: bool = True,
                      show_progress: bool = True, slice: str | None = None,
                      weights: str | Mapping[str, float] | None = None) -> Leaderboard:
    """Ranks the newest evaluation of every model on `dataset`/`split` by `metric` (the task's primary by default),
    or, with `weights` (`metric:1,latency_b1:0.5` or {column: weight}; see `leaderboard_columns`), by the Dynascore
    of those columns.

    `slice` ranks on a subset of the split instead, re-scored from each evaluation's per-example rows:
    `length=10-19` (a bucket of text length in words: 0-9, 10-19, 20-39, 40+), `label=VALUE` (the gold
    label; for question answering `answerable` or `unanswerable`) or `column=NAME:VALUE` (a categorical
    column of the source kept at registration, e.g. a SQuAD article's `title`).
    """
    dataset_row = get_dataset_row(session, dataset)
    split_data = load_split(artifacts, dataset_row, split)
    task = get_task(dataset_row.task)
    facts = dataset_facts(dataset_row)
    chosen = metric is not None
    metric = metric or task.primary_metric
    allowed = task.metric_names(facts)
    if metric not in allowed:
        raise InvalidInputError(f"Metric {metric!r} is not reported for {task.name} on {dataset!r}; choose one of {', '.join(allowed)}.")
    if top is not None and top < 1:
        raise InvalidInputError(f"--top must be an int in the range [1, inf). Got {top} instead.")
    weights = read_weights(weights, leaderboard_columns(task.name, metric))  # checked before any baseline runs
    notes = []
    if with_baselines:
        if any(s.name == TRAIN_SPLIT for s in dataset_row.splits):
            for baseline in reference_baselines(task.name, facts):
                run_evaluation(session, artifacts, model=BASELINE_PREFIX + baseline, dataset=dataset, split=split,
                               show_progress=show_progress)
        else:
            notes.append(f"No baselines: dataset {dataset!r} has no {TRAIN_SPLIT!r} split to train them on.")
    evaluations = latest_evaluations(session, dataset_row, split)
    positions = None
    if slice is not None:
        positions, description = slice_positions(split_data, slice, task.name)
        if not chosen:
            metric, why = task.slice_metric(metric, split_data.subset(positions))
            notes.extend([why] if why else [])
        notes.append(f"slice {description}: {len(positions)} of {len(split_data)} examples, re-scored from per-example rows.")
        evaluations = _with_sliced_metrics(evaluations, artifacts, task, split_data, facts, positions)
    upper = _upper_bounds(evaluations)
    sign = metric_sign(task, metric)  # -1 where lower is better (perplexity): the board ranks the lowest first
    # Oracles that read the references come after every model: they are a ceiling, not a rival.
    evaluations = sorted(evaluations, key=lambda r: (r.id in upper, -_goodness(r, metric, sign), r.id))
    if upper:
        notes.append(f"upper bound: {', '.join(sorted(e.model.name for e in evaluations if e.id in upper))} reads the "
                     "references (an oracle); it is listed last, never the leader or a baseline to beat.")
    shortcut = _best_partial_input(evaluations, metric, sign)
    if shortcut is not None:
        notes.append(f"shortcut gap: {metric} minus the best partial-input baseline ({shortcut[0]}, {shortcut[1]:.2f}).")
    leader = next((e for e in evaluations if e.id not in upper), None)
    comparable = comparable_speed_runs(session, [e.model_id for e in evaluations], dataset_row)
    speeds = comparable.runs
    if comparable.profiles > 1:
        names = {e.model_id: e.model.name for e in evaluations}
        elsewhere = ", ".join(names[model_id] for model_id in comparable.elsewhere_only)
        notes.append(f"speed: compared on one hardware profile, {describe_profile(comparable.profile)}, the one most benched "
                     f"models share; runs on other hardware are left out" + (f" (benched there only: {elsewhere})." if elsewhere else "."))
    robustness = latest_probe_summaries(session, dataset_row.id, split)
    if robustness:
        notes.append("robustness: from each model's newest `benchhub probe` run (flip rate under invariance probes, "
                      "worst metric drop in points, ECE).")
    shorter: dict[tuple[str, int], list[str]] = {}  # (measure at batch, seq len) -> models measured there
    latency = {e.id: _speed(speeds, e, LATENCY_BATCH, shorter) for e in evaluations}
    throughput = {e.id: _speed(speeds, e, THROUGHPUT_BATCH, shorter) for e in evaluations}
    for (measure, seq_len), names in shorter.items():
        notes.append(f"speed: {measure} is from sequence length {seq_len} (not benched at {SPEED_SEQ_LEN}) "
                     f"for {', '.join(names)}.")
    benched = [e for e in evaluations if latency[e.id] is not None and _goodness(e, metric, sign) > -math.inf]
    front = dict(zip((e.id for e in benched),
                     pareto_front([(_goodness(e, metric, sign), latency[e.id].latency_p50_ms) for e in benched])))
    if benched:
        notes.append(
            f"Pareto (◆): no other benched model is at least as good on {metric} and at least as fast "
            f"(median latency at batch {LATENCY_BATCH}) while better on one of them."
        )
    rows = []
    for rank, evaluation in enumerate(evaluations, start=1):
        p_value = None
        if rank > 1 and leader is not None and evaluation.id not in upper:
            p_value = (_paired_pvalue(task, facts, artifacts, leader, evaluation, metric) if positions is None else
                       task.paired_pvalue(*(_subset(_examples(artifacts, e), positions) for e in (leader, evaluation)), metric, facts))
        value = _value(evaluation, metric)
        rows.append(LeaderboardRow(
            rank=rank, model=evaluation.model.name, kind=evaluation.model.kind,
            baseline=evaluation.model.kind == "baseline", metrics=dict(evaluation.metrics),
            efficiency={**evaluation.efficiency, "batch_size": (evaluation.provenance or {}).get("batch_size")},
            evaluation_id=evaluation.id, p_value_vs_leader=p_value,
            tied_with_leader=bool(p_value is not None and p_value >= ALPHA),
            shortcut_gap=value - shortcut[1] if shortcut is not None and value > -math.inf else None,
            latency_ms=latency[evaluation.id].latency_p50_ms if latency[evaluation.id] else None,
            throughput=throughput[evaluation.id].throughput if throughput[evaluation.id] else None,
            size_bytes=_size_bytes(evaluation, latency[evaluation.id] or throughput[evaluation.id]),
            pareto=front.get(evaluation.id, False),
            robustness=robustness.get(evaluation.model_id),
            metric_rank=rank,
            upper_bound=evaluation.id in upper,
            unsandboxed=(evaluation.task_config or {}).get(ISOLATION) == NO_ISOLATION,
        ))
    board = Leaderboard(dataset=dataset, split=split, task=task.name, metric=metric, rows=rows, notes=notes, slice=slice,
                        contamination=flags(dataset_row.contamination, split))
    return weigh_leaderboard(board, weights, top=top)


def leaderboard_columns(task: str, metric: str) -> list[Column]:
    """The columns a leaderboard ranked by `metric` can weigh, in the order `weights_query` writes them (the family's
    other lower-is-better metrics, such as perplexity, are costs; the ranked one enters signed, see `leaderboard_values`)."""
    family = get_task(task)
    others = [name for name in family.board_metrics if name != metric]
    return [Column(METRIC, metric), *(Column(name, name, cost=name in family.lower_is_better) for name in others),
            Column("latency_b1", f"latency ms (b{LATENCY_BATCH})", cost=True),
            Column("throughput_b32", f"throughput (b{THROUGHPUT_BATCH})"), Column("size", "size", cost=True),
            Column("flip_rate", "flip rate", cost=True), Column("worst_change", "worst change"),
            Column("ece", "ECE", cost=True)]


def weigh_leaderboard(board: Leaderboard, weights: str | Mapping[str, float] | None, *, top: int | None = None) -> Leaderboard:
    """The board ranked by the Dynascore of `weights` (as is without them), then cut to the `top` N models
    (baselines always kept). The AMRS compares every row of the board, those past the cut included."""
    if top is not None and top < 1:
        raise InvalidInputError(f"--top must be an int in the range [1, inf). Got {top} instead.")
    rows = board.rows
    summary = None
    columns = leaderboard_columns(board.task, board.metric)
    weights = read_weights(weights, columns)
    if weights is not None:
        costs = {column.name for column in columns if column.cost}
        result = dynascores({row.model: leaderboard_values(board, row) for row in rows}, weights=weights, costs=costs,
                            label=board.metric)
        by_metric = sorted(rows, key=lambda row: row.metric_rank or row.rank)
        by_name = {row.model: replace(row, metric_rank=row.metric_rank or row.rank) for row in by_metric}
        order = order_by_dynascore(list(by_name), result.scores)
        rows = [replace(by_name[name], rank=rank, dynascore=result.scores[name]) for rank, name in enumerate(order, start=1)]
        summary = Dynascore(weights=weights, normalized=result.normalized, amrs=result.amrs,
                            costs=[name for name in weights if name in costs], query=weights_query(weights), source="viewer",
                            scored=sum(score is not None for score in result.scores.values()), notes=result.notes)
    if top is not None:
        kept, models = [], 0
        for row in rows:
            if row.baseline or models < top:
                kept.append(row)
                models += not row.baseline
        rows = kept
    return replace(board, rows=rows, dynascore=summary)


def leaderboard_values(board: Leaderboard, row: LeaderboardRow) -> dict[str, float | None]:
    """A row's value in each column of `leaderboard_columns` (None where it has none); the ranked metric signed so
    that higher is better (`metric_sign`: a perplexity negated), as the Dynascore's performance must be."""
    robustness = row.robustness or {}
    drop = robustness.get("worst_drop_points")
    metrics = {name: entry.get("value") for name, entry in row.metrics.items() if isinstance(entry, dict)}
    ranked = metrics.get(board.metric)
    signed = None if ranked is None else metric_sign(get_task(board.task), board.metric) * ranked
    return {**metrics, METRIC: signed, "latency_b1": row.latency_ms, "throughput_b32": row.throughput,
            "size": row.size_bytes, "flip_rate": robustness.get("flip_rate"), "worst_change": -drop if drop is not None else None,
            "ece": robustness.get("ece")}


def pareto_front(points: list[tuple[float, float]]) -> list[bool]:
    """Which (score, latency) points no other point dominates: higher score is better, lower latency is better.

    A point is dominated by one at least as good on both and strictly better on one; equal points
    do not dominate each other, so ties on the front are all on it.
    """
    return [
        not any(
            other_score >= score and other_latency <= latency and (other_score > score or other_latency < latency)
            for other_score, other_latency in points
        )
        for score, latency in points
    ]


def _speed(speeds: dict[tuple[int, int, int], SpeedRunRow], evaluation: EvaluationRow, batch: int,
           shorter: dict[tuple[str, int], list[str]]) -> SpeedRunRow | None:
    """The newest run at `batch` and sequence length 128, else at the longest length benched (collected in
    `shorter` for one note per measure and length)."""
    exact = speeds.get((evaluation.model_id, batch, SPEED_SEQ_LEN))
    if exact is not None:
        return exact
    runs = [run for (model_id, size, _), run in speeds.items() if model_id == evaluation.model_id and size == batch]
    if not runs:
        return None
    chosen = max(runs, key=lambda run: run.seq_len)
    measure = f"latency at batch {batch}" if batch == LATENCY_BATCH else f"throughput at batch {batch}"
    shorter.setdefault((measure, chosen.seq_len), []).append(evaluation.model.name)
    return chosen


def _size_bytes(evaluation: EvaluationRow, speed: SpeedRunRow | None) -> int | None:
    size = evaluation.efficiency.get("size_bytes")
    if size is None and speed is not None:
        size = speed.size_bytes
    return int(size) if size is not None else None


def reference_baselines(task: str, facts: DatasetFacts) -> tuple[str, ...]:
    """The built-in baselines every leaderboard of this task shows (the family decides, e.g. by SQuAD version)."""
    return get_task(task).reference_baselines(facts)


def _value(evaluation: EvaluationRow, metric: str) -> float:
    entry = evaluation.metrics.get(metric)
    return float(entry["value"]) if entry else -math.inf


def _goodness(evaluation: EvaluationRow, metric: str, sign: float) -> float:
    """The metric signed so that higher is better (`metric_sign`); -inf where the evaluation lacks it."""
    entry = evaluation.metrics.get(metric)
    return sign * float(entry["value"]) if entry else -math.inf


def _upper_bounds(evaluations: list[EvaluationRow]) -> set[int]:
    """The evaluations of built-in baselines that read the references (`upper_bound`), by id."""
    registry = builtin_registry()
    return {e.id for e in evaluations if e.model.kind == "baseline" and e.model.name.startswith(BASELINE_PREFIX)
            and getattr(registry.get(e.model.source), "upper_bound", False)}


def _best_partial_input(evaluations: list[EvaluationRow], metric: str, sign: float) -> tuple[str, float] | None:
    """The best baseline that reads only part of the input (e.g. context-only), if the task has one."""
    registry = builtin_registry()
    partial = [
        (e.model.name, _value(e, metric)) for e in evaluations
        if e.model.kind == "baseline" and getattr(registry.get(e.model.source), "partial_input", False)
        and e.model.name.startswith(BASELINE_PREFIX) and _goodness(e, metric, sign) > -math.inf
    ]
    return max(partial, key=lambda pair: sign * pair[1]) if partial else None


def slice_positions(split: Any, spec: str, task: str) -> tuple[list[int], str]:
    """The positions of a slice (`length=10-19`, `length=40+`, `label=VALUE`) in the split, and its description."""
    from benchhub.naming import quoted
    from benchhub.ranking.slices import slice_by_length

    # As typed where it is plain and short; quoted and cut short where it holds escape sequences or runs on.
    shown = spec if spec.isprintable() and 0 < len(spec) <= 60 else quoted(spec)
    kind, sep, value = spec.partition("=")
    if kind == "length" and sep:
        buckets = slice_by_length(split.texts)
        key = f"{value} words"
        if key not in buckets:
            raise InvalidInputError(f"--slice {shown} is not a length bucket; use one of "
                                    f"{', '.join('length=' + k.removesuffix(' words') for k in buckets)}.")
        return list(buckets[key]), f"length {key}"
    if kind == "label" and sep:
        gold = get_task(task).example_labels(split)
        chosen = [i for i, labels in enumerate(gold) if value in labels]
        if not chosen:
            present = sorted(set().union(*gold)) if gold else []
            raise InvalidInputError(f"--slice {shown} matches no example; labels here are {', '.join(present)}.")
        return chosen, f"label {value}"
    if kind == "column" and sep:
        column, colon, wanted = value.partition(":")
        available = sorted(split.columns or {})
        if not colon or column not in available:
            raise InvalidInputError(f"--slice {shown} names no slicing column of this split (column=NAME:VALUE); "
                                    f"its columns are {', '.join(available) or 'none (only categorical source columns are kept)'}.")
        chosen = [i for i, item in enumerate(split.columns[column]) if str(item) == wanted]
        if not chosen:
            values = sorted({str(item) for item in split.columns[column]})
            raise InvalidInputError(f"--slice {shown} matches no example; {column} takes {', '.join(values[:20])}.")
        return chosen, f"{column} = {wanted}"
    raise InvalidInputError(f"--slice {quoted(spec)} is not length=BUCKET, label=VALUE or column=NAME:VALUE; e.g. --slice length=10-19.")


class _SlicedEvaluation:
    """An evaluation row whose metrics are those of one slice (everything else is the row's)."""

    def __init__(self, row: EvaluationRow, metrics: dict[str, Any]) -> None:
        self._row, self.metrics = row, metrics

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def _with_sliced_metrics(evaluations: list[EvaluationRow], artifacts: ArtifactStore, task: Any, split: Any,
                         facts: DatasetFacts, positions: list[int]) -> list[Any]:
    from benchhub.ranking.slices import slice_metrics

    sliced = []
    for evaluation in evaluations:
        scored = slice_metrics(task, split, _examples(artifacts, evaluation), facts, {"slice": positions})["slice"]
        sliced.append(_SlicedEvaluation(evaluation, scored["metrics"]))
    return sliced


def _subset(rows: list[dict[str, Any]], positions: list[int]) -> list[dict[str, Any]]:
    return [rows[i] for i in positions]


def _paired_pvalue(task: Any, facts: DatasetFacts, artifacts: ArtifactStore, leader: EvaluationRow,
                   other: EvaluationRow, metric: str) -> float:
    """The paired-bootstrap p-value of `other` against `leader`, computed once per pair.

    Evaluations are immutable (a rerun is a new row with a new predictions file), so the pair's
    predictions files, the metric and the task version fix the value; leaderboard reads then
    cost no bootstrap and no file reads for pairs seen before.
    """
    key = (str(artifacts.root), leader.predictions_path, other.predictions_path, metric, task.name, task.version)
    with _PVALUE_LOCK:
        if key in _PVALUES:
            _PVALUES.move_to_end(key)
            return _PVALUES[key]
    value = task.paired_pvalue(_examples(artifacts, leader), _examples(artifacts, other), metric, facts)
    with _PVALUE_LOCK:
        _PVALUES[key] = value
        while len(_PVALUES) > PVALUE_CACHE_SIZE:
            _PVALUES.popitem(last=False)
    return value


PVALUE_CACHE_SIZE = 50_000
_PVALUES: OrderedDict[tuple[str, ...], float] = OrderedDict()
_PVALUE_LOCK = threading.Lock()


def _examples(artifacts: ArtifactStore, evaluation: EvaluationRow) -> list[dict[str, Any]]:
    try:
        examples = artifacts.read_jsonl_gz(artifacts.path(evaluation.predictions_path))
    except OSError as exc:
        raise BenchhubError(
            f"Per-example predictions of evaluation {evaluation.id} are missing ({evaluation.predictions_path}); "
            f"rerun it with --no-cache."
        ) from exc
    return examples
