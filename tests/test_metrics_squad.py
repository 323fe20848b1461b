from __future__ import annotations

import collections
import random
import re
import string
from collections import Counter

import numpy as np
import pytest

from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.metrics.bootstrap import (
    Interval,
    mean_intervals,
    paired_mean_pvalue,
    resample_indices,
)
from benchhub.tasks.question_answering import metrics as squad

# Five questions, three answerable. Hand-computed raw scores (exact, F1):
#   q1 "denver broncos!" vs "Denver Broncos"          -> 1, 1
#   q2 "cat on a mat" vs "the cat sat on the mat"     -> 0, 6/7  ([cat,on,mat] vs [cat,sat,on,mat]: P=1, R=3/4)
#   q3 "" vs no answer                                -> 1, 1
#   q4 "Paris" vs no answer                           -> 0, 0
#   q5 "tower" vs "Eiffel Tower"                      -> 0, 2/3  (P=1, R=1/2)
REFERENCES = {
    "q1": ["Denver Broncos", "The Denver Broncos"],
    "q2": ["the cat sat on the mat"],
    "q3": [],
    "q4": [],
    "q5": ["Eiffel Tower"],
}
PREDICTIONS = {"q1": "denver broncos!", "q2": "cat on a mat", "q3": "", "q4": "Paris", "q5": "tower"}
# q4 and q2 tie at 0.6; q4 comes first in insertion order, so the stable sort visits q4 first.
NA_PROBS = {"q4": 0.6, "q1": 0.1, "q5": 0.3, "q2": 0.6, "q3": 0.9}

ALL_KEYS = [
    "exact", "f1", "total",
    "HasAns_exact", "HasAns_f1", "HasAns_total",
    "NoAns_exact", "NoAns_f1", "NoAns_total",
]  # fmt: skip
BEST_KEYS = ["best_exact", "best_exact_thresh", "best_f1", "best_f1_thresh"]


def _assert_scores(actual: dict, expected: dict) -> None:
    assert list(actual) == list(expected)
    for key, value in expected.items():
        if key.endswith("total"):
            assert type(actual[key]) is int and actual[key] == value, key
        else:
            assert actual[key] == pytest.approx(value, abs=1e-9, rel=0), key


# --- normalisation, exact match and F1 -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Eiffel-Tower", "eiffeltower"),
        ("The  Cat,\tsat!", "cat sat"),
        ("an apple a day", "apple day"),
        ("a-ok", "aok"),  # punctuation goes before articles, so "a" is no longer a word
        ("theater", "theater"),
        ("«Paris»", "«paris»"),
        ("“Quoted”", "“quoted”"),
        ("Café ÉCOLE", "café école"),
        ("éthe", "éthe"),  # é is a word character: no \b before "the"
        ("Paris\u00a0France", "paris france"),
        ("", ""),
        ("The", ""),
    ],
    ids=[
        "hyphen", "case-space", "articles", "punct-first", "article-inside-word", "guillemets",
        "curly-quotes", "accents-kept", "unicode-word-boundary", "nbsp", "empty", "only-article",
    ],
)  # fmt: skip
def test_normalize_answer(text: str, expected: str) -> None:
    assert squad.normalize_answer(text) == expected


def test_get_tokens() -> None:
    assert squad.get_tokens("") == []
    assert squad.get_tokens("The big, big dog.") == ["big", "big", "dog"]


@pytest.mark.parametrize(
    ("gold", "pred", "exact"),
    [("the", "a", 1), ("«Paris»", "Paris", 0), ("café", "cafe", 0), ("Eiffel Tower", "eiffel tower.", 1)],
    ids=["articles-only", "non-ascii-punct", "accents", "case-punct"],
)
def test_exact_match(gold: str, pred: str, exact: int) -> None:
    assert squad.compute_exact(gold, pred) == exact
    assert squad.exact_match_v11(pred, gold) is bool(exact)


