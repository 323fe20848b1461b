"""Unanswerable conversion: the sentences that hold a gold answer are removed, so the question has no
answer left in its context. A model that still answers it is guessing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from benchhub.data.records import Split
from benchhub.probes.base import Perturbed
from benchhub.tasks.question_answering.metrics import normalize_answer
from benchhub.tasks.question_answering.probes.contexts import (
    TASK,
    Answers,
    changed_split,
    copy_answers,
    require_qa_split,
)
from benchhub.tasks.question_answering.probes.sentences import (
    overlapping_sentences,
    sentence_spans,
)

_PUNCTUATION = re.compile(r"[^\w\s]")


@dataclass(frozen=True)
class RemoveAnswerSentence:
    """INV-shaped, but special: turns answerable questions into unanswerable ones.

    Removed are every sentence that overlaps a gold answer span and every sentence that still holds a
    gold answer's words in order (an answer may occur twice; punctuation reads as a space); the rest
    is joined by one space and the gold answers become empty lists. Already unanswerable questions, and questions whose
    context would become empty, stay unchanged. `seed` has no effect.

    `converts_to_unanswerable` tells the runner not to score this like other INV probes: over the
    changed examples, the share answered with a non-empty string is the guess rate.
    """

    name: str = "qa-unanswerable"
    kind: str = "INV"
    task: str = TASK
    converts_to_unanswerable: bool = True

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        contexts, golds = require_qa_split(split, self.name)
        new_contexts, new_answers, changed = [], [], []
        for context, answers in zip(contexts, golds, strict=True):
            removed = remove_answer_sentences(context, answers)
            changed.append(removed is not None)
            new_contexts.append(removed if removed is not None else context)
            new_answers.append({"text": [], "answer_start": []} if removed is not None else copy_answers(answers))
        return Perturbed(changed_split(split, new_contexts, new_answers, self.name), changed)


def remove_answer_sentences(context: str, answers: Answers) -> str | None:
    """The context without any sentence holding a gold answer; None when skipped."""
    if not answers["text"]:
        return None
    spans = sentence_spans(context)
    drop: set[int] = set()
    for text, start in zip(answers["text"], answers["answer_start"], strict=True):
        drop.update(overlapping_sentences(spans, start, start + len(text)))
    golds = [gold for gold in (_words(text) for text in answers["text"]) if gold.strip()]
    for index, (start, end) in enumerate(spans):
        sentence = _words(context[start:end])
        if any(gold in sentence for gold in golds):
            drop.add(index)
    kept = [context[start:end] for index, (start, end) in enumerate(spans) if index not in drop]
    return " ".join(kept) if kept else None


def _words(text: str) -> str:
    """SQuAD-normalised words, with punctuation read as a space ("Tavira's" holds "Tavira"), space-padded."""
    return f" {normalize_answer(_PUNCTUATION.sub(' ', text))} "
