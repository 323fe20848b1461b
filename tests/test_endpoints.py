"""The OpenAI-compatible endpoint client: retries honouring Retry-After, the response cache (an interrupted run
resumes without paying twice), bounded concurrency, timeouts, the API key kept out of everything stored; and
a real server, `transformers serve`, answering both routes with the same greedy text as the model in-process.

The retry, cache and concurrency tests talk to a real HTTP server (the standard library's) whose answers each
test scripts: 429 and 503 with Retry-After, slow answers, errors.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from benchhub.errors import InvalidInputError
from benchhub.models.endpoints import (
    Endpoint,
    EndpointClient,
    EndpointError,
    completion_text,
    prompt_logprobs,
    request_key,
    retry_delay,
)
from tests.fixtures.tiny_lm import CHAT_TEMPLATE, build_tiny_causal_lm

OK = {"choices": [{"index": 0, "text": "four", "finish_reason": "stop"}]}


class Scripted:
    """A real HTTP server on 127.0.0.1 whose answers a test scripts: `answer(request_number, body, headers)`
    returns (status, headers, payload, delay seconds)."""

    def __init__(self, answer: Callable[[int, dict[str, Any], dict[str, str]], tuple[int, dict[str, str], Any, float]]):
        self.answer, self.requests, self.in_flight, self.most_in_flight = answer, [], 0, 0
        self.lock = threading.Lock()
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with scripted.lock:
                    scripted.requests.append((self.path, body, dict(self.headers)))
                    number = len(scripted.requests)
                    scripted.in_flight += 1
                    scripted.most_in_flight = max(scripted.most_in_flight, scripted.in_flight)
                try:
                    status, headers, payload, delay = scripted.answer(number, body, dict(self.headers))
                    time.sleep(delay)
                finally:
                    # Before the answer leaves: a client may send its next request the moment it reads this one,
                    # before this thread would otherwise get to count it done.
                    with scripted.lock:
                        scripted.in_flight -= 1
                try:
                    data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted() -> Iterator[Callable[..., Scripted]]:
    servers: list[Scripted] = []

    def start(answer: Callable[..., tuple[int, dict[str, str], Any, float]]) -> Scripted:
        servers.append(Scripted(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def client_for(server: Scripted, *, cache: Path | None = None, waits: list[float] | None = None, **options: Any) -> EndpointClient:
    endpoint = Endpoint(server.base_url, "tiny", **options)
    return EndpointClient(endpoint, cache_folder=cache, sleep=(waits.append if waits is not None else lambda _: None))


# Retries -------------------------------------------------------------------------------------------------------


def test_429_and_503_are_retried_after_the_servers_retry_after(scripted):
    later = formatdate(time.time() + 7, usegmt=True)
    script = {1: (429, {"Retry-After": "3"}, {"error": {"message": "slow down"}}, 0),
              2: (503, {"Retry-After": later}, "busy", 0)}
    server = scripted(lambda n, body, headers: script.get(n, (200, {}, OK, 0)))
    waits: list[float] = []
    with client_for(server, waits=waits) as client:
        answer = client.send({"prompt": "2+2=", "max_tokens": 4})
    assert completion_text(answer) == "four"
    assert len(server.requests) == 3
    assert waits[0] == 3.0
    assert 5.0 <= waits[1] <= 7.0  # an HTTP date: the seconds until then
    assert server.requests[0][0] == "/v1/completions"
    assert server.requests[0][1] == {"model": "tiny", "prompt": "2+2=", "max_tokens": 4}


def test_without_retry_after_the_backoff_grows_and_is_capped():
    delays = [retry_delay(attempt, None, cap=10.0) for attempt in range(1, 9)]
    assert 0.5 <= delays[0] <= 1.5 and 1.0 <= delays[1] <= 3.0 and 2.0 <= delays[2] <= 6.0
    assert max(delays) == 10.0
    assert retry_delay(1, "120", cap=60.0) == 60.0
    assert retry_delay(1, "garbage", cap=60.0) <= 1.5


def test_a_server_that_keeps_failing_ends_in_one_line_after_the_retries(scripted):
    server = scripted(lambda n, body, headers: (503, {"Retry-After": "0"}, {"error": {"message": "overloaded"}}, 0))
    with client_for(server, max_retries=2) as client, pytest.raises(EndpointError) as raised:
        client.send({"prompt": "x"})
    assert str(raised.value) == (
        f"The endpoint {server.base_url}/completions (model 'tiny') failed 3 times: HTTP 503: overloaded. Nothing is lost: "
        "answers so far are cached, so running the evaluation again resumes where it stopped.")
    assert len(server.requests) == 3


def test_a_refusal_is_not_retried_and_names_the_servers_message(scripted):
    server = scripted(lambda n, body, headers: (404, {}, {"error": {"message": "model 'tiny' not found"}}, 0))
    with client_for(server) as client, pytest.raises(EndpointError, match=r"refused a request: HTTP 404: model 'tiny' not found\."):
        client.send({"prompt": "x"})
    assert len(server.requests) == 1


def test_a_slow_answer_times_out_and_is_retried(scripted):
    server = scripted(lambda n, body, headers: (200, {}, OK, 1.0 if n == 1 else 0))
    waits: list[float] = []
    with client_for(server, timeout_seconds=0.3, waits=waits) as client:
        assert completion_text(client.send({"prompt": "x"})) == "four"
    assert len(server.requests) == 2 and len(waits) == 1


def test_an_answer_that_is_not_a_completion_is_one_line(scripted):
    server = scripted(lambda n, body, headers: (200, {}, {"hello": "world"}, 0))
    with client_for(server) as client, pytest.raises(EndpointError, match="not an OpenAI-style completion"):
        client.send({"prompt": "x"})


def test_an_unreachable_server_says_so(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = EndpointClient(Endpoint(f"http://127.0.0.1:{port}/v1", "tiny", max_retries=1), sleep=lambda _: None)
    with client, pytest.raises(EndpointError, match=r"failed 2 times: cannot connect \(ConnectError\)"):
        client.send({"prompt": "x"})


# The cache -------------------------------------------------------------------------------------------------------


def test_answers_are_cached_by_the_full_request(scripted, tmp_path):
    server = scripted(lambda n, body, headers: (200, {}, {"choices": [{"text": f"answer {n}"}]}, 0))
    with client_for(server, cache=tmp_path / "cache") as client:
        first = client.send({"prompt": "a", "max_tokens": 4})
        again = client.send({"prompt": "a", "max_tokens": 4})
        other = client.send({"prompt": "a", "max_tokens": 5})
    assert completion_text(first) == completion_text(again) == "answer 1"
    assert completion_text(other) == "answer 2"
    assert len(server.requests) == 2
    assert (client.cache.hits, client.sent) == (1, 2)


def test_an_interrupted_run_resumes_without_sending_answered_requests_again(scripted, tmp_path):
    healthy = threading.Event()

    def answer(n: int, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, str], Any, float]:
        if not healthy.is_set() and body["prompt"] == "p5":
            return 500, {}, "crashed", 0
        return 200, {}, {"choices": [{"text": body["prompt"].upper()}]}, 0

    server = scripted(answer)
    bodies = [{"prompt": f"p{i}"} for i in range(10)]
    with client_for(server, cache=tmp_path / "cache", max_retries=0, concurrency=1) as client, pytest.raises(EndpointError):
        client.send_all(bodies)
    assert len(server.requests) == 6  # p0..p4 answered, p5 failed
    healthy.set()
    with client_for(server, cache=tmp_path / "cache", concurrency=3) as client:
        answers = client.send_all(bodies)
    assert [completion_text(a) for a in answers] == [f"P{i}" for i in range(10)]
    assert sorted(body["prompt"] for _, body, _ in server.requests[6:]) == [f"p{i}" for i in range(5, 10)]
    assert client.cache.hits == 5


def test_concurrency_is_bounded(scripted):
    server = scripted(lambda n, body, headers: (200, {}, {"choices": [{"text": body["prompt"]}]}, 0.15))
    with client_for(server, concurrency=3) as client:
        answers = client.send_all([{"prompt": str(i)} for i in range(12)])
    assert [completion_text(a) for a in answers] == [str(i) for i in range(12)]
    assert server.most_in_flight == 3


# The API key --------------------------------------------------------------------------------------------------


def test_the_api_key_is_sent_but_never_stored(scripted, tmp_path, monkeypatch):
    secret = "sk-test-" + "x" * 24
    monkeypatch.setenv("BENCHHUB_TEST_KEY", secret)
    server = scripted(lambda n, body, headers: (200, {}, OK, 0))
    endpoint = Endpoint(server.base_url, "tiny", api_key_env="BENCHHUB_TEST_KEY")
    with EndpointClient(endpoint, cache_folder=tmp_path / "cache") as client:
        client.send({"prompt": "x"})
    assert server.requests[0][2]["Authorization"] == f"Bearer {secret}"
    assert endpoint.options()["api_key_env"] == "BENCHHUB_TEST_KEY"
    assert secret not in json.dumps(endpoint.options()) and secret not in repr(endpoint)
    stored = "".join(path.read_text() for path in (tmp_path / "cache").rglob("*.json"))
    assert stored and secret not in stored
    assert request_key(endpoint, {"prompt": "x"}) == request_key(Endpoint(server.base_url, "tiny"), {"prompt": "x"})


def test_a_missing_key_variable_and_bad_options_are_one_line(monkeypatch):
    monkeypatch.delenv("BENCHHUB_NO_SUCH_KEY", raising=False)
    with pytest.raises(InvalidInputError, match=r"^The environment variable BENCHHUB_NO_SUCH_KEY that holds .* export BENCHHUB_NO_SUCH_KEY=\.\.\. before evaluating\.$"):
        EndpointClient(Endpoint("http://127.0.0.1:1/v1", "m", api_key_env="BENCHHUB_NO_SUCH_KEY"))
    with pytest.raises(InvalidInputError, match="names an environment variable .* not a key"):
        Endpoint("http://127.0.0.1:1/v1", "m", api_key_env="sk-abc123")
    with pytest.raises(InvalidInputError, match="must not hold credentials"):
        Endpoint("http://user:sk-secret@127.0.0.1:1/v1", "m")
    with pytest.raises(InvalidInputError, match="is not an http"):
        Endpoint("file:///etc/passwd", "m")
    with pytest.raises(InvalidInputError, match="route 'embeddings' is not supported"):
        Endpoint("http://127.0.0.1:1/v1", "m", route="embeddings")


def test_prompt_logprobs_are_read_where_the_server_returns_them():
    echoed = {"choices": [{"text": "Q: a A: b", "logprobs": {"tokens": ["Q", ":", " a"], "token_logprobs": [None, -1.5, -0.25],
                                                             "text_offset": [0, 1, 2]}}]}
    assert prompt_logprobs(echoed) == ([None, -1.5, -0.25], [0, 1, 2])
    assert prompt_logprobs(OK) is None


# A real server: transformers serve -------------------------------------------------------------------------------


RESOURCES = Path(str(resources.files("benchhub") / "resources"))
SAMPLE_TEXTS = [text for split in ("train", "test")
                for line in (RESOURCES / "summarization_sample" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
                for text in (json.loads(line)["document"], json.loads(line)["summary"])]
CORPUS = ["the cat sat on the mat", "a dog ran in the park", "question what is two plus two answer four",
          "the sun is hot and the moon is cold", "birds can fly and fish can swim"] * 4


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """`transformers serve` on 127.0.0.1 with a tiny GPT-2 (with a chat template), offline."""
    folder = build_tiny_causal_lm(tmp_path_factory.mktemp("served") / "tiny-gpt2", CORPUS + SAMPLE_TEXTS, seed=3,
                                  chat_template=CHAT_TEMPLATE, positions=1024, init_std=0.2)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).parent / "transformers"), "serve", str(folder), "--host", "127.0.0.1",
               "--port", str(port), "--device", "cpu"]
    log = tmp_path_factory.mktemp("served-log") / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    import httpx

    deadline = time.monotonic() + 240
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, f"transformers serve exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"transformers serve did not start in 240 s: {log.read_text()[-2000:]}"
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1", folder
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_streamed_answer_gives_its_text_its_first_text_s_time_and_the_server_s_token_count(scripted):
    def events(*payloads: Any) -> str:
        return "".join(f"data: {json.dumps(p)}\n\n" for p in payloads) + "data: [DONE]\n\n"

    script = {
        1: (200, {"Content-Type": "text/event-stream"}, ": keep-alive\n\n" + events(
            {"choices": [{"index": 0, "text": ""}]}, {"choices": [{"index": 0, "text": "fo"}]},
            {"choices": [{"index": 0, "text": "ur"}]}, {"choices": [], "usage": {"completion_tokens": 3}}), 0.3),
        2: (200, {"Content-Type": "text/event-stream"}, events(
            {"choices": [{"index": 0, "delta": {"role": "assistant"}}]}, {"choices": [{"index": 0, "delta": {"content": "a"}}]},
            {"choices": [{"index": 0, "delta": {"content": "b"}}]}), 0),
        3: (200, {}, {**OK, "usage": {"completion_tokens": 1}}, 0),
        4: (400, {}, {"error": {"message": "stream is not supported"}}, 0),
        5: (200, {"Content-Type": "text/event-stream"}, "data: {not json\n\n", 0),
    }
    server = scripted(lambda n, body, headers: script[n])
    with client_for(server) as client:
        started = time.perf_counter()
        answer = client.stream({"prompt": "2+2=", "max_tokens": 4})
        assert (answer.text, answer.tokens) == ("four", 3) and answer.first_at - started >= 0.3
        assert client.stream({"prompt": "x"}).tokens == 2  # no usage: one token per event that carried text
        whole = client.stream({"prompt": "x"})  # a server that ignores `stream` answers whole: no first-token time
        assert (whole.text, whole.first_at, whole.tokens) == ("four", None, 1)
        with pytest.raises(EndpointError, match=r"refused a streamed request: HTTP 400: stream is not supported\. bench"):
            client.stream({"prompt": "x"})
        with pytest.raises(EndpointError, match=r"streamed an event that is not JSON \('\{not json'\)"):
            client.stream({"prompt": "x"})
    sent = [body for _, body, _ in server.requests]
    assert all(body["stream"] is True and body["stream_options"] == {"include_usage": True} for body in sent)
    assert client.cache.hits == 0


def test_bench_streams_a_served_model_past_the_cache_and_reports_tokens_per_second_and_time_to_first_token(
        served, tmp_path, monkeypatch):
    from benchhub import Hub
    from benchhub.engine.latency import BenchBudget

    base_url, folder = served
    monkeypatch.setenv("BENCHHUB_HOME", str(tmp_path / "hub"))
    summaries = RESOURCES / "summarization_sample"
    with Hub.open() as hub:
        hub.add_dataset("news", splits={"train": summaries / "train.jsonl", "test": summaries / "test.jsonl"},
                        task="summarization", id_column="id")
        hub.add_model("served", base_url, endpoint={"model": str(folder), "concurrency": 2})
        budget = BenchBudget(warmup_calls=0, warmup_seconds=0.0, min_timings=2, min_seconds=0.0, max_seconds=5.0)
        results = hub.bench(["served"], dataset="news", batch_sizes=[1, 2], seq_lens=[16], budget=budget, progress=False)
    assert [(r.batch_size, r.seq_len) for r in results] == [(1, 16), (2, 16)]
    for result in results:
        generation = result.details["generation"]
        assert result.details["measured_through"] == "endpoint" and result.details["seq_len_unit"] == "words"
        # The family's 128 new tokens, counted by the server (a tiny random GPT-2 seldom stops early).
        assert 0 < generation["tokens_per_call"] <= 128 * result.batch_size
        assert 0 < generation["ttft_p50_ms"] <= generation["ttft_p90_ms"] < result.latency_ms_p90
        assert generation["tokens_per_second"] > 0
    # Streamed text is the text the same request gets whole.
    with EndpointClient(Endpoint(base_url, str(folder))) as client:
        body = {"prompt": "the cat sat", "max_tokens": 6, "temperature": 0}
        assert client.stream(body).text == completion_text(client.send(body))


def in_process_greedy(folder: Path, prompt: str, max_new_tokens: int) -> str:
    import torch
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=False, use_safetensors=True).eval()
    encoded = tokenizer(prompt, return_tensors="pt")
    with torch.inference_mode():
        generated = model.generate(**encoded, max_new_tokens=max_new_tokens, do_sample=False,
                                   pad_token_id=tokenizer.pad_token_id)
    return tokenizer.decode(generated[0, encoded["input_ids"].shape[1]:], skip_special_tokens=True)


def test_transformers_serve_completions_match_the_model_run_in_process(served, tmp_path):
    base_url, folder = served
    prompts = ["the cat sat", "birds can", "question what is two plus two answer"]
    with EndpointClient(Endpoint(base_url, str(folder), concurrency=2), cache_folder=tmp_path / "cache") as client:
        answers = client.send_all([{"prompt": p, "max_tokens": 6, "temperature": 0} for p in prompts])
    served_texts = [completion_text(a) for a in answers]
    assert served_texts == [in_process_greedy(folder, p, 6) for p in prompts]
    assert all(text.strip() for text in served_texts)


def test_transformers_serve_chat_route_answers_and_returns_no_prompt_logprobs(served, tmp_path):
    base_url, folder = served
    with EndpointClient(Endpoint(base_url, str(folder), route="chat")) as client:
        answer = client.send({"messages": [{"role": "user", "content": "the cat"}], "max_tokens": 5, "temperature": 0})
    assert answer["object"] == "chat.completion"
    assert isinstance(completion_text(answer), str)
    with EndpointClient(Endpoint(base_url, str(folder))) as client:
        echoed = client.send({"prompt": "the cat sat", "max_tokens": 1, "temperature": 0, "echo": True, "logprobs": 1})
    assert prompt_logprobs(echoed) is None  # transformers serve ignores echo and logprobs


def test_transformers_serve_answers_multiple_choice_by_letter_on_both_routes(served, tmp_path):
    from benchhub import Hub
    from benchhub.tasks.multiple_choice.letters import letters_prompt, parse_letter

    base_url, folder = served
    sample = RESOURCES / "multiple_choice_sample"
    lines = (sample / "test.jsonl").read_text(encoding="utf-8").splitlines()[:8]  # a few: the server generates on CPU
    (tmp_path / "test.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    questions = [json.loads(line) for line in lines]
    with Hub.open(tmp_path / "hub") as hub:
        hub.add_dataset("mc", splits={"train": sample / "train.jsonl", "test": tmp_path / "test.jsonl"},
                        task="multiple-choice", id_column="id")
        hub.add_model("served", base_url, endpoint={"model": str(folder), "concurrency": 4})
        hub.add_model("chat", base_url, endpoint={"model": str(folder), "route": "chat", "concurrency": 4})
        results = {name: hub.evaluate(model=name, dataset="mc", progress=False, choice_by="letters") for name in ("served", "chat")}
        rows = {name: hub.predictions(model=name, dataset="mc") for name in ("served", "chat")}
    for name, result in results.items():
        picked = [parse_letter(row["generated"], len(q["choices"])) for row, q in zip(rows[name], questions, strict=True)]
        assert [row["predicted"] for row in rows[name]] == picked
        unparsed = sum(choice is None for choice in picked)
        assert result.provenance["model"]["unparsed"] == unparsed == result.details.get("unparsed", 0)
        assert result.metrics["acc"]["value"] == sum(p == q["answer"] for p, q in zip(picked, questions)) / len(questions)
        assert unparsed == len(questions) and set(result.metrics) == {"acc"}  # the tiny random model writes no letter
    first = letters_prompt(questions[0]["question"], questions[0]["choices"])
    assert rows["served"][0]["generated"] == in_process_greedy(folder, first, 8)


# Registration --------------------------------------------------------------------------------------------------


def test_an_endpoint_registers_by_its_url_with_the_keys_name_only(tmp_path, monkeypatch):
    from benchhub import Hub

    monkeypatch.setenv("BENCHHUB_TEST_KEY", "sk-never-stored")
    with Hub.open(tmp_path / "hub") as hub:
        record = hub.add_model("served", "http://127.0.0.1:8000/v1",
                               endpoint={"model": "tiny", "route": "chat", "api_key_env": "BENCHHUB_TEST_KEY"})
        again = hub.add_model("served", "http://127.0.0.1:8000/v1/", exist_ok=True,
                              endpoint={"model": "tiny", "route": "chat", "api_key_env": "BENCHHUB_TEST_KEY"})
        other = hub.add_model("other", "http://127.0.0.1:8000/v1", endpoint={"model": "tiny"})
        with pytest.raises(InvalidInputError, match=r"^An endpoint needs the server's name for the model"):
            hub.add_model("nameless", "http://127.0.0.1:8000/v1")
        with pytest.raises(InvalidInputError, match=r"^--endpoint-model and the other endpoint options belong to"):
            hub.add_model("mixed", str(tmp_path / "preds.jsonl"), kind="predictions", endpoint={"model": "tiny"})
        names = [m.name for m in hub.models()]
    assert record.kind == "openai" and record.source == "http://127.0.0.1:8000/v1"
    assert record.options == {"endpoint": {"base_url": "http://127.0.0.1:8000/v1", "model": "tiny", "route": "chat",
                                           "api_key_env": "BENCHHUB_TEST_KEY", "concurrency": 4, "timeout_seconds": 120.0}}
    assert again.fingerprint == record.fingerprint != other.fingerprint  # the route is part of what is asked
    assert sorted(names) == ["other", "served"]  # nothing half-registered by the refusals
    stored = b"".join(path.read_bytes() for path in (tmp_path / "hub").rglob("*") if path.is_file())
    assert b"sk-never-stored" not in stored


def test_an_endpoint_summarizes_as_the_same_model_run_in_process_and_a_rerun_sends_nothing(served, tmp_path):
    from benchhub import Hub

    base_url, folder = served
    sample = RESOURCES / "summarization_sample"
    with Hub.open(tmp_path / "hub") as hub:
        hub.add_dataset("news", splits={"train": sample / "train.jsonl", "test": sample / "test.jsonl"},
                        task="summarization", id_column="id")
        hub.add_model("local", folder)
        hub.add_model("served", base_url, endpoint={"model": str(folder), "concurrency": 3})
        settings = {"max_new_tokens": 6, "chat_template": False}  # the completions route sends plain prompts
        local = hub.evaluate(model="local", dataset="news", progress=False, **settings)
        remote = hub.evaluate(model="served", dataset="news", progress=False, **settings)
        local_rows, remote_rows = (hub.predictions(model=m, dataset="news") for m in ("local", "served"))
        answers = list((tmp_path / "hub").rglob("responses/*/*.json"))
        again = hub.evaluate(model="served", dataset="news", progress=False, use_cache=False, **settings)
        with pytest.raises(InvalidInputError, match="does not search beams"):
            hub.evaluate(model="served", dataset="news", progress=False, num_beams=2, **settings)
    assert [row["predicted"] for row in remote_rows] == [row["predicted"] for row in local_rows]
    assert sum(bool(row["predicted"]) for row in remote_rows) >= 8
    assert {k: v["value"] for k, v in remote.metrics.items()} == {k: v["value"] for k, v in local.metrics.items()}
    assert len(answers) == 16  # one cached answer per test document
    assert again.provenance["model"]["responses"] == {"sent": 0, "cached": 16}
    generation = remote.provenance["model"]["generation"]
    assert generation["prompt_template"] == "{input}\n\nSummary:" and generation["decoding"]["temperature"] == 0.0
    assert remote.provenance["model"]["endpoint"]["base_url"] == base_url


# Multiple choice through an endpoint ----------------------------------------------------------------------------


def logprob_server(folder: Path, *, bos: bool = False) -> Callable[[int, dict[str, Any], dict[str, str]],
                                                                   tuple[int, dict[str, str], Any, float]]:
    """Answers /v1/completions as vLLM does for `echo: true, logprobs: 1`: every prompt token's log-probability under
    the tiny GPT-2 at `folder` (None for the first), with its character offset, then one generated token. With `bos`
    its tokenizer puts the BOS token first, as Llama's does, and the offsets add up the token strings' lengths, as
    vLLM's do (not offsets into the prompt text)."""
    import torch
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=False, use_safetensors=True).eval()
    model = model.double()
    lock = threading.Lock()

    def answer(n: int, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, str], Any, float]:
        if not (body.get("echo") and body.get("logprobs")):
            return 200, {}, {"choices": [{"text": "x"}]}, 0
        encoded = tokenizer(body["prompt"], return_offsets_mapping=True, add_special_tokens=False)
        ids, offsets = encoded["input_ids"], [start for start, _ in encoded["offset_mapping"]]
        if bos:
            ids = [tokenizer.bos_token_id, *ids]
            lengths = [len(token) for token in tokenizer.convert_ids_to_tokens(ids)]
            offsets = [sum(lengths[:i]) for i in range(len(ids) + 1)][:-1] if ids else []
        values: list[float | None] = []
        if ids:  # the empty prompt echoes nothing but the generated token
            with lock, torch.inference_mode():
                logits = model(torch.tensor([ids])).logits[0]
            logprobs = torch.log_softmax(logits, dim=-1)
            values = [None] + [float(logprobs[i - 1, ids[i]]) for i in range(1, len(ids))]
        offsets = [*offsets, sum(lengths) if bos else len(body["prompt"])]
        return 200, {}, {"choices": [{"text": body["prompt"] + "x", "logprobs": {
            "tokens": [*tokenizer.convert_ids_to_tokens(ids), "x"], "token_logprobs": [*values, -1.0],
            "text_offset": offsets}}]}, 0

    return answer


