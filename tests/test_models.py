"""Registering and evaluating models: transformers checkpoints, predictions files, regex rules, built-in baselines."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from benchhub import (
    Hub,
    InvalidInputError,
    LabelMappingError,
    ModelNotFoundError,
    NameTakenError,
    UnsafeModelError,
)
from benchhub.data.records import Split
from benchhub.tasks.text_classification.transformers_classifier import (
    TransformersClassifier,
)
from tests.conftest import review_rows, write_jsonl
from tests.fixtures.tiny_bert import build_tiny_bert

SHA256 = re.compile(r"^[0-9a-f]{64}$")
LABELS = ["negative", "positive"]


@pytest.fixture
def hub(review_files):
    """A hub with the `reviews` dataset (train 40, test 24 rows, ids train-0.., test-0..)."""
    with Hub.open() as opened:
        opened.add_dataset("reviews", splits=review_files, id_column="id")
        yield opened


@pytest.fixture(scope="module")
def relabelled_berts(tmp_path_factory) -> dict[str, Path]:
    """Tiny BERTs whose id2label names are not the dataset's: upper-case, and generic LABEL_i."""
    corpus = [row["text"] for row in review_rows(200, seed=3, prefix="c")]
    root = tmp_path_factory.mktemp("relabelled")
    variants = {"upper": ["NEGATIVE", "POSITIVE"], "generic": ["LABEL_0", "LABEL_1"]}
    return {name: build_tiny_bert(root / name, corpus, LABELS, label_names=names) for name, names in variants.items()}


