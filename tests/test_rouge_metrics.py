"""ROUGE against Google's rouge_score as the oracle, the multi-reference rule, the sentence splitter,
the Unicode tokenizer, and the bootstrap over examples."""

from __future__ import annotations

import random
import unicodedata
from importlib.metadata import version

import numpy as np
import pytest
from rouge_score import rouge_scorer, tokenizers

from benchhub.errors import InvalidInputError
from benchhub.metrics.bootstrap import mean_intervals
from benchhub.tasks.summarization.metrics import (
    ROUGE_METRICS,
    SENTENCE_SPLITTER,
    UnicodeTokenizer,
    paired_test,
    per_example_rouge,
    rouge_metrics,
    split_sentences,
    summary_lines,
)

# Inflected forms so that the stemmer matters, stop words so that n-grams repeat, and punctuation.
WORDS = ("the cat cats sat sitting on a mat mats dog dogs running runs ran quickly quick house houses "
         "of and is was were be been being , . ; ! ? ' - 3 42 x").split()


def _text(rng: random.Random, low: int = 0, high: int = 30) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    for k in range(len(words)):
        if rng.random() < 0.1:
            words[k] = words[k].upper() if rng.random() < 0.5 else words[k] + "."
    return " ".join(words)


def _oracle(predictions, references, *, use_stemmer=True, tokenizer=None, newline_texts=False):
    """Each example's F-measures by rouge_score alone: one score() call per reference, the best F kept."""
    scorer = rouge_scorer.RougeScorer(list(ROUGE_METRICS), use_stemmer=use_stemmer, tokenizer=tokenizer)
    rows = {name: [] for name in ROUGE_METRICS}
    for prediction, golds in zip(predictions, references):
        golds = [golds] if isinstance(golds, str) else golds
        lsum = prediction if newline_texts else summary_lines(prediction)
        for name in ROUGE_METRICS:
            if name == "rougeLsum":
                scores = [scorer.score(gold if newline_texts else summary_lines(gold), lsum)[name].fmeasure for gold in golds]
            else:
                scores = [scorer.score(gold, prediction)[name].fmeasure for gold in golds]
            rows[name].append(max(scores))
    return rows


def _assert_equal_to_oracle(predictions, references, **settings):
    result = rouge_metrics(predictions=predictions, references=references, n_resamples=50, **settings)
    oracle = _oracle(predictions, references, use_stemmer=settings.get("use_stemmer", True))
    for name in ROUGE_METRICS:
        np.testing.assert_allclose(result.per_example[name], oracle[name], rtol=0, atol=1e-9)
        assert result.metrics[name]["value"] == pytest.approx(np.mean(oracle[name]), abs=1e-9)
    return result


