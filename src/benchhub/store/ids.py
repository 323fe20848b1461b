"""Row ids are INTEGER columns: 64-bit on SQLite, but 32-bit on PostgreSQL, so every id lies in [1, 2**31 - 1]."""

from __future__ import annotations

MAX_ID = 2**31 - 1


def is_row_id(value: int) -> bool:
    """Whether `value` can be a row's id: a larger one would overflow the database's integer, not merely be missing."""
    return 1 <= value <= MAX_ID
