"""benchhub's `TextGenerator` through the engine vs plain `model.generate` loops, greedy, on the same GPT-2.

Same randomly initialised GPT-2 (built on the fly by `synthetic_lm.py`: 6 layers, 384 hidden, a BPE vocabulary of
8,192), the same network object, prompts (synthetic passages of very different lengths), `max_new_tokens`, greedy
decoding and torch threads, in one process. Three ways to generate:

- benchhub: `engine.runner.run_model` over the split, as an evaluation runs it (tokenization, prompts grouped by
  length into batches of B, left padding, `generate` per batch, only the new tokens decoded);
- batched: a plain loop over the prompts in input order, B at a time, the tokenizer padding on the left
  (`padding_side="left"`), `model.generate(**batch)`;
- per example: a plain loop calling `model.generate` on one prompt at a time (batch 1), the reference outputs.

benchhub and the batched loop run in interleaved rounds (order alternating, median); the per-example loop runs
once, after a warm-up of all three. Each side's texts are decoded alike (new tokens, special tokens skipped,
stripped) and compared with the per-example loop's. Tokens/s counts the tokens the per-example loop generated
(up to and including an end-of-sequence token), the useful work, for every side.

    python benchmarks/generation_throughput.py [--prompts 64] [--batch-size 16] [--max-new-tokens 16] [--rounds 3]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--min-words", type=int, default=5)
    parser.add_argument("--max-words", type=int, default=250, help="longest prompt, in words (~1.16 tokens each)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch
    from synthetic_lm import Words, build_gpt2
    from transformers import AutoTokenizer

    from benchhub.data.records import Split
    from benchhub.engine.runner import run_model
    from benchhub.models.generation import Decoding, TextGenerator
    from benchhub.models.language_models import load_language_model

    words = Words()
    folder = build_gpt2(Path(tempfile.mkdtemp(prefix="generation-bench-")) / "gpt2", words)
    rng = random.Random(23)
    prompts = [words.passage(rng, rng.randint(args.min_words, args.max_words)) for _ in range(args.prompts)]
    split = Split("bench", list(range(len(prompts))), prompts)

    loaded = load_language_model(folder, device="cpu", threads=args.threads)
    torch.set_num_threads(args.threads)
    generator = TextGenerator(loaded, decoding=Decoding(max_new_tokens=args.max_new_tokens))
    network = loaded.network
    tokenizer = AutoTokenizer.from_pretrained(folder, padding_side="left", trust_remote_code=False)
    options = {"max_new_tokens": args.max_new_tokens, "do_sample": False, "num_beams": 1,
               "pad_token_id": tokenizer.pad_token_id}

    def decode(new_tokens) -> list[str]:
        return [text.strip() for text in tokenizer.batch_decode(new_tokens, skip_special_tokens=True)]

    def run_ours(data: Split = split) -> list[str]:
        return run_model(generator, data, batch_size=args.batch_size, show_progress=False).outputs

    def run_batched(texts: list[str] = prompts) -> list[str]:
        outputs = []
        with torch.inference_mode():
            for start in range(0, len(texts), args.batch_size):
                batch = tokenizer(texts[start: start + args.batch_size], return_tensors="pt", padding=True)
                output = network.generate(**batch, **options)
                outputs += decode(output[:, batch["input_ids"].shape[1]:])
        return outputs

    generated: list[int] = []

    def run_each(texts: list[str] = prompts) -> list[str]:
        outputs = []
        generated.clear()
        with torch.inference_mode():
            for text in texts:
                batch = tokenizer(text, return_tensors="pt")
                new = network.generate(**batch, **options)[0, batch["input_ids"].shape[1]:]
                generated.append(len(new))
                outputs += decode(new[None])
        return outputs

    warm = Split("warmup", split.ids[:args.batch_size], split.texts[:args.batch_size])
    run_ours(warm), run_batched(prompts[:args.batch_size]), run_each(prompts[:4])
    timings: dict[str, list[float]] = {"benchhub": [], "batched": []}
    results: dict[str, list[str]] = {}
    runs = (("benchhub", run_ours), ("batched", run_batched))
    for round_ in range(args.rounds):
        for name, run in runs if round_ % 2 == 0 else runs[::-1]:
            started = time.perf_counter()
            results[name] = run()
            timings[name].append(time.perf_counter() - started)
    started = time.perf_counter()
    results["per example"] = run_each()
    timings["per example"] = [time.perf_counter() - started]

    prompt_tokens = [len(tokenizer(text)["input_ids"]) for text in prompts]
    tokens = sum(generated)
    rates = {name: tokens / statistics.median(values) for name, values in timings.items()}
    reference = results["per example"]
    print(f"threads {torch.get_num_threads()}, {len(prompts)} prompts of {min(prompt_tokens)}-{max(prompt_tokens)} "
          f"tokens (median {statistics.median(prompt_tokens):.0f}), max_new_tokens {args.max_new_tokens} "
          f"({tokens} generated), greedy, batch {args.batch_size}, "
          f"{sum(p.numel() for p in network.parameters()) / 1e6:.1f}M parameters, {args.rounds} interleaved rounds "
          f"(median; per example: one run)")
    print(f"{'':<12} {'tokens/s':>9} {'seconds':>8}  {'same as per example':>19}  rounds")
    for name, rate in rates.items():
        same = sum(a == b for a, b in zip(results[name], reference, strict=True))
        shown = ", ".join(f"{s:.2f}" for s in timings[name])
        print(f"{name:<12} {rate:9.1f} {statistics.median(timings[name]):8.2f}  {same:>12}/{len(prompts):<6}  {shown}")
    print(f"{len(set(reference))} distinct texts among the {len(prompts)} reference outputs")
    print(f"ratio        {rates['benchhub'] / rates['batched']:.2f}x (benchhub / batched generate at batch "
          f"{args.batch_size}), {rates['benchhub'] / rates['per example']:.2f}x (benchhub / per-example generate)")


if __name__ == "__main__":
    main()
