"""A local causal language model that scores each choice by the log-likelihood of its continuation.

Requests and tokens are lm-evaluation-harness's (HFLM, `_encode_pair`, `loglikelihood`, `_loglikelihood_tokens`):
trailing spaces of the context move to the continuation; the context is `tok(context)` and the continuation
the rest of `tok(context + continuation)`; the tokenizer adds its special tokens as it does by default, unless
the text starts with the prefix token; an empty context is the prefix token (BOS, else EOS); and a request
longer than `max_length` + 1 tokens loses tokens on the left. The log-likelihood sums the continuation's
token log-probabilities, and `greedy` says whether each of its tokens is the most likely one (is_greedy).

The context runs once per question, not once per choice: one forward pass over the batch's contexts (right
padded, so padding never precedes a real token) keeps their key-value cache; the last context token's
logits give each continuation's first token, and one pass over the continuations (less their last tokens,
right padded) on the cache, expanded to one row per choice, gives the rest. Left truncation may keep a
different amount of context for continuations of different lengths; each distinct kept context runs once.
"""

from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.checkpoints import quiet_transformers
from benchhub.models.language_models import (
    CAUSAL_SUFFIXES,
    SEQ2SEQ_SUFFIXES,
    load_language_model,
)
from benchhub.tasks.multiple_choice.outputs import ChoicePrediction
from benchhub.tasks.multiple_choice.prompts import Prompt
from benchhub.tasks.multiple_choice.reading import CHOICES

# Config attributes that give a model's context length, in the order lm-evaluation-harness reads them.
LENGTH_ATTRIBUTES = ("n_positions", "max_position_embeddings", "n_ctx")


@dataclass(frozen=True)
class Question:
    """One question's token ids: the distinct contexts its choices keep, and per choice its context and continuation."""

    contexts: tuple[tuple[int, ...], ...]
    choices: tuple[tuple[int, tuple[int, ...]], ...]  # (index into contexts, continuation tokens)