@pytest.mark.parametrize(
    ("gold", "pred", "f1"),
    [
        ("the cat sat on the mat", "cat on a mat", 6 / 7),
        ("", "", 1),
        ("", "something", 0),
        ("something", "", 0),
        ("the", "", 1),  # both sides have no tokens
        ("café", "cafe", 0),
        ("«Paris»", "Paris", 0),
        ("tour eiffel", "Eiffel Tower", 0.5),
        ("x y y z", "y y y", 4 / 7),  # Counter & keeps 2 of y: P = 2/3, R = 2/4
    ],
    ids=["hand", "both-empty", "gold-empty", "pred-empty", "article-vs-empty", "accents", "guillemets",
         "half", "repeated-tokens"],
)  # fmt: skip
def test_compute_f1_v2(gold: str, pred: str, f1: float) -> None:
    assert squad.compute_f1(gold, pred) == pytest.approx(f1, abs=1e-12)


def test_f1_v11_differs_from_v2_only_on_empty_token_lists() -> None:
    assert squad.f1_score_v11("cat on a mat", "the cat sat on the mat") == pytest.approx(6 / 7, abs=1e-12)
    assert squad.f1_score_v11("", "Paris") == 0
    # v1.1 checks num_same == 0 before anything else, so two empty answers score F1 0 (EM 1).
    assert squad.f1_score_v11("", "the") == 0
    assert squad.exact_match_v11("", "the") is True
    assert squad.compute_f1("the", "") == 1


# --- SQuAD v2.0 ------------------------------------------------------------------------------------


def test_raw_scores_v2_follow_reference_order() -> None:
    exact, f1 = squad.raw_scores_v2(predictions=PREDICTIONS, references=REFERENCES)
    assert list(exact) == list(f1) == ["q1", "q2", "q3", "q4", "q5"]
    assert exact == {"q1": 1, "q2": 0, "q3": 1, "q4": 0, "q5": 0}
    assert f1 == pytest.approx({"q1": 1, "q2": 6 / 7, "q3": 1, "q4": 0, "q5": 2 / 3}, abs=1e-12)


def test_max_over_several_golds() -> None:
    references = {"q": ["Denver Broncos", "Broncos", "the Broncos team"]}
    exact, f1 = squad.raw_scores_v2(predictions={"q": "Denver"}, references=references)
    assert exact == {"q": 0}
    assert f1["q"] == pytest.approx(2 / 3, abs=1e-12)  # vs "denver broncos": P=1, R=1/2
    exact, _ = squad.raw_scores_v2(predictions={"q": "broncos"}, references=references)
    assert exact == {"q": 1}


def test_squad_v2_without_na_probs_has_no_best_keys() -> None:
    # exact = (1+0+1+0+0)/5; f1 = (1 + 6/7 + 1 + 0 + 2/3)/5 = 74/105
    _assert_scores(
        squad.squad_v2(predictions=PREDICTIONS, references=REFERENCES),
        {
            "exact": 40.0, "f1": 7400 / 105, "total": 5,
            "HasAns_exact": 100 / 3, "HasAns_f1": 100 * (1 + 6 / 7 + 2 / 3) / 3, "HasAns_total": 3,
            "NoAns_exact": 50.0, "NoAns_f1": 50.0, "NoAns_total": 2,
        },
    )  # fmt: skip


def test_squad_v2_with_na_probs_adds_best_thresholds() -> None:
    # Walk by na_prob (q1 .1, q5 .3, q4 .6, q2 .6, q3 .9) from 2 (the NoAns count):
    #   exact: 3 (q1, thresh .1), 3, 2 (q4 answered: -1), 2, 2            -> 60.0 at 0.1
    #   f1:    3 (.1), 3+2/3 (.3), 2+2/3, 2+2/3+6/7 = 3.52 < 3.67, same   -> 100*(11/3)/5 at 0.3
    result = squad.squad_v2(predictions=PREDICTIONS, references=REFERENCES, na_probs=NA_PROBS)
    assert list(result) == ALL_KEYS + BEST_KEYS
    # No probability exceeds the default na_prob_thresh of 1.0, so the main scores do not move.
    assert {k: result[k] for k in ALL_KEYS} == squad.squad_v2(predictions=PREDICTIONS, references=REFERENCES)
    assert result["best_exact"] == pytest.approx(60.0, abs=1e-9)
    assert result["best_exact_thresh"] == 0.1
    assert result["best_f1"] == pytest.approx(220 / 3, abs=1e-9)
    assert result["best_f1_thresh"] == 0.3


