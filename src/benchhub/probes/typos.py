"""The typo every family's typo probes make: two adjacent letters swapped, or one letter dropped."""

from __future__ import annotations

import random


def typo(word: str, rng: random.Random) -> str:
    """`word` with one typo, drawn from `rng`: half the time two different adjacent letters swapped, else one dropped."""
    swappable = [j for j in range(len(word) - 1) if word[j] != word[j + 1]]
    if swappable and rng.random() < 0.5:
        j = rng.choice(swappable)
        return word[:j] + word[j + 1] + word[j] + word[j + 2:]
    j = rng.randrange(len(word))
    return word[:j] + word[j + 1:]
