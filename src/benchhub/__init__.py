"""benchhub: a self-hosted evaluation hub for machine-learning models, transformers first.

`import benchhub` stays light: torch, transformers and scikit-learn load only when a model runs.
"""

from benchhub._version import __version__
from benchhub.config import HubConfig
from benchhub.errors import (
    AccuracyGateError,
    AuthenticationError,
    BenchhubError,
    ColumnNotFoundError,
    ConflictError,
    DatasetFormatError,
    DatasetNotFoundError,
    ExportError,
    InvalidInputError,
    LabelMappingError,
    LimitExceededError,
    ModelNotFoundError,
    NameTakenError,
    NotFoundError,
    PermissionDeniedError,
    PredictionsFormatError,
    UnsafeModelError,
)
from benchhub.hub import Hub
from benchhub.results import (
    Benchmark,
    Board,
    DatasetInfo,
    Evaluation,
    Leaderboard,
    LeaderboardRow,
    ModelRecord,
    OptimizeResult,
    SpeedResult,
    SplitInfo,
    Submission,
    TokenRecord,
    UserRecord,
)

__all__ = [
    "AccuracyGateError",
    "AuthenticationError",
    "BenchhubError",
    "Benchmark",
    "Board",
    "ColumnNotFoundError",
    "ConflictError",
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
    "LimitExceededError",
    "ModelNotFoundError",
    "ModelRecord",
    "NameTakenError",
    "NotFoundError",
    "OptimizeResult",
    "PermissionDeniedError",
    "PredictionsFormatError",
    "SpeedResult",
    "SplitInfo",
    "Submission",
    "TokenRecord",
    "UnsafeModelError",
    "UserRecord",
    "__version__",
]
