"""The argument checks the text-to-text metric functions share: one generated text and one or more references
per example."""

from __future__ import annotations

from collections.abc import Sequence

from benchhub.errors import InvalidInputError


def checked_texts(predictions: object, references: object, *, unit: str = "example") -> tuple[list[str], list[list[str]]]:
    """Predictions as a list of strings and references as a list of non-empty lists of strings (a string alone is
    one reference); `unit` names an entry in the messages ("example", "sentence")."""
    for name, value in (("predictions", predictions), ("references", references)):
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise InvalidInputError(f"{name} must be a list with one entry per {unit}; got {type(value).__name__}.")
    if len(predictions) != len(references):
        raise InvalidInputError(
            f"predictions and references must have one entry per {unit}; got {len(predictions)} and {len(references)}."
        )
    if not predictions:
        raise InvalidInputError(f"predictions and references must hold at least one {unit}; got none.")
    for row, prediction in enumerate(predictions):
        if not isinstance(prediction, str):
            raise InvalidInputError(f"predictions[{row}] must be a string ('' for no output); got {type(prediction).__name__}.")
    golds = []
    for row, gold in enumerate(references):
        gold = [gold] if isinstance(gold, str) else gold
        if not isinstance(gold, Sequence) or not gold or not all(isinstance(text, str) for text in gold):
            raise InvalidInputError(
                f"references[{row}] must be a string or a non-empty list of strings; got {references[row]!r:.80}."
            )
        golds.append(list(gold))
    return list(predictions), golds
