"""Generative-answers scorers against their reference implementations, to 1e-9, on random and adversarial inputs:
the official SQuAD v2.0 script (normalisation, exact match, token F1, max over references), lm-evaluation-harness
0.4's exact_match (ignore_case, ignore_punctuation) and its RegexFilter (answer extraction)."""

from __future__ import annotations

import random
import re
import time

import numpy as np
import pytest
from lm_eval.api.metrics import exact_match_hf_evaluate
from lm_eval.filters.extraction import RegexFilter

from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.tasks.generative_answers import matching
from benchhub.tasks.generative_answers import metrics as answers
from benchhub.tasks.generative_answers.baselines import literal_prefix, spoken
from benchhub.tasks.generative_answers.settings import GSM8K_PATTERN, AnswerSettings
from tests.test_metrics_squad import get_raw_scores

# Words and pieces that the normalisations treat specially: articles, ASCII and non-ASCII punctuation, case,
# accents, digits with separators, whitespace of several kinds, an emoji, CJK.
PIECES = ["the", "The", "a", "An", "an", "cat", "Cat", "mat", "Paris", "paris", "1,000", "1000", "-3.5", "$72", "72",
          "#### 18", "####", "answer", "The answer is", "is", ":", "!", "?", ".", ",", "'", '"', "-", "(", ")", "«", "»",
          "“", "”", "café", "CAFÉ", "é", "straße", "İstanbul", "東京", "🙂", "\u00a0", "\t", "\n", "  ", ""]
FALLBACK = "\x00no match\x00"  # a RegexFilter fallback no text here contains


def random_text(rng: random.Random, words: int = 6) -> str:
    return "".join(rng.choice(PIECES) + rng.choice([" ", "", "  ", "\n"]) for _ in range(rng.randint(0, words)))


def official(predictions: list[str], references: list[list[str]]) -> tuple[list[float], list[float]]:
    """Each example's exact and F1 by the official SQuAD v2.0 script's get_raw_scores (0-1)."""
    dataset = [{"paragraphs": [{"qas": [{"id": str(i), "answers": [{"text": text} for text in golds]}
                                        for i, golds in enumerate(references)]}]}]
    exact, f1 = get_raw_scores(dataset, {str(i): text for i, text in enumerate(predictions)})
    return [float(exact[str(i)]) for i in range(len(predictions))], [float(f1[str(i)]) for i in range(len(predictions))]


def lm_eval_extract(texts: list[str], pattern: str, group_select: int) -> list[str | None]:
    [filtered] = RegexFilter(regex_pattern=pattern, group_select=group_select, fallback=FALLBACK).apply([texts], [{}])
    return [None if value == FALLBACK else value for value in filtered]


def lm_eval_exact(prediction: str, golds: list[str], **flags: bool) -> float:
    return max(float(exact_match_hf_evaluate([prediction], [gold], **flags)["exact_match"]) for gold in golds)


@pytest.mark.parametrize("seed", range(6))
def test_squad_normalisation_equals_the_official_script_on_random_and_adversarial_answers(seed):
    rng = random.Random(seed)
    predictions = [random_text(rng) for _ in range(300)]
    references = [[random_text(rng) or "x" for _ in range(rng.randint(1, 3))] for _ in range(300)]
    references[:4] = [["The"], ["a", "Paris"], ["!!!"], ["an the"]]  # references that normalise to nothing
    predictions[:4] = ["", "", "the", "Paris"]
    scored = answers.answer_metrics(predictions=predictions, references=references, n_resamples=200, seed=seed)
    exact, f1 = official(predictions, references)
    np.testing.assert_allclose(scored.per_example["exact_match"], exact, rtol=0, atol=1e-9)
    np.testing.assert_allclose(scored.per_example["f1"], f1, rtol=0, atol=1e-9)
    assert scored.metrics["exact_match"]["value"] == pytest.approx(np.mean(exact), abs=1e-9)
    assert scored.metrics["f1"]["value"] == pytest.approx(np.mean(f1), abs=1e-9)
    assert scored.per_example["exact_match"][:4].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert 0 < scored.metrics["f1"]["value"] < 1


