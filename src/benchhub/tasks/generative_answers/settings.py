"""A generative-answers dataset's registration settings: how answers are normalised and found in text.

They are fixed when the dataset is registered and stored in its options, so every evaluation, submission and
paired test of the dataset reads answers the same way, and every result's provenance names the rules.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from benchhub.errors import InvalidInputError
from benchhub.tasks.base import FamilyOption
from benchhub.tasks.text_to_text.fewshot import NUM_FEWSHOT

NORMALIZATIONS = ("squad", "none")
OCCURRENCES = ("first", "last")
# Patterns are the maintainers' and short; a longer one is a mistake (a file pasted in), not a rule.
PATTERN_MAX = 1000
GSM8K_PATTERN = r"#### (\-?[0-9\.\,]+)"

DATASET_SETTINGS = (
    FamilyOption("normalization", "How answers are normalised before they are compared: squad (default; the SQuAD "
                                  "scripts' lower-casing, ASCII punctuation and the articles a/an/the dropped, whitespace "
                                  "collapsed) or none (as written; --ignore-case and --ignore-punctuation then apply)."),
    FamilyOption("ignore_case", "With --normalization none: lower-case before comparing, as lm-evaluation-harness's "
                                "exact_match ignore_case.", bool),
    FamilyOption("ignore_punctuation", "With --normalization none: drop ASCII punctuation before comparing, as "
                                       "lm-evaluation-harness's exact_match ignore_punctuation.", bool),
    FamilyOption("answer_regex", "A regular expression that finds the answer in the generated text: the first non-empty "
                                 f"capture group of its first match (e.g. '{GSM8K_PATTERN}' or 'The answer is (.*)'); "
                                 "no match is no answer, scored wrong. Default: the whole text."),
    FamilyOption("answer_occurrence", "Which match of --answer-regex holds the answer: first (default) or last, as "
                                      "lm-evaluation-harness's group_select 0 and -1."),
    FamilyOption("reference_regex", "A regular expression that finds the answer in each reference, for references "
                                    "written with their workings (GSM8K's end '#### 72': '#### (.*)'); every reference "
                                    "must match. Default: the whole reference."),
    NUM_FEWSHOT,
)
NAMES = tuple(option.name for option in DATASET_SETTINGS if option is not NUM_FEWSHOT)  # what AnswerSettings holds


@dataclass(frozen=True)
class AnswerSettings:
    """The rules one dataset's answers are read and compared by (see `metrics.py`)."""

    normalization: str = "squad"
    ignore_case: bool = False
    ignore_punctuation: bool = False
    answer_regex: str | None = None
    answer_occurrence: str = "first"
    reference_regex: str | None = None

    @classmethod
    def from_settings(cls, settings: dict[str, Any], *, family: str = "generative-answers") -> AnswerSettings:
        """The settings given at registration, each checked (one line naming the option); defaults for the rest."""
        unknown = [name for name in settings if name not in NAMES]
        if unknown:
            raise InvalidInputError.naming(lambda spell: f"{spell.setting(unknown[0])} does not apply to {family} "
                                                         f"datasets; they take {', '.join(map(spell.setting, NAMES))}.")
        normalization = settings.get("normalization", "squad")
        _check_choice("normalization", normalization, NORMALIZATIONS)
        for flag in ("ignore_case", "ignore_punctuation"):
            value = settings.get(flag, False)
            if not isinstance(value, bool):
                raise InvalidInputError.naming(lambda spell: f"{spell.setting(flag)} must be true or false. Got {value!r} instead.")
            if value and normalization != "none":
                raise InvalidInputError.naming(
                    lambda spell: f"{spell.setting(flag)} applies with {spell.setting('normalization')} none; the squad "
                                  "normalisation already lower-cases and drops punctuation.")
        occurrence = settings.get("answer_occurrence", "first")
        _check_choice("answer_occurrence", occurrence, OCCURRENCES)
        patterns = {name: settings.get(name) for name in ("answer_regex", "reference_regex")}
        for name, pattern in patterns.items():
            if pattern is not None:
                compiled_pattern(name, pattern)
        if occurrence != "first" and patterns["answer_regex"] is None:
            raise InvalidInputError.naming(lambda spell: f"{spell.setting('answer_occurrence')} applies with "
                                                         f"{spell.setting('answer_regex')}; give the pattern too.")
        return cls(normalization, settings.get("ignore_case", False), settings.get("ignore_punctuation", False),
                   patterns["answer_regex"], occurrence, patterns["reference_regex"])

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> AnswerSettings:
        """The settings a registered dataset stored (`to_options`)."""
        return cls(**{name: options[name] for name in NAMES if name in options})

    def to_options(self) -> dict[str, Any]:
        """Every setting, defaults included, as the dataset stores them (and results report them)."""
        return asdict(self)


def compiled_pattern(name: str, pattern: Any) -> re.Pattern[str]:
    """A setting's regular expression compiled, with at least one capture group, or one line naming the setting."""
    example = f"'{GSM8K_PATTERN}'" if name == "answer_regex" else "'#### (.*)'"
    if not isinstance(pattern, str) or not pattern:
        raise InvalidInputError.naming(lambda spell: f"{spell.setting(name)} must be a regular expression with a "
                                                     f"capture group, e.g. {example}. Got {pattern!r} instead.")
    if len(pattern) > PATTERN_MAX:
        raise InvalidInputError.naming(lambda spell: f"{spell.setting(name)} is {len(pattern)} characters long; give a "
                                                     f"pattern of at most {PATTERN_MAX}.")
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        reason = str(error)
        raise InvalidInputError.naming(lambda spell: f"{spell.setting(name)} is not a Python regular expression "
                                                     f"({reason}); give one with a capture group, e.g. {example}.") from None
    if compiled.groups == 0:
        raise InvalidInputError.naming(lambda spell: f"{spell.setting(name)} {pattern!r} has no capture group; put the "
                                                     "answer in parentheses, e.g. 'The answer is (.*)'.")
    return compiled


def _check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidInputError.naming(lambda spell: f"{spell.setting(name)} must be one of {', '.join(allowed)}. "
                                                     f"Got {value!r} instead.")
