"""Local generation (models/generation.py) and the text-to-text families that run it: greedy decoding identical at
batch sizes 1, 8 and 32 and equal to plain unbatched `generate`, seeded sampling that batches do not change, stop
sequences, max_new_tokens, chat templates, and the settings in the cache key and the provenance, end to end through
the hub on the bundled summarization and translation samples."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from benchhub import Hub
from benchhub.data.records import Split
from benchhub.engine.runner import run_model
from benchhub.errors import InvalidInputError
from benchhub.models.generation import Decoding, Prompting, TextGenerator, cut_at_stop
from benchhub.models.language_models import load_language_model
from benchhub.tasks.registry import get_task
from tests.fixtures.tiny_lm import (
    CHAT_TEMPLATE,
    build_tiny_causal_lm,
    build_tiny_seq2seq_lm,
)

RESOURCES = Path(str(resources.files("benchhub") / "resources"))
TEMPLATE = "{input}\n\nSummary:"
NEW_TOKENS = 10


def sample_rows(name: str) -> list[dict]:
    return [json.loads(line) for split in ("train", "test")
            for line in (RESOURCES / name / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]


DOCUMENTS = [row["document"] for row in sample_rows("summarization_sample")]


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("language-models")
    corpus = DOCUMENTS + [row["summary"] for row in sample_rows("summarization_sample")]
    return {"causal": build_tiny_causal_lm(root / "gpt", corpus, chat_template=CHAT_TEMPLATE, init_std=0.2),
            "seq2seq": build_tiny_seq2seq_lm(root / "bart", corpus, init_std=0.2)}


@pytest.fixture(scope="module")
def models(folders):
    return {kind: load_language_model(folder, device="cpu") for kind, folder in folders.items()}


def inputs() -> Split:
    """40 inputs of many lengths (so batches of 8 and 32 mix them, and pad)."""
    texts = [" ".join(DOCUMENTS[i % len(DOCUMENTS)].split()[: 3 + (7 * i) % 41]) for i in range(40)]
    return Split("test", [f"x{i}" for i in range(40)], texts)


def generated(model, split: Split, batch_size: int) -> list[str]:
    return run_model(model, split, batch_size=batch_size, show_progress=False).outputs


def chatml(user: str, system: str | None = None) -> str:
    """The tiny model's chat template, rendered by hand."""
    turns = ([("system", system)] if system else []) + [("user", user)]
    return "".join(f"<|im_start|>{role}\n{text}<|im_end|>\n" for role, text in turns) + "<|im_start|>assistant\n"


