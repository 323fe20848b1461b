"""Code-generation adapters: a generations file replayed, and n samples per problem from a generating model.

`SampledGenerator` wraps a `TextGenerator` or an `EndpointGenerator`: each problem becomes n items, sample i
seeded with `example_seed(sampling_seed, f"{id}\\0{i}")` (one sample keeps the problem's own seed, as the other
generation families draw), so neither batch size nor problem order changes a completion. The family's `collect`
groups each problem's n outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchhub.data.prediction_files import check_predictions_path
from benchhub.data.records import Split
from benchhub.models.base import ModelInfo
from benchhub.models.generation import example_seed
from benchhub.tasks.code_generation.generations import Attempts, read_generations


class GenerationsModel:
    """Replays a generations file: each problem's completions."""

    def __init__(self, path: Path) -> None:
        self.path = check_predictions_path(Path(path))
        self.info = ModelInfo(size_bytes=self.path.stat().st_size, load_seconds=0.0)

    def encode(self, split: Split) -> list[Attempts]:
        return read_generations(self.path, ids=split.ids)

    def length(self, item: Attempts) -> int:
        return 1

    def predict(self, items: Sequence[Attempts]) -> list[Attempts]:
        return list(items)


class SampledGenerator:
    """n completions per problem from a generator whose items carry a sampling seed; its `max_length` and
    `timed_predict` (what `bench` and a models phase's measurements read) are the generator's."""

    def __init__(self, generator: Any, samples: int) -> None:
        self.generator, self.samples = generator, samples
        base = generator.info
        self.info = ModelInfo(parameters=base.parameters, size_bytes=base.size_bytes, load_seconds=base.load_seconds,
                              extra={**base.extra, "samples": samples})

    def encode(self, split: Split) -> list[Any]:
        if self.samples == 1:
            return self.generator.encode(split)
        seed = self.generator.decoding.seed
        return [replace(item, seed=example_seed(seed, f"{example_id}\0{i}"))
                for example_id, item in zip(split.ids, self.generator.encode(split), strict=True)
                for i in range(self.samples)]

    def length(self, item: Any) -> int:
        return self.generator.length(item)

    @property
    def max_length(self) -> int:
        return self.generator.max_length

    def predict(self, items: Sequence[Any]) -> list[str]:
        return self.generator.predict(items)

    def timed_predict(self, items: Sequence[Any]) -> tuple[list[str], Any]:
        return self.generator.timed_predict(items)
