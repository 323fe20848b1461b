"""Maintainers' settings after creation: a models phase's limits (service, CLI, PATCH, the maintainers' page) and
the boards' default weights on the maintainers' page; new limits reach queued model runs and the request body limit."""

from __future__ import annotations

import html
import os
import re
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from benchhub.competitions.benchmarks import (
    DEFAULT_LIMITS,
    PhaseSpec,
    public_audit_log,
    set_phase_limits,
)
from benchhub.competitions.model_scoring import FAULT_VARIABLE
from benchhub.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from benchhub.server import create_app
from benchhub.store.tables import UserRow
from tests.fixtures.benchmarks import BENCHMARK, make_benchmark, state, submission_rows
from tests.fixtures.browser import signed_in
from tests.test_cli import one_error_line, run_cli
from tests.test_model_phases import BENCH, archive_of, hosted, scoring_errors
from tests.test_weighted_benchmark_boards import by_hand

TEST_LIMITS = {**DEFAULT_LIMITS, "model_size_mb": 20}  # phase `test` of `hosted`


@pytest.fixture
def arena(open_hub, tmp_path, monkeypatch):
    """`arena` (tests/test_model_phases.py): dev takes predictions files; test, tight and lean take models."""
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")  # the tests score with hub.run_worker(once=True)
    hub = open_hub()
    hosted(hub, tmp_path / "files")
    return hub


def user_id(hub, name: str) -> int:
    with hub.session() as session:
        return session.scalar(select(UserRow.id).where(UserRow.name == name))


def change(hub, phase: str, limits: dict, *, user: str = "admin"):
    with hub.session() as session:
        return set_phase_limits(session, BENCH, phase, actor_id=user_id(hub, user), limits=limits)


def limits_of(hub, phase: str) -> dict:
    return next(p.limits for p in hub.benchmark(BENCH).phases if p.name == phase)


