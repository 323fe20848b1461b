"""Fine-tuning a tagger: labels on each word's first sub-token only, windows like the tagger's, seeded runs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.training import IGNORED, pad_features
from benchhub.tasks.token_classification.finetune import (
    TaggerFinetuneConfig,
    finetune_tagger,
    first_sub_tokens,
    window_feature,
)
from benchhub.tasks.token_classification.subwords import make_windows
from benchhub.tasks.token_classification.transformers_tagger import TransformersTagger
from tests.fixtures.tiny_bert import build_tiny_bert_tagger

TAGS = ["O", "B-PER", "I-PER"]
NAMES = ["ada", "bo", "cyrano", "dimitrios"]
SENTENCES = [["dr", name, "spoke", "loudly"] for name in NAMES] * 4
GOLD = [["O", "B-PER", "O", "O"]] * len(SENTENCES)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    corpus = [" ".join(s) for s in SENTENCES] + ["unrelated words to grow a vocabulary of pieces"]
    return build_tiny_bert_tagger(tmp_path_factory.mktemp("base"), TAGS, corpus=corpus)


@pytest.fixture(scope="module")
def tokenizer(base):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base, trust_remote_code=False)


def test_only_the_first_sub_token_of_each_word_carries_its_tag_even_across_windows(tokenizer):
    words = [["dr", "dimitriosbo", "cyranoada", "spoke"]]  # unseen words: several pieces each
    tags = [0, 1, 2, 0]
    encoded = tokenizer(words, is_split_into_words=True, add_special_tokens=False)
    word_ids = [w for w in encoded.word_ids(0) if w is not None]
    assert len(word_ids) > len(words[0])  # some word splits into several pieces
    firsts = first_sub_tokens(tokenizer, words)[0]
    for max_length, stride in ((64, 4), (5, 1), (6, 2)):
        for window in make_windows(tokenizer, words, max_length=max_length, stride=stride):
            labels = window_feature(window, tags, firsts)["labels"]
            seen = 0
            for token_word, label in zip(window.word_ids, labels):
                if token_word is None:
                    assert label == IGNORED
                    continue
                position = window.start + seen
                first = position == 0 or word_ids[position - 1] != word_ids[position]
                assert label == (tags[token_word] if first else IGNORED), (max_length, stride, position)
                seen += 1


def test_labels_are_padded_with_ignored_on_the_padding_side(tokenizer):
    features = [{"input_ids": [2, 5, 3], "attention_mask": [1, 1, 1], "labels": [IGNORED, 1, IGNORED]},
                {"input_ids": [2, 3], "attention_mask": [1, 1], "labels": [IGNORED, IGNORED]}]
    batch = pad_features(tokenizer, features)
    assert batch["labels"].tolist() == [[IGNORED, 1, IGNORED], [IGNORED, IGNORED, IGNORED]]
    assert batch["input_ids"].shape == (2, 3)


def test_fine_tuning_learns_the_tags_and_is_bit_identical_for_a_seed(base, tmp_path):
    train = Split("train", list(range(len(SENTENCES))), [" ".join(s) for s in SENTENCES], fields={"tokens": SENTENCES, "tags": GOLD})
    config = TaggerFinetuneConfig(epochs=30, batch_size=4, learning_rate=5e-3, max_length=32, stride=8)
    first = finetune_tagger(base, train, TAGS, tmp_path / "a", config=config, show_progress=False)
    second = finetune_tagger(base, train, TAGS, tmp_path / "b", config=config, show_progress=False)
    digest = [hashlib.sha256((tmp_path / run / "model.safetensors").read_bytes()).hexdigest() for run in ("a", "b")]
    assert digest[0] == digest[1] and first["final_loss"] == second["final_loss"]
    assert first["final_loss"] < 0.1
    tagger = TransformersTagger(tmp_path / "a", dataset_tags=TAGS)
    items = tagger.encode(train)
    tagged = tagger.decode(train, items, tagger.predict(items))
    assert [list(t.tags) for t in tagged] == GOLD


def test_fine_tuning_refuses_a_split_without_tags(base, tmp_path):
    untagged = Split("train", [0], ["a b"], fields={"tokens": [["a", "b"]]})
    with pytest.raises(InvalidInputError, match=r"^Split 'train' has no tagged sentences to train on\.$"):
        finetune_tagger(base, untagged, TAGS, tmp_path / "x", show_progress=False)
