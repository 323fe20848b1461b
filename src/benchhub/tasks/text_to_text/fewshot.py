"""Few-shot prompts for the text-to-text families: answered train examples shown before every input.

As lm-evaluation-harness builds a `generate_until` request: each example is its prompt (the template with its input)
then the target delimiter " " and its first reference, then the few-shot delimiter "\\n\\n"; with a chat template
(or an endpoint's chat route), each example is a user turn and its reference the assistant's answer
(lm-evaluation-harness's `fewshot_as_multiturn`). The K examples are drawn once, when the dataset is registered,
from its train split only, with `random.Random(1234)` (lm-evaluation-harness's default few-shot seed), and the same
ones precede every input (lm-evaluation-harness draws them per input). They are a dataset option, internal: part of
the dataset's stored facts and so of every evaluation's cache key, never shown by the server.
"""

from __future__ import annotations

from typing import Any, Callable

from benchhub.data.fewshot import draw_fewshot
from benchhub.data.records import Split
from benchhub.tasks.base import FamilyOption
from benchhub.tasks.text_to_text.references import REFERENCES

EXAMPLES = "fewshot_examples"
NUM_FEWSHOT = FamilyOption(
    "num_fewshot", "Answered train examples a language model is shown before every input (each one's prompt and first "
    "reference; with a chat template, user and assistant turns), drawn once from the train split with seed 1234 "
    "(default 0).", int)


def fewshot_options(splits: dict[str, Split], settings: dict[str, Any], *,
                    inputs: Callable[[Split], list[str]]) -> dict[str, Any]:
    """The options a dataset stores for `num_fewshot`: K and the K (input, reference) pairs drawn from train."""
    shots = settings.get("num_fewshot", 0)
    drawn = draw_fewshot(splits, shots)
    if drawn is None:
        return {}
    train, picked = drawn
    texts, references = inputs(train), train.field(REFERENCES) or []
    return {"num_fewshot": shots, EXAMPLES: [[texts[i], references[i][0]] for i in picked]}


def fewshot_examples(options: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The (input, reference) pairs a dataset's options hold (none for datasets registered without)."""
    return tuple((str(text), str(reference)) for text, reference in options.get(EXAMPLES, ()))
