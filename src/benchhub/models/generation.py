"""Generating text with a local language model: one generated string per example, whatever the batch.

A `TextGenerator` is a model adapter (`models.base.Model`) over a `LanguageModel`:

    texts --Prompting--> prompt strings --tokenizer, truncated--> Prompt items --generate, Decoding--> strings

A causal model reads a prompt (the input placed in a template, then the tokenizer's chat template as the user
turn, where it has one and it is not turned off) and its batches are padded on the left, so every prompt ends
where generation starts; transformers' `generate` derives the position ids from the attention mask, so padding
moves no position. A seq2seq model reads the input as it is (or in a template, where one is given) and its
encoder inputs are padded on the right. Only the new tokens are decoded, special tokens skipped, the text cut at
the first stop sequence and stripped of surrounding whitespace.

Greedy and beam search decode in transformers. Sampling draws each example's tokens with a random generator of
its own, seeded from the sampling seed and the example's id, by the Gumbel-max trick over the temperature- and
top-p-warped scores: an example's text depends on its id and the seed, not on its batch or its position.
"""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.base import ModelInfo
from benchhub.models.checkpoints import quiet_transformers
from benchhub.models.language_models import LanguageModel

INPUT_FIELD = "{input}"
# lm-evaluation-harness's delimiters: between a few-shot example's prompt and its answer, and after the example.
TARGET_DELIMITER, FEWSHOT_DELIMITER = " ", "\n\n"


@dataclass(frozen=True)
class Decoding:
    """How tokens are chosen: greedy by default; `num_beams` > 1 for beam search; `do_sample` to sample (with
    `temperature`, `top_p` and `seed`). Generation stops after `max_new_tokens`, at the end-of-sequence token, or
    at a `stop` sequence."""

    max_new_tokens: int = 128
    num_beams: int = 1
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int = 0
    stop: tuple[str, ...] = ()

    def provenance(self) -> dict[str, Any]:
        """The settings as an evaluation's provenance shows them."""
        return {"max_new_tokens": self.max_new_tokens, "num_beams": self.num_beams, "do_sample": self.do_sample,
                "temperature": self.temperature, "top_p": self.top_p, "seed": self.seed, "stop": list(self.stop)}

    def __post_init__(self) -> None:
        if self.do_sample and self.num_beams > 1:
            raise InvalidInputError("Sampling and beam search do not combine here; set num_beams to 1 to sample, or "
                                    "leave do_sample off for beam search.")


@dataclass(frozen=True)
class Prompting:
    """How an input becomes a prompt: placed in `template` at "{input}" (None: as it is), then, for causal models
    whose tokenizer has a chat template and with `chat_template` on, rendered as the user turn after an optional
    `system_prompt`, with the assistant's generation prompt."""

    template: str | None = None
    chat_template: bool = True
    system_prompt: str | None = None
    fewshot: tuple[tuple[str, str], ...] = ()  # (input, reference) pairs shown before every input

    def __post_init__(self) -> None:
        if self.template is not None and INPUT_FIELD not in self.template:
            raise InvalidInputError(f"The prompt template must hold {INPUT_FIELD} where the input goes. "
                                    f"Got {self.template!r} instead.")

    def plain(self, template: str | None, text: str) -> str:
        """The prompt as one text: each few-shot example's prompt, " " and its reference, then "\n\n"; then the input's."""
        shots = "".join(f"{place(template, shot)}{TARGET_DELIMITER}{answer}{FEWSHOT_DELIMITER}" for shot, answer in self.fewshot)
        return shots + place(template, text)

    def messages(self, template: str | None, text: str) -> list[dict[str, str]]:
        """The prompt as chat turns: the system prompt, each few-shot example as a user turn and its reference as the
        assistant's, then the input's user turn."""
        turns = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        for shot, answer in self.fewshot:
            turns += [{"role": "user", "content": place(template, shot)}, {"role": "assistant", "content": answer}]
        return [*turns, {"role": "user", "content": place(template, text)}]


def place(template: str | None, text: str) -> str:
    """`text` in `template` at "{input}" (as it is without a template)."""
    return text if template is None else template.replace(INPUT_FIELD, text)


