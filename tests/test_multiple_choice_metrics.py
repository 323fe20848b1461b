"""acc and acc_norm against lm-evaluation-harness itself as the oracle: its multiple-choice
`process_results` (ConfigurableTask's and MultipleChoiceTask's) and its `mean` aggregation."""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pytest
from lm_eval.api.metrics import mean as lm_eval_mean
from lm_eval.api.task import ConfigurableTask, MultipleChoiceTask

from benchhub.errors import InvalidInputError
from benchhub.metrics.bootstrap import mean_intervals
from benchhub.tasks.multiple_choice.metrics import (
    CHOICE_METRICS,
    gold_indices,
    multiple_choice_metrics,
    paired_test,
    per_question,
)

CHOICE_WORDS = ["Paris", "a", "the red fox", "42", "café", "cafe\u0301", "猫", "日本語です", "no", "yes, always",
                "مرحبا", "x" * 40, "e\u0301\u0301\u0301"]


def _lm_eval(loglikelihoods, choices, gold):
    """Each question's acc and acc_norm by lm_eval's ConfigurableTask.process_results for multiple_choice."""
    rows = []
    for lls, texts, answer in zip(loglikelihoods, choices, gold):
        task = SimpleNamespace(
            config=SimpleNamespace(process_results=None), OUTPUT_TYPE="multiple_choice",
            _metric_fn_list={"acc": None, "acc_norm": None}, multiple_input=0,
            multiple_target=len(answer) if isinstance(answer, list) else 0,
            doc_to_choice=lambda doc, texts=texts: list(texts), doc_to_target=lambda doc, answer=answer: answer,
        )
        rows.append(ConfigurableTask.process_results(task, {}, [(ll, False) for ll in lls]))
    return rows


def _questions(seed: int, n: int):
    rng = random.Random(seed)
    loglikelihoods, choices, gold = [], [], []
    for _ in range(n):
        texts = rng.sample(CHOICE_WORDS, rng.randint(2, 6))
        lls = [rng.choice([-rng.uniform(0, 60), -float(rng.randint(1, 10))]) for _ in texts]
        if rng.random() < 0.2:  # ties, which np.argmax breaks by the first index
            lls[-1] = lls[0]
        if rng.random() < 0.05:
            lls[rng.randrange(len(lls))] = float("-inf")
        kind = rng.random()
        answer = (rng.randrange(len(texts)) if kind < 0.6 else rng.choice(texts) if kind < 0.8
                  else rng.sample(range(len(texts)), rng.randint(1, len(texts))))
        loglikelihoods.append(lls)
        choices.append(texts)
        gold.append(answer)
    return loglikelihoods, choices, gold


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_questions_equal_lm_eval(seed):
    loglikelihoods, choices, gold = _questions(seed, 300)
    result = multiple_choice_metrics(loglikelihoods=loglikelihoods, choices=choices, gold=gold, n_resamples=50)
    oracle = _lm_eval(loglikelihoods, choices, gold)
    for name in CHOICE_METRICS:
        expected = [row[name] for row in oracle]
        assert result.per_question[name].tolist() == expected
        assert result.metrics[name]["value"] == pytest.approx(lm_eval_mean(expected), abs=1e-12)
    # Length normalisation picks another choice on many questions here.
    assert (result.per_question["predicted"] != result.per_question["predicted_norm"]).mean() > 0.1


def test_integer_gold_equals_lm_evals_multiple_choice_task_class():
    loglikelihoods, choices, _ = _questions(3, 200)
    gold = [k % len(texts) for k, texts in enumerate(choices)]
    rows = per_question(loglikelihoods=loglikelihoods, choices=choices, gold=gold)
    for k, (lls, texts, answer) in enumerate(zip(loglikelihoods, choices, gold)):
        expected = MultipleChoiceTask.process_results(None, {"choices": texts, "gold": answer}, [(ll, False) for ll in lls])
        assert (rows["acc"][k], rows["acc_norm"][k]) == (expected["acc"], expected["acc_norm"])


def test_acc_norm_divides_by_the_choice_text_in_code_points_without_the_delimiter():
    # Per character: -6/3 = -2 for "abc", -9/5 = -1.8 for "abcde" (with the " " delimiter it would be -1.5 vs -1.5).
    rows = per_question(loglikelihoods=[[-6.0, -9.0]], choices=[["abc", "abcde"]], gold=[1])
    assert (rows["predicted"][0], rows["predicted_norm"][0]) == (0, 1)
    # "e" with three combining acutes is four characters (one grapheme): -5/4 = -1.25 beats -3/2 = -1.5.
    rows = per_question(loglikelihoods=[[-3.0, -5.0]], choices=[["ab", "e\u0301\u0301\u0301"]], gold=[0])
    assert (rows["predicted"][0], rows["predicted_norm"][0]) == (0, 1)


