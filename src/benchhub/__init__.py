"""benchhub: a self-hosted evaluation hub for machine-learning models, transformers first.

`import benchhub` stays light: torch, transformers and scikit-learn load only when a model runs.
"""

from benchhub._version import __version__
from benchhub.config import HubConfig
from benchhub.errors import (
    AccuracyGateError,
    BenchhubError,
    ColumnNotFoundError,
    DatasetFormatError,
    DatasetNotFoundError,
    ExportError,
    InvalidInputError,
    LabelMappingError,
    ModelNotFoundError,
    NameTakenError,
    NotFoundError,
    PredictionsFormatError,
    UnsafeModelError,
)
from benchhub.hub import Hub
from benchhub.results import DatasetInfo, Evaluation, Leaderboard, LeaderboardRow, ModelRecord, OptimizeResult, SpeedResult, SplitInfo

__all__ = [
    "AccuracyGateError",
    "BenchhubError",
    "ColumnNotFoundError",
    "DatasetFormatError",
    "DatasetInfo",
    "DatasetNotFoundError",
    "Evaluation",
    "ExportError",
    "Hub",
    "HubConfig",
    "InvalidInputError",
    "LabelMappingError",
    "Leaderboard",
    "LeaderboardRow",
    "ModelNotFoundError",
    "ModelRecord",
    "NameTakenError",
    "NotFoundError",
    "OptimizeResult",
    "PredictionsFormatError",
    "SpeedResult",
    "SplitInfo",
    "UnsafeModelError",
    "__version__",
]
