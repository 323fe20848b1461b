"""`benchhub optimize --variants`: candidates per machine, gates, one interleaved timing, the fastest per workload
registered with its lineage; precision is part of a variant's identity."""

from __future__ import annotations

import json

import pytest

from benchhub import InvalidInputError
from benchhub.catalog.models import transformers_fingerprint
from benchhub.engine.latency import BenchBudget, LatencyStats
from benchhub.evaluation import fastest
from benchhub.models.runtime import parse_torch_runtime, torch_runtime
from benchhub.optimize.candidates import Machine, select_candidates, this_machine
from tests.test_optimize import hub, trained_bert  # noqa: F401 (fixtures)

AMX = Machine("Intel(R) Xeon(R) Processor", frozenset({"avx2", "avx512_vnni", "amx_bf16", "amx_int8", "avx512_bf16"}))
ZEN3 = Machine("AMD EPYC 7B13", frozenset({"avx2"}))
GPU = Machine("AMD EPYC 9B14", frozenset({"avx2", "avx512_bf16"}), gpu="NVIDIA H200")
CUDA = Machine("AMD EPYC 9B14", frozenset({"avx2", "avx512_bf16"}), gpu="NVIDIA H200",
               onnx_providers=frozenset({"CUDAExecutionProvider", "CPUExecutionProvider"}))
QUICK = BenchBudget(warmup_calls=1, warmup_seconds=0.0, min_timings=3, min_seconds=0.0, slice_seconds=0.0)


def test_auto_takes_what_the_machine_runs_and_says_why_it_leaves_the_rest_out():
    amx = select_candidates("auto", AMX)
    assert [c.name for c in amx.chosen] == ["onnx-fp32", "onnx-int8", "onnx-int8-static", "torch-bf16", "torch-bf16-compile"]
    assert amx.skipped == [("torch-compile", "torch-bf16-compile runs here instead (compiling fp32 as well would double "
                                             "the compile time)"), ("torch-fp16", "needs a GPU (none seen by torch)"),
                           ("onnx-fp16", "needs a GPU (none seen by torch) and ONNX Runtime's CUDA provider")]
    zen3 = select_candidates("auto", ZEN3)
    assert [c.name for c in zen3.chosen] == ["onnx-fp32", "onnx-int8", "onnx-int8-static", "torch-compile"]
    assert dict(zen3.skipped)["torch-bf16"].startswith("the CPU has no bf16 units (amx_bf16 or avx512_bf16)")
    assert [c.name for c in select_candidates("auto", GPU).chosen][-1] == "torch-fp16"
    assert dict(select_candidates("auto", GPU).skipped)["onnx-fp16"] == ("needs ONNX Runtime's CUDA provider, which this "
                                                                        "onnxruntime lacks (install onnxruntime-gpu)")
    assert [c.name for c in select_candidates("auto", CUDA).chosen][-2:] == ["torch-fp16", "onnx-fp16"]
    # Named variants run when the machine can run them at all, even emulated; GPU-only ones cannot.
    assert [c.name for c in select_candidates("torch-bf16, onnx-int8", ZEN3).chosen] == ["torch-bf16", "onnx-int8"]
    with pytest.raises(InvalidInputError, match="Variant 'torch-fp16' cannot run on this machine: it needs a GPU"):
        select_candidates("torch-fp16", AMX)
    with pytest.raises(InvalidInputError, match="Unknown variant 'onnx-int4'; use auto or names from: onnx-fp32, onnx-int8"):
        select_candidates("onnx-int4", AMX)
    with pytest.raises(InvalidInputError, match="names a variant twice"):
        select_candidates("onnx-int8,onnx-int8", AMX)
    assert "amx_bf16" in AMX.describe() and "no GPU" in AMX.describe() and "GPU NVIDIA H200" in GPU.describe()


def test_torch_runtime_names_round_trip():
    for precision in ("fp32", "bf16", "fp16"):
        for compiled in (False, True):
            assert parse_torch_runtime(torch_runtime(precision, compiled)) == (precision, compiled)
    assert torch_runtime() == "torch" and torch_runtime("bf16", True) == "torch-bf16-compile"
    assert [parse_torch_runtime(name) for name in ("onnx", "torch-fp32", "torch-int8", "torch-bf16-fp16")] == [None] * 4
    with pytest.raises(InvalidInputError, match="Precision 'int4' is not supported"):
        torch_runtime("int4")


