"""Sizes for people: one format everywhere a size is shown (terminal, report, web UI)."""

from __future__ import annotations


def human_bytes(value: int | None, *, missing: str = "-") -> str:
    """Decimal units (1 MB = 10^6 bytes), as model hubs report sizes: `91.6 MB`, `7.9 kB`, `273 B`."""
    if value is None:
        return missing
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value} B"


def change_text(drop: float, spec: str = "+.1f") -> str:
    """A metric's drop shown the one way benchhub shows changes: signed, negative when the metric fell
    (a drop of 14.9 points reads "-14.9"; no "-0.0")."""
    return format(-drop + 0.0, spec)
