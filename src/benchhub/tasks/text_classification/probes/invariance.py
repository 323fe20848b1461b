"""Invariance (INV) probes for text classification: label-preserving changes of the input texts.

    Typos(rate)      "typos"              adjacent-letter swaps and letter drops in words of >= 4 letters
    CaseChange(mode) "case-lower" | "case-upper" | "case-title"
    StripPunctuation "strip-punctuation"  removes every Unicode punctuation character
    Contractions     "contractions"       "do not" <-> "don't", "it is" <-> "it's", ... both ways
    NameSwap         "name-swap"          a person's first name or a place for another of the same list
    NeutralFiller    "neutral-filler"     prepends or appends a neutral sentence

Ids, labels and answers are copied unchanged. In a pair task (NLI, paraphrase) both texts change, as
one: a name gets the same replacement in both, so "Maria ... / Maria ..." stays one person. Only
`neutral-filler` changes the first text alone: a sentence added to a hypothesis would be a new claim.
`changed[i]` is True iff example i's texts differ from the original. Randomness comes from one
generator per example, `random.Random(f"{seed}:{name}:{id}")`.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Literal

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.probes.base import Perturbed
from benchhub.probes.typos import typo

TASK = "text-classification"

# A word the typo generator may touch: letters only (no digits, no URL or e-mail characters inside),
# optionally wrapped in punctuation such as quotes, commas or a final full stop.
_TYPO_WORD = re.compile(r"([^\w]*)([^\W\d_]{4,})([^\w]*)")
_URL = re.compile(r"\W*(?:[a-z][a-z0-9+.-]*://|www\.)", re.IGNORECASE)

NEUTRAL_SENTENCES = (
    "For what it's worth.",
    "Anyway.",
    "I am writing this on my phone.",
    "This is my first review here.",
    "That is all I have to say.",
    "I read a few other reviews first.",
    "Just sharing my experience.",
    "It was a Tuesday.",
)

# (expanded, contracted); each side is matched as whole words, case-insensitively.
CONTRACTIONS = (
    ("do not", "don't"), ("does not", "doesn't"), ("did not", "didn't"),
    ("is not", "isn't"), ("are not", "aren't"), ("was not", "wasn't"), ("were not", "weren't"),
    ("have not", "haven't"), ("has not", "hasn't"), ("had not", "hadn't"),
    ("will not", "won't"), ("would not", "wouldn't"), ("could not", "couldn't"),
    ("should not", "shouldn't"), ("cannot", "can't"),
    ("it is", "it's"), ("that is", "that's"), ("there is", "there's"), ("what is", "what's"),
    ("he is", "he's"), ("she is", "she's"),
    ("I am", "I'm"), ("you are", "you're"), ("we are", "we're"), ("they are", "they're"),
    ("I will", "I'll"), ("you will", "you'll"), ("we will", "we'll"), ("they will", "they'll"),
    ("I have", "I've"), ("you have", "you've"), ("we have", "we've"), ("they have", "they've"),
)


# Joins a pair's two texts so a change sees them as one text: whitespace around a control character
# that no probe treats as a word, letter, punctuation or case.
PAIR_JOINER = " \x1e "


def perturb_texts(split: Split, name: str, seed: int, change: Callable[[str, random.Random], str], *,
                  both_texts: bool = True) -> Perturbed:
    """Applies `change` to every example with its own generator (to both texts of a pair, joined, when
    `both_texts`); everything else is copied."""
    pairs = split.text_pairs if both_texts else None
    texts, new_pairs = [], None if split.text_pairs is None else list(split.text_pairs)
    for i, (text, example_id) in enumerate(zip(split.texts, split.ids, strict=True)):
        rng = random.Random(f"{seed}:{name}:{example_id}")
        second = pairs[i] if pairs is not None else None
        if second is None or PAIR_JOINER in text or PAIR_JOINER in second:
            texts.append(change(text, rng))
            continue
        parts = change(text + PAIR_JOINER + second, rng).split(PAIR_JOINER)
        if len(parts) != 2:  # a change that touched the joiner: keep the pair as it was
            parts = [text, second]
        texts.append(parts[0])
        new_pairs[i] = parts[1]
    perturbed = Split(
        name=split.name,
        ids=list(split.ids),
        texts=texts,
        text_pairs=new_pairs,
        labels=None if split.labels is None else list(split.labels),
        fields={name: list(values) for name, values in split.fields.items()},
    )
    before = zip(split.texts, split.text_pairs or [None] * len(split))
    after = zip(texts, new_pairs or [None] * len(split))
    return Perturbed(perturbed, [new != old for new, old in zip(after, before, strict=True)])


class Typos:
    """Swaps two adjacent letters or drops a letter, in each word of >= 4 letters with probability `rate`.

    Words with digits or other non-letters inside (numbers, URLs, e-mail addresses, "don't") are never
    touched. When no word is drawn but one is eligible, one eligible word is changed, so every text
    with an eligible word changes.
    """

    name = "typos"
    kind = "INV"
    task = TASK

    def __init__(self, rate: float = 0.1) -> None:
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0.0 <= rate <= 1.0:
            raise InvalidInputError(f"The 'rate' parameter of Typos must be a number in [0, 1]. Got {rate!r} instead.")
        self.rate = float(rate)

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        return perturb_texts(split, self.name, seed, self._change)

    def _change(self, text: str, rng: random.Random) -> str:
        parts = re.split(r"(\s+)", text)
        eligible = [i for i, part in enumerate(parts) if _TYPO_WORD.fullmatch(part)]
        if not eligible:
            return text
        chosen = [i for i in eligible if rng.random() < self.rate] or [rng.choice(eligible)]
        for i in chosen:
            lead, word, trail = _TYPO_WORD.fullmatch(parts[i]).groups()
            parts[i] = lead + typo(word, rng) + trail
        return "".join(parts)


class CaseChange:
    """Lower-cases, upper-cases or title-cases every text (title: each word's first letter upper, the rest lower)."""

    kind = "INV"
    task = TASK
    MODES = ("lower", "upper", "title")

    def __init__(self, mode: Literal["lower", "upper", "title"] = "lower") -> None:
        if mode not in self.MODES:
            raise InvalidInputError(f"The 'mode' parameter of CaseChange must be one of {', '.join(self.MODES)}. Got {mode!r} instead.")
        self.mode = mode
        self.name = f"case-{mode}"

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        return perturb_texts(split, self.name, seed, lambda text, rng: self._change(text))

    def _change(self, text: str) -> str:
        if self.mode == "lower":
            return text.lower()
        if self.mode == "upper":
            return text.upper()
        # str.title() would write "It'S"; only the first letter of each whitespace-separated word goes up.
        return re.sub(r"\S+", lambda m: _title_word(m[0]), text)


def _title_word(word: str) -> str:
    for j, char in enumerate(word):
        if char.isalpha():
            return word[:j].lower() + char.upper() + word[j + 1:].lower()
    return word


class StripPunctuation:
    """Removes every punctuation character (Unicode category P*); a word of punctuation only goes with its space.

    URLs ("https://...", "www...") are left whole.
    """

    name = "strip-punctuation"
    kind = "INV"
    task = TASK

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        return perturb_texts(split, self.name, seed, lambda text, rng: _strip_punctuation(text))


def _strip_punctuation(text: str) -> str:
    out: list[str] = []
    end = 0
    for match in re.finditer(r"(\s*)(\S+)", text):
        if _URL.match(match[2]):
            out.append(match[0])
            end = match.end()
            continue
        kept = "".join(char for char in match[2] if not unicodedata.category(char).startswith("P"))
        if kept:
            out.append(match[1] + kept)
        end = match.end()
    stripped = "".join(out)
    leading = text[: len(text) - len(text.lstrip())]
    return leading + stripped.lstrip() + text[end:]


class Contractions:
    """Contracts every expanded form and expands every contraction of a fixed table, in one pass.

    "I do not think it's bad" becomes "I don't think it is bad". The replacement keeps the case of the
    matched first letter ("Do not" -> "Don't"); an all-capitals match gives an all-capitals replacement.
    A pronoun-verb pair followed by "not" is left for the negation ("they will not" -> "they won't").
    Curly apostrophes are read; straight ones are written. Ambiguous contractions expand to the first
    reading of the table ("it's" -> "it is", never "it has").
    """

    name = "contractions"
    kind = "INV"
    task = TASK

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        return perturb_texts(split, self.name, seed, lambda text, rng: _swap_contractions(text))


def _contraction_table() -> tuple[dict[str, str], re.Pattern[str]]:
    table: dict[str, str] = {}
    for expanded, contracted in CONTRACTIONS:
        table[expanded.lower()] = contracted
        table[contracted.lower()] = expanded
    forms = sorted(table, key=len, reverse=True)
    # "they will not" must become "they won't", not "they'll not": a pronoun-verb pair yields to a following "not".
    pattern = r"\b(?:" + "|".join(
        re.escape(form).replace(r"\ ", r"\s+").replace("'", "['\u2019]")
        + (r"\b(?!\s+not\b)" if " " in form and not form.endswith(" not") else "")
        for form in forms
    ) + r")\b"
    return table, re.compile(pattern, re.IGNORECASE)


_CONTRACTION_TABLE, _CONTRACTION_PATTERN = _contraction_table()


def _swap_contractions(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        found = match[0]
        key = re.sub(r"\s+", " ", found.replace("\u2019", "'")).lower()
        replacement = _CONTRACTION_TABLE[key]
        letters = [char for char in found if char.isalpha()]
        if len(letters) > 1 and all(char.isupper() for char in letters):
            return replacement.upper()
        if replacement.startswith("I ") or replacement.startswith("I'"):
            return replacement
        first = replacement[0].upper() if found[0].isupper() else replacement[0].lower()
        return first + replacement[1:]

    return _CONTRACTION_PATTERN.sub(replace, text)


@cache
def name_lists() -> dict[str, tuple[str, ...]]:
    """The built-in lists (`first_names`, `places`) from resources/probes/names.json."""
    path = resources.files("benchhub") / "resources" / "probes" / "names.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    return {key: tuple(values) for key, values in document.items()}


class NameSwap:
    """Replaces each first name and place of the built-in lists with another one from the same list.

    Names are matched case-sensitively as whole words ("Paris", "Paris's"). Within a text, one name
    always gets the same replacement, and a replacement is never a name already in that text, so two
    people never merge and no name is swapped for itself.
    """

    name = "name-swap"
    kind = "INV"
    task = TASK

    def __init__(self) -> None:
        lists = name_lists()
        self._lists = [lists["first_names"], lists["places"]]
        self._list_of = {name: values for values in self._lists for name in values}
        forms = sorted(self._list_of, key=len, reverse=True)
        self._pattern = re.compile(r"\b(?:" + "|".join(re.escape(form) for form in forms) + r")\b")

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        return perturb_texts(split, self.name, seed, self._change)

    def _change(self, text: str, rng: random.Random) -> str:
        found = list(dict.fromkeys(match[0] for match in self._pattern.finditer(text)))
        if not found:
            return text
        present = set(found)
        mapping: dict[str, str] = {}
        for name in found:
            candidates = [c for c in self._list_of[name] if c not in present and c not in mapping.values()]
            mapping[name] = rng.choice(candidates)
        return self._pattern.sub(lambda match: mapping[match[0]], text)


class NeutralFiller:
    """Prepends or appends (one of the two, drawn per example) a neutral sentence from `NEUTRAL_SENTENCES`.

    Appending to a text that does not end in ".", "!" or "?" adds a full stop first, so the filler
    stays a sentence of its own.
    """

    name = "neutral-filler"
    kind = "INV"
    task = TASK

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        return perturb_texts(split, self.name, seed, _add_filler, both_texts=False)


def _add_filler(text: str, rng: random.Random) -> str:
    sentence = rng.choice(NEUTRAL_SENTENCES)
    if not text.strip():
        return sentence
    if rng.random() < 0.5:
        return f"{sentence} {text}"
    body = text.rstrip()
    return f"{body} {sentence}" if body[-1:] in (".", "!", "?") else f"{body}. {sentence}"
