"""Seen and unseen mentions: how much of a tagger's score is remembering names from train.

A mention is seen when its words, joined by spaces, are the words of some entity in the train split
(any type, case-sensitive), and unseen otherwise (Augenstein et al., 2017, "Generalisation in named
entity recognition"). Gold mentions are split by their own string and predicted mentions by theirs,
so precision, recall and F1 are defined on each side; a correct prediction is counted on the side of
its (identical) string. Entities are decoded sentence by sentence in seqeval's default (conlleval)
mode. `seen_f1 - unseen_f1` is the memorization gap a leaderboard shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from benchhub.metrics.bootstrap import Interval, resampled_sums
from benchhub.tasks.token_classification.entities import conlleval_entities

SIDES = ("seen", "unseen")


def mention_strings(tokens: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> set[str]:
    """The words of every entity in these sentences, joined by spaces."""
    return {" ".join(words[start:end + 1]) for words, sentence in zip(tokens, tags, strict=True)
            for _, start, end in conlleval_entities(list(sentence))}


def sentence_entities(tags: Sequence[Sequence[str]]) -> list[set[tuple[str, int, int]]]:
    """Each sentence's mentions (type, first word, last word), decoded on its own in seqeval's default mode."""
    return [set(conlleval_entities(list(sentence))) for sentence in tags]


def side_counts(tokens: Sequence[Sequence[str]], gold: Sequence[set[tuple[str, int, int]]],
                predicted: Sequence[set[tuple[str, int, int]]], seen: Iterable[str]) -> np.ndarray:
    """Per sentence and side (seen, unseen): true positives, predicted and gold mentions, as an (n, 2, 3) int array,
    from each sentence's gold and predicted mentions (`sentence_entities`)."""
    known = set(seen)
    counts = np.zeros((len(tokens), 2, 3), dtype=np.int64)
    for row, (words, gold_entities, predicted_entities) in enumerate(zip(tokens, gold, predicted, strict=True)):
        for column, entities in ((2, gold_entities), (1, predicted_entities), (0, gold_entities & predicted_entities)):
            for _, start, end in entities:
                counts[row, 0 if " ".join(words[start:end + 1]) in known else 1, column] += 1
    return counts


def side_f1(counts: np.ndarray) -> dict[str, float | None]:
    """`seen_f1` and `unseen_f1` of summed counts; None for a side with no gold and no predicted mention."""
    totals = counts.sum(axis=0)
    return {f"{side}_f1": _f1(*totals[index]) for index, side in enumerate(SIDES)}


def side_intervals(counts: np.ndarray, *, n_resamples: int, confidence: float, seed: int) -> dict[str, Interval | None]:
    """Percentile-bootstrap intervals of each side's F1, resampling sentences as the headline metrics do."""
    resampled = resampled_sums(counts.reshape(len(counts), -1), n_resamples=n_resamples, seed=seed).reshape(-1, 2, 3)
    alpha = (1 - confidence) / 2
    result: dict[str, Interval | None] = {}
    for index, side in enumerate(SIDES):
        tp, predicted, gold = resampled[:, index, 0], resampled[:, index, 1], resampled[:, index, 2]
        defined = (predicted + gold) > 0
        if not defined.any():
            result[f"{side}_f1"] = None
            continue
        f1 = 2 * tp[defined] / (predicted[defined] + gold[defined])
        low, high = np.quantile(f1, [alpha, 1 - alpha])
        result[f"{side}_f1"] = Interval(low=float(low), high=float(high))
    return result


def _f1(tp: int, predicted: int, gold: int) -> float | None:
    # 2PR/(P+R) = 2TP/(predicted+gold); 0 when one side is empty and the other not, as seqeval's zero division gives.
    if predicted + gold == 0:
        return None
    return float(2 * tp / (predicted + gold))
