"""Multiple choice by generated letters: the prompt that shows a question with lettered choices, and the rule
that reads the letter back from what a model generated.

The prompt follows lm-evaluation-harness's `mmlu_generative` (`{question}\\nA. {choice}\\nB. ...\\nAnswer:`,
the question stripped), with one line before "Answer:" that asks for the letter, since a model answering in
text is told nothing else (`TEMPLATE`). Choices are lettered A, B, C, ... in their order; a question has at
most 26.

The answer is the first letter that stands alone (no letter or digit right before or after it) and names a
choice the question has: an uppercase letter anywhere ("B", " B", "B.", "The answer is C"), a lowercase one
only in brackets ("(b)", "[b]") or as the whole answer, punctuation and spaces aside ("b", "b."), so that the
article "a" in a sentence is not read as choice A. A letter beyond the question's choices is passed over ("I
think B" is B with four choices). An answer without such a letter ("Z" with four choices, "", "none") is
unparsed: counted wrong, and counted as `unparsed`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

from benchhub.errors import InvalidInputError

TEMPLATE = "{question}\n{choices}\nAnswer with the letter of the right choice.\nAnswer:"
LETTERS = string.ascii_uppercase
# Short: a letter, perhaps after a word or two ("The answer is C"); the rest is not read.
MAX_TOKENS = 8
_UPPER = re.compile(r"(?<![A-Za-z0-9])([A-Z])(?![A-Za-z0-9])")
_BRACKETED = re.compile(r"\(([a-z])\)|\[([a-z])\]")
_ALONE = re.compile(r"^[\W_]*([a-z])[\W_]*$")


def letters_prompt(question: str, choices: Sequence[str]) -> str:
    """The question and its lettered choices, asking for the letter."""
    if len(choices) > len(LETTERS):
        raise InvalidInputError(f"A question has {len(choices)} choices; answering by letter letters at most "
                                f"{len(LETTERS)} (A to Z). Score it by log-likelihood (--choice-by loglikelihood).")
    lines = "\n".join(f"{letter}. {choice}" for letter, choice in zip(LETTERS, choices))
    return TEMPLATE.format(question=question.strip(), choices=lines)


def parse_letter(text: str, choices: int) -> int | None:
    """The index of the choice the answer names, by the rule above; None where it names none."""
    allowed = LETTERS[:choices]
    found = [(match.start(), match.group(1)) for match in _UPPER.finditer(text)]
    found += [(match.start(), match.group(1) or match.group(2)) for match in _BRACKETED.finditer(text)]
    alone = _ALONE.match(text)
    if alone:
        found.append((alone.start(1), alone.group(1)))
    for _, letter in sorted(found):
        if letter.upper() in allowed:
            return allowed.index(letter.upper())
    return None