def copy_checkpoint(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def lower_case_twin(source: Path, target: Path) -> Path:
    """The same weights and tokenizer with id2label names exactly the dataset's (tokenizer training is not reproducible)."""
    copy_checkpoint(source, target)
    config = json.loads((target / "config.json").read_text())
    config["id2label"] = dict(enumerate(LABELS))
    config["label2id"] = {label: i for i, label in enumerate(LABELS)}
    (target / "config.json").write_text(json.dumps(config))
    return target


def test_transformers_registration_records_a_content_fingerprint(hub, tiny_bert, tmp_path):
    first = copy_checkpoint(tiny_bert, tmp_path / "first")
    same = copy_checkpoint(tiny_bert, tmp_path / "same")
    edited = copy_checkpoint(tiny_bert, tmp_path / "edited")
    config = json.loads((edited / "config.json").read_text())
    config["classifier_dropout"] = 0.25
    (edited / "config.json").write_text(json.dumps(config))

    record = hub.add_model("tiny", first)
    assert (record.name, record.kind, record.source) == ("tiny", "transformers", str(first.resolve()))
    assert record.info == {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "labels": LABELS,
                           "fingerprint_version": 2}
    assert record.options == {}
    assert SHA256.match(record.fingerprint)
    assert hub.add_model("tiny-same", same).fingerprint == record.fingerprint
    assert hub.add_model("tiny-edited", edited).fingerprint != record.fingerprint
    assert [m.name for m in hub.models()] == ["tiny", "tiny-edited", "tiny-same"]
    assert hub.model("tiny") == record


def _scores_by_id(hub: Hub, model: str) -> dict[str, dict[str, float]]:
    return {row["id"]: row["scores"] for row in hub.predictions(model=model, dataset="reviews")}


def test_model_labels_match_dataset_labels_case_insensitively(hub, relabelled_berts, tmp_path):
    upper = relabelled_berts["upper"]
    assert hub.add_model("upper", upper).info["labels"] == ["NEGATIVE", "POSITIVE"]
    hub.add_model("lower", lower_case_twin(upper, tmp_path / "lower"))
    evaluation = hub.evaluate(model="upper", dataset="reviews", progress=False)
    reference = hub.evaluate(model="lower", dataset="reviews", progress=False)
    assert evaluation.metrics == reference.metrics
    scores = _scores_by_id(hub, "upper")
    assert scores == _scores_by_id(hub, "lower")
    assert len(scores) == 24 and all(set(row) == set(LABELS) for row in scores.values())


def test_unmatched_model_labels_fail_at_evaluation_naming_both_label_sets(hub, relabelled_berts, isolated_hub):
    hub.add_model("generic", relabelled_berts["generic"])
    with pytest.raises(
        LabelMappingError,
        match=r"^Model label 'LABEL_0' matches no dataset label\. Model labels: \['LABEL_0', 'LABEL_1'\]; "
              r"dataset labels: \['negative', 'positive'\]\. Pass --label-map MODEL=DATASET,\.\.\. to map them\.$",
    ):
        hub.evaluate(model="generic", dataset="reviews", progress=False)
    assert not (isolated_hub / "artifacts" / "evaluations").exists()
    assert hub.leaderboard(dataset="reviews", baselines=False, progress=False).rows == []


def test_label_map_routes_model_outputs_to_dataset_labels(hub, relabelled_berts, tmp_path):
    generic = relabelled_berts["generic"]
    straight = hub.add_model("straight", generic, label_map="LABEL_0=negative,LABEL_1=positive")
    swapped = hub.add_model("swapped", generic, label_map=" LABEL_0 = positive , LABEL_1=negative")
    assert straight.options == {"label_map": {"LABEL_0": "negative", "LABEL_1": "positive"}}
    assert swapped.options == {"label_map": {"LABEL_0": "positive", "LABEL_1": "negative"}}
    reference_record = hub.add_model("reference", lower_case_twin(generic, tmp_path / "reference"))
    assert len({straight.fingerprint, swapped.fingerprint, reference_record.fingerprint}) == 3
    for name in ("straight", "swapped", "reference"):
        evaluation = hub.evaluate(model=name, dataset="reviews", progress=False)
        assert (evaluation.model, evaluation.cached) == (name, False)
    reference = _scores_by_id(hub, "reference")
    assert _scores_by_id(hub, "straight") == reference
    assert _scores_by_id(hub, "swapped") == {
        example_id: {"negative": scores["positive"], "positive": scores["negative"]} for example_id, scores in reference.items()
    }
    # The random model's two scores differ, so a mapping that ignored the swap would fail the line above.
    assert any(scores["negative"] != scores["positive"] for scores in reference.values())


def test_label_map_onto_one_dataset_label_twice_is_refused(hub, relabelled_berts):
    hub.add_model("collapsed", relabelled_berts["generic"], label_map="LABEL_0=positive,LABEL_1=positive")
    with pytest.raises(LabelMappingError, match=r"^Two model labels map to the same dataset label\."):
        hub.evaluate(model="collapsed", dataset="reviews", progress=False)


@pytest.mark.parametrize("label_map", ["LABEL_0:negative", "LABEL_0=negative,=positive", "LABEL_0="], ids=["colon", "empty-model-label", "empty-dataset-label"])
def test_malformed_label_map_is_refused_at_registration(label_map, hub, relabelled_berts):
    with pytest.raises(LabelMappingError, match=r"--label-map entry .* is not MODEL_LABEL=DATASET_LABEL; write e\.g\. 'LABEL_0=negative,LABEL_1=positive'\."):
        hub.add_model("bad-map", relabelled_berts["generic"], label_map=label_map)
    assert hub.models() == []


def test_a_label_map_key_the_model_lacks_is_refused_not_ignored(hub, relabelled_berts):
    # "positive=negative,..." meant a swap, but the model says "POSITIVE": ignoring the keys would quietly not swap.
    hub.add_model("misspelt", relabelled_berts["upper"], label_map="positive=negative,negative=positive")
    with pytest.raises(LabelMappingError, match=r"^--label-map names 'positive', which is not a model label\. Model labels: \['NEGATIVE', 'POSITIVE'\]; dataset labels: \['negative', 'positive'\]\.$"):
        hub.evaluate(model="misspelt", dataset="reviews", progress=False)
    assert hub.leaderboard(dataset="reviews", baselines=False, progress=False).rows == []


def test_a_label_map_for_a_model_that_is_not_transformers_is_refused(hub, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - pattern: good\n    label: positive\n")
    with pytest.raises(InvalidInputError, match=r"^--label-map applies to transformers and ONNX models; a rules model already names dataset labels\.$"):
        hub.add_model("rules", rules, label_map="good=positive")
    assert hub.models() == []


def test_a_hub_model_id_offline_is_a_clear_error(hub):
    with pytest.raises(InvalidInputError, match=r"^Cannot fetch hub model 'someone/classifier': the model hub cannot be reached from here \(HF_HUB_OFFLINE=1 is set: only cached models load\); give a local checkpoint folder instead, e\.g\. \./checkpoints/classifier\.$"):
        hub.add_model("remote", "someone/classifier")
    assert hub.models() == []


def _folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "checkpoint"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


CONFIG = json.dumps({"model_type": "bert", "id2label": {"0": "negative", "1": "positive"}}).encode()

BAD_CHECKPOINTS = [
    ("only-pytorch-model-bin", {"pytorch_model.bin": b"\x80\x04pickle"}, UnsafeModelError,
     r"holds weights only as pickle files \(pytorch_model\.bin\), which benchhub never loads"),
    ("config-and-pickle", {"config.json": CONFIG, "pytorch_model.bin": b"\x80\x04pickle"}, UnsafeModelError,
     r"holds weights only as pickle files \(pytorch_model\.bin\), which benchhub never loads; convert them to safetensors"),
    ("several-pickles", {"config.json": CONFIG, "model.pt": b"x", "weights.ckpt": b"y"}, UnsafeModelError,
     r"pickle files \(model\.pt, weights\.ckpt\)"),
    ("no-config", {"model.safetensors": b"{}"}, InvalidInputError, r"has no config\.json; is it a transformers checkpoint folder\?$"),
    ("no-weights", {"config.json": CONFIG}, InvalidInputError, r"has no \*\.safetensors weights\.$"),
]


@pytest.mark.parametrize(("files", "error", "message"), [c[1:] for c in BAD_CHECKPOINTS], ids=[c[0] for c in BAD_CHECKPOINTS])
def test_unsafe_or_incomplete_checkpoint_folders_register_nothing(files, error, message, hub, tmp_path):
    with pytest.raises(error, match=message):
        hub.add_model("bad", _folder(tmp_path, files))
    assert hub.models() == []


@pytest.mark.parametrize(
    ("source", "message"),
    [("checkpoint.txt", r"is a file; a transformers checkpoint is a folder with config\.json\."),
     ("./no/such/folder", r"^No such checkpoint folder: \./no/such/folder\.$")],
    ids=["a-file", "missing-folder"],
)
def test_checkpoint_path_mistakes_are_clear(source, message, hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "checkpoint.txt").write_text("not a folder")
    with pytest.raises(InvalidInputError, match=message):
        hub.add_model("bad", source)
    assert hub.models() == []


@pytest.mark.parametrize("changed", ["weights", "config"], ids=["weights", "config"])
def test_evaluation_refuses_a_checkpoint_changed_after_registration(changed, hub, tiny_bert, tmp_path, isolated_hub):
    from safetensors.torch import load_file, save_file

    folder = copy_checkpoint(tiny_bert, tmp_path / "bert")
    hub.add_model("tiny", folder)
    if changed == "weights":
        tensors = load_file(folder / "model.safetensors")
        tensors["classifier.bias"] = tensors["classifier.bias"] + 1.0
        save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    else:
        config = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps({**config, "classifier_dropout": 0.5}))
    with pytest.raises(InvalidInputError, match=r"^The files of model 'tiny' in .*bert changed since it was registered; register the new version under a new name\.$"):
        hub.evaluate(model="tiny", dataset="reviews", progress=False)
    assert not (isolated_hub / "artifacts" / "evaluations").exists()


@pytest.fixture(scope="module")
def spread_bert(tiny_bert, tmp_path_factory) -> Path:
    """The tiny BERT with wider random weights: a fresh BERT scores every input about 0.5, this one does not,
    so scores written back to the wrong examples would show."""
    import torch
    from transformers import AutoModelForSequenceClassification

    folder = tmp_path_factory.mktemp("spread") / "bert"
    shutil.copytree(tiny_bert, folder)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_bert, use_safetensors=True, trust_remote_code=False)
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() == 2:
                parameter.normal_(0.0, 0.2)
    model.save_pretrained(folder, safe_serialization=True)
    return folder