def reference(lm, prompt: str, *, chat: bool, **options) -> str:
    """What plain transformers generates for one prompt alone (no padding), new tokens decoded."""
    import torch

    ids = lm.tokenizer(prompt, add_special_tokens=not chat, return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        output = lm.network.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                     pad_token_id=lm.tokenizer.pad_token_id, **options)
    new = output[0] if lm.encoder_decoder else output[0, ids.shape[1]:]
    return lm.tokenizer.decode(new, skip_special_tokens=True).strip()


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_greedy_decoding_is_identical_at_batch_sizes_1_8_and_32_and_equals_plain_generate(models, kind):
    lm, split = models[kind], inputs()
    generator = TextGenerator(lm, Decoding(max_new_tokens=NEW_TOKENS), causal_template=TEMPLATE)
    first, eight, all_at_once = (generated(generator, split, size) for size in (1, 8, 32))
    assert first == eight == all_at_once
    assert sum(bool(text) for text in first) >= 30 and len(set(first)) >= 10  # varied outputs, not one repeated
    chat = kind == "causal"
    prompts = [chatml(TEMPLATE.replace("{input}", text)) if chat else text for text in split.texts]
    assert [generator.prompt_text(text) for text in split.texts] == prompts
    assert first == [reference(lm, prompt, chat=chat, max_new_tokens=NEW_TOKENS) for prompt in prompts]


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_beam_search_is_identical_at_batch_sizes_1_and_8_and_equals_plain_generate(models, kind):
    lm, split = models[kind], inputs().subset(range(12))
    generator = TextGenerator(lm, Decoding(max_new_tokens=6, num_beams=3), causal_template=TEMPLATE)
    one, eight = generated(generator, split, 1), generated(generator, split, 8)
    assert one == eight
    chat = kind == "causal"
    prompts = [generator.prompt_text(text) for text in split.texts]
    assert one == [reference(lm, prompt, chat=chat, max_new_tokens=6, num_beams=3) for prompt in prompts]
    assert generator.info.extra["generation"]["decoding"]["num_beams"] == 3


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_sampling_with_a_seed_is_reproducible_across_runs_batch_sizes_and_example_order(models, kind):
    lm, split = models[kind], inputs()
    decoding = Decoding(max_new_tokens=NEW_TOKENS, do_sample=True, temperature=0.8, top_p=0.9, seed=7)
    sampled = [generated(TextGenerator(lm, decoding, causal_template=TEMPLATE), split, size) for size in (1, 8, 32)]
    again = generated(TextGenerator(lm, decoding, causal_template=TEMPLATE), split, 8)
    assert sampled[0] == sampled[1] == sampled[2] == again
    order = list(reversed(range(len(split))))
    reversed_run = generated(TextGenerator(lm, decoding, causal_template=TEMPLATE), split.subset(order), 8)
    assert [reversed_run[order.index(i)] for i in range(len(split))] == sampled[0]  # each example's seed is its own
    greedy = generated(TextGenerator(lm, Decoding(max_new_tokens=NEW_TOKENS), causal_template=TEMPLATE), split, 8)
    other_seed = generated(TextGenerator(lm, Decoding(max_new_tokens=NEW_TOKENS, do_sample=True, seed=8),
                                         causal_template=TEMPLATE), split, 8)
    assert sum(a != b for a, b in zip(sampled[0], greedy)) >= 20
    assert sum(a != b for a, b in zip(sampled[0], other_seed)) >= 20


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_stop_sequences_cut_the_text_before_the_first_one(models, kind):
    lm, split = models[kind], inputs()
    free = generated(TextGenerator(lm, Decoding(max_new_tokens=NEW_TOKENS), causal_template=TEMPLATE), split, 8)
    # Two stop sequences taken from the outputs themselves, so several examples stop early.
    long_ones = [text for text in free if len(text) >= 8]
    stops = (long_ones[0][3:5], long_ones[1][4:6])
    stopped = generated(TextGenerator(lm, Decoding(max_new_tokens=NEW_TOKENS, stop=stops), causal_template=TEMPLATE),
                        split, 8)
    expected = [cut_at_stop(text, stops).strip() for text in free]
    assert stopped == expected
    assert sum(a != b for a, b in zip(stopped, free)) >= 2
    assert not any(stop in text for text in stopped for stop in stops)


def test_max_new_tokens_bounds_what_is_generated(models, monkeypatch):
    lm, split = models["causal"], inputs()
    outputs: list[tuple[int, object]] = []
    generate = lm.network.generate

    def recorded(**options):
        output = generate(**options)
        outputs.append((options["input_ids"].shape[1], output))
        return output

    monkeypatch.setattr(lm.network, "generate", recorded)
    generated(TextGenerator(lm, Decoding(max_new_tokens=3), causal_template=TEMPLATE), split, 8)
    short, outputs[:] = list(outputs), []
    generated(TextGenerator(lm, Decoding(max_new_tokens=12), causal_template=TEMPLATE), split, 8)
    assert len(short) == len(outputs) == 5
    assert all(output.shape[1] - prompt <= 3 for prompt, output in short)
    assert any(output.shape[1] - prompt == 12 for prompt, output in outputs)
    # Greedy: the first three new tokens are the same either way (texts are not compared: a byte-level BPE cut
    # after three tokens can end inside a character).
    assert all(bool((long[:, : few.shape[1]] == few).all()) for (_, few), (_, long) in zip(short, outputs))


