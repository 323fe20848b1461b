"""Language-modeling baselines over bytes: `ngram`, an interpolated Witten-Bell byte n-gram model fitted on the
train split, and `uniform-bytes`, every byte 1/256 (exactly 8 bits per byte: the floor any model should beat).

Working on the UTF-8 bytes of a document makes the log-likelihood defined on any text, with no unknown token,
and puts it in the units of bits per byte. `ngram` (order 5: a byte given the four before it) is interpolated
Witten-Bell smoothing (Witten and Bell 1991; the interpolated form of Chen and Goodman 1998, section 2.5):

    P(b | h) = (c(h b) + T(h) P(b | h')) / (c(h) + T(h))       where c(h) > 0, else P(b | h')

with h' the history h without its oldest byte, c the train counts, T(h) the number of distinct bytes seen after
h, and the order-0 model uniform over the 256 bytes. Each level sums to 1 over the next byte when the level
below does, so every P(. | h) is a probability. Documents start after n - 1 start-of-document symbols (a 257th
symbol that is context only, never predicted), in train as when scoring; no end of document is scored, as
lm-evaluation-harness scores none. Counts are saved as .npz arrays; scoring looks them up with searchsorted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from benchhub.data.records import DatasetFacts, Split
from benchhub.errors import InvalidInputError
from benchhub.models.baselines.base import (
    read_arrays,
    read_manifest,
    write_arrays,
    write_manifest,
)

ORDER = 5
START = 256    # the start-of-document symbol, context only
SYMBOLS = 257  # the base contexts are written in: 256 bytes and START
COUNT_KEYS = ("joint", "counts", "contexts", "totals", "types")


class ByteBaseline:
    """A baseline that reads each document's text and gives its natural-log likelihood."""

    name: str
    version: str
    upper_bound: bool = False

    def inputs(self, split: Split) -> list[str]:
        return list(split.texts)

    def item_length(self, item: str) -> int:
        return len(item)

    def predict_items(self, items: Sequence[str]) -> list[float]:
        return [self.loglikelihood(text) for text in items]

    def loglikelihood(self, text: str) -> float:
        raise NotImplementedError


class UniformBytes(ByteBaseline):
    """Every byte 1/256: a document's log-likelihood is -bytes * ln 256."""

    name, version = "uniform-bytes", "1"

    @classmethod
    def trained(cls, train: Split, facts: DatasetFacts) -> Self:
        return cls()

    def loglikelihood(self, text: str) -> float:
        return -len(text.encode("utf-8")) * math.log(256)

    def save(self, folder: Path) -> None:
        write_manifest(folder, self, {})

    @classmethod
    def load(cls, folder: Path) -> Self:
        read_manifest(folder, cls.name, cls.version)
        return cls()

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "model": "uniform over the 256 byte values"}


