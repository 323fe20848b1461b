"""A regular expression's search bounded in time: a pattern that backtracks catastrophically on one text (nested
quantifiers such as `(a+)+$`) is refused in one line instead of holding a worker for hours.

Python's `re` stays the engine (lm-evaluation-harness's RegexFilter uses it, and the third-party `regex` module
differs from it on Unicode classes), so the bound is a timer: `re` checks for signals while it backtracks, and
SIGALRM's handler stops the search. Signals reach only the main thread, where the CLI, the scoring worker and
every job process score; a search on another thread runs unbounded.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from benchhub.errors import InvalidInputError

__all__ = ["SECONDS", "bounded_matches"]

SECONDS = 2.0


class _Expired(Exception):
    pass


def _expire(signum: int, frame: object) -> None:
    raise _Expired


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bounded_matches(pattern: re.Pattern[str], text: str, *, name: str, last: bool) -> re.Match[str] | None:
    """The first match of pattern in text (the last one with `last`), or None; a search longer than SECONDS is
    one line naming the setting."""
    try:
        with _alarm(SECONDS):
            if not last:
                return pattern.search(text)
            match = None
            for match in pattern.finditer(text):
                pass
            return match
    except _Expired:
        raise InvalidInputError.naming(
            lambda spell: f"{spell.setting(name)} {pattern.pattern!r} searched one text of {len(text):,} characters "
                          f"for more than {SECONDS:g} s: it backtracks catastrophically (nested quantifiers such as "
                          "'(a+)+'); simplify it, e.g. with a character class instead of nested repeats.") from None
