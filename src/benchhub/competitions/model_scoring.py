"""Running a submitted model on its phase's hidden split, in a process of its own under the phase's limits.

    score_claimed (queue) ──▶ run_submitted_model ──▶ child: load, predict every example, write the predictions
                                   │                         file, then time batch 1 and batch 32 on synthetic inputs,
                                   │                         and run the default invariance probes on the public half
                                   │◀── peak memory, or a stop at the phase's time or memory limit
                                   └──▶ the predictions file, scored by `scoring` exactly like a submitted one

The child reads only the split file and the model folder and writes only into a run folder of its own;
it never opens the database. What it writes (predictions of the hidden split) is read by the worker,
scored, and removed; nothing of it reaches the participant but the halves' metrics and the measurements.

A model that breaks a limit, raises, or dies ends its submission as failed at once (running it again
would break the limit again), with a reason its participant may read: the limit it broke, or that it
failed while running, never the exception's text (it may quote hidden inputs); maintainers read that
in the job's error (`submissions.scoring_errors`). A worker killed while its model runs is no fault of the
model: the model's process sees it gone, removes its run folder and ends, and once the worker's lease expires
another worker runs the model again.

Fairness: model scoring stays in the scoring queue (`competitions.queue`), not in `evaluation_jobs`: a
submission's score versions, rescores, leases and exactly-once writes live there, and a participant's
share of the hub's time is already bounded by the phase's submission limits (per day, in total, failed per
day) times its time limit, which the maintainers set.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchhub.data.records import DatasetFacts, Split
from benchhub.executors.limited_process import (
    own_memory_mb,
    own_process_group,
    run_limited,
    worker_alive,
)
from benchhub.probes.base import is_compound, probe_model

# Measured by the host: the median latency of one example, and examples a second at batch 32, at this length (or at
# the model's own limit, where it takes fewer tokens).
SEQ_LEN = 128
BATCH_SIZES = (1, 32)
RUN_BATCH_SIZE = 32
# Fault injection for tests, read by the model's process: "sleep:S" (S seconds before loading the model),
# "allocate:MB" (holds MB of memory, then sleeps).
FAULT_VARIABLE = "BENCHHUB_MODEL_SCORING_FAULT"
PREDICTED, MEASURED, FAILED_FILE = "predicted", "measurements.json", "error.json"
NA_PROBS = "na_probs.json"  # beside the predictions, where the family writes them (`Task.write_na_probs`)
# Time the host's own measurements may take after the predictions are written, beyond the phase's limit.
MEASURING_ALLOWANCE_SECONDS = 120


class ModelRunFailed(Exception):
    """The model broke a limit or failed: `public` is its participant's one line, `cause` the maintainers'."""

    def __init__(self, public: str, cause: str) -> None:
        super().__init__(cause)
        self.public, self.cause = public, cause


@dataclass(frozen=True)
class ModelRun:
    """A submitted model's predictions file over the whole split, and what the host measured."""

    predictions: Path
    measurements: dict[str, Any]
    folder: Path
    na_probs: Path | None = None  # the no-answer probabilities of a QA model, scored with its answers

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def run_submitted_model(*, model_folder: Path, runtime: str, split_path: Path, split_name: str, task: str,
                        facts: DatasetFacts, settings: dict[str, Any], limits: dict[str, int], work: Path,
                        label: str, public: list[int]) -> ModelRun:
    """Runs the model in a child process under `limits`; the predictions land in a fresh folder under `work`.
    `public` are the positions of the split's public half, where the probes run."""
    folder = work / f"run-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    time_limit = limits["time_limit_seconds"]
    try:
        ended = run_limited(
            run_in_child, (str(model_folder), runtime, str(split_path), split_name, task, facts.labels, facts.options,
                           settings, str(folder), public, os.getpid(), 2 * time_limit + MEASURING_ALLOWANCE_SECONDS,
                           os.environ.get(FAULT_VARIABLE, "")),
            time_limit_seconds=time_limit, memory_limit_mb=limits["memory_limit_mb"], whose="the phase's",
            time_limit_applies=lambda: not (folder / PREDICTED).exists() or _measuring_over(folder, time_limit),
            name=f"benchhub-model-{label}")
        if ended.stop is not None:
            raise ModelRunFailed(f"The model was stopped: {ended.stop.reason}.", f"stopped: {ended.stop.reason}")
        if (folder / FAILED_FILE).is_file():
            error = json.loads((folder / FAILED_FILE).read_text(encoding="utf-8"))
            raise ModelRunFailed(
                "The model failed while running on the phase's split; the maintainers can see the cause.",
                f"the model failed: {error['error']}\n{error['log']}")
        if ended.exitcode != 0 or not (folder / MEASURED).is_file():
            raise ModelRunFailed(f"The model's process ended without a result (exit code {ended.exitcode}).",
                                 f"the model's process ended without a result (exit code {ended.exitcode})")
        measured = json.loads((folder / MEASURED).read_text(encoding="utf-8"))
        measured["peak_memory_mb"] = round(max(ended.peak_memory_mb, measured.pop("own_memory_mb", None) or 0.0), 1)
        na_probs = measured.pop("na_probs_file", None)
        return ModelRun(folder / measured.pop("predictions_file"), measured, folder,
                        folder / na_probs if na_probs else None)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _measuring_over(folder: Path, time_limit: int) -> bool:
    """Whether the host's measurements, after the predictions, ran past their own allowance."""
    try:
        predicted = (folder / PREDICTED).stat().st_mtime
    except OSError:
        return False
    return time.time() - predicted > time_limit + MEASURING_ALLOWANCE_SECONDS


