"""The packaged NER sample: sizes, well-formed IOB2 tags, unseen test names, and a script that regenerates it exactly."""

from __future__ import annotations

import importlib.util
import re
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from benchhub.tasks.token_classification.conll import Sentence, read_conll
from benchhub.tasks.token_classification.splits import split_from_sentences

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "src" / "benchhub" / "resources" / "ner_sample"
SPLITS = ("train", "validation", "test")
TAG = re.compile(r"O|[BI]-(PER|ORG|LOC|MISC)")


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_ner_sample", ROOT / "scripts" / "make_ner_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample() -> dict[str, list[Sentence]]:
    return {name: read_conll(SAMPLE / f"{name}.conll") for name in SPLITS}


def spans(tags: tuple[str, ...] | list[str]) -> list[tuple[str, int, int]]:
    """(type, start, end) of each entity; an I- tag that continues nothing starts one (as conlleval reads it)."""
    found: list[list] = []
    for position, tag in enumerate(tags):
        if tag.startswith("I-") and found and found[-1][0] == tag[2:] and found[-1][2] == position:
            found[-1][2] = position + 1
        elif tag != "O":
            found.append([tag[2:], position, position + 1])
    return [tuple(span) for span in found]


def mention_texts(sentences: list[Sentence]) -> set[str]:
    return {" ".join(s.tokens[start:end]) for s in sentences for _, start, end in spans(s.tags)}


def test_sizes_and_small_files(sample: dict[str, list[Sentence]]) -> None:
    assert {name: len(sentences) for name, sentences in sample.items()} == {"train": 400, "validation": 100, "test": 120}
    assert sum(path.stat().st_size for path in SAMPLE.iterdir()) < 200_000


def test_tags_are_iob2_of_the_four_types(sample: dict[str, list[Sentence]]) -> None:
    for name, sentences in sample.items():
        counts = Counter(kind for s in sentences for kind, _, _ in spans(s.tags))
        assert set(counts) == {"PER", "ORG", "LOC", "MISC"} and min(counts.values()) >= 25, (name, counts)
        for s in sentences:
            previous = "O"
            for tag in s.tags:
                assert TAG.fullmatch(tag), (name, s.line, tag)
                assert not tag.startswith("I-") or previous[2:] == tag[2:] and previous != "O", (name, s.line, s.tags)
                previous = tag


def test_sentences_vary(sample: dict[str, list[Sentence]]) -> None:
    every = [s for sentences in sample.values() for s in sentences]
    per_sentence = Counter(len(spans(s.tags)) for s in every)
    assert set(per_sentence) == {0, 1, 2, 3, 4}
    assert any(end - start >= 3 for s in every for _, start, end in spans(s.tags))
    assert {",", ".", "\"", "(", "'s"} <= {token for s in every for token in s.tokens}
    assert len({s.tokens for s in sample["train"]}) == 373  # the repeats are mostly entity-free sentences (data card)
    train = {s.tokens for s in sample["train"]}
    assert sum(s.tokens in train for s in sample["test"]) == 14


def test_sample_builds_valid_splits(sample: dict[str, list[Sentence]]) -> None:
    split = split_from_sentences("test", sample["test"], where="ner_sample/test.conll")
    assert len(split) == 120 and split.texts[0] == " ".join(split.field("tokens")[0])


def test_unseen_share_in_test_and_a_memorising_tagger(sample: dict[str, list[Sentence]]) -> None:
    train_texts = mention_texts(sample["train"])
    test_mentions = [(s, span) for s in sample["test"] for span in spans(s.tags)]
    unseen = [(s, span) for s, span in test_mentions if " ".join(s.tokens[span[1]:span[2]]) not in train_texts]
    assert 0.35 <= len(unseen) / len(test_mentions) <= 0.5

    # The most frequent train tag per token: near-perfect on seen names, near-zero on unseen ones.
    memory: dict[str, Counter] = defaultdict(Counter)
    for s in sample["train"]:
        for token, tag in zip(s.tokens, s.tags, strict=True):
            memory[token][tag] += 1
    found = Counter()
    for s, span in test_mentions:
        predicted = [memory[token].most_common(1)[0][0] if token in memory else "O" for token in s.tokens]
        kind = "unseen" if (s, span) in unseen else "seen"
        found[kind] += span in spans(predicted)
    seen_total = len(test_mentions) - len(unseen)
    assert found["seen"] / seen_total >= 0.8
    assert found["unseen"] / len(unseen) <= 0.1


def test_the_data_card_states_the_files_numbers(script: ModuleType) -> None:
    card = (SAMPLE / "DATA_CARD.md").read_text(encoding="utf-8")
    assert script.stats_markdown(SAMPLE) in card
    assert "Apache-2.0" in card and f"{len(script.TEMPLATES)} sentence templates" in card


def test_regenerating_gives_byte_identical_files(script: ModuleType, tmp_path: Path) -> None:
    assert script.main(["--out", str(tmp_path)]) == 0
    for name in SPLITS:
        assert (tmp_path / f"{name}.conll").read_bytes() == (SAMPLE / f"{name}.conll").read_bytes(), name


def test_unseen_lists_never_reach_train_or_validation(script: ModuleType, sample: dict[str, list[Sentence]]) -> None:
    test_only = {name for _, _, names in script.ENTITIES.values() for name in names}
    assert len(script.TEMPLATES) >= 90
    assert not test_only & (mention_texts(sample["train"]) | mention_texts(sample["validation"]))
    assert test_only & mention_texts(sample["test"])
