"""Numbers out of range (integers beyond the database, dates beyond year 9999 in UTC): 404 or 422 with the
allowed range on every route, never 500.

Ids are INTEGER columns, 32-bit on PostgreSQL (64-bit on SQLite), so 2**31, 2**63 and 10**20 overflow a database
rather than miss;
offsets and page sizes have sensible maxima; benchmark settings are refused at creation (CLI, Python API,
API and web form) with one line saying what is allowed.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from benchhub import Hub
from benchhub.cli.app import app as cli
from benchhub.competitions.benchmarks import PhaseSpec
from benchhub.competitions.submissions import get_submission
from benchhub.config import HubConfig
from benchhub.errors import InvalidInputError, NotFoundError
from benchhub.evaluation.lookup import get_evaluation_row, list_evaluations
from benchhub.server import create_app
from benchhub.server.sessions import CSRF_COOKIE
from tests.conftest import write_jsonl
from tests.fixtures.benchmarks import BENCHMARK, make_benchmark
from tests.fixtures.browser import signed_in

HUGE = (2**31, 2**63, 10**20)
ID_RANGE = "Input should be less than or equal to 2147483647"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """The sentiment benchmark, one evaluation, alice's token and an admin signed in to the browser."""
    folder = tmp_path_factory.mktemp("integers")
    home = folder / "hub"
    hub = Hub(HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}"))
    setup = make_benchmark(hub, folder / "files")
    hub.add_model("echo", write_jsonl(folder / "echo.jsonl", [{"id": r["id"], "label": r["label"]} for r in setup.dev_rows]))
    hub.evaluate(model="echo", dataset="reviews", split="dev", progress=False)
    app = create_app(hub.config)
    with TestClient(app) as api:
        browser = signed_in(TestClient(app), hub.create_token("admin")[1])
        yield hub, api, {"Authorization": f"Bearer {hub.create_token('alice')[1]}"}, browser, setup
    hub.close()


@pytest.fixture(autouse=True)
def no_scoring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")


def refused(response, where: str, message: str) -> None:
    assert response.status_code == 422, response.text
    assert response.json() == {"error": {"type": "InvalidInputError", "message": f"{where}: {message}"}}


@pytest.mark.parametrize("value", HUGE, ids=["2**31", "2**63", "10**20"])
@pytest.mark.parametrize("route", ["/api/evaluations/{}", "/api/evaluations/{}/examples",
                                   f"/api/benchmarks/{BENCHMARK}/submissions/{{}}",
                                   f"/api/benchmarks/{BENCHMARK}/submissions/{{}}/scores"])
def test_an_id_out_of_range_in_a_path_is_refused_with_the_range(served, route, value):
    _, api, headers, _, _ = served
    name = "evaluation_id" if "evaluations" in route else "submission_id"
    refused(api.get(route.format(value), headers=headers), f"path.{name}", ID_RANGE)


def test_a_moderation_of_a_submission_id_out_of_range_is_refused(served):
    _, api, headers, _, _ = served
    response = api.post(f"/api/benchmarks/{BENCHMARK}/submissions/{2**31}/moderation", headers=headers,
                        json={"action": "hide", "reason": "x"})
    refused(response, "path.submission_id", ID_RANGE)