def test_transformers_scores_are_probabilities_independent_of_batching_and_in_split_order(spread_bert, tmp_path):
    # Texts of different lengths, so length-sorted batching reorders them.
    rows = [dict(row, text=" and ".join([row["text"]] * (1 + i % 4))) for i, row in enumerate(review_rows(24, seed=5, prefix="v"))]
    split = Split("test", ids=[r["id"] for r in rows], texts=[r["text"] for r in rows], labels=[r["label"] for r in rows])
    classifier = TransformersClassifier(spread_bert, dataset_labels=LABELS)
    assert classifier.labels == tuple(LABELS)
    items = classifier.encode(split)
    lengths = [classifier.length(item) for item in items]
    assert lengths != sorted(lengths, reverse=True)
    direct = np.asarray(classifier.predict(items))
    assert direct.shape == (24, 2)
    assert np.all((direct >= 0) & (direct <= 1))
    np.testing.assert_allclose(direct.sum(axis=1), 1.0, atol=1e-6)
    assert np.ptp(direct[:, 0]) > 0.05

    with Hub.open() as hub:
        hub.add_dataset("varied", write_jsonl(tmp_path / "varied.jsonl", rows), id_column="id")
        hub.add_model("spread", spread_bert)
        hub.evaluate(model="spread", dataset="varied", batch_size=1, progress=False)
        one = hub.predictions(model="spread", dataset="varied")
        eight_evaluation = hub.evaluate(model="spread", dataset="varied", batch_size=8, use_cache=False, progress=False)
        eight = hub.predictions(model="spread", dataset="varied")
    assert eight_evaluation.efficiency["batches"] == 3
    assert [r["id"] for r in one] == [r["id"] for r in eight] == split.ids

    def as_array(predictions: list[dict]) -> np.ndarray:
        return np.array([[r["scores"][label] for label in LABELS] for r in predictions])

    # Stored scores are rounded to 6 decimals.
    np.testing.assert_allclose(as_array(one), as_array(eight), atol=1e-5)
    np.testing.assert_allclose(as_array(eight), direct, atol=1e-5)


