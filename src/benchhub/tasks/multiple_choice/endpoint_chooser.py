"""Scoring choices through an OpenAI-compatible server: each choice's log-likelihood from the server's echoed
prompt log-probabilities, as lm-evaluation-harness's OpenAI completions backend asks for them.

For every choice one `/v1/completions` request sends the context and the continuation as the prompt, and for
every question one more sends the context alone (its trailing spaces moved to the continuation), each with `echo:
true, logprobs: 1, max_tokens: 1, temperature: 0`. As lm-evaluation-harness's `_encode_pair` splits a request, the
continuation's tokens are those of the whole prompt after as many tokens as the context alone has (the server's
BOS, where it puts one, counts in both), and its log-likelihood is the sum of their echoed log-probabilities, the
last echoed token (the one generated) left out. Character offsets are not read: servers count them differently
(vLLM adds up the lengths of its token strings, a BOS's "<s>" included). Servers that return no prompt
log-probabilities (the chat route, `transformers serve`, Ollama) are refused in one line, which names `--choice-by
letters` (`letter_chooser.py`: the model answers with a choice's letter; acc only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.base import ModelInfo
from benchhub.models.endpoints import EndpointClient, prompt_logprobs
from benchhub.tasks.multiple_choice.outputs import ChoicePrediction
from benchhub.tasks.multiple_choice.prompts import Prompt
from benchhub.tasks.multiple_choice.reading import CHOICES

NO_LOGPROBS = ("The endpoint {url} returned no prompt log-probabilities for an echoed prompt (echo with logprobs), "
               "which scoring choices needs; servers such as vLLM return them on /v1/completions, while the chat route, "
               "transformers serve and Ollama do not. Ask for the choice's letter instead with --choice-by letters (acc "
               "only), or score the choices elsewhere and register a predictions file of log-likelihoods "
               '({{"id", "loglikelihoods"}}).')


@dataclass(frozen=True)
class EndpointQuestion:
    """One question's requests: its context and each choice's continuation."""

    example_id: Any
    context: str
    continuations: tuple[str, ...]


class EndpointChooser:
    """Scores every choice of a question through the server behind `client`."""

    def __init__(self, client: EndpointClient, *, prompt: Prompt) -> None:
        if client.endpoint.route != "completions":
            raise InvalidInputError("Scoring choices needs prompt log-probabilities, which only the completions route "
                                    "returns; register the server's /v1 base URL with --route completions, or ask for "
                                    "the choice's letter with --choice-by letters (acc only).")
        self.client, self.prompt = client, prompt
        self.info = ModelInfo(load_seconds=0.0, extra={"endpoint": client.endpoint.options(),
                                                       "choice_by": "loglikelihood",
                                                       "prompt_template": prompt.template,
                                                       "fewshot_prefix_chars": len(prompt.fewshot_prefix),
                                                       "loglikelihoods": "echoed prompt log-probabilities"})

    def encode(self, split: Split) -> list[EndpointQuestion]:
        return [EndpointQuestion(example_id, self.prompt.context(text),
                                 tuple(self.prompt.continuation(choice) for choice in choices))
                for example_id, text, choices in zip(split.ids, split.texts, split.field(CHOICES) or [], strict=True)]

    def length(self, item: EndpointQuestion) -> int:
        return len(item.context) * len(item.continuations) + sum(map(len, item.continuations))

    def predict(self, items: Sequence[EndpointQuestion]) -> list[ChoicePrediction]:
        bodies = [{"prompt": prompt, "max_tokens": 1, "temperature": 0.0, "echo": True, "logprobs": 1}
                  for item in items for prompt in (item.context.rstrip(), *(item.context + c for c in item.continuations))]
        answers = iter(self.client.send_all(bodies))
        self.info.extra["responses"] = {"sent": self.client.sent, "cached": self.client.cache.hits}
        predictions = []
        for item in items:
            context = len(self._echoed(next(answers))) - 1  # the context's tokens, the generated one left out
            predictions.append(ChoicePrediction.scored(tuple(self._loglikelihood(item, context, next(answers))
                                                             for _ in item.continuations)))
        return predictions

    def _echoed(self, answer: dict[str, Any]) -> list[float | None]:
        echoed = prompt_logprobs(answer)
        if echoed is None:
            raise InvalidInputError(NO_LOGPROBS.format(url=self.client.endpoint.url))
        return echoed[0]

    def _loglikelihood(self, item: EndpointQuestion, context: int, answer: dict[str, Any]) -> float:
        scored = self._echoed(answer)[context:-1]
        if not scored:
            raise InvalidInputError(NO_LOGPROBS.format(url=self.client.endpoint.url))
        if any(value is None for value in scored):
            raise InvalidInputError(f"Question {item.example_id!r}: the endpoint gave no log-probability for a token "
                                    "of the continuation (a server gives none for a prompt's first token); give the "
                                    "questions a prompt template with text before the question.")
        return float(sum(scored))  # type: ignore[arg-type]
