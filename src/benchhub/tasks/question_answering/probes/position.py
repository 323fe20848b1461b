"""Answer-sentence position shift: the sentence that holds the gold answer moves to the other end of
the context, so a model that learnt "the answer is near the start" is caught out."""

from __future__ import annotations

from dataclasses import dataclass

from benchhub.data.records import Split
from benchhub.probes.base import Perturbed
from benchhub.tasks.question_answering.probes.contexts import (
    TASK,
    Answers,
    changed_split,
    copy_answers,
    require_qa_split,
)
from benchhub.tasks.question_answering.probes.sentences import (
    answer_sentences,
    sentence_spans,
)


@dataclass(frozen=True)
class AnswerSentenceShift:
    """INV: moves the sentence holding the first gold answer to the other end of the context.

    A first sentence moves to the end, a last or middle one to the start; sentences are joined by one
    space. Every answer_start of the example moves with its sentence. Unanswerable questions, one-
    sentence contexts and examples with an answer that crosses a sentence boundary stay unchanged.
    The change is fully determined by the context, so `seed` has no effect.
    """

    name: str = "qa-answer-shift"
    kind: str = "INV"
    task: str = TASK

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        contexts, golds = require_qa_split(split, self.name)
        new_contexts, new_answers, changed = [], [], []
        for context, answers in zip(contexts, golds, strict=True):
            shifted = shift_answer_sentence(context, answers)
            changed.append(shifted is not None)
            new_context, new_gold = shifted if shifted is not None else (context, copy_answers(answers))
            new_contexts.append(new_context)
            new_answers.append(new_gold)
        return Perturbed(changed_split(split, new_contexts, new_answers, self.name), changed)


def shift_answer_sentence(context: str, answers: Answers) -> tuple[str, Answers] | None:
    """The context with the first answer's sentence moved, and the moved answers; None when skipped."""
    spans = sentence_spans(context)
    where = answer_sentences(spans, answers)
    if not where or len(spans) < 2 or any(index is None for index in where):
        return None
    moved = where[0]
    order = list(range(len(spans)))
    order.remove(moved)
    order = order + [moved] if moved == 0 else [moved] + order
    new_starts: dict[int, int] = {}
    pieces, position = [], 0
    for index in order:
        start, end = spans[index]
        new_starts[index] = position
        pieces.append(context[start:end])
        position += end - start + 1
    shifted = " ".join(pieces)
    starts = [new_starts[index] + start - spans[index][0]
              for index, start in zip(where, answers["answer_start"], strict=True)]
    return shifted, {"text": list(answers["text"]), "answer_start": starts}
