"""Evaluation matrices: one process job after job vs the local process pool vs Ray, on this machine.

A matrix of small jobs (tiny 2-layer BERT classifiers, built here, x synthetic review datasets:
8 x 5 = 40 by default) runs three ways on one fresh hub:

  sequential  hub.evaluate for each job in this process, one after another (the peer: no executor at all)
  local       benchhub's local executor, one spawned worker process per CPU
  ray         benchhub's Ray executor, one task per job, on a local Ray instance it starts (one CPU a job)

Every run evaluates every job (no cache). Wall time counts everything a user waits for, worker and
Ray start-up included. Prints jobs/minute, the speed-up over sequential and the scaling efficiency
(speed-up / workers), and checks that every way stored the same metric for every job.

    python benchmarks/matrix_scaling.py [--models 8] [--datasets 5] [--examples 400] [--rounds 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.fixtures builds the tiny models

WORDS = {"positive": ["great", "lovely", "excellent", "fine", "superb"],
         "negative": ["awful", "broken", "terrible", "poor", "dreadful"],
         "neutral": ["okay", "average", "plain", "usual", "standard"]}
TOPICS = ["battery", "screen", "delivery", "price", "support", "keyboard", "camera", "manual"]


def reviews(n: int, seed: int, prefix: str) -> list[dict]:
    rng = random.Random(seed)
    labels = list(WORDS)
    rows = []
    for i in range(n):
        label = labels[i % len(labels)]
        words = [rng.choice(TOPICS) for _ in range(rng.randint(4, 24))]
        words.insert(rng.randrange(len(words) + 1), rng.choice(WORDS[label]))
        rows.append({"id": f"{prefix}-{i}", "text": "the " + " ".join(words), "label": label})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def build_hub(home: Path, models: int, datasets: int, examples: int) -> tuple[list[str], list[str]]:
    from benchhub import Hub
    from tests.fixtures.tiny_bert import build_tiny_bert

    sources = home / "sources"
    sources.mkdir(parents=True)
    model_names, dataset_names = [], []
    with Hub.open(home / "hub") as hub:
        for d in range(datasets):
            name = f"reviews-{d}"
            hub.add_dataset(name, id_column="id", splits={
                "train": write_jsonl(sources / f"{name}-train.jsonl", reviews(60, seed=100 + d, prefix="train")),
                "test": write_jsonl(sources / f"{name}-test.jsonl", reviews(examples, seed=d, prefix=name))})
            dataset_names.append(name)
        corpus = [row["text"] for row in reviews(300, seed=7, prefix="corpus")]
        for m in range(models):
            name = f"tiny-bert-{m}"
            folder = build_tiny_bert(sources / name, corpus, list(WORDS), seed=m)
            hub.add_model(name, folder, kind="transformers")
            model_names.append(name)
    return model_names, dataset_names


def run_sequential(config, models: list[str], datasets: list[str]) -> dict[tuple[str, str], float]:
    from benchhub import Hub

    values = {}
    with Hub(config) as hub:
        for model in models:
            for dataset in datasets:
                evaluation = hub.evaluate(model=model, dataset=dataset, use_cache=False, progress=False)
                values[(model, dataset)] = evaluation.metrics["macro_f1"]["value"]
    return values


def run_executor(config, models: list[str], datasets: list[str], executor: str, workers: int) -> dict[tuple[str, str], float]:
    from benchhub.evaluation.matrix import RayOptions, run_matrix

    # address "local": a Ray instance of this machine's CPUs for this run, whatever RAY_ADDRESS says.
    results = run_matrix(config, models=models, datasets=datasets, executor=executor, max_parallel=workers,
                         ray=RayOptions(address="local") if executor == "ray" else None, use_cache=False, show_progress=False)
    failed = [r for r in results if r.status != "evaluated"]
    if failed:
        raise SystemExit(f"{len(failed)} jobs failed on {executor}; the first: {failed[0].error}")
    return {(r.model, r.dataset): r.value for r in results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=8)
    parser.add_argument("--datasets", type=int, default=5)
    parser.add_argument("--examples", type=int, default=400, help="test examples per dataset")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each way, order rotating by round; the median is shown")
    parser.add_argument("--json", type=Path, default=None, help="also write the measurements here")
    args = parser.parse_args()

    import ray

    from benchhub.config import HubConfig
    from benchhub.models.loaded_runtime import available_cpus

    workers = available_cpus()
    with tempfile.TemporaryDirectory(prefix="benchhub-matrix-") as folder:
        home = Path(folder)
        models, datasets = build_hub(home, args.models, args.datasets, args.examples)
        config = HubConfig.from_env(home / "hub")
        jobs = len(models) * len(datasets)
        ways = {
            "sequential": lambda: run_sequential(config, models, datasets),
            "local": lambda: run_executor(config, models, datasets, "local", workers),
            "ray": lambda: run_executor(config, models, datasets, "ray", workers),
        }
        seconds: dict[str, list[float]] = {name: [] for name in ways}
        values: dict[str, dict] = {}
        order = list(ways)
        for round_ in range(args.rounds):
            for name in order[round_ % len(order):] + order[:round_ % len(order)]:
                started = time.perf_counter()
                values[name] = ways[name]()
                seconds[name].append(time.perf_counter() - started)
                print(f"round {round_ + 1}: {name:<10} {seconds[name][-1]:7.1f} s", file=sys.stderr)

    same = all(values[name] == values["sequential"] for name in ways)
    base = statistics.median(seconds["sequential"])
    print(f"\n{jobs} jobs ({len(models)} tiny BERT models x {len(datasets)} datasets of {args.examples} examples), "
          f"{workers} CPUs, torch threads: sequential {workers}, pool and Ray 1 per job; median of {args.rounds} rounds")
    print(f"{'way':<11} {'workers':>7} {'seconds':>8} {'jobs/min':>9} {'speed-up':>9} {'efficiency':>10}")
    rows = []
    for name in ways:
        wall = statistics.median(seconds[name])
        used = 1 if name == "sequential" else workers
        speedup = base / wall
        rows.append({"way": name, "workers": used, "seconds": wall, "jobs_per_minute": jobs / wall * 60,
                     "speedup": speedup, "efficiency": speedup / used, "all_rounds": seconds[name]})
        print(f"{name:<11} {used:>7} {wall:>8.1f} {jobs / wall * 60:>9.1f} {speedup:>8.2f}x {speedup / used:>10.0%}")
    print(f"same metric for every job on every way: {'yes' if same else 'NO'}")
    if args.json:
        args.json.write_text(json.dumps({"jobs": jobs, "cpus": workers, "examples": args.examples, "ray": ray.__version__,
                                         "rows": rows, "identical": same}, indent=2))


if __name__ == "__main__":
    main()
