"""Training a small causal language model from scratch on a split's documents (the language-modeling recipe).

No pretrained causal model ships with benchhub offline (all-MiniLM-L6-v2 is an encoder), so this recipe starts from
nothing: a byte-level BPE vocabulary trained on the documents (lossless, so every byte of a test document is
scored), and a small GPT-2 (`GPT2LMHeadModel`) trained on each document as `<s> text </s>`, the way the family
scores it (the first token conditioned on `<s>`, lm-evaluation-harness's prefix token). Everything is seeded:
the same split and config give the same checkpoint, bit for bit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.byte_bpe import train_byte_level_bpe
from benchhub.models.training import TrainingConfig, train_and_save, write_summary


@dataclass(frozen=True)
class CausalTrainingConfig(TrainingConfig):
    """The recipe's settings: TrainingConfig's, with the size of the model and its vocabulary."""

    epochs: float = 20.0
    batch_size: int = 8
    learning_rate: float = 1e-3
    max_length: int = 128  # tokens of a document trained on
    positions: int = 256   # the model's positions: room for a prompt and what it generates after it
    vocab_size: int = 1024
    layers: int = 2
    width: int = 128
    heads: int = 4


def train_causal_lm(train: Split, output: Path, *, config: CausalTrainingConfig = CausalTrainingConfig(),
                    show_progress: bool = True) -> dict[str, Any]:
    """Trains the vocabulary and the model on `train`'s documents; saves a safetensors checkpoint to `output`."""
    import numpy as np
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    documents = [text for text in train.texts if text.strip()]
    if not documents:
        raise InvalidInputError(f"Split {train.name!r} has no document with text to train on.")
    if config.epochs <= 0:
        raise InvalidInputError(f"--epochs must be a number in the range (0, inf). Got {config.epochs} instead.")
    tokenizer = train_byte_level_bpe(documents, vocab_size=config.vocab_size, positions=config.positions)
    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    features = []
    for text in documents:
        ids = [bos, *tokenizer.encode(text)][: config.max_length - 1] + [eos]
        features.append({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": list(ids)})
    torch.manual_seed(config.seed)
    model = GPT2LMHeadModel(GPT2Config(
        vocab_size=len(tokenizer), n_positions=config.positions, n_embd=config.width, n_layer=config.layers,
        n_head=config.heads, bos_token_id=bos, eos_token_id=eos, pad_token_id=tokenizer.pad_token_id))
    model.loss_type = "ForCausalLM"  # GPT2LMHeadModel's name matches none of transformers' losses; it is this one
    result = train_and_save(model, tokenizer, features, output, config=config, rng=np.random.default_rng(config.seed),
                            show_progress=show_progress)
    return write_summary(output, {
        "base": None, "recipe": "a GPT-2 trained from scratch", "train_split": train.name,
        "train_fingerprint": train.fingerprint, "documents": len(documents),
        "parameters": sum(p.numel() for p in model.parameters()), **result, "config": asdict(config),
    })