def _predicted_labels(review_files) -> tuple[list[str], list[str], list[str]]:
    rows = [json.loads(line) for line in review_files["test"].read_text().splitlines()]
    gold = [row["label"] for row in rows]
    # Wrong on every third example: 8 of 24 flipped.
    predicted = [label if i % 3 else {"positive": "negative", "negative": "positive"}[label] for i, label in enumerate(gold)]
    return [row["id"] for row in rows], gold, predicted


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"], ids=["jsonl", "csv"])
def test_predictions_file_model_matches_sklearn(suffix, hub, review_files, tmp_path, isolated_hub):
    ids, gold, predicted = _predicted_labels(review_files)
    path = tmp_path / f"predictions{suffix}"
    if suffix == ".jsonl":
        write_jsonl(path, [{"id": i, "label": label} for i, label in zip(ids, predicted)])
    else:
        with path.open("w", newline="") as handle:
            csv.writer(handle).writerows([["id", "label"], *zip(ids, predicted)])
    record = hub.add_model("replay", path)
    assert record.kind == "predictions"
    assert record.fingerprint == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.source == f"models/replay/predictions{suffix}"
    assert (isolated_hub / "artifacts" / record.source).read_bytes() == path.read_bytes()
    evaluation = hub.evaluate(model="replay", dataset="reviews", progress=False)
    assert evaluation.metrics["accuracy"]["value"] == pytest.approx(accuracy_score(gold, predicted)) == pytest.approx(16 / 24)
    assert evaluation.metrics["macro_f1"]["value"] == pytest.approx(f1_score(gold, predicted, average="macro", labels=LABELS))
    assert evaluation.metrics["accuracy"]["ci_low"] <= 16 / 24 <= evaluation.metrics["accuracy"]["ci_high"]
    assert [r["predicted"] for r in hub.predictions(model="replay", dataset="reviews")] == predicted


