"""The checks every task family passes, written once; `test_family_contract.py` runs them on every family in
the registry and `test_toy_family.py` on a family defined inside its test module.

A `Case` is a family with a registered dataset (a train and a test split) in an open hub. Nothing here
names a family: what differs is asked of the `Task`.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from benchhub import Hub, PredictionsFormatError
from benchhub.catalog.datasets import dataset_facts, get_dataset_row, load_split
from benchhub.catalog.loading import load_model
from benchhub.catalog.models import get_model_row
from benchhub.competitions.benchmarks import PhaseSpec
from benchhub.data.records import DatasetFacts, Split
from benchhub.engine.evaluate import evaluate
from benchhub.engine.runner import run_model
from benchhub.evaluation.evaluations import model_settings, train_split
from benchhub.models.base import NETWORK_KINDS
from benchhub.models.baselines.base import Baseline
from benchhub.models.baselines.model import BaselineModel
from benchhub.tasks.base import SHARED_ROLES, Task
from tests.fixtures.browser import signed_in


@dataclass
class Case:
    hub: Hub
    task: Task
    dataset: str
    folder: Path

    def split(self, name: str = "test") -> Split:
        with self.hub.session() as session:
            return load_split(self.hub.artifacts, get_dataset_row(session, self.dataset), name)

    @property
    def facts(self) -> DatasetFacts:
        with self.hub.session() as session:
            return dataset_facts(get_dataset_row(session, self.dataset))

    def models(self) -> list[str]:
        """Every built-in baseline of the family, and every registered model that runs on inputs."""
        names = [f"baseline:{name}" for name in self.task.baselines]
        return names + [m.name for m in self.hub.models() if m.kind in NETWORK_KINDS]

    def write(self, name: str, split: Split, predictions: Any) -> Path:
        path = self.folder / f"{name}{self.task.predictions_suffixes[0]}"
        self.task.write_predictions(path, split, predictions, self.facts)
        return path

    def loaded(self, model: str) -> Any:
        with self.hub.session() as session:
            row, dataset = get_model_row(session, model), get_dataset_row(session, self.dataset)
            return load_model(row, dataset, artifacts=self.hub.artifacts, train=train_split(self.hub.artifacts, dataset),
                              settings=model_settings(self.task, row.kind, {}))


def check_a_perfect_predictions_file_scores_the_maximum(case: Case) -> None:
    split = case.split()
    path = case.write("perfect", split, case.task.gold_predictions(split, case.facts))
    case.hub.add_model("perfect", path)
    evaluation = case.hub.evaluate(model="perfect", dataset=case.dataset, progress=False)
    assert evaluation.metrics[case.task.primary_metric]["value"] == pytest.approx(case.task.metric_scale, abs=1e-9)


def check_scores_do_not_change_with_example_order_or_batch_size(case: Case) -> None:
    split = case.split()
    order = np.random.default_rng(0).permutation(len(split)).tolist()
    shuffled = split.subset(order)
    for model in case.models():
        loaded = case.loaded(model)
        runs = [evaluate(loaded, split, task=case.task, facts=case.facts, batch_size=size, show_progress=False)
                for size in (1, 8, 32)]
        predicted = [[row["predicted"] for row in run.examples] for run in runs]
        assert predicted[0] == predicted[1] == predicted[2], model
        moved = evaluate(loaded, shuffled, task=case.task, facts=case.facts, batch_size=8, show_progress=False)
        by_id = {row["id"]: row["predicted"] for row in moved.examples}
        assert [by_id[i] for i in split.ids] == predicted[0], model
        for name, entry in runs[0].metrics.items():
            assert moved.metrics[name]["value"] == pytest.approx(entry["value"], abs=1e-9), (model, name)


def check_stored_rows_rescore_to_the_stored_metrics_and_intervals_bracket_them(case: Case) -> None:
    split, facts = case.split(), case.facts
    for model in case.models():
        evaluation = case.hub.evaluate(model=model, dataset=case.dataset, progress=False)
        rows = case.hub.predictions(model=model, dataset=case.dataset)
        again = case.task.score(split, case.task.predictions_from_rows(rows, facts), facts)
        for name, entry in evaluation.metrics.items():
            assert again.metrics[name]["value"] == pytest.approx(entry["value"], abs=1e-9), (model, name)
            if entry.get("ci_low") is not None:
                assert entry["ci_low"] - 1e-9 <= entry["value"] <= entry["ci_high"] + 1e-9, (model, name)
        assert set(evaluation.metrics) <= set(case.task.metric_names(facts)), model


def check_a_predictions_file_round_trips(case: Case) -> None:
    split, facts = case.split(), case.facts
    model = f"baseline:{case.task.baselines[-1]}"
    evaluation = case.hub.evaluate(model=model, dataset=case.dataset, progress=False)
    rows = case.hub.predictions(model=model, dataset=case.dataset)
    path = case.write("round-trip", split, case.task.predictions_from_rows(rows, facts))
    scored = case.hub.score(dataset=case.dataset, predictions=path)["metrics"]
    # A file carries the predictions, not always the scores behind them (SQuAD's no-answer probabilities are a
    # second file), so the metrics that need those may be missing; every metric it gives must be the stored one.
    assert case.task.primary_metric in scored
    for name, entry in scored.items():
        assert entry["value"] == pytest.approx(evaluation.metrics[name]["value"], abs=1e-9), name


def check_every_bad_predictions_file_is_refused_naming_the_first_offending_id(case: Case) -> None:
    split, facts = case.split(), case.facts
    gold = case.task.gold_predictions(split, facts)
    missing = case.write("missing", split.subset(range(1, len(split))), _take(gold, range(1, len(split))))
    renamed = split.subset(range(len(split)))
    renamed.ids[0] = "no-such-id"
    unknown = case.write("unknown", renamed, gold)
    doubled = case.write("doubled", split.subset([0, *range(len(split))]), _take(gold, [0, *range(len(split))]))
    first = split.ids[0]
    for path, message in ((missing, rf"first id {first!r}"), (unknown, r"unknown id 'no-such-id'"),
                          (doubled, rf"duplicate id ({first!r}|'{first}')")):
        with pytest.raises(PredictionsFormatError, match=message):
            case.hub.score(dataset=case.dataset, predictions=path)


def check_the_family_works_end_to_end_through_boards_benchmarks_pages_reports_and_cards(case: Case) -> None:
    hub, task = case.hub, case.task
    board = hub.leaderboard(dataset=case.dataset, progress=False)
    shown = [row.model for row in board.rows if row.baseline]
    # Every board shows the reference baselines, and any other built-in one once it has been evaluated.
    assert {f"baseline:{name}" for name in task.reference_baselines(case.facts)} <= set(shown)
    assert set(shown) <= {f"baseline:{name}" for name in task.baselines}
    assert board.metric == task.primary_metric
    client = TestClient(_app(hub))
    for page in (f"/leaderboards/{case.dataset}", f"/datasets/{case.dataset}"):
        response = client.get(page)
        assert response.status_code == 200, (page, response.text[:300])
    for name in ("admin", "alice"):
        hub.create_user(name, admin=name == "admin")
    hub.create_benchmark("contract", dataset=case.dataset, user="admin", phases=[PhaseSpec("final", "test")])
    split = case.split()
    path = case.write("submission", split, task.gold_predictions(split, case.facts))
    hub.submit("contract", path, user="alice")
    assert hub.run_worker(once=True) == 1
    (row,) = hub.benchmark_board("contract", user="alice").rows
    assert row.metrics[task.primary_metric]["value"] == pytest.approx(task.metric_scale, abs=1e-9)
    _, token = hub.create_token("alice")
    page = signed_in(TestClient(_app(hub)), token).get("/benchmarks/contract")
    assert page.status_code == 200, page.text[:300]
    assert f"Predictions file ({task.predictions_hint})" in html.unescape(page.text)  # the submission form says the layout
    released = client.get("/api/benchmarks/contract/phases/final/inputs", headers={"Authorization": f"Bearer {token}"})
    assert released.status_code == 200, released.text[:300]
    items = [json.loads(line) for line in released.text.splitlines() if line.strip()]
    assert sorted(map(str, (item["id"] for item in items))) == sorted(map(str, split.ids))
    assert items == [{key: value for key, value in task.input_row(split, split.ids.index(item["id"]), with_gold=False).items()}
                     for item in items]
    report = hub.report_html(dataset=case.dataset, path=case.folder / "report.html", progress=False)
    assert case.dataset in Path(report).read_text(encoding="utf-8")
    card = hub.export_card(f"baseline:{task.baselines[0]}")
    assert f"type: {task.name}" in card and task.title in card


def check_the_family_declares_what_people_name_and_set_and_shows_its_rows(case: Case) -> None:
    task, split = case.task, case.split()
    defaults = dict(task.transformers_defaults)
    names = [option.name for option in (*task.column_roles, *task.dataset_settings, *task.evaluation_settings)]
    assert len(names) == len(set(names)) and not set(names) & set(SHARED_ROLES)
    for option in task.evaluation_settings:  # each is a transformers setting, and its default passes its check
        assert option.name in defaults and option.name != "max_length" and option.help
        if defaults[option.name] is not None:
            assert isinstance(defaults[option.name], option.type)
            task.check_setting(option.name, defaults[option.name])
    assert task.has_references(split) and sum(task.label_counts(split).values()) > 0
    evaluation = case.hub.evaluate(model=f"baseline:{task.baselines[0]}", dataset=case.dataset, progress=False)
    rows = case.hub.predictions(model=evaluation.model, dataset=case.dataset)
    header, cells = task.example_table(rows)
    assert len(cells) == len(split) and all(len(row) == len(header) and all(isinstance(c, str) for c in row) for row in cells)
    assert [row[0] for row in cells] == [str(i) for i in split.ids]


def check_a_perfect_model_compared_with_a_baseline_wins_every_disagreement_and_the_examples_browse(case: Case) -> None:
    task, split, hub = case.task, case.split(), case.hub
    hub.add_model("gold", case.write("gold", split, task.gold_predictions(split, case.facts)))
    baseline = f"baseline:{task.baselines[0]}"
    comparison = hub.compare("gold", baseline, dataset=case.dataset, progress=False)
    assert comparison.examples == len(split) and sum(comparison.contingency.values()) == len(split)
    assert comparison.contingency["only_b"] == comparison.contingency["both_wrong"] == 0
    evaluations = {name: hub.evaluate(model=name, dataset=case.dataset, progress=False) for name in ("gold", baseline)}
    primary = next(m for m in comparison.metrics if m.metric == task.primary_metric)
    expected = (evaluations["gold"].metrics[primary.metric]["value"] - evaluations[baseline].metrics[primary.metric]["value"])
    assert primary.difference == pytest.approx(expected, abs=1e-9) and primary.ci_low <= primary.difference <= primary.ci_high
    assert all(d["a_correct"] for d in comparison.disagreements)
    assert {str(d["id"]) for d in comparison.disagreements} <= {str(i) for i in split.ids}
    errors = hub.examples(model=baseline, dataset=case.dataset, errors=True)
    assert len(errors) == comparison.contingency["only_a"]  # the gold model is right everywhere the baseline is wrong
    for row in errors:
        index = split.ids.index(row["id"]) if row["id"] in split.ids else [str(i) for i in split.ids].index(str(row["id"]))
        assert row["inputs"] == {k: v for k, v in task.input_row(split, index, with_gold=False).items() if k != "id"}
        assert not task.example_correct(row)


def check_predict_on_released_inputs_writes_a_file_that_scores_as_the_evaluation(case: Case) -> None:
    task, split, hub = case.task, case.split(), case.hub
    inputs = case.folder / "inputs.jsonl"
    inputs.write_text("".join(json.dumps(task.input_row(split, i, with_gold=False)) + "\n" for i in range(len(split))),
                      encoding="utf-8")
    baseline = f"baseline:{task.baselines[0]}"
    output = case.folder / f"predicted{Path(task.predictions_filename).suffix}"
    summary = hub.predict(baseline, inputs, dataset=case.dataset, output=output, progress=False)
    assert summary["examples"] == len(split) and output.is_file()
    scored = hub.score(dataset=case.dataset, predictions=output)["metrics"][task.primary_metric]["value"]
    evaluated = hub.evaluate(model=baseline, dataset=case.dataset, progress=False).metrics[task.primary_metric]["value"]
    assert scored == pytest.approx(evaluated, abs=1e-9)


def check_every_baseline_is_one_protocol_and_predicts_the_same_after_a_save_and_load(case: Case) -> None:
    train, test = case.split("train"), case.split()
    for name, cls in case.task.baseline_classes().items():
        baseline = cls.trained(train, case.facts)
        assert isinstance(baseline, Baseline) and baseline.name == name
        folder = case.folder / f"saved-{name}"
        baseline.save(folder)
        model, again = BaselineModel(baseline), BaselineModel(cls.load(folder))
        first, second = run_model(model, test, batch_size=8).outputs, run_model(again, test, batch_size=32).outputs
        assert len(first) == len(test) and _same(first, second), name


def _same(a: list[Any], b: list[Any]) -> bool:
    """Outputs equal item by item (score rows compared as arrays)."""
    return len(a) == len(b) and all(np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y for x, y in zip(a, b))


def _take(predictions: Any, positions: Any) -> Any:
    positions = list(positions)
    if isinstance(predictions, np.ndarray):
        return predictions[positions]
    return [predictions[i] for i in positions]


def _app(hub: Hub) -> Any:
    from benchhub.server import create_app
    from benchhub.server.in_process_scoring import WorkerSettings

    return create_app(hub.config, scoring=WorkerSettings(enabled=False))


CHECKS = [value for name, value in sorted(globals().items()) if name.startswith("check_") and callable(value)]
