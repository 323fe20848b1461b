"""A model's fingerprint covers every file that changes its outputs; older fingerprints are upgraded honestly."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from benchhub import Hub, InvalidInputError
from benchhub.evaluation.evaluations import cache_key
from benchhub.models.checkpoints import checkpoint_fingerprint
from benchhub.store.tables import EvaluationRow, ModelRow
from tests.conftest import review_rows
from tests.fixtures.crafted_models import tiny_onnx_folder

CHANGED = r"^The files of {what} '{name}' in .* changed since it was registered; register the new version under a new name\.$"


@pytest.fixture
def hub(review_files):
    with Hub.open() as opened:
        opened.add_dataset("reviews", splits=review_files, id_column="id")
        yield opened


def _edit(folder: Path, name: str) -> None:
    path = folder / name
    if name == "tokenizer.json":
        document = json.loads(path.read_text())
        document["normalizer"]["lowercase"] = False  # "Great" and "great" now tokenize apart
        path.write_text(json.dumps(document))
    elif name == "tokenizer_config.json":
        path.write_text(json.dumps({**json.loads(path.read_text()), "model_max_length": 8}))
    else:  # a file the folder did not have at registration
        path.write_text(json.dumps({"max_length": 4}) if name.endswith(".json") else "[PAD]\n[UNK]\n")


TOKENIZER_EDITS = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
                   "added_tokens.json", "generation_config.json"]


@pytest.mark.parametrize("name", TOKENIZER_EDITS)
def test_a_tokenizer_or_generation_file_edited_after_registration_refuses_the_run_and_the_cache(name, hub, tiny_bert, tmp_path):
    folder = shutil.copytree(tiny_bert, tmp_path / "bert")
    hub.add_model("bert", folder)
    first = hub.evaluate(model="bert", dataset="reviews", progress=False)
    assert first.cached is False
    _edit(folder, name)
    # The stored result was computed with the old file: it must not come back from the cache.
    with pytest.raises(InvalidInputError, match=CHANGED.format(what="model", name="bert")):
        hub.evaluate(model="bert", dataset="reviews", progress=False)
    with pytest.raises(InvalidInputError, match=CHANGED.format(what="model", name="bert")):
        hub.evaluate(model="bert", dataset="reviews", use_cache=False, progress=False)


def test_the_fingerprint_covers_each_output_file_and_ignores_others(tiny_bert, tmp_path):
    folder = shutil.copytree(tiny_bert, tmp_path / "bert")
    original = checkpoint_fingerprint(folder)
    (folder / "README.md").write_text("notes that change nothing")
    (folder / "training_args.txt").write_text("epochs 3")
    assert checkpoint_fingerprint(folder) == original
    seen = {original}
    for name in ("spiece.model", "merges.txt", "chat_template.jinja", "model.safetensors.index.json"):
        (folder / name).write_text(f"{name} content")
        seen.add(checkpoint_fingerprint(folder))
    assert len(seen) == 5


def test_an_onnx_folders_tokenizer_and_external_data_are_in_its_fingerprint(hub, tmp_path):
    folder = tiny_onnx_folder(tmp_path / "onnx", [row["text"] for row in review_rows(200, seed=3, prefix="c")])
    hub.add_model("onnx", folder)
    assert hub.evaluate(model="onnx", dataset="reviews", progress=False).cached is False
    _edit(folder, "tokenizer.json")
    with pytest.raises(InvalidInputError, match=CHANGED.format(what="ONNX model", name="onnx")):
        hub.evaluate(model="onnx", dataset="reviews", progress=False)


def _make_old(hub: Hub, name: str) -> None:
    """Turns a model row into one an older hub stored: fingerprint under version 1, no version recorded,
    and its evaluations keyed by that fingerprint."""
    with hub.session() as session:
        row = session.scalar(select(ModelRow).where(ModelRow.name == name))
        row.fingerprint = checkpoint_fingerprint(Path(row.source), version=1)
        row.info = {key: value for key, value in row.info.items() if key != "fingerprint_version"}
        for evaluation in session.scalars(select(EvaluationRow).where(EvaluationRow.model_id == row.id)):
            evaluation.cache_key = cache_key(row, evaluation.dataset, evaluation.split,
                                             _task(evaluation.task), dict(evaluation.task_config))
        session.commit()


def _task(name: str):
    from benchhub.tasks.registry import get_task

    return get_task(name)


def test_an_older_fingerprint_is_upgraded_on_first_use_and_says_so_without_a_false_change_error(hub, tiny_bert, tmp_path, caplog):
    folder = shutil.copytree(tiny_bert, tmp_path / "bert")
    current = hub.add_model("bert", folder).fingerprint
    old = hub.evaluate(model="bert", dataset="reviews", progress=False)
    _make_old(hub, "bert")
    _edit(folder, "tokenizer_config.json")  # a file the old definition did not cover: the old result may be stale
    with caplog.at_level(logging.WARNING, logger="benchhub"):
        upgraded = hub.evaluate(model="bert", dataset="reviews", progress=False)
    assert upgraded.cached is False and upgraded.id != old.id
    assert [r.getMessage() for r in caplog.records] == [
        "note: model 'bert' was re-fingerprinted (fingerprint version 1 -> 2, which also covers its tokenizer and "
        "generation config); its earlier evaluations are not reused."
    ]
    record = hub.model("bert")
    assert record.info["fingerprint_version"] == 2
    assert record.fingerprint == checkpoint_fingerprint(folder) != current
    assert upgraded.provenance["model"]["fingerprint"] == record.fingerprint


def test_an_older_fingerprint_whose_weights_changed_is_still_refused(hub, tiny_bert, tmp_path):
    from safetensors.torch import load_file, save_file

    folder = shutil.copytree(tiny_bert, tmp_path / "bert")
    hub.add_model("bert", folder)
    hub.evaluate(model="bert", dataset="reviews", progress=False)
    _make_old(hub, "bert")
    tensors = load_file(folder / "model.safetensors")
    tensors["classifier.bias"] = tensors["classifier.bias"] + 1.0
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(InvalidInputError, match=CHANGED.format(what="model", name="bert")):
        hub.evaluate(model="bert", dataset="reviews", progress=False)
    assert "fingerprint_version" not in hub.model("bert").info


def test_an_edited_hub_copy_of_a_split_is_refused_not_evaluated(hub, tiny_bert, isolated_hub):
    hub.add_model("bert", tiny_bert)
    path = isolated_hub / "artifacts" / "datasets" / "reviews" / "test.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["label"] = "negative" if rows[0]["label"] == "positive" else "positive"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(InvalidInputError, match=r"^The hub's copy of reviews/test \(.*test\.jsonl\) was changed on disk since "
                                                r"the dataset was registered; register the data again under a new name\.$"):
        hub.evaluate(model="bert", dataset="reviews", progress=False)
