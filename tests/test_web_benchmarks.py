"""Benchmark pages in the browser UI (TestClient): rules and phases, the submit form, my submissions, boards,
the maintainers' page and its audit log; nothing of the hidden labels on any page a participant sees."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from benchhub import Hub
from benchhub.config import HubConfig
from benchhub.server import create_app
from benchhub.server.sessions import CSRF_COOKIE
from tests.fixtures.benchmarks import BENCHMARK, make_benchmark


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")  # the test scores with hub.run_worker(once=True)
    home = tmp_path / "hub"
    hub = Hub(HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}"))
    made = make_benchmark(hub, tmp_path / "files")
    yield made
    hub.close()


def signed_in(setup, user: str) -> TestClient:
    client = TestClient(create_app(setup.hub.config))
    client.get("/signin")
    token = setup.hub.create_token(user)[1]
    response = client.post("/signin", data={"token": token, "csrf": client.cookies[CSRF_COOKIE]}, follow_redirects=False)
    assert response.status_code == 303
    return client


def submit(client: TestClient, path: Path, phase: str = "test"):
    with path.open("rb") as handle:
        return client.post(f"/benchmarks/{BENCHMARK}/submit", data={"csrf": client.cookies[CSRF_COOKIE], "phase": phase},
                           files={"file": (path.name, handle, "application/jsonl")}, follow_redirects=True)


def test_anonymous_visitors_see_the_rules_phases_and_public_board(setup):
    client = TestClient(create_app(setup.hub.config))
    page = client.get(f"/benchmarks/{BENCHMARK}")
    assert page.status_code == 200
    assert "Sentiment" in page.text and "5 submissions per day (midnight UTC)" in page.text
    assert "hidden (public/private halves)" in page.text and "open, no closing date" in page.text
    assert "Sign in</a> to submit" in page.text and "My submissions" not in page.text
    assert client.get("/benchmarks").status_code == 200 and "Sentiment" in client.get("/benchmarks").text


def test_a_participant_submits_through_the_form_and_sees_it_scored_on_the_board(setup):
    alice = signed_in(setup, "alice")
    public, _ = setup.halves()
    wrong = set(sorted(public)[:2])
    page = submit(alice, setup.predictions("alice.jsonl", wrong=wrong))
    assert page.status_code == 200 and re.search(r"Submission \d+ received; it is being scored\.", page.text)
    assert 'data-status="queued"' in page.text
    assert setup.hub.run_worker(once=True) == 1
    page = alice.get(f"/benchmarks/{BENCHMARK}")
    assert 'data-status="scored"' in page.text
    scored = setup.hub.submissions(BENCHMARK, user="alice")[0]
    value = f"{scored.public_metrics['macro_f1']['value']:.4f}"
    assert scored.private_metrics is None  # the private half stays unscored for participants until close
    board = page.text.split("test: public ranking")[1]
    assert re.search(rf'<td class="num" data-value="1">1</td><td>alice</td>\s*<td class="num" data-value="[^"]+">{value}</td>', board)
    assert "private ranking" not in page.text


def test_a_bad_file_is_refused_with_its_first_error_and_charges_nothing(setup):
    alice = signed_in(setup, "alice")
    bad = setup.folder / "bad.jsonl"
    bad.write_text('{"id": "test-0", "label": "positive"}\n{"id": "test-0", "label": "negative"}\n', encoding="utf-8")
    page = submit(alice, bad)
    assert "Not submitted:" in page.text and "test-0" in page.text
    assert "You have not submitted yet." in page.text


def test_forms_without_the_csrf_token_are_refused(setup):
    alice = signed_in(setup, "alice")
    with setup.predictions().open("rb") as handle:
        refused = alice.post(f"/benchmarks/{BENCHMARK}/submit", data={"csrf": "forged", "phase": "test"},
                             files={"file": ("p.jsonl", handle, "application/jsonl")})
    assert refused.status_code == 403 and "CSRF" in refused.text


def test_maintainers_close_a_phase_moderate_and_read_the_audit_log(setup):
    alice = signed_in(setup, "alice")
    submit(alice, setup.predictions("alice.jsonl"))
    setup.hub.run_worker(once=True)
    assert alice.get(f"/benchmarks/{BENCHMARK}/maintain").status_code == 403
    admin = signed_in(setup, "admin")
    page = admin.get(f"/benchmarks/{BENCHMARK}/maintain")
    assert page.status_code == 200 and "Audit log" in page.text and "<td>create_benchmark</td>" in page.text
    submission = re.search(r'name="submission" value="(\d+)"', page.text).group(1)
    moderated = admin.post(f"/benchmarks/{BENCHMARK}/maintain/moderate", follow_redirects=True, data={
        "csrf": admin.cookies[CSRF_COOKIE], "submission": submission, "action": "hide", "reason": "testing the form"})
    assert moderated.status_code == 200 and f"Submission {submission}: hide recorded in the audit log." in moderated.text
    assert "testing the form" in moderated.text  # the audit log shows the reason
    closed = admin.post(f"/benchmarks/{BENCHMARK}/maintain/close", follow_redirects=True,
                        data={"csrf": admin.cookies[CSRF_COOKIE], "phase": "test"})
    assert "Phase &#39;test&#39; closed; its private ranking is now shown." in closed.text
    assert "<td>close_phase</td>" in closed.text
    public_page = TestClient(create_app(setup.hub.config)).get(f"/benchmarks/{BENCHMARK}")
    assert "test: private ranking" in public_page.text