def test_very_long_texts_and_unicode_score_as_the_official_script():
    rng = random.Random(7)
    words = [rng.choice(PIECES) for _ in range(60_000)]
    long_text = " ".join(words)
    predictions = [long_text, " ".join(words[:50_000]), "東京 🙂", "CAFÉ  crème", "İstanbul", "\n\t ", ""]
    references = [[long_text], [" ".join(words[5:]), "x"], ["東京"], ["café crème"], ["i̇stanbul"], ["the"], ["an"]]
    scored = answers.answer_metrics(predictions=predictions, references=references, n_resamples=50)
    exact, f1 = official(predictions, references)
    np.testing.assert_allclose(scored.per_example["exact_match"], exact, rtol=0, atol=1e-9)
    np.testing.assert_allclose(scored.per_example["f1"], f1, rtol=0, atol=1e-9)
    assert scored.per_example["exact_match"].tolist() == [1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]
    assert 0.9 < scored.per_example["f1"][1] < 1.0


@pytest.mark.parametrize(("pattern", "group_select", "occurrence"), [
    (GSM8K_PATTERN, 0, "first"),
    (r"(-?[$0-9.,]{2,})|(-?[0-9]+)", -1, "last"),  # lm_eval's GSM8K flexible-extract
    (r"The answer is (.*)", 0, "first"),
    (r"answer is:? ?(\w*)", 0, "first"),  # a single group that may be empty
    (r"(?:#### (\S+))|(?:answer is (\S+))|(x?)", 0, "first"),  # several groups, all empty in some matches
    (r"\((\w+)\)", -1, "last"),
], ids=["gsm8k-strict", "gsm8k-flexible", "answer-is", "empty-group", "alternatives", "last-parenthesis"])
def test_extraction_equals_lm_eval_s_regex_filter(pattern, group_select, occurrence):
    rng = random.Random(pattern)
    texts = [random_text(rng, words=12) for _ in range(400)] + [
        "", "#### ", "#### 1,000.5 and #### 7", "The answer is  Paris  \n", "answer is", "(a) (b) (c)", "x" * 100_000,
        "The answer is " + "7 " * 20_000, "東京 #### 42 🙂", "answer is: 🙂",
    ]
    compiled = re.compile(pattern)
    mine = [answers.extract(text, compiled, occurrence=occurrence) for text in texts]
    assert mine == lm_eval_extract(texts, pattern, group_select)
    assert any(value is None for value in mine) and any(value for value in mine)


@pytest.mark.parametrize("flags", [{}, {"ignore_case": True}, {"ignore_punctuation": True},
                                   {"ignore_case": True, "ignore_punctuation": True}],
                         ids=["as-written", "case", "punctuation", "both"])
def test_exact_match_without_squad_normalisation_equals_lm_eval_s_exact_match(flags):
    rng = random.Random(str(flags))
    predictions = [random_text(rng, words=3) for _ in range(500)] + ["", "!?", "Paris", "PARIS.", " Paris"]
    references = [[random_text(rng, words=3) or "y" for _ in range(rng.randint(1, 3))] for _ in range(500)] + [
        ["?!", "a"], ["!?"], ["paris"], ["Paris"], ["Paris"]]
    # numpy's fixed-width strings (which lm_eval compares) drop trailing NULs, so none are generated here.
    settings = AnswerSettings(normalization="none", **flags)
    scored = answers.answer_metrics(predictions=predictions, references=references, settings=settings, n_resamples=50)
    expected = [lm_eval_exact(p, golds, **flags) for p, golds in zip(predictions, references)]
    np.testing.assert_allclose(scored.per_example["exact_match"], expected, rtol=0, atol=1e-9)
    assert 0 < sum(expected) < len(expected)


def test_an_answer_regex_then_normalisation_scores_as_lm_eval_s_filter_and_squad_together():
    rng = random.Random(3)
    predictions = [f"{random_text(rng)} #### {rng.choice(['72', '1,000', '-3.5', 'x'])}{rng.choice(['', '.', ' words'])}"
                   if rng.random() < 0.7 else random_text(rng) for _ in range(300)]
    references = [[rng.choice(["72", "1000", "-3.5", "The"])] for _ in range(300)]
    settings = AnswerSettings(answer_regex=GSM8K_PATTERN)
    scored = answers.answer_metrics(predictions=predictions, references=references, settings=settings, n_resamples=50)
    extracted = lm_eval_extract(predictions, GSM8K_PATTERN, 0)
    assert scored.answers == extracted
    exact, f1 = official([text or "" for text in extracted], references)
    missed = np.array([text is None for text in extracted])
    np.testing.assert_allclose(scored.per_example["exact_match"], np.where(missed, 0.0, exact), rtol=0, atol=1e-9)
    np.testing.assert_allclose(scored.per_example["f1"], np.where(missed, 0.0, f1), rtol=0, atol=1e-9)
    assert missed.any() and scored.per_example["exact_match"][~missed].any()


