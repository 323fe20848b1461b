"""Drawing few-shot examples: K rows of a dataset's train split, once, with lm-evaluation-harness's default seed."""

from __future__ import annotations

import random

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError

FEWSHOT_SEED = 1234
FEWSHOT_SPLIT = "train"


def draw_fewshot(splits: dict[str, Split], shots: object, *, rows: str = "examples") -> tuple[Split, list[int]] | None:
    """The train split and the positions of its `shots` rows drawn with `random.Random(1234)`; None for 0 shots.
    Refuses in one line (naming train's `rows`, e.g. questions) a count that is not a whole number >= 0, a dataset without train, and more than train holds."""
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 0:
        raise InvalidInputError(f"--num-fewshot must be an int in the range [0, inf). Got {shots!r} instead.")
    if shots == 0:
        return None
    train = splits.get(FEWSHOT_SPLIT)
    if train is None:
        raise InvalidInputError(f"--num-fewshot {shots} draws its examples from a split named 'train', and this dataset has "
                                "none; register one with --split train=PATH, or leave --num-fewshot out.")
    if shots > len(train):
        raise InvalidInputError(f"--num-fewshot {shots} is more than the {len(train)} {rows} of the train split; give "
                                f"at most {len(train)}.")
    return train, random.Random(FEWSHOT_SEED).sample(range(len(train)), shots)


def fewshot_split(options: dict[str, object]) -> str | None:
    """The split a dataset's stored few-shot examples were drawn from (they are in every prompt), or None."""
    if not options.get("num_fewshot"):
        return None
    return str(options.get("fewshot_split", FEWSHOT_SPLIT))
