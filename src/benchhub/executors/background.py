"""A loop in a daemon thread of this process that does queued work until the queue is empty, then waits to be
woken (or for its poll interval); the server runs its scoring and evaluation workers this way."""

from __future__ import annotations

import logging
import threading
from typing import Callable

logger = logging.getLogger(__name__)


class BackgroundLoop:
    """Calls `work_once` (True: it did a job, False: none was waiting) until it returns False, then waits."""

    def __init__(self, work_once: Callable[[], bool], *, poll_seconds: float = 5.0, name: str = "benchhub-worker") -> None:
        self.work_once, self.poll_seconds = work_once, poll_seconds
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> BackgroundLoop:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while not self._stop.is_set() and self.work_once():
                    pass
            except Exception:  # noqa: BLE001  (a database hiccup must not end the thread)
                logger.exception("the %s thread hit an error; retrying in %s s", self._thread.name, self.poll_seconds)
            self._wake.wait(self.poll_seconds)
            self._wake.clear()


class LoopGroup:
    """Several loops woken and stopped together."""

    def __init__(self, loops: list[BackgroundLoop]) -> None:
        self.loops = loops

    def start(self) -> LoopGroup:
        for loop in self.loops:
            loop.start()
        return self

    def wake(self) -> None:
        for loop in self.loops:
            loop.wake()

    def stop(self, timeout: float | None = 30.0) -> None:
        for loop in self.loops:
            loop._stop.set()
            loop._wake.set()
        for loop in self.loops:
            loop._thread.join(timeout)