class CausalChooser:
    """Scores every choice of a question with a causal LM loaded from `folder` (PyTorch)."""

    def __init__(self, folder: Path, *, prompt: Prompt, max_length: int = 2048, runtime: str = "torch",
                 device: str | None = None, threads: int | None = None) -> None:
        refuse_seq2seq(folder)
        loaded = load_language_model(folder, runtime=runtime, device=device, threads=threads)
        if loaded.encoder_decoder:
            raise InvalidInputError(seq2seq_refusal(type(loaded.network).__name__))
        self.tokenizer, self.network, self.device = loaded.tokenizer, loaded.network, loaded.device
        self.prompt = prompt
        self.max_length = min(max_length, context_limit(loaded.config, self.tokenizer))
        tokenizer = self.tokenizer
        self.prefix_token_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        self._prefix_text = None if self.prefix_token_id is None else tokenizer.decode(self.prefix_token_id)
        # transformers 5 names the cache argument `cache`, earlier versions `past_key_values`.
        parameters = inspect.signature(self.network.forward).parameters
        self._cache_keyword = "cache" if "cache" in parameters else "past_key_values"
        self._keeps_logits = "logits_to_keep" in parameters
        self.info = replace(loaded.info, extra={**loaded.info.extra, "max_length": self.max_length,
                                                "prompt_template": prompt.template,
                                                "fewshot_prefix_chars": len(prompt.fewshot_prefix)})

    # Requests --------------------------------------------------------------------------------------
    def encode(self, split: Split) -> list[Question]:
        questions = []
        with quiet_transformers():  # its notice of texts longer than the model: left truncation handles them
            for example_id, text, choices in zip(split.ids, split.texts, split.field(CHOICES) or [], strict=True):
                context = self.prompt.context(text)
                pairs = [self.encode_pair(context, self.prompt.continuation(choice)) for choice in choices]
                questions.append(self._question(example_id, pairs))
        return questions

    def encode_pair(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        """(context tokens, continuation tokens) as lm-evaluation-harness's HFLM.loglikelihood makes them."""
        if context == "":
            if self.prefix_token_id is None:
                raise InvalidInputError("A question's prompt is empty, and the tokenizer has neither a beginning- nor an "
                                        "end-of-sequence token to condition on; register the dataset with a "
                                        "--prompt-template that adds text around {question}.")
            tokens = self.tok_encode(continuation, add_special_tokens=False)
            if tokens and tokens[0] == self.prefix_token_id:
                return tokens[:1], tokens[1:]
            return [self.prefix_token_id], tokens
        spaces = len(context) - len(context.rstrip())
        if spaces:
            context, continuation = context[:-spaces], context[-spaces:] + continuation
        whole, context_tokens = self.tok_encode(context + continuation), self.tok_encode(context)
        return context_tokens, whole[len(context_tokens):]

    def tok_encode(self, text: str, *, add_special_tokens: bool | None = None) -> list[int]:
        """HFLM.tok_encode with add_bos_token unset: the tokenizer's default, except after a leading prefix token."""
        if add_special_tokens is None and self._prefix_text is not None and text.startswith(self._prefix_text):
            add_special_tokens = False
        kwargs = {} if add_special_tokens is None else {"add_special_tokens": add_special_tokens}
        return list(self.tokenizer.encode(text, **kwargs))

    def _question(self, example_id: Any, pairs: list[tuple[list[int], list[int]]]) -> Question:
        contexts: dict[tuple[int, ...], int] = {}
        choices = []
        for position, (context, continuation) in enumerate(pairs):
            if not continuation:
                raise InvalidInputError(f"Question {example_id!r}: choice {position} has no tokens of its own after the "
                                        "context (the tokenizer merged it into the context); change the prompt template.")
            if len(continuation) > self.max_length:
                raise InvalidInputError(f"Question {example_id!r}: choice {position} is {len(continuation)} tokens, more "
                                        f"than max_length {self.max_length}; shorten it or raise --max-length.")
            window = (context + continuation)[-(self.max_length + 1):]
            kept = tuple(window[: len(window) - len(continuation)])
            choices.append((contexts.setdefault(kept, len(contexts)), tuple(continuation)))
        return Question(tuple(contexts), tuple(choices))

    def length(self, item: Question) -> int:
        return sum(map(len, item.contexts)) + sum(len(continuation) for _, continuation in item.choices)

    # Scoring ---------------------------------------------------------------------------------------
    def predict(self, items: Sequence[Question]) -> list[ChoicePrediction]:
        import torch

        contexts = [context for item in items for context in item.contexts]
        first = [0, *itertools.accumulate(len(item.contexts) for item in items)]
        rows = [(first[k] + group, continuation) for k, item in enumerate(items) for group, continuation in item.choices]
        # Only the contexts' last positions need logits (over the whole vocabulary: the largest tensor here).
        ends = sorted({len(context) - 1 for context in contexts})
        column = {end: k for k, end in enumerate(ends)} if self._keeps_logits else {end: end for end in ends}
        keep = {"logits_to_keep": torch.tensor(ends, device=self.device)} if self._keeps_logits else {}
        with torch.inference_mode():
            out = self.network(input_ids=self._padded(contexts), attention_mask=self._mask(contexts), use_cache=True, **keep)
            last = torch.stack([out.logits[j, column[len(context) - 1]] for j, context in enumerate(contexts)])
            last = _log_softmax(last)  # [contexts, vocab]: each continuation's first token
            rest = self._continuations(rows, contexts, out.cache if hasattr(out, "cache") else out.past_key_values)
        results = []
        for row, (group, continuation) in enumerate(rows):
            logprobs = [last[group]] + ([rest[row, : len(continuation) - 1]] if len(continuation) > 1 else [])
            table = torch.cat([lp.reshape(-1, lp.shape[-1]) for lp in logprobs])  # [len(continuation), vocab]
            tokens = torch.tensor(continuation, device=table.device)
            picked = table.gather(1, tokens[:, None]).squeeze(1)
            results.append((float(picked.sum()), bool((table.argmax(dim=-1) == tokens).all())))
        predictions, at = [], 0
        for item in items:
            scored = results[at: at + len(item.choices)]
            at += len(item.choices)
            prediction = ChoicePrediction.scored(tuple(ll for ll, _ in scored))
            predictions.append(replace(prediction, greedy=tuple(greedy for _, greedy in scored)))
        return predictions

    def _continuations(self, rows: list[tuple[int, tuple[int, ...]]], contexts: list[tuple[int, ...]], cache: Any) -> Any:
        """Log-probabilities [rows, longest continuation - 1, vocab] of every continuation token after the first, from
        one pass over the continuations (less their last token) on the contexts' cache; None if none has two tokens."""
        import torch

        inputs = [continuation[:-1] for _, continuation in rows]
        if not any(inputs):
            return None
        widest_context = max(map(len, contexts))
        widest = max(map(len, inputs))
        groups = torch.tensor([group for group, _ in rows], device=self.device)
        cache.batch_select_indices(groups)  # one row of the contexts' cache per choice
        context_mask = self._mask(contexts)[groups]
        mask = torch.cat([context_mask, torch.ones(len(rows), widest, dtype=context_mask.dtype, device=self.device)], dim=1)
        # Padding takes the last position the model has; real tokens end within max_length.
        positions = torch.tensor([[min(len(contexts[g]) + k, self.max_length - 1) for k in range(widest)] for g, _ in rows],
                                 device=self.device)
        out = self.network(input_ids=self._padded(inputs), attention_mask=mask, position_ids=positions,
                           **{self._cache_keyword: cache}, use_cache=True)
        return _log_softmax(out.logits)

    def _mask(self, sequences: Sequence[Sequence[int]]) -> Any:
        import torch

        widest = max(len(s) for s in sequences)
        return torch.tensor([[1] * len(s) + [0] * (widest - len(s)) for s in sequences], dtype=torch.long, device=self.device)

    def _padded(self, sequences: Sequence[Sequence[int]]) -> Any:
        import torch

        widest = max(len(s) for s in sequences)
        pad = self.tokenizer.pad_token_id
        return torch.tensor([list(s) + [pad] * (widest - len(s)) for s in sequences], dtype=torch.long, device=self.device)


def _log_softmax(logits: Any) -> Any:
    """Log-probabilities in float32 at least (half-precision logits are upcast; float64 ones stay float64)."""
    import torch

    return torch.log_softmax(logits if logits.dtype == torch.float64 else logits.float(), dim=-1)


def context_limit(config: Any, tokenizer: Any) -> int:
    """The model's context length as lm-evaluation-harness resolves it: the config, else the tokenizer's limit."""
    for name in LENGTH_ATTRIBUTES:
        value = getattr(getattr(config, "text_config", None), name, None) or getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", None)
    return int(limit) if isinstance(limit, int) and 0 < limit < 1_000_000 else 2048


def seq2seq_refusal(architecture: str) -> str:
    return (f"{architecture} is a sequence-to-sequence model; multiple-choice scores choices with causal language "
            f"models ({', '.join('*' + s for s in CAUSAL_SUFFIXES)}), or with predictions files of log-likelihoods.")


def refuse_seq2seq(folder: Path) -> None:
    """One line for an encoder-decoder checkpoint, before any weight is read."""
    try:
        config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # load_language_model says what is wrong with the folder
    architectures = [a for a in config.get("architectures") or [] if isinstance(a, str)] if isinstance(config, dict) else []
    if isinstance(config, dict) and (config.get("is_encoder_decoder") or any(a.endswith(SEQ2SEQ_SUFFIXES) for a in architectures)):
        raise InvalidInputError(f"{Path(folder).name}: {seq2seq_refusal(architectures[0] if architectures else 'it')}")
