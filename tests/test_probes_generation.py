"""Probes of the generation families: whitespace and format changes of the input, the prompt template reworded, and
what they measure (the metric's change, the paired per-example score change, the share of outputs changed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from benchhub import Hub
from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.metrics.bootstrap import mean_intervals
from benchhub.models.generation import Prompting
from benchhub.tasks.registry import get_task
from benchhub.tasks.text_to_text.family import normalised
from benchhub.tasks.text_to_text.probes import (
    Format,
    PromptParaphrase,
    Whitespace,
    reformat,
)
from tests.fixtures.tiny_lm import build_tiny_causal_lm

RESOURCES = Path(str(resources.files("benchhub") / "resources"))


def sample(task: str) -> Path:
    return RESOURCES / f"{task.replace('-', '_')}_sample"


def rows(task: str) -> list[dict]:
    return [json.loads(line) for line in (sample(task) / "test.jsonl").read_text(encoding="utf-8").splitlines()]


def by_name(report) -> dict:
    return {result["probe"]: result for result in report.results["probes"]}


def add(hub: Hub, name: str, task: str) -> None:
    hub.add_dataset(name, splits={"train": sample(task) / "train.jsonl", "test": sample(task) / "test.jsonl"}, task=task,
                    id_column="id")


def test_whitespace_changes_only_whitespace_drawn_per_example_and_seed():
    split = Split("test", ["a", "b"], ["one two three four five six seven eight", "Short text here."],
                  fields={"references": [["x"], ["y"]]})
    first = Whitespace(rate=0.5).apply(split, seed=0)
    assert first.changed == [True, True] and first.split.field("references") == [["x"], ["y"]]
    assert [normalised(t) for t in first.split.texts] == split.texts
    assert all(t.startswith(" ") and t.endswith("\n") for t in first.split.texts)
    assert Whitespace(rate=0.5).apply(split, seed=0).split.texts == first.split.texts
    alone = Whitespace(rate=0.5).apply(Split("test", ["a"], [split.texts[0]]), seed=0)
    assert alone.split.texts[0] == first.split.texts[0]  # one example's change does not depend on the others
    seeds = {Whitespace(rate=0.5).apply(split, seed=s).split.texts[0] for s in range(8)}
    assert len(seeds) > 1
    assert Whitespace(rate=0.0).apply(split, seed=0).split.texts == [" " + t + "\n" for t in split.texts]
    with pytest.raises(InvalidInputError, match=r"'rate' parameter of Whitespace must be a number in \[0, 1\]"):
        Whitespace(rate=2)


def test_format_flips_the_first_letter_the_full_stop_and_the_typography():
    assert reformat('He said "yes" - twice.') == "he said “yes” – twice"
    assert reformat("it’s “fine” — really") == "It's \"fine\" - really."
    assert reformat("Wait...") == "wait..."
    assert reformat("42 apples\n") == "42 Apples.\n"
    split = Split("test", [0, 1], ["Same.", "..."])
    assert Format().apply(split, seed=0).changed == [True, False]


@dataclass
class _Generator:
    prompting: Prompting
    causal_template: str | None = None

    def __post_init__(self) -> None:
        self.template = self.prompting.template or self.causal_template


def test_a_paraphrase_rewords_the_family_prompt_of_models_that_read_it_only():
    task = get_task("generative-answers")
    probe = PromptParaphrase(task.prompt_default, task.prompt_paraphrases[0])
    reworded = probe.model_for(_Generator(Prompting(), causal_template=task.prompt_default))
    assert reworded.template == "Q: {input}\nA:" and reworded.causal_template == task.prompt_default
    assert probe.model_for(_Generator(Prompting())) is None  # a seq2seq model reads the input as it is
    assert probe.model_for(_Generator(Prompting("Other {input}"), causal_template=task.prompt_default)) is None
    assert probe.model_for(object()) is None
    split = Split("test", [0, 1], ["a", "b"])
    assert probe.apply(split, seed=0).split is split and probe.apply(split, seed=0).changed == [True, True]
    for name in ("summarization", "translation", "generative-answers"):
        family = get_task(name)
        probes, templates = family.default_probes(None)
        assert [p.name for p in probes] == ["whitespace", "format", "prompt-paraphrase-1", "prompt-paraphrase-2"]
        assert templates == [] and all("{input}" in t for t in family.prompt_paraphrases)


def test_copying_the_source_is_blind_to_whitespace_and_pays_for_the_format_change(tmp_path):
    task = get_task("translation")
    with Hub.open(tmp_path / "hub") as hub:
        add(hub, "mt", "translation")
        report = hub.probe(model="baseline:copy-source", dataset="mt", progress=False)
        from fastapi.testclient import TestClient

        from benchhub.server import create_app

        page = TestClient(create_app(hub.config)).get("/models/baseline:copy-source").text
        with hub.session() as session:
            from benchhub.catalog.datasets import get_dataset_row, load_split

            split = load_split(hub.artifacts, get_dataset_row(session, "mt"), "test")
            facts = get_dataset_row(session, "mt")
        from benchhub.evaluation.evaluations import dataset_facts

        facts = dataset_facts(facts)
    probes = by_name(report)
    space = probes["whitespace"]
    assert (space["changed"], space["flip_rate"], space["drop_points"]) == (16, 0.0, 0.0)
    assert space["score_change"] == {"value": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    # The oracle: the family's own scoring of the copied sources, reformatted or not.
    before = task.score(split, list(split.texts), facts)
    after = task.score(split, [reformat(text) for text in split.texts], facts)
    change = np.array([b["bleu"] - a["bleu"] for a, b in zip(before.examples, after.examples)])
    interval = mean_intervals({"change": change}, seed=0)["change"]
    fmt = probes["format"]
    assert (fmt["changed"], fmt["flip_rate"]) == (16, 1.0)
    assert fmt["value"]["value"] == pytest.approx(after.metrics["bleu"]["value"])
    assert fmt["drop_points"] == pytest.approx(before.metrics["bleu"]["value"] - after.metrics["bleu"]["value"]) and fmt["drop_points"] > 0
    assert fmt["score_change"]["value"] == pytest.approx(change.mean()) and change.mean() < 0
    assert fmt["score_change"]["ci_low"] == pytest.approx(interval.low) and fmt["score_change"]["ci_high"] == pytest.approx(interval.high)
    for n in (1, 2):
        paraphrase = probes[f"prompt-paraphrase-{n}"]
        assert paraphrase["changed"] == 0 and paraphrase["note"].startswith("the model reads no prompt template")
    assert report.summary["worst_probe"] == "format" and report.summary["flip_rate"] == 0.5
    change = fmt["score_change"]
    assert (f"<td>per-example bleu change {change['value']:+.1f} [{change['ci_low']:+.1f}, {change['ci_high']:+.1f}] "
            "points</td>") in page
    assert "<td>per-example bleu change +0.0 [+0.0, +0.0] points</td>" in page  # whitespace
    assert report.summary["circular_acc"] is None


def test_a_causal_model_is_probed_with_its_prompt_reworded_under_eval_s_settings_and_the_cli_shows_the_change(tmp_path):
    from benchhub.cli.app import app

    corpus = [row["question"] + " " + str(row["answer"]) for row in rows("generative-answers")]
    gpt = build_tiny_causal_lm(tmp_path / "gpt", corpus, seed=1, positions=128, init_std=0.2)
    with Hub.open() as hub:
        add(hub, "qa", "generative-answers")
        hub.add_model("gpt", gpt)
        # 4 new tokens instead of the family's 128 keep this test fast; the probe runs under them, as eval would.
        causal = by_name(hub.probe(model="gpt", dataset="qa", progress=False, max_new_tokens=4))
        again = hub.probe(model="gpt", dataset="qa", progress=False, max_new_tokens=4)
        base = hub.evaluate(model="gpt", dataset="qa", progress=False, max_new_tokens=4)
        with pytest.raises(InvalidInputError, match="^--max-new-tokens must be"):
            hub.probe(model="gpt", dataset="qa", progress=False, max_new_tokens=0)
    assert again.cached and base.cached and base.task_config["max_new_tokens"] == 4
    first = causal["prompt-paraphrase-1"]
    assert first["changed"] == 40 and 0.0 < first["flip_rate"] <= 1.0 and "score_change" in first
    assert causal["whitespace"]["changed"] == 40 and causal["format"]["changed"] == 40
    table = CliRunner().invoke(app, ["probe", "--model", "gpt", "--dataset", "qa", "--quiet", "--max-new-tokens", "4"],
                               terminal_width=240)
    assert table.exit_code == 0, table.output
    assert "(from cache)" in table.output
    assert "prompt-paraphrase-2" in table.output and "per-example exact_match change" in table.output


def test_a_model_phase_measures_the_generation_flip_rates_and_skips_a_prompt_the_model_does_not_read():
    from benchhub.competitions.model_scoring import probe_flip_rates
    from benchhub.data.records import DatasetFacts
    from benchhub.models.baselines.model import BaselineModel

    task = get_task("translation")
    examples = rows("translation")
    split = Split("test", [row["id"] for row in examples], [row["source"] for row in examples],
                  fields={"references": [row["target"] if isinstance(row["target"], list) else [row["target"]] for row in examples]})
    copier = BaselineModel(task.baseline_classes()["copy-source"]())
    assert probe_flip_rates(copier, split, task, DatasetFacts()) == {"whitespace": 0.0, "format": 1.0}
