"""Bad uploads over HTTP, through the API and the web form: a 4xx with the first error, nothing charged, server up.

The 200 MB upload is streamed in 1 MiB chunks, so neither the test nor the server holds it: it is refused
from its Content-Length, or, sent without one, as soon as it grows past the benchmark's limit.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from benchhub import Hub
from benchhub.competitions.benchmarks import PhaseSpec
from benchhub.config import HubConfig
from benchhub.server import create_app
from benchhub.server.sessions import CSRF_COOKIE
from benchhub.store.tables import SubmissionRow
from tests.conftest import write_jsonl
from tests.fixtures.benchmarks import BENCHMARK, count, make_benchmark
from tests.fixtures.browser import signed_in
from tests.test_benchmarks import BAD_FILES, _bad_file, qa_rows

LIMIT = 10 * 1024 * 1024
MIB = 1 << 20
TOO_BIG = rf"The upload is {{size}} bytes; benchmark '{BENCHMARK}' takes predictions files of up to 10,485,760 bytes\."

# The service-level cases of tests/test_benchmarks.py, over HTTP. An 11 MB body is refused before it is read (413);
# one byte over the limit gets through the form allowance and is refused by the route (422).
JSONL_CASES = [(case, 422, message) for case, message in BAD_FILES if case != "11-mb"] + [
    ("11-mb", 413, "^" + TOO_BIG.format(size=r"11,534,\d{3}") + "$"),
    ("one-byte-over", 422, r"^p\.jsonl is 10,485,761 bytes; the limit is 10,485,760\.$"),
]
ANSWERS = {f"q{i}": "no idea" for i in range(30)}
QA_CASES = [
    ("empty", b"", r"^p\.json is empty; expected one prediction per example\.$"),
    ("whitespace", b" \n", r"^p\.json holds only whitespace"),
    ("invalid-json", json.dumps(ANSWERS)[:-1].encode(), r"^p\.json: not valid JSON \(Expecting ',' delimiter at line 1, column \d+\)\.$"),
    ("duplicate-id", (json.dumps(ANSWERS)[:-1] + ', "q3": "again"}').encode(), r"^p\.json: duplicate id 'q3'; give each question exactly once\.$"),
    ("unknown-id", json.dumps({**ANSWERS, "q99": "x"}).encode(), r"^p\.json: unknown id 'q99'; it is not a question of this split\.$"),
    ("nan", json.dumps(ANSWERS).replace('"q5": "no idea"', '"q5": NaN').encode(), r"^p\.json: NaN at \['q5'\] is not allowed"),
    ("100k-deep", ('{"q0": ' + "[" * 100_000 + "]" * 100_000 + "}").encode(),
     r"^p\.json: JSON nested deeper than 32 levels; a predictions file needs one level\.$"),
    ("not-an-object", b'["no idea"]', r'^p\.json: expected one JSON object \{"<question id>": "answer", \.\.\.\}\.$'),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """The sentiment benchmark (JSONL, 10 MB limit, one submission a day) and a QA one (JSON, 1 MB); alice signed
    in with a token (API) and in a browser session (web form)."""
    folder = tmp_path_factory.mktemp("uploads")
    home = folder / "hub"
    hub = Hub(HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}"))
    setup = make_benchmark(hub, folder / "files", settings={"max_per_day": 1})
    hub.add_dataset("codes", write_jsonl(folder / "codes.jsonl", qa_rows(30)), task="question-answering")
    hub.create_benchmark("codes", dataset="codes", phases=[PhaseSpec("test", "test")], user="admin",
                         settings={"max_bytes": 1_000_000, "max_per_day": 1})
    app = create_app(hub.config)
    with TestClient(app) as api:
        browser = signed_in(TestClient(app), hub.create_token("alice")[1])  # the same server, another client: its cookies are a browser's
        yield hub, api, {"Authorization": f"Bearer {hub.create_token('alice')[1]}"}, browser, setup
    hub.close()


@pytest.fixture(autouse=True)
def no_scoring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")


def jsonl_file(case: str, setup) -> tuple[str, bytes]:
    if case == "one-byte-over":
        return "p.jsonl", b" " * (LIMIT + 1)
    return _bad_file(case, setup.test_rows)


def assert_unharmed(hub: Hub, api: TestClient) -> None:
    """The server answers, nothing was stored and nothing charged."""
    health = api.get("/api/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert count(hub, SubmissionRow) == 0
    assert not [p for p in hub.artifacts.path("submissions").rglob("*") if p.is_file()]


@pytest.mark.parametrize(("case", "status", "message"), JSONL_CASES, ids=[case for case, _, _ in JSONL_CASES])
def test_a_bad_file_posted_to_the_api_is_refused_with_its_first_error(served, case, status, message):
    hub, api, headers, _, setup = served
    name, content = jsonl_file(case, setup)
    response = api.post(f"/api/benchmarks/{BENCHMARK}/submissions", headers={**headers, "Idempotency-Key": f"try-{case}"},
                        data={"phase": "test"}, files={"file": (name, content, "application/jsonl")})
    assert response.status_code == status
    assert response.json()["error"]["type"] == "PredictionsFormatError"
    assert re.search(message, response.json()["error"]["message"]), response.json()
    assert_unharmed(hub, api)


@pytest.mark.parametrize(("case", "content", "message"), QA_CASES, ids=[case for case, _, _ in QA_CASES])
def test_a_bad_question_answering_file_is_refused_with_its_first_error(served, case, content, message):
    hub, api, headers, _, _ = served
    response = api.post("/api/benchmarks/codes/submissions", headers=headers, data={"phase": "test"},
                        files={"file": ("p.json", content, "application/json")})
    assert response.status_code == 422
    assert re.search(message, response.json()["error"]["message"]), response.json()
    assert_unharmed(hub, api)


@pytest.mark.parametrize(("case", "status", "message"), JSONL_CASES, ids=[case for case, _, _ in JSONL_CASES])
def test_a_bad_file_sent_through_the_web_form_is_refused_with_its_first_error(served, case, status, message):
    hub, api, _, browser, setup = served
    name, content = jsonl_file(case, setup)
    page = browser.post(f"/benchmarks/{BENCHMARK}/submit", data={"csrf": browser.cookies[CSRF_COOKIE], "phase": "test"},
                        files={"file": (name, content, "application/jsonl")})
    assert page.status_code == (200 if status == 422 else status)  # the form's own errors come back on the benchmark page
    shown = html.unescape(page.text)
    if status == 422:
        assert "Not submitted: " in shown and "You have not submitted yet." in shown
    assert re.search(message.lstrip("^").rstrip("$"), shown), shown[:2000]
    assert_unharmed(hub, api)


class Streamed:
    """A multipart body with a `size`-byte file, produced 1 MiB at a time; counts what the server pulled of it."""

    def __init__(self, size: int, boundary: str = "bh-boundary") -> None:
        self.head = (f'--{boundary}\r\nContent-Disposition: form-data; name="phase"\r\n\r\ntest\r\n'
                     f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\n'
                     f"Content-Type: application/jsonl\r\n\r\n").encode()
        self.tail = f"\r\n--{boundary}--\r\n".encode()
        self.size = size
        self.length = len(self.head) + size + len(self.tail)
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        chunk = b" " * MIB
        for part in [self.head] + [chunk] * (self.size // MIB) + [self.tail]:
            self.pulled += len(part)
            yield part


def post_chunked(app, path: str, headers: dict[str, str], body: Streamed) -> tuple[int, str]:
    """Posts `body` straight to the ASGI app, 1 MiB a message and without Content-Length, as a chunked upload arrives."""
    parts = iter(body)
    answer: dict[str, object] = {"body": b""}

    async def receive() -> dict:
        part = next(parts, None)
        return {"type": "http.request", "body": part or b"", "more_body": part is not None}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
             "server": ("testserver", 80), "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(app(scope, receive, send))
    return answer["status"], answer["body"].decode()


@pytest.mark.parametrize("declared", [True, False], ids=["with-content-length", "chunked"])
@pytest.mark.parametrize("route", ["api", "web"])
def test_a_200_mb_upload_is_refused_before_it_is_read_and_the_server_stays_up(served, route, declared):
    hub, api, headers, browser, _ = served
    body = Streamed(200 * MIB)
    sent = {"Content-Type": "multipart/form-data; boundary=bh-boundary"}
    if route == "api":
        path = f"/api/benchmarks/{BENCHMARK}/submissions"
        sent.update(headers)
    else:
        path = f"/benchmarks/{BENCHMARK}/submit"
        sent["Cookie"] = "; ".join(f"{key}={value}" for key, value in browser.cookies.items())
    if declared:
        response = api.post(path, headers={**sent, "Content-Length": str(body.length)}, content=iter(body))
        status, text = response.status_code, response.text
    else:
        status, text = post_chunked(api.app, path, sent, body)
    message = json.loads(text)["error"]["message"] if route == "api" else html.unescape(text)
    size = f"{body.length:,}" if declared else "over 10,551,296"  # the limit plus the allowance for the form's other fields
    assert status == 413
    assert re.search(TOO_BIG.format(size=size), message), message[:2000]
    # Refused from its Content-Length before the file was read; without one, cut off just past the limit.
    assert body.pulled <= (len(body.head) + MIB if declared else LIMIT + 64 * 1024 + 2 * MIB)
    assert_unharmed(hub, api)


def test_after_all_those_refusals_the_one_submission_a_day_is_still_free(served):
    hub, api, headers, _, setup = served
    with setup.predictions().open("rb") as handle:
        accepted = api.post(f"/api/benchmarks/{BENCHMARK}/submissions", headers=headers, data={"phase": "test"},
                            files={"file": ("predictions.jsonl", handle, "application/jsonl")})
    assert accepted.status_code == 201 and accepted.json()["status"] == "queued"
    assert count(hub, SubmissionRow) == 1
