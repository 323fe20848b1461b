"""The regex baseline: the first hand-written rule whose pattern matches decides the label."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np

from benchhub.data.yaml_documents import read_yaml
from benchhub.errors import InvalidInputError
from benchhub.tasks.text_classification.baselines.base import (
    TextClassifierBaseline,
    check_labels,
    check_texts,
    check_training,
    label_counts,
    not_fitted,
    one_hot,
    read_manifest,
    write_manifest,
)

FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
FLAG_HELP = "i (ignorecase), m (multiline), s (dotall)"
RULE_KEYS = ("pattern", "label", "flags")
FILE_KEYS = ("default", "rules")


@dataclass(frozen=True)
class RegexRule:
    """A pattern searched for in a text and the label it assigns on a match."""

    pattern: str
    label: str
    flags: str = ""

    def compile(self) -> re.Pattern[str]:
        """Returns the compiled pattern with its flags."""
        combined = 0
        for flag in self.flags:
            combined |= FLAGS[flag]
        return re.compile(self.pattern, combined)

    def to_json(self) -> dict[str, str]:
        """Returns the rule as a JSON-able mapping."""
        return {"pattern": self.pattern, "label": self.label, "flags": self.flags}


class RegexBaseline(TextClassifierBaseline):
    """Labels a text by the first rule (in order) whose pattern is found in it.

    A text no rule matches gets default, or the training majority label when
    default is None. Rules are mappings with pattern, label and optional flags
    (any of "ims"), or RegexRule objects; they are checked when constructed.
    """

    name = "regex"
    version = "1"

    def __init__(
        self,
        labels: Sequence[str],
        rules: Sequence[Mapping[str, Any] | RegexRule],
        default: str | None = None,
    ) -> None:
        self.labels = check_labels(labels)
        self.rules = parse_rules(rules, self.labels)
        self.default = _check_default(default, self.labels)
        self._compiled = [rule.compile() for rule in self.rules]
        self._majority: int | None = None

    @classmethod
    def from_yaml(cls, path: Path, labels: Sequence[str]) -> Self:
        """Reads rules and an optional default label from a YAML rules file."""
        path = Path(path)
        document = read_yaml(path, what="rules file")  # bounded, UTF-8, no aliases
        if not isinstance(document, dict):
            raise InvalidInputError(
                f"rules file {path} must be a mapping with 'rules' and an optional 'default', "
                f"got {_kind(document)}; start the file with 'rules:'"
            )
        unknown = [str(key) for key in document if key not in FILE_KEYS]
        if unknown:
            raise InvalidInputError(
                f"rules file {path} has unknown key {unknown[0]!r}; allowed keys: default, rules"
            )
        if "rules" not in document:
            raise InvalidInputError(
                f"rules file {path} has no 'rules' list; add 'rules:' with at least one rule"
            )
        try:
            return cls(labels, document["rules"], document.get("default"))
        except InvalidInputError as error:
            raise InvalidInputError(f"rules file {path}: {error}") from error

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Self:
        """Learns the training majority label, used when no rule matches and default is None."""
        _, indices = check_training(texts, labels, self.labels)
        self._majority = int(np.argmax(label_counts(indices, len(self.labels))))
        return self

    @property
    def default_label(self) -> str:
        """The label of a text no rule matches."""
        return self.labels[self._fallback_index()]

    def predict_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Returns one-hot scores on the first matching rule's label, else the default label."""
        fallback = self._fallback_index()
        index = {label: position for position, label in enumerate(self.labels)}
        winners = np.array(
            [self._first_match(text, index, fallback) for text in check_texts(texts)], dtype=np.int64
        )
        return one_hot(winners, len(self.labels))

    def save(self, folder: Path) -> None:
        """Writes the rules, the default and the training majority label to folder/baseline.json."""
        self._fallback_index()
        write_manifest(
            folder,
            self,
            {
                "rules": [rule.to_json() for rule in self.rules],
                "default": self.default,
                "majority_label": self.labels[self._majority],
            },
        )

    @classmethod
    def load(cls, folder: Path) -> Self:
        """Reads a regex baseline written by save."""
        manifest = read_manifest(folder, cls.name, cls.version)
        baseline = cls(manifest["labels"], manifest.get("rules", []), manifest.get("default"))
        majority = manifest.get("majority_label")
        if majority not in baseline.labels:
            raise InvalidInputError(
                f"{folder}: majority_label is not a dataset label; save the baseline again"
            )
        baseline._majority = baseline.labels.index(majority)
        return baseline

    def describe(self) -> dict[str, Any]:
        """Returns the number of rules, the rules per label and the default label."""
        per_label = {label: 0 for label in self.labels}
        for rule in self.rules:
            per_label[rule.label] += 1
        return {
            "name": self.name,
            "version": self.version,
            "rules": len(self.rules),
            "rules_per_label": per_label,
            "default_label": self.default_label,
            "default_from": "rules" if self.default is not None else "training majority",
        }

    def _first_match(self, text: str, index: dict[str, int], fallback: int) -> int:
        for rule, compiled in zip(self.rules, self._compiled):
            if compiled.search(text):
                return index[rule.label]
        return fallback

    def _fallback_index(self) -> int:
        if self._majority is None:
            raise not_fitted(self)
        if self.default is not None:
            return self.labels.index(self.default)
        return self._majority


