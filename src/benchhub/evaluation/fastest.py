"""`benchhub optimize --variants`: try every variant this machine can run, gate each, keep the fastest per workload.

For a registered transformers model the candidates (see `optimize.candidates`) are built in a scratch
folder: the ONNX export once (fused), its int8 quantization, and PyTorch variants at other precisions,
which need no files. Each is gated on the evaluation split (fp32: logits within 1e-4 of PyTorch's;
reduced precision: the primary metric within `tolerance` points, agreement reported). Then PyTorch fp32
and every gated candidate are timed in one interleaved run for each workload: latency at batch 1 at the
split's median token length, throughput at batch 32 at its 90th percentile (what a batch of 32 pads to).
The fastest gated variant of each workload is registered (`MODEL@fast-b1`, `MODEL@fast-b32`, or as
named) with its lineage, the machine it was chosen on and the measurements; those measurements are
stored as speed runs, so leaderboards show them. Nothing is registered when PyTorch fp32 is fastest.
Choosing is deterministic given the measurements: ties go to the candidate listed first.
"""

from __future__ import annotations

import math
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from benchhub.catalog.datasets import load_split
from benchhub.catalog.models import (
    checkpoint_folder,
    get_model_row,
    model_record,
    onnx_model_fingerprint,
    transformers_fingerprint,
)
from benchhub.engine.evaluate import evaluate
from benchhub.engine.latency import BenchBudget, LatencyStats, Subject, measure
from benchhub.engine.provenance import hardware, package_versions
from benchhub.errors import BenchhubError, InvalidInputError, NameTakenError
from benchhub.evaluation.evaluations import (
    dataset_facts,
    model_settings,
    run_evaluation,
    train_split,
)
from benchhub.evaluation.speed import MAX_SEQ_LEN, speed_run_row
from benchhub.evaluation.variants import copy_folder, gate_dataset, network_adapter
from benchhub.models.checkpoints import folder_size
from benchhub.models.fingerprints import FINGERPRINT_VERSION
from benchhub.models.runtime import torch_runtime
from benchhub.naming import check_name
from benchhub.optimize.candidates import (
    Candidate,
    Machine,
    select_candidates,
    this_machine,
)
from benchhub.optimize.failures import root_cause
from benchhub.optimize.gate import METRIC_TOLERANCE_POINTS, logits_parity, metric_check
from benchhub.results import FastestResult, VariantTrial
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import commit_or_undo
from benchhub.store.tables import ModelRow
from benchhub.tasks.registry import get_task

SOURCE = "torch-fp32"  # the source model itself, the reference every variant is measured against
WORKLOADS = {"b1": (1, 50), "b32": (32, 90)}  # workload -> (batch size, percentile of the token lengths)


def parse_profile(profile: str) -> dict[str, int | None]:
    """The workloads to choose for, each with its token length if fixed: "b1,b32" (the default), "b32",
    "b1@64,b32@256" (a length per workload)."""
    chosen: dict[str, int | None] = {}
    for part in (piece.strip() for piece in profile.split(",")):
        workload, _, length = part.partition("@")
        if workload not in WORKLOADS or workload in chosen:
            raise InvalidInputError(f"--profile {profile!r} is not a list of distinct workloads from b1 (batch 1 latency), "
                                    "b32 (batch 32 throughput), each optionally @TOKENS; e.g. --profile b1,b32@128.")
        if length and not (length.isdigit() and 1 <= int(length) <= MAX_SEQ_LEN):
            raise InvalidInputError(f"--profile {part!r}: the token length must be an int in the range [1, {MAX_SEQ_LEN}].")
        chosen[workload] = int(length) if length else None
    return chosen


