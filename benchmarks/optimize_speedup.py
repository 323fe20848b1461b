"""Every variant `benchhub optimize` can make of the demo's fine-tuned MiniLM classifier, against PyTorch fp32 eager.

`optimize --variants auto` builds every candidate this machine can run (ONNX fp32 fused, ONNX dynamic
int8, PyTorch bf16 and bf16 + torch.compile where the CPU has bf16 units, ...), gates each on the demo
test split, and times them with PyTorch fp32 in one interleaved run (models alternate round by round,
order rotated; tokenization included) at batch 1 and batch 32; it registers the fastest of each. This
script then times every gated candidate again in a second interleaved run the choice did not see and
prints, per workload, each ratio over PyTorch fp32, what `optimize` chose, and the goals:

- the chosen variant is the fastest gated candidate of the second run (at least 0.95x of it);
- on an Intel CPU with AMX: >= 2.5x PyTorch at batch 1 and >= 4x at batch 32; elsewhere >= 4x and >= 3x;
- the chosen variants' accuracy drop <= 0.5 points.

    python benchmarks/optimize_speedup.py [--home DIR] [--seq-len 128] [--seconds 8] [--variants auto]

The sequence length is the split's own (median for batch 1, 90th percentile for batch 32) unless
--seq-len is given (the targets were set at 128 tokens). The hub at --home (default $BENCHHUB_HOME)
needs the demo's classifier; if it has none, the demo's classification tour runs there first (about a
minute on 2 cores). Earlier `@fast-b1`/`@fast-b32` models of this script are replaced.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TARGETS = {True: {"b1": 2.5, "b32": 4.0}, False: {"b1": 4.0, "b32": 3.0}}  # by: the CPU has AMX
MAX_DROP_POINTS = 0.5
HOLDS = 0.95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--seq-len", type=int, default=None, help="tokens per input for both workloads")
    parser.add_argument("--seconds", type=float, default=8.0, help="timed seconds per variant and workload (at least)")
    parser.add_argument("--variants", default="auto")
    args = parser.parse_args()

    from benchhub import Hub
    from benchhub.demo import CLASSIFICATION, run_demo
    from benchhub.engine.latency import BenchBudget
    from benchhub.optimize.candidates import this_machine

    hub = Hub.open(args.home)
    source, dataset = CLASSIFICATION.model, CLASSIFICATION.dataset
    if not any(m.name == source for m in hub.models()):
        run_demo(hub, progress=False, echo=lambda line: None, tasks=(CLASSIFICATION.task,))
    for workload in ("b1", "b32"):
        if any(m.name == f"{source}@fast-{workload}" for m in hub.models()):
            hub.remove_model(f"{source}@fast-{workload}", cascade=True)
    budget = BenchBudget(warmup_calls=5, warmup_seconds=1.0, min_timings=30, min_seconds=args.seconds, slice_seconds=0.25,
                         max_seconds=20 * args.seconds)
    result = hub.optimize_variants(source, variants=args.variants, dataset=dataset, budget=budget, seq_len=args.seq_len,
                                   recheck=True, progress=False, echo=lambda line: print("  " + line))
    machine = this_machine()
    print(f"\n{result.machine}; {os.cpu_count()} CPUs; batch 1 at {result.seq_lens['b1']} tokens, "
          f"batch 32 at {result.seq_lens['b32']} tokens; tokenization included")
    print(f"{'variant':<20} {'gate':<9} {'b1 ms':>8} {'vs fp32':>8} {'again':>8} {'b32 ex/s':>9} {'vs fp32':>8} {'again':>8}  chosen for")
    for trial in result.trials:
        again = result.recheck.get(trial.variant, {})
        chosen = [w for w in ("b1", "b32") if result.chosen[w] == trial.variant]
        print(f"{trial.variant:<20} {'passed' if trial.passed else 'FAILED':<9} {_num(trial.latency_b1_ms, '.2f'):>8} "
              f"{_num(trial.speedup_b1, '.2f', 'x'):>8} {_num(again.get('speedup_b1'), '.2f', 'x'):>8} "
              f"{_num(trial.throughput_b32, '.1f'):>9} {_num(trial.speedup_b32, '.2f', 'x'):>8} "
              f"{_num(again.get('speedup_b32'), '.2f', 'x'):>8}  {', '.join(chosen) or '-'}")
    for item in result.skipped:
        print(f"{item['variant']:<20} skipped: {item['why']}")
    targets = TARGETS["amx_bf16" in machine.flags]
    verdicts = []
    for workload, key in (("b1", "speedup_b1"), ("b32", "speedup_b32")):
        chosen = result.chosen[workload]
        best = max(result.recheck, key=lambda name: result.recheck[name][key])
        holds = result.recheck[chosen][key] / result.recheck[best][key]
        verdicts.append(f"{workload}: chose {chosen}; in the second run it is {holds:.2f}x the fastest ({best}) "
                        f"(goal >= {HOLDS}: {'met' if holds >= HOLDS else 'MISSED'})")
        ratio = result.recheck[chosen][key]
        verdicts.append(f"{workload}: {chosen} is {ratio:.2f}x PyTorch fp32 in the second run "
                        f"(goal >= {targets[workload]:g}x on this CPU: {'met' if ratio >= targets[workload] else 'MISSED'})")
    base = result.source_evaluation.metrics["macro_f1"]["value"]
    for workload, evaluation in result.evaluations.items():
        drop = 100 * (base - evaluation.metrics["macro_f1"]["value"])
        verdicts.append(f"{workload}: {evaluation.model} macro_f1 drop {drop:+.2f} points "
                        f"(goal <= {MAX_DROP_POINTS}: {'met' if drop <= MAX_DROP_POINTS else 'MISSED'})")
    print("\n".join(verdicts))


def _num(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else format(value, spec) + suffix


if __name__ == "__main__":
    main()
