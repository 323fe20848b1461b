"""Leaderboard reads under load: 50 concurrent clients against `benchhub serve`, at 1,000 and 100,000 evaluations.

For each size the script makes a hub in a temporary folder, fills its database with that many
text-classification evaluations (bulk inserts through SQLAlchemy Core), starts `benchhub serve` (uvicorn,
a real process) on a free loopback port, and runs an asyncio + httpx load generator: `--clients` clients,
each sending GET /api/leaderboards/{dataset} for a random one of the measured datasets as soon as its last
answer came, until `--seconds` have passed or `--max-requests` were sent. A sequential pass over the
measured datasets and `--warmup` seconds of full load come first and are not counted. Prints p50/p99
latency, requests/s and errors per size, and the p99 ratio of the largest size to the smallest (target < 2x).

    python benchmarks/server_load.py [--sizes 1000 100000] [--clients 50] [--seconds 20] [--warmup 5]
                                     [--max-requests 20000] [--database-url URL] [--workdir DIR] [--keep]

The hub's shape (the same at every size, only the number of datasets and models grows): every dataset has
25 models evaluated on two splits (validation, test), so N evaluations are N/50 datasets; the 3 built-in
baselines are among the 25 on every dataset, the other 22 are drawn from max(100, N/50) models. The first 20
datasets are the measured ones; at every size they hold the same models, predictions and metrics (their
models come from the first 100), so a measured leaderboard does the same work at every size and only the
database around it grows; the script checks that the measured leaderboards are identical across sizes
(evaluation ids aside). Evaluations are inserted in the order of a random creation time, so one dataset's
rows lie scattered through the table as in a hub that grew over time. 30% of the models have a bench run.

Artifacts: every dataset shares the split files of the first one (registered through `Hub.add_dataset`;
the copies differ in name and fingerprint). Every evaluation of a measured dataset has its own gzipped
JSONL of per-example predictions (gold, predicted, scores), written as the engine writes them; the other
evaluations share one such file per split, which no measured leaderboard reads. Metrics are computed from
the generated predictions; their CIs are a normal approximation instead of a bootstrap (leaderboards only
copy them).

`--database-url` runs against PostgreSQL (or another server) instead of a SQLite file in the folder: it must
name an empty database; the script creates the hub's tables there and drops them after each size.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

LABELS = ("billing", "other", "shipping", "technical")
SPLITS = ("validation", "test")
SPLIT_ROWS = {"train": 200, "validation": 300, "test": 300}
MODELS_PER_DATASET = 25
MEASURED_DATASETS = 20
MEASURED_MODEL_POOL = 100
BENCHED_SHARE = 0.3
CHUNK = 5000
EPOCH = datetime(2025, 11, 27, tzinfo=timezone.utc)
WORDS = "refund order late broken charge invoice parcel tracking login error password crash thanks hello price card".split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="Measured seconds of load per size.")
    parser.add_argument("--warmup", type=float, default=5.0, help="Seconds of full load before measuring.")
    parser.add_argument("--max-requests", type=int, default=20_000, help="At most this many measured requests per size.")
    parser.add_argument("--database-url", default=None, help="An empty database to use instead of a SQLite file.")
    parser.add_argument("--workdir", type=Path, default=None, help="Where the temporary hubs go (default: the system's).")
    parser.add_argument("--keep", action="store_true", help="Keep each size's hub folder.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    per_dataset = MODELS_PER_DATASET * len(SPLITS)
    for size in args.sizes:
        if size < per_dataset * MEASURED_DATASETS or size % per_dataset:
            parser.error(f"--sizes must be multiples of {per_dataset}, at least {per_dataset * MEASURED_DATASETS}. "
                         f"Got {size} instead.")

    results, snapshots = [], {}
    for size in args.sizes:
        home = Path(tempfile.mkdtemp(prefix=f"benchhub-load-{size}-", dir=args.workdir))
        try:
            result, snapshots[size] = run_size(size, home, args)
        finally:
            if not args.keep:
                shutil.rmtree(home, ignore_errors=True)
        results.append(result)

    print()
    print(f"{'evaluations':>12} {'requests':>9} {'errors':>7} {'req/s':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'1-client p50 ms':>16}")
    for r in results:
        print(f"{r.size:>12,} {r.count:>9} {r.errors:>7} {r.rate:>7.1f} {r.p(50):>8.0f} {r.p(90):>8.0f} {r.p(99):>8.0f} "
              f"{max(r.latencies) * 1000:>8.0f} {r.sequential_p50:>16.1f}")
    first, last = results[0], results[-1]
    same = all(snapshots[r.size] == snapshots[first.size] for r in results)
    print(f"measured leaderboards identical across sizes (evaluation ids aside): {same}")
    if len(results) > 1:
        ratio = last.p(99) / first.p(99)
        verdict = "met" if ratio < 2 else "missed"
        print(f"p99 ratio {last.size:,} / {first.size:,} evaluations: {ratio:.2f}x (target < 2x: {verdict}); "
              f"req/s ratio {last.rate / first.rate:.2f}x")


@dataclass
class SizeResult:
    size: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    sequential_p50: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        import numpy as np

        return float(np.percentile(self.latencies, q)) * 1000 if self.latencies else math.nan


def run_size(size: int, home: Path, args: argparse.Namespace) -> tuple[SizeResult, dict[str, Any]]:
    """Fills a hub at `home` with `size` evaluations, serves it and loads it; returns the numbers and the measured boards."""
    from benchhub import Hub

    hub = Hub.open(home) if args.database_url is None else _empty_hub(home, args.database_url)
    try:
        started = time.perf_counter()
        measured = fill(hub, size, seed=args.seed)
        print(f"[{size:,}] filled in {time.perf_counter() - started:.1f} s ({hub.config.database_url.split(':')[0]})", flush=True)
    finally:
        hub.close()
    port = _free_port()
    server = _start_server(home, port, args.database_url)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base, server)
        result = SizeResult(size)
        snapshot, sequential = asyncio.run(_sequential_pass(base, measured))
        result.sequential_p50 = sorted(sequential)[len(sequential) // 2] * 1000
        asyncio.run(load(base, measured, SizeResult(size), clients=args.clients, seconds=args.warmup,
                         max_requests=args.max_requests, seed=args.seed + 1))
        asyncio.run(load(base, measured, result, clients=args.clients, seconds=args.seconds,
                         max_requests=args.max_requests, seed=args.seed + 2))
        print(f"[{size:,}] {result.count} requests in {result.seconds:.1f} s, {result.errors} errors "
              f"{dict(result.error_kinds) or ''}; p50 {result.p(50):.0f} ms, p99 {result.p(99):.0f} ms, {result.rate:.1f} req/s",
              flush=True)
    finally:
        _stop(server)
        if args.database_url is not None:
            _drop_tables(args.database_url)
    return result, snapshot


async def load(base: str, datasets: list[str], result: SizeResult, *, clients: int, seconds: float, max_requests: int,
               seed: int) -> None:
    """Closed loop: each client sends its next request when its last one is answered, until time or count runs out."""
    import httpx

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    sent = 0
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=httpx.Timeout(300.0)) as client:
        started = time.perf_counter()
        deadline = started + seconds

        async def one_client(number: int) -> None:
            nonlocal sent
            rng = random.Random(seed * 1000 + number)
            while time.perf_counter() < deadline and sent < max_requests:
                sent += 1
                name = rng.choice(datasets)
                began = time.perf_counter()
                try:
                    response = await client.get(f"/api/leaderboards/{name}")
                except httpx.HTTPError as exc:
                    result.errors += 1
                    result.error_kinds[type(exc).__name__] += 1
                    continue
                if response.status_code != 200:
                    result.errors += 1
                    result.error_kinds[f"HTTP {response.status_code}"] += 1
                else:
                    result.latencies.append(time.perf_counter() - began)

        await asyncio.gather(*(one_client(number) for number in range(clients)))
        result.seconds = time.perf_counter() - started


async def _sequential_pass(base: str, datasets: list[str]) -> tuple[dict[str, Any], list[float]]:
    """One request per measured dataset, one at a time: the boards (evaluation ids dropped) and each latency."""
    import httpx

    boards, latencies = {}, []
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(300.0)) as client:
        for name in datasets:
            began = time.perf_counter()
            response = await client.get(f"/api/leaderboards/{name}")
            latencies.append(time.perf_counter() - began)
            response.raise_for_status()
            board = response.json()
            if len(board["rows"]) != MODELS_PER_DATASET:
                raise RuntimeError(f"Leaderboard {name} has {len(board['rows'])} rows, not {MODELS_PER_DATASET}.")
            for row in board["rows"]:
                row.pop("evaluation_id")
            boards[name] = board
    return boards, latencies


# Filling the hub.

def fill(hub: Any, size: int, *, seed: int) -> list[str]:
    """Writes `size` evaluations (see the module docstring for their shape); returns the measured datasets' names."""
    import numpy as np
    from sqlalchemy import insert

    from benchhub.catalog.models import (
        BASELINE_PREFIX,
        BUILTIN_BASELINES,
        get_model_row,
    )
    from benchhub.engine.provenance import hardware, package_versions
    from benchhub.store.tables import (
        DatasetRow,
        EvaluationRow,
        ModelRow,
        SpeedRunRow,
        SplitRow,
    )

    n_datasets = size // (MODELS_PER_DATASET * len(SPLITS))
    n_models = max(MEASURED_MODEL_POOL, size // 50)
    first = _register_first_dataset(hub, seed)
    stored = {split: [json.loads(line) for line in hub.artifacts.path(f"datasets/{first}/{split}.jsonl").read_text(encoding="utf-8").splitlines()]
              for split in SPLITS}
    gold = {split: np.array([LABELS.index(row["label"]) for row in rows]) for split, rows in stored.items()}
    ids = {split: [row["id"] for row in rows] for split, rows in stored.items()}
    with hub.session() as session:
        engine = session.get_bind()
        baselines = [get_model_row(session, BASELINE_PREFIX + name) for name in BUILTIN_BASELINES["text-classification"]]
        session.commit()
        dataset_row = session.query(DatasetRow).filter_by(name=first).one()
        template = {c: getattr(dataset_row, c) for c in ("task", "source", "columns", "labels", "options", "folder")}
        split_template = [{c: getattr(s, c) for c in ("name", "num_rows", "has_labels", "label_counts", "fingerprint", "path")}
                          for s in dataset_row.splits]
        fingerprints = {dataset_row.id: dataset_row.fingerprint}
        names = {dataset_row.id: first}
        model_fingerprints = {row.id: row.fingerprint for row in baselines}
        model_names = {row.id: row.name for row in baselines}
        model_kinds = {row.id: row.kind for row in baselines}
    with engine.begin() as connection:
        for index in range(1, n_datasets):
            name = _dataset_name(index)
            fingerprint = hashlib.sha256(f"{fingerprints[dataset_row.id]}:{name}".encode()).hexdigest()
            dataset_id = connection.execute(insert(DatasetRow).values(name=name, fingerprint=fingerprint, **template)).inserted_primary_key[0]
            connection.execute(insert(SplitRow), [{"dataset_id": dataset_id, **s} for s in split_template])
            fingerprints[dataset_id], names[dataset_id] = fingerprint, name
        models = []
        for index in range(len(baselines), n_models):
            name = f"org-{index % 37:02d}/minilm-intents-{index:05d}"
            models.append({
                "name": name, "kind": "transformers", "source": f"/srv/checkpoints/{name}",
                "fingerprint": hashlib.sha256(name.encode()).hexdigest(), "options": {},
                "info": {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "labels": list(LABELS)},
            })
        connection.execute(insert(ModelRow), models)
        for model_id, name, fingerprint, kind in connection.execute(
                ModelRow.__table__.select().with_only_columns(ModelRow.id, ModelRow.name, ModelRow.fingerprint, ModelRow.kind)):
            model_fingerprints[model_id], model_names[model_id], model_kinds[model_id] = fingerprint, name, kind
        connection.execute(insert(SpeedRunRow), _speed_runs(sorted(model_fingerprints), len(baselines), seed))
    model_ids = sorted(model_fingerprints)  # baselines first, then the pool in insertion order
    dataset_ids = sorted(fingerprints)

    events = []
    for position, dataset_id in enumerate(dataset_ids):
        rng = random.Random(f"{seed}:dataset:{position}")
        pool = model_ids[len(baselines):MEASURED_MODEL_POOL] if position < MEASURED_DATASETS else model_ids[len(baselines):]
        chosen = model_ids[:len(baselines)] + rng.sample(pool, MODELS_PER_DATASET - len(baselines))
        difficulty = rng.uniform(-0.15, 0.05)
        for split in SPLITS:
            for model_id in chosen:
                events.append((rng.random(), position, split, model_id, difficulty))
    events.sort()

    shared = {split: f"evaluations/shared-{split}.jsonl.gz" for split in SPLITS}
    for split in SPLITS:
        predicted = _predict(gold[split], 0.5, np.random.default_rng(seed))
        hub.artifacts.write_jsonl_gz(_examples(ids[split], gold[split], predicted), shared[split])
    context = SimpleNamespace(packages=package_versions(), hardware=hardware(), gold=gold, ids=ids, shared=shared, seed=seed,
                              baselines=len(baselines))
    with engine.begin() as connection:
        for start in range(0, len(events), CHUNK):
            rows = [
                _evaluation(hub.artifacts, context, event, dataset_ids[event[1]], names[dataset_ids[event[1]]],
                            fingerprints[dataset_ids[event[1]]], model_id=event[3], model_name=model_names[event[3]],
                            model_kind=model_kinds[event[3]], model_fingerprint=model_fingerprints[event[3]])
                for event in events[start:start + CHUNK]
            ]
            connection.execute(insert(EvaluationRow), rows)
    return [names[dataset_ids[position]] for position in range(MEASURED_DATASETS)]


def _register_first_dataset(hub: Any, seed: int) -> str:
    """Registers the first dataset from generated CSV files, the way a user would; the others share its files."""
    import csv

    rng = random.Random(f"{seed}:texts")
    folder = Path(tempfile.mkdtemp(prefix="texts-", dir=hub.config.home))
    for split, count in SPLIT_ROWS.items():
        with (folder / f"{split}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label"])
            for _ in range(count):
                writer.writerow([" ".join(rng.choices(WORDS, k=rng.randint(4, 30))), rng.choice(LABELS)])
    name = _dataset_name(0)
    hub.add_dataset(name, splits={split: folder / f"{split}.csv" for split in SPLIT_ROWS})
    shutil.rmtree(folder)
    return name