def test_the_chat_template_is_applied_by_default_and_turned_off_by_the_setting(models):
    causal, seq2seq = models["causal"], models["seq2seq"]
    chat = TextGenerator(causal, causal_template=TEMPLATE)
    assert chat.prompt_text("The bridge reopened.") == ("<|im_start|>user\nThe bridge reopened.\n\nSummary:<|im_end|>\n"
                                                        "<|im_start|>assistant\n")
    system = TextGenerator(causal, prompting=Prompting(system_prompt="Be brief."), causal_template=TEMPLATE)
    assert system.prompt_text("Hi") == chatml("Hi\n\nSummary:", "Be brief.")
    plain = TextGenerator(causal, prompting=Prompting(chat_template=False), causal_template=TEMPLATE)
    assert plain.prompt_text("Hi") == "Hi\n\nSummary:"
    assert plain.info.extra["generation"]["chat_template_sha256"] is None
    import hashlib

    assert chat.info.extra["generation"]["chat_template_sha256"] == hashlib.sha256(CHAT_TEMPLATE.encode()).hexdigest()
    (item,) = chat.encode(Split("t", ["a"], ["Hi"]))
    assert list(item.ids) == causal.tokenizer(chatml("Hi\n\nSummary:"), add_special_tokens=False)["input_ids"]
    # Seq2seq models read the input as it is, unless a template is set; they have no chat template.
    assert TextGenerator(seq2seq, causal_template=TEMPLATE).prompt_text("Hi") == "Hi"
    assert TextGenerator(seq2seq, prompting=Prompting(template="summarize: {input}")).prompt_text("Hi") == "summarize: Hi"


def test_long_inputs_are_cut_so_the_prompt_template_stays_whole(models):
    causal = models["causal"]
    generator = TextGenerator(causal, Decoding(max_new_tokens=4), max_length=40, causal_template=TEMPLATE)
    (item,) = generator.encode(Split("t", ["a"], [" ".join(DOCUMENTS)]))
    assert len(item.ids) <= 40
    assert causal.tokenizer.decode(list(item.ids)).endswith("\n\nSummary:<|im_end|>\n<|im_start|>assistant\n")
    seq2seq = TextGenerator(models["seq2seq"], max_length=30)
    (item,) = seq2seq.encode(Split("t", ["a"], [" ".join(DOCUMENTS)]))
    assert len(item.ids) == 30 and item.ids[-1] == models["seq2seq"].tokenizer.eos_token_id


# Through the hub -----------------------------------------------------------------------------------------------
def add_sample(hub: Hub, name: str, task: str) -> None:
    folder = RESOURCES / f"{task}_sample"
    hub.add_dataset(name, splits={"train": folder / "train.jsonl", "test": folder / "test.jsonl"}, task=task,
                    id_column="id")


