"""AddSent-style distractors: a sentence that looks like the question but answers a different one.

The sentence is built from the question alone, deterministically: the wh-phrase is dropped, named
entities (capitalised words past the first) are swapped for built-in names, numbers for other numbers
of the same shape (years for other years), and a fake answer of the gold answer's type takes the wh-
phrase's place: "Who designed Harrow Point Lighthouse?" → "Edwin Talbot designed Varnley Brook
Lighthouse." It goes at the end of the context (AddOneSent) or, with `position="start"`, before it.

The hard rule: a distractor never contains a gold answer. A candidate whose SQuAD-normalised text
holds any normalised gold answer (or, case-folded, its raw text) is rejected and the next one is
tried; after `ATTEMPTS` rejected candidates the example stays unchanged.
"""

from __future__ import annotations

import random
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
    example_rng,
    require_qa_split,
)

ATTEMPTS = 12

FIRST_NAMES = ("Edwin", "Clara", "Otto", "Miriam", "Felix", "Ingrid", "Rufus", "Agnes", "Silas", "Hilda",
               "Ivo", "Petra", "Casper", "Lorna", "Basil", "Greta")
SURNAMES = ("Talbot", "Brandt", "Okafor", "Lindqvist", "Morrow", "Castellan", "Pryce", "Vance", "Halloran",
            "Dusek", "Fairweather", "Kimura", "Abernethy", "Quill", "Sorensen", "Whitlock")
PLACES = ("Varnley", "Ostrava", "Kelmscott", "Dunmore", "Brightwater", "Corrigan", "Ashfell", "Tarrow",
          "Lindholm", "Pellham", "Ravensworth", "Mirecourt", "Halvik", "Stonebury", "Eldermoor", "Caldris")
ORGANISATIONS = ("the Varnley Trust", "the Northern Guild", "the Pellham Society", "the Caldris Company",
                 "the Ashfell Board", "the Harbour Commission")
COMMON_ANSWERS = ("copper", "a flood", "sparrows", "limestone", "beetles", "wool", "a landslide", "herons",
                  "salt", "moths", "a drought", "tin", "barley", "gravel", "pine resin", "clay")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
                "fifteen", "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million")
# Capitalised words that name a kind of thing rather than one thing; keeping them keeps the overlap.
GENERIC_NAMES = frozenset({
    "river", "lake", "canal", "lighthouse", "bridge", "street", "road", "university", "college", "school",
    "council", "company", "church", "cathedral", "castle", "island", "islands", "mountain", "mount", "park",
    "museum", "hall", "aqueduct", "railway", "station", "war", "act", "party", "army", "king", "queen",
    "north", "south", "east", "west", "sea", "ocean", "valley", "tower", "abbey", "house",
})

WH_WORDS = frozenset({"who", "whom", "whose", "what", "when", "where", "which", "why", "how"})
HOW_MODIFIERS = frozenset({"many", "much", "long", "often", "tall", "far", "old", "big", "large", "high",
                           "deep", "wide", "heavy", "fast", "early", "late"})
DO_AUX = frozenset({"do", "does", "did"})
AUX = DO_AUX | frozenset({"is", "are", "was", "were", "has", "have", "had", "can", "could", "will", "would",
                          "should", "may", "might", "must"})
DETERMINERS = frozenset({"the", "a", "an", "its", "his", "her", "their", "this", "that", "these", "those",
                         "each", "every", "our", "my", "your"})
ADVERBS = frozenset({"first", "last", "ever", "still", "also", "once", "later", "then", "now"})
PARTICIPLES = frozenset({"lit", "built", "made", "known", "found", "born", "held", "sold", "called", "won",
                         "led", "set", "put", "run", "begun", "written", "given", "taken", "seen", "kept",
                         "left", "lost", "paid", "sent", "spent", "taught", "thought", "brought", "bought"})
SUBJECT_WH = frozenset({"who", "what", "which", "whose"})

