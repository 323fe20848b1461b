"""Nothing computed from a hidden split's gold reaches anyone but its benchmark's maintainers and admins:
no fingerprint that covers it (of the split, or of its dataset, also in provenance of other splits), no
metrics, details or probe results on it, and no bootstrap intervals on hidden phases' boards and submissions.

The crawl requests every GET route of the app (API and pages, each path parameter filled with every
value that exists, each query variant the route takes) as an anonymous visitor, a participant (API
token and session cookie) and an outsider."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from benchhub import Hub
from benchhub.competitions import benchmarks as benchmark_service
from benchhub.competitions.benchmarks import PhaseSpec, public_mask
from benchhub.config import HubConfig
from benchhub.server import (
    api_accounts,
    api_benchmarks,
    api_catalog,
    api_jobs,
    api_uploads,
    create_app,
    web,
    web_benchmarks,
    web_jobs,
)
from benchhub.server.sessions import load_secret
from benchhub.store.tables import (
    BenchmarkRow,
    EvaluationJobRow,
    EvaluationRow,
    ModelRow,
    ProbeRunRow,
    SubmissionRow,
)
from tests.conftest import review_rows, write_jsonl
from tests.fixtures.benchmarks import make_benchmark
from tests.fixtures.browser import signed_in

HIDDEN = "labels of reviews/test are hidden by benchmark sentiment"
QUERIES = ["", "?split=test", "?split=dev", "?split=train", "?dataset=reviews&split=test", "?dataset=reviews",
           "?model=guesser", "?phase=test", "?phase=test&kind=private", "?phase=dev", "?user=bob"]


@pytest.fixture(scope="module")
def hidden(tmp_path_factory):
    """reviews (train 40, dev 12, test 40) with benchmark `sentiment` hiding test; mia maintains it, alice and bob
    submitted to it, baselines are evaluated and probed on every split, and `guesser` only on test."""
    folder = tmp_path_factory.mktemp("hidden")
    home = folder / "hub"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
        # A fixed public/private cut, so the equal-score submissions below are the same two every run.
        patch.setattr(benchmark_service, "secrets", SimpleNamespace(token_hex=lambda n: "5eed" * (n // 2)))
        hub = Hub(HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}"))
        test = review_rows(40, seed=2, prefix="test")
        hub.add_dataset("reviews", id_column="id", splits={
            "train": write_jsonl(folder / "train.jsonl", review_rows(40, seed=1, prefix="train")),
            "dev": write_jsonl(folder / "dev.jsonl", review_rows(12, seed=5, prefix="dev")),
            "test": write_jsonl(folder / "test.jsonl", test)})
        for name, admin in (("admin", True), ("mia", False), ("alice", False), ("bob", False)):
            hub.create_user(name, admin=admin)
        hub.create_benchmark("sentiment", dataset="reviews", user="admin",
                             phases=[PhaseSpec("dev", "dev", labels_public=True), PhaseSpec("test", "test")])
        hub.add_member("sentiment", "mia", user="admin", role="maintainer")
        for model, split in itertools.product(("baseline:keyword", "baseline:majority"), ("train", "dev", "test")):
            hub.evaluate(model=model, dataset="reviews", split=split, progress=False)
        for split in ("dev", "test"):
            hub.probe(model="baseline:keyword", dataset="reviews", split=split, progress=False)
        hub.add_model("guesser", write_jsonl(folder / "guess.jsonl", [{"id": r["id"], "label": "positive"} for r in test]))
        hub.evaluate(model="guesser", dataset="reviews", split="test", progress=False)
        public_ids = _public_ids(hub, test)
        # Two submissions with equal public scores (one positive and one negative example wrong each), wrong on
        # different examples: with the public bootstrap seed their intervals differ.
        wrong = {"alice": _one_of_each(test, public_ids, 0), "bob": _one_of_each(test, public_ids, 1)}
        flip = {"positive": "negative", "negative": "positive"}
        submissions = {}
        for user, ids in wrong.items():
            rows = [{"id": r["id"], "label": flip[r["label"]] if r["id"] in ids else r["label"]} for r in test]
            submissions[user] = hub.submit("sentiment", write_jsonl(folder / f"{user}.jsonl", rows), user=user, phase="test").id
        hub.submit("sentiment", write_jsonl(folder / "dev-guess.jsonl", [{"id": f"dev-{i}", "label": "positive"} for i in range(12)]),
                   user="alice", phase="dev")
        # Evaluation jobs: the maintainer's on the hidden split (cached, done at once), alice's on the dev split.
        hub.request_evaluations(user="mia", models=["guesser"], datasets=["reviews"], split="test")
        hub.request_evaluations(user="alice", models=["baseline:keyword"], datasets=["reviews"], split="dev")
        hub.run_worker(once=True)
        tokens = {name: hub.create_token(name)[1] for name in ("admin", "mia", "alice", "bob")}
        info = hub.dataset("reviews")
        # A predictions file on the hidden split is labels by id: its hash is as much an oracle as the split's.
        truths = {"dataset": info.fingerprint, "test split": info.split("test").fingerprint,
                  "guesser": hub.model("guesser").fingerprint}
        yield SimpleNamespace(hub=hub, home=home, tokens=tokens, submissions=submissions, info=info, truths=truths)
        hub.close()


def _public_ids(hub: Hub, rows: list[dict]) -> set[str]:
    with hub.session() as session:
        bench = session.scalar(select(BenchmarkRow).where(BenchmarkRow.name == "sentiment"))
        mask = public_mask(bench.split_seed, [r["id"] for r in rows], bench.settings["public_fraction"])
    return {r["id"] for r, public in zip(rows, mask) if public}


def _one_of_each(rows: list[dict], public_ids: set[str], index: int) -> set[str]:
    """The `index`-th public positive and the `index`-th public negative example."""
    return {[r["id"] for r in rows if r["id"] in public_ids and r["label"] == label][index] for label in ("positive", "negative")}


def bearer(hidden, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {hidden.tokens[user]}"}


def get(client: TestClient, url: str, headers: dict[str, str]):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.text)
    return response.json()


def crawl_urls(app, hidden) -> list[str]:
    """Every GET route of the app with its path parameters filled by every existing value, and the query
    variants whose parameters the route takes."""
    with hidden.hub.session() as session:
        models = list(session.scalars(select(ModelRow.name)))
        evaluations = [str(i) for i in session.scalars(select(EvaluationRow.id))]
        submissions = [str(i) for i in session.scalars(select(SubmissionRow.id))]
        assert session.scalar(select(ProbeRunRow.id)) is not None
        jobs = [str(i) for i in session.scalars(select(EvaluationJobRow.id))]
    values = {"dataset": ["reviews"], "phase": ["dev", "test"], "evaluation_id": evaluations, "submission_id": submissions,
              "task": ["text-classification"], "prefix": ["bh_"], "job_id": jobs}
    urls = ["/api/health", "/openapi.json", "/api/docs"]
    routes = [route for router in (api_catalog, api_accounts, api_benchmarks, api_jobs, api_uploads, web, web_benchmarks, web_jobs)
              for route in router.router.routes
              if isinstance(route, APIRoute) and "GET" in route.methods and route.path != "/static/plotly.min.js"]  # a library file
    documented = {path for path, methods in app.openapi()["paths"].items() if "get" in methods}
    assert documented <= {route.path for route in routes} | {"/api/health"}  # the crawl knows every documented route
    for route in routes:
        names = re.findall(r"\{(\w+)(?::\w+)?\}", route.path)
        first = route.path.strip("/").split("/")[1 if route.path.startswith("/api/") else 0]
        choices = {**values, "name": {"datasets": ["reviews"], "models": models, "benchmarks": ["sentiment"]}.get(first, ["x"])}
        taken = {param.alias for param in route.dependant.query_params}
        for filled in itertools.product(*(choices[name] for name in names)):
            path = route.path
            for name, value in zip(names, filled, strict=True):
                path = re.sub(r"\{" + name + r"(?::\w+)?\}", quote(value, safe=":"), path)
            urls += [path + query for query in QUERIES
                     if not query or {part.split("=")[0] for part in query[1:].split("&")} <= taken]
    return urls


def leaks(text: str, truths: dict[str, str]) -> list[str]:
    """Which true fingerprints show in `text`, whole or as any run of 12 of their hex digits."""
    lowered = text.lower()
    return [what for what, value in truths.items()
            if any(value[i:i + 12] in lowered for i in range(len(value) - 11))]


def test_no_response_shows_a_fingerprint_that_covers_hidden_labels(hidden, monkeypatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    app = create_app(HubConfig(home=hidden.home, database_url=f"sqlite:///{hidden.home / 'hub.db'}"))
    urls = crawl_urls(app, hidden)
    assert len(urls) > 60
    anonymous, cookie = TestClient(app), signed_in(TestClient(app), hidden.tokens["alice"])
    callers = [(anonymous, {}), (anonymous, bearer(hidden, "alice")), (cookie, {}), (anonymous, bearer(hidden, "bob"))]
    found, answered = [], 0
    for phase_closed in (False, True):
        if phase_closed:
            hidden.hub.close_phase("sentiment", "test", user="mia")
        for url, (client, headers) in itertools.product(urls, callers):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, (url, response.text)
            answered += response.status_code == 200
            found += [(url, what) for what in leaks(response.text, hidden.truths)]
    assert found == []
    assert answered > 300  # most of the crawl got real content, not only refusals
    # The check is not vacuous: the same routes show the true fingerprints to the benchmark's maintainers.
    for user in ("mia", "admin"):
        shown = anonymous.get("/api/datasets/reviews", headers=bearer(hidden, user)).text
        assert leaks(shown, hidden.truths) == ["dataset", "test split"]
        assert leaks(anonymous.get("/api/evaluations?split=dev", headers=bearer(hidden, user)).text, hidden.truths) == ["dataset"]
        assert leaks(anonymous.get("/models", headers=bearer(hidden, user)).text, hidden.truths) == ["guesser"]


def test_a_keyed_digest_stands_in_for_a_fingerprint_that_covers_hidden_labels(hidden):
    client = TestClient(create_app(hidden.hub.config))
    secret = load_secret(hidden.home)

    def digest(value: str) -> str:
        return hmac.new(secret, b"benchhub fingerprint digest\x00" + value.encode(), hashlib.sha256).hexdigest()

    info = hidden.info
    for headers in ({}, bearer(hidden, "alice")):
        document = get(client, "/api/datasets/reviews", headers)
        assert (document["fingerprint"], document["digest"]) == (None, digest(info.fingerprint))
        assert document["splits"] == [
            {"name": "train", "num_rows": 40, "fingerprint": info.split("train").fingerprint, "hidden": None},
            {"name": "dev", "num_rows": 12, "fingerprint": info.split("dev").fingerprint, "hidden": None},
            {"name": "test", "num_rows": 40, "fingerprint": None, "digest": digest(info.split("test").fingerprint), "hidden": HIDDEN},
        ]
        assert get(client, "/api/datasets", headers)[0] == document
    maintained = get(client, "/api/datasets/reviews", bearer(hidden, "mia"))
    assert maintained["fingerprint"] == info.fingerprint and "digest" not in maintained
    assert [s["fingerprint"] for s in maintained["splits"]] == [info.split(n).fingerprint for n in ("train", "dev", "test")]
    page = client.get("/datasets/reviews").text
    assert f"<code>{digest(info.fingerprint)[:16]}</code>" in page and f"<code>{digest(info.split('test').fingerprint)[:12]}</code>" in page
    assert HIDDEN in page and f"<code>{info.split('dev').fingerprint[:12]}</code>" in page
    assert f"<code>{info.fingerprint[:16]}</code>" in client.get("/datasets/reviews", headers=bearer(hidden, "admin")).text


def test_evaluations_on_a_hidden_split_come_without_metrics_for_all_but_its_maintainers(hidden):
    client = TestClient(create_app(hidden.hub.config))
    alice, mia = bearer(hidden, "alice"), bearer(hidden, "mia")
    listed = get(client, "/api/evaluations?dataset=reviews&split=test", alice)
    assert sorted(e["model"] for e in listed) == ["baseline:keyword", "baseline:majority", "guesser"]
    for evaluation in listed + [get(client, f"/api/evaluations/{e['id']}", alice) for e in listed]:
        assert (evaluation["metrics"], evaluation["details"], evaluation["hidden"]) == ({}, {}, HIDDEN)
        assert evaluation["provenance"]["dataset"]["fingerprint"] is None
        assert evaluation["provenance"]["dataset"]["split_fingerprint"] is None
        split = next(s for s in get(client, "/api/datasets/reviews", alice)["splits"] if s["name"] == "test")
        assert evaluation["provenance"]["dataset"]["split_digest"] == split["digest"]  # the same data, the same digest
        assert evaluation["efficiency"] == {}  # a predictions file's size, in it, would count label lengths
        model = hidden.hub.model(evaluation["model"])
        assert evaluation["provenance"]["model"]["fingerprint"] == (None if model.kind == "predictions" else model.fingerprint)
        assert evaluation["provenance"]["packages"] and evaluation["task"] == "text-classification"
        assert client.get(f"/api/evaluations/{evaluation['id']}/examples", headers=alice).status_code == 403
    guesser = next(e for e in get(client, "/api/evaluations?dataset=reviews&split=test", mia) if e["model"] == "guesser")
    assert guesser["hidden"] is None and guesser["metrics"]["accuracy"]["value"] == 0.5
    assert guesser["details"]["confusion_matrix"] == [[0, 20], [0, 20]]
    assert guesser["provenance"]["dataset"]["split_fingerprint"] == hidden.info.split("test").fingerprint
    # Other splits keep their metrics; only the dataset's fingerprint (which covers the hidden split) is keyed.
    for evaluation in get(client, "/api/evaluations?dataset=reviews&split=dev", alice):
        assert evaluation["hidden"] is None and set(evaluation["metrics"]) >= {"accuracy", "macro_f1"}
        assert evaluation["provenance"]["dataset"]["fingerprint"] is None and len(evaluation["provenance"]["dataset"]["digest"]) == 64
        assert evaluation["provenance"]["dataset"]["split_fingerprint"] == hidden.info.split("dev").fingerprint
    refused = client.get("/api/leaderboards/reviews?split=test", headers=alice)
    assert refused.status_code == 403 and HIDDEN in refused.json()["error"]["message"]
    page = client.get("/leaderboards/reviews?split=test", headers=alice)
    assert page.status_code == 403 and HIDDEN in page.text
    ranked = get(client, "/api/leaderboards/reviews?split=test", mia)["rows"]
    assert sorted(r["model"] for r in ranked) == ["baseline:keyword", "baseline:majority", "guesser"]
    # A comparison on the hidden split is per-example signal too: its maintainers only.
    compare = "/api/compare?a=baseline:keyword&b=guesser&dataset=reviews&split=test"
    refused = client.get(compare, headers=alice)
    assert refused.status_code == 403 and "may not read the per-example results" in refused.json()["error"]["message"]
    for sliced in ("&slice=label=positive", "&slice=length=0-9"):
        assert client.get(compare + sliced, headers=alice).status_code == 403
    assert get(client, compare, mia)["examples"] == 40
    assert client.get(compare.replace("split=test", "split=dev"), headers=alice).status_code == 404  # guesser: test only


def test_a_predictions_file_on_a_hidden_split_shows_neither_its_fingerprint_nor_its_size(hidden):
    client = TestClient(create_app(hidden.hub.config))
    record = hidden.hub.model("guesser")
    for headers in ({}, bearer(hidden, "alice")):
        shown = get(client, "/api/models/guesser", headers)
        assert (shown["fingerprint"], len(shown["digest"]), shown["info"]) == (None, 64, {})
        assert next(m for m in get(client, "/api/models", headers) if m["name"] == "guesser") == shown
        keyword = get(client, "/api/models/baseline:keyword", headers)  # a baseline's fingerprint is its name and version
        assert keyword["fingerprint"] == hidden.hub.model("baseline:keyword").fingerprint
    maintained = get(client, "/api/models/guesser", bearer(hidden, "mia"))
    assert maintained["fingerprint"] == record.fingerprint and maintained["info"] == {"size_bytes": record.info["size_bytes"]}


def test_probe_runs_on_a_hidden_split_come_without_results(hidden):
    client = TestClient(create_app(hidden.hub.config))
    for headers in ({}, bearer(hidden, "alice")):
        runs = {run["split"]: run for run in get(client, "/api/models/baseline:keyword/probes", headers)}
        assert (runs["test"]["results"], runs["test"]["summary"], runs["test"]["hidden"]) == ({}, {}, HIDDEN)
        assert runs["dev"]["hidden"] is None and runs["dev"]["results"]["probes"]
    maintained = {run["split"]: run for run in get(client, "/api/models/baseline:keyword/probes", bearer(hidden, "mia"))}
    assert maintained["test"]["hidden"] is None and maintained["test"]["results"]["probes"]


def test_the_model_page_says_which_benchmark_hides_a_result(hidden):
    client = TestClient(create_app(hidden.hub.config))
    for headers in ({}, bearer(hidden, "alice")):
        page = client.get("/models/guesser", headers=headers).text
        assert HIDDEN in page and "Not evaluated yet" not in page and "0.333" not in page
        keyword = client.get("/models/baseline:keyword", headers=headers).text
        assert keyword.count(HIDDEN) == 2  # its evaluation and its probe run on the hidden split
        assert 'href="/leaderboards/reviews?split=dev"' in keyword and 'href="/leaderboards/reviews?split=test"' not in keyword
    maintained = client.get("/models/guesser", headers=bearer(hidden, "mia")).text
    assert HIDDEN not in maintained and "0.333 [" in maintained  # macro-F1 of always "positive" on a balanced split


def test_equal_public_scores_look_the_same_to_participants_whatever_examples_they_got_right(hidden):
    client = TestClient(create_app(hidden.hub.config))
    ids = hidden.submissions

    def scores(user: str, viewer: str) -> dict:
        return get(client, f"/api/benchmarks/sentiment/submissions/{ids[user]}", bearer(hidden, viewer))["public_metrics"]

    # Their maintainers see that the intervals differ: an interval tells which examples were right.
    assert scores("alice", "mia") != scores("bob", "mia")
    assert {k: v["value"] for k, v in scores("alice", "mia").items()} == {k: v["value"] for k, v in scores("bob", "mia").items()}
    assert scores("alice", "alice") == scores("bob", "bob")
    assert all(entry["ci_low"] is None and entry["ci_high"] is None for entry in scores("alice", "alice").values())
    listed = get(client, "/api/benchmarks/sentiment/submissions?phase=test", bearer(hidden, "alice"))
    assert [s["public_metrics"] for s in listed] == [scores("alice", "alice")]
    for headers in ({}, bearer(hidden, "alice"), bearer(hidden, "bob")):
        rows = get(client, "/api/benchmarks/sentiment/board?phase=test", headers)["rows"]
        assert [row["metrics"] for row in rows] == [scores("alice", "alice")] * 2
    maintained = get(client, "/api/benchmarks/sentiment/board?phase=test", bearer(hidden, "mia"))["rows"]
    assert {row["user"]: row["metrics"] for row in maintained} == {"alice": scores("alice", "mia"), "bob": scores("bob", "mia")}
    # A phase with public labels keeps its intervals (they tell nothing the labels do not).
    dev = get(client, "/api/benchmarks/sentiment/board?phase=dev", {})["rows"]
    assert dev[0]["metrics"]["accuracy"]["ci_low"] is not None
    # Once the phase closes, the private half's scores appear: as points too.
    if hidden.hub.benchmark("sentiment").phase("test").closed_at is None:
        hidden.hub.close_phase("sentiment", "test", user="mia")
    private = get(client, f"/api/benchmarks/sentiment/submissions/{ids['alice']}", bearer(hidden, "alice"))["private_metrics"]
    assert private["accuracy"] == {"value": 1.0, "ci_low": None, "ci_high": None}
    rows = get(client, "/api/benchmarks/sentiment/board?phase=test&kind=private", bearer(hidden, "bob"))["rows"]
    assert [row["metrics"]["accuracy"] for row in rows] == [{"value": 1.0, "ci_low": None, "ci_high": None}] * 2
    maintained = get(client, "/api/benchmarks/sentiment/board?phase=test&kind=private", bearer(hidden, "mia"))["rows"]
    assert all(row["metrics"]["accuracy"]["ci_low"] is not None for row in maintained)


def test_a_repeated_submission_answers_with_point_scores_as_the_cli_prints_them(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    home = tmp_path / "hub"
    setup = make_benchmark(Hub(HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}")), tmp_path / "files")
    alice = {"Authorization": f"Bearer {setup.hub.create_token('alice')[1]}", "Idempotency-Key": "k-1"}
    content = setup.predictions("alice.jsonl", wrong={setup.test_rows[0]["id"]}).read_bytes()
    client = TestClient(create_app(setup.hub.config))

    def post():
        response = client.post("/api/benchmarks/sentiment/submissions", headers=alice, data={"phase": "test"},
                               files={"file": ("alice.jsonl", content, "application/jsonl")})
        assert response.status_code == 201, response.text
        return response

    assert post().json()["public_metrics"] is None
    setup.hub.run_worker(once=True)
    replayed = post()
    assert replayed.headers["Idempotent-Replayed"] == "true"
    scores = replayed.json()["public_metrics"]
    assert scores and all(entry["ci_low"] is None and entry["ci_high"] is None for entry in scores.values())
    [mine] = setup.hub.submissions("sentiment", user="alice")
    assert mine.public_metrics["accuracy"]["ci_low"] is not None  # stored with intervals; the server leaves them out
    setup.hub.close()
