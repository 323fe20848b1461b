"""The prompt a language model scores a question's choices after, fixed when the dataset is registered.

As lm-evaluation-harness builds a `multiple_choice` request: the context is the few-shot prefix and then the
question rendered by the template (default ARC's `"Question: {question}\\nAnswer:"`), and each choice's
continuation is the target delimiter " " and then the choice's text. A few-shot example is its rendered
question, the delimiter and its gold choice, then the few-shot delimiter "\\n\\n". The K examples are drawn
once, from the train split only (never from a split whose answers may be hidden), with `random.Random(1234)`
(lm-evaluation-harness's default few-shot seed), and the same prefix precedes every question (lm-evaluation-
harness draws them per question). Template and prefix are dataset options, so they belong to the dataset's
stored facts and every evaluation's provenance.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchhub.data.fewshot import FEWSHOT_SEED, FEWSHOT_SPLIT, draw_fewshot
from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.tasks.multiple_choice.reading import CHOICES, GOLD

DEFAULT_TEMPLATE = "Question: {question}\nAnswer:"
PLACEHOLDERS = ("question",)
TARGET_DELIMITER = " "
FEWSHOT_DELIMITER = "\n\n"


@dataclass(frozen=True)
class Prompt:
    """A dataset's template and few-shot prefix; `context` and `continuation` build a question's request."""

    template: str = DEFAULT_TEMPLATE
    fewshot_prefix: str = ""

    @classmethod
    def of(cls, options: dict[str, Any]) -> Prompt:
        """The prompt stored in a dataset's options (the default one for datasets registered without any)."""
        return cls(str(options.get("prompt_template", DEFAULT_TEMPLATE)), str(options.get("fewshot_prefix", "")))

    def context(self, question: str) -> str:
        return self.fewshot_prefix + render(self.template, question)

    @staticmethod
    def continuation(choice: str) -> str:
        return TARGET_DELIMITER + choice


def check_template(template: Any) -> str:
    """The template, or one line saying what is wrong with it and what a template may hold."""
    allowed = f"a template holds {{question}} once or more and no other placeholder (write {{{{ and }}}} for braces), e.g. {DEFAULT_TEMPLATE!r}"
    if not isinstance(template, str) or not template:
        raise InvalidInputError(f"--prompt-template must be non-empty text; got {template!r:.60}. {allowed[0].upper()}{allowed[1:]}.")
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None]
    except ValueError as error:
        raise InvalidInputError(f"--prompt-template {template!r:.80} is not a valid template ({error}); {allowed}.") from None
    for name, spec, conversion in fields:
        if name not in PLACEHOLDERS or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise InvalidInputError(f"--prompt-template has the placeholder {shown}, which is not allowed; {allowed}.")
    if not fields:
        raise InvalidInputError(f"--prompt-template {template!r:.80} has no {{question}}, so every question would read the same; {allowed}.")
    return template


def render(template: str, question: str) -> str:
    return template.format(question=question)


def prompt_options(splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
    """The prompt options a dataset stores: its template, K, and the few-shot prefix drawn from its train split."""
    template = check_template(settings.get("prompt_template", DEFAULT_TEMPLATE))
    shots = settings.get("num_fewshot", 0)
    drawn = draw_fewshot(splits, shots, rows="questions")
    options: dict[str, Any] = {"prompt_template": template, "num_fewshot": shots}
    if drawn is None:
        return options
    train, picked = drawn
    prefix = fewshot_prefix(template, [train.texts[i] for i in picked],
                            [(train.field(CHOICES) or [])[i][(train.field(GOLD) or [])[i]] for i in picked])
    return {**options, "fewshot_seed": FEWSHOT_SEED, "fewshot_split": FEWSHOT_SPLIT,
            "fewshot_ids": [train.ids[i] for i in picked], "fewshot_prefix": prefix}


def fewshot_prefix(template: str, questions: Sequence[str], answers: Sequence[str]) -> str:
    """Each example's rendered question, the target delimiter and its answer, each followed by the few-shot delimiter."""
    return "".join(render(template, question) + TARGET_DELIMITER + answer + FEWSHOT_DELIMITER
                   for question, answer in zip(questions, answers, strict=True))
