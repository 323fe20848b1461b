"""Multiple-choice probes: choices rotated with their gold, choice-order sensitivity by choice text, and CircularEval
(a question right only if right in every order) through `benchhub probe`, its CLI, API and model page."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from benchhub import Hub
from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.tasks.multiple_choice.probes import (
    ChoiceRotations,
    order_shifts,
    rotate_choices,
)

SAMPLE = Path(str(resources.files("benchhub") / "resources" / "multiple_choice_sample"))
TEST = [json.loads(line) for line in (SAMPLE / "test.jsonl").read_text(encoding="utf-8").splitlines()]


def _split(choices: list[list[str]], gold: list[int]) -> Split:
    return Split("test", [f"q{i}" for i in range(len(choices))], [f"question {i}?" for i in range(len(choices))],
                 fields={"choices": choices, "gold": gold})


def test_rotation_moves_the_gold_with_its_choice_and_leaves_one_choice_questions_alone():
    split = _split([["a", "b", "c", "d"], ["x", "y"], ["only"]], [3, 0, 0])
    rotated = rotate_choices(split, [1, 1, 1])
    assert rotated.split.field("choices") == [["b", "c", "d", "a"], ["y", "x"], ["only"]]
    assert rotated.split.field("gold") == [2, 1, 0]
    assert rotated.changed == [True, True, False]
    for shift in range(4):
        moved = rotate_choices(split, [shift] * 3).split
        assert [c[g] for c, g in zip(moved.field("choices"), moved.field("gold"))] == ["d", "x", "only"]
    assert split.field("choices")[0] == ["a", "b", "c", "d"]  # the original split is untouched


def test_every_rotation_up_to_five_choices_then_four_spread_ones():
    assert [order_shifts(k) for k in (1, 2, 4, 5)] == [[], [1], [1, 2, 3], [1, 2, 3, 4]]
    assert order_shifts(10) == [2, 4, 6, 8] and order_shifts(7) == [1, 3, 4, 6]
    variants = ChoiceRotations().variants(_split([["a", "b", "c"], ["x", "y"]], [0, 1]), seed=0)
    assert [v.changed for v in variants] == [[True, True], [True, False]]
    assert [v.split.field("choices")[0] for v in variants] == [["b", "c", "a"], ["c", "a", "b"]]
    with pytest.raises(InvalidInputError, match=r"'max_orders' parameter of ChoiceRotations must be an int of at least 2"):
        ChoiceRotations(max_orders=1)


def test_a_question_answered_by_no_choice_counts_as_wrong_in_every_order_and_flips_only_to_a_choice():
    """Generated letters that name no choice (`predicted` None) are wrong; answering one in another order is a flip."""
    split = _split([["a", "b"], ["x", "y"]], [0, 1])
    probe = ChoiceRotations()
    variants = probe.variants(split, seed=0)
    base = [{"id": "q0", "predicted": None, "correct": False}, {"id": "q1", "predicted": None, "correct": False}]
    rotated = [[{"id": "q0", "predicted": None, "correct": False}, {"id": "q1", "predicted": 1, "correct": False}]]
    result = probe.combine(split, base, variants, rotated, base_metrics={"acc": {"value": 0.0}}, seed=0)
    assert result["flip_rate"] == 0.5 and result["circular_acc"]["value"] == 0.0 and result["value"]["value"] == 0.0
    assert result["examples_flipped"] == [{"id": "q1", "before": None, "after": ["x"]}]


def _first_longest(choices: list[str]) -> int:
    return max(range(len(choices)), key=lambda i: (len(choices[i]), -i))


@pytest.fixture
def hub(tmp_path: Path):
    with Hub.open() as opened:
        opened.add_dataset("mc", splits={"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"},
                           task="multiple-choice")
        yield opened


def by_name(report) -> dict:
    return {result["probe"]: result for result in report.results["probes"]}


def test_circular_eval_catches_a_position_bias_and_spares_a_choice_reader(hub):
    # The majority-position baseline always picks one position: under the 4 rotations of 4 choices it is right in
    # exactly one order of each question, so its acc over the orders is 1/4 and its CircularEval accuracy 0.
    biased = hub.probe(model="baseline:majority-position", dataset="mc", progress=False)
    (result,) = biased.results["probes"]
    assert (result["probe"], result["kind"], result["changed"], result["examples"], result["orders"]) == (
        "choice-rotation", "INV", 40, 40, 5)
    assert result["base"]["value"] == pytest.approx(0.2) and result["value"]["value"] == pytest.approx(0.25)
    assert result["circular_acc"]["value"] == 0.0 and result["flip_rate"] == 1.0
    assert result["drop_points"] == pytest.approx(-5.0)
    assert biased.summary["circular_acc"] == 0.0 and biased.summary["worst_probe"] == "choice-rotation"
    assert biased.suite["document"]["probes"] == [{"name": "choice-rotation", "class": "ChoiceRotations", "max_orders": 5,
                                                  "kind": "INV", "task": "multiple-choice"}]
    # The longest-choice baseline reads the choices' texts: it moves with them, except where the longest is tied and
    # it takes the first in the order shown.
    reader = by_name(hub.probe(model="baseline:longest-choice", dataset="mc", progress=False))["choice-rotation"]
    picks = [[row["choices"][s:] + row["choices"][:s] for s in range(4)] for row in TEST]
    chosen = [[order[_first_longest(order)] for order in orders] for orders in picks]
    gold = [row["choices"][row["answer"]] for row in TEST]
    flipped = [len(set(texts)) > 1 for texts in chosen]
    circular = [all(text == g for text in texts) for texts, g in zip(chosen, gold)]
    assert 0 < sum(flipped) < len(TEST)
    assert reader["flip_rate"] == pytest.approx(sum(flipped) / len(TEST))
    assert reader["circular_acc"]["value"] == pytest.approx(sum(circular) / len(TEST))
    assert reader["value"]["value"] == pytest.approx(sum(t == g for texts, g in zip(chosen, gold) for t in texts) / 160)
    assert {e["id"] for e in reader["examples_flipped"]} <= {row["id"] for row, f in zip(TEST, flipped) if f}
    assert reader["circular_acc"]["ci_low"] <= reader["circular_acc"]["value"] <= reader["circular_acc"]["ci_high"]


def test_the_cli_api_and_model_page_show_circular_accuracy(hub):
    from benchhub.cli.app import app
    from benchhub.server import create_app

    table = CliRunner().invoke(app, ["probe", "--model", "baseline:majority-position", "--dataset", "mc", "--quiet"],
                               terminal_width=240)
    assert table.exit_code == 0, table.output
    assert "choice-rotation" in table.output and "circular acc 0.000 [0.000, 0.000] (right in all of up to 5 orders; acc 0.200)" in table.output
    again = CliRunner().invoke(app, ["probe", "--model", "baseline:majority-position", "--dataset", "mc", "--quiet",
                                     "--json"])
    document = json.loads(again.stdout)
    assert document["cached"] is True and document["results"]["probes"][0]["circular_acc"]["value"] == 0.0
    client = TestClient(create_app(hub.config))
    (run,) = client.get("/api/models/baseline:majority-position/probes").json()
    assert run["summary"]["circular_acc"] == 0.0
    page = client.get("/models/baseline:majority-position").text
    row = re.search(r"<tr><td>choice-rotation</td><td>INV</td><td class=\"num\">40</td>.*?<td>([^<]*)</td></tr>", page,
                    re.DOTALL)
    assert row.group(1) == "circular acc 0.000 [0.000, 0.000] (right in all of up to 5 orders; acc 0.200)"


def test_a_model_phase_measures_the_rotation_flip_rate_as_benchhub_probe_does():
    from benchhub.competitions.model_scoring import probe_flip_rates
    from benchhub.data.records import DatasetFacts
    from benchhub.models.baselines.model import BaselineModel
    from benchhub.tasks.registry import get_task

    task = get_task("multiple-choice")
    split = Split("test", [row["id"] for row in TEST], [row["question"] for row in TEST],
                  fields={"choices": [row["choices"] for row in TEST], "gold": [row["answer"] for row in TEST]})
    facts = DatasetFacts(labels=["0", "1", "2", "3"], options={"choices_per_question": 4})
    reader = BaselineModel(task.baseline_classes()["longest-choice"]())  # it reads the choices only: nothing to fit
    flipped = [len({order[_first_longest(order)] for order in
                    (row["choices"][s:] + row["choices"][:s] for s in range(4))}) > 1 for row in TEST]
    assert probe_flip_rates(reader, split, task, facts) == {"choice-rotation": pytest.approx(sum(flipped) / len(TEST))}