def test_an_endpoint_scores_choices_by_its_echoed_logprobs_as_the_model_in_process(scripted, tmp_path):
    from benchhub import Hub

    sample = RESOURCES / "multiple_choice_sample"
    texts = [json.dumps(json.loads(line)) for split in ("train", "test")
             for line in (sample / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
    folder = build_tiny_causal_lm(tmp_path / "gpt", texts, seed=5, init_std=0.2)
    server = scripted(logprob_server(folder))
    with Hub.open(tmp_path / "hub") as hub:
        hub.add_dataset("mc", splits={"train": sample / "train.jsonl", "test": sample / "test.jsonl"},
                        task="multiple-choice", id_column="id")
        hub.add_model("local", folder)
        hub.add_model("served", server.base_url, endpoint={"model": "gpt", "concurrency": 4})
        local = hub.evaluate(model="local", dataset="mc", progress=False)
        remote = hub.evaluate(model="served", dataset="mc", progress=False)
        local_rows, remote_rows = (hub.predictions(model=m, dataset="mc") for m in ("local", "served"))
        hub.add_model("chat", server.base_url, endpoint={"model": "gpt", "route": "chat"})
        with pytest.raises(InvalidInputError, match="only the completions route returns"):
            hub.evaluate(model="chat", dataset="mc", progress=False)
    assert remote.metrics["acc"]["value"] == local.metrics["acc"]["value"]
    assert remote.metrics["acc_norm"]["value"] == local.metrics["acc_norm"]["value"]
    for here, there in zip(local_rows, remote_rows, strict=True):
        assert here["predicted"] == there["predicted"]
        assert there["loglikelihoods"] == pytest.approx(here["loglikelihoods"], abs=1e-4)
    questions = len(remote_rows)
    # One request per choice and one per question (its context alone, counting its tokens).
    assert len(server.requests) == sum(len(row["loglikelihoods"]) for row in remote_rows) + questions


def test_a_server_that_puts_a_bos_first_with_vllms_offsets_scores_choices_as_the_model_after_that_bos(scripted, tmp_path):
    """Offsets as vLLM counts them (the token strings' lengths, "<s>" included) are not offsets into the prompt; the
    choices are cut by token counts, so the server's numbers are the local model's on a template that starts with the
    BOS token's text (which the tokenizer reads as that token)."""
    from benchhub import Hub

    sample = RESOURCES / "multiple_choice_sample"
    texts = [json.dumps(json.loads(line)) for line in (sample / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    folder = build_tiny_causal_lm(tmp_path / "gpt", texts, seed=5, init_std=0.2)
    server = scripted(logprob_server(folder, bos=True))
    splits = {"train": sample / "train.jsonl", "test": sample / "test.jsonl"}
    with Hub.open(tmp_path / "hub") as hub:
        hub.add_dataset("mc", splits=splits, task="multiple-choice", id_column="id")
        hub.add_dataset("mc-bos", splits=splits, task="multiple-choice", id_column="id",
                        prompt_template="<s>Question: {question}\nAnswer:")
        hub.add_model("local", folder)
        hub.add_model("served", server.base_url, endpoint={"model": "gpt", "concurrency": 4})
        local = hub.evaluate(model="local", dataset="mc-bos", progress=False)
        remote = hub.evaluate(model="served", dataset="mc", progress=False)
        local_rows, remote_rows = hub.predictions(model="local", dataset="mc-bos"), hub.predictions(model="served", dataset="mc")
    assert remote.metrics["acc"]["value"] == local.metrics["acc"]["value"]
    for here, there in zip(local_rows, remote_rows, strict=True):
        assert there["loglikelihoods"] == pytest.approx(here["loglikelihoods"], abs=1e-4)


def test_a_server_without_prompt_logprobs_is_refused_for_multiple_choice_in_one_line(served, tmp_path):
    from benchhub import Hub

    base_url, folder = served
    sample = RESOURCES / "multiple_choice_sample"
    with Hub.open(tmp_path / "hub") as hub:
        hub.add_dataset("mc", splits={"train": sample / "train.jsonl", "test": sample / "test.jsonl"},
                        task="multiple-choice", id_column="id")
        hub.add_model("served", base_url, endpoint={"model": str(folder)})
        with pytest.raises(InvalidInputError) as raised:
            hub.evaluate(model="served", dataset="mc", progress=False)
        from sqlalchemy import func, select

        from benchhub.store.tables import EvaluationRow

        with hub.session() as session:
            assert session.scalar(select(func.count()).select_from(EvaluationRow)) == 0  # nothing stored
    assert str(raised.value).startswith(f"The endpoint {base_url}/completions returned no prompt log-probabilities")
    assert "\n" not in str(raised.value)


def test_transformers_serve_is_refused_for_language_modeling_in_one_line(served, tmp_path):
    from benchhub import Hub

    base_url, folder = served
    sample = RESOURCES / "language_modeling_sample"
    with Hub.open(tmp_path / "hub") as hub:
        hub.add_dataset("docs", splits={"train": sample / "train.jsonl", "test": sample / "test.jsonl"},
                        task="language-modeling", id_column="id")
        hub.add_model("served", base_url, endpoint={"model": str(folder)})
        with pytest.raises(InvalidInputError) as raised:
            hub.evaluate(model="served", dataset="docs", progress=False, document_prefix="<s>")
        from sqlalchemy import func, select

        from benchhub.store.tables import EvaluationRow

        with hub.session() as session:
            assert session.scalar(select(func.count()).select_from(EvaluationRow)) == 0  # nothing stored
    assert str(raised.value).startswith(f"The endpoint {base_url}/completions returned no prompt log-probabilities")
    assert "scoring documents needs" in str(raised.value) and "\n" not in str(raised.value)
