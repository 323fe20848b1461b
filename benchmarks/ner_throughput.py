"""benchhub's token-classification engine vs `transformers.pipeline("token-classification")`.

Same fine-tuned MiniLM tagger (the demo's NER model), same sentences (the NER sample's train + validation
+ test), same batch size, same process and threads; rounds interleave the two so both see the same machine.
The pipeline reads each sentence as its words joined by spaces and reports every sub-token
(`aggregation_strategy="none"`, `ignore_labels=[]`); a word takes the tag of its first sub-token, which is
benchhub's default (`--aggregation first`), so the two should tag every word alike. Prints sentences per
second for each, the ratio, and the share of words tagged alike.

    python benchmarks/ner_throughput.py [--batch-size 32] [--rounds 5] [--home DIR]

The checkpoint comes from the hub at --home (default $BENCHHUB_HOME); a hub without it runs the demo's NER
tour first (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

FAMILY = "token-classification"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    from benchhub import Hub
    from benchhub.data.records import Split
    from benchhub.demo import run_demo, sample_folder, tour_of
    from benchhub.engine.runner import run_model
    from benchhub.tasks.token_classification.conll import read_conll
    from benchhub.tasks.token_classification.transformers_tagger import (
        TransformersTagger,
    )

    tour = tour_of(FAMILY)
    hub = Hub.open(args.home)
    if not any(m.name == tour.model for m in hub.models()):
        run_demo(hub, progress=False, echo=lambda line: None, tasks=(FAMILY,))
    checkpoint = Path(hub.model(tour.model).source)
    tags = hub.dataset(tour.dataset).labels
    sentences = [list(s.tokens) for name in ("train", "validation", "test")
                 for s in read_conll(sample_folder(tour.sample) / f"{name}.conll")]
    split = Split("all", list(range(len(sentences))), [" ".join(words) for words in sentences], fields={"tokens": sentences})

    ours = TransformersTagger(checkpoint, dataset_tags=tags)
    model = AutoModelForTokenClassification.from_pretrained(checkpoint, use_safetensors=True, trust_remote_code=False)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(checkpoint, trust_remote_code=False)
    peer = pipeline("token-classification", model=model, tokenizer=tokenizer,
                    device=-1, batch_size=args.batch_size, aggregation_strategy="none", ignore_labels=[],
                    trust_remote_code=False)

    def run_ours() -> list[list[str]]:
        run = run_model(ours, split, batch_size=args.batch_size, show_progress=False)
        return [list(tagged.tags) for tagged in ours.decode(split, run.items, run.outputs)]

    def run_peer() -> list[list[str]]:
        return [_word_tags(words, tokens) for words, tokens in zip(sentences, peer(split.texts), strict=True)]

    timings: dict[str, list[float]] = {"benchhub": [], "pipeline": []}
    results: dict[str, list[list[str]]] = {}
    run_ours(), run_peer()  # warm-up
    for _ in range(args.rounds):
        for name, run in (("benchhub", run_ours), ("pipeline", run_peer)):
            started = time.perf_counter()
            results[name] = run()
            timings[name].append(time.perf_counter() - started)
    rates = {name: len(sentences) / statistics.median(values) for name, values in timings.items()}
    words = sum(len(s) for s in sentences)
    alike = sum(a == b for x, y in zip(results["benchhub"], results["pipeline"]) for a, b in zip(x, y))
    print(f"threads {torch.get_num_threads()}, batch {args.batch_size}, {len(sentences)} sentences, {words} words, "
          f"{args.rounds} interleaved rounds (median)")
    for name, rate in rates.items():
        print(f"{name:<9} {rate:8.1f} sentences/s")
    print(f"ratio     {rates['benchhub'] / rates['pipeline']:.2f}x (benchhub / pipeline)")
    print(f"same tag  {alike / words:.2%} of words")


def _word_tags(words: list[str], tokens: list[dict]) -> list[str]:
    """Each word's tag: the label of the first sub-token that starts inside it (by character offsets)."""
    starts, position = [], 0
    for word in words:
        starts.append(position)
        position += len(word) + 1
    tags: list[str | None] = [None] * len(words)
    for token in tokens:
        index = max(i for i, start in enumerate(starts) if start <= token["start"])
        if tags[index] is None:
            tags[index] = token["entity"]
    return [tag or "O" for tag in tags]


if __name__ == "__main__":
    main()
