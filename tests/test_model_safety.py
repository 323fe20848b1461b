"""Loading models safely: no checkpoint code ever runs, no random head is evaluated, malformed folders are one line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import benchhub
from benchhub import Hub, InvalidInputError, UnsafeModelError
from benchhub.models.pretrained import minilm_folder
from tests.conftest import review_rows, write_jsonl
from tests.fixtures.crafted_models import (
    headless_bert,
    remote_code_checkpoint,
    tiny_onnx_folder,
    write_safetensors,
)
from tests.fixtures.tiny_bert import build_tiny_bert_qa

CORPUS = [row["text"] for row in review_rows(200, seed=3, prefix="c")]
SRC = Path(benchhub.__file__).parent


@pytest.fixture
def hub(review_files):
    with Hub.open() as opened:
        opened.add_dataset("reviews", splits=review_files, id_column="id")
        yield opened


def run_quietly(command: list[str], *, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Runs with stdin closed, as a script or a server would: a prompt would read EOF, not wait."""
    return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, timeout=300)


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_quietly([sys.executable, "-m", "benchhub.cli", *args], cwd=cwd)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Do you wish to run the custom code" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# --- 5. a checkpoint's own code never runs ----------------------------------------------------------

REMOTE_CODE = [
    ("auto_map", r"config\.json declares custom code in 'auto_map' \(configuration_evil\.py, modeling_evil\.py\); "
                 r"benchhub never runs a checkpoint's own code"),
    ("model_type", r"config\.json declares custom code in 'auto_map'"),
    ("tokenizer", r"tokenizer_config\.json declares custom code in 'auto_map' \(tokenization_evil\.py\)"),
    ("tokenizer_class", r"tokenizer_config\.json names tokenizer_class 'EvilTokenizer', which transformers does not ship"),
]


@pytest.mark.parametrize(("variant", "message"), REMOTE_CODE, ids=[v for v, _ in REMOTE_CODE])
def test_model_add_refuses_a_checkpoint_with_its_own_code_without_prompting_or_running_it(variant, message, tmp_path):
    marker = tmp_path / "ran.txt"
    folder = remote_code_checkpoint(tmp_path / "evil", marker, variant=variant)
    line = one_error_line(cli("model", "add", "evil", str(folder)))
    assert re.search(message, line), line
    assert not marker.exists()
    with Hub.open() as hub:
        assert hub.models() == []