def test_precision_is_part_of_a_variants_fingerprint_and_fp32_changes_nothing(trained_bert):  # noqa: F811
    plain = transformers_fingerprint(trained_bert, {})
    assert transformers_fingerprint(trained_bert, {"precision": "fp32", "compiled": False}) == plain
    bf16 = transformers_fingerprint(trained_bert, {"precision": "bf16"})
    compiled = transformers_fingerprint(trained_bert, {"precision": "bf16", "compiled": True})
    assert len({plain, bf16, compiled}) == 3


def _scripted(latency_ms: dict[str, float], throughput: dict[str, float]):
    """A stand-in for the timing engine with fixed numbers per variant, so the choice can be asserted."""
    calls = []

    def measure(subjects, *, batch_sizes, seq_lens, budget=None, show_progress=True):
        calls.append(([s.name for s in subjects], list(batch_sizes), list(seq_lens)))
        (batch,), (seq_len,) = batch_sizes, seq_lens
        stats = []
        for subject in subjects:
            p50 = latency_ms[subject.name] if batch == 1 else 1000.0 * batch / throughput[subject.name]
            stats.append(LatencyStats(subject.name, batch, seq_len, p50, p50 * 1.1, p50 * 1.2, 1000.0 * batch / p50, 9, 0.1))
        return stats

    return measure, calls


def test_the_fastest_gated_variant_of_each_workload_is_registered_with_its_lineage_and_speed(hub, monkeypatch):  # noqa: F811
    measure, calls = _scripted(latency_ms={"torch-fp32": 10.0, "onnx-fp32": 4.0, "torch-bf16": 6.0},
                               throughput={"torch-fp32": 100.0, "onnx-fp32": 180.0, "torch-bf16": 420.0})
    monkeypatch.setattr(fastest, "measure", measure)
    lines = []
    result = hub.optimize_variants("bert", variants="onnx-fp32,torch-bf16", progress=False, echo=lines.append)
    # Every variant passed its gate and was timed with the source, interleaved, once per workload.
    assert [t.variant for t in result.trials] == ["torch-fp32", "onnx-fp32", "torch-bf16"] and all(t.passed for t in result.trials)
    assert result.trials[1].gate["max_abs_diff"] <= 1e-4
    assert result.trials[2].gate["metric"] == "macro_f1" and abs(result.trials[2].gate["drop_points"]) <= 1.0
    lengths = result.seq_lens
    assert [c[1:] for c in calls] == [([1], [lengths["b1"]]), ([32], [lengths["b32"]])]
    assert all(c[0] == ["torch-fp32", "onnx-fp32", "torch-bf16"] for c in calls)
    assert lengths["b1"] % 8 == 0 and lengths["b1"] <= lengths["b32"]
    assert result.chosen == {"b1": "onnx-fp32", "b32": "torch-bf16"}
    assert (result.trials[1].speedup_b1, result.trials[2].speedup_b32) == (pytest.approx(2.5), pytest.approx(4.2))
    fast_b1, fast_b32 = result.registered["b1"], result.registered["b32"]
    assert (fast_b1.name, fast_b1.kind, fast_b32.name, fast_b32.kind) == ("bert@fast-b1", "onnx", "bert@fast-b32", "transformers")
    assert fast_b32.options["precision"] == "bf16" and fast_b32.options["compiled"] is False
    lineage = fast_b32.options["lineage"]
    assert (lineage["source"], lineage["variant"], lineage["chosen_for"]) == ("bert", "torch-bf16", "b32")
    assert lineage["chosen_on"] == this_machine().describe()
    assert lineage["measured"]["speedup_b32"] == pytest.approx(4.2)
    source = hub.model("bert")
    assert fast_b32.fingerprint != source.fingerprint and fast_b32.parent == "bert"
    # The bf16 variant is a model of its own: evaluated (in bf16), ranked, and its speed is on the board.
    evaluation = result.evaluations["b32"]
    assert evaluation.model == "bert@fast-b32"
    assert evaluation.metrics["macro_f1"]["value"] == pytest.approx(result.trials[2].gate["candidate"])
    assert hub.evaluate(model="bert@fast-b32", dataset="reviews", progress=False).id == evaluation.id  # cached
    board = {row.model: row for row in hub.leaderboard(dataset="reviews", baselines=False, progress=False).rows}
    assert board["bert@fast-b1"].latency_ms == pytest.approx(4.0)
    assert board["bert@fast-b32"].throughput == pytest.approx(420.0)
    assert board["bert"].latency_ms == pytest.approx(10.0)
    assert any(line.startswith("Machine: ") for line in lines)


