"""A byte-level BPE tokenizer trained on the fly: GPT-2's pre-tokenizer and byte alphabet, so every text encodes,
with <pad>, <s> and </s> first among the special tokens. Models trained from scratch use it (the language-modeling
family), and so do the tiny models the tests and benchmarks build."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["SPECIALS", "train_byte_level_bpe"]

SPECIALS = ("<pad>", "<s>", "</s>")


def train_byte_level_bpe(documents: Iterable[str], *, vocab_size: int, positions: int,
                         extra_specials: Sequence[str] = (), wrap_inputs: bool = False) -> Any:
    """A `PreTrainedTokenizerFast` trained on `documents`: encoding adds no special tokens (with `wrap_inputs`, it
    wraps each input in <s> ... </s>, as BART's tokenizer does), padding is on the right."""
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(documents, trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[*SPECIALS, *extra_specials],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    if wrap_inputs:
        bos, eos = tokenizer.token_to_id("<s>"), tokenizer.token_to_id("</s>")
        tokenizer.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", pair="<s> $A </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)])
    else:
        tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", bos_token="<s>", eos_token="</s>",
                                   model_max_length=positions, padding_side="right")
