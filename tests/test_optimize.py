"""`benchhub optimize`: ONNX export with parity to PyTorch, int8 behind an accuracy gate, lineage, safety."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from benchhub import Hub, InvalidInputError
from benchhub.errors import (
    AccuracyGateError,
    ExportError,
    NameTakenError,
    UnsafeModelError,
)
from benchhub.models.onnx_files import vet_onnx_folder
from tests.conftest import review_rows, write_jsonl
from tests.test_qa_hub import squad_files

pytestmark = pytest.mark.slow
LABELS = ["negative", "positive"]


@pytest.fixture(scope="module")
def trained_bert(tiny_bert, tmp_path_factory) -> Path:
    """The tiny BERT fine-tuned on 200 reviews: it predicts both labels with margins, like a real model."""
    from benchhub.data.records import Split
    from benchhub.tasks.text_classification.finetune import (
        FinetuneConfig,
        finetune_classifier,
    )

    rows = review_rows(200, seed=7, prefix="fit")
    train = Split("fit", [r["id"] for r in rows], [r["text"] for r in rows], labels=[r["label"] for r in rows])
    output = tmp_path_factory.mktemp("trained") / "bert"
    finetune_classifier(tiny_bert, train, LABELS, output, config=FinetuneConfig(epochs=10, learning_rate=1e-3, max_length=32),
                        show_progress=False)
    return output


@pytest.fixture
def hub(tmp_path, trained_bert):
    """`reviews` (train 40 / test 200) and the registered model `bert`, evaluated on the test split."""
    with Hub.open() as opened:
        opened.add_dataset("reviews", splits={
            "train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
            "test": write_jsonl(tmp_path / "test.jsonl", review_rows(200, seed=2, prefix="test")),
        }, id_column="id")
        opened.add_model("bert", trained_bert)
        opened.evaluate(model="bert", dataset="reviews", progress=False)
        yield opened


def model_folders(home: Path) -> list[str]:
    folder = home / "artifacts" / "models"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_fp32_export_matches_pytorch_logits_and_is_registered_with_its_lineage(hub, isolated_hub):
    result = hub.optimize("bert", progress=False)
    assert result.model.name == "bert@onnx"
    assert result.model.kind == "onnx"
    assert result.model.parent == "bert"
    parity = result.gate["fp32_parity"]
    assert parity["passed"] and parity["max_abs_diff"] <= 1e-4
    assert parity["examples"] == parity["items"] == 200
    assert result.steps["export"]["opset"] >= 18
    assert result.steps["export"]["inputs"] == ["input_ids", "attention_mask", "token_type_ids"]
    assert result.steps["fusions"]  # attention and layer norms were fused
    lineage = hub.model("bert@onnx").options["lineage"]
    assert lineage["source"] == "bert" and lineage["gate"]["fp32_parity"]["passed"]
    assert model_folders(isolated_hub) == ["bert@onnx"]
    # The same predictions as PyTorch on every example, so the same metrics.
    assert result.evaluation.metrics["macro_f1"]["value"] == result.source_evaluation.metrics["macro_f1"]["value"]
    onnx_rows = hub.predictions(model="bert@onnx", dataset="reviews")
    torch_rows = hub.predictions(model="bert", dataset="reviews")
    assert [r["predicted"] for r in onnx_rows] == [r["predicted"] for r in torch_rows]
    np.testing.assert_allclose([r["scores"]["positive"] for r in onnx_rows], [r["scores"]["positive"] for r in torch_rows], atol=1e-5)
    assert result.evaluation.provenance["model"]["runtime"] == "onnxruntime"


def test_int8_keeps_the_metric_within_a_point_and_reports_agreement(hub):
    result = hub.optimize("bert", quantize="dynamic-int8", progress=False)
    assert result.model.name == "bert@onnx-int8"
    check = result.gate["int8_metric"]
    assert check["metric"] == "macro_f1"
    assert check["source"] == result.source_evaluation.metrics["macro_f1"]["value"]
    assert check["candidate"] == result.evaluation.metrics["macro_f1"]["value"]
    assert check["drop_points"] == pytest.approx((check["source"] - check["candidate"]) * 100)
    assert check["passed"] and check["drop_points"] <= 1.0
    int8 = hub.predictions(model="bert@onnx-int8", dataset="reviews")
    fp = hub.predictions(model="bert", dataset="reviews")
    assert check["agreement"] == sum(a["predicted"] == b["predicted"] for a, b in zip(int8, fp)) / 200
    assert check["agreement"] >= 0.97
    assert len({row["predicted"] for row in fp}) == 2  # the agreement is not that of a constant model
    import onnx

    graph = onnx.load(str(hub.artifacts.path(hub.model("bert@onnx-int8").source, "model.onnx"))).graph
    operators = {node.op_type for node in graph.node}
    assert {"DynamicQuantizeLinear", "MatMulInteger", "QAttention"} <= operators  # BERT route: attention quantized too
    int8_weights = [t for t in graph.initializer if t.data_type == onnx.TensorProto.INT8 and len(t.dims) == 2]
    assert len(int8_weights) >= 8  # 2 layers x (packed QKV, attention output, two feed-forward) at least


def _shift_classifier_bias(path: Path, shift: float) -> None:
    """Corrupts an exported graph: `shift` is added to the logit of label 0 (a new Add before the output)."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    producer = next(node for node in model.graph.node if "logits" in node.output)
    producer.output[list(producer.output).index("logits")] = "logits_before_shift"
    model.graph.initializer.append(numpy_helper.from_array(np.array([shift, 0.0], dtype=np.float32), "logit_shift"))
    model.graph.node.append(helper.make_node("Add", ["logits_before_shift", "logit_shift"], ["logits"]))
    onnx.save(model, str(path))


