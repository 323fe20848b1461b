"""Minimum functionality tests (MFT): template-generated examples with their expected labels.

A test file is YAML (read with `yaml.safe_load` only; at most 1 MiB, UTF-8, no aliases) with a list of tests::

    tests:
      - name: negation of positive adjectives
        template: "The {thing} was not {pos_adj}."
        label: negative
        fill:
          thing: [film, food, service]
          pos_adj: [good, great, enjoyable]
      - name: neutral statements
        template: "The {thing} is {length} minutes long."
        label: neutral
        optional: true            # skipped, not rejected, when "neutral" is not a dataset label
        fill: {thing: [film, show], length: [90, 120]}

Each test has `name` (unique; its slug names the examples), `template` (Python `{placeholder}`
fields, `{{`/`}}` for literal braces), `label` (a dataset label), `fill` (each placeholder of the
template and no other key, to a non-empty list of strings or numbers), and optionally `description`
and `optional`. Quote words YAML reads as booleans (`"yes"`, `"no"`, `"on"`, `"off"`).

Expansion is the cartesian product of the fill lists, placeholders in order of first appearance in
the template, values in listed order, the last placeholder varying fastest; the first test above
gives "The film was not good.", "The film was not great.", ... (9 examples, ids
"mft-negation-of-positive-adjectives-0" to "...-8"). A test may expand to at most 10,000 examples,
a file to at most 100,000.

The built-in sentiment suite (resources/probes/sentiment_mft.yaml) is written with the labels
"positive", "negative" and "neutral"; `builtin_sentiment_tests(labels)` maps them to the dataset's
own names (matched case-insensitively, "pos"/"neg" included).
"""

from __future__ import annotations

import itertools
import math
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from benchhub.data.records import Split
from benchhub.data.yaml_documents import parse_yaml, read_yaml
from benchhub.errors import InvalidInputError
from benchhub.tasks.text_classification.probes.directional import (
    NEGATIVE_NAMES,
    POSITIVE_NAMES,
    ProbeNotApplicableError,
)
from benchhub.tasks.text_classification.probes.invariance import TASK

MAX_EXAMPLES_PER_TEST = 10_000
MAX_EXAMPLES_PER_FILE = 100_000
_KEYS = {"name", "template", "label", "fill", "description", "optional"}


@dataclass(frozen=True)
class TemplateTest:
    """One MFT: a template, its fill lists and the label every expansion should get."""

    name: str
    template: str
    label: str
    fill: tuple[tuple[str, tuple[str, ...]], ...]  # placeholder -> values, in order of first appearance
    description: str = ""
    kind = "MFT"
    task = TASK

    @property
    def slug(self) -> str:
        return slugify(self.name)

    def __len__(self) -> int:
        return math.prod(len(values) for _, values in self.fill)

    def texts(self) -> list[str]:
        keys = [key for key, _ in self.fill]
        return [self.template.format(**dict(zip(keys, combination, strict=True)))
                for combination in itertools.product(*(values for _, values in self.fill))]

    def split(self, seed: int = 0) -> Split:
        """The expanded examples, ids "mft-<slug>-<n>", every label the expected one.

        The expansion does not depend on `seed`; it is taken for symmetry with the other probes.
        """
        texts = self.texts()
        return Split(
            name=f"mft-{self.slug}",
            ids=[f"mft-{self.slug}-{n}" for n in range(len(texts))],
            texts=texts,
            labels=[self.label] * len(texts),
        )

    def failures(self, predicted: Sequence[str]) -> list[bool]:
        """Per example, whether the predicted label differs from the expected one."""
        if len(predicted) != len(self):
            raise InvalidInputError(f"MFT {self.name!r} has {len(self)} examples but got {len(predicted)} predictions")
        return [label != self.label for label in predicted]


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def load_templates(path: str | Path, labels: Sequence[str], *, aliases: Mapping[str, str] | None = None) -> list[TemplateTest]:
    """Reads and checks a template file; `aliases` maps a label written in the file to a dataset label."""
    return checked_templates(read_yaml(Path(path), what="template file"), labels, aliases=aliases, origin=str(path))


def parse_templates(source: str, labels: Sequence[str], *, aliases: Mapping[str, str] | None = None,
                    origin: str = "<templates>") -> list[TemplateTest]:
    """Checks a template document given as YAML text; see the module docstring for the format."""
    return checked_templates(parse_yaml(source, origin=origin), labels, aliases=aliases, origin=origin)


def checked_templates(document: Any, labels: Sequence[str], *, aliases: Mapping[str, str] | None = None,
                      origin: str = "<templates>") -> list[TemplateTest]:
    """The template tests of a parsed document, each checked."""
    if not isinstance(document, dict) or not isinstance(document.get("tests"), list):
        raise InvalidInputError(f"{origin} must be a mapping with a 'tests' list, e.g. 'tests: [{{name: ..., template: ..., "
                                f"label: ..., fill: {{...}}}}]'")
    tests: list[TemplateTest] = []
    slugs: dict[str, str] = {}
    total = 0
    for position, entry in enumerate(document["tests"]):
        test = _parse_test(entry, position, labels, aliases or {}, origin)
        if test is None:
            continue
        if test.slug in slugs:
            raise InvalidInputError(f"{origin}: tests {slugs[test.slug]!r} and {test.name!r} have the same name "
                                    f"(ids use {test.slug!r}); give each test its own name")
        slugs[test.slug] = test.name
        total += len(test)
        if total > MAX_EXAMPLES_PER_FILE:
            raise InvalidInputError(f"{origin} expands to more than {MAX_EXAMPLES_PER_FILE:,} examples; "
                                    "split it into several files or shorten the fill lists")
        tests.append(test)
    return tests