def optimize_fastest(session: Session, artifacts: ArtifactStore, *, model: str, variants: str = "auto",
                     dataset: str | None = None, split: str = "test", tolerance: float = METRIC_TOLERANCE_POINTS,
                     names: dict[str, str | None] | None = None, batch_size: int = 32,
                     settings: dict[str, Any] | None = None, budget: BenchBudget | None = None,
                     machine: Machine | None = None, seq_len: int | None = None, profile: str = "b1,b32",
                     recheck: bool = False,
                     show_progress: bool = True,
                     echo: Callable[[str], None] = lambda line: None) -> FastestResult:
    """See the module docstring. `names` maps a workload (b1, b32) to the name to register its winner as.
    `profile` names the workloads to choose for (`parse_profile`); `seq_len` times every workload without a
    length of its own at that many tokens instead of the split's own lengths.
    `recheck` times every gated variant once more, in a second interleaved run the choice did not see, and
    reports it (`FastestResult.recheck`): how far a choice holds up beyond the noise of one run."""
    if not 0 <= tolerance < math.inf:
        raise InvalidInputError(f"--tolerance must be a number of points in the range [0, inf). Got {tolerance} instead.")
    if seq_len is not None and (isinstance(seq_len, bool) or not isinstance(seq_len, int) or not 1 <= seq_len <= MAX_SEQ_LEN):
        raise InvalidInputError(f"--seq-len must be an int in the range [1, {MAX_SEQ_LEN}]. Got {seq_len!r} instead.")
    source = get_model_row(session, model)
    if source.kind != "transformers" or (source.options or {}).get("precision", "fp32") != "fp32":
        raise InvalidInputError(f"Model {model!r} is a {_kind(source)} model; optimize makes variants of a transformers "
                                "checkpoint at fp32 (optimize that one).")
    machine = machine or this_machine()
    selection = select_candidates(variants, machine)
    workloads = parse_profile(profile)
    targets = {workload: check_name((names or {}).get(workload) or f"{model}@fast-{workload}", "Model") for workload in workloads}
    if len(set(targets.values())) < len(targets):
        raise InvalidInputError("The batch-1 and batch-32 winners need two names; give --name-b1 and --name-b32 apart.")
    for target in targets.values():
        if session.scalar(select(ModelRow.id).where(ModelRow.name == target)) is not None:
            raise NameTakenError(f"A model named {target!r} already exists; choose another with --name-b1/--name-b32, "
                                 f"or remove it (`benchhub model remove {target}`).")
    dataset_row = gate_dataset(session, source, dataset)
    task, facts = get_task(dataset_row.task), dataset_facts(dataset_row)
    split_data = load_split(artifacts, dataset_row, split)
    overrides = {key: value for key, value in (settings or {}).items() if value is not None}
    settings = model_settings(task, "transformers", overrides)
    checkpoint = checkpoint_folder(source, artifacts)
    echo(f"Machine: {machine.describe()}")
    for name, why in selection.skipped:
        echo(f"  skipping {name}: {why}")
    echo(f"Evaluating the source model {model} on {dataset_row.name}/{split} ...")
    source_evaluation = run_evaluation(session, artifacts, model=model, dataset=dataset_row.name, split=split,
                                       batch_size=batch_size, settings=overrides, show_progress=show_progress)
    source_rows = artifacts.read_jsonl_gz(artifacts.path(source_evaluation.predictions_path))
    reference = network_adapter(checkpoint, dataset_row, source, settings, "torch")
    lengths = [reference.length(item) for item in reference.encode(split_data)]
    seq_lens = {workload: fixed or seq_len or _percentile_length(lengths, WORKLOADS[workload][1])
                for workload, fixed in workloads.items()}

    trials: dict[str, dict[str, Any]] = {}
    adapters: dict[str, Any] = {SOURCE: reference}
    outputs: dict[str, Any] = {}  # a reduced-precision candidate's evaluation output from its gate, stored if it wins
    with tempfile.TemporaryDirectory(dir=artifacts.root, prefix=".optimize-") as scratch:
        calibration = _calibration_split(artifacts, dataset_row, split_data, selection.chosen, echo)
        folders = _build_onnx(checkpoint, task.name, [c for c in selection.chosen if c.engine == "onnx"], Path(scratch),
                              trials, echo, calibrate=lambda folder: _calibration_feeds(
                                  network_adapter(folder, dataset_row, source, settings, "onnx"), calibration))
        gate = _Gate(reference, split_data, task, facts, source_evaluation.metrics, source_rows, tolerance, batch_size,
                     show_progress)
        for candidate in selection.chosen:
            if candidate.name in trials:  # its build failed
                continue
            folder = folders.get(candidate.name, checkpoint)
            runtime = "onnx" if candidate.engine == "onnx" else torch_runtime(candidate.precision, candidate.compiled)
            echo(f"Gating {candidate.name} ({candidate.description}) ...")
            trials[candidate.name], adapter, output = gate(
                candidate, lambda: network_adapter(folder, dataset_row, source, settings, runtime))
            echo("  " + trials[candidate.name]["said"])
            if adapter is not None:
                adapters[candidate.name], outputs[candidate.name] = adapter, output
        stats = _measure(adapters, task, facts, seq_lens, budget, show_progress, echo)
        chosen = _choose(stats)
        rechecked = {}
        if recheck:
            echo("Timing every gated variant again, to check the choice ...")
            again = _measure(adapters, task, facts, seq_lens, budget, show_progress, echo)
            rechecked = {name: _measured(again, name, seq_lens) for name in again}
        machine_facts, run_id, packages = hardware(), uuid.uuid4().hex, package_versions()
        registered, evaluations, placed = {}, {}, []
        speed_rows = [speed_run_row(run_id, source, dataset_row, stat, reference, threads=None, machine=machine_facts,
                                    packages=packages, budget=budget) for stat in stats[SOURCE].values()]
        for workload, variant in chosen.items():
            if variant == SOURCE:
                echo(f"PyTorch fp32 is the fastest at batch {WORKLOADS[workload][0]}; nothing to register for it.")
                continue
            candidate = next(c for c in selection.chosen if c.name == variant)
            lineage = {"source": model, "variant": variant, "description": candidate.description, "chosen_for": workload,
                       "chosen_on": machine.describe(), "gate": {"dataset": dataset_row.name, "split": split,
                                                                "check": trials[variant]["gate"]},
                       "measured": _measured(stats, variant, seq_lens)}
            made = next((row for earlier, row in registered.items() if chosen[earlier] == variant), None)
            row, folder = _variant_row(artifacts, targets[workload], source, candidate, checkpoint, folders.get(variant),
                                       lineage, same_as=made)
            placed += [folder] if folder else []
            speed_rows += [speed_run_row(run_id, row, dataset_row, stat, adapters[variant], threads=None,
                                         machine=machine_facts, packages=packages, budget=budget)
                           for stat in stats[variant].values()]
            registered[workload] = row
        # Both winners and every measurement in one commit; the folders placed for them go if it fails.
        commit_or_undo(session, *registered.values(), *speed_rows, undo=lambda: [artifacts.remove(f) for f in placed])
        for workload, row in registered.items():
            # The winner as gated and timed, still loaded: a reduced-precision one stores its gate's output as its
            # evaluation, an fp32 one (gated on logits) is evaluated once; neither is loaded or compiled again.
            echo(f"Registered {row.name} ({chosen[workload]}); evaluating it on {dataset_row.name}/{split} ...")
            evaluations[workload] = run_evaluation(session, artifacts, model=row.name, dataset=dataset_row.name, split=split,
                                                   batch_size=batch_size, settings=overrides, show_progress=show_progress,
                                                   loaded=adapters[chosen[workload]], output=outputs[chosen[workload]])
    rows = [VariantTrial(variant=SOURCE, description="PyTorch, fp32 (the source)", passed=True, gate=None,
                         **_speeds(stats, SOURCE))]
    for candidate in selection.chosen:
        trial = trials[candidate.name]
        rows.append(VariantTrial(variant=candidate.name, description=candidate.description, passed=trial["passed"],
                                 gate=trial.get("gate"), error=trial.get("error"), **_speeds(stats, candidate.name)))
    return FastestResult(
        source=model, dataset=dataset_row.name, split=split, machine=machine.describe(), seq_lens=seq_lens,
        trials=rows, skipped=[{"variant": name, "why": why} for name, why in selection.skipped], chosen=chosen,
        registered={workload: model_record(row) for workload, row in registered.items()}, evaluations=evaluations,
        source_evaluation=source_evaluation, recheck=rechecked,
    )