class NGramBytes(ByteBaseline):
    """An interpolated Witten-Bell byte n-gram model (see the module docstring); `levels[k]` holds the counts of
    histories of k bytes: sorted joint keys (history * 256 + byte) with their counts, and sorted history keys with
    their totals and numbers of distinct next bytes."""

    name, version = "ngram", "1"

    def __init__(self, levels: list[dict[str, np.ndarray]], *, order: int = ORDER) -> None:
        if len(levels) != order:
            raise InvalidInputError(f"an order-{order} n-gram model needs {order} levels of counts; got {len(levels)}.")
        self.levels, self.order = levels, order

    @classmethod
    def trained(cls, train: Split, facts: DatasetFacts, *, order: int = ORDER) -> Self:
        if not 1 <= order <= 7:  # keys of 7 levels still fit in int64 (257**6 * 256 < 2**63)
            raise InvalidInputError(f"order must be an int in the range [1, 7]. Got {order!r} instead.")
        keys = [[] for _ in range(order)]
        for text in train.texts:
            for level, joint in enumerate(_joint_keys(_symbols(text), order)):
                keys[level].append(joint)
        levels = []
        for parts in keys:
            joint, counts = np.unique(np.concatenate(parts) if parts else np.zeros(0, np.int64), return_counts=True)
            contexts, first, types = np.unique(joint // 256, return_index=True, return_counts=True)
            totals = np.add.reduceat(counts, first) if len(counts) else np.zeros(0, np.int64)
            levels.append({"joint": joint, "counts": counts.astype(np.int64), "contexts": contexts,
                           "totals": totals.astype(np.int64), "types": types.astype(np.int64)})
        return cls(levels, order=order)

    def loglikelihood(self, text: str) -> float:
        return float(np.log(self._probabilities(_joint_keys(_symbols(text), self.order))).sum())

    def next_byte_probabilities(self, history: bytes) -> np.ndarray:
        """P(b | history) for each of the 256 bytes b (a history shorter than order - 1 starts the document)."""
        symbols = np.concatenate([np.full(self.order - 1, START, np.int64), np.frombuffer(bytes(history), np.uint8)])
        context = symbols[len(symbols) - (self.order - 1):]
        rows = np.concatenate([np.tile(context, (256, 1)), np.arange(256, dtype=np.int64)[:, None]], axis=1)
        return self._probabilities([_row_keys(rows, level) for level in range(self.order)])

    def _probabilities(self, joints: list[np.ndarray]) -> np.ndarray:
        """Each scored byte's probability from its joint keys at every level, lowest level first."""
        p = np.full(len(joints[0]), 1 / 256)
        for level, joint in zip(self.levels, joints):
            totals, types = _lookup(level["contexts"], joint // 256, level["totals"], level["types"])
            (counts,) = _lookup(level["joint"], joint, level["counts"])
            seen = totals > 0
            p = np.where(seen, (counts + types * p) / np.where(seen, totals + types, 1), p)
        return p

    def save(self, folder: Path) -> None:
        write_manifest(folder, self, {"order": self.order})
        write_arrays(folder, {f"{key}_{k}": level[key] for k, level in enumerate(self.levels) for key in COUNT_KEYS})

    @classmethod
    def load(cls, folder: Path) -> Self:
        order = read_manifest(folder, cls.name, cls.version)["order"]
        arrays = read_arrays(folder, [f"{key}_{k}" for k in range(order) for key in COUNT_KEYS])
        return cls([{key: arrays[f"{key}_{k}"].astype(np.int64) for key in COUNT_KEYS} for k in range(order)], order=order)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "order": self.order, "smoothing": "interpolated Witten-Bell",
                "unit": "UTF-8 bytes", "ngrams": int(sum(len(level["joint"]) for level in self.levels))}


def _symbols(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)


def _joint_keys(data: np.ndarray, order: int) -> list[np.ndarray]:
    """For each byte of a document, its joint key (history * 256 + byte) at each level: histories of 0 to order - 1
    bytes, START before the first."""
    padded = np.concatenate([np.full(order - 1, START, np.int64), data])
    windows = np.lib.stride_tricks.sliding_window_view(padded, order) if len(data) else np.zeros((0, order), np.int64)
    return [_row_keys(windows, level) for level in range(order)]


def _row_keys(rows: np.ndarray, level: int) -> np.ndarray:
    """The joint keys of rows (history..., byte) using the last `level` history symbols."""
    width = rows.shape[1]
    history = np.zeros(len(rows), np.int64)
    for column in range(width - 1 - level, width - 1):
        history = history * SYMBOLS + rows[:, column]
    return history * 256 + rows[:, width - 1]


def _lookup(keys: np.ndarray, wanted: np.ndarray, *values: np.ndarray) -> list[np.ndarray]:
    """The values at each wanted key in sorted `keys`, 0 where it is absent."""
    at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    found = (keys[at] == wanted) if len(keys) else np.zeros(len(wanted), bool)
    return [np.where(found, column[at] if len(keys) else 0, 0) for column in values]


BASELINES: dict[str, type] = {cls.name: cls for cls in (NGramBytes, UniformBytes)}