def test_an_int8_model_that_loses_accuracy_is_not_registered_unless_forced(hub, isolated_hub, monkeypatch):
    from benchhub.optimize import graph

    assert hub.evaluate(model="bert", dataset="reviews", progress=False).metrics["macro_f1"]["value"] == 1.0

    real = graph.quantize_int8

    def lossy(source: Path, target: Path):
        settings = real(source, target)
        _shift_classifier_bias(target, 100.0)  # now every example is "negative"
        return settings

    monkeypatch.setattr(graph, "quantize_int8", lossy)
    with pytest.raises(AccuracyGateError, match=r"^The int8 model of bert loses too much accuracy on reviews/test: macro_f1 0\.3333 vs 1 for the source: a change of -66\.67 points \(allowed down to -1\); 50\.0% of predictions identical; nothing was registered \(raise --tolerance, or --force to register it anyway\)\.$"):
        hub.optimize("bert", quantize="dynamic-int8", progress=False)
    assert [m.name for m in hub.models()] == ["bert"]
    assert model_folders(isolated_hub) == []
    assert not [p for p in (isolated_hub / "artifacts").iterdir() if p.name.startswith(".")]

    forced = hub.optimize("bert", quantize="dynamic-int8", force=True, progress=False)
    assert not forced.gate["int8_metric"]["passed"] and forced.gate["forced"] is True
    assert forced.evaluation.metrics["macro_f1"]["value"] == forced.gate["int8_metric"]["candidate"]


def test_an_fp32_export_that_drifts_from_pytorch_is_not_registered(hub, isolated_hub, monkeypatch):
    from benchhub.optimize import export

    real = export.export_onnx

    def drifting(checkpoint, task, folder, **kwargs):
        result = real(checkpoint, task, folder, **kwargs)
        _shift_classifier_bias(result.path, 1e-3)
        return result

    monkeypatch.setattr(export, "export_onnx", drifting)
    with pytest.raises(AccuracyGateError, match=r"^The ONNX export of bert does not reproduce PyTorch: max \|logit difference\| 1\.00e-03 over 200 inputs of 200 examples \(allowed 1e-04\); nothing was registered"):
        hub.optimize("bert", fuse=False, progress=False)
    assert [m.name for m in hub.models()] == ["bert"] and model_folders(isolated_hub) == []


