"""Rules for the names users give datasets and models."""

from __future__ import annotations

import re

from benchhub.errors import InvalidInputError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,199}")


def check_name(name: str, what: str) -> str:
    """Returns `name` if it is a valid dataset or model name, else raises with the rule."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise InvalidInputError(
            f"{what} name {name!r} is not allowed; use 1-200 letters, digits, '_', '-', '.' or '@', "
            f"starting with a letter or digit (':' is reserved for built-ins such as baseline:majority)."
        )
    return name
