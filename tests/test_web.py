"""The browser UI over TestClient: pages, sign-in with a token, the session cookie, CSRF, errors as pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from benchhub import Hub
from benchhub.config import HubConfig
from benchhub.server import create_app
from benchhub.server.sessions import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    read_session,
    sign_session,
)
from tests.conftest import review_rows, write_jsonl

LABEL_CANARY = "<script>alert('label')</script>"


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    """`reviews` (train 40 / test 24) with a predictions model and two baselines evaluated; users root and pat."""
    home = tmp_path / "hub"
    hub = Hub(HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}"))
    test = review_rows(24, seed=2, prefix="test")
    hub.add_dataset("reviews", splits={"train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
                                       "test": write_jsonl(tmp_path / "test.jsonl", test)}, id_column="id")
    hub.add_model("oracle", write_jsonl(tmp_path / "oracle.jsonl", [{"id": r["id"], "label": r["label"]} for r in test]))
    for model in ("oracle", "baseline:majority", "baseline:keyword"):
        hub.evaluate(model=model, dataset="reviews", progress=False)
    hub.create_user("root", admin=True)
    hub.create_user("pat")
    yield hub
    hub.close()


@pytest.fixture
def client(hub: Hub) -> TestClient:
    return TestClient(create_app(hub.config))


def csrf_of(client: TestClient) -> str:
    client.get("/signin")
    return client.cookies[CSRF_COOKIE]


def sign_in(client: TestClient, token: str) -> None:
    response = client.post("/signin", data={"token": token, "csrf": csrf_of(client), "next": "/models"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/models"


def test_pages_render_the_catalog_and_the_ranking(client):
    home = client.get("/")
    assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in home.text
    assert "text-classification" in home.text and 'href="/models/oracle"' in home.text
    assert 'href="/leaderboards/reviews"' in home.text
    # The oracle ranks on one dataset: its row says so (the column read a missing field and showed 0).
    oracle_row = re.search(r'href="/models/oracle">oracle</a>.*?</tr>', home.text, re.S).group(0)
    assert re.findall(r'<td class="num">([^<]*)</td>', oracle_row)[-1] == "1"
    board = client.get("/leaderboards/reviews")
    assert board.status_code == 200
    rows = re.findall(r"<tr class=\"(baseline)?\"[^>]*>\s*<td class=\"num\" data-column=\"rank\" data-value=\"(\d+)\">", board.text)
    assert [rank for _, rank in rows] == ["1", "2", "3"]
    assert [bool(baseline) for baseline, _ in rows] == [False, True, True]  # baselines marked as reference rows
    assert '1.000 <span class="ci">[1.000, 1.000]</span>' in board.text  # the oracle's macro_f1 with its CI
    assert board.text.count("<button type=\"button\">") >= 6  # sortable by keyboard: a button per column
    assert 'id="chart"' not in board.text  # no latency measured: no chart
    assert client.get("/datasets/reviews").status_code == 200
    model = client.get("/models/oracle")
    assert "reviews/test" in model.text and "macro_f1" in model.text
    assert client.get("/static/app.js").status_code == 200 and client.get("/static/app.css").status_code == 200


def test_a_leaderboard_with_speed_has_the_chart_with_a_local_plotly(client, hub):
    from benchhub.engine.latency import BenchBudget

    hub.bench(["baseline:keyword", "baseline:majority"], dataset="reviews", batch_sizes=(1,), seq_lens=(8,), progress=False,
              budget=BenchBudget(warmup_calls=0, warmup_seconds=0, min_timings=3, min_seconds=0, slice_seconds=0))
    page = client.get("/leaderboards/reviews")
    assert 'id="chart"' in page.text and '<script src="/static/plotly.min.js" defer>' in page.text
    assert "latency ms (b1)" in page.text and 'title="on the accuracy-latency Pareto front">◆</span>' in page.text
    assert "https://" not in page.text.split('data-figure="')[0]  # no CDN
    bundle = client.get("/static/plotly.min.js")
    assert bundle.status_code == 200 and bundle.headers["content-type"].startswith("text/javascript")
    assert len(bundle.content) > 1_000_000


def test_signing_in_sets_an_httponly_session_cookie_that_never_holds_the_token(client, hub):
    token = hub.create_token("pat")[1]
    csrf = csrf_of(client)
    response = client.post("/signin", data={"token": token, "csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and token not in cookie
    assert "pat" in client.get("/").text and "Sign out" in client.get("/").text
    # The cookie signs the token's row id: tampering with it signs the browser out.
    value = client.cookies[SESSION_COOKIE]
    assert read_session(client.app.state.secret, value) is not None
    assert read_session(client.app.state.secret, value.replace(".", ".9", 1)) is None
    assert read_session(client.app.state.secret, sign_session(client.app.state.secret, 1, now=0.0)) is None  # expired


def test_bad_tokens_and_missing_csrf_are_refused_with_a_page(client, hub):
    csrf = csrf_of(client)
    wrong = client.post("/signin", data={"token": "bh_not-a-token", "csrf": csrf})
    assert wrong.status_code == 401 and "Unknown API token" in wrong.text and SESSION_COOKIE not in client.cookies
    forged = client.post("/signin", data={"token": hub.create_token("pat")[1], "csrf": "guess"})
    assert forged.status_code == 403 and "CSRF token is missing or stale" in forged.text
    assert SESSION_COOKIE not in client.cookies


def test_cookie_sessions_need_the_csrf_header_for_api_changes(client, hub):
    sign_in(client, hub.create_token("pat")[1])
    assert client.get("/api/users/me").json()["name"] == "pat"
    refused = client.post("/api/tokens", json={"label": "from the browser"})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["error"]["message"]
    made = client.post("/api/tokens", json={"label": "from the browser"}, headers={"X-CSRF-Token": client.cookies[CSRF_COOKIE]})
    assert made.status_code == 201


def test_revoking_the_token_ends_the_session_and_signing_out_clears_it(client, hub):
    record, token = hub.create_token("pat")
    sign_in(client, token)
    assert "Sign out" in client.get("/").text
    hub.revoke_token(record.prefix)
    page = client.get("/")
    assert page.status_code == 200 and "Sign in" in page.text and "Sign out" not in page.text
    sign_in(client, hub.create_token("pat")[1])
    out = client.post("/signout", data={"csrf": client.cookies[CSRF_COOKIE]}, follow_redirects=False)
    assert out.status_code == 303 and SESSION_COOKIE not in client.cookies


def test_redirects_after_sign_in_stay_on_this_site(client, hub):
    for target in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        response = client.post("/signin", data={"token": hub.create_token("pat")[1], "csrf": csrf_of(client), "next": target},
                               follow_redirects=False)
        assert response.headers["location"] == "/"


def test_errors_are_pages_for_browsers_and_json_for_the_api(client):
    page = client.get("/datasets/nope")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "No dataset named &#39;nope&#39;" in page.text
    assert client.get("/no/such/page").status_code == 404
    api = client.get("/api/datasets/nope")
    assert api.status_code == 404 and api.json()["error"]["type"] == "DatasetNotFoundError"


def test_user_text_is_escaped(tmp_path):
    home = tmp_path / "hub2"
    with Hub(HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}")) as hub:
        rows = [dict(r, label=LABEL_CANARY if r["label"] == "positive" else "negative") for r in review_rows(8, seed=1, prefix="x")]
        hub.add_dataset("odd", write_jsonl(tmp_path / "odd.jsonl", rows), id_column="id")
        page = TestClient(create_app(hub.config)).get("/datasets/odd")
    assert LABEL_CANARY not in page.text and "&lt;script&gt;" in page.text


def test_leaderboards_rank_on_a_slice_in_the_api_and_the_page(client):
    api = client.get("/api/leaderboards/reviews", params={"slice": "label=positive"})
    assert api.status_code == 200
    assert api.json()["notes"][-1] == "slice label positive: 12 of 24 examples, re-scored from per-example rows."
    oracle = next(row for row in api.json()["rows"] if row["model"] == "oracle")
    assert oracle["metrics"]["accuracy"]["value"] == 1.0
    page = client.get("/leaderboards/reviews", params={"slice": "label=negative"})
    assert page.status_code == 200 and "slice label negative: 12 of 24 examples" in page.text
    assert '<option value="label=negative" selected>' in page.text
    bad = client.get("/api/leaderboards/reviews", params={"slice": "length=3-4"})
    assert bad.status_code == 422 and "is not a length bucket" in bad.json()["error"]["message"]


def test_the_leaderboard_page_shows_robustness_once_models_are_probed(client, hub):
    assert "worst change" not in client.get("/leaderboards/reviews").text
    hub.probe(model="baseline:keyword", dataset="reviews", progress=False)
    page = client.get("/leaderboards/reviews").text
    summary = next(r for r in hub.leaderboard(dataset="reviews", baselines=False, progress=False).rows
                   if r.model == "baseline:keyword").robustness
    assert "worst change" in page and f"{-summary['worst_drop_points'] + 0.0:+.1f} <small>({summary['worst_probe']})</small>" in page


@pytest.mark.parametrize("cookie", ["\xe9", "1.2.\xe9", "\xb2.\xb2." + "0" * 64, "1.2.3\n", "1.2." + "a" * 64 + "\n"],
                         ids=["latin-1", "latin-1-mac", "unicode-digits", "newline", "valid-shape-newline"])
def test_a_malformed_session_cookie_is_no_session_on_api_routes_and_pages(client, cookie):
    sent = {"Cookie": f"{SESSION_COOKIE}={cookie}".encode("latin-1")}
    listed = client.get("/api/datasets", headers=sent)
    assert listed.status_code == 200 and [d["name"] for d in listed.json()] == ["reviews"]
    me = client.get("/api/users/me", headers=sent)
    assert me.status_code == 401 and me.json()["error"]["message"].startswith("Sign in first")
    page = client.get("/", headers=sent)
    assert page.status_code == 200 and "Sign in" in page.text and "Sign out" not in page.text
    missing = client.get("/models/nothing-here", headers=sent)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html") and "Sign in" in missing.text


def test_a_malformed_csrf_cookie_or_field_is_a_csrf_mismatch(client, hub):
    sign_in(client, hub.create_token("pat")[1])
    session = client.cookies[SESSION_COOKIE]
    for csrf in ("\xe9" * 43, "\xe9", "x" * 42 + "\xb2"):
        sent = {"Cookie": f"{SESSION_COOKIE}={session}; {CSRF_COOKIE}={csrf}".encode("latin-1"),
                "X-CSRF-Token": csrf.encode("latin-1")}
        refused = client.post("/api/tokens", json={"label": "x"}, headers=sent)
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["error"]["message"], refused.text
        # A page replaces the malformed cookie with a fresh one, so the browser's next form works.
        page = client.get("/", headers=sent)
        assert page.status_code == 200 and "Sign out" in page.text
        fresh = re.search(rf"{CSRF_COOKIE}=([A-Za-z0-9_-]{{43}});", page.headers["set-cookie"])
        assert fresh is not None and f'value="{fresh[1]}"' in page.text
    genuine = client.cookies[CSRF_COOKIE]
    for field in ("\xe9" * 43, genuine + "\n"):
        out = client.post("/signout", data={"csrf": field}, follow_redirects=False)
        assert out.status_code == 403 and "CSRF token is missing or stale" in out.text
    assert [t.label for t in hub.tokens("pat")] == [""]  # nothing created by the refused calls


@pytest.mark.parametrize("header", ["Bearer bh_\xe9", "Bearer \xe9\xe9", "\xe9 token"], ids=["token", "whole", "scheme"])
def test_a_non_ascii_authorization_header_is_refused_with_401(client, header):
    answer = client.get("/api/users/me", headers={"Authorization": header.encode("latin-1")})
    assert answer.status_code == 401 and answer.json()["error"]["type"] == "AuthenticationError"