def test_best_thresh_ties_follow_na_probs_insertion_order() -> None:
    # Same probabilities, q2 inserted before q4: the walk reaches 2 + 1 + 2/3 + 6/7 = 95/21 at q2 (0.6).
    na_probs = {"q1": 0.1, "q2": 0.6, "q3": 0.9, "q4": 0.6, "q5": 0.3}
    result = squad.squad_v2(predictions=PREDICTIONS, references=REFERENCES, na_probs=na_probs)
    assert result["best_f1"] == pytest.approx(100 * (95 / 21) / 5, abs=1e-9)
    assert result["best_f1_thresh"] == 0.6
    assert result["best_exact"] == pytest.approx(60.0, abs=1e-9)
    assert result["best_exact_thresh"] == 0.1


def test_best_thresh_moves_only_on_a_strictly_greater_score() -> None:
    references = {"h1": ["x"], "n": [], "h2": ["y"]}
    predictions = {"h1": "x", "n": "oops", "h2": "y"}
    # From 1: h1 (.2) -> 2, best; n (.35) answered -> 1; h2 (.5) -> 2, equal, so the threshold stays .2.
    result = squad.squad_v2(
        predictions=predictions, references=references, na_probs={"h1": 0.2, "n": 0.35, "h2": 0.5}
    )
    assert result["best_exact"] == pytest.approx(200 / 3, abs=1e-9)
    assert result["best_exact_thresh"] == 0.2
    assert result["best_f1_thresh"] == 0.2


def test_best_thresh_without_improvement_is_zero() -> None:
    # Every HasAns answer is wrong, so abstaining on everything (score = NoAns count) is never beaten.
    result = squad.squad_v2(
        predictions={"h": "wrong", "n": ""}, references={"h": ["right"], "n": []}, na_probs={"h": 0.7, "n": 0.2}
    )
    assert result["best_exact"] == 50.0
    assert result["best_exact_thresh"] == 0.0
    assert type(result["best_exact_thresh"]) is float


def test_whitespace_prediction_counts_as_an_answer_in_best_thresh() -> None:
    # " " normalises to "" (right for a NoAns question), but the raw string is truthy: diff -1.
    result = squad.squad_v2(predictions={"n": " "}, references={"n": []}, na_probs={"n": 0.5})
    assert result["exact"] == 100.0
    assert result["best_exact"] == 100.0  # the starting score 1 is never beaten
    assert result["best_exact_thresh"] == 0.0


def test_na_prob_thresh_decides_abstentions() -> None:
    # Threshold 0.5 abstains on q2 (0.6, HasAns -> 0), q4 (0.6, NoAns -> 1) and q3 (0.9, NoAns -> 1).
    result = squad.squad_v2(predictions=PREDICTIONS, references=REFERENCES, na_probs=NA_PROBS, na_prob_thresh=0.5)
    _assert_scores(
        {k: result[k] for k in ALL_KEYS},
        {
            "exact": 60.0, "f1": 100 * (3 + 2 / 3) / 5, "total": 5,
            "HasAns_exact": 100 / 3, "HasAns_f1": 100 * (1 + 2 / 3) / 3, "HasAns_total": 3,
            "NoAns_exact": 100.0, "NoAns_f1": 100.0, "NoAns_total": 2,
        },
    )  # fmt: skip
    # best_* use the raw scores, whatever the threshold.
    assert result["best_f1"] == pytest.approx(220 / 3, abs=1e-9)
    assert result["best_f1_thresh"] == 0.3


def test_na_prob_thresh_is_strict() -> None:
    # At 0.6 only q3 (0.9) abstains, and it is a NoAns question answered "" already.
    at_point_six = squad.squad_v2(
        predictions=PREDICTIONS, references=REFERENCES, na_probs=NA_PROBS, na_prob_thresh=0.6
    )
    default = squad.squad_v2(predictions=PREDICTIONS, references=REFERENCES, na_probs=NA_PROBS)
    assert at_point_six == default


def test_na_prob_thresh_applies_to_default_zero_probabilities() -> None:
    # Without na_probs every probability is 0.0, so a negative threshold abstains everywhere.
    result = squad.squad_v2(predictions=PREDICTIONS, references=REFERENCES, na_prob_thresh=-0.5)
    assert (result["exact"], result["f1"]) == (40.0, 40.0)
    assert (result["HasAns_exact"], result["NoAns_exact"]) == (0.0, 100.0)
    assert "best_exact" not in result