def run_in_child(model_folder: str, runtime: str, split_path: str, split_name: str, task_name: str, labels: list[str],
                 options: dict[str, Any], settings: dict[str, Any], folder: str, public: list[int], worker_pid: int,
                 deadline_seconds: float, fault: str = "") -> None:
    """The model's process: predicts every example of the split into a predictions file, then times the model
    and runs the task's default invariance probes on the public half."""
    own_process_group()
    out = Path(folder)
    _watch_worker(worker_pid, deadline_seconds, out)
    try:
        _inject_fault(fault)
        from benchhub.engine.latency import BenchBudget, Subject, measure
        from benchhub.engine.provenance import hardware
        from benchhub.engine.runner import run_model
        from benchhub.tasks.registry import get_task

        task, facts = get_task(task_name), DatasetFacts(labels=list(labels), options=dict(options))
        split = Split.read_jsonl(split_name, Path(split_path))
        started = time.perf_counter()
        model = task.load_network(Path(model_folder), facts, label_map=None, settings=settings, runtime=runtime)
        loaded = time.perf_counter()
        run = run_model(model, split, batch_size=RUN_BATCH_SIZE, show_progress=False, description="submission")
        predictions = task.collect(model, split, run, facts)
        name = f"predictions{Path(task.predictions_filename).suffix}"
        task.write_predictions(out / name, split, predictions, facts)
        na_probs = NA_PROBS if task.write_na_probs(out / NA_PROBS, split, predictions) else None
        (out / PREDICTED).touch()
        budget = BenchBudget(warmup_calls=1, warmup_seconds=0.1, min_timings=5, min_seconds=0.3, max_seconds=10.0)
        seq_len = min(SEQ_LEN, getattr(model, "max_length", None) or SEQ_LEN)
        stats = measure([Subject("submission", model, task, facts)], batch_sizes=BATCH_SIZES, seq_lens=(seq_len,),
                        budget=budget, show_progress=False)
        by_batch = {stat.batch_size: stat for stat in stats}
        flips = probe_flip_rates(model, split.subset(public), task, facts)
        measured = {
            # Label-free, and on the public half only (as the public metrics): the share of changed examples whose
            # prediction a probe flipped, averaged over the task's default invariance probes (lower is sturdier).
            "flip_rate": round(sum(flips.values()) / len(flips), 4) if flips else None,
            "probes": {name: round(rate, 4) for name, rate in flips.items()},
            "latency_ms": round(by_batch[1].p50_ms, 3), "latency_ms_p90": round(by_batch[1].p90_ms, 3),
            "throughput": round(by_batch[32].throughput, 2), "latency_ms_batch32": round(by_batch[32].p50_ms, 3),
            # No time over the hidden split: it would tell the total length of inputs never released.
            "seq_len": seq_len, "runtime": runtime, "load_seconds": round(loaded - started, 3),
            **_generation_measurements(by_batch[1].generation),
            "machine": hardware(), "predictions_file": name, "na_probs_file": na_probs,
        }
        (out / MEASURED).write_text(json.dumps({**measured, "own_memory_mb": own_memory_mb()}), encoding="utf-8")
    except BaseException as exc:  # noqa: BLE001 - the worker reads the cause; the participant sees a generic line
        first = str(exc).splitlines()[0] if str(exc) else ""
        (out / FAILED_FILE).write_text(json.dumps({"error": f"{type(exc).__name__}: {first}",
                                                   "log": traceback.format_exc()}), encoding="utf-8")
        raise SystemExit(1) from None


