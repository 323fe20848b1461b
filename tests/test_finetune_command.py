"""`benchhub finetune`: a family's recipe from a registered dataset, the result registered with its lineage and
evaluated, the same weights for the same seed, the same recipe trained once, and bad input as one line."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from benchhub import Hub
from benchhub.config import HubConfig
from benchhub.models.checkpoints import checkpoint_fingerprint
from tests.conftest import review_rows, write_jsonl
from tests.fixtures.tiny_bert import build_tiny_bert_tagger
from tests.test_cli import one_error_line, run_cli

NER = Path(str(resources.files("benchhub") / "resources" / "ner_sample"))


@pytest.fixture
def reviews(tmp_path: Path) -> Hub:
    hub = Hub.open()
    hub.add_dataset("reviews", id_column="id", splits={
        "train": write_jsonl(tmp_path / "train.jsonl", review_rows(48, seed=1, prefix="train")),
        "test": write_jsonl(tmp_path / "test.jsonl", review_rows(24, seed=2, prefix="test"))})
    return hub


def test_a_registered_encoder_is_fine_tuned_registered_with_its_lineage_and_evaluated(reviews, tiny_bert):
    hub = reviews
    hub.add_model("tiny", tiny_bert)
    lines: list[str] = []
    result = hub.finetune("tiny", dataset="reviews", epochs=2, learning_rate=5e-4, batch_size=8, seed=3, progress=False,
                          echo=lines.append)
    assert result.model.name == "tiny-reviews" and result.model.kind == "transformers" and result.model.parent == "tiny"
    assert result.model.source.startswith("checkpoints/finetuned-") and result.model.options["in_hub"]  # moves with the home
    lineage = result.model.options["lineage"]["finetuned_from"]
    info = hub.dataset("reviews")
    assert (lineage["base"], lineage["base_fingerprint"]) == ("tiny", hub.model("tiny").fingerprint)
    assert (lineage["dataset_fingerprint"], lineage["split"], lineage["split_fingerprint"]) == (
        info.fingerprint, "train", info.split("train").fingerprint)
    assert (lineage["settings"]["epochs"], lineage["settings"]["learning_rate"], lineage["settings"]["batch_size"],
            lineage["settings"]["seed"]) == (2.0, 5e-4, 8, 3)
    assert result.summary["steps"] == 2 * 6 and result.evaluation is not None and result.evaluation.split == "test"
    assert result.evaluation.model == "tiny-reviews" and "macro_f1" in result.evaluation.metrics
    assert any(line.startswith("Fine-tuning tiny on reviews/train (48 examples, 2 epochs") for line in lines)
    # The same recipe again (under another name) reuses the checkpoint: same weights, no training.
    again = hub.finetune("tiny", dataset="reviews", name="again", epochs=2, learning_rate=5e-4, batch_size=8, seed=3,
                         progress=False, echo=lines.append)
    assert any(line.startswith("Reusing the checkpoint of the same recipe") for line in lines)
    assert again.summary == result.summary and again.model.source == result.model.source
    assert checkpoint_fingerprint(hub.artifacts.path(again.model.source)) == checkpoint_fingerprint(hub.artifacts.path(result.model.source))
    assert again.model.fingerprint == result.model.fingerprint


def test_the_same_seed_gives_the_same_weights_and_another_seed_other_weights(reviews, tiny_bert, tmp_path):
    first = reviews.finetune(str(tiny_bert), dataset="reviews", name="one", epochs=1, seed=0, evaluate_on=None, progress=False)
    assert first.evaluation is None and first.model.parent is None and first.base == tiny_bert.name
    other = reviews.finetune(str(tiny_bert), dataset="reviews", name="three", epochs=1, seed=1, evaluate_on=None, progress=False)
    # Trained again from scratch in a hub of its own (no checkpoint to reuse): the same weights.
    elsewhere = Hub(HubConfig(home=tmp_path / "elsewhere", database_url=f"sqlite:///{tmp_path / 'elsewhere.db'}"))
    elsewhere.add_dataset("reviews", id_column="id", splits={name: tmp_path / f"{name}.jsonl" for name in ("train", "test")})
    second = elsewhere.finetune(str(tiny_bert), dataset="reviews", name="two", epochs=1, seed=0, evaluate_on=None, progress=False)
    assert elsewhere.artifacts.path(second.model.source) != reviews.artifacts.path(first.model.source)
    assert checkpoint_fingerprint(reviews.artifacts.path(first.model.source)) == \
        checkpoint_fingerprint(elsewhere.artifacts.path(second.model.source))
    assert first.model.fingerprint == second.model.fingerprint != other.model.fingerprint
    elsewhere.close()


def test_a_tagger_is_fine_tuned_from_the_cli_and_ranked_with_the_baselines(tmp_path):
    hub = Hub.open()
    info = hub.add_dataset("ner", splits={"train": NER / "train.conll", "test": NER / "test.conll"}, task="token-classification")
    corpus = [line.split()[0] for line in (NER / "train.conll").read_text(encoding="utf-8").splitlines() if line.strip()]
    base = build_tiny_bert_tagger(tmp_path / "base", info.labels, corpus=[" ".join(corpus[:3000])])
    shown = run_cli("finetune", str(base), "--dataset", "ner", "--name", "tagger", "--epochs", "1", "--quiet", "--json")
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["model"]["name"] == "tagger" and document["evaluation"]["task"] == "token-classification"
    board = hub.leaderboard(dataset="ner", progress=False)
    assert "tagger" in [row.model for row in board.rows]


@pytest.mark.parametrize(("args", "message"), [
    (["nothing-here", "--dataset", "reviews"], r"'nothing-here' is no registered model and no folder; give a registered transformers model"),
    (["TINY", "--dataset", "reviews", "--epochs", "0"], r"--epochs must be above 0; got 0\.0\."),
    (["TINY", "--dataset", "reviews", "--lr", "-1"], r"--learning-rate must be above 0; got -1\.0\."),
    (["TINY", "--dataset", "reviews", "--split", "dev"], r"Dataset 'reviews' has no split 'dev'"),
    (["TINY", "--dataset", "reviews", "--name", "tiny"], r"A model named 'tiny' already exists; choose another name with --name\."),
])
def test_bad_fine_tuning_is_one_line_and_registers_nothing(reviews, tiny_bert, args, message):
    reviews.add_model("tiny", tiny_bert)
    before = [m.name for m in reviews.models()]
    args = [str(tiny_bert) if a == "TINY" else a for a in args]
    assert re.search(message, one_error_line(run_cli("finetune", *args)))
    assert [m.name for m in reviews.models()] == before
