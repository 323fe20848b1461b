"""SQuAD question-answering metrics, equal to the official v1.1 and v2.0 scorers.

Every function follows the published evaluation script it is named after, quirks
included, and sums run in the script's order with the script's operations (``sum``
in v2.0, ``+=`` in v1.1), so scores match the official ones on any input:

- Normalisation lowercases, deletes ASCII punctuation (``string.punctuation``),
  replaces the words a, an and the by a space, and collapses whitespace, in that
  order. Non-ASCII punctuation (« », “ ”) and accents (café) are kept.
- v2.0 ``compute_f1`` scores an empty token list 1 against another empty list and 0
  against anything else. v1.1 ``f1_score_v11`` scores 0 whenever no token is shared,
  so there an empty prediction against an empty gold has F1 0 but exact match 1.
- v2.0 marks a question answerable (HasAns) when its gold list is non-empty before
  normalisation: a gold list ``["The"]`` counts as HasAns, yet scores as if the only
  gold were "" because golds that normalise to "" are dropped.
- ``best_*`` keys come only with ``na_probs``, as the script adds them only when
  given an na-prob file; without one every no-answer probability is 0.0, which
  ``na_prob_thresh`` still compares against.
- The best threshold walks questions by no-answer probability, ties in the
  insertion order of ``na_probs``, and moves only on a strictly greater running
  score. It uses the raw exact and F1 scores, and a NoAns question counts as
  answered when its raw prediction is non-empty, so " " counts as an answer.

Unlike the scripts, which skip (v2.0) or score 0 (v1.1) a question without a
prediction, every function here requires predictions for exactly the questions in
``references`` and raises ``InvalidInputError`` naming the first id that breaks it.
Per-example arrays and dicts follow the order of ``references``.
"""

from __future__ import annotations

import math
import numbers
import re
import string
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from benchhub.errors import InvalidInputError

VERSION = "1"

_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(s: str) -> str:
    """Lowercases, drops ASCII punctuation and articles, and collapses whitespace."""
    return " ".join(_ARTICLES.sub(" ", s.lower().translate(_PUNCTUATION)).split())


def get_tokens(s: str) -> list[str]:
    """Returns the tokens of the normalised answer (v2.0)."""
    if not s:
        return []
    return normalize_answer(s).split()


def compute_exact(a_gold: str, a_pred: str) -> int:
    """Returns 1 if the normalised answers are equal, else 0 (v2.0)."""
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def compute_f1(a_gold: str, a_pred: str) -> float:
    """Returns the token F1 of two answers; an empty side scores 1 only against another empty side (v2.0)."""
    gold_toks = get_tokens(a_gold)
    pred_toks = get_tokens(a_pred)
    common = Counter(gold_toks) & Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    return (2 * precision * recall) / (precision + recall)