def test_a_winner_is_neither_loaded_nor_run_again_and_what_is_stored_is_what_a_fresh_run_gives(hub, monkeypatch):  # noqa: F811
    from benchhub.evaluation import evaluations

    measure, _ = _scripted(latency_ms={"torch-fp32": 10.0, "onnx-fp32": 4.0, "torch-bf16": 6.0},
                           throughput={"torch-fp32": 100.0, "onnx-fp32": 180.0, "torch-bf16": 420.0})
    monkeypatch.setattr(fastest, "measure", measure)
    loads, runs = [], []
    real_load, real_evaluate = evaluations.load_model, evaluations.evaluate
    monkeypatch.setattr(evaluations, "load_model", lambda row, *a, **k: (loads.append(row.name), real_load(row, *a, **k))[1])
    monkeypatch.setattr(evaluations, "evaluate", lambda *a, **k: (runs.append(k["description"]), real_evaluate(*a, **k))[1])
    result = hub.optimize_variants("bert", variants="onnx-fp32,torch-bf16", progress=False)
    # (The source's evaluation is the fixture's, from the cache.) The winners are the gated ones, still loaded:
    # the bf16 winner's gate was a full evaluation, stored as it is; the fp32 one was gated on logits, so it runs once.
    assert loads == []
    assert runs == ["bert@fast-b1 on reviews/test"]
    for workload, evaluation in result.evaluations.items():
        fresh = hub.evaluate(model=evaluation.model, dataset="reviews", use_cache=False, progress=False)
        assert fresh.metrics == evaluation.metrics, workload
        assert fresh.task_config == evaluation.task_config
        assert fresh.provenance["model"] == evaluation.provenance["model"]


def test_nothing_is_registered_where_pytorch_fp32_is_fastest(hub, monkeypatch):  # noqa: F811
    measure, _ = _scripted(latency_ms={"torch-fp32": 1.0, "torch-bf16": 6.0}, throughput={"torch-fp32": 900.0, "torch-bf16": 420.0})
    monkeypatch.setattr(fastest, "measure", measure)
    before = [m.name for m in hub.models()]
    result = hub.optimize_variants("bert", variants="torch-bf16", progress=False)
    assert result.chosen == {"b1": "torch-fp32", "b32": "torch-fp32"} and result.registered == {}
    assert [m.name for m in hub.models()] == before


def test_ties_go_to_the_variant_listed_first():
    stats = {name: {"b1": LatencyStats(name, 1, 8, 2.0, 2.0, 2.0, 500.0, 3, 0.1),
                    "b32": LatencyStats(name, 32, 8, 64.0, 64.0, 64.0, 500.0, 3, 0.1)} for name in ("torch-fp32", "onnx-fp32")}
    assert fastest._choose(stats) == {"b1": "torch-fp32", "b32": "torch-fp32"}


def test_bad_requests_are_refused_before_any_work(hub):  # noqa: F811
    with pytest.raises(InvalidInputError, match="need two names"):
        hub.optimize_variants("bert", name_b1="same", name_b32="same", progress=False)
    hub.add_model("bert@fast-b1", hub.model("bert").source)
    from benchhub.errors import NameTakenError

    with pytest.raises(NameTakenError, match="A model named 'bert@fast-b1' already exists"):
        hub.optimize_variants("bert", progress=False)
    with pytest.raises(InvalidInputError, match="--tolerance must be a number of points"):
        hub.optimize_variants("bert", tolerance=float("nan"), progress=False)


