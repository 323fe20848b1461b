"""`benchhub probe`: a model's behaviour when a benchmark's shortcuts are taken away.

Every probe turns the split into another split that runs through the same engine as an evaluation
(`engine.evaluate`: the same adapter, batching and scoring); nothing runs a model another way. For
each probe the run stores:
- INV: the metric on the changed split (with its CI) and the prediction flip rate over the examples
  the probe changed (with a bootstrap CI); for probes that turn answerable questions unanswerable,
  the share the model still answers ("guessing").
- DIR: the share of changed examples whose scores moved the forbidden way.
- MFT: per template test, the failure rate (examples not given the expected label).
- INV probes of generated text (`Task.probe_example_score`): also the mean per-example change of the primary
  metric's score, in points, with a paired bootstrap CI (`score_change`); a flip is a changed output there.
- compound INV probes (several changed splits, e.g. every rotation of a question's choices): what the probe
  combines from their rows, the fields of an INV probe and its own (multiple choice: `circular_acc`).
- calibration of the unchanged split: ECE (15 bins), reliability bins, risk-coverage area.
Runs are cached by the model and dataset fingerprints, split, suite, seed and task settings; the
summary (mean flip rate, worst metric drop, ECE, CircularEval's accuracy) feeds the leaderboards' robustness columns.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from benchhub.catalog.datasets import get_dataset_row, load_split
from benchhub.catalog.loading import load_model
from benchhub.catalog.models import get_model_row
from benchhub.data.records import DatasetFacts, canonical_json
from benchhub.engine.evaluate import evaluate
from benchhub.errors import InvalidInputError
from benchhub.evaluation.evaluations import (
    dataset_facts,
    model_settings,
    run_evaluation,
    train_split,
)
from benchhub.metrics.bootstrap import mean_intervals
from benchhub.probes.base import Perturbed, is_compound, probe_model
from benchhub.results import ProbeReport
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import commit_or_undo
from benchhub.store.tables import ProbeRunRow
from benchhub.tasks.base import Task
from benchhub.tasks.registry import get_task

# Part of every probe run's cache key: bumped when a probe's output changes for the same input
# (2: INV probes change both texts of a pair).
VERSION = "2"
DEFAULT_SUITE = "default"
MAX_SEED = 2**32 - 1


def run_probes(session: Session, artifacts: ArtifactStore, *, model: str, dataset: str, split: str = "test",
               suite: str = DEFAULT_SUITE, seed: int = 0, batch_size: int = 32, use_cache: bool = True,
               show_progress: bool = True, settings: dict[str, Any] | None = None) -> ProbeReport:
    """Runs the probe suite (`default`, or a YAML suite file) on `model` over `dataset`/`split`, under evaluation
    `settings` (as `run_evaluation` takes them: None values are ignored); stores and returns it."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InvalidInputError(f"--seed must be an int in the range [0, {MAX_SEED}]. Got {seed!r} instead.")
    dataset_row = get_dataset_row(session, dataset)
    task = get_task(dataset_row.task)
    facts = dataset_facts(dataset_row)
    split_data = load_split(artifacts, dataset_row, split)
    model_row = get_model_row(session, model)
    if model_row.kind == "predictions":
        raise InvalidInputError(f"Model {model_row.name!r} is a predictions file: it only replays answers to the split's own "
                                "examples, so probes (which change the inputs) cannot run it; probe the model that wrote it.")
    given = {name: value for name, value in (settings or {}).items() if value is not None}
    settings = model_settings(task, model_row.kind, given)
    probes, templates, suite_document = _suite(suite, task.name, facts)
    key = hashlib.sha256(canonical_json({
        "version": VERSION, "model": model_row.fingerprint, "dataset": dataset_row.fingerprint, "split": split,
        "suite": suite_document, "seed": seed, "task": task.name, "task_version": task.version, "settings": settings,
    }).encode("utf-8")).hexdigest()
    if use_cache:
        cached = session.scalar(select(ProbeRunRow).where(
            ProbeRunRow.cache_key == key, ProbeRunRow.model_id == model_row.id, ProbeRunRow.dataset_id == dataset_row.id,
        ).order_by(ProbeRunRow.id.desc()))
        if cached is not None:
            return probe_report(cached, cached_run=True)
    base = run_evaluation(session, artifacts, model=model, dataset=dataset, split=split, batch_size=batch_size,
                          settings=given, show_progress=show_progress)
    base_rows = artifacts.read_jsonl_gz(artifacts.path(base.predictions_path))
    loaded = load_model(model_row, dataset_row, artifacts=artifacts, train=train_split(artifacts, dataset_row), settings=settings)
    primary = task.primary_metric
    results: list[dict[str, Any]] = []
    for probe in probes:
        reason = _not_applicable(probe, task.name, list(dataset_row.labels))
        if reason is not None:
            results.append({"probe": probe.name, "kind": probe.kind, "changed": 0, "note": reason})
            continue
        if is_compound(probe):
            results.append(_compound(probe, loaded, split_data, base_rows, base.metrics, task=task, facts=facts,
                                     batch_size=batch_size, show_progress=show_progress, seed=seed))
            continue
        runner = probe_model(probe, loaded)
        if runner is None:
            results.append({"probe": probe.name, "kind": probe.kind, "changed": 0, "note": probe.not_applicable})
            continue
        perturbed = probe.apply(split_data, seed=seed)
        if not any(perturbed.changed):
            results.append({"probe": probe.name, "kind": probe.kind, "changed": 0, "note": "changed no example"})
            continue
        output = evaluate(runner, perturbed.split, task=task, facts=facts, batch_size=batch_size, show_progress=show_progress,
                          description=f"probe {probe.name}")
        results.append(_invariance_or_direction(probe, task, perturbed, base_rows, output, base.metrics,
                                                list(dataset_row.labels), seed))
    for test in templates:
        test_split = test.split(seed=seed)
        output = evaluate(loaded, test_split, task=task, facts=facts, batch_size=batch_size, show_progress=show_progress,
                          description=f"MFT {test.name}")
        failed = np.array([not row["correct"] for row in output.examples], dtype=float)
        results.append({"probe": test.name, "kind": "MFT", "examples": len(failed), "failure_rate": float(failed.mean()),
                        "failure_rate_ci": _interval(failed, seed),
                        "failures": [{"text": t, "expected": e["gold"], "predicted": e["predicted"]}
                                     for t, e in zip(test_split.texts, output.examples) if not e["correct"]][:5]})
    calibration = _calibration(task.name, base_rows, seed)
    summary = _summary(results, calibration)
    row = ProbeRunRow(cache_key=key, model_id=model_row.id, dataset_id=dataset_row.id, split=split,
                      suite={"name": suite, "document": suite_document, "seed": seed, "version": VERSION},
                      summary=summary, results={"probes": results, "calibration": calibration,
                                                "base": {"evaluation_id": base.id, primary: base.metrics[primary]}})
    commit_or_undo(session, row)
    return probe_report(row, cached_run=False)


