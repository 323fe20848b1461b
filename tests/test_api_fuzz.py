"""Property-based tests of the whole JSON API with Schemathesis, over the app's own OpenAPI document.

Every operation gets generated requests (valid and invalid), each sent anonymously, as a participant and as an admin,
on a hub with data, on SQLite and on PostgreSQL: a dataset with a public dev and a hidden test split, a model evaluated on both, a hosted
benchmark with a hidden phase and a submission. Path parameters are often replaced by names and ids that
exist, so routes get past their 404s. Each response must not be a 5xx and must match the schema: a declared
status, content type, headers and body. Derandomized, with a bounded number of examples per operation.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from benchhub import Hub
from benchhub.config import HubConfig
from benchhub.server import create_app
from benchhub.server.app import openapi_document
from tests.conftest import write_jsonl
from tests.fixtures.benchmarks import BENCHMARK, make_benchmark

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
IDENTITIES = ("anonymous", "alice", "admin")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database for the whole run, on each engine: PostgreSQL's INTEGER ids are 32-bit, SQLite's 64-bit."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz-sqlite') / 'hub.db'}"
        return
    admin = request.getfixturevalue("postgres_admin")
    name = f"benchhub_fuzz_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"),
                           {"name": name})
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


@pytest.fixture(scope="module")
def hub_with_data(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, dict[str, dict[str, str]], dict[str, list]]]:
    folder = tmp_path_factory.mktemp("fuzz")
    hub = Hub(HubConfig(home=folder / "hub", database_url=database_url))
    setup = make_benchmark(hub, folder / "files")
    hub.add_model("echo", write_jsonl(folder / "echo.jsonl", [{"id": r["id"], "label": r["label"]} for r in setup.dev_rows]))
    dev = hub.evaluate(model="echo", dataset="reviews", split="dev", progress=False)
    hub.add_model("oracle", setup.predictions("oracle.jsonl"))
    test = hub.evaluate(model="oracle", dataset="reviews", split="test", progress=False)
    submission = hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")
    tokens = {name: {"Authorization": f"Bearer {hub.create_token(name)[1]}"} for name in ("admin", "alice")}
    prefix = hub.create_token("bob")[0].prefix
    known = {
        "benchmarks.name": [BENCHMARK], "datasets.name": ["reviews"], "models.name": ["echo", "oracle"],
        "dataset": ["reviews"], "phase": ["test", "dev"],
        "task": ["text-classification"], "evaluation_id": [dev.id, test.id], "submission_id": [submission.id],
        "prefix": [prefix],
    }
    yield hub, tokens, known
    hub.close()


class Served:
    """The ASGI app the generated requests go to: the schema is read at import, the hub is made by a fixture."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


SERVED = Served()
# schemathesis.pytest.from_fixture would read the schema from a fixture, but its lazy loader does not run on
# pytest 9.2 (it sets `node._nodeid`); the document does not depend on the hub anyway.
schema = schemathesis.openapi.from_dict(openapi_document())
schema.app = SERVED


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    # Half the time, the names and ids of things that exist (picked by the generated value, so deterministic).
    collection = context.operation.path.split("/")[2]  # /api/<collection>/...
    existing = {}
    for key, value in (path_parameters or {}).items():
        choices = KNOWN.get(f"{collection}.{key}", KNOWN.get(key))
        if choices:
            existing[key] = choices[zlib.crc32(repr(value).encode()) % len(choices)]
    return st.sampled_from([path_parameters, {**(path_parameters or {}), **existing}])


KNOWN: dict[str, list[Any]] = {}


@pytest.fixture(scope="module")
def served(hub_with_data) -> Iterator[dict[str, dict[str, str]]]:
    hub, tokens, known = hub_with_data
    KNOWN.update(known)
    SERVED.app = create_app(hub.config)
    with TestClient(SERVED.app):  # runs the app's lifespan around the whole run
        yield tokens
    SERVED.app = None
    KNOWN.clear()


def test_the_schema_under_test_is_the_one_the_server_serves(served):
    with TestClient(SERVED.app) as client:
        assert client.get("/openapi.json").json() == openapi_document()


def test_the_schema_declares_errors_bounds_patterns_and_enums():
    document = openapi_document()
    paths, schemas = document["paths"], document["components"]["schemas"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, (
                        method, path, status)
    assert "HTTPValidationError" not in schemas  # FastAPI's {"detail": [...]}, which this API never answers
    assert set(paths["/api/benchmarks/{name}/submissions"]["post"]["responses"]) == {
        "201", "400", "401", "403", "404", "409", "413", "422", "429"}
    assert set(paths["/api/users"]["post"]["responses"]) == {"201", "400", "401", "403", "409", "413", "422"}
    assert "WWW-Authenticate" in paths["/api/users/me"]["get"]["responses"]["401"]["headers"]
    evaluation_id = paths["/api/evaluations/{evaluation_id}"]["get"]["parameters"][0]["schema"]
    assert (evaluation_id["minimum"], evaluation_id["maximum"]) == (1, 2**31 - 1)
    offset = next(p for p in paths["/api/evaluations"]["get"]["parameters"] if p["name"] == "offset")["schema"]
    assert (offset["minimum"], offset["maximum"]) == (0, 10**9)
    assert schemas["NewUser"]["properties"]["name"]["pattern"] == "^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,99})$"
    assert schemas["NewBenchmark"]["properties"]["name"]["pattern"] == "^(?:[A-Za-z0-9][A-Za-z0-9_.@-]{0,199})$"
    assert schemas["NewBenchmark"]["properties"]["settings"]["properties"]["max_bytes"] == {
        "type": "integer", "minimum": 1, "maximum": 2**30}
    assert schemas["Moderation"]["properties"]["action"]["enum"] == ["hide", "unhide", "disqualify", "reinstate"]
    assert schemas["NewMember"]["properties"]["role"]["enum"] == ["maintainer", "participant"]
    kind = next(p for p in paths["/api/benchmarks/{name}/board"]["get"]["parameters"] if p["name"] == "kind")["schema"]
    assert kind["enum"] == ["public", "private"]


@pytest.fixture(autouse=True)
def no_scoring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")


@schema.parametrize()
@settings(max_examples=20, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx_or_off_schema(case, served):
    tokens = served
    for who in IDENTITIES:  # the same request from each
        case.call_and_validate(headers=tokens.get(who, {}), checks=CHECKS)
