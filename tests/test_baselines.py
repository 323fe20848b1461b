"""Tests of the built-in text-classification baselines."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from benchhub.errors import InvalidInputError
from benchhub.models.baselines.base import Baseline
from benchhub.tasks.text_classification.baselines import (
    BASELINES,
    EmbeddingLogRegBaseline,
    KeywordBaseline,
    MajorityBaseline,
    NotFittedError,
    RegexBaseline,
    TextBaseline,
    TfidfLogRegBaseline,
    create_baseline,
    load_baseline,
    predict_labels,
)
from benchhub.tasks.text_classification.baselines.log_odds import log_odds_z_scores
from benchhub.tasks.text_classification.baselines.tokens import tokenize

SUPPORT_LABELS = ("billing", "shipping", "account")
SUPPORT_TRAIN = [
    ("my invoice shows a wrong charge", "billing"),
    ("refund the charge on my invoice", "billing"),
    ("the invoice amount is wrong", "billing"),
    ("the package has not arrived", "shipping"),
    ("tracking says the package is delayed", "shipping"),
    ("package arrived late, tracking broken", "shipping"),
    ("how do I change my password", "account"),
    ("password reset link fails", "account"),
    ("cannot change my password", "account"),
    ("the app login is slow", "account"),
    ("app crashes at login", "account"),
]
SUPPORT_TEXTS = [text for text, _ in SUPPORT_TRAIN]
SUPPORT_GOLD = [label for _, label in SUPPORT_TRAIN]
SUPPORT_RULES = [
    {"pattern": r"\b(refund|invoice|charge)\b", "label": "billing", "flags": "i"},
    {"pattern": r"\b(package|tracking)\b", "label": "shipping", "flags": "i"},
    {"pattern": r"password", "label": "account"},
]
PROBE_TEXTS = [
    "Where is my PACKAGE?",
    "wrong invoice again",
    "forgot my password",
    "hello there",
    "",
    "invoice for the package",
]

FACTORIES: dict[str, Callable[[], TextBaseline]] = {
    "majority": lambda: MajorityBaseline(SUPPORT_LABELS),
    "keyword": lambda: KeywordBaseline(SUPPORT_LABELS),
    "regex": lambda: RegexBaseline(SUPPORT_LABELS, SUPPORT_RULES),
    "tfidf-logreg": lambda: TfidfLogRegBaseline(SUPPORT_LABELS),
    "embedding-logreg": lambda: EmbeddingLogRegBaseline(SUPPORT_LABELS),
}


def files_in(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


# The shared contract.


def test_registry_names_every_baseline() -> None:
    assert set(BASELINES) == {"majority", "keyword", "regex", "tfidf-logreg", "embedding-logreg"}
    assert set(FACTORIES) == set(BASELINES)
    for name, baseline in BASELINES.items():
        assert baseline.name == name


@pytest.mark.parametrize("name", list(FACTORIES), ids=list(FACTORIES))
def test_contract_scores_shape_dtype_and_rows(name: str) -> None:
    baseline = FACTORIES[name]().fit(SUPPORT_TEXTS, SUPPORT_GOLD)
    assert isinstance(baseline, TextBaseline) and isinstance(baseline, Baseline)
    assert baseline.labels == SUPPORT_LABELS
    scores = baseline.predict_scores(PROBE_TEXTS)
    assert scores.shape == (len(PROBE_TEXTS), len(SUPPORT_LABELS))
    assert scores.dtype == np.float64
    assert np.all(scores >= 0)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert baseline.predict_scores([]).shape == (0, len(SUPPORT_LABELS))


@pytest.mark.parametrize("name", list(FACTORIES), ids=list(FACTORIES))
def test_contract_save_load_round_trip(name: str, tmp_path: Path) -> None:
    baseline = FACTORIES[name]().fit(SUPPORT_TEXTS, SUPPORT_GOLD)
    folder = tmp_path / "nested" / name
    baseline.save(folder)
    assert not any(path.suffix in {".pkl", ".pickle", ".joblib"} for path in folder.iterdir())
    assert files_in(folder) <= {"baseline.json", "vocabulary.json", "arrays.npz"}
    loaded = type(baseline).load(folder)
    assert np.array_equal(loaded.predict_scores(PROBE_TEXTS), baseline.predict_scores(PROBE_TEXTS))
    assert loaded.describe() == baseline.describe()
    generic = load_baseline(folder)
    assert type(generic) is type(baseline)
    assert np.array_equal(generic.predict_scores(PROBE_TEXTS), baseline.predict_scores(PROBE_TEXTS))
    json.dumps(baseline.describe())


@pytest.mark.parametrize("name", list(FACTORIES), ids=list(FACTORIES))
def test_contract_unknown_training_label_raises(name: str) -> None:
    with pytest.raises(InvalidInputError, match=r"training label 'refunds' \(row 1\) is not a dataset label"):
        FACTORIES[name]().fit(["a text", "another text"], ["billing", "refunds"])


@pytest.mark.parametrize("name", list(FACTORIES), ids=list(FACTORIES))
def test_contract_empty_training_split_raises(name: str) -> None:
    with pytest.raises(InvalidInputError, match="training split is empty"):
        FACTORIES[name]().fit([], [])


@pytest.mark.parametrize("name", list(FACTORIES), ids=list(FACTORIES))
def test_contract_mismatched_lengths_raise(name: str) -> None:
    with pytest.raises(InvalidInputError, match="2 texts but 1 labels"):
        FACTORIES[name]().fit(["a", "b"], ["billing"])


@pytest.mark.parametrize("name", list(FACTORIES), ids=list(FACTORIES))
def test_contract_unfitted_baseline_raises(name: str, tmp_path: Path) -> None:
    baseline = FACTORIES[name]()
    with pytest.raises(NotFittedError, match=f"the {name} baseline is not fitted; call fit"):
        baseline.predict_scores(["text"])
    with pytest.raises(NotFittedError):
        baseline.save(tmp_path)


@pytest.mark.parametrize("name", list(FACTORIES), ids=list(FACTORIES))
def test_contract_create_baseline_builds_each(name: str) -> None:
    options = {"rules": SUPPORT_RULES} if name == "regex" else {}
    baseline = create_baseline(name, SUPPORT_LABELS, **options)
    assert type(baseline) is BASELINES[name]
    assert baseline.labels == SUPPORT_LABELS


def test_create_baseline_unknown_name_raises() -> None:
    with pytest.raises(
        InvalidInputError, match="unknown baseline 'bert'; allowed: embedding-logreg, keyword, majority, regex, tfidf-logreg"
    ):
        create_baseline("bert", SUPPORT_LABELS)


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("keyword", {"top_k": 3}, "no option 'top_k'; allowed options: keywords_per_label, min_count"),
        ("regex", {}, "baseline 'regex' needs option 'rules'"),
        ("keyword", {"min_count": 0}, "min_count must be a positive integer, got 0"),
        ("tfidf-logreg", {"ngram_range": (2, 1)}, r"ngram_range must be two integers"),
        ("tfidf-logreg", {"C": -1.0}, "C must be a positive number"),
    ],
    ids=["unknown-option", "missing-rules", "bad-min-count", "bad-ngram-range", "bad-C"],
)
def test_create_baseline_bad_options_raise(name: str, options: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        create_baseline(name, SUPPORT_LABELS, **options)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([], "labels is empty"),
        (["a", "b", "a"], "duplicates: a"),
        (["a", 1], "label 1 is int, not str"),
        ("ab", "must be a list"),
    ],
    ids=["empty", "duplicate", "non-string", "bare-string"],
)
def test_bad_label_set_raises(labels: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        MajorityBaseline(labels)  # type: ignore[arg-type]


def test_non_string_text_raises() -> None:
    baseline = MajorityBaseline(SUPPORT_LABELS).fit(SUPPORT_TEXTS, SUPPORT_GOLD)
    with pytest.raises(InvalidInputError, match="text 1 is int, not str"):
        baseline.predict_scores(["fine", 3])  # type: ignore[list-item]


def test_load_refuses_another_baseline_or_version(tmp_path: Path) -> None:
    MajorityBaseline(SUPPORT_LABELS).fit(SUPPORT_TEXTS, SUPPORT_GOLD).save(tmp_path)
    with pytest.raises(InvalidInputError, match="holds a 'majority' baseline, not 'keyword'"):
        KeywordBaseline.load(tmp_path)
    manifest = json.loads((tmp_path / "baseline.json").read_text(encoding="utf-8"))
    manifest["version"] = "0"
    (tmp_path / "baseline.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(InvalidInputError, match="saved by majority baseline version '0', this is version '1'"):
        MajorityBaseline.load(tmp_path)
    with pytest.raises(InvalidInputError, match="cannot read"):
        load_baseline(tmp_path / "missing")


def test_importing_baselines_does_not_import_sklearn() -> None:
    code = "import sys, benchhub.tasks.text_classification.baselines; print('sklearn' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "False"


# Majority.


def test_majority_predicts_most_frequent_label_with_prior_scores() -> None:
    baseline = MajorityBaseline(["neg", "neu", "pos"]).fit(["a", "b", "c", "d"], ["pos", "neg", "pos", "pos"])
    assert baseline.majority_label == "pos"
    scores = baseline.predict_scores(["x", "y"])
    assert np.array_equal(scores, np.array([[0.25, 0.0, 0.75], [0.25, 0.0, 0.75]]))
    assert predict_labels(baseline, ["x"]) == ["pos"]
    assert baseline.describe()["label_counts"] == {"neg": 1, "neu": 0, "pos": 3}


def test_majority_tie_goes_to_first_label_in_order() -> None:
    baseline = MajorityBaseline(["b", "a"]).fit(["x", "y"], ["a", "b"])
    assert baseline.majority_label == "b"
    assert predict_labels(baseline, ["z"]) == ["b"]


# Keyword.


def test_tokenize_lowercases_drops_stopwords_and_keeps_unicode_words() -> None:
    tokens = tokenize("The CAFÉ's crème brûlée isn't bad_news 42!")
    assert tokens == ["café's", "crème", "brûlée", "bad", "news", "42"]


def test_log_odds_z_scores_match_hand_computation() -> None:
    # Words (bad, fun, good); group a = "good good fun", group b = "bad fun"; prior = pooled counts.
    counts_a = np.array([0, 1, 2])
    counts_b = np.array([1, 1, 0])
    prior = np.array([1, 2, 2])  # alpha_0 = 5, n_a = 3, n_b = 2
    expected = [
        (math.log(1 / (3 + 5 - 0 - 1)) - math.log(2 / (2 + 5 - 1 - 1))) / math.sqrt(1 / 1 + 1 / 2),
        (math.log(3 / (3 + 5 - 1 - 2)) - math.log(3 / (2 + 5 - 1 - 2))) / math.sqrt(1 / 3 + 1 / 3),
        (math.log(4 / (3 + 5 - 2 - 2)) - math.log(2 / (2 + 5 - 0 - 2))) / math.sqrt(1 / 4 + 1 / 2),
    ]
    np.testing.assert_allclose(log_odds_z_scores(counts_a, counts_b, prior), expected, rtol=1e-12)
    np.testing.assert_allclose(expected, [-0.840681, -0.273294, 1.058041], atol=1e-6)


def test_keyword_z_scores_on_tiny_corpus_match_hand_computation() -> None:
    baseline = KeywordBaseline(["pos", "neg"], min_count=1).fit(["good good fun", "bad fun"], ["pos", "neg"])
    good_in_pos = (math.log(4 / 4) - math.log(2 / 5)) / math.sqrt(1 / 4 + 1 / 2)
    bad_in_neg = (math.log(2 / 5) - math.log(1 / 7)) / math.sqrt(1 / 2 + 1 / 1)
    fun_in_neg = (math.log(3 / 4) - math.log(3 / 5)) / math.sqrt(1 / 3 + 1 / 3)
    keywords = baseline.keywords
    assert [word for word, _ in keywords["pos"]] == ["good"]
    assert [word for word, _ in keywords["neg"]] == ["bad", "fun"]
    np.testing.assert_allclose([z for _, z in keywords["pos"]], [good_in_pos], rtol=1e-12)
    np.testing.assert_allclose([z for _, z in keywords["neg"]], [bad_in_neg, fun_in_neg], rtol=1e-12)


def test_keyword_learns_indicative_words() -> None:
    baseline = KeywordBaseline(SUPPORT_LABELS).fit(SUPPORT_TEXTS, SUPPORT_GOLD)
    keywords = baseline.describe()["keywords"]
    assert keywords["billing"] == ["invoice", "charge", "wrong"]  # 3 hits, then a tie at 2 broken by word
    assert set(keywords["shipping"]) == {"package", "tracking", "arrived"}
    assert set(keywords["account"]) == {"password", "change", "app", "login"}
    assert "refund" not in keywords["billing"]  # seen once, below min_count=2


def test_keyword_keeps_at_most_keywords_per_label() -> None:
    baseline = KeywordBaseline(SUPPORT_LABELS, keywords_per_label=1).fit(SUPPORT_TEXTS, SUPPORT_GOLD)
    keywords = baseline.describe()["keywords"]
    assert keywords == {"billing": ["invoice"], "shipping": ["package"], "account": ["password"]}


def test_keyword_predicts_from_hits_and_majority_without_hits() -> None:
    baseline = KeywordBaseline(SUPPORT_LABELS).fit(SUPPORT_TEXTS, SUPPORT_GOLD)
    assert baseline.majority_label == "account"
    predictions = predict_labels(baseline, PROBE_TEXTS)
    assert predictions[:5] == ["shipping", "billing", "account", "account", "account"]
    hits = baseline.keyword_hits(PROBE_TEXTS)
    assert np.array_equal(hits[3], np.zeros(3))
    scores = baseline.predict_scores(PROBE_TEXTS)
    np.testing.assert_allclose(scores[3], [3 / 11, 3 / 11, 5 / 11], rtol=1e-12)
    rule = [
        baseline.labels[int(np.argmax(row))] if row.sum() > 0 else baseline.majority_label for row in hits
    ]
    assert predictions == rule
    assert [baseline.labels[index] for index in np.argmax(scores, axis=1)] == rule


def test_keyword_ties_go_to_first_label_and_no_hits_to_majority() -> None:
    # "apple" in a and "berry" in b get identical z-scores; b is the majority label.
    texts = ["apple apple", "berry berry", "the and"]
    baseline = KeywordBaseline(["a", "b"], min_count=1).fit(texts, ["a", "b", "b"])
    hits = baseline.keyword_hits(["apple berry"])
    assert hits[0, 0] == hits[0, 1] > 0
    assert predict_labels(baseline, ["apple berry", "berry", "cherry"]) == ["a", "b", "b"]


# Regex.

RULES_YAML = """\
default: account
rules:
  - pattern: "\\\\b(refund|money back)\\\\b"
    label: billing
    flags: i
  - pattern: "money"
    label: shipping
