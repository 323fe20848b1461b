"""The multiple-choice probe: the choices asked in other orders (choice-order sensitivity and CircularEval).

`rotate_choices(split, shift)` rotates each question's choices by `shift` positions (the choice at position
`shift` comes first) and moves the gold index with them; questions with fewer than two choices stay as they are.

`ChoiceRotations` ("choice-rotation", INV) asks every question in up to `max_orders` orders of its choices, the
original included: all k rotations where a question has k <= max_orders choices (default 5), else the original and
the shifts round(j * k / max_orders) for j = 1 .. max_orders - 1. Each rotation is one split run through the engine.
Its result holds:
- `flip_rate`: choice-order sensitivity, the share of questions asked in another order whose chosen choice *text*
  (not position) differs from the original order's under at least one rotation;
- `value`: acc averaged over the orders each question is asked in (a model that always picks the first choice
  gets 1/k on k-choice questions, whatever the gold positions), and `drop_points` from the original order's acc;
- `circular_acc`: CircularEval as OpenCompass and MMBench define it, a question right only if it is answered right
  in every one of its orders.
The rotations are fixed by the choices, so `seed` moves only the bootstrap intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.metrics.bootstrap import mean_intervals
from benchhub.probes.base import Perturbed
from benchhub.tasks.base import metric_entry
from benchhub.tasks.multiple_choice.reading import CHOICES, GOLD

TASK = "multiple-choice"
MAX_ORDERS = 5


def rotate_choices(split: Split, shifts: list[int]) -> Perturbed:
    """Each question's choices rotated by its shift (`shifts[i]`, taken modulo its number of choices), gold moved along."""
    choices, gold = split.field(CHOICES) or [], split.field(GOLD)
    new_choices, new_gold, changed = [], [], []
    for i, options in enumerate(choices):
        k = len(options)
        shift = shifts[i] % k if k >= 2 else 0
        new_choices.append(list(options[shift:]) + list(options[:shift]))
        changed.append(shift != 0)
        if gold is not None:
            new_gold.append((gold[i] - shift) % k if shift else gold[i])
    fields = {name: list(values) for name, values in split.fields.items()}
    fields[CHOICES] = new_choices
    if gold is not None:
        fields[GOLD] = new_gold
    rotated = Split(name=split.name, ids=list(split.ids), texts=list(split.texts), text_pairs=split.text_pairs,
                    labels=None if split.labels is None else list(split.labels), fields=fields)
    return Perturbed(rotated, changed)


def order_shifts(k: int, max_orders: int = MAX_ORDERS) -> list[int]:
    """The shifts a k-choice question is asked in besides the original order (see the module docstring)."""
    if k < 2:
        return []
    if k <= max_orders:
        return list(range(1, k))
    return [round(j * k / max_orders) for j in range(1, max_orders)]


@dataclass(frozen=True)
class ChoiceRotations:
    """INV, compound: every question asked in up to `max_orders` rotations of its choices (module docstring)."""

    max_orders: int = MAX_ORDERS
    name: str = "choice-rotation"
    kind: str = "INV"
    task: str = TASK

    def __post_init__(self) -> None:
        if isinstance(self.max_orders, bool) or not isinstance(self.max_orders, int) or self.max_orders < 2:
            raise InvalidInputError(f"The 'max_orders' parameter of ChoiceRotations must be an int of at least 2. "
                                    f"Got {self.max_orders!r} instead.")

    def variants(self, split: Split, *, seed: int) -> list[Perturbed]:
        """One split per rotation: the j-th shifts each question by its j-th shift (unchanged where it has none)."""
        shifts = [order_shifts(len(options), self.max_orders) for options in split.field(CHOICES) or []]
        rounds = max((len(s) for s in shifts), default=0)
        return [rotate_choices(split, [s[j] if j < len(s) else 0 for s in shifts]) for j in range(rounds)]

    def combine(self, split: Split, base_rows: list[dict[str, Any]], variants: list[Perturbed],
                variant_rows: list[list[dict[str, Any]]], *, base_metrics: dict[str, Any], seed: int) -> dict[str, Any]:
        before = {row["id"]: row for row in base_rows}
        after = [{row["id"]: row for row in rows} for rows in variant_rows]
        original = split.field(CHOICES) or []
        flipped, right, circular, shown = [], [], [], []
        for i, example_id in enumerate(split.ids):
            first = before[example_id]
            rows = [(variant.split.field(CHOICES)[i], by_id[example_id])
                    for variant, by_id in zip(variants, after, strict=True) if variant.changed[i]]
            correct = [bool(first["correct"]), *(bool(row["correct"]) for _, row in rows)]
            right.append(float(np.mean(correct)))
            circular.append(float(all(correct)))
            if not rows:
                continue
            chosen = _picked(original[i], first["predicted"])
            answers = [_picked(choices, row["predicted"]) for choices, row in rows]
            flipped.append(float(any(answer != chosen for answer in answers)))
            if flipped[-1] and len(shown) < 5:
                shown.append({"id": example_id, "before": chosen, "after": answers})
        flips = np.array(flipped)
        intervals = mean_intervals({"acc": np.array(right), "circular_acc": np.array(circular),
                                    **({"flip_rate": flips} if len(flips) else {})}, seed=seed)
        value = metric_entry(float(np.mean(right)), intervals["acc"].low, intervals["acc"].high)
        return {
            "changed": len(flips), "examples": len(split), "orders": self.max_orders,
            "flip_rate": float(flips.mean()) if len(flips) else 0.0,
            "flip_rate_ci": [intervals["flip_rate"].low, intervals["flip_rate"].high] if len(flips) else None,
            "metric": "acc", "value": value, "base": base_metrics["acc"],
            "drop_points": (float(base_metrics["acc"]["value"]) - value["value"]) * 100.0,
            "circular_acc": metric_entry(float(np.mean(circular)), intervals["circular_acc"].low,
                                         intervals["circular_acc"].high),
            "examples_flipped": shown,
        }


def _picked(choices: list[str], index: int | None) -> str | None:
    """The text of the choice a row picked; None where it picked none (a generated letter that named no choice)."""
    return None if index is None else choices[index]