def test_qa_export_matches_pytorch_and_int8_is_gated_on_f1(tmp_path):
    from tests.fixtures.tiny_bert import build_tiny_bert_qa
    from tests.test_qa_hub import TEST_ARTICLES, TRAIN_ARTICLES, flat_rows

    files = squad_files(tmp_path)
    corpus = [text for row in flat_rows(TEST_ARTICLES + TRAIN_ARTICLES) for text in (row["question"], row["context"])]
    checkpoint = build_tiny_bert_qa(tmp_path / "qa-bert", corpus, max_position_embeddings=64)
    with Hub.open() as hub:
        hub.add_dataset("qa", task="question-answering", splits={"train": files["train"], "test": files["test"]})
        hub.add_model("qa-bert", checkpoint)
        # A 64-token window with stride 16: long contexts become several features per question.
        fp32 = hub.optimize("qa-bert", dataset="qa", max_length=64, doc_stride=16, progress=False)
        assert fp32.gate["fp32_parity"]["passed"] and fp32.gate["fp32_parity"]["max_abs_diff"] <= 1e-4
        assert fp32.gate["fp32_parity"]["items"] > fp32.gate["fp32_parity"]["examples"] == 13
        assert fp32.steps["export"]["outputs"] == ["start_logits", "end_logits"]
        same = hub.predictions(model="qa-bert@onnx", dataset="qa")
        assert [r["predicted"] for r in same] == [r["predicted"] for r in hub.predictions(model="qa-bert", dataset="qa")]
        assert fp32.evaluation.task_config == fp32.source_evaluation.task_config
        assert fp32.evaluation.task_config["doc_stride"] == 16
        int8 = hub.optimize("qa-bert", dataset="qa", quantize="dynamic-int8", tolerance=100.0, max_length=64, doc_stride=16,
                            progress=False)
        check = int8.gate["int8_metric"]
        assert check["metric"] == "f1" and check["tolerance_points"] == 100.0
        assert check["drop_points"] == pytest.approx(check["source"] - check["candidate"])  # f1 is already in points
        assert int8.evaluation.metrics["f1"]["value"] == check["candidate"]


def test_optimize_refuses_what_it_cannot_export_before_doing_any_work(hub, tmp_path):
    with pytest.raises(InvalidInputError, match=r"^Model 'baseline:majority' is a baseline model; optimize exports transformers checkpoints"):
        hub.optimize("baseline:majority", dataset="reviews", progress=False)
    with pytest.raises(InvalidInputError, match=r"^--quantize 'int4' is not supported; use one of none, dynamic-int8\.$"):
        hub.optimize("bert", quantize="int4", progress=False)
    hub.optimize("bert", progress=False)
    with pytest.raises(NameTakenError, match=r"^A model named 'bert@onnx' already exists; choose another with --name\.$"):
        hub.optimize("bert", progress=False)
    with pytest.raises(InvalidInputError, match=r"^Model 'bert@onnx' is a onnx model; optimize exports transformers checkpoints"):
        hub.optimize("bert@onnx", progress=False)
    hub.add_model("unevaluated", hub.model("bert").source)
    with pytest.raises(InvalidInputError, match=r"^Model 'unevaluated' has no evaluation yet, so there is no split to check accuracy on; pass --dataset D"):
        hub.optimize("unevaluated", progress=False)