def _parse_test(entry: Any, position: int, labels: Sequence[str], aliases: Mapping[str, str],
                origin: str) -> TemplateTest | None:
    where = f"{origin}: test {position}"
    if not isinstance(entry, dict):
        raise InvalidInputError(f"{where} must be a mapping with name, template, label and fill; got {type(entry).__name__}")
    name = entry.get("name")
    if not isinstance(name, str) or not slugify(name):
        raise InvalidInputError(f"{where} needs a 'name' with at least one letter or digit; got {name!r}")
    where = f"{origin}: test {name!r}"
    unknown = sorted(set(entry) - _KEYS, key=str)
    if unknown:
        raise InvalidInputError(f"{where} has unknown keys {', '.join(map(str, unknown))}; allowed: {', '.join(sorted(_KEYS))}")
    template = entry.get("template")
    if not isinstance(template, str) or not template.strip():
        raise InvalidInputError(f"{where} needs a non-empty 'template' string; got {template!r}")
    optional = entry.get("optional", False)
    if not isinstance(optional, bool):
        raise InvalidInputError(f"{where}: 'optional' must be true or false; got {optional!r}")
    written = entry.get("label")
    if not isinstance(written, str):
        raise InvalidInputError(f"{where} needs a 'label' string (one of {', '.join(labels)}); got {written!r}")
    label = aliases.get(written, written)
    if label not in labels:
        if optional:
            return None
        raise InvalidInputError(f"{where} expects label {written!r}, which is not a dataset label; "
                                f"allowed: {', '.join(labels)}")
    placeholders = _placeholders(template, where)
    fill = entry.get("fill", {})
    if not isinstance(fill, dict):
        raise InvalidInputError(f"{where}: 'fill' must map each placeholder to a list of values; got {type(fill).__name__}")
    missing = [key for key in placeholders if key not in fill]
    if missing:
        raise InvalidInputError(f"{where}: placeholder {', '.join('{' + key + '}' for key in missing)} has no values in 'fill'")
    unused = sorted((str(key) for key in fill if key not in placeholders))
    if unused:
        raise InvalidInputError(f"{where}: 'fill' has {', '.join(unused)}, which the template does not use")
    filled = tuple((key, _values(key, fill[key], where)) for key in placeholders)
    test = TemplateTest(name=name, template=template, label=label, fill=filled,
                        description=str(entry.get("description") or ""))
    if len(test) > MAX_EXAMPLES_PER_TEST:
        raise InvalidInputError(f"{where} expands to {len(test):,} examples, more than {MAX_EXAMPLES_PER_TEST:,}; "
                                "shorten its fill lists")
    return test


def _placeholders(template: str, where: str) -> list[str]:
    try:
        fields = [field for _, field, spec, conversion in string.Formatter().parse(template) if field is not None
                  and _plain(field, spec, conversion, where)]
    except ValueError as exc:
        raise InvalidInputError(f"{where}: the template is malformed ({exc}); write literal braces as {{{{ and }}}}") from exc
    return list(dict.fromkeys(fields))


def _plain(field: str, spec: str | None, conversion: str | None, where: str) -> bool:
    if not field.isidentifier() or spec or conversion:
        raise InvalidInputError(f"{where}: placeholders must be plain names like {{thing}}; got {{{field}}}")
    return True


def _values(key: str, values: Any, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not values:
        raise InvalidInputError(f"{where}: fill {key!r} must be a non-empty list; got {values!r}")
    result = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidInputError(f"{where}: fill {key!r} has {value!r}; values must be strings or numbers "
                                    "(quote words YAML reads as booleans, e.g. \"no\")")
        result.append(str(value))
    return tuple(result)


def sentiment_aliases(labels: Sequence[str]) -> dict[str, str]:
    """Maps "positive"/"negative"/"neutral" to the dataset's names for them (case-insensitive, "pos"/"neg" too)."""
    names = {"positive": POSITIVE_NAMES, "negative": NEGATIVE_NAMES, "neutral": frozenset({"neutral", "neu"})}
    aliases = {}
    for canonical, accepted in names.items():
        match = next((label for label in labels if label.lower() in accepted), None)
        if match is not None:
            aliases[canonical] = match
    return aliases


def builtin_sentiment_tests(labels: Sequence[str]) -> list[TemplateTest]:
    """The built-in sentiment MFTs, labelled with the dataset's names; needs a positive and a negative label."""
    aliases = sentiment_aliases(labels)
    if "positive" not in aliases or "negative" not in aliases:
        raise ProbeNotApplicableError(f"the built-in sentiment MFTs need a positive and a negative label; "
                                      f"the dataset's labels are {', '.join(labels)}")
    resource = resources.files("benchhub") / "resources" / "probes" / "sentiment_mft.yaml"
    return parse_templates(resource.read_text(encoding="utf-8"), labels, aliases=aliases, origin="sentiment_mft.yaml")