@pytest.mark.parametrize("occurrence", ["first", "last"])
def test_a_pattern_that_backtracks_for_seconds_is_refused_in_one_line_and_the_timer_is_put_back(occurrence):
    import signal
    handler_before = signal.getsignal(signal.SIGALRM)
    settings = AnswerSettings(answer_regex=r"((a+)+)$", answer_occurrence=occurrence)
    started = time.monotonic()
    with pytest.raises(InvalidInputError) as refused:
        answers.answer_metrics(predictions=["fine aaa", "a" * 40 + "b"], references=[["aaa"], ["x"]], settings=settings,
                               n_resamples=10)
    assert time.monotonic() - started < matching.SECONDS + 3
    message = str(refused.value)
    assert "\n" not in message and "'((a+)+)$'" in message and "41 characters" in message
    assert "backtracks catastrophically" in message and message.startswith("--answer-regex ")
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is handler_before
    # The same pattern is harmless on texts it does not backtrack on, and scores as before.
    fine = answers.answer_metrics(predictions=["aaa"], references=[["aaa"]], settings=settings, n_resamples=10)
    assert fine.answers == ["aaa"] and fine.metrics["exact_match"]["value"] == 1.0


def test_no_match_is_wrong_even_against_a_reference_that_normalises_to_nothing():
    settings = AnswerSettings(answer_regex=r"The answer is (.*)")
    scored = answers.answer_metrics(predictions=["no answer here", "The answer is the", "The answer is "],
                                    references=[["The"], ["The"], ["The"]], settings=settings, n_resamples=20)
    assert scored.answers == [None, "the", ""]
    assert scored.per_example["exact_match"].tolist() == [0.0, 1.0, 1.0]
    assert scored.per_example["f1"].tolist() == [0.0, 1.0, 1.0]


def test_the_reference_regex_reads_references_written_with_their_workings():
    settings = AnswerSettings(answer_regex=GSM8K_PATTERN, reference_regex=r"#### (.*)")
    references = [["She has 3 + 4 = 7 apples.\n#### 7"], ["Half of 1,000 is 500.\n#### 500"]]
    scored = answers.answer_metrics(predictions=["3 + 4 = 7\n#### 7", "#### 1,000"], references=references,
                                    settings=settings, n_resamples=20)
    assert scored.per_example["exact_match"].tolist() == [1.0, 0.0]
    with pytest.raises(InvalidInputError, match=r"^references\[1\]: reference 1 does not match the reference regex"):
        answers.answer_metrics(predictions=["x", "y"], references=[["#### 1"], ["2"]], settings=settings)