def test_ties_go_to_the_first_choice_and_minus_infinity_never_wins():
    rows = per_question(loglikelihoods=[[-2.0, -2.0, -5.0], [float("-inf"), -50.0]], choices=[["a", "b", "c"], ["x", "y"]],
                        gold=[1, 1])
    assert rows["predicted"].tolist() == [0, 1] and rows["acc"].tolist() == [0.0, 1.0]


def test_gold_is_an_index_a_choice_text_or_several_indices():
    assert gold_indices(2, ["a", "b", "c"]) == (2,)
    assert gold_indices(np.int64(1), ["a", "b"]) == (1,)
    assert gold_indices("b", ["a", "b", "b"]) == (1,)  # the first equal choice, as choices.index finds it
    assert gold_indices([0, 2], ["a", "b", "c"]) == (0, 2)
    rows = per_question(loglikelihoods=[[-1.0, -2.0, -3.0]] * 2, choices=[["a", "b", "c"]] * 2, gold=[[1, 0], [1, 2]])
    assert rows["acc"].tolist() == [1.0, 0.0]


def test_intervals_resample_questions_and_bracket_the_mean():
    loglikelihoods, choices, gold = _questions(4, 400)
    result = multiple_choice_metrics(loglikelihoods=loglikelihoods, choices=choices, gold=gold, n_resamples=300, seed=5)
    expected = mean_intervals({name: result.per_question[name] for name in CHOICE_METRICS}, n_resamples=300, seed=5)
    for name in CHOICE_METRICS:
        entry = result.metrics[name]
        assert (entry["ci_low"], entry["ci_high"]) == (expected[name].low, expected[name].high)
        assert entry["ci_low"] < entry["value"] < entry["ci_high"]
    assert result.settings["bootstrap"]["resampled"] == "questions"


def test_paired_test_of_two_models_on_the_same_questions():
    loglikelihoods, choices, _ = _questions(5, 300)
    gold = [0] * 300
    perfect = [[0.0] + [-100.0] * (len(texts) - 1) for texts in choices]
    good = multiple_choice_metrics(loglikelihoods=perfect, choices=choices, gold=gold, n_resamples=200)
    other = multiple_choice_metrics(loglikelihoods=loglikelihoods, choices=choices, gold=gold, n_resamples=200)
    test = paired_test(good, other, "acc", n_resamples=200)
    assert test.difference == pytest.approx(1.0 - other.metrics["acc"]["value"])
    assert test.ci_low > 0 and test.p_value < 0.01
    assert paired_test(other, other, "acc_norm").p_value == 1.0
    with pytest.raises(InvalidInputError, match="metric must be one of acc, acc_norm"):
        paired_test(good, other, "acc_mutual_info")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loglikelihoods": [[-1.0]], "choices": [["a"]], "gold": [0, 1]}, "one entry per question"),
        ({"loglikelihoods": [], "choices": [], "gold": []}, "at least one question"),
        ({"loglikelihoods": [[-1.0, -2.0]], "choices": [["a"]], "gold": [0]}, r"loglikelihoods\[0\] must hold one number per choice \(1\)"),
        ({"loglikelihoods": [[-1.0, -2.0]], "choices": [["a", ""]], "gold": [0]}, "every choice must be a non-empty string"),
        ({"loglikelihoods": [[-1.0]], "choices": [[]], "gold": [0]}, r"choices\[0\] must be a non-empty list"),
        ({"loglikelihoods": [[float("nan"), -1.0]], "choices": [["a", "b"]], "gold": [0]}, "not NaN or \\+inf"),
        ({"loglikelihoods": [[float("inf"), -1.0]], "choices": [["a", "b"]], "gold": [0]}, "not NaN or \\+inf"),
        ({"loglikelihoods": [[-1.0, -2.0]], "choices": [["a", "b"]], "gold": [2]}, r"gold\[0\]: gold 2 must be a choice's index in \[0, 2\)"),
        ({"loglikelihoods": [[-1.0, -2.0]], "choices": [["a", "b"]], "gold": [-1]}, r"gold\[0\]: gold -1 must be"),
        ({"loglikelihoods": [[-1.0, -2.0]], "choices": [["a", "b"]], "gold": ["c"]}, r"gold\[0\]: gold 'c' is none of the choices"),
        ({"loglikelihoods": [[-1.0, -2.0]], "choices": [["a", "b"]], "gold": [[]]}, r"gold\[0\]: gold is an empty list"),
        ({"loglikelihoods": [[-1.0, -2.0]], "choices": [["a", "b"]], "gold": [True]}, r"gold\[0\]: gold True must be"),
    ],
    ids=["lengths", "empty", "ll-count", "empty-choice", "no-choices", "nan", "inf", "gold-range", "gold-negative",
         "gold-text", "gold-empty", "gold-bool"],
)
def test_bad_input_is_refused_with_one_line(kwargs, message):
    with pytest.raises(InvalidInputError, match=message) as error:
        per_question(**kwargs)
    assert "\n" not in str(error.value)
