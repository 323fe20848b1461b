"""Choosing by generated letters through an OpenAI-compatible server (`--choice-by letters`): for servers that
return no prompt log-probabilities, and for chat models.

Each question is one request: the question with its lettered choices (`letters.py`'s prompt), on the
completions route as the prompt, on the chat route as one user turn (the server applies its chat template),
with `temperature: 0` and `max_tokens` 8. The choice is the letter `letters.parse_letter` reads from the
generated text; an answer it reads none from is wrong, and the run's provenance counts it as `unparsed`. A
choice alone scores `acc` only: `acc_norm` divides log-likelihoods by the choices' lengths, and there are none.
The dataset's own prompt template and few-shot prefix are for scoring continuations, so they are not used (a
dataset with a few-shot prefix is refused in one line rather than asked without its shots).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.base import ModelInfo
from benchhub.models.endpoints import EndpointClient, completion_text
from benchhub.tasks.multiple_choice.letters import (
    MAX_TOKENS,
    TEMPLATE,
    letters_prompt,
    parse_letter,
)
from benchhub.tasks.multiple_choice.outputs import ChoicePrediction
from benchhub.tasks.multiple_choice.reading import CHOICES

PARSE_RULE = ("the first letter standing alone that names one of the question's choices (uppercase anywhere; lowercase "
              "in brackets or as the whole answer); none: unparsed, counted wrong")


@dataclass(frozen=True)
class LetterQuestion:
    """One question's request: its prompt and how many choices its letters range over."""

    example_id: Any
    prompt: str
    choices: int


class LetterChooser:
    """Asks the server behind `client` for the letter of each question's right choice."""

    def __init__(self, client: EndpointClient, *, num_fewshot: int = 0) -> None:
        if num_fewshot:
            raise InvalidInputError(f"This dataset puts {num_fewshot} answered questions before each one (--num-fewshot), "
                                    "written for scoring choices by log-likelihood; --choice-by letters asks without "
                                    "shots, so register the dataset again without --num-fewshot to ask by letter.")
        self.client = client
        self.chat = client.endpoint.route == "chat"
        self.unparsed = 0
        self.info = ModelInfo(load_seconds=0.0, extra={
            "endpoint": client.endpoint.options(), "choice_by": "letters",
            "letters": {"prompt_template": TEMPLATE, "route": "one user turn (chat)" if self.chat else "prompt (completions)",
                        "temperature": 0.0, "max_tokens": MAX_TOKENS, "parse": PARSE_RULE},
            "unparsed": 0})

    def encode(self, split: Split) -> list[LetterQuestion]:
        self.unparsed = 0  # counted per run: a loaded model may run several splits
        self.info.extra["unparsed"] = 0
        return [LetterQuestion(example_id, letters_prompt(text, choices), len(choices))
                for example_id, text, choices in zip(split.ids, split.texts, split.field(CHOICES) or [], strict=True)]

    def length(self, item: LetterQuestion) -> int:
        return len(item.prompt)

    def predict(self, items: Sequence[LetterQuestion]) -> list[ChoicePrediction]:
        answers = self.client.send_all([self.request(item) for item in items])
        predictions = []
        for item, answer in zip(items, answers, strict=True):
            text = completion_text(answer)
            predictions.append(ChoicePrediction(parse_letter(text, item.choices), generated=text))
        self.unparsed += sum(p.choice is None for p in predictions)
        self.info.extra["unparsed"] = self.unparsed
        self.info.extra["responses"] = {"sent": self.client.sent, "cached": self.client.cache.hits}
        return predictions

    def request(self, item: LetterQuestion) -> dict[str, Any]:
        """The request body of one question (the client adds the model's name)."""
        asked: dict[str, Any] = ({"messages": [{"role": "user", "content": item.prompt}]} if self.chat
                                 else {"prompt": item.prompt})
        return {**asked, "max_tokens": MAX_TOKENS, "temperature": 0.0}
