"""Few-shot prompts for the text-to-text families: K answered train examples drawn once at registration (seed 1234)
and shown before every input, as lm-evaluation-harness writes them (prompt, " ", reference, "\\n\\n"), or as user and
assistant turns through a chat template or an endpoint's chat route; stored as an internal dataset option."""

from __future__ import annotations

import json
import random
import re
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from benchhub import Hub
from benchhub.catalog.datasets import dataset_facts, get_dataset_row
from benchhub.competitions.benchmarks import PhaseSpec
from benchhub.data.records import Split
from benchhub.errors import InvalidInputError, NotFoundError
from benchhub.models.endpoint_generation import EndpointGenerator
from benchhub.models.endpoints import Endpoint, EndpointClient
from benchhub.models.generation import Prompting, TextGenerator
from benchhub.models.language_models import load_language_model
from benchhub.server.app import create_app
from benchhub.tasks.registry import get_task
from benchhub.tasks.text_to_text.fewshot import fewshot_examples
from tests.fixtures.tiny_lm import CHAT_TEMPLATE, build_tiny_causal_lm

SAMPLES = Path(str(resources.files("benchhub") / "resources"))
SHOTS = (("The bridge reopened on Monday.", "Bridge open."), ("Rain fell all week.", "A wet week."))


def rows(task: str, split: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLES / f"{task}_sample" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def causal(tmp_path_factory):
    corpus = [row["document"] for row in rows("summarization", "train")] + [row["summary"] for row in rows("summarization", "train")]
    return build_tiny_causal_lm(tmp_path_factory.mktemp("fewshot") / "gpt", corpus, chat_template=CHAT_TEMPLATE, init_std=0.2)


def test_a_plain_prompt_writes_each_example_then_the_input_and_a_chat_prompt_makes_them_turns():
    prompting = Prompting(fewshot=SHOTS, system_prompt="Be brief.")
    template = "{input}\nSummary:"
    assert prompting.plain(template, "Snow closed the pass.") == (
        "The bridge reopened on Monday.\nSummary: Bridge open.\n\nRain fell all week.\nSummary: A wet week.\n\n"
        "Snow closed the pass.\nSummary:")
    assert prompting.messages(template, "Snow closed the pass.") == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "The bridge reopened on Monday.\nSummary:"}, {"role": "assistant", "content": "Bridge open."},
        {"role": "user", "content": "Rain fell all week.\nSummary:"}, {"role": "assistant", "content": "A wet week."},
        {"role": "user", "content": "Snow closed the pass.\nSummary:"}]
    assert Prompting().plain(None, "x") == "x" and Prompting().messages(None, "x") == [{"role": "user", "content": "x"}]


def test_a_causal_model_reads_the_examples_through_its_chat_template_or_plainly(causal):
    lm = load_language_model(causal, device="cpu")
    chat = TextGenerator(lm, prompting=Prompting(fewshot=SHOTS[:1]), causal_template="{input}\nSummary:")
    assert chat.prompt_text("Snow.") == ("<|im_start|>user\nThe bridge reopened on Monday.\nSummary:<|im_end|>\n"
                                         "<|im_start|>assistant\nBridge open.<|im_end|>\n"
                                         "<|im_start|>user\nSnow.\nSummary:<|im_end|>\n<|im_start|>assistant\n")
    plain = TextGenerator(lm, prompting=Prompting(fewshot=SHOTS[:1], chat_template=False), causal_template="{input}\nSummary:")
    assert plain.prompt_text("Snow.") == "The bridge reopened on Monday.\nSummary: Bridge open.\n\nSnow.\nSummary:"
    assert plain.info.extra["generation"]["fewshot"] == 1


def test_endpoints_send_the_examples_in_the_prompt_or_as_chat_turns(tmp_path):
    for route, expected in (("completions", {"prompt": "Q: a\nA: b\n\nQ: c\nA:"}),
                            ("chat", {"messages": [{"role": "user", "content": "Q: a\nA:"}, {"role": "assistant", "content": "b"},
                                                   {"role": "user", "content": "Q: c\nA:"}]})):
        client = EndpointClient(Endpoint("http://127.0.0.1:9/v1", model="m", route=route), cache_folder=tmp_path / route)
        generator = EndpointGenerator(client, prompting=Prompting(template="Q: {input}\nA:", fewshot=(("a", "b"),)))
        (item,) = generator.encode(Split("t", ["x"], ["c"]))
        body = generator.request(item)
        assert {key: body[key] for key in expected} == expected, route
        assert generator.info.extra["generation"]["fewshot"] == 1


