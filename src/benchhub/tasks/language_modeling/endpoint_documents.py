"""Scoring documents through an OpenAI-compatible server: each document's log-likelihood from the server's echoed
prompt log-probabilities (`/v1/completions` with `echo: true, logprobs: 1, max_tokens: 1, temperature: 0`).

lm-evaluation-harness's `loglikelihood_rolling` cuts a document into rolling windows of the model's context,
the first conditioned on a prefix token (the tokenizer's BOS, else its EOS), and sums every token's
log-probability once (`windows.py`). Its OpenAI backend cuts those windows with a local copy of the tokenizer
and sends token ids. An endpoint here is a URL and a model name, with no tokenizer beside it, so the cut
cannot be made by the server's tokens; instead each document is sent whole, as one window, which is what
lm-evaluation-harness computes for every document that fits the context. A document longer than the server's
context is refused by the server, and the run stops in one line saying so (score such documents with a local
model, or register them split into shorter documents).

The document's first token needs something before it to be scored. A server that puts the tokenizer's BOS
first (Llama-style tokenizers) gives it; a server whose tokenizer adds none (GPT-2 style) gives the first token
no log-probability, and the run is refused in one line unless `--document-prefix` names the text to put before
every document: the model's BOS or EOS token as text (`<|endoftext|>` for GPT-2), which the server's tokenizer
reads as that token, so the first token is conditioned as lm-evaluation-harness conditions it. The prefix's
own tokens are never scored: a document's log-likelihood is the sum of the echoed log-probabilities of the
tokens that end inside its text (a token across the boundary counts with the document). The chat route, and
servers that return no prompt log-probabilities (`transformers serve`, Ollama), are refused in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.base import ModelInfo
from benchhub.models.endpoints import EndpointClient, EndpointError, prompt_logprobs

NO_LOGPROBS = ("The endpoint {url} returned no prompt log-probabilities for an echoed prompt (echo with logprobs), "
               "which scoring documents needs; servers such as vLLM return them on /v1/completions, while transformers "
               'serve and Ollama do not. Score the documents elsewhere and register a predictions file ({{"id", '
               '"loglikelihood"}}).')
TOO_LONG = (" (language modeling sends each document whole, as one window: a document longer than the server's context "
            "is refused; score long documents with a local model, or register them split into shorter documents)")


@dataclass(frozen=True)
class EndpointDocument:
    """One document's request: the prefix and the document's text."""

    example_id: Any
    prefix: str
    text: str


class EndpointLanguageModel:
    """Each document's log-likelihood from the server behind `client`, after `prefix` (see the module's docstring)."""

    def __init__(self, client: EndpointClient, *, prefix: str | None = None) -> None:
        if client.endpoint.route != "completions":
            raise InvalidInputError("Scoring documents needs prompt log-probabilities, which only the completions route "
                                    "returns; register the server's /v1 base URL with --route completions.")
        self.client, self.prefix = client, prefix or ""
        self.info = ModelInfo(load_seconds=0.0, extra={
            "endpoint": client.endpoint.options(), "loglikelihoods": "echoed prompt log-probabilities",
            "windows": "one per document: each document sent whole (the server's tokens cannot be cut here)",
            "document_prefix": prefix})

    def encode(self, split: Split) -> list[EndpointDocument]:
        return [EndpointDocument(example_id, self.prefix, text) for example_id, text in zip(split.ids, split.texts, strict=True)]

    def length(self, item: EndpointDocument) -> int:
        return len(item.text)

    def predict(self, items: Sequence[EndpointDocument]) -> list[float]:
        bodies = [{"prompt": item.prefix + item.text, "max_tokens": 1, "temperature": 0.0, "echo": True, "logprobs": 1}
                  for item in items]
        try:
            answers = self.client.send_all(bodies)
        except EndpointError as error:
            message = str(error)
            raise EndpointError(message + TOO_LONG if "refused a request" in message else message) from error
        self.info.extra["responses"] = {"sent": self.client.sent, "cached": self.client.cache.hits}
        return [self._loglikelihood(item, answer) for item, answer in zip(items, answers, strict=True)]

    def _loglikelihood(self, item: EndpointDocument, answer: dict[str, Any]) -> float:
        echoed = prompt_logprobs(answer)
        if echoed is None:
            raise InvalidInputError(NO_LOGPROBS.format(url=self.client.endpoint.url))
        values, offsets = echoed
        start, end = len(item.prefix), len(item.prefix) + len(item.text)
        total, counted = 0.0, 0
        for index, (value, offset) in enumerate(zip(values, offsets, strict=True)):
            if offset >= end:  # the generated token after the echoed prompt
                break
            token_end = offsets[index + 1] if index + 1 < len(offsets) else end
            if token_end <= start:
                continue
            if value is None:
                raise InvalidInputError(
                    f"Document {item.example_id!r}: the endpoint gave its first token no log-probability (its tokenizer "
                    "puts no BOS token first); give --document-prefix the model's BOS or EOS token as text (e.g. "
                    "'<|endoftext|>' for GPT-2), which conditions the first token as lm-evaluation-harness does.")
            total += float(value)
            counted += 1
        if counted == 0:
            raise InvalidInputError(NO_LOGPROBS.format(url=self.client.endpoint.url))
        return total
