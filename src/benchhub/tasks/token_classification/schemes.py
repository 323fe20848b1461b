"""Tag schemes: reading a tag, telling a dataset's scheme, checking and writing sequences in it.

A tag is "O" or a prefix letter, "-" and an entity type ("B-PER", "I-MISC", "S-LOC-2"). The
schemes, with the prefixes they use:

    IOB1   I- inside; B- only on the first word of an entity that directly follows one of its type
    IOB2   B- first word, I- the others
    IOE1   I- inside; E- only on the last word of an entity directly followed by one of its type
    IOE2   E- last word, I- the others
    IOBES  S- one-word entity; B- first, I- middle, E- last word of a longer one
    BILOU  U- one-word entity; B- first, I- middle, L- last word of a longer one

"Well-formed" means what seqeval 1.2.2's strict mode reads back unchanged: a sequence is
well-formed in a scheme when encoding its strict entities gives the sequence again. seqeval's
IOE1 decoder cannot read a one-word entity directly followed by one of the same type (an
"E-X" after "O"; seqeval/scheme.py marks IOE1 as unfinished), so that one IOE1 encoding is
not well-formed here either.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchhub.errors import DatasetFormatError, InvalidInputError
from benchhub.tasks.token_classification.entities import (
    ALLOWED_PREFIXES,
    SCHEMES,
    strict_entities,
)

__all__ = ["SCHEMES", "detect_scheme", "encode_spans", "split_tag", "validate"]

PREFIXES = "BIESUL"


def split_tag(tag: str) -> tuple[str, str]:
    """Returns (prefix, type) of a tag: ("O", "") for "O", ("B", "PER") for "B-PER".

    The type is everything after the first "-" and may itself hold "-" inside ("B-PER-X").
    """
    if tag == "O":
        return "O", ""
    if (
        isinstance(tag, str)
        and len(tag) > 2
        and tag[0] in PREFIXES
        and tag[1] == "-"
        and not tag[2:].startswith("-")
        and not tag.endswith("-")
    ):
        return tag[0], tag[2:]
    raise InvalidInputError(
        f"{tag!r} is not a tag; write O, or a prefix ({', '.join(PREFIXES)}), '-' and the entity type, e.g. B-PER."
    )


def detect_scheme(sequences: Sequence[Sequence[str]]) -> str:
    """Returns the scheme a dataset's tag sequences are written in, read off the prefixes present.

    - U- or L- present: BILOU; S- present, or B- together with E-: IOBES (both at once: an error).
    - E- without B-: IOE1 when some entity ends on an I- word (an I-X not followed by I-X or E-X),
      which IOE1 does at the end of every sentence's last entity; otherwise IOE2.
    - B- and I- only: IOB1 when some I-X begins an entity (first word, or after a word not of
      type X), which IOB1 does for every sentence's first entity; otherwise IOB2.
    - No entity at all: IOB2. Only I- (no B-, no E-): IOB1, which IOE1 data without E- equals.
    Raises InvalidInputError for a tag that split_tag rejects.
    """
    split = [[split_tag(tag) for tag in sequence] for sequence in sequences]
    prefixes = {prefix for sequence in split for prefix, _ in sequence}
    if prefixes & {"U", "L"}:
        if prefixes & {"S", "E"}:
            raise InvalidInputError(
                f"the tags mix BILOU prefixes (U-, L-) with IOBES prefixes (S-, E-): found {', '.join(sorted(prefixes))}; "
                "write every sequence in one scheme."
            )
        return "BILOU"
    if "S" in prefixes or {"B", "E"} <= prefixes:
        return "IOBES"
    if "E" in prefixes:
        return "IOE1" if any(_ends_on_inside(sequence) for sequence in split) else "IOE2"
    if "I" in prefixes and any(_begins_on_inside(sequence) for sequence in split):
        return "IOB1"
    return "IOB2"


def _ends_on_inside(sequence: list[tuple[str, str]]) -> bool:
    """Whether some I-X word is followed by neither I-X nor E-X."""
    for (prefix, type_), following in zip(sequence, [*sequence[1:], ("O", "")]):
        if prefix == "I" and following not in (("I", type_), ("E", type_)):
            return True
    return False


def _begins_on_inside(sequence: list[tuple[str, str]]) -> bool:
    """Whether some I-X word follows neither B-X nor I-X."""
    for previous, (prefix, type_) in zip([("O", ""), *sequence], sequence):
        if prefix == "I" and previous not in (("B", type_), ("I", type_)):
            return True
    return False


def validate(sequence: Sequence[str], scheme: str, *, where: str) -> None:
    """Raises DatasetFormatError, naming where and the position, unless the sequence is well-formed in scheme.

    where names the sentence for the message, e.g. "train sentence 12".
    """
    allowed = _allowed(scheme)
    tags = list(sequence)
    for position, tag in enumerate(tags):
        try:
            prefix, _ = split_tag(tag)
        except InvalidInputError as error:
            raise DatasetFormatError(f"{where}, position {position}: {error}") from error
        if prefix not in allowed:
            raise DatasetFormatError(
                f"{where}, position {position}: {tag!r} uses prefix {prefix}-, which {scheme} does not have; "
                f"{scheme} uses {', '.join(p + '-' for p in allowed if p != 'O')} and O."
            )
    expected = encode_spans(len(tags), strict_entities(tags, scheme), scheme)
    for position, (tag, wanted) in enumerate(zip(tags, expected)):
        if tag != wanted:
            previous = repr(tags[position - 1]) if position else "the sentence start"
            raise DatasetFormatError(
                f"{where}, position {position}: {tag!r} after {previous} is ill-formed in {scheme}; "
                f"strict decoding reads this word as {wanted!r}."
            )


def encode_spans(length: int, spans: Sequence[tuple[str, int, int]], scheme: str) -> list[str]:
    """Returns the tags of a sentence of length words holding the (type, start, end_exclusive) spans.

    Spans must not overlap; their order does not matter. The result is the scheme's standard
    encoding, which strict_entities decodes back to the sorted spans (in IOE1, except a one-word
    entity directly followed by one of its type: see the module docstring).
    """
    _allowed(scheme)
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise InvalidInputError(f"length must be a non-negative integer; got {length!r}.")
    ordered = sorted((_checked_span(span, length) for span in spans), key=lambda span: (span[1], span[2]))
    tags = ["O"] * length
    for index, (type_, start, end) in enumerate(ordered):
        if index and ordered[index - 1][2] > start:
            raise InvalidInputError(f"spans {ordered[index - 1]} and {(type_, start, end)} overlap; spans must be disjoint.")
        after_same = index > 0 and ordered[index - 1][2] == start and ordered[index - 1][0] == type_
        before_same = index + 1 < len(ordered) and ordered[index + 1][1] == end and ordered[index + 1][0] == type_
        for position, prefix in enumerate(_prefixes(scheme, end - start, after_same, before_same), start):
            tags[position] = f"{prefix}-{type_}"
    return tags


def _prefixes(scheme: str, n: int, after_same: bool, before_same: bool) -> list[str]:
    """Returns the prefixes of an entity of n words in scheme, given its same-type neighbours."""
    if scheme == "IOB1":
        return ["B" if after_same else "I"] + ["I"] * (n - 1)
    if scheme == "IOB2":
        return ["B"] + ["I"] * (n - 1)
    if scheme == "IOE1":
        return ["I"] * (n - 1) + ["E" if before_same else "I"]
    if scheme == "IOE2":
        return ["I"] * (n - 1) + ["E"]
    single, last = ("S", "E") if scheme == "IOBES" else ("U", "L")
    return [single] if n == 1 else ["B"] + ["I"] * (n - 2) + [last]


def _checked_span(span: object, length: int) -> tuple[str, int, int]:
    """Returns a span as a (type, start, end) tuple after checking it fits the sentence."""
    if not isinstance(span, Sequence) or isinstance(span, str) or len(span) != 3:
        raise InvalidInputError(f"a span must be (type, start, end_exclusive); got {span!r}.")
    type_, start, end = span
    if not isinstance(type_, str):
        raise InvalidInputError(f"span {span!r}: the type must be a string.")
    if not type_ or type_.startswith("-") or type_.endswith("-"):
        raise InvalidInputError(f"span {span!r}: the type must be non-empty and must not begin or end with '-'.")
    if any(isinstance(value, bool) or not isinstance(value, int) for value in (start, end)) or not 0 <= start < end <= length:
        raise InvalidInputError(f"span {span!r} must satisfy 0 <= start < end <= {length} (the sentence length).")
    return type_, start, end


def _allowed(scheme: object) -> str:
    """Returns the prefixes of a scheme name, or raises naming the schemes."""
    if not isinstance(scheme, str) or scheme not in ALLOWED_PREFIXES:
        raise InvalidInputError(f"unknown tag scheme {scheme!r}; choose one of {', '.join(SCHEMES)}.")
    return ALLOWED_PREFIXES[scheme]
