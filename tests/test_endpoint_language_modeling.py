"""Language modeling through an OpenAI-compatible server: each document sent whole, scored by the echoed prompt
log-probabilities, equals the same tiny GPT-2 scored in-process over lm-evaluation-harness's rolling windows
(every sample document fits one window), whether the server's tokenizer puts the BOS token first or the
document prefix gives it; the refusals in one line; a rerun answered from the cache.

The server is `tests/test_endpoints.py`'s scripted real HTTP server answering as vLLM does (`logprob_server`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchhub import Hub
from benchhub.data.records import DatasetFacts
from benchhub.errors import InvalidInputError
from benchhub.models.endpoints import EndpointError
from benchhub.tasks.registry import TASKS
from tests.fixtures.tiny_lm import build_tiny_causal_lm
from tests.test_endpoints import RESOURCES, logprob_server, scripted  # noqa: F401 - scripted is a fixture

SAMPLE = RESOURCES / "language_modeling_sample"


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory) -> Path:
    texts = [json.loads(line)["text"] for split in ("train", "test")
             for line in (SAMPLE / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
    return build_tiny_causal_lm(tmp_path_factory.mktemp("lm") / "gpt", texts, seed=2, init_std=0.2)


def add_lm(hub: Hub) -> None:
    hub.add_dataset("docs", splits={"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"},
                    task="language-modeling", id_column="id")


def test_documents_score_through_the_endpoint_as_the_model_in_process_and_a_rerun_sends_nothing(
        scripted, tiny_gpt2, tmp_path):  # noqa: F811
    plain, with_bos = scripted(logprob_server(tiny_gpt2)), scripted(logprob_server(tiny_gpt2, bos=True))
    with Hub.open(tmp_path / "hub") as hub:
        add_lm(hub)
        hub.add_model("local", tiny_gpt2)
        hub.add_model("plain", plain.base_url, endpoint={"model": "gpt", "concurrency": 4})
        hub.add_model("bos", with_bos.base_url, endpoint={"model": "gpt", "concurrency": 4})
        local = hub.evaluate(model="local", dataset="docs", progress=False)
        prefixed = hub.evaluate(model="plain", dataset="docs", progress=False, document_prefix="<s>")
        bos = hub.evaluate(model="bos", dataset="docs", progress=False)
        rows = {name: hub.predictions(model=name, dataset="docs") for name in ("local", "plain", "bos")}
        sent = len(plain.requests)
        again = hub.evaluate(model="plain", dataset="docs", progress=False, document_prefix="<s>", use_cache=False)
        with pytest.raises(InvalidInputError) as unprefixed:
            hub.evaluate(model="plain", dataset="docs", progress=False)
    documents = len(rows["local"])
    assert documents == 19 and local.provenance["model"]["max_length"] == 256  # every document fits one window
    assert prefixed.provenance["model"]["prefix_tokens"] == 1 and bos.provenance["model"]["prefix_tokens"] == 1
    for name in ("plain", "bos"):
        assert [r["loglikelihood"] for r in rows[name]] == pytest.approx([r["loglikelihood"] for r in rows["local"]],
                                                                         abs=1e-4)
    for result in (prefixed, bos):
        for metric, entry in local.metrics.items():
            assert result.metrics[metric]["value"] == pytest.approx(entry["value"], rel=1e-4)
    assert all(r["loglikelihood"] < -1.0 for r in rows["plain"])
    # The prefix's echo and the documents'; the rerun sent nothing, the unprefixed run its own prefix echo and the documents.
    assert sent == documents + 1 and len(plain.requests) == sent + documents + 1
    assert again.provenance["model"]["responses"] == {"sent": 0, "cached": documents + 1}
    assert prefixed.provenance["model"]["document_prefix"] == "<s>" and bos.provenance["model"]["document_prefix"] is None
    assert prefixed.provenance["task_config"] == {"max_length": None, "document_prefix": "<s>"}
    body = plain.requests[1][1]
    assert body["echo"] is True and body["logprobs"] == 1 and body["max_tokens"] == 1 and body["prompt"].startswith("<s>")
    message = str(unprefixed.value)
    assert message.startswith("Document ") and "gave its first token no log-probability" in message
    assert "--document-prefix" in message and "\n" not in message


def test_refusals_are_one_line(scripted, tmp_path):  # noqa: F811
    def echoing(n: int, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, str], Any, float]:
        """Echoes a short prompt (the prefix alone) as two tokens; refuses a document as too long."""
        if len(body["prompt"]) > 10:
            return 400, {}, {"error": {"message": "This model's maximum context length is 32 tokens."}}, 0
        return 200, {}, {"choices": [{"text": body["prompt"] + "x", "logprobs": {
            "tokens": ["<s>", "x"], "token_logprobs": [None, -1.0], "text_offset": [0, len(body["prompt"])]}}]}, 0

    def silent(n: int, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, str], Any, float]:
        return 200, {}, {"choices": [{"text": "x"}]}, 0  # no log-probabilities, as transformers serve answers

    def no_empty_prompt(n: int, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, str], Any, float]:
        return (400, {}, {"error": {"message": "The prompt cannot be empty."}}, 0) if not body["prompt"] else echoing(n, body, headers)

    short, plain, strict = scripted(echoing), scripted(silent), scripted(no_empty_prompt)
    with Hub.open(tmp_path / "hub") as hub:
        add_lm(hub)
        for name, server in (("short", short), ("plain", plain), ("strict", strict)):
            hub.add_model(name, server.base_url, endpoint={"model": "gpt", "max_retries": 0})
        hub.add_model("chat", short.base_url, endpoint={"model": "gpt", "route": "chat"})
        with pytest.raises(InvalidInputError) as no_logprobs:
            hub.evaluate(model="plain", dataset="docs", progress=False, document_prefix="<s>")
        with pytest.raises(EndpointError) as too_long:
            hub.evaluate(model="short", dataset="docs", progress=False, document_prefix="<s>")
        with pytest.raises(InvalidInputError) as empty:
            hub.evaluate(model="strict", dataset="docs", progress=False)
        with pytest.raises(InvalidInputError, match=r"^Scoring documents needs prompt log-probabilities, which only the "
                                                    r"completions route returns; .*--route completions\.$"):
            hub.evaluate(model="chat", dataset="docs", progress=False)
        with pytest.raises(InvalidInputError, match=r"^--max-length does not apply to a model behind an endpoint"):
            hub.evaluate(model="short", dataset="docs", progress=False, max_length=64)
        with pytest.raises(InvalidInputError, match=r"^--document-prefix must be a non-empty text"):
            hub.evaluate(model="short", dataset="docs", progress=False, document_prefix="")
    assert str(no_logprobs.value).startswith(f"The endpoint {plain.base_url}/completions returned no prompt log-probabilities")
    assert str(too_long.value).endswith("refused; score long documents with a local model, or register them split into "
                                        "shorter documents)")
    assert "maximum context length is 32 tokens" in str(too_long.value)
    assert "The prompt cannot be empty" in str(empty.value) and str(empty.value).endswith(
        "give --document-prefix, the model's BOS or EOS token as text, to count those instead)")
    for error in (no_logprobs, too_long, empty):
        assert "\n" not in str(error.value)
    with pytest.raises(InvalidInputError, match=r"^gpt: --document-prefix is for models behind OpenAI-compatible servers"):
        TASKS["language-modeling"].load_network(tmp_path / "gpt", DatasetFacts(), label_map=None,
                                                settings={"max_length": None, "document_prefix": "<s>"}, runtime="torch")
