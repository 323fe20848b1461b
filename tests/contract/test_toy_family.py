"""A task family defined entirely in this module — regression of a number per text — registered with one line,
passes the same contract as the built-in families: proof that a new family is one folder plus one registration.

Nothing outside this module knows it: the hub registers its data, fits its baseline, evaluates, ranks against the
baseline, hosts it as a benchmark, scores a submission, and shows it on the web pages, the report and a card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
import pytest

from benchhub import Hub
from benchhub.data.prediction_files import check_predictions_path, read_predictions_text
from benchhub.data.readers import json_lines
from benchhub.data.records import ColumnMapping, DatasetFacts, Split
from benchhub.errors import InvalidInputError, PredictionsFormatError
from benchhub.metrics import bootstrap
from benchhub.models.base import ModelInfo
from benchhub.tasks import registry
from benchhub.tasks.base import (
    FamilyOption,
    TaskFamily,
    TaskScore,
    check_columns,
    metric_entry,
    refuse_settings,
)
from tests.contract.family_checks import CHECKS, Case

NAME = "toy-regression"
TOLERANCE = 0.5


def _value(text: Any) -> float:
    return float(text)


def read_values(path: Path, split: Split) -> list[float]:
    """JSONL {"id", "value"}: every example exactly once, the first offence named."""
    text = read_predictions_text(check_predictions_path(path), 10 * 1024 * 1024)
    position = {str(i): k for k, i in enumerate(split.ids)}
    found: list[float | None] = [None] * len(split)
    for number, line in enumerate(json_lines(text), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row, dict) or "id" not in row or not isinstance(row.get("value"), (int, float)):
            raise PredictionsFormatError(f'{path.name}, line {number}: expected {{"id", "value"}} with a number.')
        key = str(row["id"])
        if key not in position:
            raise PredictionsFormatError(f"{path.name}, line {number}: unknown id {row['id']!r}.")
        if found[position[key]] is not None:
            raise PredictionsFormatError(f"{path.name}, line {number}: duplicate id {row['id']!r}.")
        found[position[key]] = float(row["value"])
    missing = [i for i, value in zip(split.ids, found) if value is None]
    if missing:
        raise PredictionsFormatError(f"{path.name}: {len(missing)} example(s) have no prediction, first id {missing[0]!r}.")
    return [value for value in found if value is not None]


class MeanBaseline:
    """Predicts the train split's mean for every text (the one `Baseline` protocol, nothing else)."""

    name, version = "toy-mean", "1"

    def __init__(self) -> None:
        self.mean: float | None = None

    @classmethod
    def trained(cls, train: Split, facts: DatasetFacts) -> Self:
        baseline = cls()
        baseline.mean = float(np.mean([_value(y) for y in train.labels or []]))
        return baseline

    def inputs(self, split: Split) -> list[str]:
        return list(split.texts)

    def item_length(self, item: str) -> int:
        return len(item)

    def predict_items(self, items: list[str]) -> list[float]:
        return [self.mean] * len(items)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "baseline.json").write_text(json.dumps({"name": self.name, "mean": self.mean}))

    @classmethod
    def load(cls, folder: Path) -> Self:
        baseline = cls()
        baseline.mean = json.loads((folder / "baseline.json").read_text())["mean"]
        return baseline

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "mean": self.mean}


class ValuesModel:
    def __init__(self, path: Path) -> None:
        self.path, self.info = path, ModelInfo(size_bytes=path.stat().st_size, load_seconds=0.0)

    def encode(self, split: Split) -> list[float]:
        return read_values(self.path, split)

    def length(self, item: float) -> int:
        return 1

    def predict(self, items: list[float]) -> list[float]:
        return list(items)


