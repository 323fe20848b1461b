"""The memorization baseline (CoNLL-2003's shared-task baseline) for token classification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchhub.errors import InvalidInputError
from benchhub.models.baselines.base import NotFittedError
from benchhub.tasks.token_classification.baselines.memorization import (
    MemorizationBaseline,
)
from benchhub.tasks.token_classification.entities import strict_entities
from benchhub.tasks.token_classification.metrics import token_classification_metrics
from benchhub.tasks.token_classification.schemes import SCHEMES, encode_spans

TRAIN_WORDS = [
    ["Peter", "Blackburn", "visited", "New", "York"],
    ["New", "York", "Times", "reported"],
    ["Paris", "is", "in", "France"],
    ["Paris", "Hilton", "met", "Paris"],
    ["Jordan", "spoke"],
    ["Jordan", "borders", "Israel"],
]
TRAIN_SPANS = [
    [("PER", 0, 2), ("LOC", 3, 5)],
    [("ORG", 0, 3)],
    [("LOC", 0, 1), ("LOC", 3, 4)],
    [("PER", 0, 2), ("LOC", 3, 4)],
    [("PER", 0, 1)],
    [("LOC", 0, 1), ("LOC", 2, 3)],
]


def _fitted(scheme: str) -> MemorizationBaseline:
    tags = [encode_spans(len(words), spans, scheme) for words, spans in zip(TRAIN_WORDS, TRAIN_SPANS)]
    return MemorizationBaseline().fit(TRAIN_WORDS, tags, scheme)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_predict_tags_longest_match_first_left_to_right(scheme: str) -> None:
    baseline = _fitted(scheme)
    sentences = [
        ["The", "New", "York", "Times", "and", "New", "York"],
        ["Paris", "Hilton", "in", "Paris", "France"],
        ["Jordan", "and", "Israel"],
        [],
        ["nothing", "here"],
    ]
    predicted = baseline.predict(sentences)
    assert [len(tags) for tags in predicted] == [len(words) for words in sentences]
    expected = [
        [("ORG", 1, 4), ("LOC", 5, 7)],
        [("PER", 0, 2), ("LOC", 3, 4), ("LOC", 4, 5)],
        [("LOC", 0, 1), ("LOC", 2, 3)],  # Jordan: once PER, once LOC; the tie goes to LOC
        [],
        [],
    ]
    if scheme == "IOE1":  # seqeval's IOE1 cannot read a one-word entity followed by one of its type
        assert predicted == [encode_spans(len(w), s, scheme) for w, s in zip(sentences, expected)]
    else:
        assert [strict_entities(tags, scheme) for tags in predicted] == expected
    assert predicted[0] == encode_spans(7, expected[0], scheme)


def test_ties_go_to_the_alphabetically_first_type() -> None:
    words = [["Washington"], ["Washington"], ["Washington"], ["Washington"]]
    tags = [["B-PER"], ["B-LOC"], ["B-PER"], ["B-LOC"]]
    baseline = MemorizationBaseline().fit(words, tags, "IOB2")
    assert baseline.predict([["Washington", "x"]]) == [["B-LOC", "O"]]
    baseline = MemorizationBaseline().fit([*words, ["Washington"]], [*tags, ["B-PER"]], "IOB2")
    assert baseline.predict([["Washington"]]) == [["B-PER"]]
    tied = MemorizationBaseline().fit([["w"], ["w"]], [["B-BA"], ["B-AZ"]], "IOB2")
    assert tied.predict([["w"]]) == [["B-AZ"]]


def test_matches_do_not_overlap_and_scan_left_to_right() -> None:
    baseline = MemorizationBaseline().fit([["a", "b"], ["b", "c"]], [["B-X", "I-X"], ["B-Y", "I-Y"]], "IOB2")
    assert baseline.predict([["a", "b", "c"], ["b", "c", "a", "b"]]) == [
        ["B-X", "I-X", "O"],
        ["B-Y", "I-Y", "B-X", "I-X"],
    ]


def test_adjacent_same_type_matches_are_written_in_the_scheme() -> None:
    baseline = MemorizationBaseline().fit([["a", "b"]], [["I-X", "I-X"]], "IOB1")
    assert baseline.predict([["a", "b", "a", "b"]]) == [["I-X", "I-X", "B-X", "I-X"]]


def test_save_and_load_round_trip_as_json(tmp_path: Path) -> None:
    baseline = _fitted("IOBES")
    baseline.save(tmp_path / "memo")
    manifest = json.loads((tmp_path / "memo" / "baseline.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "memorization"
    assert manifest["version"] == "1"
    assert manifest["scheme"] == "IOBES"
    assert ["New", "York", "Times"] in [words for words, _ in manifest["entities"]]
    assert sorted(p.name for p in (tmp_path / "memo").iterdir()) == ["baseline.json"]
    loaded = MemorizationBaseline.load(tmp_path / "memo")
    sentences = [["Peter", "Blackburn", "and", "Jordan"], ["New", "York", "Times"]]
    assert loaded.predict(sentences) == baseline.predict(sentences)
    assert loaded.describe() == baseline.describe()


def test_load_refuses_a_tampered_file(tmp_path: Path) -> None:
    baseline = _fitted("IOB2")
    baseline.save(tmp_path)
    path = tmp_path / "baseline.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["entities"][0] = ["Peter", "PER"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(InvalidInputError, match="entities a list of \\[words, type\\] pairs"):
        MemorizationBaseline.load(tmp_path)
    manifest["name"] = "keyword"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(InvalidInputError, match="holds a 'keyword' baseline, not 'memorization'"):
        MemorizationBaseline.load(tmp_path)


def test_describe() -> None:
    description = _fitted("IOB2").describe()
    assert description == {
        "name": "memorization",
        "version": "1",
        "scheme": "IOB2",
        "entities": 8,
        "entities_per_type": {"LOC": 5, "ORG": 1, "PER": 2},
        "longest_entity_words": 3,
    }


def test_unfitted_baseline_refuses_to_predict_or_save(tmp_path: Path) -> None:
    with pytest.raises(NotFittedError, match="not fitted; call fit"):
        MemorizationBaseline().predict([["a"]])
    with pytest.raises(NotFittedError):
        MemorizationBaseline().save(tmp_path)


@pytest.mark.parametrize(
    ("sentences", "tags", "match"),
    [
        ("Peter visited", [["B-PER", "O"]], "sentences must be a list of sentences"),
        (["Peter visited"], [["B-PER", "O"]], r"sentences\[0\] must be a list of strings"),
        ([["Peter", 3]], [["B-PER", "O"]], r"sentences\[0\]\[1\] is int, not str"),
        ([["Peter"]], [["B-PER"], ["O"]], "fit got 1 sentences but 2 tag sequences"),
        ([["Peter", "visited"]], [["B-PER"]], "training sentence 0 has 2 words but 1 tags"),
        ([["Peter"]], [["S-PER"]], "training sentence 0: tag 0 is 'S-PER', whose prefix 'S' the IOB2 scheme"),
        ([], [], "the training split is empty"),
    ],
    ids=["string", "sentence-string", "non-str-word", "counts", "lengths", "prefix", "empty"],
)
def test_fit_refuses_bad_input(sentences, tags, match) -> None:
    with pytest.raises(InvalidInputError, match=match):
        MemorizationBaseline().fit(sentences, tags, "IOB2")


def test_fit_refuses_an_unknown_scheme_and_predict_bad_sentences() -> None:
    with pytest.raises(InvalidInputError, match="unknown tag scheme 'BIO'"):
        MemorizationBaseline().fit([["a"]], [["B-X"]], "BIO")
    with pytest.raises(InvalidInputError, match="sentences must be a list of sentences"):
        _fitted("IOB2").predict("Paris")


def test_memorization_scores_perfectly_on_its_training_split_when_unambiguous() -> None:
    words = [["Peter", "Blackburn", "went"], ["to", "New", "York"]]
    tags = [["B-PER", "I-PER", "O"], ["O", "B-LOC", "I-LOC"]]
    baseline = MemorizationBaseline().fit(words, tags, "IOB2")
    result = token_classification_metrics(references=tags, predictions=baseline.predict(words), scheme="IOB2")
    assert (result["f1"], result["strict_f1"], result["accuracy"]) == (1.0, 1.0, 1.0)
