"""The token-classification family's own pieces: scoring against seqeval, seen/unseen mentions, predictions
files, reading CoNLL and tables, and its probes."""

from __future__ import annotations

import json
import random
from importlib import resources
from pathlib import Path

import pytest
from seqeval.metrics import (
    accuracy_score,
    classification_report,
    f1_score,
    precision_score,
    recall_score,
)
from seqeval.scheme import IOB2

from benchhub.data.readers import Table
from benchhub.data.records import DatasetFacts, Split
from benchhub.errors import (
    DatasetFormatError,
    InvalidInputError,
    PredictionsFormatError,
)
from benchhub.tasks.token_classification.conll import read_conll
from benchhub.tasks.token_classification.entities import conlleval_entities
from benchhub.tasks.token_classification.mentions import (
    mention_strings,
    sentence_entities,
    side_counts,
    side_f1,
)
from benchhub.tasks.token_classification.outputs import SentenceTags
from benchhub.tasks.token_classification.predictions import read_tag_predictions
from benchhub.tasks.token_classification.probes import (
    EntitySwap,
    TyposOutside,
    UpperCaseOutside,
)
from benchhub.tasks.token_classification.schemes import validate
from benchhub.tasks.token_classification.splits import split_from_sentences
from benchhub.tasks.token_classification.task import TokenClassification

TASK = TokenClassification()
SAMPLE = Path(str(resources.files("benchhub") / "resources" / "ner_sample"))
TYPES = ("PER", "ORG", "LOC", "MISC")


def sample_split(name: str) -> Split:
    return split_from_sentences(name, read_conll(SAMPLE / f"{name}.conll"))


def corrupted(tags: list[list[str]], seed: int) -> list[list[str]]:
    """Predictions with random errors: dropped mentions, changed types, shifted boundaries, stray I- tags."""
    rng = random.Random(seed)
    out = []
    for sentence in tags:
        new = list(sentence)
        for i in range(len(new)):
            roll = rng.random()
            if roll < 0.05:
                new[i] = "O"
            elif roll < 0.10:
                new[i] = f"{rng.choice('BI')}-{rng.choice(TYPES)}"
        out.append(new)
    return out


@pytest.fixture(scope="module")
def test_split() -> Split:
    return sample_split("test")


@pytest.fixture(scope="module")
def facts() -> DatasetFacts:
    splits = {name: sample_split(name) for name in ("train", "test")}
    return DatasetFacts(labels=sorted({t for s in splits.values() for seq in s.field("tags") for t in seq}),
                        options=TASK.dataset_options(splits, {}))


# --- scoring ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_family_scores_a_held_out_conll_file_exactly_as_seqeval_does_in_both_modes(test_split, facts, seed):
    predicted = corrupted(test_split.field("tags"), seed)
    scored = TASK.score(test_split, [SentenceTags(tuple(t)) for t in predicted], facts)
    gold = test_split.field("tags")
    expected = {
        "precision": precision_score(gold, predicted), "recall": recall_score(gold, predicted),
        "f1": f1_score(gold, predicted), "accuracy": accuracy_score(gold, predicted),
        "macro_f1": f1_score(gold, predicted, average="macro"),
        "strict_precision": precision_score(gold, predicted, mode="strict", scheme=IOB2),
        "strict_recall": recall_score(gold, predicted, mode="strict", scheme=IOB2),
        "strict_f1": f1_score(gold, predicted, mode="strict", scheme=IOB2),
    }
    for name, value in expected.items():
        assert scored.metrics[name]["value"] == pytest.approx(value, abs=1e-9), name
        assert scored.metrics[name]["ci_low"] <= value <= scored.metrics[name]["ci_high"], name
    report = classification_report(gold, predicted, output_dict=True)
    for type_, row in scored.details["per_type"].items():
        assert row["f1"] == pytest.approx(report[type_]["f1-score"], abs=1e-9)
        assert row["support"] == report[type_]["support"]
    assert facts.options["scheme"] == "IOB2"


def test_a_perfect_tagger_scores_one_and_rows_rescore_to_the_stored_metrics(test_split, facts):
    perfect = TASK.score(test_split, [SentenceTags(tuple(t)) for t in test_split.field("tags")], facts)
    assert {name: m["value"] for name, m in perfect.metrics.items()} == {name: 1.0 for name in perfect.metrics}
    noisy = TASK.score(test_split, [SentenceTags(tuple(t)) for t in corrupted(test_split.field("tags"), 5)], facts)
    again = TASK.score(test_split, TASK.predictions_from_rows(noisy.examples, facts), facts)
    assert again.metrics == noisy.metrics


