"""The peer of qa_throughput.py: `transformers.pipeline("question-answering")`, served over stdin/stdout.

transformers 5 removed the question-answering pipeline, so qa_throughput.py (benchhub's venv,
transformers 5) starts this script with a second interpreter that has transformers 4.x
(benchmarks/.peer-venv: torch 2.13.0, transformers 4.57.6) and keeps it running for the whole
benchmark. It imports nothing from benchhub.

    benchmarks/.peer-venv/bin/python benchmarks/qa_peer_worker.py --checkpoint DIR --threads N

Protocol, one JSON object per line each way (stdout carries nothing else; logs go to stderr):

    -> {"questions": [...], "contexts": [...]}             once, first
    <- {"ready": true, "transformers": "4.57.6", "torch": "2.13.0+cpu", "threads": 2, "questions": 448}
    -> {"cmd": "run", "batch_size": 32}                     any number of times; optional "align_to_words": false
    <- {"seconds": 12.3, "answers": ["...", ...]}           seconds: perf_counter around the pipeline call only
    -> {"cmd": "quit"}                                      or end of input
    <- {"error": "..."}                                     instead of a reply when a request fails

Each run answers every question with max_seq_len=384, doc_stride=128, max_answer_len=30 and
handle_impossible_answer=False, the settings benchhub's engine gets in qa_throughput.py, and the
pipeline's own default align_to_words=True unless the request says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="the fine-tuned QA model folder (safetensors)")
    parser.add_argument("--threads", type=int, required=True, help="torch intra-op threads, as in the parent")
    args = parser.parse_args()

    # Replies go to the real stdout; anything a library prints goes to stderr instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    sys.stdout = sys.stderr

    def reply(message: dict) -> None:
        replies.write(json.dumps(message) + "\n")

    import torch
    import transformers
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer, pipeline

    torch.set_num_threads(args.threads)
    # The checkpoint was written by transformers 5. Its tokenizer_config.json names the slow
    # "BertTokenizer" and the folder has no vocab.txt, only tokenizer.json; asking for the fast
    # tokenizer explicitly (and checking it) keeps the pipeline on its offsets-based path, the
    # same tokenizer.json benchhub encodes with.
    tokenizer = AutoTokenizer.from_pretrained(args.checkpoint, use_fast=True)
    if not tokenizer.is_fast:
        raise SystemExit(f"{args.checkpoint}: no fast tokenizer (tokenizer.json) for the pipeline")
    model = AutoModelForQuestionAnswering.from_pretrained(args.checkpoint, use_safetensors=True).eval()
    peer = pipeline("question-answering", model=model, tokenizer=tokenizer, device=-1)

    first = sys.stdin.readline()
    if not first:
        return
    data = json.loads(first)
    questions, contexts = data["questions"], data["contexts"]
    if len(questions) != len(contexts) or len(questions) < 2:
        raise SystemExit("the worker needs two or more questions, each with a context")
    reply({"ready": True, "transformers": transformers.__version__, "torch": torch.__version__,
           "threads": torch.get_num_threads(), "questions": len(questions)})

    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("cmd") == "quit":
            break
        if request.get("cmd") != "run":
            reply({"error": f"unknown request: {line.strip()[:200]}"})
            continue
        try:
            batch_size, align_to_words = int(request["batch_size"]), bool(request.get("align_to_words", True))
            started = time.perf_counter()
            outputs = peer(question=questions, context=contexts, batch_size=batch_size, max_seq_len=384, doc_stride=128,
                           max_answer_len=30, handle_impossible_answer=False, align_to_words=align_to_words)
            seconds = time.perf_counter() - started
        except Exception as exc:  # reported to the parent, which stops the benchmark
            reply({"error": f"{type(exc).__name__}: {exc}"})
            continue
        reply({"seconds": seconds, "answers": [output["answer"] for output in outputs]})


if __name__ == "__main__":
    main()
