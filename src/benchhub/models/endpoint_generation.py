"""Generating text through an OpenAI-compatible server: the `TextGenerator` of a model behind an endpoint.

Each example is one request, made of the same settings a local model takes (`models/generation.py`'s
`Decoding` and `Prompting`): on the completions route the prompt is the input in the template (the server
sees plain text, so no chat template is applied); on the chat route the templated input is the user turn,
after the system prompt, and the server applies its own chat template. Greedy decoding is temperature 0;
sampling sends the temperature, top-p and each example's own seed (made of the sampling seed and the
example's id, as locally; servers that ignore seeds sample as they like, which the provenance cannot
know). Stop sequences go to the server and the text is cut at them again. Beam search is refused: the
OpenAI API has none. Answers come from the client's cache where the same request was answered before;
`bench` streams every request instead (`timed_predict`), bypassing the cache, to time the first token.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.base import ModelInfo
from benchhub.models.endpoints import EndpointClient, completion_text
from benchhub.models.generation import (
    Decoding,
    Prompting,
    TokenTiming,
    cut_at_stop,
    example_seed,
    place,
)


@dataclass(frozen=True)
class EndpointPrompt:
    """One example's request: its prompt text and sampling seed."""

    text: str
    seed: int = 0


@dataclass
class EndpointGenerator:
    """One generated text per example from the server behind `client` (`inputs` picks each example's input text
    from a split; by default the split's texts). `causal_template` is the family's prompt where the settings
    name none."""

    client: EndpointClient
    decoding: Decoding = field(default_factory=Decoding)
    prompting: Prompting = field(default_factory=Prompting)
    max_length: int = 1024
    causal_template: str | None = None
    inputs: Callable[[Split], Sequence[str]] | None = None
    info: ModelInfo = field(init=False)

    def __post_init__(self) -> None:
        if self.decoding.num_beams > 1:
            raise InvalidInputError("An OpenAI-compatible endpoint does not search beams; leave --num-beams at 1 (greedy "
                                    "or --do-sample).")
        self.template = self.prompting.template or self.causal_template
        self.chat = self.client.endpoint.route == "chat"
        if self.chat and not self.prompting.chat_template:
            raise InvalidInputError("A chat endpoint applies the server's own chat template, so --no-chat-template cannot "
                                    "turn it off; register the server's completions route to send plain prompts.")
        self.info = ModelInfo(load_seconds=0.0, extra={"endpoint": self.client.endpoint.options(),
                                                       "generation": self.provenance()})

    def provenance(self) -> dict[str, Any]:
        """What fixed the generated texts besides the server's model: the decoding, the template and the route."""
        decoding = self.decoding
        return {
            # Greedy is temperature 0 on the wire.
            "decoding": {**decoding.provenance(), "temperature": decoding.temperature if decoding.do_sample else 0.0},
            "prompt_template": self.template,
            "system_prompt": self.prompting.system_prompt if self.chat else None,
            "fewshot": len(self.prompting.fewshot),
            "chat_template": "the server's (chat route)" if self.chat else None,
            "max_length": "not applied: the server truncates or refuses a prompt longer than its model reads",
        }

    # The Model protocol ------------------------------------------------------------------------
    def encode(self, split: Split) -> list[EndpointPrompt]:
        texts = list(self.inputs(split) if self.inputs is not None else split.texts)
        return [EndpointPrompt(self.prompt_text(text), example_seed(self.decoding.seed, example_id))
                for example_id, text in zip(split.ids, texts, strict=True)]

    def length(self, item: EndpointPrompt) -> int:
        return len(item.text)

    def predict(self, items: Sequence[EndpointPrompt]) -> list[str]:
        answers = self.client.send_all([self.request(item) for item in items])
        self.info.extra["responses"] = {"sent": self.client.sent, "cached": self.client.cache.hits}
        return [cut_at_stop(completion_text(answer), self.decoding.stop).strip() for answer in answers]

    def timed_predict(self, items: Sequence[EndpointPrompt]) -> tuple[list[str], TokenTiming]:
        """`predict` as `bench` times it: every request streamed, `concurrency` at a time and never from the cache;
        the first text of any of them is the call's first token, and the tokens are the servers' counts."""
        bodies = [self.request(item) for item in items]
        workers = max(1, min(self.client.endpoint.concurrency, len(bodies)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            answers = list(pool.map(self.client.stream, bodies))
        firsts = [answer.first_at for answer in answers if answer.first_at is not None]
        tokens = sum(answer.tokens or 0 for answer in answers)
        return ([cut_at_stop(answer.text, self.decoding.stop).strip() for answer in answers],
                TokenTiming(first_token_at=min(firsts) if firsts else None, generated_tokens=tokens))

    # Requests ----------------------------------------------------------------------------------
    def prompt_text(self, text: str) -> str:
        """The completions route's prompt (few-shot examples first); the chat route sends the input's turn here."""
        return place(self.template, text) if self.chat else self.prompting.plain(self.template, text)

    def request(self, item: EndpointPrompt) -> dict[str, Any]:
        """The request body of one example (the client adds the model's name)."""
        decoding = self.decoding
        body: dict[str, Any] = {"max_tokens": decoding.max_new_tokens}
        if self.chat:
            *turns, _ = self.prompting.messages(self.template, "")
            body["messages"] = [*turns, {"role": "user", "content": item.text}]
        else:
            body["prompt"] = item.text
        if decoding.do_sample:
            body.update(temperature=decoding.temperature, top_p=decoding.top_p, seed=item.seed)
        else:
            body["temperature"] = 0.0
        if decoding.stop:
            body["stop"] = list(decoding.stop)
        return body
