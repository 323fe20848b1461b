"""Word and byte perplexity and bits per byte against lm-evaluation-harness itself as the oracle: its
loglikelihood_rolling `process_results` (ConfigurableTask's and PerplexityTask's, with Task.count_words
and Task.count_bytes) and its aggregations, on the full data and on resamples of documents."""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pytest
from lm_eval.api.metrics import bits_per_byte as lm_eval_bits_per_byte
from lm_eval.api.task import ConfigurableTask, PerplexityTask, Task

from benchhub.errors import InvalidInputError
from benchhub.metrics.bootstrap import resample_indices
from benchhub.tasks.language_modeling.metrics import (
    PERPLEXITY_METRICS,
    count_bytes,
    count_words,
    paired_test,
    perplexity_metrics,
    resampled_scores,
)

PIECES = ["the", "cat", "sat", "猫が座った", "café", "cafe\u0301", "مرحبا", "naïve", "😀", "-", "...", "42"]
GAPS = [" ", "  ", "\n", "\t", " \n ", "\u00a0", "\u3000"]


def _document(rng: random.Random) -> str:
    text = "".join(rng.choice(PIECES) + rng.choice(GAPS) for _ in range(rng.randint(1, 40)))
    return rng.choice(["", " ", "\n"]) + (text if rng.random() < 0.5 else text.rstrip())


def _documents(seed: int, n: int) -> tuple[list[float], list[str]]:
    rng = random.Random(seed)
    documents = [_document(rng) for _ in range(n)]
    return [-rng.uniform(0.5, 4.0) * count_bytes(doc) for doc in documents], documents


def _lm_eval(loglikelihoods, documents):
    """The three metrics by lm_eval: ConfigurableTask.process_results per document, PerplexityTask's aggregations."""
    task = SimpleNamespace(
        config=SimpleNamespace(process_results=None), OUTPUT_TYPE="loglikelihood_rolling",
        _metric_fn_list={name: None for name in PERPLEXITY_METRICS},
        count_words=Task.count_words, count_bytes=Task.count_bytes, doc_to_target=lambda doc: doc,
    )
    items = {name: [] for name in PERPLEXITY_METRICS}
    for ll, document in zip(loglikelihoods, documents):
        for name, item in ConfigurableTask.process_results(task, document, (ll,)).items():
            items[name].append(item)
    aggregation = PerplexityTask.aggregation(None)
    return {name: aggregation[name](values) for name, values in items.items()}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_documents_equal_lm_eval(seed):
    loglikelihoods, documents = _documents(seed, 200)
    result = perplexity_metrics(loglikelihoods=loglikelihoods, documents=documents, n_resamples=50)
    expected = _lm_eval(loglikelihoods, documents)
    for name in PERPLEXITY_METRICS:
        assert result.metrics[name]["value"] == pytest.approx(expected[name], rel=1e-12, abs=1e-9)


def test_word_and_byte_counts_are_lm_evals_quirks_included():
    for document in ["a b", " a b ", "\n\nx", "猫が座った", "cafe\u0301 ok", "a\u00a0b\u3000c", "x\t\ty", " "]:
        assert count_words(document) == Task.count_words(document)
        assert count_bytes(document) == Task.count_bytes(document)
    assert count_words(" a b ") == 4  # the empty pieces before and after count
    assert count_bytes("cafe\u0301") == 6 and count_bytes("😀") == 4


def test_per_document_items_equal_perplexity_tasks_process_results():
    loglikelihoods, documents = _documents(3, 50)
    result = perplexity_metrics(loglikelihoods=loglikelihoods, documents=documents, n_resamples=10)
    task = SimpleNamespace(count_words=Task.count_words, count_bytes=Task.count_bytes, doc_to_target=lambda doc: doc)
    for k, (ll, document) in enumerate(zip(loglikelihoods, documents)):
        items = PerplexityTask.process_results(task, document, (ll,))
        assert items["word_perplexity"] == (result.per_document["loglikelihood"][k], result.per_document["words"][k])
        assert items["bits_per_byte"] == (result.per_document["loglikelihood"][k], result.per_document["bytes"][k])


def test_adversarial_documents_equal_lm_eval():
    documents = ["x", " ", "\n" * 50, "e\u0301" * 1000, "猫" * 5000, " ".join(["word"] * 20000), "..."]
    loglikelihoods = [-0.1, -3.0, -20.0, -1500.5, -8000.25, -30000.0, -1e-9]
    result = perplexity_metrics(loglikelihoods=loglikelihoods, documents=documents, n_resamples=20)
    expected = _lm_eval(loglikelihoods, documents)
    for name in PERPLEXITY_METRICS:
        assert result.metrics[name]["value"] == pytest.approx(expected[name], rel=1e-12, abs=1e-9)


