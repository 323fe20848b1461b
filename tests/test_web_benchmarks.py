"""Benchmark pages in the browser UI (TestClient): rules and phases, the submit form, my submissions, boards,
the maintainers' page and its audit log; nothing of the hidden labels on any page a participant sees."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from benchhub import Hub
from benchhub.config import HubConfig
from benchhub.server import create_app
from benchhub.server.sessions import CSRF_COOKIE, SESSION_COOKIE
from tests.fixtures.benchmarks import BENCHMARK, make_benchmark, state
from tests.fixtures.browser import signed_in as browser_signed_in


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")  # the test scores with hub.run_worker(once=True)
    home = tmp_path / "hub"
    hub = Hub(HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}"))
    made = make_benchmark(hub, tmp_path / "files")
    yield made
    hub.close()


def signed_in(setup, user: str) -> TestClient:
    return browser_signed_in(TestClient(create_app(setup.hub.config)), setup.hub.create_token(user)[1])


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
    assert "private ranking" not in page.text  # not before the phase closes
    assert client.get(f"/benchmarks/{BENCHMARK}/maintain").status_code == 401
    with setup.predictions().open("rb") as handle:
        refused = client.post(f"/benchmarks/{BENCHMARK}/submit", data={"phase": "test"}, files={"file": ("p.jsonl", handle)})
    assert refused.status_code == 401 and "Sign in first" in refused.text
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


def csrf_forms(setup, submission: int) -> list[tuple[str, dict, dict | None]]:
    """Every form post of the browser UI with genuine field values: (path, fields, files)."""
    return [
        ("/signin", {"token": setup.hub.create_token("admin")[1], "next": "/"}, None),
        ("/signout", {}, None),
        (f"/benchmarks/{BENCHMARK}/submit", {"phase": "test"}, {"file": ("p.jsonl", setup.predictions().read_bytes(), "application/jsonl")}),
        (f"/benchmarks/{BENCHMARK}/final", {"phase": "test", "chosen": str(submission)}, None),
        (f"/benchmarks/{BENCHMARK}/maintain/close", {"phase": "test"}, None),
        (f"/benchmarks/{BENCHMARK}/maintain/rescore", {"phase": "test"}, None),
        (f"/benchmarks/{BENCHMARK}/maintain/moderate", {"submission": str(submission), "action": "hide", "reason": "spam"}, None),
    ]


FORGERIES = ["forged", "missing", "no-cookie"]


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.parametrize("form", range(7), ids=["signin", "signout", "submit", "final", "close", "rescore", "moderate"])
def test_every_form_post_without_the_csrf_token_is_refused_and_changes_nothing(setup, form, forgery):
    admin = signed_in(setup, "admin")  # an admin maintains every benchmark: every form is allowed to them
    submission = setup.hub.submit(BENCHMARK, setup.predictions(), user="admin", phase="test")
    setup.hub.run_worker(once=True)
    path, fields, files = csrf_forms(setup, submission.id)[form]
    genuine = admin.cookies[CSRF_COOKIE]
    if forgery == "no-cookie":  # a cross-site post: the SameSite=Strict CSRF cookie is not sent
        admin.cookies.delete(CSRF_COOKIE)
    before, session = state(setup.hub), admin.cookies[SESSION_COOKIE]
    sent = {**fields, "csrf": "x" * len(genuine)} if forgery != "missing" else fields
    refused = admin.post(path, data=sent, files=files, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF token is missing or stale" in refused.text
    assert state(setup.hub) == before and SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert admin.cookies[SESSION_COOKIE] == session
    # The same post with the token goes through, so the refusal above was the CSRF check's doing.
    done = admin.post(path, data={**fields, "csrf": admin.cookies[CSRF_COOKIE]}, files=files, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert state(setup.hub) != before or path in ("/signin", "/signout")
    assert (SESSION_COOKIE in done.headers.get("set-cookie", "")) == (path in ("/signin", "/signout"))


def labelled_controls(page: str) -> list[tuple[str, str]]:
    """(control, its accessible name) for every form control a person fills in or operates on the page."""
    class Controls(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.controls: list[dict] = []
            self.labels: dict[str, str] = {}
            self.label_for: str | None = None
            self.button: dict | None = None

        def handle_starttag(self, tag: str, attrs: list) -> None:
            attributes = dict(attrs)
            if tag in ("input", "select", "textarea") and attributes.get("type") != "hidden":
                self.controls.append({"tag": tag, **attributes})
            elif tag == "label":
                self.label_for = attributes.get("for")
                self.labels.setdefault(self.label_for, "")
            elif tag == "button":
                self.button = {"tag": "button", "text": "", **attributes}
                self.controls.append(self.button)

        def handle_endtag(self, tag: str) -> None:
            if tag == "label":
                self.label_for = None
            elif tag == "button":
                self.button = None

        def handle_data(self, data: str) -> None:
            if self.label_for is not None:
                self.labels[self.label_for] += data
            if self.button is not None:
                self.button["text"] += data

    parser = Controls()
    parser.feed(page)
    named = []
    for control in parser.controls:
        name = control.get("aria-label") or parser.labels.get(control.get("id"), "") or control.get("text", "")
        assert control.get("tabindex") != "-1", control  # reachable by the Tab key
        named.append((f"{control['tag']} {control.get('name', '')}".strip(), " ".join(name.split())))
    return named


def test_benchmark_and_maintainer_forms_are_labelled_for_keyboard_and_screen_reader_users(setup):
    admin = signed_in(setup, "admin")
    submission = setup.hub.submit(BENCHMARK, setup.predictions(), user="admin", phase="test")
    setup.hub.run_worker(once=True)
    benchmark = labelled_controls(admin.get(f"/benchmarks/{BENCHMARK}").text)
    maintain = labelled_controls(admin.get(f"/benchmarks/{BENCHMARK}/maintain").text)
    for control, name in benchmark + maintain:
        assert name, f"{control} has no label"
    assert ("select phase", "Phase") in benchmark
    assert ("input file", "Predictions file (JSONL {\"id\", \"label\"} or CSV id,label)") in benchmark
    assert ("input chosen", f"use submission {submission.id} in the final ranking of phase test") in benchmark
    assert ("button", "Save final selection for phase test") in benchmark
    assert ("select action", f"action for submission {submission.id}") in maintain
    assert ("input reason", f"reason for submission {submission.id}") in maintain
    assert [name for control, name in maintain if control == "button"][:4] == [
        "Sign out", "Close phase dev", "Close phase test", "Rescore every submission"]
    page = admin.get(f"/benchmarks/{BENCHMARK}").text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page  # laid out for phone width


def test_a_participant_picks_final_submissions_with_the_form_while_two_phases_are_open(setup):
    alice = signed_in(setup, "alice")
    submit(alice, setup.predictions("a.jsonl"))
    submit(alice, setup.predictions("dev.jsonl", rows=setup.dev_rows), phase="dev")
    setup.hub.run_worker(once=True)
    test_id, dev_id = (s.id for s in sorted(setup.hub.submissions(BENCHMARK, user="alice"), key=lambda s: s.phase != "test"))
    page = alice.get(f"/benchmarks/{BENCHMARK}").text
    assert f'value="{test_id}" form="final-test"' in page and f'value="{dev_id}"' not in page  # dev has no private ranking
    form = re.search(r'<form id="final-test" method="post" action="/benchmarks/sentiment/final".*?</form>', page, re.S).group()
    assert '<input type="hidden" name="phase" value="test">' in form  # both phases are open: the form names its phase
    saved = alice.post(f"/benchmarks/{BENCHMARK}/final", follow_redirects=True,
                       data={"csrf": alice.cookies[CSRF_COOKIE], "phase": "test", "chosen": str(test_id)})
    assert "Final selection saved (1 submission)." in saved.text
    assert [s.selected_final for s in setup.hub.submissions(BENCHMARK, user="alice", phase="test")] == [True]


def test_the_benchmark_page_shows_maintainers_actions_to_everyone_but_not_participants_choices(setup):
    alice = signed_in(setup, "alice")
    submit(alice, setup.predictions("alice.jsonl"))
    setup.hub.run_worker(once=True)
    submission = setup.hub.submissions(BENCHMARK, user="alice")[0]
    setup.hub.select_final(BENCHMARK, [submission.id], user="alice", phase="test")
    setup.hub.hide_submission(submission.id, reason="duplicate of another team's entry", user="admin")
    page = TestClient(create_app(setup.hub.config)).get(f"/benchmarks/{BENCHMARK}")
    audit = page.text.split('<table id="audit">')[1]
    actions = re.findall(r"<td>(create_benchmark|add_member|select_final|hide|close_phase|rescore)</td>", audit)
    assert actions == ["hide", "create_benchmark"]  # newest first; alice's final selection is not shown
    assert "reason: duplicate of another team&#39;s entry" in audit


def test_task_rankings_leave_out_hidden_splits(setup):
    from benchhub.ranking.across_datasets import top_models_for_task

    setup.hub.add_model("oracle", setup.predictions("oracle.jsonl"))  # the gold labels of the hidden split
    setup.hub.evaluate(model="oracle", dataset="reviews", split="test", progress=False)
    with setup.hub.session() as session:
        ranking = top_models_for_task(session, task="text-classification", split="test")
    assert ranking.rows == [] and ranking.leaders == []  # tests/test_server_api.py covers rankings of open splits


def test_error_pages_keep_the_signed_in_header(setup):
    alice = signed_in(setup, "alice")
    for path, status in (("/no/such/page", 404), ("/datasets/nope", 404), (f"/benchmarks/{BENCHMARK}/maintain", 403)):
        page = alice.get(path)
        assert page.status_code == status
        assert '<span class="who">alice</span>' in page.text, path
    anonymous = TestClient(create_app(setup.hub.config)).get("/no/such/page")
    assert anonymous.status_code == 404 and 'class="who"' not in anonymous.text


def hosted(setup) -> list[str]:
    from benchhub.competitions.benchmarks import list_benchmarks

    with setup.hub.session() as session:
        return [b.name for b in list_benchmarks(session)]


def creation_form(client: TestClient, **changes: Any) -> dict[str, Any]:
    form = {"csrf": client.cookies[CSRF_COOKIE], "name": "sentiment-2", "title": "Sentiment II", "description": "Rules.",
            "dataset": "reviews", "primary_metric": "", "phase_name": ["dev", "test", ""], "phase_split": ["dev", "test", ""],
            "phase_visibility": ["public", "hidden", "hidden"], "phase_opens": ["", "", ""],
            "phase_closes": ["", "2026-12-31T23:59", ""], "max_per_day": "3", "max_total": "", "final_selections": ""}
    form.update(changes)
    return form


def test_an_admin_hosts_a_benchmark_through_the_form(setup):
    admin = signed_in(setup, "admin")
    assert 'href="/benchmarks/new"' in admin.get("/benchmarks").text
    page = admin.get("/benchmarks/new")
    assert page.status_code == 200 and '<option value="reviews"' in page.text and "splits: dev, test" in page.text
    done = admin.post("/benchmarks/new", data=creation_form(admin), follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/benchmarks/sentiment-2"
    created = setup.hub.benchmark("sentiment-2")
    assert (created.title, created.description, created.dataset) == ("Sentiment II", "Rules.", "reviews")
    assert [(p.name, p.split, p.labels_public) for p in created.phases] == [("dev", "dev", True), ("test", "test", False)]
    assert created.phases[1].closes_at == datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc)
    assert created.settings["max_per_day"] == 3 and created.settings["max_total"] is None
    assert "Benchmark &#39;sentiment-2&#39; created" in admin.get(done.headers["location"]).text
    assert "created" not in admin.get(done.headers["location"]).text.split("<main")[1].split("<h1")[0]  # shown once


def test_a_flash_message_comes_only_from_the_server_and_errors_look_like_errors(setup):
    alice = signed_in(setup, "alice")
    # A link cannot make the page say anything: the URL parameter is ignored, and so is a forged cookie.
    page = alice.get(f"/benchmarks/{BENCHMARK}?flash=Your+account+is+locked%2C+call+us")
    assert "account is locked" not in page.text
    alice.cookies.set("benchhub_flash", "a2luZApZb3Ugd29u.0000")
    assert 'class="flash' not in alice.get(f"/benchmarks/{BENCHMARK}").text
    bad = setup.folder / "bad.jsonl"
    bad.write_text('{"id": "nope", "label": "positive"}\n', encoding="utf-8")
    refused = submit(alice, bad)
    assert '<p class="flash error" role="alert">Not submitted:' in refused.text
    accepted = submit(alice, setup.predictions("alice.jsonl"))
    assert '<p class="flash" role="status">Submission ' in accepted.text


@pytest.mark.parametrize("changes, status, message", [
    ({"phase_split": ["dev", "", ""]}, 422, "Phase 2 needs both a name and a split (or leave all its fields empty)."),
    ({"phase_split": ["dev", "nope", ""]}, 404, "no split &#39;nope&#39;"),
    ({"phase_opens": ["soon", "", ""]}, 422, "Phase 1&#39;s opening time &#39;soon&#39; is not a date and time"),
    ({"max_per_day": "three"}, 422, "Submissions per participant and day: &#39;three&#39; is not a whole number"),
    ({"name": BENCHMARK}, 409, f"A benchmark named &#39;{BENCHMARK}&#39; already exists"),
])
def test_a_bad_creation_form_comes_back_with_its_error_and_creates_nothing(setup, changes, status, message):
    admin = signed_in(setup, "admin")
    page = admin.post("/benchmarks/new", data=creation_form(admin, **changes))
    assert page.status_code == status and message in page.text
    assert 'value="Sentiment II"' in page.text  # what was typed is kept
    assert hosted(setup) == [BENCHMARK]


def test_only_admins_may_host_and_forms_need_the_csrf_token(setup):
    alice = signed_in(setup, "alice")
    assert alice.get("/benchmarks/new").status_code == 403 and 'href="/benchmarks/new"' not in alice.get("/benchmarks").text
    assert alice.post("/benchmarks/new", data=creation_form(alice)).status_code == 403
    admin = signed_in(setup, "admin")
    assert admin.post("/benchmarks/new", data=creation_form(admin, csrf="forged")).status_code == 403
    assert hosted(setup) == [BENCHMARK]


def test_maintainers_add_members_through_the_form(setup):
    admin, alice = signed_in(setup, "admin"), signed_in(setup, "alice")
    assert alice.get(f"/benchmarks/{BENCHMARK}/maintain").status_code == 403
    added = admin.post(f"/benchmarks/{BENCHMARK}/maintain/member",
                       data={"csrf": admin.cookies[CSRF_COOKIE], "user": "alice", "role": "maintainer"})
    assert "alice is now a maintainer of sentiment." in added.text
    assert alice.get(f"/benchmarks/{BENCHMARK}/maintain").status_code == 200
    unknown = admin.post(f"/benchmarks/{BENCHMARK}/maintain/member",
                         data={"csrf": admin.cookies[CSRF_COOKIE], "user": "zed", "role": "participant"})
    assert "Not added: " in unknown.text and "zed" in unknown.text
    bob = signed_in(setup, "bob")
    refused = bob.post(f"/benchmarks/{BENCHMARK}/maintain/member", data={"csrf": bob.cookies[CSRF_COOKIE], "user": "bob",
                                                                         "role": "maintainer"})
    assert refused.status_code == 403