def latest_probe_summaries(session: Session, dataset_id: int, split: str) -> dict[int, dict[str, Any]]:
    """The newest probe run's summary of each model on a dataset split (for leaderboards)."""
    rows = session.scalars(select(ProbeRunRow).where(ProbeRunRow.dataset_id == dataset_id, ProbeRunRow.split == split)
                           .order_by(ProbeRunRow.id.desc()))
    newest: dict[int, dict[str, Any]] = {}
    for row in rows:
        newest.setdefault(row.model_id, dict(row.summary))
    return newest


def latest_probe_runs(session: Session, model_id: int) -> list[ProbeRunRow]:
    """The newest probe run of a model on each dataset split it was probed on, by dataset name and split."""
    newest: dict[tuple[int, str], ProbeRunRow] = {}
    for row in session.scalars(select(ProbeRunRow).where(ProbeRunRow.model_id == model_id).order_by(ProbeRunRow.id.desc())):
        newest.setdefault((row.dataset_id, row.split), row)
    return sorted(newest.values(), key=lambda row: (row.dataset.name, row.split))


def probe_report(row: ProbeRunRow, *, cached_run: bool) -> ProbeReport:
    return ProbeReport(id=row.id, model=row.model.name, dataset=row.dataset.name, split=row.split, suite=dict(row.suite),
                       summary=dict(row.summary), results=dict(row.results), created_at=row.created_at, cached=cached_run)


def _invariance_or_direction(probe: Any, task: Task, perturbed: Perturbed, base_rows: list[dict[str, Any]], output: Any,
                             base_metrics: dict[str, Any], labels: list[str], seed: int) -> dict[str, Any]:
    primary, scale = task.primary_metric, task.metric_scale
    changed = np.array(perturbed.changed, dtype=bool)
    before = {row["id"]: row for row in base_rows}
    after = {row["id"]: row for row in output.examples}
    ids = [example_id for example_id, flag in zip(perturbed.split.ids, changed) if flag]
    answer = task.probe_answer
    flips = np.array([answer(before[i]) != answer(after[i]) for i in ids], dtype=float)
    result: dict[str, Any] = {
        "probe": probe.name, "kind": probe.kind, "changed": int(changed.sum()), "examples": len(changed),
        "flip_rate": float(flips.mean()), "flip_rate_ci": _interval(flips, seed),
        "metric": primary, "value": output.metrics[primary], "base": base_metrics[primary],
        "drop_points": (float(base_metrics[primary]["value"]) - float(output.metrics[primary]["value"])) * 100.0 / scale,
        "examples_flipped": [{"id": i, "before": answer(before[i]), "after": answer(after[i])}
                             for i, flipped in zip(ids, flips) if flipped][:5],
    }
    score = task.probe_example_score
    scores = [(score(before[i]), score(after[i])) for i in ids]
    if ids and all(a is not None and b is not None for a, b in scores):
        change = np.array([b - a for a, b in scores], dtype=float) * 100.0 / scale
        interval = mean_intervals({"change": change}, seed=seed)["change"]
        result["score_change"] = {"value": float(change.mean()), "ci_low": interval.low, "ci_high": interval.high}
    if getattr(probe, "converts_to_unanswerable", False):
        answered = np.array([bool(after[i]["predicted"]) for i in ids], dtype=float)
        result["guessing_rate"] = float(answered.mean())
        result["guessing_rate_ci"] = _interval(answered, seed)
    if probe.kind == "DIR":
        original = np.array([[before[i]["scores"][label] for label in labels] for i in ids])
        moved = np.array([[after[i]["scores"][label] for label in labels] for i in ids])
        violations = np.asarray(probe.violations(original, moved, labels), dtype=float)
        result["violation_rate"] = float(violations.mean())
        result["violation_rate_ci"] = _interval(violations, seed)
    return result