def test_a_word_perplexity_past_the_float_range_is_infinite_where_lm_evals_math_exp_raises():
    documents, loglikelihoods = ["猫が座った" * 400, "the cat sat"], [-30000.0, -12.0]
    with pytest.raises(OverflowError):
        _lm_eval(loglikelihoods[:1], documents[:1])
    result = perplexity_metrics(loglikelihoods=loglikelihoods, documents=documents, n_resamples=100)
    assert result.metrics["word_perplexity"]["value"] == np.inf
    assert result.metrics["word_perplexity"]["ci_high"] == np.inf
    assert np.isfinite(result.metrics["bits_per_byte"]["value"])
    items = [(ll, Task.count_bytes(document)) for ll, document in zip(loglikelihoods, documents)]
    assert result.metrics["bits_per_byte"]["value"] == pytest.approx(lm_eval_bits_per_byte(items), rel=1e-12)


def test_each_resample_equals_lm_eval_on_the_resampled_documents():
    loglikelihoods, documents = _documents(4, 150)
    result = perplexity_metrics(loglikelihoods=loglikelihoods, documents=documents, n_resamples=30, seed=9)
    resampled = resampled_scores(result.per_document, n_resamples=30, seed=9)
    indices = resample_indices(150, n_resamples=30, seed=9)
    for row in (0, 13, 29):
        drawn = indices[row]
        expected = _lm_eval([loglikelihoods[i] for i in drawn], [documents[i] for i in drawn])
        for name in PERPLEXITY_METRICS:
            assert resampled[name][row] == pytest.approx(expected[name], rel=1e-9)


def test_intervals_bracket_the_value_and_are_seeded():
    loglikelihoods, documents = _documents(5, 300)
    first = perplexity_metrics(loglikelihoods=loglikelihoods, documents=documents, n_resamples=200, seed=2)
    again = perplexity_metrics(loglikelihoods=loglikelihoods, documents=documents, n_resamples=200, seed=2)
    assert first.metrics == again.metrics
    for name in PERPLEXITY_METRICS:
        entry = first.metrics[name]
        assert entry["ci_low"] < entry["value"] < entry["ci_high"]
    assert first.metrics["bits_per_byte"]["value"] == pytest.approx(np.log2(first.metrics["byte_perplexity"]["value"]))
    assert first.settings["bootstrap"]["resampled"] == "documents"


def test_paired_test_of_two_models_on_the_same_documents():
    loglikelihoods, documents = _documents(6, 200)
    better = perplexity_metrics(loglikelihoods=[0.8 * ll for ll in loglikelihoods], documents=documents, n_resamples=200)
    worse = perplexity_metrics(loglikelihoods=loglikelihoods, documents=documents, n_resamples=200)
    test = paired_test(better, worse, "bits_per_byte", n_resamples=200)
    assert test.difference == pytest.approx(better.metrics["bits_per_byte"]["value"] - worse.metrics["bits_per_byte"]["value"])
    assert test.difference < 0 and test.ci_high < 0 and test.p_value < 0.01
    assert paired_test(worse, worse, "word_perplexity").p_value == 1.0
    other = perplexity_metrics(loglikelihoods=loglikelihoods[:199] + [-1.0], documents=documents[:199] + ["z"], n_resamples=10)
    with pytest.raises(InvalidInputError, match="same documents"):
        paired_test(worse, other, "bits_per_byte")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loglikelihoods": [-1.0], "documents": ["a", "b"]}, "one entry per document; got 1 and 2"),
        ({"loglikelihoods": [], "documents": []}, "at least one document"),
        ({"loglikelihoods": [-1.0], "documents": [""]}, r"documents\[0\] must be a non-empty string"),
        ({"loglikelihoods": [float("nan")], "documents": ["a"]}, r"loglikelihoods\[0\] must be a finite number"),
        ({"loglikelihoods": [float("-inf")], "documents": ["a"]}, r"loglikelihoods\[0\] must be a finite number"),
        ({"loglikelihoods": ["-1"], "documents": ["a"]}, r"loglikelihoods\[0\] must be a finite number"),
        ({"loglikelihoods": [-1.0], "documents": "a"}, "documents must be a list"),
    ],
    ids=["lengths", "empty", "empty-document", "nan", "inf", "string-ll", "string-documents"],
)
def test_bad_input_is_refused_with_one_line(kwargs, message):
    with pytest.raises(InvalidInputError, match=message) as error:
        perplexity_metrics(**kwargs)
    assert "\n" not in str(error.value)
