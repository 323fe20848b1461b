"""Multiple choice by generated letters through an OpenAI-compatible server (`--choice-by letters`): the lettered
prompt on both routes, the rule that reads a letter back, acc alone (no acc_norm without log-likelihoods),
unparsed answers counted wrong and shown, the refusals in one line, and a rerun answered from the cache.

The server is `tests/test_endpoints.py`'s scripted real HTTP server, answering each question with a text the
test picks for it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from benchhub import Hub
from benchhub.data.records import DatasetFacts
from benchhub.errors import InvalidInputError
from benchhub.models.endpoints import Endpoint, EndpointClient
from benchhub.tasks.multiple_choice.letter_chooser import LetterChooser
from benchhub.tasks.multiple_choice.letters import (
    TEMPLATE,
    letters_prompt,
    parse_letter,
)
from benchhub.tasks.registry import TASKS
from tests.test_cli import one_error_line, run_cli
from tests.test_endpoints import RESOURCES, scripted  # noqa: F401 - scripted is a fixture

SAMPLE = RESOURCES / "multiple_choice_sample"
QUESTIONS = [json.loads(line) for line in (SAMPLE / "test.jsonl").read_text(encoding="utf-8").splitlines()]
LETTERS = "ABCD"


@pytest.mark.parametrize(("answer", "choices", "expected"), [
    (" B", 4, 1), ("B.", 4, 1), ("(b)", 4, 1), ("[c]", 4, 2), ("b", 4, 1), ("d.", 4, 3),
    ("The answer is C", 4, 2), ("I think B", 4, 1), (" D\nQuestion: next", 4, 3), ("A", 4, 0),
    ("Z", 4, None), ("", 4, None), ("none of them", 4, None), ("a cat", 4, None), ("AB", 4, None),
    ("E", 4, None), ("E", 5, 4), ("answer: b.", 4, None),
], ids=repr)
def test_the_letter_is_the_first_standalone_letter_within_range(answer, choices, expected):
    assert parse_letter(answer, choices) == expected


def test_the_prompt_letters_the_choices_as_mmlus_generative_prompt_and_asks_for_the_letter():
    assert letters_prompt("  Which gas?\n", ["Helium", "Oxygen"]) == (
        "Which gas?\nA. Helium\nB. Oxygen\nAnswer with the letter of the right choice.\nAnswer:")
    with pytest.raises(InvalidInputError, match=r"^A question has 27 choices; answering by letter letters at most 26 "
                                                r"\(A to Z\)\. Score it by log-likelihood \(--choice-by loglikelihood\)\.$"):
        letters_prompt("q", [str(i) for i in range(27)])


def answer_of(index: int, gold: int) -> str:
    """What the scripted model answers to question `index`: right three ways, wrong, unparsed twice."""
    wrong = (gold + 1) % 4
    return [f" {LETTERS[gold]}", f"{LETTERS[gold]}.", f"({LETTERS[gold].lower()})", f"The answer is {LETTERS[wrong]}",
            "Z", ""][index % 6]


def letter_server(start: Any) -> Any:
    """Answers each question's prompt (either route) with `answer_of`; an echo request gets no log-probabilities."""
    by_question = {q["question"]: answer_of(i, q["answer"]) for i, q in enumerate(QUESTIONS)}

    def answer(n: int, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, str], Any, float]:
        if "messages" in body:
            prompt = body["messages"][-1]["content"]
            return 200, {}, {"object": "chat.completion", "choices": [{"message": {"role": "assistant",
                                                                                  "content": by_question[prompt.split("\n")[0]]}}]}, 0
        if body.get("echo"):
            return 200, {}, {"choices": [{"text": "x"}]}, 0
        return 200, {}, {"choices": [{"text": by_question[body["prompt"].split("\n")[0]]}]}, 0

    return start(answer)


def expected_rows() -> list[tuple[int | None, bool]]:
    rows = []
    for i, q in enumerate(QUESTIONS):
        picked = parse_letter(answer_of(i, q["answer"]), 4)
        rows.append((picked, picked == q["answer"]))
    return rows


def add_mc(hub: Hub, **settings: Any) -> None:
    hub.add_dataset("mc", splits={"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"},
                    task="multiple-choice", id_column="id", **settings)


@pytest.mark.parametrize("route", ["completions", "chat"])
def test_letters_score_acc_count_unparsed_answers_and_a_rerun_sends_nothing(scripted, tmp_path, route):  # noqa: F811
    server = letter_server(scripted)
    with Hub.open(tmp_path / "hub") as hub:
        add_mc(hub)
        hub.add_model("served", server.base_url, endpoint={"model": "gpt", "route": route, "concurrency": 4})
        first = hub.evaluate(model="served", dataset="mc", progress=False, choice_by="letters")
        rows = hub.predictions(model="served", dataset="mc")
        sent = len(server.requests)
        again = hub.evaluate(model="served", dataset="mc", progress=False, choice_by="letters", use_cache=False)
        resent = len(server.requests) - sent
    expected = expected_rows()
    assert [(row["predicted"], row["correct"]) for row in rows] == expected
    assert [row["generated"] for row in rows] == [answer_of(i, q["answer"]) for i, q in enumerate(QUESTIONS)]
    assert first.metrics["acc"]["value"] == pytest.approx(sum(ok for _, ok in expected) / len(QUESTIONS)) == 21 / 40
    assert set(first.metrics) == {"acc"}  # acc_norm needs log-likelihoods
    unparsed = sum(picked is None for picked, _ in expected)
    assert unparsed == 12 and first.details["unparsed"] == 12
    assert first.provenance["model"]["unparsed"] == 12 and first.provenance["task_config"]["choice_by"] == "letters"
    assert first.provenance["model"]["letters"]["prompt_template"] == TEMPLATE
    assert sent == len(QUESTIONS) and resent == 0
    assert again.provenance["model"]["responses"] == {"sent": 0, "cached": len(QUESTIONS)}
    body = server.requests[0][1]
    prompt = letters_prompt(QUESTIONS[0]["question"], QUESTIONS[0]["choices"])
    asked = {"messages": [{"role": "user", "content": prompt}]} if route == "chat" else {"prompt": prompt}
    bodies = [b for _, b, _ in server.requests]
    assert {"model": "gpt", **asked, "max_tokens": 8, "temperature": 0.0} in bodies
    header, table = TASKS["multiple-choice"].example_table(rows[:6])
    assert [line[header.index("predicted")] for line in table] == ["3", "3", "1", "1", "unparsed", "unparsed"]
    notes = {t.title: t.rows for t in TASKS["multiple-choice"].detail_tables(first.details)}
    assert notes["Unparsed answers"][0][0] == "12"
    assert body["max_tokens"] == 8 and "A. Helium\nB. Carbon monoxide\nC. Neon\nD. Oxygen\n" in prompt