def test_ids_in_range_that_do_not_exist_are_not_found(open_hub, tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    hub = open_hub()
    make_benchmark(hub, tmp_path / "files")
    headers = {"Authorization": f"Bearer {hub.create_token('alice')[1]}"}
    with TestClient(create_app(hub.config)) as api:
        for path, message in ((f"/api/evaluations/{2**31 - 1}", f"No evaluation with id {2**31 - 1}; GET /api/evaluations lists them."),
                              (f"/api/benchmarks/{BENCHMARK}/submissions/{2**31 - 1}", f"No submission {2**31 - 1}.")):
            response = api.get(path, headers=headers)
            assert response.status_code == 404, response.text
            assert response.json()["error"]["message"] == message
        refused(api.get(f"/api/evaluations/{2**31}", headers=headers), "path.evaluation_id", ID_RANGE)
    with hub.session() as session:  # beyond PostgreSQL's INTEGER: missing, not a database error
        with pytest.raises(NotFoundError, match=rf"^No evaluation with id {2**31}; "):
            get_evaluation_row(session, 2**31)


@pytest.mark.parametrize("route", ["/api/evaluations", "/api/evaluations/1/examples"])
def test_an_offset_past_the_maximum_is_refused(served, route):
    _, api, headers, _, _ = served
    refused(api.get(route, params={"offset": 2**64}, headers=headers), "query.offset",
            "Input should be less than or equal to 1000000000")
    assert api.get(route, params={"offset": 10**9}, headers=headers).status_code == 200


def test_a_leaderboard_top_past_the_maximum_is_refused(served):
    _, api, _, _, _ = served
    refused(api.get("/api/leaderboards/reviews", params={"split": "dev", "top": 2**64}), "query.top",
            "Input should be less than or equal to 1000")


def test_a_final_selection_of_ids_out_of_range_is_refused(served):
    _, api, headers, _, _ = served
    response = api.put(f"/api/benchmarks/{BENCHMARK}/final-selection", headers=headers, json={"submissions": [2**31]})
    refused(response, "submissions.0", ID_RANGE)


def test_the_web_forms_refuse_ids_out_of_range(served):
    _, _, _, browser, _ = served
    csrf = browser.cookies[CSRF_COOKIE]
    for path, form in ((f"/benchmarks/{BENCHMARK}/final", {"csrf": csrf, "chosen": [str(2**31)]}),
                       (f"/benchmarks/{BENCHMARK}/maintain/moderate", {"csrf": csrf, "submission": str(10**20), "action": "hide"})):
        page = browser.post(path, data=form)
        assert page.status_code == 422, path
        assert ID_RANGE in html.unescape(page.text), path


def test_the_services_treat_ids_out_of_range_as_missing_and_bound_offsets(served):
    hub = served[0]
    with hub.session() as session:
        with pytest.raises(NotFoundError, match=rf"^No evaluation with id {10**20}; "):
            get_evaluation_row(session, 10**20)
        with pytest.raises(NotFoundError, match=rf"^No submission {2**31}\.$"):
            get_submission(session, 2**31, actor_id=1)
        with pytest.raises(InvalidInputError, match=r"^offset must be an int in the range \[0, 1000000000\]\. Got 18446744073709551616 instead\.$"):
            list_evaluations(session, offset=2**64)


SETTINGS_CASES = [
    ("max_bytes", 10**30, "Setting 'max_bytes' must be an int in the range [1, 1073741824]. Got an int beyond the 64-bit range instead."),
    ("max_bytes", 2**30 + 1, "Setting 'max_bytes' must be an int in the range [1, 1073741824]. Got 1073741825 instead."),
    ("max_per_day", 2**63, "Setting 'max_per_day' must be an int in the range [1, 100000] or null for no limit. "
                           "Got an int beyond the 64-bit range instead."),
    ("max_scoring_attempts", 10**6, "Setting 'max_scoring_attempts' must be an int in the range [1, 100]. Got 1000000 instead."),
    ("final_selections", 101, "Setting 'final_selections' must be an int in the range [1, 100]. Got 101 instead."),
]
SETTINGS_IDS = [f"{key}={value}" for key, value, _ in SETTINGS_CASES]


def _names(hub: Hub) -> list[str]:
    from benchhub.competitions.benchmarks import list_benchmarks

    with hub.session() as session:
        return [b.name for b in list_benchmarks(session)]


@pytest.mark.parametrize(("key", "value", "message"), SETTINGS_CASES, ids=SETTINGS_IDS)
def test_out_of_range_settings_are_refused_by_the_python_api(served, key, value, message):
    hub = served[0]
    with pytest.raises(InvalidInputError) as caught:
        hub.create_benchmark("too-big", dataset="reviews", user="admin", phases=[PhaseSpec("test", "test")], settings={key: value})
    assert str(caught.value) == message
    assert _names(hub) == [BENCHMARK]


@pytest.mark.parametrize(("key", "value", "message"), SETTINGS_CASES, ids=SETTINGS_IDS)
def test_out_of_range_settings_are_refused_by_the_api(served, key, value, message):
    hub, api, _, _, _ = served
    admin = {"Authorization": f"Bearer {hub.create_token('admin')[1]}"}
    body = {"name": "too-big", "dataset": "reviews", "phases": [{"name": "test", "split": "test"}], "settings": {key: value}}
    response = api.post("/api/benchmarks", headers=admin, json=body)
    assert response.status_code == 422
    assert response.json() == {"error": {"type": "InvalidInputError", "message": message}}
    assert _names(hub) == [BENCHMARK]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("max_per_day", str(2**63), "Submissions per participant and day: 9223372036854775808 is too large; it must be in the range [1, 100000]."),
    ("max_total", "9" * 5000, "Submissions per participant in all: 99999999999999999999… is too large; it must be in the range [1, 1000000]."),
    ("final_selections", "101", "Setting 'final_selections' must be an int in the range [1, 100]. Got 101 instead."),
    ("max_per_day", "²", "Submissions per participant and day: '²' is not a whole number; leave it empty for the default."),
], ids=["2**63", "5000-digits", "101", "superscript-two"])
def test_out_of_range_settings_are_refused_by_the_web_form(served, field, value, message):
    hub, _, _, browser, _ = served
    form = {"csrf": browser.cookies[CSRF_COOKIE], "name": "too-big", "dataset": "reviews", "phase_name": ["test"],
            "phase_split": ["test"], "phase_visibility": ["hidden"], field: value}
    page = browser.post("/benchmarks/new", data=form)
    assert page.status_code == 422
    assert message in html.unescape(page.text)
    assert _names(hub) == [BENCHMARK]


