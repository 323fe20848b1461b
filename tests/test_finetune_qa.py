"""Tests of extractive-QA fine-tuning with a tiny random BERT (training features, checkpoint, determinism)."""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import asdict
from pathlib import Path

import pytest

from benchhub.errors import InvalidInputError
from benchhub.tasks.question_answering.finetune import (
    QAFinetuneConfig,
    finetune_qa,
    train_features,
)

NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
PLACES = ["market", "harbour", "station", "museum", "library", "bridge"]
QUESTIONS = ["who came first?", "who arrived before the others?", "which person was first?"]
LONG_CONTEXT = " ".join(f"{name} walked to the {place} ." for name, place in zip(NAMES, PLACES * 2))


def toy_task(n: int, *, seed: int) -> tuple[list[str], list[str], list[dict]]:
    """Questions whose answer is always the first word of the context (every fourth one unanswerable)."""
    rng = random.Random(seed)
    questions, contexts, answers = [], [], []
    for i in range(n):
        first, second = rng.sample(NAMES, 2)
        context = f"{first} met {second} at the {rng.choice(PLACES)} ."
        questions.append(rng.choice(QUESTIONS))
        contexts.append(context)
        answers.append({"text": [], "answer_start": []} if i % 4 == 3 else {"text": [first], "answer_start": [0]})
    return questions, contexts, answers


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """A tiny model gains nothing from threads, and they crawl on a busy machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def qa_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.fixtures.tiny_bert import build_tiny_bert_qa

    corpus = [*toy_task(40, seed=9)[1], *QUESTIONS, LONG_CONTEXT] * 2
    return build_tiny_bert_qa(tmp_path_factory.mktemp("tiny-bert-qa"), corpus)


@pytest.fixture(scope="module")
def tokenizer(qa_bert: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(qa_bert)


def test_train_features_label_the_first_answer_where_a_window_holds_it_whole_else_cls(tokenizer):
    question = "who walked?"
    encoded = tokenizer([question], [LONG_CONTEXT], truncation="only_second", max_length=24, stride=6,
                        return_overflowing_tokens=True, return_offsets_mapping=True)
    spans = [
        [tuple(span) for span, sequence in zip(encoded["offset_mapping"][i], encoded.sequence_ids(i)) if sequence == 1]
        for i in range(len(encoded["input_ids"]))
    ]
    # Windows 0 and 1 share 6 context tokens; the answer starts 2 tokens before window 0 ends and ends
    # 2 tokens after it, so window 0 cuts it and window 1 holds it whole.
    assert len(spans) >= 4 and spans[0][-6:] == spans[1][:6]
    start, end = spans[1][4][0], spans[1][7][1]
    answer = LONG_CONTEXT[start:end]
    other = LONG_CONTEXT.index("judy")
    answers = [{"text": [answer, "judy"], "answer_start": [start, other]}, {"text": [], "answer_start": []}]

    features = train_features(tokenizer, [question] * 2, [LONG_CONTEXT] * 2, answers, max_length=24, doc_stride=6)

    windows = len(spans)
    assert len(features) == 2 * windows
    assert [f["input_ids"] for f in features[:windows]] == encoded["input_ids"]
    labels = [(f["start_positions"], f["end_positions"]) for f in features]
    first_context = encoded.sequence_ids(1).index(1)
    assert labels[1] == (first_context + 4, first_context + 7)
    offsets = encoded["offset_mapping"][1]
    assert LONG_CONTEXT[offsets[labels[1][0]][0] : offsets[labels[1][1]][1]] == answer
    assert labels[:1] + labels[2:] == [(0, 0)] * (2 * windows - 1)


def weights_digest(folder: Path) -> str:
    return hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()


def test_finetune_writes_a_safetensors_checkpoint_and_a_summary(qa_bert, tmp_path):
    questions, contexts, answers = toy_task(20, seed=1)
    contexts[0] = LONG_CONTEXT  # one question spans several windows
    answers[0] = {"text": ["alice"], "answer_start": [0]}
    config = QAFinetuneConfig(epochs=2, batch_size=4, max_length=24, doc_stride=6)

    summary = finetune_qa(qa_bert, questions, contexts, answers, tmp_path / "out", config=config, show_progress=False)

    files = {path.name for path in (tmp_path / "out").iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "benchhub_training.json"} <= files
    assert not [name for name in files if name.endswith((".bin", ".pkl", ".pt", ".pth"))]
    assert summary["examples"] == 20 and summary["features"] > 20
    assert summary["steps"] == math.ceil(summary["features"] / 4) * 2
    assert summary["config"] == asdict(config) and isinstance(summary["bf16"], bool)
    assert math.isfinite(summary["final_loss"]) and summary["seconds"] > 0
    assert json.loads((tmp_path / "out" / "benchhub_training.json").read_text()) == summary
    assert weights_digest(tmp_path / "out") != weights_digest(qa_bert)


def toy_loss(folder: Path, questions, contexts, answers) -> float:
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForQuestionAnswering.from_pretrained(folder, use_safetensors=True).eval()
    features = train_features(tokenizer, questions, contexts, answers, max_length=64, doc_stride=16)
    with torch.inference_mode():
        return float(model(**tokenizer.pad(features, return_tensors="pt")).loss)


def test_the_loss_falls_on_a_learnable_task_and_the_model_finds_the_first_word(qa_bert, tmp_path):
    from benchhub.data.records import Split
    from benchhub.engine.runner import run_model
    from benchhub.tasks.question_answering.transformers_qa import TransformersQA

    train = toy_task(40, seed=2)
    held_out = toy_task(12, seed=3)
    config = QAFinetuneConfig(epochs=4, batch_size=6, learning_rate=1e-2, max_length=64, doc_stride=16)

    summary = finetune_qa(qa_bert, *train, tmp_path / "out", config=config, show_progress=False)

    assert summary["steps"] == 28  # ceil(40 / 6) * 4
    before, after = toy_loss(qa_bert, *held_out), toy_loss(tmp_path / "out", *held_out)
    assert after < 0.3 * before
    model = TransformersQA(tmp_path / "out", max_length=64, doc_stride=16, threads=1)
    split = Split("held-out", list(range(12)), held_out[0], held_out[1])
    run = run_model(model, split, show_progress=False)
    found = [answer.text for answer in model.decode(split, run.items, run.outputs, allow_no_answer=False)]
    assert found == [context.split()[0] for context in held_out[1]]


@pytest.mark.parametrize("bf16", [False, True], ids=["float32", "bfloat16-autocast"])
def test_the_same_seed_gives_the_same_weights(qa_bert, tmp_path, bf16):
    data = toy_task(12, seed=4)
    runs = {
        name: finetune_qa(qa_bert, *data, tmp_path / name, config=QAFinetuneConfig(
            epochs=1, batch_size=4, max_length=32, doc_stride=8, seed=seed, bf16=bf16), show_progress=False)
        for name, seed in (("a", 0), ("b", 0), ("c", 1))
    }

    assert weights_digest(tmp_path / "a") == weights_digest(tmp_path / "b") != weights_digest(tmp_path / "c")
    assert runs["a"]["final_loss"] == runs["b"]["final_loss"] != runs["c"]["final_loss"]
    assert runs["a"]["bf16"] is bf16


def test_float32_and_bfloat16_training_differ_but_both_save_float32_weights(qa_bert, tmp_path):
    from safetensors.numpy import load_file

    data = toy_task(12, seed=4)
    for bf16 in (False, True):
        finetune_qa(qa_bert, *data, tmp_path / str(bf16), config=QAFinetuneConfig(
            epochs=1, batch_size=4, max_length=32, doc_stride=8, bf16=bf16), show_progress=False)

    assert weights_digest(tmp_path / "False") != weights_digest(tmp_path / "True")
    assert {str(array.dtype) for array in load_file(tmp_path / "True" / "model.safetensors").values()} == {"float32"}


def bad(**changes):
    questions, contexts, answers = toy_task(4, seed=5)
    arguments = {"questions": questions, "contexts": contexts, "answers": answers, "config": QAFinetuneConfig(
        max_length=32, doc_stride=8)}
    arguments.update(changes)
    return arguments


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (bad(questions=[], contexts=[], answers=[]), "got no questions"),
        (bad(contexts=["only one context"]), "4 questions, 1 contexts and 4 answers"),
        (bad(answers=[{"text": ["x"]}] * 4), r"answers\[0\] must be"),
        (bad(answers=[{"text": ["nobody"], "answer_start": [0]}] * 4), r"answers\[0\]: the context at answer_start 0"),
        (bad(config=QAFinetuneConfig(epochs=0)), "--epochs must be a number"),
        (bad(config=QAFinetuneConfig(max_length=32, doc_stride=32)), r"--doc-stride must be an int in the range \[0, 32\)"),
        (bad(questions=["who came first and who came last " * 6] * 4), "question is too long"),
    ],
    ids=["empty", "mismatched-lengths", "malformed-answers", "answer-not-at-offset", "no-epochs", "stride-too-big",
         "question-too-long"],
)
def test_bad_input_is_refused_before_training(qa_bert, tmp_path, arguments, message):
    with pytest.raises(InvalidInputError, match=message):
        finetune_qa(qa_bert, output=tmp_path / "out", show_progress=False, **arguments)
    assert not (tmp_path / "out").exists()