def bearer(hub, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {hub.create_token(user)[1]}"}


def page_csrf(page: str) -> str:
    """The CSRF token a form on the page carries, as a browser would send it."""
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def flash(page: str) -> str:
    """The page's flash message, "error: " before one shown as an error."""
    kind, text = re.search(r'<p class="flash( error)?" role="\w+">(.*?)</p>', page, re.S).groups()
    return ("error: " if kind else "") + html.unescape(text)


# The service


def test_a_maintainer_changes_some_limits_and_the_others_stay_with_the_change_in_the_public_audit_log(arena):
    hub = arena
    changed = change(hub, "test", {"time_limit_seconds": 300})
    assert (changed.name, changed.takes, changed.limits) == ("test", "models", {**TEST_LIMITS, "time_limit_seconds": 300})
    again = change(hub, "test", {"memory_limit_mb": 2048, "model_size_mb": 50})
    assert again.limits == {"time_limit_seconds": 300, "memory_limit_mb": 2048, "model_size_mb": 50}
    assert limits_of(hub, "test") == again.limits
    assert limits_of(hub, "tight") == {**DEFAULT_LIMITS, "time_limit_seconds": 2, "model_size_mb": 1}  # other phases stay
    with hub.session() as session:
        public = public_audit_log(session, BENCH)
    assert [(e.action, e.user, e.details) for e in public[-2:]] == [
        ("set_phase_limits", "admin", {"phase": "test", "old": TEST_LIMITS, "new": {**TEST_LIMITS, "time_limit_seconds": 300}}),
        ("set_phase_limits", "admin", {"phase": "test", "old": {**TEST_LIMITS, "time_limit_seconds": 300}, "new": again.limits}),
    ]
    assert [e.action for e in hub.audit_log(BENCH, user="admin")] == ["create_benchmark", "set_phase_limits", "set_phase_limits"]


@pytest.mark.parametrize(("limits", "message"), [
    ({"time_limit_seconds": 0}, "Phase 'test': limit 'time_limit_seconds' must be an int in the range [1, 86400]. Got 0 instead."),
    ({"time_limit_seconds": 86401}, "Phase 'test': limit 'time_limit_seconds' must be an int in the range [1, 86400]. Got 86401 instead."),
    ({"memory_limit_mb": 255}, "Phase 'test': limit 'memory_limit_mb' must be an int in the range [256, 1048576]. Got 255 instead."),
    ({"model_size_mb": 65537}, "Phase 'test': limit 'model_size_mb' must be an int in the range [1, 65536]. Got 65537 instead."),
    ({"model_size_mb": True}, "Phase 'test': limit 'model_size_mb' must be an int in the range [1, 65536]. Got True instead."),
    ({"model_size_mb": 2.5}, "Phase 'test': limit 'model_size_mb' must be an int in the range [1, 65536]. Got 2.5 instead."),
    ({"time_limit_seconds": 30, "gpus": 1}, "Phase 'test': unknown limit 'gpus'; the limits are "
                                            "['memory_limit_mb', 'model_size_mb', 'time_limit_seconds']."),
    ({}, "Give at least one limit to change; the limits are ['memory_limit_mb', 'model_size_mb', 'time_limit_seconds']."),
], ids=["time-0", "time-over", "memory-under", "size-over", "bool", "float", "unknown", "nothing"])
def test_limits_out_of_range_are_refused_in_one_line_and_change_nothing(arena, limits, message):
    before = state(arena)
    with pytest.raises(InvalidInputError) as refused:
        change(arena, "test", limits)
    assert str(refused.value) == message
    assert state(arena) == before and limits_of(arena, "test") == TEST_LIMITS


def test_a_predictions_phase_an_unknown_phase_and_a_participant_are_refused(arena):
    hub = arena
    before = state(hub)
    with pytest.raises(InvalidInputError, match=r"^Phase 'dev' of benchmark 'arena' takes predictions files, so it has no "
                                                r"model limits to change; only a phase that takes models has them\.$"):
        change(hub, "dev", {"time_limit_seconds": 30})
    with pytest.raises(NotFoundError, match=r"^Benchmark 'arena' has no phase 'final'; its phases are "):
        change(hub, "final", {"time_limit_seconds": 30})
    with pytest.raises(PermissionDeniedError, match=r"^Only maintainers of benchmark 'arena' \(or admins\) may change a "
                                                    r"phase's limits; user 'alice' is not one\.$"):
        change(hub, "test", {"time_limit_seconds": 30}, user="alice")
    assert state(hub) == before
    hub.add_member(BENCH, "alice", user="admin", role="maintainer")  # a maintainer who is no admin may
    assert change(hub, "test", {"time_limit_seconds": 30}, user="alice").limits["time_limit_seconds"] == 30


# Where the limits take effect


def test_a_job_queued_before_the_limits_change_runs_under_the_new_ones(arena, tiny_bert, tmp_path, monkeypatch):
    hub = arena
    made = hub.submit(BENCH, archive_of(tiny_bert, tmp_path / "model.zip"), user="alice", phase="test")
    assert made.status == "queued"
    change(hub, "test", {"time_limit_seconds": 2})  # submitted under 600 s; it runs after the change
    monkeypatch.setenv(FAULT_VARIABLE, "sleep:60")
    assert hub.run_worker(once=True) == 1
    (failed,) = hub.submissions(BENCH, user="alice", phase="test")
    assert failed.status == "failed"
    assert failed.error == "The model was stopped: it ran longer than the phase's time limit of 2 s."
    assert scoring_errors(hub, BENCH) == {made.id: "stopped: it ran longer than the phase's time limit of 2 s"}


def test_a_raised_model_size_limit_lets_a_bigger_archive_through_the_body_limit(arena, tiny_bert, tmp_path):
    hub = arena
    # Its own benchmark, whose only phase takes models of up to 1 MB and whose predictions files take 1 MiB: the body limit is 1 MiB.
    hub.create_benchmark("small", dataset="reviews", user="admin", settings={"max_bytes": 1024 * 1024},
                         phases=[PhaseSpec("m", "test", takes="models", limits={"model_size_mb": 1})])
    padded = archive_of(tiny_bert, tmp_path / "padded.zip")
    with zipfile.ZipFile(padded, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("mymodel/padding.bin", os.urandom(2 * 1024 * 1024))
    size = padded.stat().st_size
    assert 2 * 1024 * 1024 < size < 3 * 1024 * 1024
    alice, admin = bearer(hub, "alice"), bearer(hub, "admin")

    def send(client):
        return client.post("/api/benchmarks/small/submissions", headers=alice, data={"phase": "m"},
                           files={"file": ("padded.zip", padded.read_bytes(), "application/zip")})

    with TestClient(create_app(hub.config)) as client:
        refused = send(client)
        assert refused.status_code == 413, refused.text
        message = refused.json()["error"]["message"]  # the body limit's, before the route reads anything
        assert message.startswith(f"The upload is {int(refused.request.headers['content-length']):,} bytes; benchmark 'small' ")
        assert message.endswith(" up to 1,048,576 bytes.")
        assert submission_rows(hub) == 0
        raised = client.patch("/api/benchmarks/small/phases/m", headers=admin, json={"model_size_mb": 3})
        assert raised.status_code == 200 and raised.json()["limits"] == {**DEFAULT_LIMITS, "model_size_mb": 3}
        taken = send(client)
        assert taken.status_code == 201, taken.text
        assert (taken.json()["status"], taken.json()["filename"]) == ("queued", "padded.zip")
    assert submission_rows(hub) == 1


# The command line


def test_the_cli_shows_and_changes_a_phases_limits(arena):
    hub = arena
    hub.close()
    shown = run_cli("benchmark", "phase-limits", BENCH, "test")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == "Phase 'test' of 'arena' takes models: 600 s, 4,096 MB of memory, models up to 20 MB.\n"
    assert run_cli("benchmark", "phase-limits", BENCH, "dev").stdout == (
        "Phase 'dev' of 'arena' takes predictions files, so it has no model limits.\n")
    assert one_error_line(run_cli("benchmark", "phase-limits", BENCH, "test", "--time-limit-seconds", "300")) == (
        "error: Changing a phase's limits is a maintainer's action; name yourself with --user NAME.")
    assert one_error_line(run_cli("benchmark", "phase-limits", BENCH, "test", "--memory-limit-mb", "100", "--user", "admin")) == (
        "error: Phase 'test': limit 'memory_limit_mb' must be an int in the range [256, 1048576]. Got 100 instead.")
    assert one_error_line(run_cli("benchmark", "phase-limits", BENCH, "test", "--time-limit-seconds", "300", "--user", "alice")) == (
        "error: Only maintainers of benchmark 'arena' (or admins) may change a phase's limits; user 'alice' is not one.")
    saved = run_cli("benchmark", "phase-limits", BENCH, "test", "--time-limit-seconds", "300", "--model-size-mb", "50",
                    "--user", "admin")
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout == ("Phase 'test' of 'arena' now takes models: 300 s, 4,096 MB of memory, models up to 50 MB; "
                            "model runs that start from now on use these limits.\n")
    assert run_cli("benchmark", "phase-limits", BENCH, "test").stdout == (
        "Phase 'test' of 'arena' takes models: 300 s, 4,096 MB of memory, models up to 50 MB.\n")


# The API


def test_patch_changes_a_phases_limits_and_answers_with_the_phase_as_the_benchmark_shows_it(arena):
    hub = arena
    url = f"/api/benchmarks/{BENCH}/phases"
    admin, alice = bearer(hub, "admin"), bearer(hub, "alice")
    with TestClient(create_app(hub.config)) as client:
        changed = client.patch(f"{url}/test", headers=admin, json={"memory_limit_mb": 8192})
        assert changed.status_code == 200, changed.text
        shown = next(p for p in client.get(f"/api/benchmarks/{BENCH}").json()["phases"] if p["name"] == "test")
        assert changed.json() == shown and shown["limits"] == {**TEST_LIMITS, "memory_limit_mb": 8192}
        before = state(hub)
        refused = client.patch(f"{url}/test", headers=alice, json={"memory_limit_mb": 512})
        assert refused.status_code == 403 and refused.json()["error"]["message"] == (
            "Only maintainers of benchmark 'arena' (or admins) may change a phase's limits; user 'alice' is not one.")
        assert client.patch(f"{url}/test", json={"memory_limit_mb": 512}).status_code == 401
        for body, message in [
            ({"time_limit_seconds": 0}, "Phase 'test': limit 'time_limit_seconds' must be an int in the range [1, 86400]. "
                                        "Got 0 instead."),
            ({"time_limit_seconds": None}, "Phase 'test': limit 'time_limit_seconds' must be an int in the range [1, 86400]. "
                                           "Got None instead."),
            ({}, "Give at least one limit to change; the limits are ['memory_limit_mb', 'model_size_mb', 'time_limit_seconds']."),
            ({"time_limit_seconds": "soon"}, None),
            ({"gpus": 1}, None),
        ]:
            bad = client.patch(f"{url}/test", headers=admin, json=body)
            assert bad.status_code == 422, (body, bad.text)
            assert bad.json()["error"]["type"] == "InvalidInputError"
            assert message is None or bad.json()["error"]["message"] == message
        predictions = client.patch(f"{url}/dev", headers=admin, json={"time_limit_seconds": 30})
        assert predictions.status_code == 422 and "takes predictions files" in predictions.json()["error"]["message"]
        missing = client.patch(f"{url}/final", headers=admin, json={"time_limit_seconds": 30})
        assert missing.status_code == 404 and missing.json()["error"]["message"].startswith("Benchmark 'arena' has no phase 'final'")
        assert client.patch("/api/benchmarks/nope/phases/test", headers=admin, json={"time_limit_seconds": 30}).status_code == 404
        assert state(hub) == before and limits_of(hub, "test") == {**TEST_LIMITS, "memory_limit_mb": 8192}


# The maintainers' page


def test_the_maintainers_page_lists_the_phases_and_changes_a_models_phases_limits(arena):
    hub = arena
    with TestClient(create_app(hub.config)) as admin:
        signed_in(admin, hub.create_token("admin")[1])
        page = admin.get(f"/benchmarks/{BENCH}/maintain").text
        phases = page.split('<table id="phases">')[1].split("</table>")[0]
        rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>\s*<td>(.*?)</td>", phases)
        assert rows == [("dev", "dev", "public; takes predictions files"),
                        ("test", "test", "hidden; takes models (600 s, 4,096 MB of memory, models up to 20 MB)"),
                        ("tight", "test", "hidden; takes models (2 s, 4,096 MB of memory, models up to 1 MB)"),
                        ("lean", "test", "hidden; takes models (600 s, 256 MB of memory, models up to 1,024 MB)")]
        forms = re.findall(r'<form method="post" action="/benchmarks/arena/maintain/limits".*?</form>', page, re.S)
        assert len(forms) == 3  # one per models phase; dev takes predictions files
        assert '<label for="limit-1-time_limit_seconds">Time limit (s), 1 to 86,400</label>' in forms[0]
        assert ('<input id="limit-1-memory_limit_mb" name="memory_limit_mb" type="number" min="256" max="1048576" step="1" '
                'value="4096">') in forms[0]
        csrf = page_csrf(page)
        saved = admin.post(f"/benchmarks/{BENCH}/maintain/limits", data={
            "csrf": csrf, "phase": "test", "time_limit_seconds": "120", "memory_limit_mb": "", "model_size_mb": "30"})
        assert saved.status_code == 200 and flash(saved.text) == (
            "Phase 'test' now takes models: 120 s, 4,096 MB of memory, models up to 30 MB; model runs that start from now on "
            "use these limits.")
        assert limits_of(hub, "test") == {**TEST_LIMITS, "time_limit_seconds": 120, "model_size_mb": 30}
        assert 'value="120"' in saved.text and "<td>set_phase_limits</td>" in saved.text
        before = state(hub)
        for fields, message in [
            ({"time_limit_seconds": "soon"}, "Limits not changed: Time limit (s) 'soon' is not a whole number."),
            ({"time_limit_seconds": "²"}, "Limits not changed: Time limit (s) '²' is not a whole number."),
            ({"model_size_mb": "9" * 5000}, "Limits not changed: Model size limit (MB) " + "9" * 20 + "… is too large; "
                                            "it must be in the range [1, 65536]."),
            ({"memory_limit_mb": "128"}, "Limits not changed: Phase 'test': limit 'memory_limit_mb' must be an int in the "
                                         "range [256, 1048576]. Got 128 instead."),
            ({"time_limit_seconds": "", "memory_limit_mb": "", "model_size_mb": ""},
             "Limits not changed: Give at least one limit to change; the limits are ['memory_limit_mb', 'model_size_mb', "
             "'time_limit_seconds']."),
        ]:
            bad = admin.post(f"/benchmarks/{BENCH}/maintain/limits", data={"csrf": csrf, "phase": "test", **fields})
            assert bad.status_code == 200 and flash(bad.text) == "error: " + message
        assert state(hub) == before
        forged = admin.post(f"/benchmarks/{BENCH}/maintain/limits", data={"csrf": "x" * len(csrf), "phase": "test",
                                                                           "time_limit_seconds": "60"})
        assert forged.status_code == 403 and state(hub) == before
    with TestClient(create_app(hub.config)) as alice:
        signed_in(alice, hub.create_token("alice")[1])
        assert alice.get(f"/benchmarks/{BENCH}/maintain").status_code == 403
        csrf = page_csrf(alice.get(f"/benchmarks/{BENCH}").text)
        refused = alice.post(f"/benchmarks/{BENCH}/maintain/limits", data={"csrf": csrf, "phase": "test", "time_limit_seconds": "60"})
        assert refused.status_code == 403 and state(hub) == before
        public = alice.get(f"/benchmarks/{BENCH}").text
        assert "never released: submit a model, which the hub runs on them (120 s, 4,096 MB of memory, models up to 30 MB)" in public
        assert "<td>set_phase_limits</td>" in public  # in the public audit log


@pytest.fixture
def sentiment(open_hub, tmp_path, monkeypatch):
    """`sentiment` (dev public, test hidden, ranked by macro_f1) with two scored dev submissions (6 positive and 6
    negative examples): alice predicts "negative" for everything (accuracy 0.5, macro_f1 0.33) and bob gets 4
    positives and 3 negatives wrong (accuracy 0.42, macro_f1 0.41). Dev's labels are public: no halves to draw."""
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    hub = open_hub()
    setup = make_benchmark(hub, tmp_path / "files")
    rows = setup.dev_rows
    positives, negatives = ([r["id"] for r in rows if r["label"] == label] for label in ("positive", "negative"))
    hub.submit(BENCHMARK, setup.predictions("alice.jsonl", rows=rows, wrong=set(positives)), user="alice", phase="dev")
    hub.submit(BENCHMARK, setup.predictions("bob.jsonl", rows=rows, wrong={*positives[:4], *negatives[:3]}), user="bob", phase="dev")
    assert hub.run_worker(once=True) == 2
    return setup


def ranking_of(page: str) -> list[str]:
    """The participants of the dev phase's ranking on the benchmark page, in their order."""
    table = page.split('aria-label="dev public ranking"')[1].split("</table>")[0]
    return re.findall(r'<td class="num" data-value="\d+">\d+</td><td>(\w+)</td>', table)


def test_the_default_weights_form_sets_and_clears_the_weights_the_public_page_ranks_by(sentiment):
    hub = sentiment.hub
    board = hub.benchmark_board(BENCHMARK, phase="dev")
    assert [(r.user, r.score, r.metrics["accuracy"]["value"]) for r in board.rows] == [
        ("bob", pytest.approx(0.4126, abs=1e-4), pytest.approx(5 / 12)), ("alice", pytest.approx(1 / 3), 0.5)]
    anonymous = TestClient(create_app(hub.config))
    assert ranking_of(anonymous.get(f"/benchmarks/{BENCHMARK}").text) == ["bob", "alice"]
    with TestClient(create_app(hub.config)) as admin:
        signed_in(admin, hub.create_token("admin")[1])
        page = admin.get(f"/benchmarks/{BENCHMARK}/maintain").text
        form = re.search(r'<form method="post" action="/benchmarks/sentiment/maintain/weights".*?</form>', page, re.S).group()
        assert re.findall(r'<input type="hidden" name="column" value="(\w+)">', form) == ["metric", "accuracy"]
        assert '<label for="default-weight-1">macro_f1</label>' in form and '<label for="default-weight-2">accuracy</label>' in form
        assert re.findall(r'name="weight" type="number" min="0" max="1000000" step="any" value="([^"]*)"', form) == ["", ""]
        assert "None set: boards rank by macro_f1 unless a viewer gives weights." in page
        assert "Clear (rank by the primary metric)</button>" in form
        csrf = page_csrf(page)
        before = state(hub)
        for weights, message in [
            (["", ""], "Default weights not changed: Every weight is 0; give at least one column a weight above 0, "
                       "e.g. metric:1,latency_b1:0.5."),
            (["1", "lots"], "Default weights not changed: The weight of 'accuracy' must be a number in the range "
                            "[0, 1,000,000]. Got 'lots' instead."),
            (["-1", "1"], "Default weights not changed: The weight of 'metric' must be a number in the range "
                          "[0, 1,000,000]. Got -1.0 instead."),
        ]:
            bad = admin.post(f"/benchmarks/{BENCHMARK}/maintain/weights",
                             data={"csrf": csrf, "column": ["metric", "accuracy"], "weight": weights})
            assert bad.status_code == 200 and flash(bad.text) == "error: " + message
        assert state(hub) == before
        saved = admin.post(f"/benchmarks/{BENCHMARK}/maintain/weights",
                           data={"csrf": csrf, "column": ["metric", "accuracy"], "weight": ["0", "2"]})
        assert flash(saved.text) == "Boards of 'sentiment' now rank by a Dynascore of accuracy:2 unless a viewer gives weights."
        assert re.findall(r'name="weight" type="number" min="0" max="1000000" step="any" value="([^"]*)"', saved.text) == ["0", "2.0"]
        assert "<td>set_board_weights</td>" in saved.text
    public = anonymous.get(f"/benchmarks/{BENCHMARK}").text
    assert ranking_of(public) == ["alice", "bob"]  # by accuracy now, as the maintainers chose
    assert re.search(r"Ranked by Dynascore, with the maintainers' default weights:\s+100% accuracy \(AMRS [\d.]+\); 2 rows scored",
                     html.unescape(public))
    document = anonymous.get(f"/api/benchmarks/{BENCHMARK}/board", params={"phase": "dev"}).json()
    assert document["dynascore"]["source"] == "maintainers"
    assert {r["user"]: r["dynascore"] for r in document["rows"]} == pytest.approx(by_hand(document, {"accuracy": 2.0}))
    for user, score in by_hand(document, {"accuracy": 2.0}).items():
        assert f'<td class="num dynascore" data-value="{score}">' in public, user
    with TestClient(create_app(hub.config)) as admin:
        signed_in(admin, hub.create_token("admin")[1])
        csrf = page_csrf(admin.get(f"/benchmarks/{BENCHMARK}/maintain").text)
        cleared = admin.post(f"/benchmarks/{BENCHMARK}/maintain/weights",
                             data={"csrf": csrf, "column": ["metric", "accuracy"], "weight": ["oops", ""], "clear": "1"})
        assert flash(cleared.text) == "Boards of 'sentiment' now rank by the primary metric unless a viewer gives weights."
    assert ranking_of(anonymous.get(f"/benchmarks/{BENCHMARK}").text) == ["bob", "alice"]
    with TestClient(create_app(hub.config)) as bob:
        signed_in(bob, hub.create_token("bob")[1])
        csrf = page_csrf(bob.get(f"/benchmarks/{BENCHMARK}").text)
        before = state(hub)
        refused = bob.post(f"/benchmarks/{BENCHMARK}/maintain/weights", data={"csrf": csrf, "column": ["metric"], "weight": ["1"]})
        assert refused.status_code == 403 and state(hub) == before


def test_the_new_forms_need_the_csrf_token(sentiment):
    hub = sentiment.hub
    with TestClient(create_app(hub.config)) as admin:
        signed_in(admin, hub.create_token("admin")[1])
        before = state(hub)
        refused = admin.post(f"/benchmarks/{BENCHMARK}/maintain/weights", data={"column": ["metric"], "weight": ["1"]})
        assert refused.status_code == 403 and "CSRF token is missing or stale" in refused.text
        assert state(hub) == before
        done = admin.post(f"/benchmarks/{BENCHMARK}/maintain/weights", follow_redirects=False,
                          data={"csrf": page_csrf(admin.get(f"/benchmarks/{BENCHMARK}/maintain").text), "column": ["metric"],
                                "weight": ["1"]})
        assert done.status_code == 303 and state(hub) != before