def test_the_cli_prints_the_candidates_and_what_it_chose(hub, monkeypatch):  # noqa: F811
    from typer.testing import CliRunner

    from benchhub.cli.app import app

    measure, _ = _scripted(latency_ms={"torch-fp32": 10.0, "onnx-fp32": 4.0}, throughput={"torch-fp32": 100.0, "onnx-fp32": 90.0})
    monkeypatch.setattr(fastest, "measure", measure)
    shown = CliRunner().invoke(app, ["optimize", "bert", "--variants", "onnx-fp32", "--quiet"])
    assert shown.exit_code == 0, shown.output
    assert "fastest at batch 1 latency" in shown.output and "registered as 'bert@fast-b1'" in shown.output
    assert "fastest at batch 32 throughput" in shown.output and "the source itself; nothing registered" in shown.output
    assert "2.50x" in shown.output
    refused = CliRunner().invoke(app, ["optimize", "bert", "--name", "x"])
    assert isinstance(refused.exception, InvalidInputError)  # main() prints it as one `error:` line
    assert str(refused.exception).startswith("--name, --force and --no-fuse apply to one export: add --quantize none")
    as_json = CliRunner().invoke(app, ["optimize", "bert", "--variants", "onnx-fp32", "--name-b1", "again", "--quiet", "--json"])
    document = json.loads(as_json.stdout)
    assert document["chosen"] == {"b1": "onnx-fp32", "b32": "torch-fp32"} and document["registered"]["b1"]["name"] == "again"


def test_static_int8_is_calibrated_on_the_train_split_gated_and_registered_as_qdq(hub, monkeypatch):  # noqa: F811
    import onnx

    from benchhub.catalog.models import model_folder
    from benchhub.store.tables import ModelRow

    measure, _ = _scripted(latency_ms={"torch-fp32": 10.0, "onnx-int8-static": 2.0},
                           throughput={"torch-fp32": 100.0, "onnx-int8-static": 300.0})
    monkeypatch.setattr(fastest, "measure", measure)
    seen = []
    calibrate = fastest._calibration_feeds
    monkeypatch.setattr(fastest, "_calibration_feeds", lambda adapter, split: seen.append(split) or calibrate(adapter, split))
    result = hub.optimize_variants("bert", variants="onnx-int8-static", progress=False)
    assert seen[0].name == "train" and len(seen[0]) == 40  # the whole (small) train split; never more than 128
    trial = result.trials[1]
    assert trial.variant == "onnx-int8-static" and trial.passed and trial.gate["agreement"] >= 0.95
    assert result.chosen == {"b1": "onnx-int8-static", "b32": "onnx-int8-static"}
    with hub.session() as session:
        row = session.query(ModelRow).filter_by(name="bert@fast-b1").one()
        graph = onnx.load(str(model_folder(row, hub.artifacts) / "model.onnx"), load_external_data=False).graph
    # One folder for both names: the batch-32 winner is the same variant, registered in the batch-1 one's folder.
    assert result.registered["b32"].source == result.registered["b1"].source == "models/bert@fast-b1"
    assert result.registered["b32"].fingerprint == result.registered["b1"].fingerprint
    assert sorted(p.name for p in (hub.artifacts.path("models")).iterdir()) == ["bert@fast-b1"]
    assert hub.evaluate(model="bert@fast-b32", dataset="reviews", progress=False).metrics == result.evaluations["b32"].metrics
    ops = {node.op_type for node in graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "MatMul"} <= ops and "Attention" not in ops  # QDQ on the unfused graph
    assert result.evaluations["b1"].metrics["macro_f1"]["value"] == pytest.approx(trial.gate["candidate"])