_WORD = re.compile(r"[A-Za-z0-9£$€][A-Za-z0-9'’,.\-]*[A-Za-z0-9%]|[A-Za-z0-9]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"1\d{3}|20\d{2}")


@dataclass(frozen=True)
class Distractor:
    """INV: adds a question-like sentence with a wrong answer to every context (see the module doc).

    `position` is "end" (answers keep their offsets) or "start" (every answer_start moves by the
    distractor's length plus one space). Unanswerable questions get a distractor too and stay
    unanswerable.
    """

    position: str = "end"
    kind: str = "INV"
    task: str = TASK

    def __post_init__(self) -> None:
        if self.position not in ("end", "start"):
            raise ValueError(f"Distractor position must be 'end' or 'start'. Got {self.position!r} instead.")

    @property
    def name(self) -> str:
        return "qa-distractor" if self.position == "end" else "qa-distractor-start"

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        contexts, golds = require_qa_split(split, self.name)
        new_contexts, new_answers, changed = [], [], []
        for example_id, question, context, answers in zip(split.ids, split.texts, contexts, golds, strict=True):
            sentence = distractor_sentence(question, answers["text"], example_rng(seed, self.name, example_id))
            changed.append(sentence is not None)
            if sentence is None:
                new_contexts.append(context)
                new_answers.append(copy_answers(answers))
            else:
                new_context, new_gold = insert_sentence(context, answers, sentence, self.position)
                new_contexts.append(new_context)
                new_answers.append(new_gold)
        return Perturbed(changed_split(split, new_contexts, new_answers, self.name), changed)


def insert_sentence(context: str, answers: Answers, sentence: str, position: str) -> tuple[str, Answers]:
    """The context with `sentence` added at its end or start, and the answers moved to match."""
    if position == "end":
        separator = "" if not context or context[-1].isspace() else " "
        return context + separator + sentence, copy_answers(answers)
    shift = len(sentence) + 1
    return f"{sentence} {context}", {"text": list(answers["text"]),
                                     "answer_start": [start + shift for start in answers["answer_start"]]}


def distractor_sentence(question: str, golds: list[str], rng: random.Random) -> str | None:
    """The first candidate distractor that holds no gold answer, or None after `ATTEMPTS` candidates.

    Half of the candidates keep every question word; the later half drop the words that overlap a
    gold answer, for questions that quote their own answer.
    """
    avoid = {gold for gold in (normalize_answer(text) for text in golds) if gold}
    for attempt in range(ATTEMPTS):
        candidate = build_candidate(question, golds, rng, drop=avoid if attempt >= ATTEMPTS // 2 else set())
        if not holds_gold(candidate, golds):
            return candidate
    return None


def holds_gold(sentence: str, golds: list[str]) -> bool:
    """Whether `sentence` contains a gold answer, normalised as SQuAD scores it or case-folded raw."""
    normalised = normalize_answer(sentence)
    for gold in golds:
        target = normalize_answer(gold)
        if (target and target in normalised) or gold.strip().lower() in sentence.lower():
            return True
    return False


def build_candidate(question: str, golds: list[str], rng: random.Random, *, drop: set[str]) -> str:
    """One distractor candidate: the question's swapped words rearranged around a fake answer."""
    words = _WORD.findall(question)
    swaps: dict[str, str] = {}
    words = [word if index == 0 else _swap_word(word, rng, swaps) for index, word in enumerate(words)]
    if drop:
        words = [word for word in words if not _overlaps(word, drop)] or words[:1]
    wh = next((i for i, word in enumerate(words) if word.lower() in WH_WORDS), None)
    if wh is None:
        return _sentence(words + [_fake_answer(golds, "", rng)])
    kind = words[wh].lower()
    prefix = words[:wh]
    preposition = prefix.pop().lower() if prefix and prefix[-1].lower() in ("in", "on", "at", "by", "from", "to") else ""
    j = wh + 1
    noun: list[str] = []
    if kind == "how" and j < len(words) and words[j].lower() in HOW_MODIFIERS:
        kind = f"how {words[j].lower()}"
        j += 1
    if kind in ("how many", "how much", "what", "which"):
        end = next((k for k in range(j, min(j + 4, len(words))) if words[k].lower() in AUX), None)
        if end is not None:
            noun, j = words[j:end], end
        elif kind in ("how many", "how much") and j < len(words):
            noun, j = words[j : j + 1], j + 1
        if [word.lower() for word in noun] == ["year"]:
            kind, noun = "when", []
    fake = _fake_answer(golds, kind, rng)
    if kind in ("when", "where") or (preposition and not noun):
        fake = f"{preposition or 'in'} {fake}"
    phrase = [fake, *noun]
    rest = words[j:]
    if kind in SUBJECT_WH and not noun and (not rest or rest[0].lower() not in DO_AUX):
        return _sentence(prefix + phrase + rest)  # "Who designed X?" → "<fake> designed X."
    if kind in ("how many", "how much") and (not rest or rest[0].lower() not in AUX):
        return _sentence(prefix + phrase + rest)  # "How many keepers lived...?" → "<n> keepers lived..."
    if rest and rest[0].lower() in AUX:
        aux, rest = rest[0], rest[1:]
        if aux.lower() not in DO_AUX:
            rest = _place_aux(rest, aux)
    return _sentence(prefix + rest + phrase)


def _place_aux(words: list[str], aux: str) -> list[str]:
    """Puts a moved auxiliary before the participle ("the lighthouse was first lit") or after the subject."""
    at = next((i for i in range(1, len(words)) if _is_participle(words[i])), None)
    if at is not None:
        while at > 1 and (words[at - 1].lower() in ADVERBS or words[at - 1].lower().endswith("ly")):
            at -= 1
    elif words and words[0].lower() in DETERMINERS:
        at = min(2, len(words))
    else:
        at = min(1, len(words))
    return words[:at] + [aux] + words[at:]


def _is_participle(word: str) -> bool:
    lower = word.lower()
    return lower in PARTICIPLES or (len(lower) > 4 and lower.endswith(("ed", "en")) and word.islower())


def _swap_word(word: str, rng: random.Random, swaps: dict[str, str]) -> str:
    if word not in swaps:
        swaps[word] = _swapped(word, rng, set(swaps.values()))
    return swaps[word]


def _swapped(word: str, rng: random.Random, used: set[str]) -> str:
    if _NUMBER.search(word):
        return _swap_numbers(word, rng)
    if word.lower() in NUMBER_WORDS[:-3]:
        return _swap_number_word(word, rng)
    if word in MONTHS:
        return rng.choice([month for month in MONTHS if month != word])
    if word[0].isupper() and word != "I" and word.lower() not in GENERIC_NAMES:
        suffix = word[-2:] if word.endswith(("'s", "’s")) else ""
        return rng.choice([place for place in PLACES if place != word and place + suffix not in used]) + suffix
    return word


def _swap_numbers(text: str, rng: random.Random) -> str:
    """`text` with every number replaced by a different one of the same shape."""
    return _NUMBER.sub(lambda match: _swap_number(match.group(), rng), text)


def _swap_number(number: str, rng: random.Random) -> str:
    if _YEAR.fullmatch(number):
        year = int(number)
        offsets = [offset for offset in range(-60, 61) if offset and 1000 <= year + offset <= 2099]
        return str(year + rng.choice(offsets))
    swapped = number
    for _ in range(20):  # "0" has no other shape; anything else differs within a few draws
        digits = [c if not c.isdigit() else str(rng.randrange(1 if i == 0 else 0, 10))
                  for i, c in enumerate(number)]
        if number[0] == "0":
            digits[0] = "0"
        swapped = "".join(digits)
        if swapped != number:
            break
    return swapped


def _swap_number_word(word: str, rng: random.Random) -> str:
    return rng.choice([other for other in NUMBER_WORDS[:-3] if other != word.lower()])


def _fake_answer(golds: list[str], kind: str, rng: random.Random) -> str:
    """A wrong answer of the gold answer's type (or, for unanswerable questions, the question's type)."""
    gold = golds[0].strip() if golds else ""
    if gold and _is_numeric(gold):
        swaps: dict[str, str] = {}
        return _WORD.sub(lambda match: _swap_word(match.group(), rng, swaps), gold)
    if gold in MONTHS:
        return rng.choice([month for month in MONTHS if month != gold])
    if gold:
        bare = gold[4:] if gold.lower().startswith("the ") else gold
        if bare[:1].isupper():
            if kind == "who" and not gold.lower().startswith("the "):
                return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            if kind == "who":
                return rng.choice(ORGANISATIONS)
            return ("the " if bare is not gold else "") + rng.choice(PLACES)
        return rng.choice(COMMON_ANSWERS)
    if kind == "when":
        return str(rng.randrange(1700, 2000))
    if kind.startswith("how "):
        return str(rng.randrange(2, 1000))
    if kind in ("who", "whom", "whose"):
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    if kind == "where":
        return rng.choice(PLACES)
    return rng.choice(COMMON_ANSWERS)


def _is_numeric(text: str) -> bool:
    return bool(_NUMBER.search(text)) or any(word.lower() in NUMBER_WORDS for word in text.split())


def _overlaps(word: str, golds: set[str]) -> bool:
    normal = normalize_answer(word)
    return bool(normal) and any(normal in gold or gold in normal for gold in golds)


def _sentence(words: list[str]) -> str:
    text = " ".join(word for word in words if word)
    return (text[:1].upper() + text[1:] + ".") if text else "."