def test_registration_draws_the_examples_from_train_once_and_the_server_never_shows_them(tmp_path, causal):
    folder = SAMPLES / "generative_answers_sample"
    train = rows("generative_answers", "train")
    with Hub.open(tmp_path / "hub") as hub:
        hub.add_dataset("qa", splits={"train": folder / "train.jsonl", "test": folder / "test.jsonl"},
                        task="generative-answers", id_column="id", num_fewshot=3)
        with hub.session() as session:
            facts = dataset_facts(get_dataset_row(session, "qa"))
        picked = random.Random(1234).sample(range(len(train)), 3)
        family = get_task("generative-answers")
        assert facts.options["num_fewshot"] == 3
        def first(answer):  # a row's answer is one text or a list of them: the example shows the first
            return answer[0] if isinstance(answer, list) else answer

        assert fewshot_examples(facts.options) == tuple(
            (train[i][family.input_default], first(train[i][family.target_default])) for i in picked)
        with TestClient(create_app(hub.config)) as client:
            shown = client.get("/api/datasets/qa").json()
        assert shown["options"].get("num_fewshot") == 3 and "fewshot_examples" not in json.dumps(shown)
        hub.add_model("gpt", causal)
        evaluation = hub.evaluate(model="gpt", dataset="qa", progress=False, max_new_tokens=2, chat_template=False)
        assert evaluation.provenance["model"]["generation"]["fewshot"] == 3
        for wrong, message in ((-1, "--num-fewshot must be an int in the range [0, inf)"),
                               (61, "--num-fewshot 61 is more than the 60 examples of the train split; give at most 60.")):
            with pytest.raises(InvalidInputError, match=f"^{re.escape(message)}"):
                hub.add_dataset("qa2", splits={"train": folder / "train.jsonl", "test": folder / "test.jsonl"},
                                task="generative-answers", id_column="id", num_fewshot=wrong)
        with pytest.raises(InvalidInputError, match="^--num-fewshot 1 draws its examples from a split named 'train', and this dataset has none"):
            hub.add_dataset("qa3", splits={"test": folder / "test.jsonl"}, task="generative-answers", id_column="id",
                            num_fewshot=1)
        assert [d.name for d in hub.datasets()] == ["qa"]


@pytest.mark.parametrize(("task", "folder", "options"), [
    ("generative-answers", "generative_answers_sample", {"id_column": "id"}),
    ("multiple-choice", "multiple_choice_sample", {}),
])
def test_a_benchmark_cannot_hide_the_split_the_few_shot_examples_come_from(tmp_path, task, folder, options):
    """Every prompt shows the few-shot examples with their answers, so hiding their split would hide nothing."""
    files = SAMPLES / folder
    with Hub.open(tmp_path / "hub") as hub:
        hub.create_user("root", admin=True)
        hub.add_dataset("shots", splits={"train": files / "train.jsonl", "test": files / "test.jsonl"}, task=task,
                        num_fewshot=2, **options)
        with pytest.raises(InvalidInputError, match=(
                r"^Phase 'leak' would hide the labels of shots/train, but the dataset's 2 few-shot examples are drawn "
                r"from that split and shown, answered, in every prompt; hide another split, or register the dataset "
                r"again without --num-fewshot\.$")):
            hub.create_benchmark("bench", dataset="shots", phases=[PhaseSpec("final", "test"), PhaseSpec("leak", "train")],
                                 user="root")
        with pytest.raises(NotFoundError):
            hub.benchmark("bench")
        hub.create_benchmark("bench", dataset="shots", phases=[PhaseSpec("final", "test")], user="root")
        assert [phase.split for phase in hub.benchmark("bench").phases] == ["test"]
