"""Entity decoders equal to seqeval 1.2.2, quirks included.

    conlleval_entities   the default (conlleval-compatible) mode:
                         seqeval.metrics.sequence_labeling.get_entities, suffix=False
    strict_entities      the strict mode: seqeval.scheme.Tokens(tags, scheme).entities

Both are ports of seqeval's code, line for line where the behaviour on ill-formed input
depends on it, so that metrics computed from them equal seqeval's on any input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from benchhub.errors import InvalidInputError

ANY = "IOBESUL"
"""Every prefix letter seqeval's strict mode knows (seqeval.scheme.Prefix)."""


@dataclass(frozen=True)
class _Scheme:
    """seqeval.scheme's tables for one scheme: (previous prefixes, current prefixes, type condition)."""

    allowed: str
    start: tuple[tuple[str, str, str], ...]
    inside: tuple[tuple[str, str, str], ...]
    end: tuple[tuple[str, str, str], ...]


# Copied from seqeval/scheme.py (1.2.2); "same"/"diff"/"any" is seqeval's Tag.SAME/DIFF/ANY.
_SCHEMES = {
    "IOB1": _Scheme(
        allowed="IOB",
        start=(("O", "I", "any"), ("I", "I", "diff"), ("B", "I", "any"), ("I", "B", "same"), ("B", "B", "same")),
        inside=(("B", "I", "same"), ("I", "I", "same")),
        end=(("I", "I", "diff"), ("I", "O", "any"), ("I", "B", "any"), ("B", "O", "any"), ("B", "I", "diff"),
             ("B", "B", "same")),
    ),
    "IOB2": _Scheme(
        allowed="IOB",
        start=((ANY, "B", "any"),),
        inside=(("B", "I", "same"), ("I", "I", "same")),
        end=(("I", "O", "any"), ("I", "I", "diff"), ("I", "B", "any"), ("B", "O", "any"), ("B", "I", "diff"),
             ("B", "B", "any")),
    ),
    "IOE1": _Scheme(
        allowed="IOE",
        start=(("O", "I", "any"), ("I", "I", "diff"), ("E", "I", "any"), ("E", "E", "same")),
        inside=(("I", "I", "same"), ("I", "E", "same")),
        end=(("I", "I", "diff"), ("I", "O", "any"), ("I", "E", "diff"), ("E", "I", "same"), ("E", "E", "same")),
    ),
    "IOE2": _Scheme(
        allowed="IOE",
        start=(("O", "I", "any"), ("O", "E", "any"), ("E", "I", "any"), ("E", "E", "any"), ("I", "I", "diff"),
               ("I", "E", "diff")),
        inside=(("I", "E", "same"), ("I", "I", "same")),
        end=(("E", ANY, "any"),),
    ),
    "IOBES": _Scheme(
        allowed="IOBES",
        start=((ANY, "B", "any"), (ANY, "S", "any")),
        inside=(("B", "I", "same"), ("B", "E", "same"), ("I", "I", "same"), ("I", "E", "same")),
        end=(("S", ANY, "any"), ("E", ANY, "any")),
    ),
    "BILOU": _Scheme(
        allowed="BILOU",
        start=((ANY, "B", "any"), (ANY, "U", "any")),
        inside=(("B", "I", "same"), ("B", "L", "same"), ("I", "I", "same"), ("I", "L", "same")),
        end=(("U", ANY, "any"), ("L", ANY, "any")),
    ),
}

SCHEMES = tuple(_SCHEMES)
"""The tag schemes, named as seqeval.scheme's classes."""

ALLOWED_PREFIXES = {name: scheme.allowed for name, scheme in _SCHEMES.items()}
"""The prefix letters each scheme allows, "O" included."""


def conlleval_entities(tags: Sequence[str] | Sequence[Sequence[str]]) -> list[tuple[str, int, int]]:
    """Returns the (type, start, end_inclusive) chunks seqeval's get_entities finds, in its order.

    A list of sentences is read as seqeval reads it: concatenated with an "O" after each
    sentence, offsets counting from the first word of the first sentence. A chunk that no
    rule ends stays open (across sentences too) until one does, and one that ends without
    having started reports the last start; every tag is split into its first character and
    the rest after one "-", whatever its prefix ("B" alone and "B-" have type "_").
    """
    sequence = _flat_tags(tags)
    previous_tag, previous_type, begin = "O", "", 0
    chunks = []
    for position, chunk in enumerate([*sequence, "O"]):
        tag = chunk[0]
        type_ = chunk[1:].split("-", maxsplit=1)[-1] or "_"
        if _chunk_ends(previous_tag, tag, previous_type, type_):
            chunks.append((previous_type, begin, position - 1))
        if _chunk_starts(previous_tag, tag, previous_type, type_):
            begin = position
        previous_tag, previous_type = tag, type_
    return chunks


