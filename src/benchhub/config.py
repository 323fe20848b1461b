"""Where a hub lives: its home folder, database URL and artifact folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from benchhub.errors import ConfigError

HOME_VARIABLE = "BENCHHUB_HOME"
DATABASE_VARIABLE = "BENCHHUB_DATABASE_URL"


@dataclass(frozen=True)
class HubConfig:
    """The locations of one hub installation."""

    home: Path
    database_url: str

    @property
    def artifacts(self) -> Path:
        return self.home / "artifacts"

    def require_artifacts(self) -> None:
        """For a worker on another machine: the hub must be there already (opening it would make an empty one)."""
        if not self.artifacts.is_dir():
            raise ConfigError(f"the hub's artifact folder {self.artifacts} is not on this machine: every worker needs it "
                              f"at the same path (a shared file system; see docs/scaling.md)")

    @classmethod
    def from_env(cls, home: str | os.PathLike[str] | None = None, database_url: str | None = None) -> HubConfig:
        """Reads `BENCHHUB_HOME` and `BENCHHUB_DATABASE_URL`, with explicit arguments taking precedence."""
        raw_home = home if home is not None else os.environ.get(HOME_VARIABLE) or "~/.benchhub"
        resolved = Path(raw_home).expanduser().resolve()
        url = database_url or os.environ.get(DATABASE_VARIABLE) or f"sqlite:///{resolved / 'hub.db'}"
        if "://" not in url:
            raise ConfigError(
                f"{DATABASE_VARIABLE}={url!r} is not a database URL; use a SQLAlchemy URL such as "
                f"'sqlite:////path/hub.db' or 'postgresql+psycopg://user@host/db'."
            )
        return cls(home=resolved, database_url=url)
