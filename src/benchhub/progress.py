"""A progress bar on stderr that appears only once work has taken longer than a second."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from types import TracebackType
from typing import Callable, Iterator

# Called with (description, done, total) at every step of every Progress in this process (`observed`).
_observers: list[Callable[[str, int, int], None]] = []


@contextmanager
def observed(callback: Callable[[str, int, int], None]) -> Iterator[None]:
    """Tells `callback` of every step while the block runs: how an evaluation job reports how far it is."""
    _observers.append(callback)
    try:
        yield
    finally:
        _observers.remove(callback)


class Progress:
    """Counts steps of one task; draws a rich progress bar on stderr after `delay` seconds."""

    def __init__(self, description: str, total: int, *, enabled: bool = True, delay: float = 1.0) -> None:
        self.description = description
        self.total = total
        self.enabled = enabled
        self.delay = delay
        self.done = 0
        self._started = time.perf_counter()
        self._bar = None
        self._task = None

    def __enter__(self) -> Progress:
        return self

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        for observer in list(_observers):
            observer(self.description, self.done, self.total)
        if not self.enabled:
            return
        if self._bar is None and time.perf_counter() - self._started >= self.delay and self.done < self.total:
            self._start_bar()
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(), console=Console(file=sys.stderr), transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.description, total=self.total, completed=self.done)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
            self._bar.stop()