def test_f1_without_normalisation_counts_tokens_split_at_whitespace():
    settings = AnswerSettings(normalization="none")
    scored = answers.answer_metrics(predictions=["Eiffel  Tower", "the cat sat", "", "Paris"],
                                    references=[["Eiffel Tower"], ["The cat sat on the mat", "cat"], [" "], ["paris"]],
                                    settings=settings, n_resamples=20)
    # "the cat sat" vs "The cat sat on the mat": tokens the, cat, sat shared with [The cat sat on the mat]: 3 of 3
    # predicted, 3 of 6 reference -> 2 * 1 * 0.5 / 1.5; vs "cat": 1 of 3 and 1 of 1 -> 0.5.
    assert scored.per_example["f1"].tolist() == pytest.approx([1.0, 2 / 3, 1.0, 0.0], abs=1e-12)
    assert scored.per_example["exact_match"].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_intervals_resample_examples_and_the_paired_test_is_the_paired_bootstrap():
    rng = random.Random(11)
    references = [[rng.choice(["Paris", "Rome", "72"])] for _ in range(120)]
    a_texts = [golds[0] if rng.random() < 0.7 else "Berlin" for golds in references]
    b_texts = [golds[0] if rng.random() < 0.4 else "the Berlin" for golds in references]
    a = answers.answer_metrics(predictions=a_texts, references=references, n_resamples=500, seed=3)
    b = answers.answer_metrics(predictions=b_texts, references=references, n_resamples=500, seed=3)
    intervals = bootstrap.mean_intervals(a.per_example, n_resamples=500, seed=3)
    assert (a.metrics["f1"]["ci_low"], a.metrics["f1"]["ci_high"]) == (intervals["f1"].low, intervals["f1"].high)
    assert a.metrics["exact_match"]["ci_low"] < a.metrics["exact_match"]["value"] < a.metrics["exact_match"]["ci_high"]
    test = answers.paired_test(a, b, "exact_match", n_resamples=500, seed=3)
    direct = bootstrap.paired_mean_difference(a.per_example["exact_match"], b.per_example["exact_match"], n_resamples=500, seed=3)
    assert test == direct and test.difference > 0 and test.p_value < 0.05
    other = answers.answer_metrics(predictions=b_texts, references=references, n_resamples=500,
                                   settings=AnswerSettings(normalization="none"))
    with pytest.raises(InvalidInputError, match=r"^a and b were scored with different normalization \('squad' and 'none'\)"):
        answers.paired_test(a, other, "exact_match")
    with pytest.raises(InvalidInputError, match=r"^metric must be one of exact_match, f1; got 'bleu'\.$"):
        answers.paired_test(a, b, "bleu")


@pytest.mark.parametrize(("settings", "message"), [
    ({"normalization": "lower"}, r"^--normalization must be one of squad, none\. Got 'lower' instead\.$"),
    ({"ignore_case": True}, r"^--ignore-case applies with --normalization none; the squad normalisation already"),
    ({"normalization": "none", "ignore_punctuation": "yes"}, r"^--ignore-punctuation must be true or false\. Got 'yes'"),
    ({"answer_regex": "#### ([0-9"}, r"^--answer-regex is not a Python regular expression \(unterminated character set"),
    ({"answer_regex": "#### [0-9]+"}, r"^--answer-regex '#### \[0-9\]\+' has no capture group; put the answer in parentheses"),
    ({"answer_regex": ""}, r"^--answer-regex must be a regular expression with a capture group"),
    ({"reference_regex": "x" * 1001}, r"^--reference-regex is 1001 characters long; give a pattern of at most 1000\.$"),
    ({"answer_occurrence": "last"}, r"^--answer-occurrence applies with --answer-regex; give the pattern too\.$"),
    ({"answer_regex": "(x)", "answer_occurrence": "second"}, r"^--answer-occurrence must be one of first, last\."),
    ({"use_stemmer": True}, r"^--use-stemmer does not apply to generative-answers datasets; they take --normalization"),
], ids=["normalization", "flag-with-squad", "flag-not-bool", "bad-regex", "no-group", "empty-regex", "too-long",
        "occurrence-without-regex", "bad-occurrence", "other-family"])
def test_bad_settings_are_refused_in_one_line_naming_the_option(settings, message):
    with pytest.raises(InvalidInputError, match=message) as raised:
        AnswerSettings.from_settings(settings)
    assert "\n" not in str(raised.value)


def test_baselines_write_answers_the_answer_regex_reads_back():
    assert literal_prefix(GSM8K_PATTERN) == "#### "
    assert literal_prefix(r"^The answer is (.*)") == "The answer is "
    assert literal_prefix(r"answer is \$?(\d+)") == "answer is "
    assert literal_prefix(r"(\d+)") == ""
    gsm8k = AnswerSettings(answer_regex=GSM8K_PATTERN, reference_regex=r"#### (.*)")
    assert spoken("3 + 4 = 7\n#### 7", "7", gsm8k) == "3 + 4 = 7\n#### 7"
    assert spoken("Paris", "Paris", AnswerSettings(answer_regex="The answer is (.*)")) == "The answer is Paris"
    assert spoken("Paris", "Paris", AnswerSettings(answer_regex=r"(\w+)")) == "Paris"
    assert spoken("Paris", "Paris", AnswerSettings()) == "Paris"
