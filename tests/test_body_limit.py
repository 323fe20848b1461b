"""One request-body limit for every route: a big anonymous body is refused (413) before anything reaches the temp folder.

Only a signed-in request to the submission route of an existing benchmark may send up to the benchmark's
`max_bytes`; everyone else gets `REQUEST_LIMIT` (1 MiB), which form parsing keeps in memory. The bodies are
streamed 1 MiB at a time, and the temp folder is measured each time the server pulls a chunk.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from benchhub import Hub
from benchhub.config import HubConfig
from benchhub.server import create_app
from benchhub.server.body_limit import REQUEST_LIMIT
from benchhub.server.sessions import CSRF_COOKIE
from benchhub.store.tables import SubmissionRow
from tests.fixtures.benchmarks import BENCHMARK, count, make_benchmark
from tests.fixtures.browser import signed_in
from tests.test_uploads import MIB, Streamed, post_chunked

TEN_MB = 10 * MIB
GENERAL = (r"^The upload is {size} bytes; requests take bodies of up to 1,048,576 bytes, except predictions files "
           r"sent signed in to an existing benchmark's submission route \(up to its max_bytes\)\.$")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """The sentiment benchmark (10 MB limit); alice with a token (API) and a signed-in browser."""
    folder = tmp_path_factory.mktemp("body-limit")
    home = folder / "hub"
    hub = Hub(HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}"))
    setup = make_benchmark(hub, folder / "files")
    app = create_app(hub.config)
    with TestClient(app) as api:
        browser = signed_in(TestClient(app), hub.create_token("alice")[1])
        yield hub, api, {"Authorization": f"Bearer {hub.create_token('alice')[1]}"}, browser, setup
    hub.close()


@pytest.fixture(autouse=True)
def temp_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where form parsing spools uploads for this test."""
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def held(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


class Watched(Streamed):
    """A streamed multipart body that records, at each chunk the server pulls, how many bytes the temp folder holds."""

    def __init__(self, size: int, folder: Path) -> None:
        super().__init__(size)
        self.folder = folder
        self.most_held = 0

    def __iter__(self) -> Iterator[bytes]:
        for part in super().__iter__():
            self.most_held = max(self.most_held, held(self.folder))
            yield part


ANONYMOUS_ROUTES = {
    "signin": "/signin",
    "api-missing-benchmark": "/api/benchmarks/missing/submissions",
    "web-missing-benchmark": "/benchmarks/missing/submit",
    "api-benchmark-anonymous": f"/api/benchmarks/{BENCHMARK}/submissions",
    "web-benchmark-anonymous": f"/benchmarks/{BENCHMARK}/submit",
    "web-final": f"/benchmarks/{BENCHMARK}/final",
    "api-create-benchmark": "/api/benchmarks",
}


@pytest.mark.parametrize("declared", [True, False], ids=["with-content-length", "chunked"])
@pytest.mark.parametrize("path", ANONYMOUS_ROUTES.values(), ids=ANONYMOUS_ROUTES.keys())
def test_a_10_mb_anonymous_post_is_refused_and_nothing_is_spooled_to_disk(served, temp_folder, path, declared):
    hub, api, _, _, _ = served
    body = Watched(TEN_MB, temp_folder)
    headers = {"Content-Type": "multipart/form-data; boundary=bh-boundary"}
    if declared:
        response = api.post(path, headers={**headers, "Content-Length": str(body.length)}, content=iter(body))
        status, text = response.status_code, response.text
    else:
        status, text = post_chunked(api.app, path, headers, body)
    assert status == 413
    message = json.loads(text)["error"]["message"] if path.startswith("/api/") else html.unescape(text)
    size = f"{body.length:,}" if declared else "over 1,048,576"
    pattern = GENERAL.format(size=size)
    assert re.search(pattern if path.startswith("/api/") else pattern.strip("^$"), message), message[:2000]
    if path.startswith("/api/"):
        assert json.loads(text)["error"]["type"] == "RequestTooLargeError"
    else:
        assert "Too large" in text
    assert body.pulled <= (len(body.head) + MIB if declared else REQUEST_LIMIT + 2 * MIB)
    assert body.most_held <= REQUEST_LIMIT and held(temp_folder) == 0
    assert count(hub, SubmissionRow) == 0


def test_a_bad_token_gets_the_small_limit_on_a_submission_route(served, temp_folder):
    hub, api, _, _, _ = served
    body = Watched(2 * MIB, temp_folder)
    status, text = post_chunked(api.app, f"/api/benchmarks/{BENCHMARK}/submissions",
                                {"Content-Type": "multipart/form-data; boundary=bh-boundary", "Authorization": "Bearer bh_forged"},
                                body)
    assert status == 413
    assert re.search(GENERAL.format(size="over 1,048,576"), json.loads(text)["error"]["message"])
    assert body.most_held <= REQUEST_LIMIT and held(temp_folder) == 0


def test_a_json_body_over_the_limit_is_refused_with_one_line(served):
    _, api, headers, _, _ = served
    body = json.dumps({"name": "x", "dataset": "reviews", "phases": [], "description": "x" * REQUEST_LIMIT})
    response = api.post("/api/benchmarks", headers={**headers, "Content-Type": "application/json"}, content=body)
    assert response.status_code == 413
    assert response.json() == {"error": {"type": "RequestTooLargeError", "message": (
        f"The upload is {len(body):,} bytes; requests take bodies of up to 1,048,576 bytes, except predictions files "
        "sent signed in to an existing benchmark's submission route (up to its max_bytes).")}}


def padded_predictions(setup) -> bytes:
    """A valid predictions file of over 2 MiB: blank lines pad it past the small limit."""
    content = setup.predictions().read_bytes() + b"\n" * (2 * MIB)
    assert len(content) > 2 * REQUEST_LIMIT
    return content


def test_signed_in_submissions_within_the_benchmark_limit_still_work(served):
    hub, api, headers, browser, setup = served
    content = padded_predictions(setup)
    accepted = api.post(f"/api/benchmarks/{BENCHMARK}/submissions", headers=headers, data={"phase": "test"},
                        files={"file": ("predictions.jsonl", content, "application/jsonl")})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["status"] == "queued"
    page = browser.post(f"/benchmarks/{BENCHMARK}/submit", data={"csrf": browser.cookies[CSRF_COOKIE], "phase": "test"},
                        files={"file": ("predictions.jsonl", content, "application/jsonl")}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == f"/benchmarks/{BENCHMARK}", page.headers
    assert "received" in browser.get(page.headers["location"]).text  # the one-time message the redirect set
    assert count(hub, SubmissionRow) == 2


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_every_method_gets_the_same_limit(served, method):
    _, api, headers, _, _ = served
    body = b"{" + b" " * (2 * MIB) + b"}"
    response = api.request(method, f"/api/benchmarks/{BENCHMARK}/final-selection", headers={**headers, "Content-Type": "application/json"},
                           content=body)
    assert response.status_code == 413
    assert re.search(GENERAL.format(size=f"{len(body):,}"), response.json()["error"]["message"])
