"""Built-in multiple-choice baselines, by name: the position floor and two choices-only shortcuts."""

from __future__ import annotations

from benchhub.tasks.multiple_choice.baselines.choices_only import ChoicesOnlyBaseline
from benchhub.tasks.multiple_choice.baselines.longest_choice import (
    LongestChoiceBaseline,
)
from benchhub.tasks.multiple_choice.baselines.majority_position import (
    MajorityPositionBaseline,
)

BASELINES: dict[str, type] = {
    baseline.name: baseline for baseline in (MajorityPositionBaseline, LongestChoiceBaseline, ChoicesOnlyBaseline)
}
