"""The server's own scoring worker: a thread started with the server, so jobs a killed server left behind resume.

At startup it claims what is queued and what a dead worker's expired lease left `running`, then polls
every few seconds (a submission wakes it at once); at shutdown it stops before the hub closes. A hub
whose scoring runs in `benchhub worker` processes turns it off (`benchhub serve --no-worker`, or
BENCHHUB_IN_PROCESS_SCORING=0).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, Request

IN_PROCESS_VARIABLE = "BENCHHUB_IN_PROCESS_SCORING"
_lock = threading.Lock()


@dataclass(frozen=True)
class WorkerSettings:
    """Whether the server scores in process (None: as BENCHHUB_IN_PROCESS_SCORING says, default yes), and how."""

    enabled: bool | None = None
    poll_seconds: float = 5.0
    lease_seconds: float = 60.0

    def active(self) -> bool:
        if self.enabled is not None:
            return self.enabled
        return os.environ.get(IN_PROCESS_VARIABLE, "1") != "0"


def _settings(app: FastAPI) -> WorkerSettings:
    return getattr(app.state, "scoring", None) or WorkerSettings()


def _started(app: FastAPI):
    """The app's worker, started now if it has none; None when scoring is left to `benchhub worker` processes."""
    settings = _settings(app)
    if not settings.active():
        return None
    with _lock:
        worker = getattr(app.state, "scoring_worker", None)
        if worker is None:
            worker = app.state.scoring_worker = app.state.hub.start_scoring_worker(
                poll_seconds=settings.poll_seconds, lease_seconds=settings.lease_seconds)
    return worker


@asynccontextmanager
async def scoring_lifespan(app: FastAPI) -> AsyncIterator[None]:
    _started(app)
    yield
    # Before the hub closes: a job cut short here is taken over by a worker when its lease expires.
    worker = getattr(app.state, "scoring_worker", None)
    if worker is not None:
        await asyncio.to_thread(worker.stop)


def wake_scoring(request: Request) -> None:
    """Wakes the in-process scoring worker after a submission (starting it if the server was run without its lifespan)."""
    worker = _started(request.app)
    if worker is not None:
        worker.wake()
