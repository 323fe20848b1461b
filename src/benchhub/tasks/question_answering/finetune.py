"""Fine-tuning an encoder into an extractive question-answering model (SQuAD v2.0 style, seeded, CPU-friendly).

Training features follow the Hugging Face `prepare_train_features` recipe: each question/context
pair becomes overlapping windows; a window is labelled with the token span of the first gold
answer when that answer lies wholly inside the window's context, else with [CLS] (no answer).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchhub.errors import InvalidInputError
from benchhub.models.runtime import tokenizer_limit
from benchhub.models.training import (
    TrainingConfig,
    start_training,
    train_and_save,
    write_summary,
)


@dataclass(frozen=True)
class QAFinetuneConfig(TrainingConfig):
    epochs: float = 4.0
    learning_rate: float = 3e-4
    max_length: int = 384
    doc_stride: int = 128
    # bfloat16 autocast roughly halves CPU time where the CPU has AVX512-BF16/AMX (None: use it there), but
    # results then depend on the hardware; the default stays float32 so a seed gives the same model everywhere.
    bf16: bool | None = False


def finetune_qa(base: Path, questions: list[str], contexts: list[str], answers: list[dict], output: Path, *,
                config: QAFinetuneConfig = QAFinetuneConfig(), show_progress: bool = True) -> dict[str, Any]:
    """Trains a span-prediction head (and the encoder) on question/context/answers; saves a safetensors checkpoint.

    `answers[i]` is `{"text": [...], "answer_start": [...]}`; empty lists mark an unanswerable question.
    """
    _check_inputs(questions, contexts, answers, config)
    tokenizer, model, rng = start_training(base, "AutoModelForQuestionAnswering", config)
    max_length = min(config.max_length, tokenizer_limit(tokenizer))
    if not 0 <= config.doc_stride < max_length:
        raise InvalidInputError(
            f"--doc-stride must be an int in the range [0, {max_length}) for max_length {max_length}. "
            f"Got {config.doc_stride} instead."
        )
    features = train_features(tokenizer, questions, contexts, answers, max_length=max_length, doc_stride=config.doc_stride)
    bf16 = _native_bf16() if config.bf16 is None else config.bf16
    result = train_and_save(model, tokenizer, features, output, config=config, rng=rng, bf16=bf16,
                            show_progress=show_progress)
    return write_summary(output, {
        "base": str(base), "examples": len(questions), "features": len(features), **result, "bf16": bf16,
        "config": asdict(config),
    })


def train_features(tokenizer: Any, questions: Sequence[str], contexts: Sequence[str], answers: Sequence[dict], *,
                   max_length: int, doc_stride: int) -> list[dict[str, Any]]:
    """Windows each pair like `make_features`; labels each window with the first answer's token span, or [CLS]."""
    try:
        encoded = tokenizer(
            list(questions), list(contexts), truncation="only_second", max_length=max_length, stride=doc_stride,
            return_overflowing_tokens=True, return_offsets_mapping=True,
        )
    except Exception as exc:  # tokenizers raise plain Exceptions for impossible truncation
        if "truncat" not in str(exc).lower():
            raise
        raise InvalidInputError(
            f"A question is too long to leave room for its context within {max_length} tokens; "
            f"raise max_length or shorten the question ({exc})."
        ) from exc
    features = []
    for index, example in enumerate(encoded["overflow_to_sample_mapping"]):
        ids = encoded["input_ids"][index]
        cls_index = ids.index(tokenizer.cls_token_id) if tokenizer.cls_token_id in ids else 0
        start, end = _answer_tokens(answers[example], encoded["offset_mapping"][index], encoded.sequence_ids(index))
        feature = {key: encoded[key][index] for key in ("input_ids", "token_type_ids", "attention_mask") if key in encoded}
        feature["start_positions"] = cls_index if start is None else start
        feature["end_positions"] = cls_index if end is None else end
        features.append(feature)
    return features


def _native_bf16() -> bool:
    """Whether this CPU runs bfloat16 matrix products natively; elsewhere autocast would be slower than float32."""
    import torch

    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # private, hence the fallback
    return any(getattr(torch.cpu, check, lambda: False)() for check in checks)


def _answer_tokens(answer: dict, offsets: Sequence[tuple[int, int]],
                   sequence_ids: Sequence[int | None]) -> tuple[int | None, int | None]:
    """The first and last context token of the first gold answer, or (None, None) when it is not wholly inside."""
    if not answer["answer_start"]:
        return None, None
    start_char = answer["answer_start"][0]
    end_char = start_char + len(answer["text"][0])
    context = [position for position, sequence in enumerate(sequence_ids) if sequence == 1]
    if not context:
        return None, None
    first, last = context[0], context[-1]
    if not (offsets[first][0] <= start_char and offsets[last][1] >= end_char):
        return None, None
    start = max(position for position in context if offsets[position][0] <= start_char)
    end = min(position for position in context if offsets[position][1] >= end_char)
    return start, end


def _check_inputs(questions: Sequence[str], contexts: Sequence[str], answers: Sequence[dict],
                  config: QAFinetuneConfig) -> None:
    if not questions:
        raise InvalidInputError("finetune_qa got no questions; pass at least one question with its context and answers.")
    if not len(questions) == len(contexts) == len(answers):
        raise InvalidInputError(
            f"finetune_qa got {len(questions)} questions, {len(contexts)} contexts and {len(answers)} answers; "
            "pass one context and one answers entry per question."
        )
    if config.epochs <= 0:
        raise InvalidInputError(f"--epochs must be a number in the range (0, inf). Got {config.epochs} instead.")
    if config.batch_size < 1:
        raise InvalidInputError(f"--batch-size must be an int in the range [1, inf). Got {config.batch_size} instead.")
    for index, (context, answer) in enumerate(zip(contexts, answers, strict=True)):
        texts, starts = (answer.get("text"), answer.get("answer_start")) if isinstance(answer, Mapping) else (None, None)
        if not isinstance(texts, list) or not isinstance(starts, list) or len(texts) != len(starts):
            raise InvalidInputError(
                f"answers[{index}] must be {{'text': [...], 'answer_start': [...]}} with lists of equal length "
                f"(empty for no answer). Got {answer!r} instead."
            )
        if texts and not (isinstance(starts[0], numbers.Integral) and starts[0] >= 0 and texts[0]
                          and context[starts[0] : starts[0] + len(texts[0])] == texts[0]):
            raise InvalidInputError(
                f"answers[{index}]: the context at answer_start {starts[0]} reads "
                f"{context[starts[0] : starts[0] + len(texts[0])]!r}, not the answer {texts[0]!r}; fix the offset."
            )