def _compound(probe: Any, loaded: Any, split: Any, base_rows: list[dict[str, Any]], base_metrics: dict[str, Any], *,
              task: Task, facts: DatasetFacts, batch_size: int, show_progress: bool, seed: int) -> dict[str, Any]:
    """A compound probe's result: each of its changed splits run through the engine, combined by the probe."""
    variants = [variant for variant in probe.variants(split, seed=seed) if any(variant.changed)]
    if not variants:
        return {"probe": probe.name, "kind": probe.kind, "changed": 0, "note": "changed no example"}
    rows = [evaluate(loaded, variant.split, task=task, facts=facts, batch_size=batch_size, show_progress=show_progress,
                     description=f"probe {probe.name} {n}/{len(variants)}").examples
            for n, variant in enumerate(variants, start=1)]
    return {"probe": probe.name, "kind": probe.kind,
            **probe.combine(split, base_rows, variants, rows, base_metrics=base_metrics, seed=seed)}


def _not_applicable(probe: Any, task: str, labels: list[str]) -> str | None:
    return get_task(task).probe_not_applicable(probe, labels)


def _interval(values: np.ndarray, seed: int) -> list[float] | None:
    if len(values) == 0:
        return None
    interval = mean_intervals({"rate": np.asarray(values, dtype=float)}, seed=seed)["rate"]
    return [interval.low, interval.high]


def _calibration(task: str, rows: list[dict[str, Any]], seed: int) -> dict[str, Any] | None:
    """ECE, reliability bins and risk-coverage of the unchanged split, for models that give scores."""
    from benchhub.metrics import calibration

    inputs = get_task(task).calibration_inputs(rows)
    if inputs is None:
        return None
    confidences, correct = inputs["confidences"], inputs["correct"]
    coverage, risk, area = calibration.risk_coverage(confidences, correct)
    return {
        "confidence": inputs["confidence"],
        "correct": inputs["quality"],
        "ece": calibration.expected_calibration_error(confidences, np.clip(correct, 0.0, 1.0), n_bins=15),
        "reliability": calibration.reliability_bins(confidences, np.clip(correct, 0.0, 1.0), n_bins=15),
        "aurc": float(area),
        "risk_coverage": {"coverage": [float(c) for c in coverage], "risk": [float(r) for r in risk]},
    }


def _summary(results: list[dict[str, Any]], calibration: dict[str, Any] | None) -> dict[str, Any]:
    invariance = [r for r in results if r["kind"] == "INV" and "flip_rate" in r]
    direction = [r for r in results if r["kind"] == "DIR" and "violation_rate" in r]
    templates = [r for r in results if r["kind"] == "MFT"]
    return {
        "flip_rate": float(np.mean([r["flip_rate"] for r in invariance])) if invariance else None,
        "worst_drop_points": max((r["drop_points"] for r in invariance), default=None),
        "worst_probe": max(invariance, key=lambda r: r["drop_points"])["probe"] if invariance else None,
        "violation_rate": float(np.mean([r["violation_rate"] for r in direction])) if direction else None,
        "mft_failure_rate": float(np.mean([r["failure_rate"] for r in templates])) if templates else None,
        "guessing_rate": next((r["guessing_rate"] for r in results if "guessing_rate" in r), None),
        "circular_acc": next((r["circular_acc"]["value"] for r in results if "circular_acc" in r), None),
        "ece": calibration["ece"] if calibration else None,
    }


def _suite(suite: str, task: str, facts: DatasetFacts) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """The probes and template tests of a suite, and a document that fixes it (for the cache key)."""
    if suite == DEFAULT_SUITE:
        probes, templates = get_task(task).default_probes(facts)
    else:
        path = Path(suite)
        if not path.is_file():
            raise InvalidInputError(f"--suite {suite!r} is neither 'default' nor a suite file (YAML).")
        probes, templates = get_task(task).suite_probes(path, list(facts.labels))
    document = {"probes": [_describe(p) for p in probes], "templates": [_describe(t) for t in templates]}
    return probes, templates, document


def _describe(thing: Any) -> dict[str, Any]:
    """A probe's identity for the cache key: its name and its public settings."""
    fields = {k: v for k, v in vars(thing).items() if not k.startswith("_") and isinstance(v, (str, int, float, bool, list, tuple, dict))}
    return {"name": thing.name, "class": type(thing).__name__, **fields}


