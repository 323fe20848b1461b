"""Multiple choice scored by a local causal language model: log-likelihoods equal to lm-evaluation-harness's own
HFLM.loglikelihood on the same tiny GPT-2 (random, Unicode and adversarial requests, left truncation), acc and
acc_norm as lm_eval's process_results gives them, the same at every batch size, the context run once per
question, and the path through the hub: the prompt template and few-shot prefix fixed at registration, and a
seq2seq checkpoint or a bad template refused in one line."""

from __future__ import annotations

import json
import random
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from lm_eval.api.instance import Instance
from lm_eval.api.metrics import mean as lm_eval_mean
from lm_eval.models.huggingface import HFLM

from benchhub import Hub
from benchhub.data.records import DatasetFacts, Split
from benchhub.engine.runner import run_model
from benchhub.errors import InvalidInputError
from benchhub.tasks.multiple_choice.causal_chooser import CausalChooser
from benchhub.tasks.multiple_choice.prompts import DEFAULT_TEMPLATE, Prompt
from benchhub.tasks.registry import get_task
from tests.contract.family_checks import _app
from tests.fixtures.tiny_lm import build_tiny_causal_lm, build_tiny_seq2seq_lm
from tests.test_cli import one_error_line, run_cli
from tests.test_multiple_choice_metrics import _lm_eval

SAMPLE = Path(str(resources.files("benchhub") / "resources" / "multiple_choice_sample"))
TASK = get_task("multiple-choice")
SPLITS = {"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"}


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLE / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]


TRAIN, TEST = _rows("train"), _rows("test")
CORPUS = [f"Question: {row['question']}\nAnswer: {' '.join(row['choices'])}" for row in TRAIN] + ["Ünïcödé 漢字 🙂 ß"]


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory) -> Path:
    return build_tiny_causal_lm(tmp_path_factory.mktemp("gpt2") / "tiny-gpt2", CORPUS, seed=3, positions=128)


@pytest.fixture(scope="module")
def chooser(gpt2) -> CausalChooser:
    return CausalChooser(gpt2, prompt=Prompt(), device="cpu")


def _float64(chooser: CausalChooser) -> CausalChooser:
    """The chooser with its network in float64: the oracle comparisons then measure the algorithm, not float32's
    rounding (which alone moves a 30-token log-likelihood of -108 by 1.5e-5 between two batch layouts)."""
    import torch

    chooser.network.to(torch.float64)
    return chooser


def _split(questions: list[str], choices: list[list[str]], gold: list[int] | None = None) -> Split:
    fields = {"choices": choices, **({"gold": gold} if gold is not None else {})}
    return Split("test", list(range(len(questions))), questions, fields=fields)


def _random_questions(seed: int, n: int) -> tuple[list[str], list[list[str]], list[int]]:
    rng = random.Random(seed)
    words = [word for text in CORPUS for word in text.split()]
    questions, choices, gold = [], [], []
    for _ in range(n):
        questions.append(" ".join(rng.choices(words, k=rng.randint(1, 12))) + "?")
        texts = [" ".join(rng.choices(words, k=rng.randint(1, 6))) for _ in range(rng.randint(2, 5))]
        choices.append(texts)
        gold.append(rng.randrange(len(texts)))
    return questions, choices, gold


ADVERSARIAL = (
    ["Ünïcödé 漢字 🙂: which one?", "Which animal?", "Which animal?", "", "<s>starts with the BOS text",
     "trailing spaces   ", "a very long question " * 40],
    [["ß", "漢字 🙂", "naïve café"], ["cat", "cats", "cat food", "category"], ["", "x", " "], ["Oxygen", "Neon"],
     ["yes", "no"], ["  two spaces", "none"], ["the first", "the first of many", "last"]],
)


def _oracle(chooser: CausalChooser, prompt: Prompt, questions: list[str], choices: list[list[str]], *,
            batch_size: int = 4) -> list[tuple[float, bool]]:
    """lm_eval's own (log-likelihood, is_greedy) for every choice, by HFLM on the same loaded model and tokenizer."""
    lm = HFLM(pretrained=chooser.network, tokenizer=chooser.tokenizer, batch_size=batch_size,
              max_length=chooser.max_length, device="cpu")
    pairs = [(prompt.context(q), prompt.continuation(c)) for q, options in zip(questions, choices) for c in options]
    requests = [Instance(request_type="loglikelihood", doc={}, arguments=pair, idx=i) for i, pair in enumerate(pairs)]
    return lm.loglikelihood(requests, disable_tqdm=True)