@pytest.mark.parametrize("use_stemmer", [True, False], ids=["stemmer", "no-stemmer"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_summaries_with_several_references_equal_rouge_score(seed, use_stemmer):
    rng = random.Random(seed)
    predictions = [_text(rng) for _ in range(60)]
    references = [[_text(rng, 1) for _ in range(rng.randint(1, 4))] if rng.random() < 0.7 else _text(rng, 1)
                  for _ in range(60)]
    result = _assert_equal_to_oracle(predictions, references, use_stemmer=use_stemmer)
    assert result.settings["use_stemmer"] is use_stemmer
    assert 0 < result.metrics["rouge2"]["value"] < result.metrics["rouge1"]["value"] < 1


def test_several_references_take_the_best_f_per_metric_as_score_multi_does():
    prediction = "the cat sat on the mat"
    # rouge1 prefers the first reference (all words, shuffled); rouge2 and rougeL the second.
    references = ["mat the on sat cat the", "the cat sat"]
    per_example = per_example_rouge(predictions=[prediction], references=[references])
    package = rouge_scorer.RougeScorer(list(ROUGE_METRICS), use_stemmer=True).score_multi(references, prediction)
    assert per_example["rouge1"][0] == pytest.approx(1.0)
    assert per_example["rouge2"][0] == pytest.approx(package["rouge2"].fmeasure) == pytest.approx(2 * 1 * 0.4 / 1.4)
    assert per_example["rougeL"][0] == pytest.approx(package["rougeL"].fmeasure) == pytest.approx(2 * 1 * 0.5 / 1.5)


def test_the_stemmer_is_on_by_default_and_recorded():
    stemmed = rouge_metrics(predictions=["cats running"], references=["cat runs"], n_resamples=10)
    plain = rouge_metrics(predictions=["cats running"], references=["cat runs"], use_stemmer=False, n_resamples=10)
    assert stemmed.settings["use_stemmer"] is True and plain.settings["use_stemmer"] is False
    assert stemmed.metrics["rouge1"]["value"] == 1.0
    assert plain.metrics["rouge1"]["value"] == 0.0
    assert stemmed.settings["sentence_splitter"] == SENTENCE_SPLITTER
    assert stemmed.settings["tokenizer"] == "rouge_score" and stemmed.settings["rouge_score"] == version("rouge-score")


ADVERSARIAL = {
    "empty prediction": ("", "the cat sat"),
    "empty reference": ("the cat sat", ""),
    "both empty": ("", ""),
    "punctuation only": ("... !!! ,,,", "?!"),
    "identical": ("The cat sat on the mat.", "The cat sat on the mat."),
    "whitespace only": (" \n\t ", "\n\n"),
    "combining marks": ("cafe\u0301 re\u0301sume\u0301 naïve", "café résumé naive"),
    "chinese": ("我爱北京天安门。", "我爱北京。"),
    "arabic": ("مرحبا بالعالم", "مرحبا"),
    "mixed scripts": ("the 猫 sat on 2 mats", "a cat sat on the mat 2"),
    "newlines inside": ("First line.\nSecond line here.", "Second line here.\nFirst line."),
    "very long": (" ".join(["the cat sat on the mat"] * 120), " ".join(["a dog ran on the mat"] * 100)),
}


@pytest.mark.parametrize("pair", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_adversarial_pairs_equal_rouge_score(pair):
    prediction, reference = pair
    _assert_equal_to_oracle([prediction], [reference])


def test_empty_sides_score_zero_and_identical_texts_score_one():
    predictions = ["", "the cat", "", "The cat sat. The dog ran.", "我爱北京"]
    references = ["the cat", "", "", "The cat sat. The dog ran.", "我爱北京"]
    rows = per_example_rouge(predictions=predictions, references=references)
    for name in ROUGE_METRICS:
        assert rows[name].tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]  # rouge_score's tokenizer deletes Chinese


def test_non_latin_text_scores_zero_by_default_and_by_its_words_with_the_unicode_tokenizer():
    predictions = ["我爱北京天安门", "мама мыла раму", "مرحبا بالعالم"]
    references = ["我爱北京", "мама мыла окно", "مرحبا"]
    default = rouge_metrics(predictions=predictions, references=references, n_resamples=10)
    unicode = rouge_metrics(predictions=predictions, references=references, tokenizer="unicode", n_resamples=10)
    assert all(default.metrics[name]["value"] == 0.0 for name in ROUGE_METRICS)
    # 4 of 7 characters, 2 of 3 words, 1 of 2 words.
    expected = [2 * (4 / 7) * 1 / (4 / 7 + 1), 2 / 3, 2 * 0.5 * 1 / 1.5]
    np.testing.assert_allclose(unicode.per_example["rouge1"], expected, rtol=0, atol=1e-12)
    assert unicode.settings["tokenizer"] == "unicode"
    oracle = _oracle(predictions, references, tokenizer=UnicodeTokenizer(True))
    for name in ROUGE_METRICS:
        np.testing.assert_allclose(unicode.per_example[name], oracle[name], rtol=0, atol=1e-9)


@pytest.mark.parametrize("use_stemmer", [True, False], ids=["stemmer", "no-stemmer"])
def test_the_unicode_tokenizer_gives_rouge_scores_tokens_on_ascii_text(use_stemmer):
    rng = random.Random(5)
    default = tokenizers.DefaultTokenizer(use_stemmer)
    ours = UnicodeTokenizer(use_stemmer)
    alphabet = "abcXYZ019 _-'.,;:!?()\t\n\"/"
    texts = [_text(rng) for _ in range(200)] + ["".join(rng.choices(alphabet, k=40)) for _ in range(200)]
    for text in texts:
        assert ours.tokenize(text) == default.tokenize(text), text


def test_the_unicode_tokenizer_keeps_every_script():
    tokenize = UnicodeTokenizer(use_stemmer=True).tokenize
    assert tokenize("我爱北京。「一二三」") == ["我", "爱", "北", "京", "一", "二", "三"]
    assert tokenize("スーパーで買い物") == ["ス", "ー", "パ", "ー", "で", "買", "い", "物"]
    assert tokenize("مَرْحَبًا بالعالم") == ["مَرْحَبًا", "بالعالم"]
    assert tokenize("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]
    assert tokenize("한국어 문장입니다") == ["한국어", "문장입니다"]
    assert tokenize("Ｆｕｌｌ-width ＡＢＣ") == ["full", "width", "abc"]
    assert tokenize("The Cats were running") == ["the", "cat", "were", "run"]
    decomposed = unicodedata.normalize("NFD", "Café Ελληνικά")
    assert tokenize(decomposed) == tokenize("Café Ελληνικά") == ["café", "ελληνικά"]


def test_sentences_are_split_only_where_a_text_has_no_newline():
    assert split_sentences('Hello there. How are you? "Fine!" he said.  Ok… 你好。我很好！谢谢') == [
        "Hello there.", "How are you?", '"Fine!"', "he said.", "Ok…", "你好。", "我很好！", "谢谢",
    ]
    assert split_sentences("3.14 is pi. e.g. this") == ["3.14 is pi.", "e.g.", "this"]  # abbreviations split
    assert split_sentences("") == [] and split_sentences("   ") == []
    assert summary_lines("One. Two.") == "One.\nTwo."
    assert summary_lines("One. Two.\nThree. Four.") == "One. Two.\nThree. Four."


def test_rouge_lsum_reads_the_split_sentences():
    # Sentence order differs: rougeL sees one sequence, rougeLsum the union of LCS per sentence.
    prediction, reference = "the dog ran home. the cat sat down.", "the cat sat down. the dog ran home."
    rows = per_example_rouge(predictions=[prediction], references=[reference])
    assert rows["rougeLsum"][0] == 1.0 and rows["rougeL"][0] == 0.5
    split = rouge_scorer.RougeScorer(["rougeLsum"], use_stemmer=True).score(
        "the cat sat down.\nthe dog ran home.", "the dog ran home.\nthe cat sat down.")
    assert rows["rougeLsum"][0] == split["rougeLsum"].fmeasure


def test_intervals_resample_examples_on_shared_resamples_and_bracket_the_mean():
    rng = random.Random(3)
    predictions = [_text(rng) for _ in range(80)]
    references = [_text(rng, 1) for _ in range(80)]
    result = rouge_metrics(predictions=predictions, references=references, n_resamples=300, seed=7)
    expected = mean_intervals(result.per_example, n_resamples=300, seed=7)
    for name in ROUGE_METRICS:
        entry = result.metrics[name]
        assert (entry["ci_low"], entry["ci_high"]) == (expected[name].low, expected[name].high)
        assert entry["ci_low"] < entry["value"] < entry["ci_high"]
    assert result.settings["bootstrap"] == {"n_resamples": 300, "confidence": 0.95, "seed": 7, "resampled": "examples"}


def test_paired_test_of_two_systems_on_the_same_examples():
    rng = random.Random(4)
    references = [_text(rng, 5) for _ in range(60)]
    good = rouge_metrics(predictions=references[:50] + [_text(rng) for _ in range(10)], references=references,
                         n_resamples=200)
    poor = rouge_metrics(predictions=[_text(rng) for _ in range(60)], references=references, n_resamples=200)
    test = paired_test(good, poor, "rouge1", n_resamples=200)
    assert test.difference == pytest.approx(good.metrics["rouge1"]["value"] - poor.metrics["rouge1"]["value"])
    assert test.difference > 0.5 and test.ci_low > 0 and test.p_value < 0.01
    same = paired_test(good, good, "rougeLsum", n_resamples=200)
    assert (same.difference, same.p_value) == (0.0, 1.0)
    other = rouge_metrics(predictions=references, references=references, use_stemmer=False, n_resamples=10)
    with pytest.raises(InvalidInputError, match="different use_stemmer"):
        paired_test(good, other, "rouge1")
    with pytest.raises(InvalidInputError, match="metric must be one of rouge1, rouge2, rougeL, rougeLsum"):
        paired_test(good, poor, "rouge3")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"predictions": "a b", "references": ["a"]}, "predictions must be a list"),
        ({"predictions": ["a"], "references": ["a", "b"]}, "one entry per example; got 1 and 2"),
        ({"predictions": [], "references": []}, "at least one example"),
        ({"predictions": [None], "references": ["a"]}, r"predictions\[0\] must be a string"),
        ({"predictions": ["a"], "references": [[]]}, r"references\[0\] must be a string or a non-empty list"),
        ({"predictions": ["a"], "references": [["a", 3]]}, r"references\[0\] must be a string or a non-empty list"),
        ({"predictions": ["a"], "references": ["a"], "tokenizer": "nltk"}, "tokenizer must be one of rouge_score, unicode"),
        ({"predictions": ["a"], "references": ["a"], "use_stemmer": "yes"}, "use_stemmer must be True or False"),
    ],
    ids=["string", "lengths", "empty", "none", "no-reference", "non-string-reference", "tokenizer", "stemmer"],
)
def test_bad_input_is_refused_with_one_line(kwargs, message):
    with pytest.raises(InvalidInputError, match=message) as error:
        per_example_rouge(**kwargs)
    assert "\n" not in str(error.value)
