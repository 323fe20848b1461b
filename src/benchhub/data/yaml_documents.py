"""YAML a user wrote (probe suites, template tests): bounded in size, UTF-8, no aliases, safe types only.

`yaml.safe_load` builds no Python objects, but it expands aliases: a few hundred bytes of nested
anchors ("billion laughs") become millions of nodes, and any later walk over them (a check, a
message that shows the value) takes minutes. These files never need an alias, so one is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from benchhub.errors import InvalidInputError

MAX_BYTES = 1024 * 1024


class _AliasFound(Exception):
    def __init__(self, anchor: str, line: int) -> None:
        super().__init__(anchor)
        self.anchor, self.line = anchor, line


class _SafeLoaderWithoutAliases(yaml.SafeLoader):
    """`yaml.SafeLoader` that stops at the first alias, before anything is built from it."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasFound(event.anchor, event.start_mark.line + 1)
        return super().compose_node(parent, index)


def read_yaml(path: Path, *, what: str, max_bytes: int = MAX_BYTES) -> Any:
    """The document in the YAML file at `path`; `what` names the file in messages ("suite file")."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise InvalidInputError(f"the {what} {path} is a folder; give the YAML file itself")
        if not path.is_file():  # a pipe or a device would block, or never end
            raise InvalidInputError(f"the {what} {path} is not a regular file; give the YAML file itself")
        if size > max_bytes:
            raise InvalidInputError(f"the {what} {path} is {size:,} bytes; the limit is {max_bytes:,}")
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read the {what} {path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"the {what} {path} is not valid UTF-8 (byte offset {exc.start}); save it as UTF-8") from exc
    return parse_yaml(text, origin=str(path))


def parse_yaml(text: str, *, origin: str) -> Any:
    """The document in `text`; a syntax error or an alias (`*name`) is one line naming `origin`."""
    try:
        return yaml.load(text, Loader=_SafeLoaderWithoutAliases)  # noqa: S506 (a SafeLoader)
    except _AliasFound as found:
        raise InvalidInputError(f"{origin}, line {found.line}: YAML aliases (*{found.anchor}) are not allowed here; "
                                "write the value out instead") from None
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"{origin} is not valid YAML: {' '.join(str(exc).split())}") from exc
    except RecursionError:
        raise InvalidInputError(f"{origin}: values nested thousands of levels deep; no entry needs more than a few") from None