def _ours(chooser: CausalChooser, split: Split, batch_size: int = 8) -> list:
    return run_model(chooser, split, batch_size=batch_size, show_progress=False).outputs


@pytest.mark.parametrize("max_length", [2048, 40], ids=["whole-contexts", "left-truncated"])
@pytest.mark.parametrize("template", [DEFAULT_TEMPLATE, "{question}", "Q: {question}\nA: "], ids=["arc", "bare", "trailing-space"])
def test_loglikelihoods_equal_lm_evals_hflm_on_random_and_adversarial_requests(gpt2, chooser, template, max_length):
    questions, choices, _ = _random_questions(7, 30)
    questions, choices = questions + ADVERSARIAL[0], choices + ADVERSARIAL[1]
    prompt = Prompt(template, "Question: an example\nAnswer: yes\n\n" if template == DEFAULT_TEMPLATE else "")
    ours = _float64(CausalChooser(gpt2, prompt=prompt, max_length=max_length, device="cpu"))
    if max_length == 40:  # some requests are longer than the model's window, and lose tokens on the left
        assert max(len(ours.tok_encode(prompt.context(q))) for q in questions) > 40
    predictions = _ours(ours, _split(questions, choices))
    expected = _oracle(ours, prompt, questions, choices)
    got = [(ll, greedy) for p in predictions for ll, greedy in zip(p.loglikelihoods, p.greedy)]
    assert len(got) == len(expected) == sum(map(len, choices))
    np.testing.assert_allclose([ll for ll, _ in got], [ll for ll, _ in expected], rtol=0, atol=1e-5)
    assert [greedy for _, greedy in got] == [greedy for _, greedy in expected]
    assert all(np.isfinite(ll) and ll < 0 for ll, _ in got)


def test_in_float32_they_agree_to_float32s_rounding(chooser):
    questions, choices, _ = _random_questions(13, 40)
    got = [ll for p in _ours(chooser, _split(questions, choices)) for ll in p.loglikelihoods]
    expected = [ll for ll, _ in _oracle(chooser, chooser.prompt, questions, choices)]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-5)


def test_acc_and_acc_norm_are_what_lm_eval_computes_from_its_own_loglikelihoods(gpt2):
    chooser = _float64(CausalChooser(gpt2, prompt=Prompt(), device="cpu"))
    questions, choices, gold = _random_questions(11, 60)
    split = _split(questions, choices, gold)
    predictions = _ours(chooser, split)
    expected = iter(ll for ll, _ in _oracle(chooser, chooser.prompt, questions, choices))
    lm_eval_lls = [[next(expected) for _ in texts] for texts in choices]
    reference = _lm_eval(lm_eval_lls, choices, gold)
    facts = DatasetFacts(labels=[str(i) for i in range(5)], options={})
    score = TASK.score(split, TASK.collect(chooser, split, _run(predictions), facts), facts)
    for metric in ("acc", "acc_norm"):
        assert score.metrics[metric]["value"] == lm_eval_mean([row[metric] for row in reference])
    assert [row["predicted"] for row in score.examples] == [int(np.argmax(lls)) for lls in lm_eval_lls]


def _run(outputs: list):
    from benchhub.models.base import RunOutput

    return RunOutput(len(outputs), list(outputs), list(outputs), 0.0, 0.0, [], [], 0)


@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_batch_size_changes_no_loglikelihood_and_no_score(gpt2, chooser, precision):
    """acc and acc_norm are identical at engine batch sizes 1, 8 and 32; the log-likelihoods agree to 1e-6 in float64,
    and in float32 to its rounding (batches pad to other lengths, which moves the last bits: 1e-7 relative)."""
    if precision == "float64":
        chooser = _float64(CausalChooser(gpt2, prompt=Prompt(), device="cpu"))
    questions, choices, gold = _random_questions(5, 45)
    questions, choices = questions + ADVERSARIAL[0][:4], choices + [ADVERSARIAL[1][0], *ADVERSARIAL[1][1:2], ["x", "y"], ADVERSARIAL[1][3]]
    gold = gold + [0, 1, 1, 0]
    split = _split(questions, choices, gold)
    facts = DatasetFacts(labels=[str(i) for i in range(5)], options={})
    runs = {size: _ours(chooser, split, batch_size=size) for size in (1, 8, 32)}
    lls = {size: np.concatenate([p.loglikelihoods for p in run]) for size, run in runs.items()}
    tolerance = {"rtol": 0, "atol": 1e-6} if precision == "float64" else {"rtol": 1e-6, "atol": 1e-6}
    np.testing.assert_allclose(lls[8], lls[1], **tolerance)
    np.testing.assert_allclose(lls[32], lls[1], **tolerance)
    scores = {size: TASK.score(split, list(run), facts).metrics for size, run in runs.items()}
    for metric in ("acc", "acc_norm"):
        assert scores[1][metric]["value"] == scores[8][metric]["value"] == scores[32][metric]["value"]
    assert [p.greedy for p in runs[1]] == [p.greedy for p in runs[32]]