class _Gate:
    """Checks one candidate against the source on the split: fp32 ones on every raw output (logits within 1e-4),
    reduced-precision ones on the primary metric (within `tolerance` points). A candidate this machine cannot run
    (a compiler missing, an op without a kernel) fails with its root cause, and the others go on."""

    def __init__(self, reference: Any, split: Any, task: Any, facts: Any, metrics: dict[str, Any],
                 rows: list[dict[str, Any]], tolerance: float, batch_size: int, show_progress: bool) -> None:
        self.reference, self.split, self.task, self.facts, self.metrics, self.rows = reference, split, task, facts, metrics, rows
        self.tolerance, self.batch_size, self.show_progress = tolerance, batch_size, show_progress

    def __call__(self, candidate: Candidate, load: Callable[[], Any]) -> tuple[dict[str, Any], Any | None, Any | None]:
        """(the trial: gate, passed, what to say; the loaded candidate when it passed, else None; its evaluation
        output when the gate evaluated it, else None)."""
        output = None
        try:
            adapter = load()
            if candidate.exact:
                check = logits_parity(self.reference, adapter, self.split, batch_size=self.batch_size)
            else:
                output = evaluate(adapter, self.split, task=self.task, facts=self.facts, batch_size=self.batch_size,
                                  show_progress=self.show_progress, description=f"{candidate.name} on {self.split.name}")
                check = metric_check(self.task.primary_metric, self.task.metric_scale, self.metrics, output.metrics,
                                     self.rows, output.examples, tolerance_points=self.tolerance)
        except Exception as exc:  # noqa: BLE001 - any failure to run means this candidate is out, not the command
            error = f"{type(exc).__name__}: {root_cause(exc)}"
            return {"passed": False, "error": error, "said": f"could not run it: {error}"}, None, None
        said = f"{check.describe()}: {'passed' if check.passed else 'FAILED'}"
        if not check.passed:
            return {"gate": check.to_dict(), "passed": False, "said": said}, None, None
        return {"gate": check.to_dict(), "passed": True, "said": said}, adapter, output