def test_has_ans_uses_the_raw_gold_list() -> None:
    # "The" normalises to "", so "" is the only right answer, yet the question counts as HasAns.
    result = squad.squad_v2(predictions={"q": ""}, references={"q": ["The"]})
    _assert_scores(
        result, {"exact": 100.0, "f1": 100.0, "total": 1, "HasAns_exact": 100.0, "HasAns_f1": 100.0, "HasAns_total": 1}
    )


def test_only_no_answer_questions() -> None:
    result = squad.squad_v2(predictions={"a": "", "b": "x"}, references={"a": [], "b": []})
    _assert_scores(
        result, {"exact": 50.0, "f1": 50.0, "total": 2, "NoAns_exact": 50.0, "NoAns_f1": 50.0, "NoAns_total": 2}
    )


def test_per_example_v2_aligns_with_references_and_aggregates() -> None:
    reordered = {qid: PREDICTIONS[qid] for qid in reversed(PREDICTIONS)}
    per_example = squad.per_example_v2(
        predictions=reordered, references=REFERENCES, na_probs=NA_PROBS, na_prob_thresh=0.5
    )
    np.testing.assert_allclose(per_example["exact"], [1, 0, 1, 1, 0])
    np.testing.assert_allclose(per_example["f1"], [1, 0, 1, 1, 2 / 3])
    result = squad.squad_v2(predictions=PREDICTIONS, references=REFERENCES, na_probs=NA_PROBS, na_prob_thresh=0.5)
    assert 100 * per_example["exact"].mean() == pytest.approx(result["exact"], abs=1e-9)
    assert 100 * per_example["f1"].mean() == pytest.approx(result["f1"], abs=1e-9)


# --- SQuAD v1.1 ------------------------------------------------------------------------------------

V1_REFERENCES = {"a": ["Denver Broncos", "Broncos"], "b": ["the cat sat on the mat"], "c": ["Eiffel Tower"]}
V1_PREDICTIONS = {"a": "The Broncos", "b": "cat on a mat", "c": "Tour Eiffel"}


def test_squad_v1() -> None:
    # a: EM 1 (vs "Broncos"), F1 max(2/3, 1) = 1; b: 0, 6/7; c: 0, 1/2 (P = R = 1/2).
    result = squad.squad_v1(predictions=V1_PREDICTIONS, references=V1_REFERENCES)
    assert list(result) == ["exact_match", "f1"]
    assert result["exact_match"] == pytest.approx(100 / 3, abs=1e-9)
    assert result["f1"] == pytest.approx(100 * (1 + 6 / 7 + 1 / 2) / 3, abs=1e-9)


def test_squad_v1_empty_prediction() -> None:
    result = squad.squad_v1(predictions={"a": "", "b": "the"}, references={"a": ["Paris"], "b": ["a"]})
    # a: 0, 0. b: both normalise to "": EM 1, F1 0 in v1.1.
    assert result == {"exact_match": 50.0, "f1": 0.0}


def test_per_example_v1_aggregates() -> None:
    per_example = squad.per_example_v1(predictions=V1_PREDICTIONS, references=V1_REFERENCES)
    np.testing.assert_allclose(per_example["exact_match"], [1, 0, 0])
    np.testing.assert_allclose(per_example["f1"], [1, 6 / 7, 1 / 2])
    result = squad.squad_v1(predictions=V1_PREDICTIONS, references=V1_REFERENCES)
    assert 100 * per_example["exact_match"].mean() == pytest.approx(result["exact_match"], abs=1e-9)
    assert 100 * per_example["f1"].mean() == pytest.approx(result["f1"], abs=1e-9)


def test_squad_v1_rejects_unanswerable_questions() -> None:
    with pytest.raises(InvalidInputError, match=r"references\['b'\] has no gold answer.*squad_v2"):
        squad.squad_v1(predictions={"a": "x", "b": ""}, references={"a": ["x"], "b": []})


# --- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("scorer", [squad.squad_v1, squad.squad_v2, squad.per_example_v2, squad.raw_scores_v2])
def test_missing_prediction_is_named(scorer) -> None:
    predictions = {"a": "x", "c": "z"}
    with pytest.raises(InvalidInputError, match=r"predictions has no entry for question 'b' \(2 of 4 missing\)"):
        scorer(predictions=predictions, references={"a": ["x"], "b": ["y"], "c": ["z"], "d": ["w"]})


