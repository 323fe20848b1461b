"""Fine-tuning an encoder into a tagger on a tagged split (short, seeded, CPU-friendly).

Sentences are cut into the same windows the tagger reads (`subwords.make_windows`); in each window the
first sub-token of every word that starts there is trained on the word's tag, every other token is
`IGNORED` (the Hugging Face convention, which the tagger's default `--aggregation first` reads back).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.runtime import tokenizer_limit
from benchhub.models.training import (
    IGNORED,
    TrainingConfig,
    start_training,
    train_and_save,
    write_summary,
)
from benchhub.tasks.token_classification.subwords import (
    TagWindow,
    make_windows,
    window_room,
)


@dataclass(frozen=True)
class TaggerFinetuneConfig(TrainingConfig):
    epochs: float = 5.0
    stride: int = 32  # sub-words shared by consecutive windows of a long sentence


def finetune_tagger(base: Path, train: Split, tags: list[str], output: Path, *,
                    config: TaggerFinetuneConfig = TaggerFinetuneConfig(), show_progress: bool = True) -> dict[str, Any]:
    """Trains a token-classification head (and the encoder) on `train`; saves a safetensors checkpoint to `output`
    whose id2label are the dataset's tags."""
    if train.field("tokens") is None or train.field("tags") is None:
        raise InvalidInputError(f"Split {train.name!r} has no tagged sentences to train on.")
    tokenizer, model, rng = start_training(base, "AutoModelForTokenClassification", config, labels=tags)
    max_length = min(config.max_length, tokenizer_limit(tokenizer))
    stride = min(config.stride, window_room(tokenizer, max_length) // 2)
    windows = make_windows(tokenizer, train.field("tokens"), max_length=max_length, stride=stride)
    column = {tag: i for i, tag in enumerate(tags)}
    firsts = first_sub_tokens(tokenizer, [list(words) for words in train.field("tokens")])
    features = [window_feature(window, [column[tag] for tag in train.field("tags")[window.sentence]], firsts[window.sentence])
                for window in windows]
    result = train_and_save(model, tokenizer, features, output, config=config, rng=rng, show_progress=show_progress)
    return write_summary(output, {
        "base": str(base), "train_split": train.name, "train_fingerprint": train.fingerprint, "sentences": len(train),
        "windows": len(windows), **result, "config": asdict(config),
    })


def window_feature(window: TagWindow, word_tags: list[int], first_tokens: set[int]) -> dict[str, Any]:
    """A window's inputs, with each word's tag on the word's first sub-token where the window holds it, else IGNORED.

    `first_tokens` are the positions, among the whole sentence's word sub-tokens, of each word's first one; a
    window that begins inside a word (it was cut) leaves that word's later sub-tokens IGNORED too.
    """
    labels, seen = [], 0
    for word in window.word_ids:
        if word is None:
            labels.append(IGNORED)
            continue
        labels.append(word_tags[word] if window.start + seen in first_tokens else IGNORED)
        seen += 1
    feature: dict[str, Any] = {"input_ids": window.input_ids, "attention_mask": [1] * len(window.input_ids), "labels": labels}
    if window.token_type_ids is not None:
        feature["token_type_ids"] = window.token_type_ids
    return feature


def first_sub_tokens(tokenizer: Any, sentences: list[list[str]]) -> list[set[int]]:
    """Per sentence, the positions (among its word sub-tokens, specials left out) of each word's first sub-token."""
    encoded = tokenizer(sentences, is_split_into_words=True, truncation=False, add_special_tokens=False, verbose=False)
    result = []
    for index in range(len(sentences)):
        firsts, previous = set(), None
        for position, word in enumerate(word for word in encoded.word_ids(index) if word is not None):
            if word != previous:
                firsts.add(position)
            previous = word
        result.append(firsts)
    return result
