"""A submission's method (name, description, URL): given when submitting (Hub, API, web form, CLI) or edited later
by its participant, checked before anything is stored, and shown on the board (linked and escaped on the web page)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, text
from typer.testing import CliRunner

from benchhub import Hub
from benchhub.cli.app import app
from benchhub.competitions.benchmarks import PhaseSpec
from benchhub.errors import InvalidInputError, NotFoundError
from benchhub.server import create_app
from benchhub.server.sessions import CSRF_COOKIE
from benchhub.store.database import create_hub_engine
from benchhub.store.tables import AuditLogRow, SubmissionRow, SubmissionScoreRow
from tests.browser_support import live_server
from tests.fixtures.benchmarks import BENCHMARK, make_benchmark, state, submission_rows
from tests.fixtures.browser import signed_in
from tests.test_store import alembic_config, query, read

URL = f"/api/benchmarks/{BENCHMARK}"
runner = CliRunner()
METHOD = {"method_name": "TF-IDF + logistic regression", "method_description": "Word bigrams,\nC=1.",
          "method_url": "https://example.org/tfidf"}
NO_METHOD = dict.fromkeys(METHOD)


@pytest.fixture
def served(open_hub, tmp_path, monkeypatch):
    """The sentiment benchmark (a public dev and a hidden test phase) on each database, with a client and tokens."""
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")  # scored with hub.run_worker(once=True)
    hub = open_hub()
    setup = make_benchmark(hub, tmp_path / "files")
    tokens = {name: {"Authorization": f"Bearer {hub.create_token(name)[1]}"} for name in ("admin", "alice", "bob")}
    with TestClient(create_app(hub.config)) as client:
        yield setup, client, tokens


def upload(client: TestClient, headers: dict[str, str], path: Path, **fields: str):
    with path.open("rb") as handle:
        return client.post(f"{URL}/submissions", headers=headers, data={"phase": "test", **fields},
                           files={"file": (path.name, handle, "application/jsonl")})


def stored_files(hub: Hub) -> list[Path]:
    return sorted(path for path in hub.artifacts.path("submissions").rglob("*") if path.is_file())


def method_of(document: dict) -> dict:
    return {field: document[field] for field in METHOD}


def test_upgrading_from_0009_keeps_the_submissions_made_before_without_a_method(database_url, open_hub, tmp_path):
    hub = open_hub()
    setup = make_benchmark(hub, tmp_path / "files")
    made = hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test")
    assert hub.run_worker(once=True) == 1
    engine = create_hub_engine(database_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
        columns = {column["name"] for column in inspect(connection).get_columns("submissions")}
    engine.dispose()
    assert query(database_url, "SELECT version_num FROM alembic_version") == [("0009",)]
    assert not columns & set(METHOD) and {"filename", "sha256"} <= columns
    # Going down kept the submission and what hangs off it (a copied table would have cascaded deletes).
    assert query(database_url, "SELECT s.id, u.name, s.status FROM submissions s JOIN users u ON u.id = s.user_id") == [
        (made.id, "alice", "scored")]
    assert query(database_url, "SELECT count(*) FROM submission_scores") == [(1,)]

    again = open_hub()  # opening the hub upgrades the database to the newest schema
    assert query(database_url, "SELECT version_num FROM alembic_version") == [("0013",)]
    assert query(database_url, "SELECT method_name, method_description, method_url FROM submissions") == [(None, None, None)]
    (kept,) = again.submissions(BENCHMARK, user="alice")
    assert (kept.id, kept.status, kept.sha256, kept.created_at) == (made.id, "scored", made.sha256, made.created_at)
    assert method_of(kept.to_dict()) == NO_METHOD
    (row,) = again.benchmark_board(BENCHMARK, phase="test").rows
    assert (row.user, row.submission_id, row.method_name, row.method_url) == ("alice", made.id, None, None)
    if database_url.startswith("sqlite"):
        ddl = read(tmp_path / "hub" / "hub.db", "SELECT sql FROM sqlite_master WHERE name = 'submissions'")[0][0]
        assert "AUTOINCREMENT" in ddl and "method_url VARCHAR(500)" in ddl


def test_a_method_given_over_http_is_on_the_submission_and_the_board(served):
    setup, client, tokens = served
    submitted = upload(client, tokens["alice"], setup.predictions(), **{**METHOD, "method_name": "  TF-IDF + logistic regression "})
    assert submitted.status_code == 201, submitted.text
    assert method_of(submitted.json()) == METHOD  # trimmed
    plain = upload(client, tokens["bob"], setup.predictions("bob.jsonl", wrong={"test-0", "test-1", "test-2"}),
                   method_name="", method_url="")
    assert plain.status_code == 201 and method_of(plain.json()) == NO_METHOD  # blank fields: no method
    assert setup.hub.run_worker(once=True) == 2

    board = client.get(f"{URL}/board?phase=test").json()  # anonymous
    assert [(row["user"], row["submission_id"], method_of(row)) for row in board["rows"]] == [
        ("alice", submitted.json()["id"], METHOD), ("bob", plain.json()["id"], NO_METHOD)]
    # A hidden phase's board still carries point values only: nothing here widens what it shows.
    assert {row["metrics"]["macro_f1"]["ci_low"] for row in board["rows"]} == {None}
    mine = client.get(f"{URL}/submissions/{submitted.json()['id']}", headers=tokens["alice"]).json()
    assert method_of(mine) == METHOD and mine["private_metrics"] is None
    assert [method_of(s) for s in client.get(f"{URL}/submissions", headers=tokens["alice"]).json()] == [METHOD]


BAD_METHODS = [
    ({"method_name": "m", "method_url": "javascript:alert(1)"},
     "The method URL 'javascript:alert(1)' is a javascript: URL; give an http:// or https:// address with a host, "
     "e.g. https://example.org/paper."),
    ({"method_name": "m", "method_url": "data:text/html,<script>alert(1)</script>"}, "is a data: URL; give an http://"),
    ({"method_name": "m", "method_url": "example.org/paper"}, "The method URL 'example.org/paper' has no scheme;"),
    ({"method_name": "m", "method_url": "https:///paper"}, "The method URL 'https:///paper' has no host;"),
    ({"method_name": "m", "method_url": "https://me:secret@example.org"}, "holds a user name or password;"),
    ({"method_name": "m", "method_url": "https://example.org/a b"}, "The method URL 'https://example.org/a b' holds ' ' at position 21;"),
    ({"method_name": "m", "method_url": "https://example.org/" + "a" * 481},
     "A method URL must be at most 500 characters; got 501. Link a shorter address."),
    ({"method_name": "x" * 121},
     "A method name must be 1-120 characters; got 121. Shorten it (a method description takes up to 2,000)."),
    ({"method_name": "red\x1b[31m"}, r"A method name holds '\x1b' at position 3; control or format characters are not allowed."),
    ({"method_name": "two\u2028lines"},
     r"A method name holds '\u2028' at position 3; use printable characters on one line (letters, digits, punctuation, spaces)."),
    ({"method_name": "m", "method_description": "d" * 2001},
     "A method description must be at most 2,000 characters; got 2,001. Shorten it, and link the rest with a method URL."),
    ({"method_name": "m", "method_description": "ok\x00"}, r"A method description holds '\x00' at position 2;"),
    ({"method_url": "https://example.org"}, "A method description or URL needs the method's name too; give a method name of 1-120"),
]
BAD_IDS = ["javascript-url", "data-url", "no-scheme", "no-host", "credentials", "space", "long-url", "long-name", "escape",
           "line-separator", "long-description", "nul", "url-without-name"]


@pytest.mark.parametrize(("fields", "message"), BAD_METHODS, ids=BAD_IDS)
def test_a_bad_method_is_one_clear_error_and_nothing_is_stored(served, fields, message):
    setup, client, tokens = served
    before = state(setup.hub)
    refused = upload(client, tokens["alice"], setup.predictions(), **fields)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["type"] == "InvalidInputError" and message in refused.json()["error"]["message"]
    assert "\n" not in refused.json()["error"]["message"]
    with pytest.raises(InvalidInputError) as raised:
        setup.hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test", **fields)
    assert message in str(raised.value)
    assert state(setup.hub) == before and submission_rows(setup.hub) == 0 and stored_files(setup.hub) == []


def test_the_participant_edits_the_method_later_and_others_cannot(served):
    setup, client, tokens = served
    submitted = upload(client, tokens["alice"], setup.predictions())
    assert submitted.status_code == 201 and method_of(submitted.json()) == NO_METHOD
    path = f"{URL}/submissions/{submitted.json()['id']}"

    edited = client.patch(path, json=METHOD, headers=tokens["alice"])
    assert edited.status_code == 200, edited.text
    assert method_of(edited.json()) == METHOD and edited.json()["id"] == submitted.json()["id"]
    before = state(setup.hub)
    refused = client.patch(path, json={"method_name": "bob's now"}, headers=tokens["bob"])
    assert refused.status_code == 404
    assert refused.json()["error"]["message"] == f"No submission {submitted.json()['id']} of yours."
    assert client.patch(path, json={"method_name": "anyone"}).status_code == 401
    bad = client.patch(path, json={"method_url": "javascript:alert(1)"}, headers=tokens["alice"])
    assert bad.status_code == 422 and "is a javascript: URL" in bad.json()["error"]["message"]
    nothing = client.patch(path, json={}, headers=tokens["alice"])
    assert nothing.status_code == 422 and nothing.json()["error"]["message"].startswith("Nothing to change")
    elsewhere = client.patch(f"/api/benchmarks/other/submissions/{submitted.json()['id']}", json={"method_name": "x"},
                             headers=tokens["alice"])
    assert elsewhere.status_code == 404
    assert client.patch(path, json={"method_name": "x", "score": 1}, headers=tokens["alice"]).status_code == 422
    assert state(setup.hub) == before
    assert method_of(client.get(path, headers=tokens["alice"]).json()) == METHOD

    # A field left out stays; null clears (here the URL), as "" does. The benchmark's admin may edit too.
    renamed = client.patch(path, json={"method_name": "TF-IDF v2", "method_url": None}, headers=tokens["admin"])
    assert renamed.status_code == 200
    assert method_of(renamed.json()) == {**METHOD, "method_name": "TF-IDF v2", "method_url": None}
    cleared = client.patch(path, json={"method_name": "", "method_description": ""}, headers=tokens["alice"])
    assert method_of(cleared.json()) == NO_METHOD
    audit = client.get(f"{URL}/audit", headers=tokens["admin"]).json()
    edits = [(entry["user"], entry["details"]) for entry in audit if entry["action"] == "edit_method"]
    assert edits == [
        ("alice", {"submission": submitted.json()["id"], "user": "alice", **METHOD}),
        ("admin", {"submission": submitted.json()["id"], "user": "alice", "method_name": "TF-IDF v2", "method_url": None}),
        ("alice", {"submission": submitted.json()["id"], "user": "alice", "method_name": None, "method_description": None}),
    ]
    with setup.hub.session() as session:  # participants' own edits are not on the public audit log
        assert session.scalar(select(func.count()).select_from(AuditLogRow).where(AuditLogRow.action == "edit_method")) == 3
    assert "edit_method" not in client.get(f"/benchmarks/{BENCHMARK}").text


def test_hub_edits_are_checked_like_submissions(served):
    setup, _, _ = served
    hub = setup.hub
    made = hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test", method_name="first")
    with pytest.raises(NotFoundError, match=rf"^No submission {made.id} of yours\.$"):
        hub.edit_submission(made.id, user="bob", method_name="mine")
    with pytest.raises(NotFoundError, match=rf"^Benchmark 'elsewhere' has no submission {made.id}\.$"):
        hub.edit_submission(made.id, user="alice", benchmark="elsewhere", method_name="mine")
    with pytest.raises(InvalidInputError, match="needs the method's name too"):
        hub.edit_submission(made.id, user="alice", method_name="", method_url="https://example.org")
    with pytest.raises(NotFoundError, match="No submission 999999"):
        hub.edit_submission(999_999, user="alice", method_name="x")
    assert hub.edit_submission(made.id, user="alice", method_url="http://example.org/x").method_url == "http://example.org/x"
    assert hub.submissions(BENCHMARK, user="alice")[0].method_name == "first"


def test_the_command_line_submits_with_a_method_edits_it_and_shows_it_on_the_board(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    with Hub.open() as hub:
        setup = make_benchmark(hub, tmp_path / "files")
        predictions = setup.predictions()
    result = runner.invoke(app, ["submit", BENCHMARK, str(predictions), "--phase", "test", "--user", "alice",
                                 "--method-name", "TF-IDF + LR", "--method-url", "https://example.org/tfidf", "--json"])
    assert result.exit_code == 0, result.output
    submitted = json.loads(result.stdout)
    assert (submitted["method_name"], submitted["method_url"], submitted["method_description"]) == (
        "TF-IDF + LR", "https://example.org/tfidf", None)
    bad = subprocess.run([sys.executable, "-m", "benchhub", "submit", BENCHMARK, str(predictions), "--phase", "test", "--user",
                          "bob", "--method-name", "m", "--method-url", "javascript:alert(1)"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert bad.stderr == ("error: The method URL 'javascript:alert(1)' is a javascript: URL; give an http:// or https:// "
                          "address with a host, e.g. https://example.org/paper.\n")
    assert runner.invoke(app, ["worker", "--once"]).exit_code == 0

    table = runner.invoke(app, ["benchmark", "board", BENCHMARK, "--phase", "test"])
    assert table.exit_code == 0 and "method (participant)" in table.stdout and "TF-IDF + LR (alice)" in table.stdout
    listed = runner.invoke(app, ["benchmark", "submissions", BENCHMARK, "--user", "alice"])
    assert listed.exit_code == 0 and "TF-IDF + LR" in listed.stdout

    edited = runner.invoke(app, ["benchmark", "edit-submission", BENCHMARK, str(submitted["id"]), "--user", "alice",
                                 "--method-name", "TF-IDF v2", "--method-url", ""])
    assert edited.exit_code == 0, edited.output
    assert edited.stdout == f"Submission {submitted['id']} to {BENCHMARK}/test: method 'TF-IDF v2'.\n"
    other = runner.invoke(app, ["benchmark", "edit-submission", BENCHMARK, str(submitted["id"]), "--user", "bob",
                                "--method-name", "mine"])
    assert other.exit_code == 1 and str(other.exception) == f"No submission {submitted['id']} of yours."
    empty = runner.invoke(app, ["benchmark", "edit-submission", BENCHMARK, str(submitted["id"]), "--user", "alice"])
    assert empty.exit_code == 1 and str(empty.exception).startswith("Nothing to change: give --method-name")
    board = json.loads(runner.invoke(app, ["benchmark", "board", BENCHMARK, "--phase", "test", "--json"]).stdout)
    assert [(row["user"], row["method_name"], row["method_url"]) for row in board["rows"]] == [("alice", "TF-IDF v2", None)]
    with Hub.open() as hub:
        assert submission_rows(hub) == 1 and len(stored_files(hub)) == 1


def test_the_command_line_sends_and_edits_a_method_on_a_server(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    with Hub.open() as hub:
        setup = make_benchmark(hub, tmp_path / "files")
        token = hub.create_token("alice")[1]
        config = hub.config
    with live_server(config) as url:
        result = runner.invoke(app, ["submit", BENCHMARK, str(setup.predictions()), "--phase", "test", "--server", url,
                                     "--token", token, "--method-name", "Rules", "--method-description", "Hand-written.",
                                     "--json"])
        assert result.exit_code == 0, result.output
        submitted = json.loads(result.stdout)
        assert (submitted["method_name"], submitted["method_description"]) == ("Rules", "Hand-written.")
        refused = runner.invoke(app, ["submit", BENCHMARK, str(setup.predictions()), "--phase", "test", "--server", url,
                                      "--token", token, "--method-name", "x" * 121])
        assert refused.exit_code == 1
        assert str(refused.exception) == ("The server refused the submission (422): A method name must be 1-120 characters; "
                                          "got 121. Shorten it (a method description takes up to 2,000).")
        edited = runner.invoke(app, ["benchmark", "edit-submission", BENCHMARK, str(submitted["id"]), "--server", url,
                                     "--token", token, "--method-url", "https://example.org/rules", "--json"])
        assert edited.exit_code == 0, edited.output
        assert method_of(json.loads(edited.stdout)) == {
            "method_name": "Rules", "method_description": "Hand-written.", "method_url": "https://example.org/rules"}
    with Hub.open() as hub:
        assert submission_rows(hub) == 1


def test_the_web_page_links_the_method_and_escapes_what_participants_wrote(served):
    setup, _, _ = served
    hub = setup.hub
    hub.submit(BENCHMARK, setup.predictions(), user="alice", phase="test", method_name="<script>alert(1)</script>",
               method_description='says "hi" <b>', method_url="https://example.org/m?a=1&b=2")
    hub.submit(BENCHMARK, setup.predictions("bob.jsonl", wrong={"test-0"}), user="bob", phase="test", method_name="Plain")
    hub.submit(BENCHMARK, setup.predictions("admin.jsonl", wrong={"test-0", "test-1", "test-2", "test-3"}), user="admin",
               phase="test")
    assert hub.run_worker(once=True) == 3
    page = TestClient(create_app(hub.config)).get(f"/benchmarks/{BENCHMARK}").text
    board = page.split("test: public ranking")[1]
    assert "<script>alert(1)</script>" not in page
    assert ('<td><span class="method" title="says &#34;hi&#34; &lt;b&gt;"><a href="https://example.org/m?a=1&amp;b=2" '
            'rel="nofollow noopener">&lt;script&gt;alert(1)&lt;/script&gt;</a></span> <small>(alice)</small></td>') in board
    assert '<td><span class="method">Plain</span> <small>(bob)</small></td>' in board
    assert "<td>admin</td>" in board  # no method: the participant's name alone

    # A stored address that is not http(s) (written around the checks) is shown, never linked.
    with hub.session() as session:
        row = session.scalar(select(SubmissionRow).where(SubmissionRow.method_name == "Plain"))
        row.method_url = "javascript:alert(1)"
        session.commit()
    page = TestClient(create_app(hub.config)).get(f"/benchmarks/{BENCHMARK}").text
    assert "javascript:" not in page and '<span class="method">Plain</span>' in page


def test_the_web_form_takes_the_method_and_refuses_a_bad_one_storing_nothing(served):
    setup, _, _ = served
    alice = signed_in(TestClient(create_app(setup.hub.config)), setup.hub.create_token("alice")[1])
    form = alice.get(f"/benchmarks/{BENCHMARK}").text
    assert 'name="method_name" maxlength="120"' in form and 'name="method_url" type="url"' in form

    def post(path: Path, **fields: str):
        with path.open("rb") as handle:
            return alice.post(f"/benchmarks/{BENCHMARK}/submit", data={"csrf": alice.cookies[CSRF_COOKIE], "phase": "test", **fields},
                              files={"file": (path.name, handle, "application/jsonl")}, follow_redirects=True)

    refused = post(setup.predictions(), method_name="m", method_url="javascript:alert(1)")
    assert "Not submitted: The method URL &#39;javascript:alert(1)&#39; is a javascript: URL" in refused.text
    assert submission_rows(setup.hub) == 0 and stored_files(setup.hub) == []
    accepted = post(setup.predictions(), method_name="Form method", method_description="", method_url="https://example.org/f")
    assert "received; it is being scored" in accepted.text
    (made,) = setup.hub.submissions(BENCHMARK, user="alice")
    assert (made.method_name, made.method_description, made.method_url) == ("Form method", None, "https://example.org/f")
    with setup.hub.session() as session:
        assert session.scalar(select(func.count()).select_from(SubmissionScoreRow)) == 0
        assert session.execute(text("SELECT method_name FROM submissions")).all() == [("Form method",)]


def test_a_lone_surrogate_in_any_free_text_is_one_clear_error_and_nothing_is_stored(served):
    """JSON's "\\ud800" decodes to a lone surrogate, which PostgreSQL refuses to store: every free-text field says so
    before anything is written (it used to be checked in method descriptions only)."""
    setup, client, tokens = served
    lone = '"ok \\ud800 no"'  # raw JSON text: the escape reaches the server undecoded
    submitted = upload(client, tokens["alice"], setup.predictions())
    assert submitted.status_code == 201, submitted.text
    before = state(setup.hub)
    sent = {
        "benchmark description": ("/api/benchmarks", "admin",
                                  '{"name": "b2", "dataset": "reviews", "phases": [{"name": "t", "split": "test"}], "description": %s}'),
        "benchmark title": ("/api/benchmarks", "admin",
                            '{"name": "b2", "dataset": "reviews", "phases": [{"name": "t", "split": "test"}], "title": %s}'),
        "moderation reason": (f"{URL}/submissions/{submitted.json()['id']}/moderation", "admin", '{"action": "hide", "reason": %s}'),
        "method description": (f"{URL}/submissions/{submitted.json()['id']}", "alice", '{"method_name": "m", "method_description": %s}'),
    }
    for field, (path, who, body) in sent.items():
        call = client.patch if path.endswith(str(submitted.json()["id"])) else client.post
        refused = call(path, content=(body % lone).encode(), headers={**tokens[who], "Content-Type": "application/json"})
        assert refused.status_code == 422, (field, refused.text)
        message = refused.json()["error"]["message"]
        assert "holds the lone surrogate '\\ud800' at position 3; send it as UTF-8 text." in message, (field, message)
        assert "\n" not in message
    # A length-limited field is refused by the request's schema already, also in one line.
    label = client.post("/api/tokens", content=('{"label": %s}' % lone).encode(),
                        headers={**tokens["alice"], "Content-Type": "application/json"})
    assert label.status_code == 422 and label.json()["error"]["message"] == (
        "label: Input should be a valid string, unable to parse raw data as a unicode string")
    assert state(setup.hub) == before
    with pytest.raises(InvalidInputError, match=r"A benchmark description holds the lone surrogate '\\ud800' at position 1;"):
        setup.hub.create_benchmark("b3", dataset="reviews", user="admin", phases=[PhaseSpec("t", "test")], description="a\ud800")
    with setup.hub.session() as session:
        assert session.scalar(select(func.count()).select_from(SubmissionRow)) == 1