def test_the_context_runs_once_per_question_not_once_per_choice(chooser):
    questions, choices, _ = _random_questions(2, 12)
    questions.append("One-token choices only?")
    choices.append(["a", "b", "c"])
    split = _split(questions, choices)
    items = chooser.encode(split)
    calls: list[tuple[tuple[int, ...], int]] = []

    def record(module, args, kwargs):
        cache = kwargs.get(chooser._cache_keyword)
        calls.append((tuple(kwargs["input_ids"].shape), 0 if cache is None else cache.get_seq_length()))

    handle = chooser.network.register_forward_pre_hook(record, with_kwargs=True)
    try:
        outputs = run_model(chooser, split, batch_size=1, show_progress=False).outputs
        per_question = list(calls)
        calls.clear()
        run_model(chooser, split, batch_size=8, show_progress=False)
    finally:
        handle.remove()
    assert len(outputs) == len(questions)
    order = np.argsort([-chooser.length(item) for item in items], kind="stable")
    at = 0
    for index in order:  # batch size 1: one pass over the context, then one over every choice's continuation
        item = items[index]
        assert len(item.contexts) == 1
        (context,) = item.contexts
        assert per_question[at] == ((1, len(context)), 0)
        at += 1
        widest = max(len(continuation) for _, continuation in item.choices)
        if widest > 1:
            assert per_question[at] == ((len(item.choices), widest - 1), len(context))
            at += 1
    assert at == len(per_question)
    context_passes = [shape for shape, cached in per_question if cached == 0]
    assert sum(length for _, length in context_passes) == sum(len(item.contexts[0]) for item in items)
    # Batched, the contexts of a batch run together once: two passes per batch of up to 8 questions.
    assert len(calls) == 2 * 2 and [shape[0] for shape, cached in calls if cached == 0] == [8, len(questions) - 8]


# Through the hub -----------------------------------------------------------------------------------------
def test_a_causal_lm_registers_and_evaluates_on_the_bundled_sample_with_its_prompt_in_the_provenance(tmp_path, gpt2, chooser):
    hub = Hub.open(tmp_path / "hub")
    hub.add_dataset("mc", splits=SPLITS, task="multiple-choice")
    hub.add_dataset("mc-2shot", splits=SPLITS, task="multiple-choice", num_fewshot=2)
    info = hub.add_model("gpt2", gpt2)
    assert info.kind == "transformers"
    evaluation = hub.evaluate(model="gpt2", dataset="mc", batch_size=8, progress=False)
    assert set(evaluation.metrics) == {"acc", "acc_norm"}
    rows = hub.predictions(model="gpt2", dataset="mc")
    split = _split([r["question"] for r in TEST], [r["choices"] for r in TEST], [r["answer"] for r in TEST])
    expected = _ours(chooser, split)
    np.testing.assert_allclose([ll for row in rows for ll in row["loglikelihoods"]],
                               [ll for p in expected for ll in p.loglikelihoods], rtol=0, atol=1e-6)
    reference = _lm_eval([p.loglikelihoods for p in expected], [r["choices"] for r in TEST], [r["answer"] for r in TEST])
    for metric in ("acc", "acc_norm"):
        assert evaluation.metrics[metric]["value"] == pytest.approx(lm_eval_mean([row[metric] for row in reference]), abs=1e-12)
    assert evaluation.provenance["model"]["prompt_template"] == DEFAULT_TEMPLATE
    assert all(len(row["greedy"]) == len(row["loglikelihoods"]) for row in rows)

    # Two answered train questions, drawn once with seed 1234, precede every question of the few-shot dataset.
    picked = random.Random(1234).sample(range(len(TRAIN)), 2)
    prefix = "".join(f"Question: {TRAIN[i]['question']}\nAnswer: {TRAIN[i]['choices'][TRAIN[i]['answer']]}\n\n" for i in picked)
    options = hub.dataset("mc-2shot").options
    assert options["fewshot_prefix"] == prefix and options["fewshot_ids"] == [TRAIN[i]["id"] for i in picked]
    assert options["num_fewshot"] == 2 and hub.dataset("mc").options["num_fewshot"] == 0
    assert not any(row["question"] in prefix for row in TEST)  # few-shot examples come from train only
    # The prefix holds train's gold answers, and a benchmark may hide any split: the server never shows it.
    shown = TestClient(_app(hub)).get("/api/datasets/mc-2shot")
    assert shown.status_code == 200 and shown.json()["options"]["fewshot_ids"] == options["fewshot_ids"]
    assert "fewshot_prefix" not in shown.json()["options"] and TRAIN[picked[0]]["question"] not in shown.text
    hub.evaluate(model="gpt2", dataset="mc-2shot", batch_size=8, progress=False)
    fewshot = hub.predictions(model="gpt2", dataset="mc-2shot")
    direct = _ours(CausalChooser(gpt2, prompt=Prompt(DEFAULT_TEMPLATE, prefix), device="cpu"), split)
    np.testing.assert_allclose([ll for row in fewshot for ll in row["loglikelihoods"]],
                               [ll for p in direct for ll in p.loglikelihoods], rtol=0, atol=1e-6)
    assert [row["loglikelihoods"] for row in fewshot] != [row["loglikelihoods"] for row in rows]
    hub.close()