def test_a_model_type_transformers_does_not_ship_is_refused_even_without_auto_map(hub, tmp_path):
    folder = remote_code_checkpoint(tmp_path / "evil", tmp_path / "ran.txt", variant="model_type")
    config = json.loads((folder / "config.json").read_text())
    del config["auto_map"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(UnsafeModelError, match=r"config\.json has model_type 'evil', which transformers does not ship \(it would "
                                               r"need the checkpoint's own code\); benchhub never runs a checkpoint's own code"):
        hub.add_model("evil", folder)
    assert hub.models() == []


LOAD_DIRECTLY = """
import sys
from pathlib import Path
from benchhub.errors import BenchhubError
from benchhub.tasks.text_classification.transformers_classifier import TransformersClassifier
try:
    TransformersClassifier(Path(sys.argv[1]), dataset_labels=["negative", "positive"])
except BenchhubError as error:
    print(f"refused: {error}")
    raise SystemExit(3)
"""


@pytest.mark.parametrize("variant", ["auto_map", "model_type"])
def test_loading_a_checkpoint_with_its_own_code_directly_is_refused_without_a_prompt(variant, tmp_path):
    marker = tmp_path / "ran.txt"
    folder = remote_code_checkpoint(tmp_path / "evil", marker, variant=variant)
    result = run_quietly([sys.executable, "-c", LOAD_DIRECTLY, str(folder)])
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith("refused: ") and "declares custom code in 'auto_map'" in result.stdout
    assert "Do you wish to run the custom code" not in result.stdout + result.stderr
    assert not marker.exists()


def test_code_added_to_a_registered_checkpoint_is_refused_at_evaluation(hub, tiny_bert, tmp_path):
    folder = shutil.copytree(tiny_bert, tmp_path / "bert")
    hub.add_model("bert", folder)
    marker = tmp_path / "ran.txt"
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "auto_map": {"AutoConfig": "configuration_evil.EvilConfig"}}))
    (folder / "configuration_evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    line = one_error_line(cli("eval", "--model", "bert", "--dataset", "reviews", "--quiet"))
    assert re.fullmatch(r"error: .*bert/config\.json declares custom code in 'auto_map' \(configuration_evil\.py\); "
                        r"benchhub never runs a checkpoint's own code; .*", line), line
    assert not marker.exists()


def test_every_transformers_load_in_the_source_passes_trust_remote_code_false_on_its_line():
    loads = [(path.relative_to(SRC), number, line) for path in sorted(SRC.rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "from_pretrained(" in line]
    assert len(loads) >= 8  # runtimes, export, fine-tuning, the head check
    assert [load for load in loads if "trust_remote_code=False" not in load[2]] == []


# --- 6. no random head --------------------------------------------------------------------------------

def test_model_add_refuses_an_encoder_without_a_head(hub, tmp_path):
    folder = headless_bert(tmp_path / "encoder", CORPUS)
    with pytest.raises(InvalidInputError, match=(
        r"^.*encoder has no task head \(config\.json architectures: BertModel\); benchhub evaluates text-classification "
        r"\(\*ForSequenceClassification\); question-answering \(\*ForQuestionAnswering\); token-classification "
        r"\(\*ForTokenClassification\); summarization, translation, generative-answers and code-generation \(\*ForConditionalGeneration, "
        r"\*MTModel, \*ForSeq2SeqLM, \*ForCausalLM, \*LMHeadModel\); and multiple-choice and language-modeling "
        r"\(\*ForCausalLM, \*LMHeadModel\) heads, and a head transformers "
        r"would add now is random\. Fine-tune it first \(as `benchhub demo` fine-tunes MiniLM\) or compare against a "
        r"baseline \(e\.g\. baseline:tfidf-logreg\)\.$")):
        hub.add_model("encoder", folder, label_map="LABEL_0=negative,LABEL_1=positive")
    assert hub.models() == []


def test_the_bundled_minilm_encoder_is_refused_at_model_add_on_the_command_line():
    line = one_error_line(cli("model", "add", "minilm", str(minilm_folder(verify=False))))
    assert "model has no task head (config.json architectures: BertModel)" in line


def test_weights_transformers_would_initialise_are_never_evaluated(hub, tmp_path, isolated_hub):
    # config.json claims a classifier, the weights hold none: model add cannot tell, loading can.
    folder = headless_bert(tmp_path / "claims", CORPUS, claim_head=True)
    hub.add_model("claims", folder)
    with pytest.raises(InvalidInputError, match=(
        r"claims has no trained weights for classifier\.bias, classifier\.weight, which BertForSequenceClassification needs "
        r"\(transformers would initialise them at random, and benchhub never evaluates random weights\); evaluate it on the "
        r"task its head was trained for, or fine-tune it first")):
        hub.evaluate(model="claims", dataset="reviews", progress=False)
    assert not (isolated_hub / "artifacts" / "evaluations").exists()
    assert hub.leaderboard(dataset="reviews", baselines=False, progress=False).rows == []


def test_a_question_answering_model_is_not_evaluated_as_a_classifier_with_a_random_head(hub, tmp_path):
    folder = build_tiny_bert_qa(tmp_path / "qa", CORPUS)
    hub.add_model("qa", folder, label_map="LABEL_0=negative,LABEL_1=positive")
    with pytest.raises(InvalidInputError, match=r"qa has no trained weights for bert\.pooler\.dense\.bias, bert\.pooler\.dense\.weight, "
                                                r"classifier\.bias and 1 more, which BertForSequenceClassification needs"):
        hub.evaluate(model="qa", dataset="reviews", progress=False)
    assert hub.leaderboard(dataset="reviews", baselines=False, progress=False).rows == []


def test_export_refuses_a_checkpoint_whose_head_would_be_random(tmp_path):
    from benchhub.optimize.export import export_onnx

    folder = headless_bert(tmp_path / "claims", CORPUS, claim_head=True)
    with pytest.raises(InvalidInputError, match=r"has no trained weights for classifier\.bias, classifier\.weight"):
        export_onnx(folder, "text-classification", tmp_path / "onnx")
    assert not (tmp_path / "onnx" / "model.onnx").exists()


def test_a_label_map_that_leaves_dataset_labels_unpredictable_warns(tiny_bert, tmp_path):
    rows = review_rows(24, seed=2, prefix="t") + [{"id": "n-0", "text": "the film was fine", "label": "neutral"}]
    with Hub.open() as hub:
        hub.add_dataset("three", write_jsonl(tmp_path / "three.jsonl", rows), id_column="id")
        hub.add_model("bert", tiny_bert)
        evaluation = hub.evaluate(model="bert", dataset="three", progress=False)
    note = "the model predicts 2 of the dataset's 3 labels; examples labelled 'neutral' can never be right"
    assert evaluation.provenance["model"]["notes"] == [note]
    result = cli("eval", "--model", "bert", "--dataset", "three", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [f"warning: bert: {note}"]


# --- 9. malformed model folders are one clear line ---------------------------------------------------------

def test_an_onnx_folder_with_external_data_registers_from_a_relative_path(tmp_path):
    folder = tiny_onnx_folder(tmp_path / "models" / "tiny-onnx", CORPUS)
    assert (folder / "weights.bin").is_file()
    result = cli("model", "add", "tiny-onnx", "models/tiny-onnx", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert (record["kind"], record["source"]) == ("onnx", str(folder.resolve()))
    with Hub.open() as hub:
        assert hub.add_model("absolute", folder).fingerprint == record["fingerprint"]


def test_a_folder_named_model_safetensors_is_one_line_on_the_command_line(tiny_bert, tmp_path):
    folder = shutil.copytree(tiny_bert, tmp_path / "bert")
    (folder / "model.safetensors").unlink()
    (folder / "model.safetensors").mkdir()
    line = one_error_line(cli("model", "add", "bert", str(folder)))
    assert line == f"error: {folder / 'model.safetensors'} is a folder, not a file; model.safetensors must be a file (was something saved into the wrong place?)."


def _break(folder: Path, how: str, outside: Path) -> None:
    weights, config = folder / "model.safetensors", folder / "config.json"
    if how == "empty-weights":
        weights.write_bytes(b"")
    elif how == "corrupt-weights":
        weights.write_bytes(b"\xff" * 64)
    elif how == "empty-config":
        config.write_text("")
    elif how == "config-not-json":
        config.write_text("{'model_type': 'bert'")
    elif how == "config-a-list":
        config.write_text("[1, 2]")
    elif how == "config-a-folder":
        config.unlink()
        config.mkdir()
    elif how == "weights-link-outside":
        shutil.move(weights, outside)
        weights.symlink_to(outside)
    elif how == "dangling-weights-link":
        weights.unlink()
        weights.symlink_to(folder / "gone.safetensors")
    elif how == "weights-a-fifo":
        weights.unlink()
        os.mkfifo(weights)
    elif how == "tokenizer-a-folder":
        (folder / "tokenizer.json").unlink()
        (folder / "tokenizer.json").mkdir()
    else:
        raise ValueError(how)


MALFORMED = [
    ("empty-weights", InvalidInputError, r"model\.safetensors is empty; save the model again"),
    ("corrupt-weights", InvalidInputError, r"model\.safetensors is not a safetensors file \(its header is missing or corrupt\); save the weights again\.$"),
    ("empty-config", InvalidInputError, r"config\.json is empty; save the model again"),
    ("config-not-json", InvalidInputError, r"config\.json is not valid JSON \(.*\); save it again with `save_pretrained`\.$"),
    ("config-a-list", InvalidInputError, r"config\.json holds a JSON list, not an object; save it again with `save_pretrained`\.$"),
    ("config-a-folder", InvalidInputError, r"config\.json is a folder, not a file; config\.json must be a file"),
    ("weights-link-outside", UnsafeModelError, r"model\.safetensors is a link to .*outside\.safetensors, outside the model folder; copy the file in instead\.$"),
    ("dangling-weights-link", InvalidInputError, r"model\.safetensors is a link to .*gone\.safetensors, which does not exist; copy the file in instead\.$"),
    ("weights-a-fifo", InvalidInputError, r"model\.safetensors is not a regular file; model\.safetensors must be a plain file\.$"),
    ("tokenizer-a-folder", InvalidInputError, r"tokenizer\.json is a folder, not a file"),
]


@pytest.mark.parametrize(("how", "error", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_checkpoint_folders_are_one_clear_error_and_register_nothing(how, error, message, hub, tiny_bert, tmp_path):
    folder = shutil.copytree(tiny_bert, tmp_path / "bert")
    _break(folder, how, tmp_path / "outside.safetensors")
    with pytest.raises(error, match=message) as raised:
        hub.add_model("bert", folder)
    assert "\n" not in str(raised.value)
    assert hub.models() == []


def test_a_valid_safetensors_file_passes_the_header_check(tmp_path):
    from benchhub.models.model_files import check_safetensors

    assert check_safetensors(tmp_path, write_safetensors(tmp_path / "w.safetensors").name) == tmp_path / "w.safetensors"


def test_a_hugging_face_cache_snapshot_whose_files_link_into_its_blobs_registers(hub, tiny_bert, tmp_path):
    # snapshot_download lays a checkpoint out as snapshots/<revision>/<file> -> ../../blobs/<hash>.
    repo = tmp_path / "hf-home" / "hub" / "models--someone--classifier"
    snapshot = repo / "snapshots" / "0123abcd"
    (repo / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    for index, source in enumerate(sorted(tiny_bert.iterdir())):
        shutil.copyfile(source, repo / "blobs" / f"blob{index}")
        (snapshot / source.name).symlink_to(Path("..", "..", "blobs", f"blob{index}"))
    record = hub.add_model("cached", snapshot)
    assert record.fingerprint == hub.add_model("copy", shutil.copytree(tiny_bert, tmp_path / "copy")).fingerprint
    assert hub.evaluate(model="cached", dataset="reviews", progress=False).metrics == \
        hub.evaluate(model="copy", dataset="reviews", progress=False).metrics
    # A link that leaves the repository's blobs is still refused.
    (snapshot / "tokenizer.json").unlink()
    (snapshot / "tokenizer.json").symlink_to(shutil.copyfile(tiny_bert / "tokenizer.json", tmp_path / "elsewhere.json"))
    with pytest.raises(UnsafeModelError, match=r"tokenizer\.json is a link to .*elsewhere\.json, outside the model folder"):
        hub.add_model("escaped", snapshot)


def _break_onnx(folder: Path, how: str) -> None:
    if how == "graph-a-folder":
        (folder / "model.onnx").unlink()
        (folder / "model.onnx").mkdir()
    elif how == "empty-graph":
        (folder / "model.onnx").write_bytes(b"")
    elif how == "external-data-a-folder":
        (folder / "weights.bin").unlink()
        (folder / "weights.bin").mkdir()
    elif how == "empty-external-data":
        (folder / "weights.bin").write_bytes(b"")
    elif how == "config-not-json":
        (folder / "config.json").write_text("not json")
    else:
        raise ValueError(how)


MALFORMED_ONNX = [
    ("graph-a-folder", r"model\.onnx is a folder, not a file; model\.onnx must be a file"),
    ("empty-graph", r"model\.onnx is empty; save the model again"),
    ("external-data-a-folder", r"weights\.bin is a folder, not a file; weights\.bin must be a file"),
    ("empty-external-data", r"weights\.bin is empty; save the model again"),
    ("config-not-json", r"config\.json is not valid JSON"),
]


@pytest.mark.parametrize(("how", "message"), MALFORMED_ONNX, ids=[m[0] for m in MALFORMED_ONNX])
def test_malformed_onnx_folders_are_one_clear_error_and_register_nothing(how, message, hub, tmp_path):
    folder = tiny_onnx_folder(tmp_path / "onnx", CORPUS)
    _break_onnx(folder, how)
    with pytest.raises(InvalidInputError, match=message) as raised:
        hub.add_model("onnx", folder, kind="onnx")
    assert "\n" not in str(raised.value)
    assert hub.models() == []