def _dataset_name(index: int) -> str:
    return f"support-intents-{index:05d}"


def _skill(model_id: int, seed: int, baselines: int) -> float:
    if model_id <= baselines:
        return 0.25 + 0.1 * model_id  # majority, keyword, tfidf-logreg: weak
    return random.Random(f"{seed}:model:{model_id}").uniform(0.45, 0.92)


def _predict(gold: Any, skill: float, rng: Any) -> Any:
    import numpy as np

    wrong = rng.integers(0, len(LABELS), size=len(gold))
    return np.where(rng.random(len(gold)) < skill, gold, wrong)


def _examples(ids: list[Any], gold: Any, predicted: Any) -> list[dict[str, Any]]:
    rows = []
    for example_id, g, p in zip(ids, gold.tolist(), predicted.tolist(), strict=True):
        scores = [0.1] * len(LABELS)
        scores[p] = 0.7
        rows.append({"id": example_id, "gold": LABELS[g], "predicted": LABELS[p], "correct": g == p,
                     "scores": dict(zip(LABELS, scores))})
    return rows


def _evaluation(artifacts: Any, context: Any, event: tuple, dataset_id: int, dataset_name: str, dataset_fingerprint: str, *,
                model_id: int, model_name: str, model_kind: str, model_fingerprint: str) -> dict[str, Any]:
    """One evaluations row, its metrics and details computed from generated predictions (and written, if measured)."""
    import numpy as np

    from benchhub.evaluation.evaluations import cache_key
    from benchhub.tasks.registry import get_task
    from benchhub.tasks.text_classification import metrics as classification

    moment, position, split, _, difficulty = event
    task = get_task("text-classification")
    rng = np.random.default_rng([context.seed, position, SPLITS.index(split), model_id])
    skill = min(0.98, max(0.2, _skill(model_id, context.seed, context.baselines) + difficulty + rng.normal(0, 0.02)))
    gold = context.gold[split]
    predicted = _predict(gold, skill, rng)
    values = classification.classification_metrics(predictions=predicted, references=gold, n_labels=len(LABELS))
    half = {name: 1.96 * math.sqrt(max(v * (1 - v), 1e-6) / len(gold)) for name, v in values.items()}
    metrics = {name: {"value": values[name], "ci_low": max(0.0, values[name] - half[name]),
                      "ci_high": min(1.0, values[name] + half[name])} for name in task.metrics}
    per_class = classification.per_class_scores(predictions=predicted, references=gold, n_labels=len(LABELS))
    details = {
        "labels": list(LABELS),
        "per_class": {label: {key: per_class[key][i].item() for key in ("precision", "recall", "f1", "support")}
                      for i, label in enumerate(LABELS)},
        "confusion_matrix": classification.confusion_matrix(predictions=predicted, references=gold, n_labels=len(LABELS)).tolist(),
        "bootstrap": {"n_resamples": task.n_resamples, "confidence": task.confidence, "seed": task.seed},
    }
    task_config = {"max_length": 512} if model_kind == "transformers" else {}
    key = cache_key(SimpleNamespace(fingerprint=model_fingerprint), SimpleNamespace(fingerprint=dataset_fingerprint),
                    split, task, task_config)
    created = EPOCH + timedelta(days=365 * moment)
    if position < MEASURED_DATASETS:
        path = f"evaluations/{key[:16]}-load-{position}-{model_id}.jsonl.gz"
        artifacts.write_jsonl_gz(_examples(context.ids[split], gold, predicted), path)
    else:
        path = context.shared[split]
    seconds = float(rng.uniform(0.5, 8.0))
    efficiency = {
        "examples": len(gold), "items": len(gold), "examples_per_second": len(gold) / seconds, "encode_seconds": seconds * 0.05,
        "predict_seconds": seconds * 0.95, "batch_latency_ms_p50": seconds * 1000 / 10, "batch_latency_ms_p95": seconds * 1300 / 10,
        "batches": 10, "peak_memory_bytes": int(rng.integers(200, 900)) * 2**20, "load_seconds": float(rng.uniform(0.2, 3.0)),
        "parameters": 22_713_604 if model_kind == "transformers" else None,
        "size_bytes": 90_868_376 if model_kind == "transformers" else 13_953,
    }
    provenance = {
        "benchhub": context.packages.get("benchhub"), "task": {"name": task.name, "version": task.version},
        "metrics": task.metric_versions,
        "model": {"name": model_name, "kind": model_kind, "fingerprint": model_fingerprint},
        "dataset": {"name": dataset_name, "fingerprint": dataset_fingerprint, "split": split,
                    "split_fingerprint": hashlib.sha256(f"{dataset_fingerprint}:{split}".encode()).hexdigest()},
        "packages": context.packages, "hardware": context.hardware, "batch_size": 32, "task_config": task_config,
        "seed": task.seed, "created_at": created.isoformat(),
    }
    return {
        "cache_key": key, "model_id": model_id, "dataset_id": dataset_id, "split": split, "task": task.name,
        "task_version": task.version, "task_config": task_config, "metrics": metrics, "details": details,
        "efficiency": efficiency, "provenance": provenance, "predictions_path": path, "created_at": created,
    }