def test_seen_and_unseen_mentions_split_the_score_by_whether_train_has_the_string():
    tokens = [["Ada", "Lovelace", "met", "Bo", "in", "Paris"]]
    gold = [["B-PER", "I-PER", "O", "B-PER", "O", "B-LOC"]]
    predicted = [["B-PER", "I-PER", "O", "O", "O", "B-ORG"]]
    counts = side_counts(tokens, sentence_entities(gold), sentence_entities(predicted), {"Ada Lovelace", "Paris"})
    # seen: gold {Ada Lovelace, Paris/LOC}, predicted {Ada Lovelace, Paris/ORG}, one right; unseen: gold {Bo}, none predicted.
    assert counts.tolist() == [[[1, 2, 2], [0, 0, 1]]]
    assert side_f1(counts) == {"seen_f1": 0.5, "unseen_f1": 0.0}
    assert mention_strings(tokens, gold) == {"Ada Lovelace", "Bo", "Paris"}


def test_the_sample_shows_a_memorization_gap_for_a_tagger_that_knows_only_train_names(test_split, facts):
    known = set(facts.options["train_mentions"])
    remembered = []
    for words, tags in zip(test_split.field("tokens"), test_split.field("tags")):
        keep = ["O"] * len(tags)
        for _, start, end in conlleval_entities(tags):
            if " ".join(words[start:end + 1]) in known:
                keep[start:end + 1] = tags[start:end + 1]
        remembered.append(keep)
    scored = TASK.score(test_split, [SentenceTags(tuple(t)) for t in remembered], facts)
    assert scored.metrics["seen_f1"]["value"] == 1.0
    assert scored.metrics["unseen_f1"]["value"] == 0.0
    assert scored.details["mentions"]["unseen"]["gold"] > 0


def test_paired_pvalue_is_one_for_identical_systems_and_small_for_a_much_worse_one(test_split, facts):
    good = TASK.score(test_split, [SentenceTags(tuple(t)) for t in test_split.field("tags")], facts).examples
    bad = TASK.score(test_split, [SentenceTags(("O",) * len(t)) for t in test_split.field("tags")], facts).examples
    assert TASK.paired_pvalue(good, good, "f1", facts) == 1.0
    assert TASK.paired_pvalue(good, bad, "f1", facts) < 0.01
    assert TASK.paired_pvalue(good, bad, "seen_f1", facts) is None


# --- registration -------------------------------------------------------------------------------------

def test_dataset_options_detect_the_scheme_and_refuse_ill_formed_gold_naming_the_sentence():
    good = Split("test", [0], ["Ada Lovelace"], fields={"tokens": [["Ada", "Lovelace"]], "tags": [["B-PER", "E-PER"]]})
    assert TASK.dataset_options({"test": good}, {})["scheme"] == "IOBES"
    bad = Split("test", ["s7"], ["Ada Lovelace"], fields={"tokens": [["Ada", "Lovelace"]], "tags": [["B-PER", "B-PER"]]})
    with pytest.raises(DatasetFormatError, match=r"split 'test', sentence 's7'"):
        TASK.dataset_options({"test": bad}, {"scheme": "IOBES"})
    with pytest.raises(InvalidInputError, match=r"^--scheme 'IOB3' is not a tag scheme; use one of IOB1, IOB2"):
        TASK.dataset_options({"test": good}, {"scheme": "IOB3"})