def test_without_prompt_logprobs_the_refusal_names_letters_and_the_choice_is_in_the_task_config(scripted, tmp_path):  # noqa: F811
    server = letter_server(scripted)
    with Hub.open(tmp_path / "hub") as hub:
        add_mc(hub)
        hub.add_model("served", server.base_url, endpoint={"model": "gpt"})
        with pytest.raises(InvalidInputError) as raised:
            hub.evaluate(model="served", dataset="mc", progress=False)
        letters = hub.evaluate(model="served", dataset="mc", progress=False, choice_by="letters")
        with pytest.raises(InvalidInputError, match=r"^--choice-by must be one of loglikelihood, letters\. Got 'logits' instead\.$"):
            hub.evaluate(model="served", dataset="mc", progress=False, choice_by="logits")
    message = str(raised.value)
    assert "returned no prompt log-probabilities" in message and "--choice-by letters" in message and "\n" not in message
    assert letters.cached is False and letters.metrics["acc"]["value"] == 21 / 40
    assert letters.task_config == {"max_length": 2048, "choice_by": "letters"}  # what the cache key hashes


def test_letters_refusals_are_one_line(scripted, tmp_path):  # noqa: F811
    server = letter_server(scripted)
    with Hub.open(tmp_path / "hub") as hub:
        hub.add_dataset("shots", splits={"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"},
                        task="multiple-choice", id_column="id", num_fewshot=2)
        hub.add_model("served", server.base_url, endpoint={"model": "gpt", "route": "chat"})
        with pytest.raises(InvalidInputError, match=r"^This dataset puts 2 answered questions before each one "
                                                    r"\(--num-fewshot\).*without --num-fewshot to ask by letter\.$"):
            hub.evaluate(model="served", dataset="shots", progress=False, choice_by="letters")
        with pytest.raises(InvalidInputError, match=r"only the completions route returns; .* --choice-by letters \(acc only\)\.$"):
            hub.evaluate(model="served", dataset="shots", progress=False)
    assert len(server.requests) == 0
    task = TASKS["multiple-choice"]
    with pytest.raises(InvalidInputError, match=r"^gpt: --choice-by letters is for models behind OpenAI-compatible "
                                                r"servers; .*\(leave --choice-by out\)\.$"):
        task.load_network(tmp_path / "gpt", DatasetFacts(), label_map=None, settings={"max_length": 8, "choice_by": "letters"},
                          runtime="torch")
    with pytest.raises(InvalidInputError, match=r"^This dataset puts 3 answered"):
        LetterChooser(EndpointClient(Endpoint(server.base_url, "gpt")), num_fewshot=3)


def test_the_command_line_takes_choice_by(scripted, tmp_path):  # noqa: F811
    server = letter_server(scripted)
    with Hub.open(tmp_path / "hub") as hub:
        add_mc(hub)
        hub.add_model("served", server.base_url, endpoint={"model": "gpt"})
    result = run_cli("eval", "--model", "served", "--dataset", "mc", "--choice-by", "letters", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    evaluation = document[0] if isinstance(document, list) else document
    assert evaluation["metrics"]["acc"]["value"] == 21 / 40 and "acc_norm" not in evaluation["metrics"]
    assert "--choice-by letters" in one_error_line(run_cli("eval", "--model", "served", "--dataset", "mc"))


def test_a_file_of_choices_keeps_an_unparsed_answer_as_null_and_scores_it_wrong(tmp_path):
    from benchhub.tasks.multiple_choice.outputs import ChoicePrediction
    from benchhub.tasks.multiple_choice.predictions import (
        read_choice_predictions,
        write_choice_predictions,
    )

    path = tmp_path / "picks.jsonl"
    write_choice_predictions(path, ["a", "b"], [ChoicePrediction(None, generated="Z"), ChoicePrediction(1, generated=" B")])
    assert path.read_text().splitlines() == ['{"id": "a", "choice": null}', '{"id": "b", "choice": 1}']
    read = read_choice_predictions(path, ids=["a", "b"], choices=[["x", "y"], ["x", "y"]])
    assert [p.choice for p in read] == [None, 1]
    with Hub.open(tmp_path / "hub") as hub:
        add_mc(hub)
        picks = tmp_path / "test-picks.jsonl"
        picks.write_text("".join(json.dumps({"id": q["id"], "choice": None if i < 10 else q["answer"]}) + "\n"
                                 for i, q in enumerate(QUESTIONS)))
        scored = hub.score(dataset="mc", predictions=picks)
    assert scored["metrics"]["acc"]["value"] == 30 / 40 and scored["details"]["unparsed"] == 10
