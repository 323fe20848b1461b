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
first (Llama-style tokenizers) gives it; for a server whose tokenizer adds none (GPT-2 style), `--document-prefix`
names the text to put before every document: the model's BOS or EOS token as text (`<|endoftext|>` for GPT-2), which
the server's tokenizer reads as that token, so the first token is conditioned as lm-evaluation-harness conditions
it. Neither the BOS nor the prefix is scored: one more request (cached) echoes the prefix alone (the empty prompt
where none is given), and its echoed tokens but the one generated are taken as those every document's echo starts
with (true where the prefix is empty or a special token's text, which the tokenizer splits off first). A document's log-likelihood is the sum of the echoed
log-probabilities after those tokens and before the one generated token (lm-evaluation-harness's OpenAI backend
sums `token_logprobs[ctxlen:-1]` the same way). Character offsets are not read: servers count them differently
(vLLM adds up the lengths of its token strings). A document whose first token gets no log-probability (no BOS and
no prefix) is refused in one line naming `--document-prefix`, as is a server that refuses the empty prompt. The
chat route, and servers that return no prompt log-probabilities (`transformers serve`, Ollama), are refused in one
line.
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
ECHO = {"max_tokens": 1, "temperature": 0.0, "echo": True, "logprobs": 1}
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
        self.skipped: int | None = None  # the prefix's echoed tokens, counted once per run
        self.info = ModelInfo(load_seconds=0.0, extra={
            "endpoint": client.endpoint.options(), "loglikelihoods": "echoed prompt log-probabilities",
            "windows": "one per document: each document sent whole (the server's tokens cannot be cut here)",
            "document_prefix": prefix})

    def encode(self, split: Split) -> list[EndpointDocument]:
        self.skipped = None
        return [EndpointDocument(example_id, self.prefix, text) for example_id, text in zip(split.ids, split.texts, strict=True)]

    def length(self, item: EndpointDocument) -> int:
        return len(item.text)

    def predict(self, items: Sequence[EndpointDocument]) -> list[float]:
        if self.skipped is None:
            self.skipped = self.prefix_tokens()
        skipped = self.skipped
        answers = self._send([{"prompt": item.prefix + item.text, **ECHO} for item in items])
        self.info.extra["responses"] = {"sent": self.client.sent, "cached": self.client.cache.hits}
        return [self._loglikelihood(item, answer, skipped) for item, answer in zip(items, answers, strict=True)]

    def prefix_tokens(self) -> int:
        """How many echoed tokens come before a document's: the server's BOS, if it puts one, and the prefix's."""
        try:
            answer = self.client.send({"prompt": self.prefix, **ECHO})
        except EndpointError as error:
            if self.prefix:
                raise
            raise InvalidInputError(f"{error} (language modeling echoes the empty prompt to count the tokens the server "
                                    "puts before a document; give --document-prefix, the model's BOS or EOS token as "
                                    "text, to count those instead)") from error
        values = self._echoed(answer)
        self.info.extra["prefix_tokens"] = len(values) - 1
        return len(values) - 1

    def _send(self, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            return self.client.send_all(bodies)
        except EndpointError as error:
            message = str(error)
            raise EndpointError(message + TOO_LONG if "refused a request" in message else message) from error

    def _echoed(self, answer: dict[str, Any]) -> list[float | None]:
        echoed = prompt_logprobs(answer)
        if echoed is None:
            raise InvalidInputError(NO_LOGPROBS.format(url=self.client.endpoint.url))
        return echoed[0]

    def _loglikelihood(self, item: EndpointDocument, answer: dict[str, Any], skipped: int) -> float:
        scored = self._echoed(answer)[skipped:-1]  # the last is the generated token
        if not scored:
            raise InvalidInputError(NO_LOGPROBS.format(url=self.client.endpoint.url))
        if scored[0] is None:
            raise InvalidInputError(
                f"Document {item.example_id!r}: the endpoint gave its first token no log-probability (its tokenizer "
                "puts no BOS token first); give --document-prefix the model's BOS or EOS token as text (e.g. "
                "'<|endoftext|>' for GPT-2), which conditions the first token as lm-evaluation-harness does.")
        if any(value is None for value in scored):
            raise InvalidInputError(f"Document {item.example_id!r}: the endpoint gave a token inside it no log-probability; "
                                    "its answer cannot be scored.")
        return float(sum(scored))  # type: ignore[arg-type]
