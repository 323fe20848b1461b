"""The evaluation settings of the text-to-text families: how a local language model is prompted and decodes.

Each is a transformers setting (`Task.transformers_defaults`), so every value, defaults included, is part of an
evaluation's task config, its cache key and its provenance. A family states its default prompt template for causal
models (`TextToTextFamily.prompt_default`); `prompt_template` left unset takes it (seq2seq models then read the input
as it is), and the template a run applied is in its provenance. The chat template's text is the checkpoint's
(tokenizer_config.json or chat_template.jinja), which the model's fingerprint, and so the cache key, covers.
"""

from __future__ import annotations

import math
from typing import Any

from benchhub.errors import InvalidInputError
from benchhub.tasks.base import FamilyOption, check_count

LONGEST_TEXT = 20_000  # characters of a prompt template or a system prompt
MOST_STOPS = 16

GENERATION_SETTINGS = (
    FamilyOption("max_new_tokens", "The most tokens a local language model generates per example.", int),
    FamilyOption("num_beams", "Beams of a local language model's beam search (default 1: greedy decoding).", int),
    FamilyOption("do_sample", "Sample instead of greedy decoding (default off); each example draws with a seed of its "
                              "own, made of --sampling-seed and its id, so batches change nothing.", bool),
    FamilyOption("temperature", "With --do-sample: the sampling temperature (default 1.0).", float),
    FamilyOption("top_p", "With --do-sample: nucleus sampling's top-p (default 1.0: off).", float),
    FamilyOption("sampling_seed", "With --do-sample: the seed (default 0).", int),
    FamilyOption("stop", "A stop sequence: the generated text is cut before the first one, and generation stops there "
                         "(repeat for several).", list),
    FamilyOption("prompt_template", "The prompt, with {input} where the input goes (default: the family's for causal "
                                    "language models; seq2seq models read the input as it is).", str),
    FamilyOption("chat_template", "Put a causal language model's prompt in its tokenizer's chat template as the user "
                                  "turn, where it has one (default on).", bool),
    FamilyOption("system_prompt", "With a chat template: a system turn before the prompt.", str),
)


def generation_defaults(*, max_length: int, max_new_tokens: int) -> tuple[tuple[str, Any], ...]:
    """A family's transformers settings: the longest prompt in tokens, and the generation settings' defaults."""
    return (("max_length", max_length), ("max_new_tokens", max_new_tokens), ("num_beams", 1), ("do_sample", False),
            ("temperature", 1.0), ("top_p", 1.0), ("sampling_seed", 0), ("stop", None), ("prompt_template", None),
            ("chat_template", True), ("system_prompt", None))


def check_generation_setting(name: str, value: Any) -> None:
    """Refuses a bad value of one of the settings above (or of max_length), naming its option."""
    def refuse(allowed: str) -> None:
        raise InvalidInputError.naming(lambda spell: f"{spell.setting(name)} must be {allowed}. Got {value!r} instead.")

    if name in ("do_sample", "chat_template"):
        if not isinstance(value, bool):
            refuse("true or false")
    elif name in ("temperature", "top_p"):
        number = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
        if not number or value <= 0 or (name == "top_p" and value > 1):
            refuse("a number in (0, 1]" if name == "top_p" else "a finite number above 0")
    elif name in ("prompt_template", "system_prompt"):
        if not isinstance(value, str) or not value.strip() or len(value) > LONGEST_TEXT:
            refuse(f"a non-empty text of at most {LONGEST_TEXT} characters")
        if name == "prompt_template" and "{input}" not in value:
            refuse("a text with {input} where the input goes")
    elif name == "stop":
        stops = [value] if isinstance(value, str) else value
        if (not isinstance(stops, (list, tuple)) or not 1 <= len(stops) <= MOST_STOPS
                or not all(isinstance(s, str) and s for s in stops)):
            refuse(f"one to {MOST_STOPS} non-empty texts")
    else:
        check_count(name, value, low=0 if name == "sampling_seed" else 1)


def generator_options(settings: dict[str, Any], *, prompt_default: str,
                      fewshot: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """`TextGenerator`'s keywords from an evaluation's settings and the dataset's few-shot examples (`prompt_default`
    where no template is set and the model is causal is decided by the generator, which knows the model's kind)."""
    from benchhub.models.generation import Decoding, Prompting

    stop = settings.get("stop") or ()
    decoding = Decoding(
        max_new_tokens=settings["max_new_tokens"], num_beams=settings["num_beams"], do_sample=settings["do_sample"],
        temperature=float(settings["temperature"]), top_p=float(settings["top_p"]), seed=settings["sampling_seed"],
        stop=(stop,) if isinstance(stop, str) else tuple(stop),
    )
    prompting = Prompting(template=settings.get("prompt_template"), chat_template=settings["chat_template"],
                          system_prompt=settings.get("system_prompt"), fewshot=fewshot)
    return {"decoding": decoding, "prompting": prompting, "max_length": settings["max_length"],
            "causal_template": prompt_default}