def _speed_runs(model_ids: list[int], baselines: int, seed: int) -> list[dict[str, Any]]:
    """A bench run (batch 1 and 32 at 128 tokens) for about 30% of the non-baseline models."""
    rows = []
    for model_id in model_ids[baselines:]:
        rng = random.Random(f"{seed}:bench:{model_id}")
        if rng.random() >= BENCHED_SHARE:
            continue
        single = rng.uniform(4.0, 40.0)
        for batch, p50 in ((1, single), (32, single * rng.uniform(12, 28))):
            rows.append({
                "run_id": f"load{model_id:08d}", "model_id": model_id, "batch_size": batch, "seq_len": 128, "threads": 2,
                "latency_p50_ms": p50, "latency_p90_ms": p50 * 1.1, "latency_p99_ms": p50 * 1.4,
                "throughput": batch * 1000 / p50, "timings": 50, "size_bytes": 90_868_376,
                "hardware": {"machine": "x86_64", "cpu_count": 2}, "details": {"dataset": "", "task": "text-classification"},
                "created_at": EPOCH,
            })
    return rows


# The server and the database.

def _empty_hub(home: Path, url: str) -> Any:
    from sqlalchemy import inspect

    from benchhub import Hub
    from benchhub.store.database import create_hub_engine

    engine = create_hub_engine(url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise SystemExit(f"--database-url must name an empty database (the script creates the hub's tables and drops them "
                         f"after each size); it has tables: {', '.join(sorted(tables))}.")
    return Hub.open(home, database_url=url)


def _drop_tables(url: str) -> None:
    from sqlalchemy import text

    from benchhub.store.database import create_hub_engine
    from benchhub.store.tables import Base

    engine = create_hub_engine(url)
    try:
        Base.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(home: Path, port: int, database_url: str | None) -> subprocess.Popen:
    env = {**os.environ, "BENCHHUB_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    if database_url is not None:
        env["BENCHHUB_DATABASE_URL"] = database_url
    log = (home / "server.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "benchhub", "--home", str(home), "serve", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait_until_up(base: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"benchhub serve exited with status {server.returncode}; see server.log (use --keep).")
        try:
            if httpx.get(f"{base}/api/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"benchhub serve did not answer {base}/api/health within {timeout:.0f} s.")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