@pytest.mark.parametrize("task_name", ["summarization", "translation"])
def test_local_models_evaluate_end_to_end_with_the_settings_in_the_provenance_and_the_cache_key(tmp_path, folders,
                                                                                                 task_name):
    task = get_task(task_name)
    with Hub.open(tmp_path / "hub") as hub:
        add_sample(hub, "data", task_name)
        hub.add_model("gpt", folders["causal"])
        hub.add_model("bart", folders["seq2seq"])
        for model in ("gpt", "bart"):
            evaluation = hub.evaluate(model=model, dataset="data", progress=False, max_new_tokens=6)
            assert not evaluation.cached and list(evaluation.metrics) == list(task.metric_names(None))
            rows = hub.predictions(model=model, dataset="data")
            assert sum(bool(row["predicted"]) for row in rows) >= 8
            with hub.session() as session:
                from benchhub.catalog.datasets import get_dataset_row, load_split

                split = load_split(hub.artifacts, get_dataset_row(session, "data"), "test")
            rescored = task.score(split, [row["predicted"] for row in rows], evaluation_facts(hub))
            assert {k: v["value"] for k, v in rescored.metrics.items()} == {k: v["value"] for k, v in evaluation.metrics.items()}
            config, generation = evaluation.task_config, evaluation.provenance["model"]["generation"]
            assert config["max_new_tokens"] == 6 and config["chat_template"] is True and config["prompt_template"] is None
            assert evaluation.provenance["task_config"] == config
            assert generation["decoding"] == {"max_new_tokens": 6, "num_beams": 1, "do_sample": False, "temperature": 1.0,
                                              "top_p": 1.0, "seed": 0, "stop": []}
        gpt = hub.evaluate(model="gpt", dataset="data", progress=False, max_new_tokens=6)
        assert gpt.cached
        assert gpt.provenance["model"]["generation"]["prompt_template"] == task.prompt_default
        assert gpt.provenance["model"]["generation"]["chat_template_sha256"] is not None
        assert hub.evaluate(model="bart", dataset="data", progress=False, max_new_tokens=6).provenance["model"][
            "generation"]["prompt_template"] is None
        # Other settings are other evaluations, never answered from the cache.
        for changed in ({"chat_template": False}, {"prompt_template": "Text: {input}\nOutput:"}, {"max_new_tokens": 5},
                        {"do_sample": True, "sampling_seed": 3}, {"system_prompt": "Be brief."}, {"stop": ["."]}):
            other = hub.evaluate(model="gpt", dataset="data", progress=False, **{"max_new_tokens": 6, **changed})
            assert not other.cached, changed
            assert {k: other.task_config[k] for k in changed} == changed
        plain = hub.evaluate(model="gpt", dataset="data", progress=False, max_new_tokens=6, chat_template=False)
        assert plain.cached and plain.provenance["model"]["generation"]["chat_template_sha256"] is None
        assert plain.provenance["model"]["generation"]["prompt_template"] == task.prompt_default


def evaluation_facts(hub: Hub):
    from benchhub.catalog.datasets import dataset_facts, get_dataset_row

    with hub.session() as session:
        return dataset_facts(get_dataset_row(session, "data"))


def test_another_chat_template_is_another_model_and_another_cache_key(tmp_path, folders):
    other = tmp_path / "gpt-other-template"
    shutil.copytree(folders["causal"], other)
    template = other / "chat_template.jinja"  # where transformers saves a tokenizer's chat template
    assert template.read_text() == CHAT_TEMPLATE
    template.write_text(CHAT_TEMPLATE.replace("<|im_start|>assistant\n", "<|im_start|>assistant\nSummary: "))
    with Hub.open(tmp_path / "hub") as hub:
        add_sample(hub, "data", "summarization")
        hub.add_model("gpt", folders["causal"])
        hub.add_model("gpt-other", other)
        first = hub.evaluate(model="gpt", dataset="data", progress=False, max_new_tokens=4)
        second = hub.evaluate(model="gpt-other", dataset="data", progress=False, max_new_tokens=4)
        with hub.session() as session:
            from benchhub.store.tables import EvaluationRow

            keys = {row.model.name: row.cache_key for row in session.query(EvaluationRow)}
        assert keys["gpt"] != keys["gpt-other"]
        assert (first.provenance["model"]["generation"]["chat_template_sha256"]
                != second.provenance["model"]["generation"]["chat_template_sha256"])


def test_bad_generation_settings_are_refused_in_one_line_before_anything_runs(tmp_path, folders):
    with Hub.open(tmp_path / "hub") as hub:
        add_sample(hub, "data", "summarization")
        hub.add_model("gpt", folders["causal"])
        for settings, message in (
            ({"temperature": 0}, r"^--temperature must be a finite number above 0\. Got 0 instead\.$"),
            ({"top_p": 1.5}, r"^--top-p must be a number in \(0, 1\]\. Got 1\.5 instead\.$"),
            ({"prompt_template": "no place for it"}, r"^--prompt-template must be a text with \{input\} where the input goes"),
            ({"stop": [""]}, r"^--stop must be one to 16 non-empty texts"),
            ({"chat_template": "yes"}, r"^--chat-template must be true or false"),
            ({"num_beams": 0}, r"^--num-beams must be an int in the range \[1, inf\)"),
            ({"do_sample": True, "num_beams": 2}, r"^Sampling and beam search do not combine here"),
            ({"max_new_tokens": 256}, r"^--max-new-tokens 256 leaves no room for a prompt in this model's 256 positions"),
        ):
            with pytest.raises(InvalidInputError, match=message):
                hub.evaluate(model="gpt", dataset="data", progress=False, **settings)
        assert hub.leaderboard(dataset="data", baselines=False, progress=False).rows == []
    task = get_task("summarization")
    with pytest.raises(InvalidInputError, match=r"^summarization generates with PyTorch only; ONNX Runtime does not run"):
        task.load_network(folders["causal"], None, label_map=None, settings=dict(task.transformers_defaults), runtime="onnx")


