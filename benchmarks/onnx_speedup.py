"""PyTorch eager vs ONNX Runtime fp32 vs ONNX Runtime int8 for the demo's fine-tuned MiniLM classifier.

The three models are the demo checkpoint and the two variants `benchhub optimize` makes of it
(fused fp32; fused, per-channel dynamic int8), each behind its accuracy gate. They are measured
by `benchhub bench` in one interleaved run (models alternate round by round, order rotated) at
2 threads, batch 1 and batch 32, 128 tokens per input, tokenization included. Prints latency
percentiles, throughput, size, the speed-up over PyTorch and the accuracy on the demo test
split, against the targets: int8 ≥ 4× PyTorch at batch 1, ≥ 3× at batch 32, drop ≤ 0.5 points.

    python benchmarks/onnx_speedup.py [--home DIR] [--threads 2] [--seconds 8]

The hub at --home (default $BENCHHUB_HOME) needs the demo's classifier; if it has none, the
demo's classification tour runs there first (about a minute on 2 cores). The results are stored
in that hub, so its leaderboard shows them too.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TARGETS = {1: 4.0, 32: 3.0}
MAX_DROP_POINTS = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8.0, help="timed seconds per model and batch size (at least)")
    args = parser.parse_args()

    from benchhub import Hub
    from benchhub.demo import CLASSIFICATION, run_demo
    from benchhub.engine.latency import BenchBudget

    hub = Hub.open(args.home)
    source, dataset = CLASSIFICATION.model, CLASSIFICATION.dataset
    if not any(m.name == source for m in hub.models()):
        run_demo(hub, progress=False, echo=lambda line: None, tasks=(CLASSIFICATION.task,))
    names = {m.name for m in hub.models()}
    for quantize, name in (("none", f"{source}@onnx"), ("dynamic-int8", f"{source}@onnx-int8")):
        if name not in names:
            hub.optimize(source, quantize=quantize, dataset=dataset, progress=False, echo=print)
    models = [source, f"{source}@onnx", f"{source}@onnx-int8"]
    budget = BenchBudget(warmup_calls=5, warmup_seconds=1.0, min_timings=30, min_seconds=args.seconds, slice_seconds=0.25,
                         max_seconds=20 * args.seconds)
    results = hub.bench(models, dataset=dataset, batch_sizes=(1, 32), seq_lens=(128,), threads=args.threads,
                        budget=budget, progress=False)
    accuracy = {m: hub.evaluate(model=m, dataset=dataset, progress=False).metrics for m in models}
    by_key = {(r.model, r.batch_size): r for r in results}

    hardware = results[0].hardware
    print(f"{hardware.get('cpu') or hardware.get('machine')}, "
          f"{results[0].threads} threads, sequence length 128, tokenization included")
    print(f"{'model':<36} {'batch':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'ex/s':>8} {'speed-up':>8} {'size MB':>8} {'macro_f1':>8} {'accuracy':>8}")
    for batch in (1, 32):
        base = by_key[(source, batch)]
        for model in models:
            r = by_key[(model, batch)]
            print(f"{model:<36} {batch:>5} {r.latency_ms_p50:>8.2f} {r.latency_ms_p90:>8.2f} {r.latency_ms_p99:>8.2f} "
                  f"{r.throughput:>8.1f} {base.latency_ms_p50 / r.latency_ms_p50:>7.2f}x {(r.size_bytes or 0) / 1e6:>8.1f} "
                  f"{accuracy[model]['macro_f1']['value']:>8.4f} {accuracy[model]['accuracy']['value']:>8.4f}")
    int8 = f"{source}@onnx-int8"
    verdicts = []
    for batch, target in TARGETS.items():
        ratio = by_key[(source, batch)].latency_ms_p50 / by_key[(int8, batch)].latency_ms_p50
        verdicts.append(f"int8 at batch {batch}: {ratio:.2f}x PyTorch (target >= {target:g}x: {'met' if ratio >= target else 'MISSED'})")
    drop = 100 * (accuracy[source]["accuracy"]["value"] - accuracy[int8]["accuracy"]["value"])
    verdicts.append(f"int8 accuracy drop: {drop:.2f} points (target <= {MAX_DROP_POINTS}: {'met' if drop <= MAX_DROP_POINTS else 'MISSED'})")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
