"""Rules for the names users give datasets and models, and for the free text they write (titles, labels)."""

from __future__ import annotations

import re
import unicodedata

from benchhub.errors import InvalidInputError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,199}")


def check_name(name: str, what: str) -> str:
    """Returns `name` if it is a valid dataset or model name, else raises with the rule."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise InvalidInputError(
            f"{what} name {quoted(name)} is not allowed; use 1-200 letters, digits, '_', '-', '.' or '@', "
            f"starting with a letter or digit (':' is reserved for built-ins such as baseline:majority)."
        )
    return name


def quoted(value: object, limit: int = 60) -> str:
    """`repr(value)` for a message, cut short: a 5,000-character name should not fill the screen."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 20]}... ({len(text):,} characters)"


def check_text(text: str, what: str, *, max_length: int, multiline: bool = False) -> str:
    """Returns free text (a title, a label, a description) if it fits its column and holds no control characters.

    Control characters would reach terminals and pages as escape sequences, and PostgreSQL refuses
    NUL outright, as it refuses a lone surrogate (which no UTF-8 text holds; JSON's "\\ud800" makes one);
    a description may hold line breaks and tabs.
    """
    allowed = "\n\r\t" if multiline else ""
    if not isinstance(text, str) or len(text) > max_length:
        length = len(text) if isinstance(text, str) else type(text).__name__
        raise InvalidInputError(f"{what} must be text of at most {max_length:,} characters. Got {length} instead.")
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cf") and c not in allowed), None)
    if bad is not None:
        kinds = "control or format characters other than line breaks and tabs" if multiline else "control or format characters"
        raise InvalidInputError(f"{what} holds {bad!r} at position {text.index(bad)}; {kinds} are not allowed.")
    bad = next((c for c in text if unicodedata.category(c) == "Cs"), None)
    if bad is not None:
        raise InvalidInputError(f"{what} holds the lone surrogate {bad!r} at position {text.index(bad)}; send it as UTF-8 text.")
    return text
