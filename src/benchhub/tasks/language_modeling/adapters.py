"""Language-modeling adapters: a predictions file of log-likelihoods replayed, and a local causal language model
that scores each document over rolling windows as lm-evaluation-harness 0.4's HFLM does.

A causal model's items are windows (`windows.Window`), several per long document; the engine batches them by
length across documents and the family's `collect` sums each document's windows in order. A batch is
right-padded and run without an attention mask, as HFLM runs it (a causal model never attends to the padding
after a token); log-probabilities are taken in the model's precision and each window's are summed in it
(`float(logits.sum())`), the windows of a document in Python, as HFLM sums them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from benchhub.data.prediction_files import check_predictions_path
from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.base import ModelInfo
from benchhub.tasks.language_modeling.predictions import read_loglikelihoods
from benchhub.tasks.language_modeling.windows import Window, document_windows

# lm_eval's fallback context length when neither the config nor the tokenizer gives one.
DEFAULT_MAX_LENGTH = 2048
CONFIG_LENGTHS = ("n_positions", "max_position_embeddings", "n_ctx")
# transformers' stand-in for "no limit" in tokenizer.model_max_length (int(1e30)).
TOKENIZER_INFINITY = 1_000_000_000_000_000_019_884_624_838_656


class PredictionsLikelihoods:
    """Replays JSON lines {"id", "loglikelihood"}: one item per document."""

    def __init__(self, path: Path) -> None:
        self.path = check_predictions_path(Path(path))
        self.info = ModelInfo(size_bytes=self.path.stat().st_size, load_seconds=0.0)

    def encode(self, split: Split) -> list[float]:
        return read_loglikelihoods(self.path, ids=split.ids)

    def length(self, item: float) -> int:
        return 1

    def predict(self, items: Sequence[float]) -> list[float]:
        return list(items)


class CausalLanguageModel:
    """A local causal LM (`benchhub.models.language_models`): each document's log-likelihood over rolling windows
    of `max_length` tokens (None: the model's own, as lm_eval resolves it), after the BOS token (else EOS)."""

    def __init__(self, folder: Path, *, runtime: str = "torch", max_length: int | None = None) -> None:
        from benchhub.models.language_models import load_language_model

        self.model = load_language_model(Path(folder), runtime=runtime)
        if self.model.encoder_decoder:
            raise InvalidInputError(
                f"{Path(folder).name} is an encoder-decoder (seq2seq) model; language modeling scores documents with "
                "causal language models (*ForCausalLM, *LMHeadModel) only, as lm-evaluation-harness does."
            )
        tokenizer = self.model.tokenizer
        self.prefix_token = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        if self.prefix_token is None:
            raise InvalidInputError(f"{Path(folder).name}: the tokenizer has neither a BOS nor an EOS token to put before "
                                    "a document's first token; add one to its tokenizer_config.json.")
        self.max_length = max_length or resolve_max_length(self.model.config, tokenizer)
        self.info = ModelInfo(parameters=self.model.info.parameters, size_bytes=self.model.info.size_bytes,
                              load_seconds=self.model.info.load_seconds,
                              extra={**self.model.info.extra, "max_length": self.max_length})

    def encode(self, split: Split) -> list[Window]:
        from benchhub.models.checkpoints import quiet_transformers

        windows: list[Window] = []
        with quiet_transformers():  # a document longer than the model's context is expected: windows cover it
            for position, text in enumerate(split.texts):
                windows.extend(document_windows(position, self.tokens(text), prefix_token=self.prefix_token,
                                                max_length=self.max_length))
        return windows

    def tokens(self, text: str) -> list[int]:
        """HFLM's tok_encode: the tokenizer's own special tokens, none where the text starts with the prefix token's text."""
        tokenizer = self.model.tokenizer
        starts_with_prefix = text.startswith(tokenizer.decode(self.prefix_token))
        return list(tokenizer.encode(text, **({"add_special_tokens": False} if starts_with_prefix else {})))

    def length(self, item: Window) -> int:
        return len(item.tokens)

    def predict(self, items: Sequence[Window]) -> list[float]:
        import torch

        from benchhub.models.checkpoints import quiet_transformers

        width = max(len(item.inputs) for item in items)
        batch = torch.zeros((len(items), width), dtype=torch.long)
        for row, item in enumerate(items):
            batch[row, : len(item.inputs)] = torch.tensor(item.inputs, dtype=torch.long)
        with torch.no_grad(), quiet_transformers():  # no attention mask, as HFLM: the padding comes after every token
            logits = self.model.network(batch.to(self.model.device)).logits
            logprobs = torch.log_softmax(logits, dim=-1)
        scores = []
        for row, item in enumerate(items):
            end = len(item.inputs)
            picked = logprobs[row, end - item.scored : end].gather(
                1, torch.tensor(item.targets, dtype=torch.long, device=logprobs.device).unsqueeze(-1))
            scores.append(float(picked.sum()))
        return scores


def resolve_max_length(config: Any, tokenizer: Any) -> int:
    """lm_eval's context length: the first of n_positions, max_position_embeddings, n_ctx that the config (its
    text_config where it has one) sets, else the tokenizer's model_max_length, else 2048."""
    source = getattr(config, "text_config", None) or config
    for name in CONFIG_LENGTHS:
        value = getattr(source, name, None)
        if value is not None:
            return int(value)
    limit = getattr(tokenizer, "model_max_length", None)
    if limit is not None and limit != TOKENIZER_INFINITY:
        return int(limit)
    return DEFAULT_MAX_LENGTH