def test_export_of_an_unsupported_task_or_architecture_names_it(trained_bert, tmp_path):
    from benchhub.optimize.export import export_onnx

    with pytest.raises(ExportError, match=r"^Export supports text-classification, question-answering, token-classification models; this model's task is text-generation\.$"):
        export_onnx(trained_bert, "text-generation", tmp_path / "out")
    odd = tmp_path / "odd"
    shutil.copytree(trained_bert, odd)
    config = json.loads((odd / "config.json").read_text())
    config.update(model_type="clip_vision_model", architectures=["CLIPVisionModel"])
    (odd / "config.json").write_text(json.dumps(config))
    with pytest.raises(ExportError, match=r"^Architecture CLIPVisionModel \(model_type 'clip_vision_model'\) has no text-classification head to export"):
        export_onnx(odd, "text-classification", tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


# --- ONNX folders and their external data -----------------------------------------------------------


@pytest.fixture
def onnx_folder(hub, isolated_hub, tmp_path) -> Path:
    """A copy of an exported ONNX model folder, outside the hub."""
    hub.optimize("bert", fuse=False, progress=False)
    folder = tmp_path / "exported"
    shutil.copytree(isolated_hub / "artifacts" / "models" / "bert@onnx", folder)
    return folder


def _externalize(folder: Path, location: str) -> None:
    """Rewrites model.onnx so its weights live in an external file named `location` (relative to the folder)."""
    import onnx

    model = onnx.load(str(folder / "model.onnx"))
    onnx.save_model(model, str(folder / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=1024)
    if location != "weights.bin":
        from onnx.external_data_helper import set_external_data

        model = onnx.load(str(folder / "model.onnx"), load_external_data=False)
        for tensor in model.graph.initializer:
            if tensor.data_location == onnx.TensorProto.EXTERNAL:
                entries = {e.key: e.value for e in tensor.external_data}
                set_external_data(tensor, location=location, offset=int(entries.get("offset", 0)),
                                  length=int(entries["length"]) if "length" in entries else None)
        onnx.save_model(model, str(folder / "model.onnx"))


def test_an_onnx_folder_registers_and_evaluates_like_its_source(hub, onnx_folder):
    _externalize(onnx_folder, "weights.bin")
    assert vet_onnx_folder(onnx_folder) == [onnx_folder / "weights.bin"]
    record = hub.add_model("external", onnx_folder)
    assert record.kind == "onnx"
    evaluation = hub.evaluate(model="external", dataset="reviews", progress=False)
    assert [r["predicted"] for r in hub.predictions(model="external", dataset="reviews")] == \
        [r["predicted"] for r in hub.predictions(model="bert", dataset="reviews")]
    assert evaluation.metrics["macro_f1"] == hub.evaluate(model="bert", dataset="reviews", progress=False).metrics["macro_f1"]
    # Changed weights after registration are caught before the next run.
    with (onnx_folder / "weights.bin").open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\x01\x02\x03\x04")
    with pytest.raises(InvalidInputError, match=r"^The files of ONNX model 'external' in .* changed since it was registered"):
        hub.evaluate(model="external", dataset="reviews", use_cache=False, progress=False)


@pytest.mark.parametrize("location, message", [
    ("../weights.bin", r"climbs out of the model folder with '\.\.'"),
    ("sub/../../weights.bin", r"climbs out of the model folder with '\.\.'"),
    ("/etc/passwd", r"external data must be a relative path inside the model folder"),
    ("link.bin", r"a link that leads outside the model folder"),
], ids=["dot-dot", "nested-dot-dot", "absolute", "symlink-out"])
def test_external_data_outside_the_model_folder_is_refused_and_nothing_is_registered(hub, onnx_folder, tmp_path, location, message):
    _externalize(onnx_folder, "weights.bin")
    outside = tmp_path / "weights.bin"
    shutil.move(onnx_folder / "weights.bin", outside)
    if location == "link.bin":
        os.symlink(outside, onnx_folder / "link.bin")
    _externalize_location(onnx_folder, location)
    with pytest.raises(UnsafeModelError, match=message):
        hub.add_model("escape", onnx_folder)
    assert "escape" not in [m.name for m in hub.models()]


def _externalize_location(folder: Path, location: str) -> None:
    import onnx

    model = onnx.load(str(folder / "model.onnx"), load_external_data=False)
    for tensor in model.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = location
    onnx.save_model(model, str(folder / "model.onnx"))


def test_a_model_onnx_that_links_outside_its_folder_is_refused(onnx_folder, tmp_path):
    outside = tmp_path / "elsewhere.onnx"
    shutil.move(onnx_folder / "model.onnx", outside)
    os.symlink(outside, onnx_folder / "model.onnx")
    with pytest.raises(UnsafeModelError, match=r"model\.onnx is a link to .*elsewhere\.onnx, outside the model folder"):
        vet_onnx_folder(onnx_folder)


def test_onnx_folders_missing_parts_are_one_clear_error(onnx_folder):
    (onnx_folder / "config.json").unlink()
    with pytest.raises(InvalidInputError, match=r"has no config\.json; save the transformers config next to model\.onnx\.$"):
        vet_onnx_folder(onnx_folder)
    (onnx_folder / "model.onnx").write_bytes(b"not a protobuf at all")
    (onnx_folder / "config.json").write_text("{}")
    with pytest.raises(InvalidInputError, match=r"is not a readable ONNX model"):
        vet_onnx_folder(onnx_folder)


# --- command line ------------------------------------------------------------------------------------


def test_cli_optimize_prints_one_json_document(hub, isolated_hub):
    from typer.testing import CliRunner

    from benchhub.cli.app import app

    result = CliRunner().invoke(app, ["optimize", "bert", "--quantize", "dynamic-int8", "--quiet", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {"model", "source", "steps", "gate", "evaluation", "source_evaluation"}
    assert document["model"]["name"] == "bert@onnx-int8" and document["model"]["parent"] == "bert"
    assert document["gate"]["int8_metric"]["passed"] is True
    assert document["steps"]["quantization"] == {"weight_type": "QInt8", "per_channel": True, "reduce_range": False}