def f1_score_v11(prediction: str, ground_truth: str) -> float:
    """Returns the token F1 of two answers, 0 when they share no token (v1.1)."""
    prediction_tokens = normalize_answer(prediction).split()
    ground_truth_tokens = normalize_answer(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def exact_match_v11(prediction: str, ground_truth: str) -> bool:
    """Returns whether the normalised answers are equal (v1.1)."""
    return normalize_answer(prediction) == normalize_answer(ground_truth)


def raw_scores_v2(
    *, predictions: Mapping[str, str], references: Mapping[str, list[str]]
) -> tuple[dict[str, int], dict[str, float]]:
    """Returns per-question exact and F1, each the best over the gold answers, before any threshold."""
    _check_answers(predictions=predictions, references=references, v11=False)
    return _raw_scores(predictions, references)


def squad_v2(
    *,
    predictions: Mapping[str, str],
    references: Mapping[str, list[str]],
    na_probs: Mapping[str, float] | None = None,
    na_prob_thresh: float = 1.0,
) -> dict[str, float | int]:
    """Returns the official v2.0 result: exact, f1, total, HasAns_*, NoAns_* and, with ``na_probs``, best_*.

    Scores are percentages and totals ints. A question whose no-answer probability
    exceeds ``na_prob_thresh`` counts as an abstention: 1 if it has no answer, else 0.
    HasAns_* and NoAns_* appear only when that subset is non-empty.
    """
    exact_raw, f1_raw, exact_thresh, f1_thresh, has_ans = _scores_v2(
        predictions=predictions, references=references, na_probs=na_probs, na_prob_thresh=na_prob_thresh
    )
    out_eval = _make_eval_dict(exact_thresh, f1_thresh, list(exact_thresh))
    for prefix, wanted in (("HasAns", True), ("NoAns", False)):
        qid_list = [qid for qid, value in has_ans.items() if value is wanted]
        if qid_list:
            for key, value in _make_eval_dict(exact_thresh, f1_thresh, qid_list).items():
                out_eval[f"{prefix}_{key}"] = value
    if na_probs is not None:
        for name, scores in (("exact", exact_raw), ("f1", f1_raw)):
            best, thresh = _find_best_thresh(predictions, scores, na_probs, has_ans)
            out_eval[f"best_{name}"] = best
            out_eval[f"best_{name}_thresh"] = float(thresh)
    return out_eval


def per_example_v2(
    *,
    predictions: Mapping[str, str],
    references: Mapping[str, list[str]],
    na_probs: Mapping[str, float] | None = None,
    na_prob_thresh: float = 1.0,
) -> dict[str, np.ndarray]:
    """Returns per-question ``exact`` (0/1) and ``f1`` (0..1) after the threshold; 100 * means equal ``squad_v2``."""
    _, _, exact_thresh, f1_thresh, _ = _scores_v2(
        predictions=predictions, references=references, na_probs=na_probs, na_prob_thresh=na_prob_thresh
    )
    return {
        "exact": np.fromiter(exact_thresh.values(), dtype=np.float64, count=len(exact_thresh)),
        "f1": np.fromiter(f1_thresh.values(), dtype=np.float64, count=len(f1_thresh)),
    }


def squad_v1(*, predictions: Mapping[str, str], references: Mapping[str, list[str]]) -> dict[str, float]:
    """Returns the official v1.1 result, ``exact_match`` and ``f1`` as percentages."""
    per_example = _per_example_v11(predictions=predictions, references=references)
    exact_match = f1 = 0
    for exact, f1_value in per_example:
        exact_match += exact
        f1 += f1_value
    total = len(per_example)
    return {"exact_match": 100.0 * exact_match / total, "f1": 100.0 * f1 / total}


def per_example_v1(*, predictions: Mapping[str, str], references: Mapping[str, list[str]]) -> dict[str, np.ndarray]:
    """Returns per-question ``exact_match`` (0/1) and ``f1`` (0..1); 100 * means equal ``squad_v1``."""
    per_example = _per_example_v11(predictions=predictions, references=references)
    scores = np.array(per_example, dtype=np.float64).reshape(len(per_example), 2)
    return {"exact_match": scores[:, 0], "f1": scores[:, 1]}


def _per_example_v11(
    *, predictions: Mapping[str, str], references: Mapping[str, list[str]]
) -> list[tuple[bool, float]]:
    """Returns (exact match, F1) per question, each the best over the gold answers (v1.1)."""
    _check_answers(predictions=predictions, references=references, v11=True)
    return [
        (
            max(exact_match_v11(predictions[qid], gold) for gold in golds),
            max(f1_score_v11(predictions[qid], gold) for gold in golds),
        )
        for qid, golds in references.items()
    ]


def _scores_v2(
    *,
    predictions: Mapping[str, str],
    references: Mapping[str, list[str]],
    na_probs: Mapping[str, float] | None,
    na_prob_thresh: float,
) -> tuple[dict[str, int], dict[str, float], dict[str, float], dict[str, float], dict[str, bool]]:
    """Returns raw exact, raw F1, thresholded exact, thresholded F1 and HasAns per question."""
    _check_answers(predictions=predictions, references=references, v11=False)
    if na_probs is None:
        na_probs = {qid: 0.0 for qid in predictions}
    else:
        _check_na_probs(na_probs, references)
    if not _is_real(na_prob_thresh, finite=False):
        raise InvalidInputError(f"na_prob_thresh must be a real number (not NaN); got {na_prob_thresh!r}.")
    has_ans = {qid: bool(golds) for qid, golds in references.items()}
    exact_raw, f1_raw = _raw_scores(predictions, references)
    exact_thresh = _apply_no_ans_threshold(exact_raw, na_probs, has_ans, na_prob_thresh)
    f1_thresh = _apply_no_ans_threshold(f1_raw, na_probs, has_ans, na_prob_thresh)
    return exact_raw, f1_raw, exact_thresh, f1_thresh, has_ans


def _raw_scores(
    predictions: Mapping[str, str], references: Mapping[str, list[str]]
) -> tuple[dict[str, int], dict[str, float]]:
    """Scores checked inputs as the script's ``get_raw_scores``."""
    exact_scores = {}
    f1_scores = {}
    for qid, golds in references.items():
        # Golds that normalise to "" are dropped; with none left, only "" is right.
        gold_answers = [gold for gold in golds if normalize_answer(gold)] or [""]
        a_pred = predictions[qid]
        exact_scores[qid] = max(compute_exact(gold, a_pred) for gold in gold_answers)
        f1_scores[qid] = max(compute_f1(gold, a_pred) for gold in gold_answers)
    return exact_scores, f1_scores


def _apply_no_ans_threshold(
    scores: dict[str, float], na_probs: Mapping[str, float], has_ans: dict[str, bool], na_prob_thresh: float
) -> dict[str, float]:
    """Replaces the score of each abstention by 1.0 for a NoAns question and 0.0 for a HasAns one."""
    return {
        qid: float(not has_ans[qid]) if na_probs[qid] > na_prob_thresh else score for qid, score in scores.items()
    }


def _make_eval_dict(exact: dict[str, float], f1: dict[str, float], qid_list: list[str]) -> dict[str, float | int]:
    """Returns exact, f1 (percentages) and total over ``qid_list``."""
    total = len(qid_list)
    return {
        "exact": 100.0 * sum(exact[qid] for qid in qid_list) / total,
        "f1": 100.0 * sum(f1[qid] for qid in qid_list) / total,
        "total": total,
    }


def _find_best_thresh(
    predictions: Mapping[str, str],
    scores: dict[str, float],
    na_probs: Mapping[str, float],
    has_ans: dict[str, bool],
) -> tuple[float, float]:
    """Returns the best percentage reachable by abstaining above one threshold, and that threshold."""
    cur_score = sum(1 for value in has_ans.values() if not value)
    best_score = cur_score
    best_thresh = 0.0
    for qid in sorted(na_probs, key=lambda k: na_probs[k]):
        if has_ans[qid]:
            diff = scores[qid]
        else:
            diff = -1 if predictions[qid] else 0
        cur_score += diff
        if cur_score > best_score:
            best_score = cur_score
            best_thresh = na_probs[qid]
    return 100.0 * best_score / len(scores), best_thresh


def _check_answers(*, predictions: Mapping[str, str], references: Mapping[str, list[str]], v11: bool) -> None:
    """Raises unless predictions cover exactly the questions of references and every value has its type."""
    for name, value in (("predictions", predictions), ("references", references)):
        if not isinstance(value, Mapping):
            raise InvalidInputError(f"{name} must be a dict keyed by question id; got {type(value).__name__}.")
    if not references:
        raise InvalidInputError("references must hold at least one question; got none.")
    _check_same_ids(predictions, references, name="predictions")
    for qid, golds in references.items():
        if not isinstance(golds, (list, tuple)) or not all(isinstance(gold, str) for gold in golds):
            raise InvalidInputError(
                f"references[{qid!r}] must be a list of gold answer strings; got {golds!r}."
            )
        if v11 and not golds:
            raise InvalidInputError(
                f"references[{qid!r}] has no gold answer, which SQuAD v1.1 cannot score; "
                "use squad_v2 for unanswerable questions."
            )
    for qid, prediction in predictions.items():
        if not isinstance(prediction, str):
            raise InvalidInputError(
                f"predictions[{qid!r}] must be a string ('' for no answer); got {type(prediction).__name__}."
            )


def _check_na_probs(na_probs: Mapping[str, float], references: Mapping[str, list[str]]) -> None:
    """Raises unless na_probs covers exactly the questions of references with finite numbers."""
    if not isinstance(na_probs, Mapping):
        raise InvalidInputError(f"na_probs must be a dict keyed by question id; got {type(na_probs).__name__}.")
    _check_same_ids(na_probs, references, name="na_probs")
    for qid, prob in na_probs.items():
        # The script does not range-check; NaN would make every comparison False.
        if not _is_real(prob, finite=True):
            raise InvalidInputError(f"na_probs[{qid!r}] must be a finite number; got {prob!r}.")


def _check_same_ids(given: Mapping[str, Any], references: Mapping[str, list[str]], *, name: str) -> None:
    """Raises naming the first question of references missing from ``given``, then its first unknown id."""
    missing = [qid for qid in references if qid not in given]
    if missing:
        raise InvalidInputError(
            f"{name} has no entry for question {missing[0]!r} ({len(missing)} of {len(references)} missing); "
            f"{name} must cover every question in references."
        )
    unknown = [qid for qid in given if qid not in references]
    if unknown:
        raise InvalidInputError(
            f"{name} has an entry for unknown question {unknown[0]!r} ({len(unknown)} unknown); "
            f"remove ids that are not in references."
        )


def _is_real(value: object, *, finite: bool) -> bool:
    """Returns whether value is a real number, not a bool, that is finite (or, with ``finite=False``, not NaN)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral):
        # math.isfinite would overflow on ints beyond the float range, which are finite.
        return True
    return math.isfinite(value) if finite else not math.isnan(value)