def _generation_measurements(generation: Any) -> dict[str, Any]:
    """A generating model's tokens per second and time to first token at batch 1 (none for other models)."""
    if generation is None:
        return {}
    ttft = generation.ttft_p50_ms
    return {"tokens_per_second": round(generation.tokens_per_second, 2), "ttft_ms": None if ttft is None else round(ttft, 3)}


def probe_flip_rates(model: Any, split: Split, task: Any, facts: DatasetFacts) -> dict[str, float]:
    """Each default invariance probe's flip rate over the examples it changed (seed 0, as `benchhub probe`).

    A probe that turns answerable questions unanswerable is left out: the answer should change there (to none), so
    its flips are no sign of fragility."""
    from benchhub.engine.evaluate import evaluate

    probes, _ = task.default_probes(facts)
    invariance = [p for p in probes if p.kind == "INV" and not getattr(p, "converts_to_unanswerable", False)
                  and task.probe_not_applicable(p, list(facts.labels)) is None]
    if not invariance or len(split) == 0:
        return {}
    base = evaluate(model, split, task=task, facts=facts, batch_size=RUN_BATCH_SIZE, show_progress=False)
    before = {row["id"]: task.probe_answer(row) for row in base.examples}
    rates = {}
    for probe in invariance:
        if is_compound(probe):
            rates.update(_compound_flip_rate(model, split, task, facts, probe, base))
            continue
        runner = probe_model(probe, model)
        perturbed = probe.apply(split, seed=0)
        changed = [i for i, flag in zip(perturbed.split.ids, perturbed.changed) if flag]
        if runner is None or not changed:
            continue
        after = {row["id"]: task.probe_answer(row) for row in
                 evaluate(runner, perturbed.split, task=task, facts=facts, batch_size=RUN_BATCH_SIZE, show_progress=False).examples}
        rates[probe.name] = sum(before[i] != after[i] for i in changed) / len(changed)
    return rates


def _compound_flip_rate(model: Any, split: Split, task: Any, facts: DatasetFacts, probe: Any,
                        base: Any) -> dict[str, float]:
    """A compound probe's flip rate (each of its changed splits run, combined by the probe), or nothing where it changed none."""
    from benchhub.engine.evaluate import evaluate

    variants = [variant for variant in probe.variants(split, seed=0) if any(variant.changed)]
    if not variants:
        return {}
    rows = [evaluate(model, variant.split, task=task, facts=facts, batch_size=RUN_BATCH_SIZE, show_progress=False).examples
            for variant in variants]
    return {probe.name: probe.combine(split, base.examples, variants, rows, base_metrics=base.metrics, seed=0)["flip_rate"]}


def _watch_worker(worker_pid: int, deadline_seconds: float, folder: Path) -> None:
    """Ends this process if its worker dies (nobody would enforce the limits then, nor remove the run folder, so it
    removes `folder` itself) or, as a backstop, at a deadline past every limit; the worker's lease then expires and
    another worker runs the model again."""
    import threading

    started = time.monotonic()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if not worker_alive(worker_pid):
                # Renamed first, so that nothing this process still writes lands in a folder being removed.
                gone = folder.with_name(f"{folder.name}.gone")
                try:
                    folder.rename(gone)
                except OSError:
                    gone = folder
                shutil.rmtree(gone, ignore_errors=True)
                os._exit(3)
            if time.monotonic() - started > deadline_seconds:
                os._exit(3)

    threading.Thread(target=watch, name="benchhub-model-watch", daemon=True).start()


def _inject_fault(fault: str) -> None:
    kind, _, amount = fault.partition(":")
    if kind == "sleep":
        time.sleep(float(amount))
    elif kind == "allocate":
        held = bytearray(int(float(amount) * 1024 * 1024))
        held[::4096] = b"\x01" * len(held[::4096])  # touch every page, so it is resident
        time.sleep(60)