def test_a_conll_file_a_folder_of_them_and_a_table_of_ids_are_read(tmp_path):
    (tmp_path / "train.conll").write_text("-DOCSTART- -X- O O\n\nAda NNP B-PER\nsang VBD O\n\n", encoding="utf-8")
    (tmp_path / "test.conll").write_text("Bo NNP B-PER\n", encoding="utf-8")
    mapping = TASK.column_mapping({"tags": "-1"})
    tables = TASK.read_source(str(tmp_path), mapping, revision=None)
    splits, labels = TASK.build_splits(tables, mapping, origin={name: name for name in tables})
    assert sorted(splits) == ["test", "train"] and labels == ["O", "B-PER"]
    assert splits["train"].field("tokens") == [["Ada", "sang"]] and splits["train"].texts == ["Ada sang"]
    pos = TASK.column_mapping({"tags": "1"})
    table = TASK.read_file(tmp_path / "train.conll", pos)
    assert TASK.build_splits({"train": table}, pos, origin={"train": "train.conll"})[0]["train"].field("tags") == [["NNP", "VBD"]]
    ids = Table(["tokens", "ner_tags"], [{"tokens": ["Ada", "sang"], "ner_tags": [1, 0]}], class_labels={"ner_tags": ["O", "B-PER"]})
    splits, labels = TASK.build_splits({"test": ids}, TASK.column_mapping({}), origin={"test": "t.jsonl"})
    assert splits["test"].field("tags") == [["B-PER", "O"]] and labels == ["O", "B-PER"]
    with pytest.raises(InvalidInputError, match=r"^--text-column does not apply to token-classification datasets"):
        TASK.column_mapping({"text": "sentence"})


# --- predictions files --------------------------------------------------------------------------------

SPLIT = Split("test", ["a", "b"], ["Ada sang", "Bo"], fields={"tokens": [["Ada", "sang"], ["Bo"]], "tags": [["B-PER", "O"], ["B-PER"]]})
TAGS = ["O", "B-PER", "I-PER"]


def _jsonl(tmp_path: Path, rows: list[object]) -> Path:
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_predictions_files_in_jsonl_and_conll_are_read_in_split_order(tmp_path):
    path = _jsonl(tmp_path, [{"id": "b", "tags": ["O"]}, {"id": "a", "tags": ["B-PER", "O"]}])
    assert read_tag_predictions(path, ids=SPLIT.ids, tokens=SPLIT.field("tokens"), tags=TAGS) == [["B-PER", "O"], ["O"]]
    conll = tmp_path / "predictions.conll"
    conll.write_text("Ada B-PER\nsang O\n\nBo O\n", encoding="utf-8")
    assert read_tag_predictions(conll, ids=SPLIT.ids, tokens=SPLIT.field("tokens"), tags=TAGS) == [["B-PER", "O"], ["O"]]


@pytest.mark.parametrize(("rows", "message"), [
    ([{"id": "a", "tags": ["O", "O"]}], r"1 sentence\(s\) have no prediction, first id 'b'"),
    ([{"id": "a", "tags": ["O", "O"]}, {"id": "a", "tags": ["O", "O"]}], r"line 2: duplicate id 'a'"),
    ([{"id": "z", "tags": ["O"]}], r"line 1: unknown id 'z'"),
    ([{"id": "a", "tags": ["O"]}], r"line 1: id 'a' has 1 tags for 2 words; give one tag per word"),
    ([{"id": "a", "tags": ["O", "B-LOC"]}], r"line 1: tag 'B-LOC' for id 'a' is not one of"),
    ([{"id": "a", "tags": "O O"}], r'line 1: "tags" of id \'a\' must be a list of tag strings'),
    ([{"id": "a"}], r'line 1: expected an object with "id" and "tags"'),
])
def test_every_bad_jsonl_predictions_file_is_refused_with_the_first_offence(tmp_path, rows, message):
    with pytest.raises(PredictionsFormatError, match=message):
        read_tag_predictions(_jsonl(tmp_path, rows), ids=SPLIT.ids, tokens=SPLIT.field("tokens"), tags=TAGS)


def test_a_conll_predictions_file_must_keep_the_split_sentences(tmp_path):
    conll = tmp_path / "p.conll"
    conll.write_text("Ada B-PER\nsung O\n\nBo O\n", encoding="utf-8")
    with pytest.raises(PredictionsFormatError, match=r"p.conll, line 1: sentence 'a' has the words 'Ada sung'"):
        read_tag_predictions(conll, ids=SPLIT.ids, tokens=SPLIT.field("tokens"), tags=TAGS)
    conll.write_text("Ada B-PER\nsang O\n", encoding="utf-8")
    with pytest.raises(PredictionsFormatError, match=r"p.conll holds 1 sentences and the split 2"):
        read_tag_predictions(conll, ids=SPLIT.ids, tokens=SPLIT.field("tokens"), tags=TAGS)


# --- probes -------------------------------------------------------------------------------------------

