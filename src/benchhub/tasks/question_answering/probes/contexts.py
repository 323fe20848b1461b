"""What the question-answering probes share: reading a QA split, per-example generators, and the
check that every gold answer is still an exact substring of its context at its answer_start."""

from __future__ import annotations

import random
from typing import Any

from benchhub.data.records import ExampleId, Split
from benchhub.errors import InvalidInputError

TASK = "question-answering"

Answers = dict[str, list[Any]]


def require_qa_split(split: Split, probe: str) -> tuple[list[str], list[Answers]]:
    """The contexts and gold answers of a QA split; a clear error for any other split."""
    if split.text_pairs is None or split.field("answers") is None:
        raise InvalidInputError(
            f"The {probe!r} probe needs a question-answering split (questions, contexts and answers); "
            f"split {split.name!r} has no {'contexts' if split.text_pairs is None else 'answers'}."
        )
    return split.text_pairs, split.field("answers")


def example_rng(seed: int, name: str, example_id: ExampleId) -> random.Random:
    """The generator of one example, independent of every other example."""
    return random.Random(f"{seed}:{name}:{example_id}")


def check_answers(context: str, answers: Answers, example_id: ExampleId, probe: str) -> None:
    """Raises when a gold answer is not an exact substring of `context` at its answer_start.

    A probe bug must never yield silently wrong gold answers, so this is an explicit check, not an
    `assert` that `python -O` would drop.
    """
    for text, start in zip(answers["text"], answers["answer_start"], strict=True):
        if context[start : start + len(text)] != text:
            raise RuntimeError(
                f"The {probe!r} probe broke question {example_id!r}: answer {text!r} is not at "
                f"answer_start {start} of the changed context."
            )


def copy_answers(answers: Answers) -> Answers:
    return {"text": list(answers["text"]), "answer_start": list(answers["answer_start"])}


def changed_split(split: Split, contexts: list[str], answers: list[Answers], probe: str) -> Split:
    """`split` with new contexts and answers (same ids, questions and order), every answer checked."""
    for example_id, context, example_answers in zip(split.ids, contexts, answers, strict=True):
        check_answers(context, example_answers, example_id, probe)
    return Split(split.name, list(split.ids), list(split.texts), contexts,
                 list(split.labels) if split.labels is not None else None, {"answers": answers})