"""


def write_rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_regex_first_matching_rule_wins_and_default_applies(tmp_path: Path) -> None:
    baseline = RegexBaseline.from_yaml(write_rules(tmp_path, RULES_YAML), SUPPORT_LABELS)
    assert baseline.rules[0].pattern == r"\b(refund|money back)\b"
    baseline.fit(SUPPORT_TEXTS, SUPPORT_GOLD)
    texts = ["I want my MONEY BACK", "where is my money", "hello", "refunded"]
    scores = baseline.predict_scores(texts)
    assert np.array_equal(scores, np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [0, 0, 1.0]]))
    assert baseline.describe() == {
        "name": "regex",
        "version": "1",
        "rules": 2,
        "rules_per_label": {"billing": 1, "shipping": 1, "account": 0},
        "default_label": "account",
        "default_from": "rules",
    }


def test_regex_without_default_uses_training_majority() -> None:
    rules = [{"pattern": "refund", "label": "billing"}]
    baseline = RegexBaseline(SUPPORT_LABELS, rules).fit(["a", "b", "c"], ["shipping", "billing", "shipping"])
    assert predict_labels(baseline, ["refund now", "nothing"]) == ["billing", "shipping"]
    assert baseline.describe()["default_from"] == "training majority"


def test_regex_rule_order_matters() -> None:
    rules = [{"pattern": "money", "label": "shipping"}, {"pattern": "refund", "label": "billing"}]
    baseline = RegexBaseline(SUPPORT_LABELS, rules).fit(SUPPORT_TEXTS, SUPPORT_GOLD)
    assert predict_labels(baseline, ["refund my money"]) == ["shipping"]


BAD_RULE_FILES = {
    "not-a-mapping": ("- pattern: a\n  label: billing\n", "must be a mapping with 'rules'.*got a list"),
    "empty-file": ("", "must be a mapping with 'rules'.*got empty"),
    "no-rules": ("default: billing\n", "has no 'rules' list"),
    "unknown-top-key": (
        "rule:\n  - {pattern: a, label: billing}\n",
        "unknown key 'rule'; allowed keys: default, rules",
    ),
    "rules-not-a-list": ("rules: refund\n", "rules must be a list of rules, got a string"),
    "rules-empty": ("rules: []\n", "rules is empty"),
    "rule-not-a-mapping": ("rules:\n  - refund\n", "rule 1 is a string, expected a mapping"),
    "missing-pattern": (
        "rules:\n  - {pattern: a, label: billing}\n  - {label: billing}\n",
        "rule 2 is missing 'pattern'",
    ),
    "missing-label": ("rules:\n  - {pattern: a}\n", "rule 1 is missing 'label'"),
    "unknown-rule-key": ("rules:\n  - {pattern: a, lable: billing}\n", "rule 1 has unknown key 'lable'"),
    "label-not-in-dataset": (
        "rules:\n  - {pattern: a, label: refunds}\n",
        "rule 1: label 'refunds' is not a dataset label; allowed: billing, shipping, account",
    ),
    "label-not-a-string": ("rules:\n  - {pattern: a, label: 7}\n", "label must be a string, got an int"),
    "empty-pattern": ("rules:\n  - {pattern: '', label: billing}\n", "rule 1: pattern must be a non-empty"),
    "invalid-regex": (
        "rules:\n  - {pattern: a, label: billing}\n  - {pattern: '(refund', label: billing}\n",
        r"rule 2: invalid regex '\(refund': missing \), unterminated subpattern at position 0",
    ),
    "unknown-flag": (
        "rules:\n  - {pattern: a, label: billing, flags: ix}\n",
        "rule 1: unknown flag 'x' in flags 'ix'; allowed: i",
    ),
    "flags-not-a-string": (
        "rules:\n  - {pattern: a, label: billing, flags: [i]}\n",
        "rule 1: flags must be a string",
    ),
    "default-not-in-dataset": (
        "default: other\nrules:\n  - {pattern: a, label: billing}\n",
        "default 'other' is not a dataset label; allowed: billing, shipping, account",
    ),
    "yaml-syntax": ("rules: [\n", "is not valid YAML"),
    "unsafe-tag": ("rules: !!python/object/apply:os.system ['echo hi']\n", "is not valid YAML"),
    # A billion-laughs document: a few hundred bytes that expand to millions of nodes if aliases are followed.
    "alias-bomb": ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, "
                   f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
                   for i in range(8)) + "rules: *i\n", r"line 2: YAML aliases \(\*a\) are not allowed here"),
}


@pytest.mark.parametrize(("text", "message"), list(BAD_RULE_FILES.values()), ids=list(BAD_RULE_FILES))
def test_regex_bad_rules_file_raises(text: str, message: str, tmp_path: Path) -> None:
    path = write_rules(tmp_path, text)
    with pytest.raises(InvalidInputError, match=message) as caught:
        RegexBaseline.from_yaml(path, SUPPORT_LABELS)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("case", ["latin-1", "pipe", "folder", "over-1-mib"])
def test_regex_rules_files_that_are_not_small_utf8_files_are_refused_in_one_line(case: str, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    if case == "latin-1":
        path.write_bytes("rules:\n  - {pattern: café, label: billing}\n".encode("latin-1"))
        expected = r"the rules file .*rules\.yaml is not valid UTF-8 \(byte offset 24\); save it as UTF-8$"
    elif case == "pipe":  # reading one would block until something writes to it
        os.mkfifo(path)
        expected = r"the rules file .*rules\.yaml is not a regular file; give the YAML file itself$"
    elif case == "folder":
        path.mkdir()
        expected = r"the rules file .*rules\.yaml is a folder; give the YAML file itself$"
    else:
        path.write_text("rules:\n" + "  - {pattern: a, label: billing}\n" * 40_000, encoding="utf-8")
        expected = r"the rules file .*rules\.yaml is 1,320,007 bytes; the limit is 1,048,576$"
    with pytest.raises(InvalidInputError, match=expected):
        RegexBaseline.from_yaml(path, SUPPORT_LABELS)


def test_regex_missing_rules_file_raises(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read the rules file .*missing.yaml"):
        RegexBaseline.from_yaml(tmp_path / "missing.yaml", SUPPORT_LABELS)


def test_regex_save_writes_rules_as_json(tmp_path: Path) -> None:
    baseline = RegexBaseline(SUPPORT_LABELS, SUPPORT_RULES, default="account")
    baseline.fit(SUPPORT_TEXTS, SUPPORT_GOLD)
    baseline.save(tmp_path)
    assert files_in(tmp_path) == {"baseline.json"}
    manifest = json.loads((tmp_path / "baseline.json").read_text(encoding="utf-8"))
    assert manifest["rules"][0] == {
        "pattern": r"\b(refund|invoice|charge)\b",
        "label": "billing",
        "flags": "i",
    }
    assert manifest["default"] == "account"


# TF-IDF + logistic regression.

TOPIC_WORDS = {
    "sports": ["goal", "match", "team", "score", "coach", "league"],
    "cooking": ["recipe", "oven", "flour", "sauce", "bake", "spice"],
    "travel": ["flight", "hotel", "beach", "passport", "train", "museum"],
}
FILLER = ["today", "really", "quite", "some", "nice", "great"]


def topic_corpus(size: int, seed: int) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for row in range(size):
        label = list(TOPIC_WORDS)[row % len(TOPIC_WORDS)]
        words = list(rng.choice(TOPIC_WORDS[label], size=3)) + list(rng.choice(FILLER, size=3))
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


def test_tfidf_logreg_separates_toy_topics() -> None:
    labels = tuple(TOPIC_WORDS)
    train_texts, train_labels = topic_corpus(60, seed=1)
    test_texts, test_labels = topic_corpus(30, seed=2)
    baseline = TfidfLogRegBaseline(labels).fit(train_texts, train_labels)
    predictions = predict_labels(baseline, test_texts)
    accuracy = np.mean([prediction == gold for prediction, gold in zip(predictions, test_labels)])
    assert accuracy == 1.0
    top_terms = baseline.describe()["top_terms"]
    assert set(top_terms["cooking"][:3]) <= set(TOPIC_WORDS["cooking"])


def test_tfidf_logreg_save_load_identical_without_pickle(tmp_path: Path) -> None:
    train_texts, train_labels = topic_corpus(60, seed=1)
    baseline = TfidfLogRegBaseline(tuple(TOPIC_WORDS), ngram_range=(1, 1), C=2.0)
    baseline.fit(train_texts, train_labels)
    baseline.save(tmp_path)
    assert files_in(tmp_path) == {"baseline.json", "vocabulary.json", "arrays.npz"}
    with np.load(tmp_path / "arrays.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == ["coef", "idf", "intercept"]
        assert archive["coef"].shape == (3, len(json.loads((tmp_path / "vocabulary.json").read_text())))
    manifest = json.loads((tmp_path / "baseline.json").read_text(encoding="utf-8"))
    assert manifest["hyperparameters"]["ngram_range"] == [1, 1]
    assert manifest["hyperparameters"]["C"] == 2.0
    assert manifest["classes"] == ["sports", "cooking", "travel"]
    loaded = TfidfLogRegBaseline.load(tmp_path)
    assert loaded.ngram_range == (1, 1)
    probe, _ = topic_corpus(20, seed=3)
    assert np.array_equal(loaded.predict_scores(probe), baseline.predict_scores(probe))


def test_tfidf_logreg_absent_label_scores_zero() -> None:
    baseline = TfidfLogRegBaseline(["cooking", "unused", "sports"]).fit(
        ["bake the flour", "team match goal", "oven recipe", "league coach"],
        ["cooking", "sports", "cooking", "sports"],
    )
    scores = baseline.predict_scores(["flour oven", "goal team"])
    assert np.array_equal(scores[:, 1], [0.0, 0.0])
    assert predict_labels(baseline, ["flour oven", "goal team"]) == ["cooking", "sports"]
    assert baseline.describe()["classes"] == ["cooking", "sports"]


def test_tfidf_logreg_single_class_training(tmp_path: Path) -> None:
    baseline = TfidfLogRegBaseline(["neg", "pos"]).fit(["fine", "good"], ["pos", "pos"])
    expected = np.array([[0.0, 1.0], [0.0, 1.0]])
    assert np.array_equal(baseline.predict_scores(["awful", "anything"]), expected)
    baseline.save(tmp_path)
    assert files_in(tmp_path) == {"baseline.json"}
    assert np.array_equal(TfidfLogRegBaseline.load(tmp_path).predict_scores(["awful", "x"]), expected)


def test_tfidf_logreg_texts_without_features_raise() -> None:
    with pytest.raises(InvalidInputError, match="training texts yield no TF-IDF features"):
        TfidfLogRegBaseline(["a", "b"]).fit(["!", "?"], ["a", "b"])