@dataclass(frozen=True)
class ToyRegression(TaskFamily):
    name: str = NAME
    version: str = "1"
    title: str = "Toy Regression"
    primary_metric: str = "within_half"
    metric_scale: float = 1.0
    board_metrics: tuple[str, ...] = ("within_half", "mae")
    report_metrics: tuple[str, ...] = ("within_half", "mae")
    scale_note: str = "are fractions of predictions within 0.5 of the target, and mean absolute errors"
    data_formats: str = "JSONL with a text column and a numeric target column."
    predictions_hint: str = 'JSONL {"id", "value"}'
    predictions_suffixes: tuple[str, ...] = (".jsonl",)
    predictions_keys: frozenset[str] = frozenset({"value"})
    predictions_filename: str = "predictions.jsonl"
    baselines: tuple[str, ...] = ("toy-mean",)
    column_roles: tuple[FamilyOption, ...] = (FamilyOption("text", "The text."), FamilyOption("label", "The target (default: target)."))
    transformers_defaults: tuple[tuple[str, Any], ...] = ()
    auto_class: str = "none"
    head_suffix: str = "ForToyRegression"
    head_outputs: tuple[str, ...] = ()
    demo: Any = None
    n_resamples: int = 200
    seed: int = 0

    @property
    def metric_versions(self) -> dict[str, str]:
        return {"toy": "1", "bootstrap": bootstrap.VERSION}

    def column_mapping(self, columns: dict[str, str | None]) -> ColumnMapping:
        given = check_columns(self, columns)
        return ColumnMapping(text=given["text"] or "text", label=given["label"] or "target", id=given["id"])

    def dataset_options(self, splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
        refuse_settings(self.name, settings)
        return {}

    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        return ("within_half", "mae")

    def collect(self, model: Any, split: Split, run: Any, facts: DatasetFacts) -> list[float]:
        return [float(output) for output in run.outputs]

    def score(self, split: Split, predictions: list[float], facts: DatasetFacts) -> TaskScore:
        gold = np.array([_value(y) for y in split.labels or []])
        predicted = np.array(predictions, dtype=float)
        errors = np.abs(predicted - gold)
        within = (errors <= TOLERANCE).astype(float)
        intervals = bootstrap.mean_intervals({"within_half": within, "mae": errors}, n_resamples=self.n_resamples, seed=self.seed)
        metrics = {name: metric_entry(values.mean(), intervals[name].low, intervals[name].high)
                   for name, values in (("within_half", within), ("mae", errors))}
        examples = [{"id": i, "gold": float(g), "predicted": float(p), "correct": bool(w)}
                    for i, g, p, w in zip(split.ids, gold, predicted, within, strict=True)]
        return TaskScore(metrics, {"tolerance": TOLERANCE}, examples)

    def paired_test(self, a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str,
                    facts: DatasetFacts) -> Any:
        if metric != "within_half":
            return None
        first, second = (np.array([float(row["correct"]) for row in rows]) for rows in (a, b))
        return bootstrap.paired_mean_difference(first, second, n_resamples=self.n_resamples, seed=self.seed)

    def example_labels(self, split: Split) -> list[frozenset[str]]:
        return [frozenset(("high" if _value(y) >= 3 else "low",)) for y in split.labels or []]

    def label_values(self, labels: list[str]) -> list[str]:
        return ["high", "low"]

    def load_network(self, *args: Any, **kwargs: Any) -> Any:
        raise InvalidInputError(f"{self.name} has no transformers head.")

    def predictions_model(self, path: Path, facts: DatasetFacts, *, na_probs: Path | None = None) -> Any:
        return ValuesModel(path)

    def check_predictions_syntax(self, path: Path) -> None:
        for line in json_lines(read_predictions_text(path, 10 * 1024 * 1024)):
            if line.strip() and "value" not in json.loads(line):
                raise PredictionsFormatError(f'{path.name}: expected {{"id", "value"}} lines.')

    def check_predictions_file(self, path: Path, *, split: Split, labels: list[str], max_bytes: int, max_depth: int) -> None:
        read_values(path, split)

    def baseline_classes(self) -> dict[str, type]:
        return {"toy-mean": MeanBaseline}

    def reference_baselines(self, facts: DatasetFacts) -> tuple[str, ...]:
        return self.baselines

    def predictions_from_rows(self, rows: list[dict[str, Any]], facts: DatasetFacts) -> list[float]:
        return [float(row["predicted"]) for row in rows]

    def input_row(self, split: Split, index: int, *, with_gold: bool) -> dict[str, Any]:
        row: dict[str, Any] = {"id": split.ids[index], "text": split.texts[index]}
        if with_gold:
            row["target"] = _value((split.labels or [])[index])
        return row

    def gold_predictions(self, split: Split, facts: DatasetFacts) -> list[float]:
        return [_value(y) for y in split.labels or []]

    def write_predictions(self, path: Path, split: Split, predictions: list[float], facts: DatasetFacts) -> None:
        path.write_text("".join(json.dumps({"id": i, "value": v}) + "\n" for i, v in zip(split.ids, predictions, strict=True)))

    def bench_split(self, text: str, batch_size: int) -> Split:
        return Split("bench", list(range(batch_size)), [text] * batch_size)

    def default_probes(self, facts: DatasetFacts) -> tuple[list[Any], list[Any]]:
        return [], []

    def calibration_inputs(self, rows: list[dict[str, Any]]) -> None:
        return None


def _rows(n: int, seed: int, prefix: str) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [{"id": f"{prefix}-{i}", "text": " ".join(["word"] * int(k)), "target": float(k) + float(rng.normal(0, 0.3))}
            for i, k in enumerate(rng.integers(1, 6, size=n))]


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> Case:
    folder = tmp_path_factory.mktemp("toy")
    for name, n, seed in (("train", 60, 1), ("test", 40, 2)):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in _rows(n, seed, name)))
    registry.TASKS[NAME] = ToyRegression()  # the one registration a new family needs
    try:
        hub = Hub.open(folder / "hub")
        hub.add_dataset("toy", splits={"train": folder / "train.jsonl", "test": folder / "test.jsonl"}, task=NAME,
                        id_column="id")
        yield Case(hub, registry.TASKS[NAME], "toy", folder)
        hub.close()
    finally:
        del registry.TASKS[NAME]


@pytest.mark.parametrize("check", CHECKS, ids=[check.__name__.removeprefix("check_") for check in CHECKS])
def test_a_family_defined_in_a_test_module_passes_the_whole_contract(case, check):
    check(case)


def test_the_toy_family_ranks_against_its_own_baseline(case):
    case.hub.add_model("exact", case.write("exact", case.split(), case.task.gold_predictions(case.split(), case.facts)))
    case.hub.evaluate(model="exact", dataset="toy", progress=False)
    board = case.hub.leaderboard(dataset="toy", progress=False)
    rows = {row.model: row for row in board.rows}
    assert board.metric == "within_half" and board.rows[0].metrics["within_half"]["value"] == 1.0
    assert rows["baseline:toy-mean"].baseline and rows["baseline:toy-mean"].metrics["within_half"]["value"] < 0.5
    assert rows["exact"].p_value_vs_leader is None or rows["exact"].tied_with_leader