def test_the_command_line_takes_a_template_and_few_shot_and_refuses_bad_templates_in_one_line(tmp_path):
    splits = ["--split", f"train={SPLITS['train']}", "--split", f"test={SPLITS['test']}"]
    added = run_cli("dataset", "add", "mc", "--task", "multiple-choice", *splits, "--prompt-template",
                    "Q: {question}\nA:", "--num-fewshot", "1", "--json")
    assert added.returncode == 0, added.stderr
    options = json.loads(added.stdout)["options"]
    assert options["prompt_template"] == "Q: {question}\nA:" and options["fewshot_prefix"].startswith("Q: ")
    for template, message in (("Question: {question} {answer}", r"placeholder \{answer\}, which is not allowed"),
                              ("Question: {question", "is not a valid template"),
                              ("Question:", r"has no \{question\}"),
                              ("{question!r}", r"placeholder \{question!r\}")):
        line = one_error_line(run_cli("dataset", "add", "bad", "--task", "multiple-choice", *splits,
                                      "--prompt-template", template))
        assert re.search(message, line), line
    line = one_error_line(run_cli("dataset", "add", "bad", "--task", "multiple-choice", str(SPLITS["test"]),
                                  "--num-fewshot", "3"))
    assert "draws its examples from a split named 'train'" in line
    line = one_error_line(run_cli("dataset", "add", "bad", "--task", "multiple-choice", *splits, "--num-fewshot", "61"))
    assert "more than the 60 questions of the train split" in line
    hub = Hub.open()
    assert [d.name for d in hub.datasets()] == ["mc"]
    hub.close()


def test_a_seq2seq_checkpoint_is_refused_in_one_line(tmp_path):
    bart = build_tiny_seq2seq_lm(tmp_path / "tiny-bart", CORPUS)
    reason = TASK.checkpoint_refusal(["BartForConditionalGeneration"])
    assert reason.startswith("BartForConditionalGeneration is a sequence-to-sequence model; multiple-choice scores "
                             "choices with causal language models (*ForCausalLM, *LMHeadModel)")
    assert TASK.checkpoint_refusal(["GPT2LMHeadModel"]) is None and TASK.checkpoint_refusal(["LlamaForCausalLM"]) is None
    facts = DatasetFacts(labels=["0", "1"], options={})
    with pytest.raises(InvalidInputError, match="tiny-bart: BartForConditionalGeneration is a sequence-to-sequence model") as error:
        TASK.load_network(bart, facts, label_map=None, settings={"max_length": 2048}, runtime="torch")
    assert "\n" not in str(error.value)
    # Through the hub it never runs on a multiple-choice dataset: refused at registration or at evaluation.
    hub = Hub.open(tmp_path / "hub")
    hub.add_dataset("mc", splits=SPLITS, task="multiple-choice")
    try:
        hub.add_model("bart", bart)
    except InvalidInputError as refused:
        assert "BartForConditionalGeneration is a" in str(refused) and "\n" not in str(refused)
    else:
        with pytest.raises(InvalidInputError, match="sequence-to-sequence model; multiple-choice scores"):
            hub.evaluate(model="bart", dataset="mc", progress=False)
    hub.close()