def test_the_onnx_fp16_graph_keeps_fp32_inputs_and_outputs_is_gated_on_the_metric_and_registered_as_fp16(hub, monkeypatch):  # noqa: F811
    import onnx

    from benchhub.catalog.models import model_folder
    from benchhub.store.tables import ModelRow

    # It is meant for a GPU with the CUDA provider; ONNX Runtime's CPU provider runs an fp16 graph too (slowly),
    # so on this machine, told it has both, the build, the gate and the registration are real.
    monkeypatch.setattr(fastest, "this_machine", lambda: CUDA)
    measure, _ = _scripted(latency_ms={"torch-fp32": 10.0, "onnx-fp16": 2.0}, throughput={"torch-fp32": 100.0, "onnx-fp16": 50.0})
    monkeypatch.setattr(fastest, "measure", measure)
    result = hub.optimize_variants("bert", variants="onnx-fp16", progress=False)
    trial = result.trials[1]
    assert trial.variant == "onnx-fp16" and trial.passed
    assert trial.gate["metric"] == "macro_f1" and trial.gate["agreement"] >= 0.95 and abs(trial.gate["drop_points"]) <= 1.0
    assert result.chosen == {"b1": "onnx-fp16", "b32": "torch-fp32"} and "GPU NVIDIA H200" in result.machine
    with hub.session() as session:
        row = session.query(ModelRow).filter_by(name="bert@fast-b1").one()
        assert (row.kind, row.info["precision"], row.info["quantization"]) == ("onnx", "fp16", "none")
        graph = onnx.load(str(model_folder(row, hub.artifacts) / "model.onnx")).graph
    assert {tensor.data_type for tensor in graph.initializer if tensor.dims} == {onnx.TensorProto.FLOAT16}
    assert [(value.name, value.type.tensor_type.elem_type) for value in graph.output] == [("logits", onnx.TensorProto.FLOAT)]
    assert all(value.type.tensor_type.elem_type == onnx.TensorProto.INT64 for value in graph.input)
    assert result.evaluations["b1"].metrics["macro_f1"]["value"] == trial.gate["candidate"]


def _qa_hub(tmp_path):
    from benchhub import Hub
    from tests.fixtures.tiny_bert import build_tiny_bert_qa
    from tests.test_optimize import squad_files
    from tests.test_qa_hub import TEST_ARTICLES, TRAIN_ARTICLES, flat_rows

    files = squad_files(tmp_path)
    corpus = [text for row in flat_rows(TEST_ARTICLES + TRAIN_ARTICLES) for text in (row["question"], row["context"])]
    opened = Hub.open()
    opened.add_dataset("data", task="question-answering", splits={"train": files["train"], "test": files["test"]})
    opened.add_model("net", build_tiny_bert_qa(tmp_path / "qa-bert", corpus, max_position_embeddings=64))
    return opened, {"max_length": 64, "doc_stride": 16}, "f1"


def _ner_hub(tmp_path):
    from benchhub import Hub
    from tests.fixtures.tiny_bert import build_tiny_bert_tagger
    from tests.test_ner_hub import SAMPLE

    opened = Hub.open()
    info = opened.add_dataset("data", splits={"train": SAMPLE / "train.conll", "test": SAMPLE / "test.conll"},
                           task="token-classification")
    corpus = [line.split()[0] for line in (SAMPLE / "train.conll").read_text(encoding="utf-8").splitlines() if line.strip()]
    opened.add_model("net", build_tiny_bert_tagger(tmp_path / "tagger", info.labels, corpus=[" ".join(corpus[:3000])]))
    return opened, {}, "f1"


@pytest.mark.parametrize("make", [_qa_hub, _ner_hub], ids=["question-answering", "token-classification"])
def test_every_family_with_an_export_head_gets_its_variants(make, tmp_path, monkeypatch):
    opened, settings, metric = make(tmp_path)
    measure, _ = _scripted(latency_ms={"torch-fp32": 10.0, "onnx-fp32": 3.0, "onnx-int8-static": 5.0, "torch-bf16": 8.0},
                           throughput={"torch-fp32": 100.0, "onnx-fp32": 150.0, "onnx-int8-static": 140.0, "torch-bf16": 200.0})
    monkeypatch.setattr(fastest, "measure", measure)
    # Random tiny networks: the reduced-precision gates get a wide tolerance, the fp32 one stays exact.
    result = opened.optimize_variants("net", variants="onnx-fp32,onnx-int8-static,torch-bf16", dataset="data", tolerance=100.0,
                                   progress=False, **settings)
    assert [t.passed for t in result.trials] == [True] * 4, [t.error for t in result.trials]
    assert result.trials[1].gate["max_abs_diff"] <= 1e-4 and result.trials[2].gate["metric"] == metric
    assert result.chosen == {"b1": "onnx-fp32", "b32": "torch-bf16"}
    assert (result.registered["b1"].kind, result.registered["b32"].options["precision"]) == ("onnx", "bf16")
    for evaluation in result.evaluations.values():
        assert evaluation.task_config == result.source_evaluation.task_config  # the same settings as the source
    assert result.evaluations["b1"].metrics[metric]["value"] == pytest.approx(result.source_evaluation.metrics[metric]["value"], abs=1e-6)