@pytest.mark.parametrize("scorer", [squad.squad_v1, squad.squad_v2])
def test_unknown_prediction_is_named(scorer) -> None:
    with pytest.raises(InvalidInputError, match=r"unknown question 'zz'"):
        scorer(predictions={"a": "x", "zz": "y"}, references={"a": ["x"]})


@pytest.mark.parametrize(
    ("na_probs", "match"),
    [
        ({"q1": 0.1}, r"na_probs has no entry for question 'q2'"),
        ({"q1": 0.1, "q2": 0.2, "q9": 0.3}, r"na_probs has an entry for unknown question 'q9'"),
        ({"q1": 0.1, "q2": float("nan")}, r"na_probs\['q2'\] must be a finite number"),
        ({"q1": 0.1, "q2": "0.2"}, r"na_probs\['q2'\] must be a finite number"),
        ({"q1": True, "q2": 0.2}, r"na_probs\['q1'\] must be a finite number"),
    ],
    ids=["missing", "unknown", "nan", "string", "bool"],
)
def test_na_probs_are_checked(na_probs: dict, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        squad.squad_v2(predictions={"q1": "", "q2": ""}, references={"q1": [], "q2": []}, na_probs=na_probs)


@pytest.mark.parametrize(
    ("predictions", "references", "match"),
    [
        ({"q": None}, {"q": ["x"]}, r"predictions\['q'\] must be a string"),
        ({"q": "x"}, {"q": "x"}, r"references\['q'\] must be a list of gold answer strings"),
        ({"q": "x"}, {"q": ["x", 3]}, r"references\['q'\] must be a list"),
        ({}, {}, r"at least one question"),
        (["x"], {"q": ["x"]}, r"predictions must be a dict"),
    ],
    ids=["non-str-prediction", "str-gold-list", "non-str-gold", "empty", "list-predictions"],
)
def test_answers_are_checked(predictions, references, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        squad.squad_v2(predictions=predictions, references=references)


def test_na_prob_thresh_must_not_be_nan() -> None:
    with pytest.raises(InvalidInputError, match=r"na_prob_thresh must be a real number"):
        squad.squad_v2(predictions={"q": ""}, references={"q": []}, na_prob_thresh=float("nan"))


# --- bootstrap over per-example scores -------------------------------------------------------------


def test_mean_intervals_equal_quantiles_of_resampled_means() -> None:
    rng = np.random.default_rng(3)
    values = {"exact": rng.integers(0, 2, 40).astype(float), "f1": rng.random(40)}
    intervals = mean_intervals(values, scale=100.0, n_resamples=200, confidence=0.9, seed=7)
    indices = resample_indices(40, n_resamples=200, seed=7)
    for name, array in values.items():
        low, high = np.quantile(100.0 * array[indices].mean(axis=1), [0.05, 0.95])
        assert intervals[name] == Interval(low=pytest.approx(low, abs=1e-12), high=pytest.approx(high, abs=1e-12))
        assert intervals[name].low <= 100 * array.mean() <= intervals[name].high


def test_mean_intervals_do_not_depend_on_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {"f1": np.random.default_rng(0).random(30)}
    whole = mean_intervals(values, n_resamples=100, seed=1)
    monkeypatch.setattr(bootstrap, "MAX_INDICES_PER_BLOCK", 70)  # two rows a block
    assert mean_intervals(values, n_resamples=100, seed=1) == whole


def test_mean_intervals_of_a_constant_are_that_constant() -> None:
    assert mean_intervals({"exact": np.ones(5)}, scale=100.0) == {"exact": Interval(low=100.0, high=100.0)}


@pytest.mark.parametrize(
    ("values", "kwargs", "match"),
    [
        ({"a": np.ones(3), "b": np.ones(4)}, {}, r"arrays of one length"),
        ({}, {}, r"non-empty dict"),
        ({"a": np.array([1.0, np.nan])}, {}, r"values\['a'\] must hold finite numbers"),
        ({"a": np.ones((2, 2))}, {}, r"must be a 1-D array"),
        ({"a": np.ones(3)}, {"confidence": 1.0}, r"confidence must lie strictly between 0 and 1"),
        ({"a": np.array([])}, {}, r"at least 1 example"),
    ],
    ids=["lengths", "empty-dict", "nan", "2-d", "confidence", "no-examples"],
)
def test_mean_intervals_reject_bad_input(values: dict, kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        mean_intervals(values, **kwargs)


def test_paired_mean_pvalue() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.random(60), rng.random(60)
    assert paired_mean_pvalue(a, a.copy()) == 1.0
    # Every resampled difference of ones minus zeros is exactly the observed 1: none is as extreme.
    assert paired_mean_pvalue(np.ones(50), np.zeros(50), n_resamples=999) == 1 / 1000
    indices = resample_indices(60, n_resamples=300, seed=2)
    observed = (a - b).mean()
    deltas = (a - b)[indices].mean(axis=1)
    expected = (1 + np.count_nonzero(np.abs(deltas - observed) >= abs(observed))) / 301
    assert paired_mean_pvalue(a, b, n_resamples=300, seed=2) == pytest.approx(expected, abs=1e-12)


def test_paired_mean_pvalue_rejects_unpaired_scores() -> None:
    with pytest.raises(InvalidInputError, match=r"same examples; got lengths 3 and 4"):
        paired_mean_pvalue(np.ones(3), np.ones(4))


# --- literal transcription of the official SQuAD v2.0 script (the reference) -----------------------
# Function bodies follow "Official evaluation script for SQuAD version 2.0" line for line; main()
# becomes official_v2_eval, taking the parsed data, predictions and optional na-prob mapping.


def normalize_answer(s):
    """Lower text and remove punctuation, articles and extra whitespace."""

    def remove_articles(text):
        regex = re.compile(r"\b(a|an|the)\b", re.UNICODE)
        return re.sub(regex, " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    def lower(text):
        return text.lower()

    return white_space_fix(remove_articles(remove_punc(lower(s))))


def make_qid_to_has_ans(dataset):
    qid_to_has_ans = {}
    for article in dataset:
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                qid_to_has_ans[qa["id"]] = bool(qa["answers"])
    return qid_to_has_ans


def get_tokens(s):
    if not s:
        return []
    return normalize_answer(s).split()


def compute_exact(a_gold, a_pred):
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def compute_f1(a_gold, a_pred):
    gold_toks = get_tokens(a_gold)
    pred_toks = get_tokens(a_pred)
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        # If either is no-answer, then F1 is 1 if they agree, 0 otherwise
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


def get_raw_scores(dataset, preds):
    exact_scores = {}
    f1_scores = {}
    for article in dataset:
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                qid = qa["id"]
                gold_answers = [a["text"] for a in qa["answers"] if normalize_answer(a["text"])]
                if not gold_answers:
                    # For unanswerable questions, only correct answer is empty string
                    gold_answers = [""]
                if qid not in preds:
                    print("Missing prediction for %s" % qid)
                    continue
                a_pred = preds[qid]
                # Take max over all gold answers
                exact_scores[qid] = max(compute_exact(a, a_pred) for a in gold_answers)
                f1_scores[qid] = max(compute_f1(a, a_pred) for a in gold_answers)
    return exact_scores, f1_scores


def apply_no_ans_threshold(scores, na_probs, qid_to_has_ans, na_prob_thresh):
    new_scores = {}
    for qid, s in scores.items():
        pred_na = na_probs[qid] > na_prob_thresh
        if pred_na:
            new_scores[qid] = float(not qid_to_has_ans[qid])
        else:
            new_scores[qid] = s
    return new_scores


def make_eval_dict(exact_scores, f1_scores, qid_list=None):
    if not qid_list:
        total = len(exact_scores)
        return collections.OrderedDict(
            [
                ("exact", 100.0 * sum(exact_scores.values()) / total),
                ("f1", 100.0 * sum(f1_scores.values()) / total),
                ("total", total),
            ]
        )
    else:
        total = len(qid_list)
        return collections.OrderedDict(
            [
                ("exact", 100.0 * sum(exact_scores[k] for k in qid_list) / total),
                ("f1", 100.0 * sum(f1_scores[k] for k in qid_list) / total),
                ("total", total),
            ]
        )


def merge_eval(main_eval, new_eval, prefix):
    for k in new_eval:
        main_eval["%s_%s" % (prefix, k)] = new_eval[k]


def find_best_thresh(preds, scores, na_probs, qid_to_has_ans):
    num_no_ans = sum(1 for k in qid_to_has_ans if not qid_to_has_ans[k])
    cur_score = num_no_ans
    best_score = cur_score
    best_thresh = 0.0
    qid_list = sorted(na_probs, key=lambda k: na_probs[k])
    for i, qid in enumerate(qid_list):
        if qid not in scores:
            continue
        if qid_to_has_ans[qid]:
            diff = scores[qid]
        else:
            if preds[qid]:
                diff = -1
            else:
                diff = 0
        cur_score += diff
        if cur_score > best_score:
            best_score = cur_score
            best_thresh = na_probs[qid]
    return 100.0 * best_score / len(scores), best_thresh


def find_all_best_thresh(main_eval, preds, exact_raw, f1_raw, na_probs, qid_to_has_ans):
    best_exact, exact_thresh = find_best_thresh(preds, exact_raw, na_probs, qid_to_has_ans)
    best_f1, f1_thresh = find_best_thresh(preds, f1_raw, na_probs, qid_to_has_ans)
    main_eval["best_exact"] = best_exact
    main_eval["best_exact_thresh"] = exact_thresh
    main_eval["best_f1"] = best_f1
    main_eval["best_f1_thresh"] = f1_thresh


def official_v2_eval(dataset, preds, na_prob_file=None, na_prob_thresh=1.0):
    if na_prob_file is not None:
        na_probs = na_prob_file
    else:
        na_probs = {k: 0.0 for k in preds}
    qid_to_has_ans = make_qid_to_has_ans(dataset)  # maps qid to True/False
    has_ans_qids = [k for k, v in qid_to_has_ans.items() if v]
    no_ans_qids = [k for k, v in qid_to_has_ans.items() if not v]
    exact_raw, f1_raw = get_raw_scores(dataset, preds)
    exact_thresh = apply_no_ans_threshold(exact_raw, na_probs, qid_to_has_ans, na_prob_thresh)
    f1_thresh = apply_no_ans_threshold(f1_raw, na_probs, qid_to_has_ans, na_prob_thresh)
    out_eval = make_eval_dict(exact_thresh, f1_thresh)
    if has_ans_qids:
        has_ans_eval = make_eval_dict(exact_thresh, f1_thresh, qid_list=has_ans_qids)
        merge_eval(out_eval, has_ans_eval, "HasAns")
    if no_ans_qids:
        no_ans_eval = make_eval_dict(exact_thresh, f1_thresh, qid_list=no_ans_qids)
        merge_eval(out_eval, no_ans_eval, "NoAns")
    if na_prob_file is not None:
        find_all_best_thresh(out_eval, preds, exact_raw, f1_raw, na_probs, qid_to_has_ans)
    return out_eval, exact_thresh, f1_thresh


# --- and of the official SQuAD v1.1 script -----------------------------------------------------------


def v11_f1_score(prediction, ground_truth):
    prediction_tokens = normalize_answer(prediction).split()
    ground_truth_tokens = normalize_answer(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


def v11_exact_match_score(prediction, ground_truth):
    return normalize_answer(prediction) == normalize_answer(ground_truth)


def v11_metric_max_over_ground_truths(metric_fn, prediction, ground_truths):
    scores_for_ground_truths = []
    for ground_truth in ground_truths:
        score = metric_fn(prediction, ground_truth)
        scores_for_ground_truths.append(score)
    return max(scores_for_ground_truths)


def v11_evaluate(dataset, predictions):
    f1 = exact_match = total = 0
    for article in dataset:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                total += 1
                if qa["id"] not in predictions:
                    continue
                ground_truths = list(map(lambda x: x["text"], qa["answers"]))
                prediction = predictions[qa["id"]]
                exact_match += v11_metric_max_over_ground_truths(v11_exact_match_score, prediction, ground_truths)
                f1 += v11_metric_max_over_ground_truths(v11_f1_score, prediction, ground_truths)

    exact_match = 100.0 * exact_match / total
    f1 = 100.0 * f1 / total

    return {"exact_match": exact_match, "f1": f1}


# --- randomized comparison against the transcriptions ----------------------------------------------

WORDS = [
    "a", "an", "the", "The", "A", "AN", "tHe", "cat", "Cat", "sat", "mat", "café", "cafe", "Paris",
    "«Paris»", "Eiffel-Tower", "dog's", "naïve", "ÉCOLE", "école", "x", "1", "2.5", "thé", "an-", "a.",
    "“quoted”", "İstanbul", "Straße", "", "!", "...", "l'a", "theater", "-the-", "(an)", "ﬁne",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", "  ", "\t", "\u00a0", "-", ",", "", "\n", "\u3000"]
PROBABILITIES = [0.0, 0.1, 0.5, 0.5, 0.9, 1.0]


def _random_text(rng: random.Random) -> str:
    text = rng.choice(WORDS)
    for _ in range(rng.randrange(5)):
        text += rng.choice(SEPARATORS) + rng.choice(WORDS)
    return text


def _random_case(rng: random.Random):
    n = rng.randint(1, 8)
    references = {}
    predictions = {}
    for i in range(n):
        qid = f"q{i}"
        golds = [] if rng.random() < 0.3 else [_random_text(rng) for _ in range(rng.randint(1, 3))]
        references[qid] = golds
        roll = rng.random()
        if golds and roll < 0.3:
            predictions[qid] = rng.choice(golds).upper() if rng.random() < 0.3 else rng.choice(golds)
        elif roll < 0.45:
            predictions[qid] = ""
        elif roll < 0.5:
            predictions[qid] = rng.choice([" ", "the", "."])
        else:
            predictions[qid] = _random_text(rng)
    na_probs = None
    if rng.random() < 0.75:
        ids = list(references)
        rng.shuffle(ids)
        na_probs = {qid: rng.choice(PROBABILITIES) if rng.random() < 0.6 else rng.random() for qid in ids}
    na_prob_thresh = rng.choice([1.0, 1.0, 0.5, 0.0, -0.5, rng.random()])
    return references, predictions, na_probs, na_prob_thresh


def _as_dataset(references: dict[str, list[str]], rng: random.Random) -> list[dict]:
    """Spreads the questions, in order, over random articles and paragraphs of the official format."""
    dataset: list[dict] = [{"paragraphs": [{"qas": []}]}]
    for qid, golds in references.items():
        if rng.random() < 0.3:
            dataset.append({"paragraphs": [{"qas": []}]})
        elif rng.random() < 0.3:
            dataset[-1]["paragraphs"].append({"qas": []})
        dataset[-1]["paragraphs"][-1]["qas"].append({"id": qid, "answers": [{"text": t} for t in golds]})
    return dataset


def test_matches_official_scripts_on_random_cases() -> None:
    rng = random.Random(20240611)
    with_best = 0
    for case in range(300):
        references, predictions, na_probs, na_prob_thresh = _random_case(rng)
        dataset = _as_dataset(references, rng)
        where = f"case {case}: {references=} {predictions=} {na_probs=} {na_prob_thresh=}"

        for text in predictions.values():
            assert squad.normalize_answer(text) == normalize_answer(text), where
        expected_raw = get_raw_scores(dataset, predictions)
        actual_raw = squad.raw_scores_v2(predictions=predictions, references=references)
        for actual, expected in zip(actual_raw, expected_raw):
            assert list(actual) == list(expected), where
            assert list(actual.values()) == pytest.approx(list(expected.values()), abs=1e-9, rel=0), where

        expected, exact_thresh, f1_thresh = official_v2_eval(dataset, predictions, na_probs, na_prob_thresh)
        actual = squad.squad_v2(
            predictions=predictions, references=references, na_probs=na_probs, na_prob_thresh=na_prob_thresh
        )
        assert list(actual) == list(expected), where
        for key, value in expected.items():
            if key.endswith("total"):
                assert type(actual[key]) is int, where
            assert actual[key] == pytest.approx(value, abs=1e-9, rel=0), f"{key} in {where}"
        with_best += "best_f1" in expected

        per_example = squad.per_example_v2(
            predictions=predictions, references=references, na_probs=na_probs, na_prob_thresh=na_prob_thresh
        )
        np.testing.assert_allclose(per_example["exact"], list(exact_thresh.values()), rtol=0, atol=1e-9, err_msg=where)
        np.testing.assert_allclose(per_example["f1"], list(f1_thresh.values()), rtol=0, atol=1e-9, err_msg=where)

        v1_references = {qid: golds or [_random_text(rng)] for qid, golds in references.items()}
        expected_v1 = v11_evaluate(_as_dataset(v1_references, rng), predictions)
        actual_v1 = squad.squad_v1(predictions=predictions, references=v1_references)
        assert actual_v1 == pytest.approx(expected_v1, abs=1e-9, rel=0), where
    # The random cases must exercise both output shapes.
    assert 150 < with_best < 300
