"""Why an export failed, in one line: the exporters wrap the real reason in layers of advice."""

from __future__ import annotations

import re


def root_cause(exc: BaseException) -> str:
    """The first line of the innermost cause: the exporter wraps the real reason in several layers of advice."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