def _chunk_ends(previous_tag: str, tag: str, previous_type: str, type_: str) -> bool:
    """seqeval's end_of_chunk."""
    return (
        previous_tag in ("E", "S")
        or (previous_tag in ("B", "I") and tag in ("B", "S", "O"))
        or (previous_tag not in ("O", ".") and previous_type != type_)
    )


def _chunk_starts(previous_tag: str, tag: str, previous_type: str, type_: str) -> bool:
    """seqeval's start_of_chunk."""
    return (
        tag in ("B", "S")
        or (previous_tag in ("E", "S", "O") and tag in ("E", "I"))
        or (tag not in ("O", ".") and previous_type != type_)
    )


def _flat_tags(tags: Sequence[str] | Sequence[Sequence[str]]) -> list[str]:
    """Returns one sentence's tags, or sentences joined by "O" as get_entities joins them."""
    if isinstance(tags, str) or not isinstance(tags, Sequence):
        raise InvalidInputError(f"tags must be a list of tag strings or a list of sentences; got {type(tags).__name__}.")
    if any(not isinstance(item, str) for item in tags):
        return [tag for sentence in tags for tag in [*check_tags(sentence), "O"]]
    return check_tags(tags)


def check_tags(tags: object) -> list[str]:
    """Returns one sentence's tags as a list after checking each is a non-empty string."""
    if isinstance(tags, str) or not isinstance(tags, Sequence):
        raise InvalidInputError(f"a sentence must be a list of tag strings; got {type(tags).__name__}.")
    for position, tag in enumerate(tags):
        if not isinstance(tag, str) or not tag:
            raise InvalidInputError(f"tag {position} of a sentence is {tag!r}; every tag must be a non-empty string.")
    return list(tags)


def strict_entities(tags: Sequence[str], scheme: str) -> list[tuple[str, int, int]]:
    """Returns the (type, start, end_exclusive) entities of one sentence under seqeval's strict mode.

    Equal to seqeval.scheme.Tokens(tags, scheme).entities: a tag's type is what follows its
    first letter with "-" stripped from both ends ("_" when nothing is left), and an entity
    counts only where the scheme's start, inside and end patterns all match. A tag whose
    prefix the scheme does not allow raises InvalidInputError (seqeval raises ValueError
    or KeyError).
    """
    table = _scheme(scheme)
    tokens = [_strict_token(tag, scheme, table, position) for position, tag in enumerate(check_tags(tags))]
    tokens.append(("O", "_"))
    entities = []
    position = 0
    previous = ("O", "_")
    while position < len(tokens):
        token = tokens[position]
        if _matches(previous, token, table.start):
            end = _forward(tokens, position + 1, table)
            if _matches(tokens[end - 1], tokens[end], table.end):
                entities.append((token[1], position, end))
            position = end
        else:
            position += 1
        previous = tokens[position - 1]
    return entities


def _forward(tokens: list[tuple[str, str]], start: int, table: _Scheme) -> int:
    """Returns the position of the first token after start that does not continue the entity."""
    previous = tokens[start - 1]
    for position in range(start, len(tokens)):
        if not _matches(previous, tokens[position], table.inside):
            return position
        previous = tokens[position]
    # Unreachable: the closing "O" continues no entity (seqeval returns len(tokens) - 1 here).
    raise AssertionError("the closing O token continued an entity")


def _matches(previous: tuple[str, str], current: tuple[str, str], patterns: tuple[tuple[str, str, str], ...]) -> bool:
    """seqeval's Token.check_patterns."""
    for previous_prefixes, current_prefixes, condition in patterns:
        if (
            previous[0] in previous_prefixes
            and current[0] in current_prefixes
            and (condition == "any" or (condition == "same") == (previous[1] == current[1]))
        ):
            return True
    return False


def _strict_token(tag: str, scheme: str, table: _Scheme, position: int) -> tuple[str, str]:
    """Returns (prefix, type) as seqeval.scheme.Token parses a tag, or raises for a prefix the scheme forbids."""
    prefix = tag[0]
    if prefix not in table.allowed:
        raise InvalidInputError(
            f"tag {position} is {tag!r}, whose prefix {prefix!r} the {scheme} scheme does not allow; "
            f"allowed prefixes: {', '.join(table.allowed)}."
        )
    return prefix, tag[1:].strip("-") or "_"


def _scheme(scheme: object) -> _Scheme:
    """Returns the tables of a scheme name, or raises naming the schemes."""
    if not isinstance(scheme, str) or scheme not in _SCHEMES:
        raise InvalidInputError(f"unknown tag scheme {scheme!r}; choose one of {', '.join(SCHEMES)}.")
    return _SCHEMES[scheme]
