"""Evaluation through the hub: what the queue adds to an evaluation, against running it directly.

On one fresh hub with a server (FastAPI's TestClient, the server's own worker threads running), a member
asks for evaluations over the API and polls `/api/jobs` as a client would:

  cached    100 requests for pairs already evaluated: each answers done at once (request time)
  uncached  20 jobs (2 built-in baselines x 10 synthetic datasets), asked for in one request; each runs in a
            process of its own: time from the request to the job's start, its run, and from its finish to
            the result being visible in the API
  peer      the same 20 evaluations with `Hub.evaluate`, one after another in this process (no queue)

Prints the medians and the totals, and the ratio of the queue's wall time to the peer's. The worker's first job,
which starts its process server (the imports every job then shares), is timed apart, before the others.

    python benchmarks/queue_overhead.py [--examples 300] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MODELS = ["baseline:majority", "baseline:tfidf-logreg"]
DATASETS = 10


def rows(n: int, seed: int, prefix: str) -> list[dict]:
    rng = random.Random(seed)
    words = {"positive": ["great", "lovely", "fine"], "negative": ["awful", "poor", "broken"]}
    out = []
    for i in range(n):
        label = "positive" if i % 2 else "negative"
        text = " ".join(rng.choice(["the", "screen", "price", "support", "battery"]) for _ in range(rng.randint(4, 20)))
        out.append({"id": f"{prefix}-{i}", "text": f"{text} {rng.choice(words[label])}", "label": label})
    return out


def write(path: Path, data: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in data), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300, help="test examples per dataset")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from benchhub import Hub
    from benchhub.engine.provenance import hardware
    from benchhub.server.app import create_app
    from benchhub.server.in_process_scoring import WorkerSettings

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        hub = Hub.open(root / "hub")
        for index in range(DATASETS):
            hub.add_dataset(f"d{index}", id_column="id", splits={
                "train": write(root / f"d{index}-train.jsonl", rows(200, index, "train")),
                "test": write(root / f"d{index}-test.jsonl", rows(args.examples, 100 + index, "test"))})
        peer_hub = Hub.open(root / "peer")
        for index in range(DATASETS):
            peer_hub.add_dataset(f"d{index}", id_column="id", splits={
                "train": root / f"d{index}-train.jsonl", "test": root / f"d{index}-test.jsonl"})
        hub.create_user("alice")
        token = {"Authorization": f"Bearer {hub.create_token('alice')[1]}"}
        pairs = [(model, f"d{index}") for index in range(DATASETS) for model in MODELS]

        started = time.perf_counter()
        for model, dataset in pairs:
            peer_hub.evaluate(model=model, dataset=dataset, progress=False)
        peer_seconds = time.perf_counter() - started

        hub.add_dataset("warm", id_column="id", splits={"train": root / "d0-train.jsonl", "test": root / "d0-test.jsonl"})
        app = create_app(hub.config, scoring=WorkerSettings(poll_seconds=0.2, lease_seconds=30))
        with TestClient(app) as client:
            # The first job starts the worker's server process (it imports torch and transformers once): timed apart.
            begun = time.perf_counter()
            warm = client.post("/api/evaluations", headers=token, json={"models": MODELS[:1], "datasets": ["warm"]}).json()
            while client.get(f"/api/jobs/{warm['jobs'][0]['id']}", headers=token).json()["state"] != "done":
                time.sleep(0.05)
            cold_seconds = time.perf_counter() - begun
            asked_at = time.perf_counter()
            answer = client.post("/api/evaluations", headers=token, json={
                "models": MODELS, "datasets": [f"d{index}" for index in range(DATASETS)]})
            assert answer.status_code == 202, answer.text
            batch = answer.json()["batch"]
            asked_wall = datetime.now().astimezone()
            visible: dict[int, float] = {}
            while len(visible) < len(pairs):
                for job in client.get(f"/api/jobs?batch={batch}", headers=token).json():
                    if job["state"] in ("done", "failed") and job["id"] not in visible:
                        assert job["state"] == "done", job
                        visible[job["id"]] = time.time()
                time.sleep(0.05)
            queue_seconds = time.perf_counter() - asked_at
            jobs = client.get(f"/api/jobs?batch={batch}", headers=token).json()
            waits = [(datetime.fromisoformat(j["started_at"]) - asked_wall).total_seconds() for j in jobs]
            runs = [(datetime.fromisoformat(j["finished_at"]) - datetime.fromisoformat(j["started_at"])).total_seconds()
                    for j in jobs]
            shown = [visible[j["id"]] - datetime.fromisoformat(j["finished_at"]).timestamp() for j in jobs]
            cached_times = []
            for round_ in range(100):
                model, dataset = pairs[round_ % len(pairs)]
                begun = time.perf_counter()
                answer = client.post("/api/evaluations", headers=token, json={"models": [model], "datasets": [dataset]})
                cached_times.append(time.perf_counter() - begun)
                assert answer.status_code == 202 and answer.json()["jobs"][0]["cached"], answer.text

        for model, dataset in pairs:  # the queue stored what the peer computed
            ours = hub.evaluate(model=model, dataset=dataset, progress=False).metrics["accuracy"]["value"]
            theirs = peer_hub.evaluate(model=model, dataset=dataset, progress=False).metrics["accuracy"]["value"]
            assert ours == theirs, (model, dataset, ours, theirs)
        hub.close()
        peer_hub.close()

    result = {
        "cpu": hardware().get("cpu"), "cores": os.cpu_count(), "examples": args.examples, "jobs": len(pairs),
        "cached_request_ms_median": 1000 * statistics.median(cached_times),
        "cached_request_ms_p90": 1000 * sorted(cached_times)[int(0.9 * len(cached_times)) - 1],
        "wait_to_start_s_median": statistics.median(waits), "run_s_median": statistics.median(runs),
        "finish_to_visible_s_median": statistics.median(shown), "finish_to_visible_s_max": max(shown),
        "first_job_cold_s": cold_seconds, "queue_total_s": queue_seconds, "peer_total_s": peer_seconds, "ratio_queue_over_peer": queue_seconds / peer_seconds,
    }
    print(f"CPU: {result['cpu']} ({result['cores']} cores); {len(pairs)} jobs of {args.examples} test examples")
    print(f"cached request (100): median {result['cached_request_ms_median']:.1f} ms, p90 {result['cached_request_ms_p90']:.1f} ms")
    print(f"uncached: request -> start median {result['wait_to_start_s_median']:.2f} s; run (own process) median "
          f"{result['run_s_median']:.2f} s; finish -> visible median {result['finish_to_visible_s_median']:.3f} s "
          f"(max {result['finish_to_visible_s_max']:.3f} s)")
    print(f"the worker's first job (its process server starting): {cold_seconds:.1f} s")
    print(f"total: queue {queue_seconds:.1f} s vs Hub.evaluate in this process {peer_seconds:.1f} s "
          f"-> ratio {result['ratio_queue_over_peer']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