@dataclass(frozen=True)
class Prompt:
    """One example's item: its prompt's token ids and its sampling seed."""

    ids: tuple[int, ...]
    seed: int = 0


@dataclass(frozen=True)
class TokenTiming:
    """One generation call as `bench` sees it: when its first new token came (`time.perf_counter()`), and how many
    tokens it generated over the whole batch."""

    first_token_at: float | None
    generated_tokens: int


class _FirstToken:
    """A generation streamer that notes when the first new tokens arrive: `generate` hands it the prompt (or a
    seq2seq model's start token) first, then each step's new tokens."""

    def __init__(self) -> None:
        self.calls, self.seen_at = 0, None

    def put(self, value: Any) -> None:
        self.calls += 1
        if self.calls == 2:
            self.seen_at = time.perf_counter()

    def end(self) -> None:
        pass


@dataclass
class TextGenerator:
    """Generates one text per example with a loaded language model (`inputs` picks each example's input text from
    a split; by default the split's texts). A causal model's prompt is `prompting.template`, or `causal_template`
    where that is None. `max_length` bounds the prompt in tokens (the encoder input for seq2seq); a causal model's
    prompt also leaves room for `max_new_tokens` within the model's positions."""

    model: LanguageModel
    decoding: Decoding = field(default_factory=Decoding)
    prompting: Prompting = field(default_factory=Prompting)
    max_length: int = 1024
    causal_template: str | None = None
    inputs: Callable[[Split], Sequence[str]] | None = None
    info: ModelInfo = field(init=False)

    def __post_init__(self) -> None:
        if self.causal_template is not None:
            Prompting(template=self.causal_template)  # checks it holds {input}
        self.template = self.prompting.template or (None if self.model.encoder_decoder else self.causal_template)
        self.chat = chat_template_text(self.model.tokenizer) if self.uses_chat_template else None
        self.budget = self._prompt_budget()
        base = self.model.info
        self.info = ModelInfo(parameters=base.parameters, size_bytes=base.size_bytes, load_seconds=base.load_seconds,
                              extra={**base.extra, "max_length": self.budget, "generation": self.provenance()})

    @property
    def uses_chat_template(self) -> bool:
        return (not self.model.encoder_decoder and self.prompting.chat_template
                and getattr(self.model.tokenizer, "chat_template", None) is not None)

    def provenance(self) -> dict[str, Any]:
        """What fixed the generated texts besides the checkpoint: the decoding, the prompt template and the chat
        template's SHA-256 (None where none was applied)."""
        decoding = self.decoding
        return {
            "decoding": decoding.provenance(),
            "prompt_template": self.template,
            "system_prompt": self.prompting.system_prompt if self.chat is not None else None,
            "fewshot": len(self.prompting.fewshot),
            "chat_template_sha256": hashlib.sha256(self.chat.encode("utf-8")).hexdigest() if self.chat else None,
            "padding": "right" if self.model.encoder_decoder else "left",
        }

    # The Model protocol ------------------------------------------------------------------------
    def encode(self, split: Split) -> list[Prompt]:
        texts = list(self.inputs(split) if self.inputs is not None else split.texts)
        return [Prompt(self._prompt_ids(text), example_seed(self.decoding.seed, example_id))
                for example_id, text in zip(split.ids, texts, strict=True)]

    def length(self, item: Prompt) -> int:
        return len(item.ids)

    def predict(self, items: Sequence[Prompt]) -> list[str]:
        return self._generate(items, None)[0]

    def timed_predict(self, items: Sequence[Prompt]) -> tuple[list[str], TokenTiming]:
        """`predict`, with when the first new token came (None under beam search, which picks tokens only at the end)
        and how many tokens were generated (up to and including the end-of-sequence token): what `bench` reports."""
        first = _FirstToken() if self.decoding.num_beams == 1 else None
        texts, new = self._generate(items, first)
        return texts, TokenTiming(first.seen_at if first is not None else None, self._generated_tokens(new))

    def _generate(self, items: Sequence[Prompt], streamer: Any) -> tuple[list[str], Any]:
        import torch

        tokenizer, decoding = self.model.tokenizer, self.decoding
        ids, mask = self._padded(items)
        options: dict[str, Any] = {"max_new_tokens": decoding.max_new_tokens, "num_beams": decoding.num_beams,
                                   "do_sample": False, "pad_token_id": tokenizer.pad_token_id}
        if decoding.do_sample:
            options["logits_processor"] = sampling_processors(decoding, [item.seed for item in items], ids.device)
        if decoding.stop:
            options.update(stop_strings=list(decoding.stop), tokenizer=tokenizer)
        # Quiet: generate's notices (e.g. on padding, which the attention mask covers) are not for the user.
        if streamer is not None:
            options["streamer"] = streamer
        with torch.inference_mode(), quiet_transformers():
            output = self.model.network.generate(input_ids=ids, attention_mask=mask, **options)
        new = output[:, 1:] if self.model.encoder_decoder else output[:, ids.shape[1]:]  # seq2seq: after the start token
        return [cut_at_stop(text, decoding.stop).strip()
                for text in tokenizer.batch_decode(new, skip_special_tokens=True)], new

    def _generated_tokens(self, new: Any) -> int:
        """The tokens generated in every row, up to and including its first end-of-sequence token (rows that end
        early are filled with padding)."""
        eos = self.model.network.generation_config.eos_token_id
        ends = set(eos if isinstance(eos, (list, tuple)) else [] if eos is None else [eos])
        ends.add(self.model.tokenizer.pad_token_id)
        total = 0
        for row in new.tolist():
            total += next((index + 1 for index, token in enumerate(row) if token in ends), len(row))
        return total

    # Prompts -----------------------------------------------------------------------------------
    def prompt_text(self, text: str) -> str:
        """The prompt an input becomes, as a string."""
        if self.chat is None:
            return self.prompting.plain(self.template, text)
        messages = self.prompting.messages(self.template, text)
        try:
            return self.model.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        except Exception as error:  # a Jinja template raises what it likes (e.g. "System role not supported")
            raise InvalidInputError(f"The model's chat template refused the prompt ({str(error).splitlines()[0][:160]}); "
                                    "turn the chat template off (--no-chat-template) or drop the system prompt.") from None

    def _tokens(self, prompt: str) -> list[int]:
        # A chat template writes the model's own special tokens (a begin-of-text marker) into the prompt.
        return list(self.model.tokenizer(prompt, add_special_tokens=self.chat is None)["input_ids"])

    def _prompt_ids(self, text: str) -> tuple[int, ...]:
        """The prompt's ids within the budget: the input is cut at its end, so the template around it stays whole
        (a causal model reads the template's last words, "Summary:", just before it generates)."""
        ids = self._tokens(self.prompt_text(text))
        if len(ids) <= self.budget:
            return tuple(ids)
        if self.model.encoder_decoder and self.template is None:
            return tuple(self.model.tokenizer(text, truncation=True, max_length=self.budget)["input_ids"])
        words = self.model.tokenizer(text, add_special_tokens=False)["input_ids"]
        for _ in range(4):  # re-tokenizing a cut text can merge differently, so cut until it fits
            words = words[: max(0, len(words) - (len(ids) - self.budget))]
            ids = self._tokens(self.prompt_text(self.model.tokenizer.decode(words)))
            if len(ids) <= self.budget:
                return tuple(ids)
            if not words:
                break
        raise InvalidInputError(f"The prompt template alone is {len(ids)} tokens, more than the {self.budget} the prompt "
                                "may take; raise --max-length, lower --max-new-tokens or shorten the template.")

    def _prompt_budget(self) -> int:
        """The longest prompt in tokens: `max_length`, within the model's positions (for a causal model, less the
        tokens it generates)."""
        positions = model_positions(self.model)
        if self.model.encoder_decoder:
            return min(self.max_length, positions) if positions else self.max_length
        if positions is None:
            return self.max_length
        room = positions - self.decoding.max_new_tokens
        if room < 1:
            raise InvalidInputError(f"--max-new-tokens {self.decoding.max_new_tokens} leaves no room for a prompt in this "
                                    f"model's {positions} positions; lower it.")
        return min(self.max_length, room)

    def _padded(self, items: Sequence[Prompt]) -> tuple[Any, Any]:
        """Token ids and attention mask: causal prompts padded on the left, encoder inputs on the right."""
        import torch

        width, pad = max(len(item.ids) for item in items), self.model.tokenizer.pad_token_id
        ids = torch.full((len(items), width), pad, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for row, item in enumerate(items):
            start = 0 if self.model.encoder_decoder else width - len(item.ids)
            ids[row, start:start + len(item.ids)] = torch.tensor(item.ids, dtype=torch.long)
            mask[row, start:start + len(item.ids)] = 1
        return ids.to(self.model.device), mask.to(self.model.device)


def takes_images_or_audio(architecture: str) -> bool:
    """Whether transformers defines `architecture` as a model class, and no text seq2seq or causal LM class of that
    name exists (WhisperForConditionalGeneration, LlavaForConditionalGeneration, ...)."""
    known, text = _architecture_names()
    return architecture in known and architecture not in text


@functools.cache
def _architecture_names() -> tuple[frozenset[str], frozenset[str]]:
    """Every model class transformers' auto classes map to, and those of AutoModelForSeq2SeqLM and AutoModelForCausalLM."""
    from transformers.models.auto import modeling_auto

    def names(mapping: dict[str, Any]) -> set[str]:
        return {name for value in mapping.values() for name in ((value,) if isinstance(value, str) else value)}

    known = set().union(*(names(value) for key, value in vars(modeling_auto).items()
                          if key.endswith("_MAPPING_NAMES") and isinstance(value, dict)))
    text = names(modeling_auto.MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES) | names(modeling_auto.MODEL_FOR_CAUSAL_LM_MAPPING_NAMES)
    return frozenset(known), frozenset(text)


def chat_template_text(tokenizer: Any) -> str | None:
    """The chat template `apply_chat_template` uses by default, or None where the tokenizer has none."""
    if getattr(tokenizer, "chat_template", None) is None:
        return None
    try:
        return str(tokenizer.get_chat_template())
    except ValueError as error:  # several named templates and none of them "default"
        raise InvalidInputError(f"The tokenizer's chat template cannot be chosen ({str(error).splitlines()[0][:160]}); "
                                "turn it off with --no-chat-template.") from None


def model_positions(model: LanguageModel) -> int | None:
    """How many positions the network has (learned position embeddings), or None where its config states none."""
    config = model.config
    for name in ("n_positions", "max_position_embeddings"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def example_seed(seed: int, example_id: Any) -> int:
    """An example's own sampling seed, from the run's seed and the example's id (not its position in a batch)."""
    digest = hashlib.sha256(f"{seed}\0{example_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """The text up to the first stop sequence in it (all of it where none occurs)."""
    ends = [index for index in (text.find(s) for s in stop if s) if index >= 0]
    return text[: min(ends)] if ends else text


def sampling_processors(decoding: Decoding, seeds: Sequence[int], device: Any) -> Any:
    """Temperature, top-p and per-example Gumbel noise: greedy decoding over these scores samples each row from the
    warped distribution with that row's own generator."""
    import torch
    from transformers import (
        LogitsProcessor,
        LogitsProcessorList,
        TemperatureLogitsWarper,
        TopPLogitsWarper,
    )

    class GumbelNoise(LogitsProcessor):
        def __init__(self) -> None:
            self.generators = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]

        def __call__(self, input_ids: Any, scores: Any) -> Any:
            uniform = torch.stack([torch.rand(scores.shape[-1], generator=g, device=device, dtype=torch.float32)
                                   for g in self.generators])
            uniform = uniform.clamp(torch.finfo(torch.float32).tiny, 1.0 - torch.finfo(torch.float32).eps)
            return scores.float() - torch.log(-torch.log(uniform))

    processors = [TemperatureLogitsWarper(decoding.temperature)]
    if decoding.top_p < 1.0:
        processors.append(TopPLogitsWarper(decoding.top_p))
    return LogitsProcessorList([*processors, GumbelNoise()])