def test_entity_swap_replaces_mentions_with_others_of_their_type_and_moves_the_gold(test_split):
    probe = EntitySwap("IOB2")
    perturbed = probe.apply(test_split, seed=3)
    assert perturbed.split.ids == test_split.ids
    assert perturbed == probe.apply(test_split, seed=3)
    changed = 0
    for before_words, before_tags, words, tags, flag in zip(test_split.field("tokens"), test_split.field("tags"), perturbed.split.field("tokens"),
                                                            perturbed.split.field("tags"), perturbed.changed):
        validate(tags, "IOB2", where="perturbed")
        assert len(words) == len(tags)
        assert [t for t, _, _ in conlleval_entities(tags)] == [t for t, _, _ in conlleval_entities(before_tags)]
        outside = [w for w, t in zip(before_words, before_tags) if t == "O"]
        assert [w for w, t in zip(words, tags) if t == "O"] == outside
        changed += flag
    assert changed > 0.8 * sum(bool(conlleval_entities(t)) for t in test_split.field("tags"))


@pytest.mark.parametrize("probe", [UpperCaseOutside(), TyposOutside()])
def test_outside_probes_never_touch_a_mention_and_keep_the_tags(test_split, probe):
    perturbed = probe.apply(test_split, seed=0)
    assert perturbed.split.field("tags") == test_split.field("tags")
    assert any(perturbed.changed)
    for words, tags, new_words in zip(test_split.field("tokens"), test_split.field("tags"), perturbed.split.field("tokens")):
        for word, tag, new in zip(words, tags, new_words):
            if tag != "O":
                assert new == word


# --- tags that name no entities (part of speech) ------------------------------------------------------

POS_TAGS = ["NN", "VBD", "DT", "JJ", ".", "IN"]


def _pos_split(n: int, seed: int) -> Split:
    rng = random.Random(seed)
    tokens = [[f"w{rng.randrange(30)}" for _ in range(rng.randrange(1, 9))] for _ in range(n)]
    tags = [[rng.choice(POS_TAGS) for _ in words] for words in tokens]
    return Split("test", list(range(n)), [" ".join(w) for w in tokens], fields={"tokens": tokens, "tags": tags})


@pytest.mark.parametrize("seed", [0, 1])
def test_part_of_speech_tags_are_scored_per_word_exactly_as_scikit_learn(seed):
    from sklearn.metrics import accuracy_score as sk_accuracy
    from sklearn.metrics import f1_score as sk_f1

    split = _pos_split(60, seed)
    options = TASK.dataset_options({"test": split}, {})
    assert options == {"scheme": "none"}
    facts = DatasetFacts(labels=sorted(POS_TAGS), options=options)
    rng = random.Random(seed + 10)
    predicted = [[t if rng.random() < 0.7 else rng.choice(POS_TAGS) for t in tags] for tags in split.field("tags")]
    scored = TASK.score(split, [SentenceTags(tuple(t)) for t in predicted], facts)
    gold_flat, predicted_flat = [t for s in split.field("tags") for t in s], [t for s in predicted for t in s]
    labels = sorted(set(gold_flat) | set(predicted_flat))
    assert scored.metrics["accuracy"]["value"] == pytest.approx(sk_accuracy(gold_flat, predicted_flat), abs=1e-12)
    assert scored.metrics["f1"]["value"] == pytest.approx(sk_f1(gold_flat, predicted_flat, average="micro"), abs=1e-12)
    assert scored.metrics["macro_f1"]["value"] == pytest.approx(
        sk_f1(gold_flat, predicted_flat, average="macro", labels=labels), abs=1e-12)
    for name, entry in scored.metrics.items():
        assert entry["ci_low"] <= entry["value"] <= entry["ci_high"], name
    assert set(scored.metrics) == set(TASK.metric_names(facts))
    assert TASK.reference_baselines(facts) == ("majority-tag", "feature-logreg")
    assert TASK.paired_pvalue(scored.examples, scored.examples, "f1", facts) == 1.0
    again = TASK.score(split, TASK.predictions_from_rows(scored.examples, facts), facts)
    assert again.metrics == scored.metrics
    probes = TASK.default_probes(facts)[0]
    assert [p.name for p in probes] == ["case-upper-outside", "typos-outside"]
    upper = probes[0].apply(split, seed=0)
    assert upper.split.field("tokens") == [[w.upper() for w in words] for words in split.field("tokens")]