def test_out_of_range_settings_are_refused_by_the_cli(tmp_path, isolated_hub):
    with Hub.open() as hub:
        hub.add_dataset("reviews", write_jsonl(tmp_path / "test.jsonl", [{"text": "fine", "label": "a"}, {"text": "bad", "label": "b"}]))
        hub.create_user("root", admin=True)
    result = CliRunner().invoke(cli, ["benchmark", "create", "big", "--dataset", "reviews", "--phase", "test=test",
                                      "--user", "root", "--setting", f"max_bytes={10**30}"])
    assert result.exit_code == 1  # `main` prints the error as one line on stderr
    assert isinstance(result.exception, InvalidInputError)
    assert str(result.exception) == "Setting 'max_bytes' must be an int in the range [1, 1073741824]. Got an int beyond the 64-bit range instead."
    with Hub.open() as hub:
        assert _names(hub) == []


def test_a_benchmark_at_the_largest_max_bytes_still_takes_submissions(served):
    hub, api, headers, _, setup = served
    hub.create_benchmark("largest", dataset="reviews", user="admin", phases=[PhaseSpec("test", "test")],
                         settings={"max_bytes": 2**30, "max_scoring_attempts": 100, "max_per_day": 100_000})
    with setup.predictions().open("rb") as handle:
        response = api.post("/api/benchmarks/largest/submissions", headers=headers, data={"phase": "test"},
                            files={"file": ("predictions.jsonl", handle, "application/jsonl")})
    assert response.status_code == 201, response.text
    assert json.loads(response.text)["status"] == "queued"


@pytest.mark.parametrize(("moment", "label"), [("0001-01-01T00:00:00+01:00", "opens_at"), ("9999-12-31T23:59:59-01:00", "closes_at")],
                         ids=["before-year-1-in-utc", "after-year-9999-in-utc"])
def test_phase_times_beyond_the_range_of_dates_in_utc_are_refused(served, moment, label):
    hub, api, _, _, _ = served
    admin = {"Authorization": f"Bearer {hub.create_token('admin')[1]}"}
    body = {"name": "edge", "dataset": "reviews", "phases": [{"name": "test", "split": "test", label: moment}]}
    response = api.post("/api/benchmarks", headers=admin, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        f"Phase 'test': {label} {moment} must lie between 1970-01-01 and 9999-12-30 (UTC).")
    assert "edge" not in _names(hub)