def test_regex_rules_from_yaml_are_a_model_of_their_own(hub, review_files, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text('rules:\n  - pattern: "great|wonderful|loved"\n    label: positive\ndefault: negative\n')
    record = hub.add_model("rules", rules)
    assert (record.kind, record.source) == ("rules", "models/rules/rules.yaml")
    assert hub.add_model("old-style", rules, kind="baseline").kind == "rules"  # the kind's former name still works
    evaluation = hub.evaluate(model="rules", dataset="reviews", progress=False)
    rows = [json.loads(line) for line in review_files["test"].read_text().splitlines()]
    expected = ["positive" if any(w in row["text"] for w in ("great", "wonderful", "loved")) else "negative" for row in rows]
    correct = sum(e == row["label"] for e, row in zip(expected, rows))
    assert 12 <= correct < 24  # every negative right, only some positives
    assert evaluation.metrics["accuracy"]["value"] == pytest.approx(correct / 24)
    assert [r["predicted"] for r in hub.predictions(model="rules", dataset="reviews")] == expected
    # On the leaderboard it is a model like the others, not a greyed-out baseline row.
    row = next(r for r in hub.leaderboard(dataset="reviews", progress=False).rows if r.model == "rules")
    assert (row.kind, row.baseline) == ("rules", False)


def test_regex_rules_naming_a_label_the_dataset_lacks_fail_at_evaluation(hub, tmp_path):
    rules = tmp_path / "rules.yml"
    rules.write_text("rules:\n  - pattern: meh\n    label: neutral\n")
    hub.add_model("rules", rules)
    with pytest.raises(InvalidInputError, match=r"rule 1: label 'neutral' is not a dataset label; allowed: negative, positive"):
        hub.evaluate(model="rules", dataset="reviews", progress=False)


def test_invalid_rules_file_is_refused_at_registration(hub, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - pattern: '(unclosed'\n    label: positive\n")
    with pytest.raises(InvalidInputError, match=r"rule 1: invalid regex '\(unclosed'"):
        hub.add_model("rules", rules)
    assert hub.models() == []
    assert not (Path(hub.config.artifacts) / "models" / "rules").exists()


def test_built_in_baselines_need_no_registration(hub):
    results = {name: hub.evaluate(model=f"baseline:{name}", dataset="reviews", progress=False) for name in ("majority", "keyword", "tfidf-logreg")}
    # The test split is 12 positive / 12 negative, so predicting one label everywhere is right half the time.
    assert results["majority"].metrics["accuracy"]["value"] == 0.5
    assert results["majority"].metrics["macro_f1"]["value"] == pytest.approx(1 / 3)
    assert results["keyword"].metrics["accuracy"]["value"] > 0.75
    assert results["tfidf-logreg"].metrics["accuracy"]["value"] > 0.75
    assert {r.model_kind for r in results.values()} == {"baseline"}
    builtins = {m.name: m for m in hub.models()}
    assert sorted(builtins) == ["baseline:keyword", "baseline:majority", "baseline:tfidf-logreg"]
    assert all(m.info["builtin"] and SHA256.match(m.fingerprint) for m in builtins.values())


def test_built_in_baseline_without_train_split_is_a_clear_error(tmp_path):
    with Hub.open() as hub:
        hub.add_dataset("test-only", write_jsonl(tmp_path / "t.jsonl", review_rows(6, seed=0, prefix="t")))
        with pytest.raises(InvalidInputError, match=r"trains on a split named 'train', and dataset 'test-only' has none"):
            hub.evaluate(model="baseline:majority", dataset="test-only", progress=False)


@pytest.mark.parametrize(
    ("name", "message"),
    [("baseline:foo", r"^No built-in baseline 'baseline:foo'; built-ins are baseline:majority, baseline:keyword, baseline:tfidf-logreg, baseline:embedding-logreg, baseline:sliding-window, "),
     ("nope", r"^No model named 'nope'; no models are registered yet\. Built-in baselines: baseline:majority, baseline:keyword, baseline:tfidf-logreg, baseline:embedding-logreg, baseline:sliding-window, "
             r"baseline:context-only, baseline:question-only, baseline:always-no-answer, baseline:majority-tag, "
             r"baseline:memorization, baseline:feature-logreg, baseline:lead-3, baseline:random-3, baseline:extractive-oracle, "
             r"baseline:copy-source, baseline:majority-position, baseline:longest-choice, baseline:choices-only, "
             r"baseline:majority-answer, baseline:nearest-question, baseline:ngram, baseline:uniform-bytes, baseline:pass, baseline:retrieval\.$")],
    ids=["unknown-baseline", "unknown-model"],
)
def test_unknown_models_list_the_built_ins(name, message, hub):
    with pytest.raises(ModelNotFoundError, match=message):
        hub.evaluate(model=name, dataset="reviews", progress=False)
    assert hub.models() == []


@pytest.mark.parametrize(
    ("name", "source", "kind", "error", "message"),
    [
        ("p", "missing.jsonl", None, InvalidInputError, r"^No such file: missing\.jsonl; a predictions model is a \.jsonl, \.csv, \.json, \.conll or \.iob file\.$"),
        ("p", "rules.yaml", "predictions", InvalidInputError, r"rules\.yaml: a predictions model must be a \.jsonl, \.csv, \.json, \.conll or \.iob file\."),
        ("p", "rules.yaml", "http", InvalidInputError, r"^Model kind 'http' is not supported; use one of transformers, onnx, predictions, rules, openai\.$"),
        ("bad name", "rules.yaml", None, InvalidInputError, r"^Model name 'bad name' is not allowed"),
    ],
    ids=["missing-file", "wrong-suffix-for-kind", "unsupported-kind", "invalid-name"],
)
def test_model_registration_mistakes_register_nothing(name, source, kind, error, message, hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules.yaml").write_text("rules:\n  - pattern: good\n    label: positive\n")
    with pytest.raises(error, match=message):
        hub.add_model(name, source, kind=kind)
    assert hub.models() == []


def test_a_taken_model_name_is_refused(hub, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - pattern: good\n    label: positive\n")
    first = hub.add_model("rules", rules)
    rules.write_text("rules:\n  - pattern: bad\n    label: negative\n")
    with pytest.raises(NameTakenError, match=r"^A model named 'rules' already exists; choose another name\.$"):
        hub.add_model("rules", rules)
    assert hub.models() == [first]
    assert "good" in (Path(hub.config.artifacts) / first.source).read_text()