def parse_rules(
    rules: Sequence[Mapping[str, Any] | RegexRule], labels: tuple[str, ...]
) -> tuple[RegexRule, ...]:
    """Returns the rules as RegexRule objects, raising InvalidInputError naming the first bad rule."""
    if isinstance(rules, str | bytes | Mapping) or not isinstance(rules, Sequence):
        raise InvalidInputError(
            f"rules must be a list of rules, got {_kind(rules)}; "
            "write each rule as a mapping with pattern and label"
        )
    if not rules:
        raise InvalidInputError("rules is empty; add at least one rule with pattern and label")
    return tuple(_parse_rule(number, rule, labels) for number, rule in enumerate(rules, start=1))


def _parse_rule(number: int, rule: Mapping[str, Any] | RegexRule, labels: tuple[str, ...]) -> RegexRule:
    where = f"rule {number}"
    if isinstance(rule, RegexRule):
        rule = rule.to_json()
    if not isinstance(rule, Mapping):
        raise InvalidInputError(
            f"{where} is {_kind(rule)}, expected a mapping with keys pattern, label and optional flags"
        )
    unknown = [str(key) for key in rule if key not in RULE_KEYS]
    if unknown:
        raise InvalidInputError(
            f"{where} has unknown key {unknown[0]!r}; allowed keys: pattern, label, flags"
        )
    for key in ("pattern", "label"):
        if key not in rule:
            raise InvalidInputError(f"{where} is missing {key!r}; every rule needs pattern and label")
    pattern, label, flags = rule["pattern"], rule["label"], rule.get("flags", "")
    if not isinstance(pattern, str) or not pattern:
        raise InvalidInputError(
            f"{where}: pattern must be a non-empty string, got {pattern!r}; quote the regex"
        )
    if not isinstance(label, str):
        raise InvalidInputError(
            f"{where}: label must be a string, got {_kind(label)} {label!r}; quote the label in YAML"
        )
    if label not in labels:
        raise InvalidInputError(
            f"{where}: label {label!r} is not a dataset label; "
            f"allowed: {', '.join(labels)}; fix the rule's label"
        )
    if flags is None:
        flags = ""
    if not isinstance(flags, str):
        raise InvalidInputError(
            f"{where}: flags must be a string such as 'i', got {_kind(flags)}; allowed: {FLAG_HELP}"
        )
    unknown_flags = [flag for flag in flags if flag not in FLAGS]
    if unknown_flags:
        raise InvalidInputError(
            f"{where}: unknown flag {unknown_flags[0]!r} in flags {flags!r}; allowed: {FLAG_HELP}"
        )
    parsed = RegexRule(pattern=pattern, label=label, flags="".join(dict.fromkeys(flags)))
    try:
        parsed.compile()
    except re.error as error:
        raise InvalidInputError(
            f"{where}: invalid regex {pattern!r}: {error}; fix the pattern "
            "(in double-quoted YAML write \\\\ for one backslash)"
        ) from error
    return parsed


def _check_default(default: str | None, labels: tuple[str, ...]) -> str | None:
    if default is None:
        return None
    if not isinstance(default, str) or default not in labels:
        raise InvalidInputError(
            f"default {default!r} is not a dataset label; allowed: {', '.join(labels)}; "
            "fix the default or leave it out to use the training majority label"
        )
    return default


def _kind(value: object) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", type(None): "empty"}
    if type(value) in names:
        return names[type(value)]
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"