def _kind(row: ModelRow) -> str:
    precision = (row.options or {}).get("precision")
    return f"{row.kind} ({precision})" if precision and precision != "fp32" else row.kind


def _percentile_length(lengths: list[int], percent: int) -> int:
    """The token length at `percent` of the split's inputs, rounded up to a multiple of 8 (at least 8)."""
    value = float(np.percentile(lengths, percent)) if lengths else 128.0
    return max(8, int(math.ceil(value / 8.0)) * 8)


CALIBRATION_EXAMPLES = 128
CALIBRATION_BATCH = 8


def _calibration_split(artifacts: ArtifactStore, dataset_row: Any, split_data: Any, candidates: list[Candidate],
                       echo: Callable[[str], None]) -> Any:
    """The first examples of the train split, which static quantization calibrates its scales on; the evaluation
    split only when the dataset has no train split (said), since activation ranges are all it learns from it."""
    if not any(c.quantization == "static-int8" for c in candidates):
        return None
    train = train_split(artifacts, dataset_row)
    if train is None:
        echo(f"  no train split: onnx-int8-static calibrates on the first examples of {split_data.name}")
        train = split_data
    return train.subset(list(range(min(CALIBRATION_EXAMPLES, len(train)))))


def _calibration_feeds(adapter: Any, split: Any) -> list[dict[str, Any]]:
    """The network inputs the adapter builds for `split`, batch by batch, as the runtime receives them."""
    feeds, forward = [], adapter.forward_batch
    adapter.forward_batch = lambda batch: (feeds.append(batch), forward(batch))[1]
    try:
        items = adapter.encode(split)
        for start in range(0, len(items), CALIBRATION_BATCH):
            adapter.forward(items[start:start + CALIBRATION_BATCH])
    finally:
        adapter.forward_batch = forward
    return feeds


def _build_onnx(checkpoint: Path, task: str, candidates: list[Candidate], scratch: Path, trials: dict[str, dict[str, Any]],
                echo: Callable[[str], None], *, calibrate: Callable[[Path], list[dict[str, Any]]]) -> dict[str, Path]:
    """The ONNX candidates' folders: one fused fp32 export, its dynamic int8 quantization and its fp16 conversion;
    for static int8 an unfused export, calibrated and quantized. A build that fails marks its candidates failed
    (in `trials`) and the others go on."""
    from benchhub.optimize.export import export_onnx
    from benchhub.optimize.graph import (
        convert_fp16,
        quantize_int8,
        quantize_static_int8,
    )

    folders: dict[str, Path] = {}
    exports: dict[bool, Any] = {}
    for candidate in candidates:
        fused = candidate.quantization != "static-int8"
        try:
            if fused not in exports:
                echo(f"Exporting to ONNX{' and fusing it for ONNX Runtime' if fused else ' (unfused, for static quantization)'} ...")
                exports[fused] = export_onnx(checkpoint, task, scratch / ("fp32" if fused else "plain"), fuse=fused)
            exported = exports[fused]
            if candidate.exact:
                folders[candidate.name] = exported.path.parent
                continue
            target = scratch / candidate.name
            target.mkdir()
            copy_folder(exported.path.parent, target, skip_model=True)
            echo(f"{'Converting' if candidate.quantization == 'none' else 'Quantizing'} {candidate.name} ...")
            if candidate.quantization == "none":
                convert_fp16(exported.path, target / exported.path.name)
            elif candidate.quantization == "static-int8":
                quantize_static_int8(exported.path, target / exported.path.name, calibrate(exported.path.parent))
            else:
                quantize_int8(exported.path, target / exported.path.name)
            folders[candidate.name] = target
        except BenchhubError as error:
            trials[candidate.name] = {"passed": False, "error": str(error)}
    return folders


