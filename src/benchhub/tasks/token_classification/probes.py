"""Probes of taggers: swap the entities for others of the same type, and change the words around them.

- `entity-swap` (INV): every gold mention is replaced by another mention of the same type — one found
  elsewhere in the split, or, for PER and LOC, a name from the built-in lists the text probes use — with
  its gold tags rewritten in the dataset's scheme. A tagger that memorised names loses here.
- `case-upper-outside`, `typos-outside` (INV): upper-case, or put typos into, the words outside every
  mention; the gold tags stay as they are.

Each sentence's change is drawn from its own generator (`seed`, probe name, sentence id), so it does not
depend on the other sentences. A flip is a change in how many mentions the tagger gets right.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from importlib import resources

from benchhub.data.records import Split
from benchhub.probes.base import Perturbed
from benchhub.probes.typos import typo
from benchhub.tasks.token_classification.entities import conlleval_entities
from benchhub.tasks.token_classification.schemes import encode_spans
from benchhub.tasks.token_classification.word_labels import NO_SCHEME

TASK = "token-classification"
MIN_TYPO_LETTERS = 4


def default_tagging_suite(scheme: str) -> list[object]:
    """The entity swap and the changes outside mentions; tags that name no entities (scheme `none`, part of
    speech) have no mentions, so there the words themselves change (and their gold tags stay)."""
    if scheme == NO_SCHEME:
        return [UpperCaseOutside(mentions=False), TyposOutside(mentions=False)]
    return [EntitySwap(scheme), UpperCaseOutside(), TyposOutside()]


@dataclass(frozen=True)
class EntitySwap:
    """Replaces each gold mention with another of its type; the gold tags move with it."""

    scheme: str
    name: str = "entity-swap"
    kind: str = "INV"
    task: str = TASK

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        candidates = _candidates(split)
        tokens: list[list[str]] = []
        tags: list[list[str]] = []
        changed: list[bool] = []
        for example_id, words, gold in zip(split.ids, split.field("tokens") or [], split.field("tags") or [], strict=True):
            rng = random.Random(f"{seed}:{self.name}:{example_id}")
            entities = sorted(conlleval_entities(list(gold)), key=lambda entity: entity[1])
            new_words: list[str] = []
            spans: list[tuple[str, int, int]] = []
            position = 0
            for type_, start, end in entities:
                new_words.extend(words[position:start])
                original = tuple(words[start:end + 1])
                pool = [c for c in candidates.get(type_, ()) if c != original]
                replacement = list(rng.choice(pool)) if pool else list(original)
                spans.append((type_, len(new_words), len(new_words) + len(replacement)))
                new_words.extend(replacement)
                position = end + 1
            new_words.extend(words[position:])
            if not entities:
                tokens.append(list(words))
                tags.append(list(gold))
                changed.append(False)
                continue
            # Words outside mentions are "O" in gold data (it was checked in its scheme), so the spans alone give the tags.
            tokens.append(new_words)
            tags.append(encode_spans(len(new_words), spans, self.scheme))
            changed.append(new_words != list(words))
        return Perturbed(_with_sentences(split, tokens, tags), changed)


@dataclass(frozen=True)
class UpperCaseOutside:
    """Upper-cases every word outside the gold mentions ("the" -> "THE"), keeping the tags (`mentions=False`:
    every word)."""

    mentions: bool = True
    name: str = "case-upper-outside"
    kind: str = "INV"
    task: str = TASK

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        return _outside(split, lambda word, rng: word.upper(), self.name, seed, mentions=self.mentions)


@dataclass(frozen=True)
class TyposOutside:
    """One typo (two adjacent letters swapped, or one dropped) in each word of >= 4 letters outside the mentions,
    with probability `rate` (at least one such word per sentence that has one)."""

    rate: float = 0.2
    mentions: bool = True
    name: str = "typos-outside"
    kind: str = "INV"
    task: str = TASK

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        def change(word: str, rng: random.Random) -> str:
            return _typo(word, rng) if rng.random() < self.rate else word

        return _outside(split, change, self.name, seed, fallback=_typo, mentions=self.mentions)


def _outside(split: Split, change, name: str, seed: int, fallback=None, *, mentions: bool = True) -> Perturbed:
    tokens: list[list[str]] = []
    changed: list[bool] = []
    for example_id, words, gold in zip(split.ids, split.field("tokens") or [], split.field("tags") or [], strict=True):
        rng = random.Random(f"{seed}:{name}:{example_id}")
        inside = {i for _, start, end in conlleval_entities(list(gold)) for i in range(start, end + 1)} if mentions else set()
        eligible = [i for i, word in enumerate(words) if i not in inside and _typo_word(word)]
        new_words = [word if i in inside else change(word, rng) for i, word in enumerate(words)]
        if fallback is not None and new_words == list(words) and eligible:
            chosen = rng.choice(eligible)
            new_words[chosen] = fallback(words[chosen], rng)
        tokens.append(new_words)
        changed.append(new_words != list(words))
    return Perturbed(_with_sentences(split, tokens, [list(t) for t in split.field("tags") or []]), changed)


def _candidates(split: Split) -> dict[str, list[tuple[str, ...]]]:
    """Every mention's words per type in the split, and the built-in person and place names, sorted."""
    found: dict[str, set[tuple[str, ...]]] = {}
    for words, gold in zip(split.field("tokens") or [], split.field("tags") or [], strict=True):
        for type_, start, end in conlleval_entities(list(gold)):
            found.setdefault(type_, set()).add(tuple(words[start:end + 1]))
    names = json.loads((resources.files("benchhub") / "resources" / "probes" / "names.json").read_text(encoding="utf-8"))
    for type_, key in (("PER", "first_names"), ("LOC", "places")):
        if type_ in found:
            found[type_].update((name,) for name in names[key])
    return {type_: sorted(values) for type_, values in found.items()}


def _with_sentences(split: Split, tokens: list[list[str]], tags: list[list[str]]) -> Split:
    return Split(split.name, list(split.ids), [" ".join(words) for words in tokens], fields={"tokens": tokens, "tags": tags})


def _typo_word(word: str) -> bool:
    return len(word) >= MIN_TYPO_LETTERS and word.isalpha()


def _typo(word: str, rng: random.Random) -> str:
    return typo(word, rng) if _typo_word(word) else word
