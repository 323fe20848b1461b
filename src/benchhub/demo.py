"""The offline end-to-end tour behind `benchhub demo` and `make demo`.

One tour per task family that has one (`Task.demo`). Each registers a bundled sample dataset, fine-tunes all-MiniLM-L6-v2
on its train split (cached after the first run), evaluates the result next to every built-in
baseline and prints the leaderboard with a plain verdict against the named baseline — also when
the transformer loses. The classification tour then exports its model to ONNX and int8 (each
behind its accuracy gate), measures the three side by side and writes an HTML report.
Everything runs locally on CPU.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from benchhub.errors import (
    BenchhubError,
    DatasetNotFoundError,
    InvalidInputError,
    ModelNotFoundError,
)
from benchhub.hub import Hub
from benchhub.models.pretrained import MINILM_SHA256, minilm_folder
from benchhub.results import Leaderboard
from benchhub.tasks.base import DemoTour, Task, metric_sign
from benchhub.tasks.registry import TASKS
from benchhub.units import change_text

Echo = Callable[[str], None]
# A tour's model evaluated on another family's sample (`DemoTour.generates`): its prompt (the input cut at its end,
# the template kept) and what it writes stay within the 128 positions the language-modeling tour's model was trained on.
PROMPT_TOKENS, GENERATED_TOKENS = 80, 48


@dataclass(frozen=True)
class Tour(DemoTour):
    """One family's part of the demo: its `DemoTour`, with the family that runs it."""

    family: Task | None = None

    @property
    def task(self) -> str:
        return self.family.name  # type: ignore[union-attr]

    @classmethod
    def of(cls, family: Task) -> Tour:
        return cls(**asdict(family.demo), family=family)  # type: ignore[arg-type]


TOURS = tuple(Tour.of(task) for task in TASKS.values() if task.demo is not None)
CLASSIFICATION = next(tour for tour in TOURS if tour.optimize)


def tour_of(task: str) -> Tour:
    """The demo tour of a task family."""
    return next(tour for tour in TOURS if tour.task == task)
# Kept for callers that name the classification tour's parts directly.
DATASET, MODEL = CLASSIFICATION.dataset, CLASSIFICATION.model


def sample_folder(name: str = "sample") -> Path:
    return Path(str(resources.files("benchhub") / "resources" / name))