def test_the_command_line_takes_no_chat_template_and_repeated_stop_sequences(tmp_path, folders):
    env = {**os.environ, "BENCHHUB_HOME": str(tmp_path / "home")}

    def cli(*args: object) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "benchhub", *map(str, args)], capture_output=True, text=True,
                              env=env, timeout=300)

    folder = RESOURCES / "translation_sample"
    assert cli("dataset", "add", "de-en", "--task", "translation", "--split", f"train={folder / 'train.jsonl'}",
               "--split", f"test={folder / 'test.jsonl'}", "--id-column", "id").returncode == 0
    assert cli("model", "add", "gpt", folders["causal"]).returncode == 0
    result = cli("eval", "--model", "gpt", "--dataset", "de-en", "--max-new-tokens", "4", "--no-chat-template",
                 "--stop", "\n", "--stop", "END", "--json", "--quiet")
    assert result.returncode == 0, result.stderr
    evaluation = json.loads(result.stdout)
    assert evaluation["task_config"]["chat_template"] is False and evaluation["task_config"]["stop"] == ["\n", "END"]
    generation = evaluation["provenance"]["model"]["generation"]
    assert generation["chat_template_sha256"] is None and generation["decoding"]["stop"] == ["\n", "END"]
    assert set(evaluation["metrics"]) == {"bleu", "chrf", "chrf_plus_plus"}


def test_generation_settings_of_every_type_go_through_the_api_to_the_job_and_its_result(tmp_path, folders):
    from fastapi.testclient import TestClient

    from benchhub.server.app import create_app
    from benchhub.server.in_process_scoring import WorkerSettings

    settings = {"max_new_tokens": 5, "stop": [".", "\n"], "prompt_template": "Text: {input}\nShort summary:",
                "system_prompt": "Be brief.", "chat_template": True}
    with Hub.open(tmp_path / "hub") as hub:
        add_sample(hub, "data", "summarization")
        hub.add_model("gpt", folders["causal"])
        hub.create_user("alice", role="member")
        token = {"Authorization": f"Bearer {hub.create_token('alice')[1]}"}
        with TestClient(create_app(hub.config, scoring=WorkerSettings(enabled=False))) as client:
            asked = client.post("/api/evaluations", headers=token, json={"models": ["gpt"], "datasets": ["data"],
                                                                          "settings": settings})
            assert asked.status_code == 202, asked.text
            assert hub.run_worker(once=True) == 1
            (job,) = client.get(f"/api/jobs?batch={asked.json()['batch']}", headers=token).json()
            assert job["state"] == "done", job
            bad = client.post("/api/evaluations", headers=token, json={"models": ["gpt"], "datasets": ["data"],
                                                                        "settings": {"prompt_template": "no slot"}})
            assert bad.status_code == 422 and "{input}" in bad.json()["error"]["message"]
        evaluation = hub.evaluate(model="gpt", dataset="data", progress=False, **settings)
        assert evaluation.cached and evaluation.id == job["evaluation_id"]
        assert {key: evaluation.task_config[key] for key in settings} == settings
        generation = evaluation.provenance["model"]["generation"]
        assert generation["decoding"]["stop"] == [".", "\n"] and generation["system_prompt"] == "Be brief."
