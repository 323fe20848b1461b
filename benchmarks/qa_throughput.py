"""benchhub's QA engine vs `transformers.pipeline("question-answering")`.

Same fine-tuned MiniLM QA model (the demo's), same questions (the QA sample's train + test),
same batch size, window (384 tokens, stride 128) and longest answer (30 tokens), same process
and threads; rounds interleave the two. Both answer every question (no abstention), so the
answer strings are comparable. Prints questions/second for each, the ratio, and the share of
questions with the same answer string.

    python benchmarks/qa_throughput.py [--batch-size 32] [--rounds 5] [--home DIR]

The demo checkpoint is taken from the hub at --home (default $BENCHHUB_HOME); if that hub has
none, the demo's QA tour runs there first (a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
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

    import torch
    import transformers
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer, pipeline

    from benchhub import Hub
    from benchhub.data.readers import read_file
    from benchhub.data.records import Split
    from benchhub.demo import QUESTION_ANSWERING, run_demo, sample_folder
    from benchhub.engine.runner import run_model
    from benchhub.models.transformers_qa import TransformersQA

    hub = Hub.open(args.home)
    if not any(m.name == QUESTION_ANSWERING.model for m in hub.models()):
        run_demo(hub, progress=False, echo=lambda line: None, tasks=(QUESTION_ANSWERING.task,))
    checkpoint = Path(hub.model(QUESTION_ANSWERING.model).source)
    rows = [row for name in ("train.json", "test.json") for row in read_file(sample_folder("qa_sample") / name).rows]
    questions, contexts = [r["question"] for r in rows], [r["context"] for r in rows]
    split = Split("all", list(range(len(rows))), questions, contexts)

    ours = TransformersQA(checkpoint, max_length=384, doc_stride=128, max_answer_length=30)
    model = AutoModelForQuestionAnswering.from_pretrained(checkpoint, use_safetensors=True).eval()
    try:
        peer = pipeline("question-answering", model=model, tokenizer=AutoTokenizer.from_pretrained(checkpoint), device=-1)
    except KeyError as exc:
        # transformers 5 removed the question-answering pipeline; the peer only exists in transformers 4.x.
        raise SystemExit(f"The peer is unavailable with transformers {transformers.__version__}: {exc}") from None

    def run_ours() -> list[str]:
        run = run_model(ours, split, batch_size=args.batch_size, show_progress=False)
        return [answer.text for answer in ours.decode(split, run.items, run.outputs, allow_no_answer=False)]

    def run_peer() -> list[str]:
        outputs = peer(question=questions, context=contexts, batch_size=args.batch_size, max_seq_len=384,
                       doc_stride=128, max_answer_len=30, handle_impossible_answer=False)
        return [out["answer"] for out in outputs]

    run_ours(), run_peer()  # warm-up
    rates = {"benchhub": [], "pipeline": []}
    answers = {}
    for round_number in range(args.rounds):
        order = [("benchhub", run_ours), ("pipeline", run_peer)]
        for name, run in order if round_number % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            answers[name] = run()
            rates[name].append(len(rows) / (time.perf_counter() - started))
    ours_rate, peer_rate = statistics.median(rates["benchhub"]), statistics.median(rates["pipeline"])
    same = sum(a == b for a, b in zip(answers["benchhub"], answers["pipeline"])) / len(rows)
    print(f"questions: {len(rows)}, batch size {args.batch_size}, rounds {args.rounds}, torch threads {torch.get_num_threads()}")
    print(f"benchhub engine        {ours_rate:8.1f} questions/s  (rounds: {', '.join(f'{r:.0f}' for r in rates['benchhub'])})")
    print(f"transformers.pipeline  {peer_rate:8.1f} questions/s  (rounds: {', '.join(f'{r:.0f}' for r in rates['pipeline'])})")
    print(f"ratio benchhub/pipeline: {ours_rate / peer_rate:.2f}x; same answer string: {same:.2%} of questions")
    for a, b, q in zip(answers["benchhub"], answers["pipeline"], questions):
        if a != b:
            print(f"  differs: {q!r}: benchhub {a!r} vs pipeline {b!r}")


if __name__ == "__main__":
    main()
