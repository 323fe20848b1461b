"""The benchhub error tree.

    BenchhubError
    ├── ConfigError
    ├── InvalidInputError (ValueError)
    │   ├── DatasetFormatError
    │   ├── ColumnNotFoundError
    │   ├── PredictionsFormatError
    │   └── LabelMappingError
    ├── NameTakenError
    ├── NotFoundError (KeyError)
    │   ├── DatasetNotFoundError
    │   ├── ModelNotFoundError
    │   └── SplitNotFoundError
    ├── UnsafeModelError
    └── MissingDependencyError (ImportError)

The command line maps every BenchhubError to exit code 1 and prints its message on one line.

A message that names a task's settings or column roles is worded for each front end (`BenchhubError.naming`):
`str()` names them as the command line's options (`--doc-stride`, `--text-column`), which the `Hub`'s keywords
follow too; `in_fields` as the JSON API's fields (`settings.doc_stride`, `columns.text`), which the server shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

_Error = TypeVar("_Error", bound="BenchhubError")


@dataclass(frozen=True)
class Spelling:
    """How one front end names a task's settings ("doc_stride") and column roles ("text") in its messages."""

    setting: Callable[[str], str]
    column: Callable[[str], str]


OPTIONS = Spelling(setting=lambda name: f"--{name.replace('_', '-')}", column=lambda role: f"--{role.replace('_', '-')}-column")
FIELDS = Spelling(setting=lambda name: f"settings.{name}", column=lambda role: f"columns.{role}")


class BenchhubError(Exception):
    """Base class of every error benchhub raises on purpose."""

    fields_message: str | None = None

    @classmethod
    def naming(cls: type[_Error], wording: Callable[[Spelling], str]) -> _Error:
        """The error with `wording`'s message, whose settings and columns each front end reads in its own words:
        `raise InvalidInputError.naming(lambda spell: f"{spell.setting('doc_stride')} must be ...")`."""
        error = cls(wording(OPTIONS))
        error.fields_message = wording(FIELDS)
        return error

    @property
    def in_fields(self) -> str:
        """The message as the JSON API words it: settings and columns named as the request's fields."""
        return self.fields_message if self.fields_message is not None else str(self)

    def __str__(self) -> str:
        # KeyError quotes its message; a user should read plain text.
        return " ".join(str(arg) for arg in self.args)


class ConfigError(BenchhubError):
    """The hub's configuration (home, database URL) is unusable."""


class InvalidInputError(BenchhubError, ValueError):
    """A user-supplied value or file is not acceptable."""


class DatasetFormatError(InvalidInputError):
    """A dataset file cannot be read or breaks a rule of its task."""


class ColumnNotFoundError(InvalidInputError):
    """A mapped column is missing from a dataset file."""


class PredictionsFormatError(InvalidInputError):
    """A predictions file is malformed or does not cover the split exactly."""


class LabelMappingError(InvalidInputError):
    """A model's labels cannot be matched to a dataset's labels."""


class NameTakenError(BenchhubError):
    """A dataset or model name is already registered."""


class NotFoundError(BenchhubError, KeyError):
    """Something named by the user does not exist."""


class DatasetNotFoundError(NotFoundError):
    """No dataset is registered under that name."""


class ModelNotFoundError(NotFoundError):
    """No model is registered under that name."""


class SplitNotFoundError(NotFoundError):
    """The dataset has no split of that name."""


class UnsafeModelError(BenchhubError):
    """A model file would need unsafe loading (pickle, remote code)."""


class MissingDependencyError(BenchhubError, ImportError):
    """An optional package needed for this operation is not installed."""


class ExportError(BenchhubError):
    """A model could not be exported or optimized (unsupported architecture, exporter failure)."""


class AccuracyGateError(BenchhubError):
    """An optimized model lost more accuracy than allowed, so it was not registered."""


class AuthenticationError(BenchhubError):
    """No valid credentials: a missing, unknown or revoked API token (HTTP 401)."""


class PermissionDeniedError(BenchhubError):
    """Valid credentials without the role this action needs (HTTP 403)."""


class LimitExceededError(BenchhubError):
    """A submission limit (per day or in total) is reached (HTTP 429)."""


class ConflictError(BenchhubError):
    """The request conflicts with the current state, e.g. a closed phase or a reused idempotency key (HTTP 409)."""


# What a failed download says when the machine has no network (or the hub's offline mode is on).
_UNREACHABLE = ("ConnectError", "Name or service not known", "Temporary failure in name resolution", "Failed to resolve",
                "Network is unreachable", "Connection refused", "OfflineModeIsEnabled", "LocalEntryNotFoundError",
                "Couldn't reach")


def unreachable_hub(exc: BaseException) -> bool:
    """Whether a hub download failed because the hub cannot be reached (rather than, say, an unknown id)."""
    seen: BaseException | None = exc
    while seen is not None:
        if any(mark in f"{type(seen).__name__}: {seen}" for mark in _UNREACHABLE):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
