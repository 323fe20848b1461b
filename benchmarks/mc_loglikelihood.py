"""benchhub's multiple-choice scorer (`CausalChooser`) vs lm-evaluation-harness's `HFLM.loglikelihood`.

Same randomly initialised GPT-2 (built on the fly by `synthetic_lm.py`: 6 layers, 384 hidden, a BPE vocabulary of
8,192 trained on synthetic text), the same network object and tokenizer on both sides, the same questions (synthetic,
4 choices of 1 to 5 words, contexts of about 100 to 300 tokens in the default template "Question: ...\\nAnswer:"),
the same torch threads, in one process, rounds interleaved with the order alternating; each side gets a warm-up.

benchhub runs as an evaluation runs it: `engine.runner.run_model` over the split (tokenization, length-sorted
batches of questions, each question's context once on its key-value cache). The peer is
`HFLM(pretrained=<the network>, tokenizer=..., batch_size=B).loglikelihood(requests)` with one request per choice
(its own tokenization, its length-sorted batches, one full forward pass per choice); the `Instance`s are built
before the clock starts, as lm_eval's tasks build them. acc and acc_norm come from each side's log-likelihoods
through `tasks/multiple_choice/metrics.py`; the script prints both, whether they are identical, and the largest
|Δ log-likelihood|.

    python benchmarks/mc_loglikelihood.py [--questions 120] [--batch-size 8] [--peer-batch-size 32] [--rounds 3]

`--batch-size` counts questions (benchhub's items); `--peer-batch-size` counts requests, so the default 32 gives
lm_eval the same 32 choices a batch as benchhub's 8 questions.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

CHOICES_PER_QUESTION = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=120)
    parser.add_argument("--min-words", type=int, default=85, help="shortest context passage, in words (~1.16 tokens each)")
    parser.add_argument("--max-words", type=int, default=250)
    parser.add_argument("--batch-size", type=int, default=8, help="questions per benchhub batch")
    parser.add_argument("--peer-batch-size", type=int, default=32, help="requests (choices) per lm_eval batch")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM
    from synthetic_lm import Words, build_gpt2

    from benchhub.data.records import Split
    from benchhub.engine.runner import run_model
    from benchhub.tasks.multiple_choice.causal_chooser import CausalChooser
    from benchhub.tasks.multiple_choice.metrics import per_question
    from benchhub.tasks.multiple_choice.prompts import Prompt

    words = Words()
    folder = build_gpt2(Path(tempfile.mkdtemp(prefix="mc-bench-")) / "gpt2", words)
    rng = random.Random(17)
    questions = [words.passage(rng, rng.randint(args.min_words, args.max_words)) for _ in range(args.questions)]
    choices = [[" ".join(words.words(rng, rng.randint(1, 5))) for _ in range(CHOICES_PER_QUESTION)] for _ in questions]
    gold = [rng.randrange(CHOICES_PER_QUESTION) for _ in questions]
    split = Split("bench", list(range(len(questions))), questions, fields={"choices": choices, "gold": gold})

    prompt = Prompt()
    chooser = CausalChooser(folder, prompt=prompt, device="cpu", threads=args.threads)
    torch.set_num_threads(args.threads)
    peer = HFLM(pretrained=chooser.network, tokenizer=chooser.tokenizer, batch_size=args.peer_batch_size,
                max_length=chooser.max_length, device="cpu")
    pairs = [(prompt.context(q), prompt.continuation(c)) for q, options in zip(questions, choices) for c in options]
    requests = [Instance(request_type="loglikelihood", doc={}, arguments=pair, idx=i) for i, pair in enumerate(pairs)]
    warmup = Split("warmup", split.ids[:16], split.texts[:16], fields={k: v[:16] for k, v in split.fields.items()})

    def run_ours(data: Split = split) -> list[list[float]]:
        run = run_model(chooser, data, batch_size=args.batch_size, show_progress=False)
        return [list(prediction.loglikelihoods) for prediction in run.outputs]

    def run_peer(chosen: list = requests) -> list[list[float]]:
        flat = iter([ll for ll, _ in peer.loglikelihood(chosen, disable_tqdm=True)])
        return [[next(flat) for _ in range(CHOICES_PER_QUESTION)] for _ in range(len(chosen) // CHOICES_PER_QUESTION)]

    run_ours(warmup), run_peer(requests[: 16 * CHOICES_PER_QUESTION])
    timings: dict[str, list[float]] = {"benchhub": [], "lm_eval": []}
    results: dict[str, list[list[float]]] = {}
    runs = (("benchhub", run_ours), ("lm_eval", run_peer))
    for round_ in range(args.rounds):
        for name, run in runs if round_ % 2 == 0 else runs[::-1]:
            started = time.perf_counter()
            results[name] = run()
            timings[name].append(time.perf_counter() - started)

    context_tokens = [len(chooser.tok_encode(prompt.context(q))) for q in questions]
    scores = {name: per_question(loglikelihoods=lls, choices=choices, gold=gold) for name, lls in results.items()}
    delta = max(abs(a - b) for x, y in zip(results["benchhub"], results["lm_eval"]) for a, b in zip(x, y))
    rates = {name: len(questions) / statistics.median(values) for name, values in timings.items()}
    print(f"threads {torch.get_num_threads()}, {len(questions)} questions x {CHOICES_PER_QUESTION} choices, contexts "
          f"{min(context_tokens)}-{max(context_tokens)} tokens (median {statistics.median(context_tokens):.0f}), "
          f"{sum(p.numel() for p in chooser.network.parameters()) / 1e6:.1f}M parameters, benchhub batch "
          f"{args.batch_size} questions, lm_eval batch {args.peer_batch_size} requests, {args.rounds} interleaved "
          f"rounds (median)")
    print(f"{'':<9} {'questions/s':>11} {'seconds':>8}  {'acc':>6} {'acc_norm':>8}  rounds")
    for name, rate in rates.items():
        shown = ", ".join(f"{s:.2f}" for s in timings[name])
        print(f"{name:<9} {rate:11.2f} {statistics.median(timings[name]):8.2f}  {scores[name]['acc'].mean():6.3f} "
              f"{scores[name]['acc_norm'].mean():8.3f}  {shown}")
    same = all((scores["benchhub"][key] == scores["lm_eval"][key]).all() for key in ("acc", "acc_norm", "predicted",
                                                                                      "predicted_norm"))
    print(f"ratio     {rates['benchhub'] / rates['lm_eval']:.2f}x (benchhub / lm_eval)")
    print(f"identical acc, acc_norm and picked choices per question: {'yes' if same else 'NO'}; "
          f"max |delta loglikelihood| {delta:.2e}")


if __name__ == "__main__":
    main()