def _measure(adapters: dict[str, Any], task: Any, facts: Any, seq_lens: dict[str, int], budget: BenchBudget | None,
             show_progress: bool, echo: Callable[[str], None]) -> dict[str, dict[str, LatencyStats]]:
    """Each workload timed for every gated variant and the source, interleaved; variant -> workload -> stats."""
    subjects = [Subject(name, adapter, task, facts) for name, adapter in adapters.items()]
    stats: dict[str, dict[str, LatencyStats]] = {name: {} for name in adapters}
    for workload in seq_lens:
        batch = WORKLOADS[workload][0]
        echo(f"Timing batch {batch} at {seq_lens[workload]} tokens, {len(subjects)} variants interleaved ...")
        for stat in measure(subjects, batch_sizes=[batch], seq_lens=[seq_lens[workload]], budget=budget,
                            show_progress=show_progress):
            stats[stat.model][workload] = stat
    return stats


def _choose(stats: dict[str, dict[str, LatencyStats]]) -> dict[str, str]:
    """Batch 1: the lowest median latency; batch 32: the highest throughput; ties to the one listed first."""
    order = list(stats)
    rank = {"b1": lambda stat: stat.p50_ms, "b32": lambda stat: -stat.throughput}
    return {workload: min(order, key=lambda name: (rank[workload](stats[name][workload]), order.index(name)))
            for workload in stats[order[0]]}


def _measured(stats: dict[str, dict[str, LatencyStats]], variant: str, seq_lens: dict[str, int]) -> dict[str, Any]:
    mine, base = stats[variant], stats[SOURCE]
    measured: dict[str, Any] = {"seq_lens": dict(seq_lens), "latency_b1_ms": None, "throughput_b32": None,
                                "speedup_b1": None, "speedup_b32": None}
    if "b1" in mine:
        measured.update(latency_b1_ms=mine["b1"].p50_ms, speedup_b1=base["b1"].p50_ms / mine["b1"].p50_ms)
    if "b32" in mine:
        measured.update(throughput_b32=mine["b32"].throughput, speedup_b32=mine["b32"].throughput / base["b32"].throughput)
    return measured


def _speeds(stats: dict[str, dict[str, LatencyStats]], variant: str) -> dict[str, Any]:
    if variant not in stats:  # not timed: its build or its gate failed
        return {"latency_b1_ms": None, "throughput_b32": None, "speedup_b1": None, "speedup_b32": None}
    measured = _measured(stats, variant, {})
    return {key: measured[key] for key in ("latency_b1_ms", "throughput_b32", "speedup_b1", "speedup_b32")}


def _variant_row(artifacts: ArtifactStore, name: str, source: ModelRow, candidate: Candidate, checkpoint: Path,
                 folder: Path | None, lineage: dict[str, Any], *, same_as: ModelRow | None = None) -> tuple[ModelRow, str | None]:
    """The row of a chosen variant, not yet committed, and the hub folder placed for it (None: no files of its own).

    A PyTorch variant is the source's checkpoint at its precision; an ONNX one is a copy of its staged folder in
    the hub, or, when `same_as` (the other workload chose the same variant), that model's folder.
    """
    # A PyTorch variant shares the source's files, wherever they are kept ("in_hub": inside the artifact store).
    kept = {key: source.options[key] for key in ("revision", "label_map", "in_hub") if source.options.get(key)}
    info = {**dict(source.info), "fingerprint_version": FINGERPRINT_VERSION}
    if same_as is not None and candidate.engine == "onnx":
        options = {**kept, "in_hub": True, "lineage": lineage}
        return ModelRow(name=name, kind="onnx", source=same_as.source, fingerprint=same_as.fingerprint, options=options,
                        info=dict(same_as.info), parent_id=source.id), None
    if candidate.engine == "torch":
        options = {**kept, "precision": candidate.precision, "compiled": candidate.compiled, "lineage": lineage}
        return ModelRow(name=name, kind="transformers", source=source.source, options=options, parent_id=source.id,
                        fingerprint=transformers_fingerprint(checkpoint, options),
                        info={**info, "runtime": "torch", "precision": candidate.precision,
                              "compiled": candidate.compiled}), None
    relative = f"models/{name}"
    options = {**kept, "in_hub": True, "lineage": lineage}
    with artifacts.new_folder(relative) as staging:
        copy_folder(folder, staging)
        fingerprint = onnx_model_fingerprint(staging, options)
        info = {**info, "runtime": "onnx", "precision": candidate.precision, "quantization": candidate.quantization,
                "fused": candidate.quantization != "static-int8",
                "size_bytes": folder_size(staging), "source_size_bytes": folder_size(checkpoint)}
    return ModelRow(name=name, kind="onnx", source=relative, fingerprint=fingerprint, options=options, info=info,
                    parent_id=source.id), relative
