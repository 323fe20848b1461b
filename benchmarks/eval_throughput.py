"""benchhub's evaluation engine vs `transformers.pipeline("text-classification")`.

Same fine-tuned MiniLM (the demo's), same examples (the sample dataset's train + test texts),
same batch size, same process and threads; rounds interleave the two so both see the same
machine. Prints examples/second for each, the ratio, and whether the predictions are identical.

    python benchmarks/eval_throughput.py [--batch-size 32] [--rounds 5] [--home DIR]

The demo checkpoint is taken from the hub at --home (default $BENCHHUB_HOME); if that hub has
none, the demo runs there first (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()

    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    from benchhub import Hub
    from benchhub.data.records import Split
    from benchhub.demo import MODEL, run_demo, sample_folder
    from benchhub.engine.runner import run_model
    from benchhub.tasks.text_classification.transformers_classifier import (
        TransformersClassifier,
    )

    hub = Hub.open(args.home)
    if not any(m.name == MODEL for m in hub.models()):
        run_demo(hub, progress=False, echo=lambda line: None, tasks=("text-classification",))
    checkpoint = Path(hub.model(MODEL).source)
    labels = hub.dataset("support-intents").labels
    texts = [json.loads(line)["text"] for name in ("train", "test")
             for line in (sample_folder() / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    split = Split("all", list(range(len(texts))), texts)

    ours = TransformersClassifier(checkpoint, dataset_labels=labels)
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint, use_safetensors=True).eval()
    peer = pipeline("text-classification", model=model, tokenizer=AutoTokenizer.from_pretrained(checkpoint),
                    device=-1, batch_size=args.batch_size, truncation=True, max_length=512)

    def run_ours() -> list[str]:
        scores = run_model(ours, split, batch_size=args.batch_size, show_progress=False).scores
        return [labels[i] for i in scores.argmax(axis=1)]

    def run_peer() -> list[str]:
        return [out["label"] for out in peer(texts)]

    run_ours(), run_peer()  # warm-up: first-call allocations and lazy imports
    rates = {"benchhub": [], "pipeline": []}
    predictions = {}
    for round_number in range(args.rounds):
        order = [("benchhub", run_ours), ("pipeline", run_peer)]
        for name, run in order if round_number % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            predictions[name] = run()
            rates[name].append(len(texts) / (time.perf_counter() - started))
    ours_rate, peer_rate = statistics.median(rates["benchhub"]), statistics.median(rates["pipeline"])
    identical = predictions["benchhub"] == predictions["pipeline"]
    agreement = np.mean([a == b for a, b in zip(predictions["benchhub"], predictions["pipeline"])])
    print(f"examples: {len(texts)}, batch size {args.batch_size}, rounds {args.rounds}, torch threads {torch.get_num_threads()}")
    print(f"benchhub engine        {ours_rate:8.1f} examples/s  (rounds: {', '.join(f'{r:.0f}' for r in rates['benchhub'])})")
    print(f"transformers.pipeline  {peer_rate:8.1f} examples/s  (rounds: {', '.join(f'{r:.0f}' for r in rates['pipeline'])})")
    print(f"ratio benchhub/pipeline: {ours_rate / peer_rate:.2f}x; identical predictions: {identical} (agreement {agreement:.4f})")


if __name__ == "__main__":
    main()