def test_a_variant_this_machine_cannot_run_is_reported_and_the_others_go_on(hub, monkeypatch):  # noqa: F811
    measure, _ = _scripted(latency_ms={"torch-fp32": 10.0, "onnx-fp32": 4.0}, throughput={"torch-fp32": 100.0, "onnx-fp32": 180.0})
    monkeypatch.setattr(fastest, "measure", measure)
    adapter = fastest.network_adapter

    def failing(folder, dataset, source, settings, runtime):
        if runtime == "torch-bf16-compile":
            raise RuntimeError("backend='inductor' raised:\nCppCompileError: C++ compile error")
        return adapter(folder, dataset, source, settings, runtime)

    monkeypatch.setattr(fastest, "network_adapter", failing)
    result = hub.optimize_variants("bert", variants="torch-bf16-compile,onnx-fp32", progress=False)
    failed = result.trials[1]
    assert (failed.variant, failed.passed, failed.error) == ("torch-bf16-compile", False, "RuntimeError: backend='inductor' raised:")
    assert failed.latency_b1_ms is None and result.trials[2].passed and result.chosen["b1"] == "onnx-fp32"


def test_a_failed_registration_leaves_no_model_and_no_folder(hub, monkeypatch):  # noqa: F811
    from benchhub.store.database import commit_or_undo
    from benchhub.store.tables import SpeedRunRow

    measure, _ = _scripted(latency_ms={"torch-fp32": 10.0, "onnx-fp32": 4.0, "torch-bf16": 6.0},
                           throughput={"torch-fp32": 100.0, "onnx-fp32": 180.0, "torch-bf16": 420.0})
    monkeypatch.setattr(fastest, "measure", measure)
    # The single commit of both winners and their speed runs fails (a row the database refuses).
    monkeypatch.setattr(fastest, "commit_or_undo", lambda session, *rows, undo: commit_or_undo(
        session, *rows, SpeedRunRow(run_id="broken"), undo=undo))
    before = sorted(m.name for m in hub.models())
    with pytest.raises(Exception, match="NOT NULL|null value"):
        hub.optimize_variants("bert", variants="onnx-fp32,torch-bf16", progress=False)
    assert sorted(m.name for m in hub.models()) == before
    folder = hub.artifacts.path("models")
    assert not folder.exists() or [p.name for p in folder.iterdir()] == []


def test_the_profile_names_the_workloads_and_their_lengths(hub, monkeypatch):  # noqa: F811
    assert fastest.parse_profile("b1,b32") == {"b1": None, "b32": None}
    assert fastest.parse_profile("b32@256, b1") == {"b32": 256, "b1": None}
    for bad, message in (("b8", "not a list of distinct workloads"), ("b1,b1", "distinct"), ("b1@0", "must be an int"),
                         ("b1@x", "must be an int"), ("", "not a list")):
        with pytest.raises(InvalidInputError, match=message):
            fastest.parse_profile(bad)
    measure, calls = _scripted(latency_ms={"torch-fp32": 10.0, "onnx-fp32": 4.0}, throughput={"torch-fp32": 100.0, "onnx-fp32": 180.0})
    monkeypatch.setattr(fastest, "measure", measure)
    result = hub.optimize_variants("bert", variants="onnx-fp32", profile="b32@48", progress=False)
    assert [c[1:] for c in calls] == [([32], [48])] and result.seq_lens == {"b32": 48}
    assert result.chosen == {"b32": "onnx-fp32"} and list(result.registered) == ["b32"]
    assert result.trials[1].latency_b1_ms is None and result.trials[1].speedup_b32 == pytest.approx(1.8)
    assert "bert@fast-b1" not in {m.name for m in hub.models()}