def run_demo(hub: Hub, *, progress: bool = True, epochs: float | None = None, echo: Echo = print,
             show_leaderboard: Callable[[Leaderboard], None] | None = None,
             tasks: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Runs the tours (every family's, or those of `tasks`); returns, per task, the leaderboard, the fine-tuned
    model's evaluation and the verdict."""
    known = [tour.task for tour in TOURS]
    unknown = [name for name in tasks or () if name not in known]
    if unknown:
        raise InvalidInputError(f"--task {unknown[0]} has no demo tour; tours: {', '.join(known)}.")
    started = time.perf_counter()
    echo(f"benchhub demo — hub at {hub.config.home}")
    base = minilm_folder()
    echo(f"encoder all-MiniLM-L6-v2 from {base} (SHA-256 {MINILM_SHA256[:12]}… verified)")
    show = show_leaderboard or (lambda board: echo(json.dumps(board.to_dict(), indent=2)))
    results = {}
    for tour in TOURS:
        if tasks is None or tour.task in tasks:
            results[tour.task] = _run_tour(hub, tour, base, progress=progress, epochs=epochs, echo=echo, show=show)
    echo(f"artifacts: {hub.artifacts.root} (datasets/, checkpoints/, baselines/, evaluations/)")
    ran = [tour for tour in TOURS if tour.task in results]
    if ran:
        echo(f"the most confident errors: benchhub predictions --model {ran[0].model} --dataset {ran[0].dataset} --errors --sort confidence")
        echo(f"where the model beats its rival: benchhub compare {ran[0].model} {ran[0].rival} --dataset {ran[0].dataset}")
        echo(f"the same leaderboard as CSV: benchhub leaderboard --dataset {ran[-1].dataset} --format csv")
    echo(f"done in {time.perf_counter() - started:.0f} s")
    results["beats_keyword"] = results.get(CLASSIFICATION.task, {}).get("beats_rival")
    return results


def _run_tour(hub: Hub, tour: Tour, base: Path, *, progress: bool, epochs: float | None, echo: Echo,
              show: Callable[[Leaderboard], None]) -> dict[str, Any]:
    sample = sample_folder(tour.sample)
    echo(f"\n== {tour.task} ==")
    dataset = _ensure_dataset(hub, tour, sample)
    counts = tour.family.describe_splits(dataset.splits, list(dataset.labels))
    echo(f"1. dataset {dataset.name!r}: {counts} (data card: {sample / 'DATA_CARD.md'})")
    checkpoint = _ensure_checkpoint(hub, tour, base, dataset.fingerprint, epochs=epochs, progress=progress, echo=echo)
    model = _ensure_model(hub, tour, checkpoint)
    echo(f"2. registered model {model.name!r} (safetensors checkpoint at {checkpoint})")
    evaluation = hub.evaluate(model=tour.model, dataset=tour.dataset, split="test", progress=progress)
    echo(f"3. evaluated {tour.model} on {tour.dataset}/test"
         f"{' (from cache)' if evaluation.cached else ''}: {evaluation.efficiency['examples_per_second']:.0f} examples/s")
    board = hub.leaderboard(dataset=tour.dataset, split="test", progress=progress)
    echo("4. leaderboard (built-in baselines trained on the train split, shown as reference rows):")
    show(board)
    rival = next(row for row in board.rows if row.model == tour.rival).metrics[tour.metric]
    ours_row = next(row for row in board.rows if row.model == tour.model)
    ours = ours_row.metrics[tour.metric]
    separated, verdict = _verdict(tour.family, tour.metric, tour.model, ours, tour.rival, rival)
    echo(f"5. {tour.metric}: {tour.model} {_interval(ours)} vs {tour.rival} {_interval(rival)}: {verdict}")
    matched = [row.model for row in board.rows if row.baseline and row.model != tour.rival and _not_worse(row, ours_row)]
    if matched:
        echo(f"   but {tour.model} is not significantly better than {', '.join(matched)}: "
             f"on this data it has not learned more than that baseline does.")
    for name in (tour.model, tour.rival):
        for line in tour.family.demo_lines(next(row for row in board.rows if row.model == name).metrics):
            echo(f"   {name}: {line}")
    if ours_row.shortcut_gap is not None:
        echo(f"   shortcut gap (over the best partial-input baseline): {ours_row.shortcut_gap:+.1f} {tour.metric}")
    result = {"leaderboard": board, "evaluation": evaluation, "beats_rival": separated}
    result["probes"] = _probe(hub, tour, progress=progress, echo=echo)
    if tour.optimize:
        result["speed"] = _optimize_and_bench(hub, tour, progress=progress, echo=echo)
    step = 9 if tour.optimize else 7
    for task, rival_name in tour.generates:
        family = TASKS[task]
        if (reason := family.unavailable()) is not None:
            echo(f"{step}. the same model generating: {task} skipped on this machine: {reason}")
        else:
            result.setdefault("generates", {})[task] = _generate(hub, tour, family, rival_name, step=step,
                                                                 progress=progress, echo=echo, show=show)
        step += 1
    result["report"] = hub.report_html(dataset=tour.dataset, path=hub.config.home / f"report-{tour.dataset}.html",
                                       progress=progress)
    echo(f"{step}. report with the leaderboard, robustness{' and an accuracy-vs-latency plot' if tour.optimize else ''} "
         f"(opens offline): {result['report']}")
    return result


def _verdict(family: Task, metric: str, model: str, ours: dict[str, float], rival_name: str,
             rival: dict[str, float]) -> tuple[bool, str]:
    """Whether `model` clearly beats the rival (the 95% CIs apart, the right way for the metric), and the plain words."""
    sign = metric_sign(family, metric)  # perplexity and bits per byte: lower is better
    best, worst = ("ci_low", "ci_high") if sign > 0 else ("ci_high", "ci_low")
    if sign * ours[best] > sign * rival[worst]:
        return True, f"{model} clearly beats {rival_name} (the 95% CIs do not overlap)."
    if sign * ours["value"] > sign * rival["value"]:
        return False, f"{model} scores higher than {rival_name}, but the CIs overlap: NOT clearly better."
    return False, f"{model} does NOT beat {rival_name}; a model this weak is not worth its cost here."


def _generate(hub: Hub, tour: Tour, family: Task, rival_name: str, *, step: int, progress: bool, echo: Echo,
              show: Callable[[Leaderboard], None]) -> dict[str, Any]:
    """The tour's model evaluated on another family's bundled sample (a language model writing summaries), ranked
    next to that family's baselines, with the verdict against `rival_name`."""
    sample = family.sample
    name = sample.folder.replace("_", "-")
    try:
        hub.dataset(name)
    except DatasetNotFoundError:
        folder = sample_folder(sample.folder)
        train, test = (folder / file for file in sample.files)
        hub.add_dataset(name, splits={"train": train, "test": test}, task=family.name,
                        **{f"{role}_column": column for role, column in sample.columns})
    evaluation = hub.evaluate(model=tour.model, dataset=name, split="test", progress=progress,
                              max_length=PROMPT_TOKENS, max_new_tokens=GENERATED_TOKENS)
    board = hub.leaderboard(dataset=name, split="test", progress=progress)
    metric = family.primary_metric
    echo(f"{step}. the same model generating: {family.name} of the bundled {name} ({hub.dataset(name).split('test').num_rows} test examples; "
         f"prompt {json.dumps(evaluation.provenance['model']['generation']['prompt_template'])}, greedy, "
         f"prompts of {evaluation.task_config['max_length']} tokens and {evaluation.task_config['max_new_tokens']} new tokens at most), "
         "next to its baselines:")
    show(board)
    ours = next(row for row in board.rows if row.model == tour.model).metrics[metric]
    rival = next(row for row in board.rows if row.model == rival_name).metrics[metric]
    separated, verdict = _verdict(family, metric, tour.model, ours, rival_name, rival)
    echo(f"   {metric}: {tour.model} {_interval(ours)} vs {rival_name} {_interval(rival)}: {verdict}")
    example = hub.predictions(model=tour.model, dataset=name)[0]
    echo(f"   it wrote for {example['id']!r}: {json.dumps(family.value_text(example['predicted'])[:160])}")
    header, (row,) = family.example_table([example])
    judged = [f"{column} {value}" for column, value in zip(header, row) if column not in ("id", "input")]
    echo(f"   as `benchhub predictions` shows it: {'; '.join(judged)}")
    return {"leaderboard": board, "evaluation": evaluation, "beats_rival": separated}


def _probe(hub: Hub, tour: Tour, *, progress: bool, echo: Echo) -> dict[str, Any]:
    """Runs the default probe suite on the fine-tuned model and its rival baseline; says which holds up better."""
    from benchhub.catalog.datasets import dataset_facts, get_dataset_row

    with hub._sessions() as session:
        probes, templates = tour.family.default_probes(dataset_facts(get_dataset_row(session, tour.dataset)))
    if not probes and not templates:
        echo(f"6. probes: {tour.task} has none (a probe compares predictions before and after a change of the input)")
        return {}
    echo("6. probes (the default suite, through the same engine): how each model behaves "
         "when the shortcut is taken away")
    reports = {name: hub.probe(model=name, dataset=tour.dataset, progress=progress) for name in (tour.model, tour.rival)}
    for name, report in reports.items():
        summary = report.summary
        parts = []
        if summary.get("worst_drop_points") is not None:
            parts.append(f"worst change {change_text(summary['worst_drop_points'])} {tour.metric} points ({summary['worst_probe']})")
        if summary.get("flip_rate") is not None:
            parts.append(f"mean flip rate {summary['flip_rate']:.1%}")
        if summary.get("mft_failure_rate") is not None:
            parts.append(f"template tests failed {summary['mft_failure_rate']:.1%}")
        if summary.get("guessing_rate") is not None:
            parts.append(f"answers {summary['guessing_rate']:.0%} of questions whose answer was removed")
        if summary.get("ece") is not None:
            parts.append(f"ECE {summary['ece']:.3f}")
        echo(f"   {name}: {'; '.join(parts)}")
    return {name: report.summary for name, report in reports.items()}


def _optimize_and_bench(hub: Hub, tour: Tour, *, progress: bool, echo: Echo) -> list[dict[str, Any]]:
    """Exports the fine-tuned model to ONNX (fp32, int8), each behind its accuracy gate, and benches all three."""
    names = {model.name for model in hub.models()}
    variants = [(tour.model, "PyTorch"), (f"{tour.model}@onnx", "ONNX fp32"), (f"{tour.model}@onnx-int8", "ONNX int8")]
    echo(f"7. optimize {tour.model}: ONNX export (fused), then int8 weights, each checked on {tour.dataset}/test")
    for (name, label), quantize in zip(variants[1:], ("none", "dynamic-int8")):
        if name in names:
            echo(f"   {name}: registered by an earlier run")
            continue
        made = hub.optimize(tour.model, quantize=quantize, dataset=tour.dataset, progress=progress)
        gate = made.gate.get("int8_metric") or made.gate["fp32_parity"]
        if "max_abs_diff" in gate:
            echo(f"   {name}: logits match PyTorch to {gate['max_abs_diff']:.1e} (gate 1e-4)")
        else:
            echo(f"   {name}: {gate['metric']} {gate['candidate']:.3f} vs {gate['source']:.3f}, "
                 f"{gate['agreement']:.1%} of predictions identical (gate: drop <= {gate['tolerance_points']:g} point)")
    from benchhub.engine.latency import BenchBudget

    echo("8. speed, side by side (interleaved rounds; 128-token inputs; tokenization included):")
    budget = BenchBudget(min_timings=10, min_seconds=1.0, slice_seconds=0.2, max_seconds=30.0)
    speeds = hub.bench([name for name, _ in variants], dataset=tour.dataset, batch_sizes=(1, 32), seq_lens=(128,),
                       budget=budget, progress=progress)
    by_key = {(r.model, r.batch_size): r for r in speeds}
    rows = []
    base_latency = by_key[(tour.model, 1)].latency_ms_p50
    echo(f"   {'runtime':<10} {tour.metric:>8} {'latency b1':>11} {'speed-up':>8} {'ex/s b32':>9} {'size MB':>8}")
    for name, label in variants:
        one, many = by_key[(name, 1)], by_key[(name, 32)]
        metric = hub.evaluate(model=name, dataset=tour.dataset, progress=False).metrics[tour.metric]["value"]
        rows.append({"model": name, "runtime": label, tour.metric: metric, "latency_ms": one.latency_ms_p50,
                     "throughput": many.throughput, "size_bytes": one.size_bytes})
        echo(f"   {label:<10} {metric:>8.3f} {one.latency_ms_p50:>8.1f} ms {base_latency / one.latency_ms_p50:>7.1f}x "
             f"{many.throughput:>9.0f} {(one.size_bytes or 0) / 1e6:>8.1f}")
    return rows


def _not_worse(baseline: Any, ours: Any) -> bool:
    """Whether a baseline row ranks above the model or is tied with it under the leaderboard's paired test."""
    if baseline.rank < ours.rank:
        return True
    return ours.rank == 1 and baseline.tied_with_leader


def _interval(metric: dict[str, float]) -> str:
    return f"{metric['value']:.3g} [{metric['ci_low']:.3g}, {metric['ci_high']:.3g}]"


def _ensure_dataset(hub: Hub, tour: Tour, sample: Path):
    try:
        return hub.dataset(tour.dataset)
    except DatasetNotFoundError:
        train, test = (sample / name for name in tour.files)
        columns = {f"{role}_column": column for role, column in tour.columns}
        return hub.add_dataset(tour.dataset, splits={"train": train, "test": test}, task=tour.task, **columns)


def _ensure_checkpoint(hub: Hub, tour: Tour, base: Path, dataset_fingerprint: str, *, epochs: float | None,
                       progress: bool, echo: Echo) -> Path:
    family = tour.family
    config = family.scratch_config(epochs) if tour.from_scratch else family.finetune_config(epochs)
    recipe = json.dumps({"base": None if tour.from_scratch else MINILM_SHA256, "data": dataset_fingerprint,
                         "config": asdict(config)}, sort_keys=True)
    folder = hub.artifacts.path("checkpoints", f"{tour.model}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}")
    trained = "trained" if tour.from_scratch else "fine-tuned"
    if (folder / "model.safetensors").is_file():
        echo(f"   reusing the {trained} checkpoint from an earlier run ({folder.name})")
        return folder
    train = _train_split(hub, tour)
    if tour.from_scratch:
        echo(f"   no pretrained model of this kind ships offline: training one from scratch on {len(train)} train "
             f"examples ({config.epochs:g} epochs, seed {config.seed}, CPU)…")
    else:
        echo(f"   fine-tuning on {len(train)} train examples ({config.epochs:g} epochs, seed {config.seed}, CPU)…")
    with hub.artifacts.new_folder(*folder.relative_to(hub.artifacts.root).parts) as staging:
        if tour.from_scratch:
            summary = family.train_from_scratch(train, staging, config=config, show_progress=progress)
        else:
            summary = family.finetune(base, train, list(hub.dataset(tour.dataset).labels), staging, config=config,
                                      show_progress=progress)
    size = f", {summary['parameters']:,} parameters" if "parameters" in summary else ""
    echo(f"   {trained} in {summary['seconds']:.0f} s ({summary['steps']} steps, final loss {summary['final_loss']:.3f}{size})")
    return folder


def _train_split(hub: Hub, tour: Tour):
    from benchhub.catalog.datasets import get_dataset_row, load_split

    with hub._sessions() as session:
        return load_split(hub.artifacts, get_dataset_row(session, tour.dataset), "train")


def _ensure_model(hub: Hub, tour: Tour, checkpoint: Path):
    try:
        existing = hub.model(tour.model)
    except ModelNotFoundError:
        return hub.add_model(tour.model, checkpoint, kind="transformers")
    if Path(existing.source) != checkpoint.resolve():
        raise BenchhubError(
            f"Model {tour.model!r} in this hub points at {existing.source}, not the demo checkpoint {checkpoint}; "
            f"run the demo in a fresh hub (e.g. BENCHHUB_HOME=/tmp/benchhub-demo benchhub demo)."
        )
    return existing
