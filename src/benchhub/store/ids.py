"""Row ids are 64-bit signed integers on every database the hub runs on."""

from __future__ import annotations

MAX_ID = 2**63 - 1


def is_row_id(value: int) -> bool:
    """Whether `value` can be a row's id: a larger one would overflow the database's integer, not merely be missing."""
    return 1 <= value <= MAX_ID
