"""A randomly initialised GPT-2 of a realistic-ish size, with a byte-level BPE vocabulary trained on the fly, and
the synthetic text both language-model benchmarks feed it (no downloads).

The text is made of pseudo-words (syllables drawn by a seeded generator, word frequencies Zipf-like), so the
BPE trainer finds enough merges for a vocabulary of thousands of tokens and a word is one to a few tokens, as
in English. Everything is seeded: the same arguments give the same model, tokenizer and texts.
"""

from __future__ import annotations

import random
from pathlib import Path

SYLLABLES = [c + v for c in "bcdfghklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


class Words:
    """Draws sentences from a fixed lexicon of pseudo-words, with Zipf-like frequencies."""

    def __init__(self, *, seed: int = 0, size: int = 6000) -> None:
        rng = random.Random(seed)
        lexicon = {"".join(rng.choices(SYLLABLES, k=rng.choice((1, 1, 2, 2, 2, 3, 3, 4)))) for _ in range(size * 2)}
        self.lexicon = sorted(lexicon)[:size]
        rng.shuffle(self.lexicon)
        self.weights = [1.0 / (rank + 1) for rank in range(len(self.lexicon))]

    def words(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.lexicon, weights=self.weights, k=count)

    def sentence(self, rng: random.Random, count: int) -> str:
        first, *rest = self.words(rng, count)
        return " ".join([first.capitalize(), *rest]) + rng.choice(".?!")

    def passage(self, rng: random.Random, count: int) -> str:
        """About `count` words in sentences of 5 to 20 words."""
        sentences, left = [], count
        while left > 0:
            length = min(left, rng.randint(5, 20))
            sentences.append(self.sentence(rng, length))
            left -= length
        return " ".join(sentences)


def build_gpt2(folder: Path, words: Words, *, vocab_size: int = 8192, layers: int = 6, hidden: int = 384, heads: int = 6,
               positions: int = 1024, init_std: float = 0.02, seed: int = 0) -> Path:
    """Trains the BPE vocabulary on passages of `words` and saves a random `GPT2LMHeadModel` (safetensors) in `folder`."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from benchhub.models.byte_bpe import train_byte_level_bpe

    rng = random.Random(seed)
    corpus = [words.passage(rng, 200) for _ in range(2000)]
    fast = train_byte_level_bpe(corpus, vocab_size=vocab_size, positions=positions)
    folder.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(folder)
    config = GPT2Config(vocab_size=len(fast), n_positions=positions, n_embd=hidden, n_layer=layers, n_head=heads,
                        bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id,
                        initializer_range=init_std)
    torch.manual_seed(seed)
    GPT2LMHeadModel(config).save_pretrained(folder, safe_serialization=True)
    return folder
