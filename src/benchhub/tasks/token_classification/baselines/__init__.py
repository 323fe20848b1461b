"""Built-in token-classification baselines, by name: the floor, the memorization shortcut, a linear tagger."""

from __future__ import annotations

from benchhub.tasks.token_classification.baselines.feature_logreg import (
    FeatureLogRegBaseline,
)
from benchhub.tasks.token_classification.baselines.majority_tag import (
    MajorityTagBaseline,
)
from benchhub.tasks.token_classification.baselines.memorization import (
    MemorizationBaseline,
)

BASELINES: dict[str, type] = {
    baseline.name: baseline for baseline in (MajorityTagBaseline, MemorizationBaseline, FeatureLogRegBaseline)
}

