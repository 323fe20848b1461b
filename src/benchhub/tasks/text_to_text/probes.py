"""Probes of the text-to-text families (summarization, translation, generative answers): INV changes of the input text
and of the prompt's wording, which should leave a generated text's quality as it was.

    Whitespace(rate)  "whitespace"  a leading space and a trailing newline, and each space between words, with
                                    probability `rate` (default 0.2), doubled or made a newline (half each)
    Format            "format"      the first letter's case flipped, a final full stop dropped (or one added after a
                                    final letter or digit), straight quotes and " - " made typographic (“ ” ’ –)
                                    and typographic ones straight
    PromptParaphrase  "prompt-paraphrase-N"  the family's default prompt template (`prompt_default`) reworded as
                                    its N-th paraphrase (`prompt_paraphrases`); the inputs stay as they are

A generated text rewords itself at the least change, so a changed output is no failure in itself: each result holds
the primary metric on the changed split against the original (`drop_points`), the mean per-example change of the
primary metric's per-example score with a paired bootstrap interval (`score_change`, in the metric's points), and, as
`flip_rate`, the share of examples whose output changed (after whitespace normalisation). A paraphrase applies to a
model that reads the family's prompt template (a causal language model, an endpoint); a seq2seq model or a baseline
reads the input as it is, and the probe notes so. Randomness comes from one generator per example,
`random.Random(f"{seed}:{name}:{id}")`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, is_dataclass, replace
from typing import Any

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.probes.base import Perturbed

TYPOGRAPHIC = {'"': None, "'": "’", " - ": " – "}  # '"' opens as “ and closes as ”
STRAIGHT = {"“": '"', "”": '"', "‘": "'", "’": "'", " – ": " - ", " — ": " - "}


def perturb_inputs(split: Split, name: str, seed: int, change: Callable[[str, random.Random], str]) -> Perturbed:
    """Applies `change` to every input text with its own generator; ids, references and other fields are copied."""
    texts = [change(text, random.Random(f"{seed}:{name}:{example_id}"))
             for text, example_id in zip(split.texts, split.ids, strict=True)]
    perturbed = Split(name=split.name, ids=list(split.ids), texts=texts, text_pairs=split.text_pairs,
                      labels=None if split.labels is None else list(split.labels),
                      fields={key: list(values) for key, values in split.fields.items()})
    return Perturbed(perturbed, [new != old for new, old in zip(texts, split.texts, strict=True)])


@dataclass(frozen=True)
class Whitespace:
    """INV: a leading space, a trailing newline, and some spaces between words doubled or made newlines."""

    rate: float = 0.2
    name: str = "whitespace"
    kind: str = "INV"
    task: str = "text-to-text"

    def __post_init__(self) -> None:
        if isinstance(self.rate, bool) or not isinstance(self.rate, int | float) or not 0.0 <= self.rate <= 1.0:
            raise InvalidInputError(f"The 'rate' parameter of Whitespace must be a number in [0, 1]. Got {self.rate!r} instead.")

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        return perturb_inputs(split, self.name, seed, self._change)

    def _change(self, text: str, rng: random.Random) -> str:
        def gap(match: re.Match[str]) -> str:
            if rng.random() >= self.rate:
                return match[0]
            return "  " if rng.random() < 0.5 else "\n"

        return " " + re.sub(r"(?<=\S) (?=\S)", gap, text) + "\n"


@dataclass(frozen=True)
class Format:
    """INV: the first letter's case, the final full stop, and the quotes and dashes' typography changed."""

    name: str = "format"
    kind: str = "INV"
    task: str = "text-to-text"

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        return perturb_inputs(split, self.name, seed, lambda text, rng: reformat(text))


def reformat(text: str) -> str:
    """`text` with the changes of `Format` (the same text always gives the same result)."""
    first = next((j for j, char in enumerate(text) if char.isalpha()), None)
    if first is not None:
        char = text[first]
        text = text[:first] + (char.lower() if char.isupper() else char.upper()) + text[first + 1:]
    body = text.rstrip()
    if body.endswith(".") and not body.endswith(".."):
        text = body[:-1] + text[len(body):]
    elif body and body[-1].isalnum():
        text = body + "." + text[len(body):]
    return _typography(text)


def _typography(text: str) -> str:
    if any(mark in text for mark in STRAIGHT):
        for mark, plain in STRAIGHT.items():
            text = text.replace(mark, plain)
        return text
    opened = [False]

    def quote(match: re.Match[str]) -> str:
        opened[0] = not opened[0]
        return "“" if opened[0] else "”"

    return re.sub('"', quote, text).replace("'", "’").replace(" - ", " – ")


@dataclass(frozen=True)
class PromptParaphrase:
    """INV: the family's default prompt template (`original`) read as `template`, the same instruction reworded."""

    original: str
    template: str
    name: str = "prompt-paraphrase"
    kind: str = "INV"
    task: str = "text-to-text"
    not_applicable: str = ("the model reads no prompt template of the family's (a seq2seq model or a baseline reads "
                           "the input as it is), so there is no wording to change")

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        """The split as it is, every example changed: the change is in the prompt (`model_for`)."""
        return Perturbed(split, [True] * len(split))

    def model_for(self, model: Any) -> Any | None:
        """`model` reading the paraphrase instead of the original template, or None where it does not read that."""
        prompting = getattr(model, "prompting", None)
        if not is_dataclass(model) or prompting is None or getattr(model, "template", None) != self.original:
            return None
        return replace(model, prompting=replace(prompting, template=self.template))


def default_generation_suite(prompt_default: str, paraphrases: tuple[str, ...]) -> list[object]:
    """Whitespace, format, and one probe per paraphrase of the family's prompt template."""
    return [Whitespace(), Format(),
            *(PromptParaphrase(prompt_default, template, name=f"prompt-paraphrase-{n}")
              for n, template in enumerate(paraphrases, start=1))]
