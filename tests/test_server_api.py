"""The hub server's JSON API: roles, error shapes, hashed tokens, no label leaks, read-only GETs, `benchhub serve`."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from benchhub import Hub, HubConfig
from benchhub.errors import AuthenticationError, InvalidInputError, NameTakenError
from benchhub.evaluation.lookup import list_evaluations
from benchhub.server import create_app
from benchhub.store.tables import EvaluationRow, ModelRow
from tests.conftest import write_jsonl

N = 16  # test rows per dataset: 8 positive, 8 negative
TEXT_CANARY = "CANARY-TEXT-5d1e"
ID_CANARY = "CANARY-ID-8b2c"
# Both datasets share their example ids; beta's gold labels are alpha's with examples 0 and 1 swapped.
# A model's predictions are a dataset's gold labels with the examples in `flips` flipped. With as many
# errors on each gold label, precision = recall = accuracy for both labels, so macro_f1 = 1 - 2k/N:
# 1.0, 0.875 or 0.75 here, exact in binary floating point.
SWAPPED_IN_BETA = {0, 1}
MODELS = {  # name: (flips relative to this dataset's gold, datasets evaluated on) -> macro_f1 per dataset
    "model-a": ("alpha", set(), ("alpha", "beta")),     # alpha 1.0, beta 0.875 (flips 0, 1)   mean 0.9375
    "model-b": ("alpha", {0, 3}, ("alpha", "beta")),    # alpha 0.875, beta 0.875 (flips 1, 3)  mean 0.875
    "model-c": ("alpha", set(), ("alpha",)),            # alpha 1.0                             mean 1.0
    "model-d": ("beta", set(), ("beta",)),              # beta 1.0                              mean 1.0
    "model-e": ("alpha", {2, 3}, ("alpha", "beta")),    # alpha 0.875, beta 0.75 (0, 1, 2, 3)   mean 0.8125
    "model-f": ("beta", {4, 5}, ("beta",)),             # beta 0.875                            mean 0.875
}
FLIP = {"positive": "negative", "negative": "positive"}


def gold(dataset: str) -> list[str]:
    alpha = ["positive" if i % 2 == 0 else "negative" for i in range(N)]
    return alpha if dataset == "alpha" else [FLIP[g] if i in SWAPPED_IN_BETA else g for i, g in enumerate(alpha)]


def split_rows(dataset: str) -> list[dict]:
    words = {"alpha": "the film was", "beta": "the show felt"}[dataset]
    return [
        {"id": f"{ID_CANARY}-{i}", "text": f"{words} {'great' if g == 'positive' else 'awful'} {TEXT_CANARY}", "label": g}
        for i, g in enumerate(gold(dataset))
    ]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-files")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, files: Path) -> Hub:
    """Datasets alpha (train+test) and beta (test), the models above, baseline:majority on alpha,
    and users root (admin) and pat."""
    home = tmp_path_factory.mktemp("server-hub")
    hub = Hub(HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}"))
    train = [{"id": f"train-{i}", "text": "the film was " + ("great" if i % 2 else "awful"), "label": "positive" if i % 2 else "negative"}
             for i in range(12)]
    hub.add_dataset("alpha", splits={"train": write_jsonl(files / "alpha-train.jsonl", train),
                                     "test": write_jsonl(files / "alpha-test.jsonl", split_rows("alpha"))}, id_column="id")
    hub.add_dataset("beta", write_jsonl(files / "beta-test.jsonl", split_rows("beta")), id_column="id")
    for name, (reference, flips, datasets) in MODELS.items():
        predicted = [FLIP[g] if i in flips else g for i, g in enumerate(gold(reference))]
        lines = [{"id": f"{ID_CANARY}-{i}", "label": label} for i, label in enumerate(predicted)]
        hub.add_model(name, write_jsonl(files / f"{name}.jsonl", lines))
        for dataset in datasets:
            hub.evaluate(model=name, dataset=dataset, progress=False)
    hub.evaluate(model="baseline:majority", dataset="alpha", progress=False)
    hub.create_user("root", admin=True)
    hub.create_user("pat")
    yield hub
    hub.close()


@pytest.fixture(scope="module")
def client(hub: Hub) -> TestClient:
    return TestClient(create_app(hub.config))


@pytest.fixture(scope="module")
def tokens(hub: Hub) -> dict[str, str | None]:
    return {"anonymous": None, "user": hub.create_token("pat")[1], "admin": hub.create_token("root")[1]}


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def evaluation_id(hub: Hub, model: str, dataset: str) -> int:
    with hub.session() as session:
        (found,) = list_evaluations(session, model=model, dataset=dataset)
    return found.id


PUBLIC = ["/api/health", "/api/datasets", "/api/datasets/alpha", "/api/models", "/api/models/model-a",
          "/api/leaderboards/alpha", "/api/leaderboards/beta?top=1", "/api/tasks/text-classification/top"]
SIGNED_IN = ["/api/evaluations", "/api/evaluations?dataset=alpha", "/api/evaluations/{evaluation}",
             "/api/evaluations/{evaluation}/examples", "/api/users/me", "/api/tokens"]
ROLES = ("anonymous", "user", "admin")
MATRIX = (
    [("GET", path, None, {"anonymous": 200, "user": 200, "admin": 200}) for path in PUBLIC]
    + [("GET", path, None, {"anonymous": 401, "user": 200, "admin": 200}) for path in SIGNED_IN]
    + [
        ("GET", "/api/users", None, {"anonymous": 401, "user": 403, "admin": 200}),
        ("POST", "/api/users", {"name": "newcomer"}, {"anonymous": 401, "user": 403, "admin": 201}),
        ("POST", "/api/tokens", {"label": "laptop"}, {"anonymous": 401, "user": 201, "admin": 201}),
        ("POST", "/api/tokens", {"user": "root"}, {"anonymous": 401, "user": 403, "admin": 201}),
        ("DELETE", "/api/tokens/bh_00000000", None, {"anonymous": 401, "user": 404, "admin": 404}),
    ]
)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX,
                         ids=[f"{m} {p}{' ' + json.dumps(b) if b else ''}" for m, p, b, _ in MATRIX])
def test_every_endpoint_answers_each_role_as_allowed(hub, client, tokens, role, method, path, body, expected):
    url = path.format(evaluation=evaluation_id(hub, "model-a", "alpha"))
    response = client.request(method, url, json=body, headers=auth(tokens[role]))
    assert response.status_code == expected[role], response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"error"} and response.json()["error"]["message"]


ERROR_CASES = [
    ("GET", "/api/datasets/nope", None, "anonymous", 404, "DatasetNotFoundError", "No dataset named 'nope'; registered datasets: alpha, beta"),
    ("GET", "/api/models/nope", None, "anonymous", 404, "ModelNotFoundError", "No model named 'nope'"),
    ("GET", "/api/evaluations/999999", None, "user", 404, "NotFoundError", "No evaluation with id 999999"),
    ("GET", "/api/tasks/speech-recognition/top", None, "anonymous", 404, "NotFoundError", "Unknown task 'speech-recognition'"),
    ("GET", "/api/no-such-route", None, "anonymous", 404, "HTTPError", "Not Found"),
    ("GET", "/api/leaderboards/alpha?top=0", None, "anonymous", 422, "InvalidInputError", "query.top: Input should be greater than or equal to 1"),
    ("GET", "/api/leaderboards/alpha?metric=bleu", None, "anonymous", 422, "InvalidInputError", "Metric 'bleu' is not reported"),
    ("GET", "/api/leaderboards/alpha?split=dev", None, "anonymous", 404, "SplitNotFoundError", "has no split 'dev'"),
    ("POST", "/api/users", {"name": "bad name!"}, "admin", 422, "InvalidInputError", "User name 'bad name!' is not allowed"),
    ("POST", "/api/users", {"nme": "typo"}, "admin", 422, "InvalidInputError", "name: Field required"),
    ("GET", "/api/users/me", None, "anonymous", 401, "AuthenticationError", "Sign in first"),
    ("GET", "/api/users", None, "user", 403, "PermissionDeniedError", "User 'pat' is not an admin"),
    ("POST", "/api/users", {"name": "PAT"}, "admin", 409, "NameTakenError", "User name 'PAT' is taken by 'pat'"),
]


@pytest.mark.parametrize(("method", "path", "body", "role", "status", "kind", "says"), ERROR_CASES,
                         ids=[f"{case[4]} {case[0]} {case[1]}" for case in ERROR_CASES])
def test_errors_are_json_with_type_message_and_status(client, tokens, method, path, body, role, status, kind, says):
    response = client.request(method, path, json=body, headers=auth(tokens[role]))
    assert response.status_code == status
    assert response.json()["error"]["type"] == kind
    assert says in response.json()["error"]["message"]
    assert (response.headers.get("WWW-Authenticate") == 'Bearer realm="benchhub"') == (status == 401)


def test_unexpected_errors_are_a_generic_500_without_details(hub):
    app = create_app(hub.config)

    def boom() -> None:
        raise RuntimeError(f"secret detail {TEXT_CANARY}")

    app.add_api_route("/api/boom", boom)
    response = TestClient(app, raise_server_exceptions=False).get("/api/boom")
    assert response.status_code == 500
    assert response.json() == {"error": {"type": "InternalError", "message": "Internal server error; the server's log has the details."}}
    assert TEXT_CANARY not in response.text and "Traceback" not in response.text


def test_tokens_are_stored_hashed_only(hub, client, tokens):
    created = client.post("/api/tokens", json={"label": "hash check"}, headers=auth(tokens["user"]))
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    token = created.json()["token"]
    assert token.startswith("bh_") and len(token) > 40 and created.json()["prefix"] == token[:11]
    assert client.get("/api/users/me", headers=auth(token)).json()["name"] == "pat"
    database = Path(hub.config.database_url.removeprefix("sqlite:///")).read_bytes()
    for clear in (token, tokens["user"], tokens["admin"]):
        assert clear.encode() not in database
        assert hashlib.sha256(clear.encode()).hexdigest().encode() in database
    listed = client.get("/api/tokens", headers=auth(tokens["user"])).json()
    assert {t["prefix"] for t in listed} >= {token[:11]} and all(set(t) == {"id", "user", "prefix", "label", "created_at", "last_used_at", "revoked_at"} for t in listed)
    assert {t["user"] for t in listed} == {"pat"}


def test_token_use_is_recorded(client, hub):
    record, token = hub.create_token("pat", label="fresh")
    assert record.last_used_at is None
    client.get("/api/users/me", headers=auth(token))
    (used,) = [t for t in hub.tokens("pat") if t.prefix == record.prefix]
    assert used.last_used_at is not None and used.last_used_at >= record.created_at


@pytest.mark.parametrize("header", ["Bearer bh_not-a-real-token", "Basic cGF0OnB3", "Bearer "], ids=["unknown", "basic", "empty"])
def test_bad_credentials_are_refused_even_on_public_routes(client, header):
    response = client.get("/api/datasets", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "AuthenticationError"


def test_revoked_tokens_are_refused(client, tokens):
    token = client.post("/api/tokens", json={"label": "short-lived"}, headers=auth(tokens["user"])).json()["token"]
    assert client.get("/api/users/me", headers=auth(token)).status_code == 200
    revoked = client.delete(f"/api/tokens/{token[:11]}", headers=auth(tokens["user"]))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    response = client.get("/api/users/me", headers=auth(token))
    assert response.status_code == 401 and "was revoked" in response.json()["error"]["message"]
    assert client.get("/api/datasets", headers=auth(token)).status_code == 401


def test_users_revoke_only_their_own_tokens_admins_any(client, hub, tokens):
    root_token = client.post("/api/tokens", json={"label": "root's"}, headers=auth(tokens["admin"])).json()["token"]
    by_user = client.delete(f"/api/tokens/{root_token[:11]}", headers=auth(tokens["user"]))
    assert by_user.status_code == 404
    assert client.get("/api/users/me", headers=auth(root_token)).status_code == 200
    pat_token = hub.create_token("pat", label="to be revoked by root")[1]
    assert client.delete(f"/api/tokens/{pat_token[:11]}", headers=auth(tokens["admin"])).status_code == 200
    assert client.get("/api/users/me", headers=auth(pat_token)).status_code == 401


def test_admins_create_users_with_a_first_token_and_tokens_for_others(client, tokens):
    created = client.post("/api/users", json={"name": "dana"}, headers=auth(tokens["admin"]))
    assert created.status_code == 201
    assert created.json()["user"]["name"] == "dana" and created.json()["user"]["is_admin"] is False
    me = client.get("/api/users/me", headers=auth(created.json()["token"]["token"]))
    assert me.json()["name"] == "dana"
    for_dana = client.post("/api/tokens", json={"user": "dana", "label": "ci"}, headers=auth(tokens["admin"]))
    assert for_dana.status_code == 201 and for_dana.json()["user"] == "dana"
    assert client.get("/api/users/me", headers=auth(for_dana.json()["token"])).json()["name"] == "dana"
    names = [u["name"] for u in client.get("/api/users", headers=auth(tokens["admin"])).json()]
    assert names == sorted(names) and {"root", "pat", "dana"} <= set(names)


def test_no_get_response_shows_example_text_ids_or_server_paths(hub, client, tokens, files):
    paths = PUBLIC + [p for p in SIGNED_IN if "examples" not in p] + ["/api/users"]
    for path in paths:
        url = path.format(evaluation=evaluation_id(hub, "model-a", "alpha"))
        for role in ROLES:
            response = client.get(url, headers=auth(tokens[role]))
            if response.status_code != 200:
                continue
            assert TEXT_CANARY not in response.text, url
            assert ID_CANARY not in response.text, url
            if url.startswith(("/api/datasets", "/api/models")):
                assert str(files) not in response.text, url
    # Per-example rows carry ids, gold labels and the example's inputs, to signed-in users only (the matrix above
    # has anonymous callers refused).
    examples = client.get(f"/api/evaluations/{evaluation_id(hub, 'model-a', 'alpha')}/examples", headers=auth(tokens["user"]))
    assert ID_CANARY in examples.text and TEXT_CANARY in examples.text


def test_dataset_metadata_is_splits_counts_labels_and_fingerprints(client, hub):
    document = client.get("/api/datasets/alpha").json()
    info = hub.dataset("alpha")
    assert document["task"] == "text-classification" and document["labels"] == ["negative", "positive"]
    assert document["fingerprint"] == info.fingerprint and document["source"] == {}
    assert document["splits"] == [{"name": s.name, "num_rows": s.num_rows, "fingerprint": s.fingerprint, "hidden": None}
                                  for s in info.splits]  # no benchmark hides a split: true fingerprints, nothing hidden
    assert [s["num_rows"] for s in document["splits"]] == [12, N]
    assert [d["name"] for d in client.get("/api/datasets").json()] == ["alpha", "beta"]


def test_models_and_evaluations(client, hub, tokens):
    assert client.get("/api/models/model-a").json()["kind"] == "predictions"
    assert "original" not in client.get("/api/models/model-a").json()["info"]
    evaluations = client.get("/api/evaluations?model=model-a", headers=auth(tokens["user"])).json()
    assert [(e["model"], e["dataset"], e["split"]) for e in evaluations] == [("model-a", "beta", "test"), ("model-a", "alpha", "test")]
    assert [e["metrics"]["macro_f1"]["value"] for e in evaluations] == [pytest.approx(0.875), pytest.approx(1.0)]
    assert "predictions_path" not in evaluations[0]
    beta = client.get("/api/evaluations?dataset=beta&split=test", headers=auth(tokens["user"])).json()
    assert sorted(e["model"] for e in beta) == ["model-a", "model-b", "model-d", "model-e", "model-f"]
    ids = [e["id"] for e in client.get("/api/evaluations", headers=auth(tokens["user"])).json()]
    assert ids == sorted(ids, reverse=True) and len(ids) == sum(len(m[2]) for m in MODELS.values()) + 1
    assert client.get("/api/evaluations?limit=2&offset=1", headers=auth(tokens["user"])).json()[0]["id"] == ids[1]
    assert client.get("/api/evaluations?model=baseline:keyword", headers=auth(tokens["user"])).json() == []
    assert client.get("/api/evaluations?model=ghost", headers=auth(tokens["user"])).status_code == 404
    assert client.get("/api/evaluations?limit=0", headers=auth(tokens["user"])).status_code == 422
    one = client.get(f"/api/evaluations/{ids[0]}", headers=auth(tokens["admin"])).json()
    assert one["id"] == ids[0] and {"metrics", "efficiency", "provenance", "details"} <= set(one)


def test_examples_are_paged(client, hub, tokens):
    evaluation = evaluation_id(hub, "model-e", "alpha")
    page = client.get(f"/api/evaluations/{evaluation}/examples?offset=2&limit=3", headers=auth(tokens["user"])).json()
    assert page["total"] == N and page["offset"] == 2 and page["limit"] == 3
    assert [row["id"] for row in page["examples"]] == [f"{ID_CANARY}-{i}" for i in (2, 3, 4)]
    assert [row["correct"] for row in page["examples"]] == [False, False, True]
    assert [row["gold"] for row in page["examples"]] == ["positive", "negative", "positive"]


def test_examples_are_filtered_sorted_and_carry_their_inputs(client, hub, tokens):
    evaluation = evaluation_id(hub, "model-e", "alpha")
    url = f"/api/evaluations/{evaluation}/examples"
    wrong = client.get(f"{url}?errors=true", headers=auth(tokens["user"])).json()
    assert [row["id"] for row in wrong["examples"]] == [f"{ID_CANARY}-{i}" for i in (2, 3)] and wrong["total"] == 2
    assert wrong["examples"][0]["inputs"] == {"text": split_rows("alpha")[2]["text"]}
    negative = client.get(f"{url}?gold=negative&predicted=positive", headers=auth(tokens["user"])).json()
    assert [row["id"] for row in negative["examples"]] == [f"{ID_CANARY}-3"]
    refused = client.get(f"{url}?sort=size", headers=auth(tokens["user"]))
    assert refused.status_code == 422 and "is not an order" in refused.json()["error"]["message"]
    # A predictions file of labels is sure of each (one-hot scores): by confidence, ties keep split order.
    ordered = client.get(f"{url}?sort=confidence&errors=true", headers=auth(tokens["user"])).json()
    assert [row["id"] for row in ordered["examples"]] == [row["id"] for row in wrong["examples"]]
    assert {row["confidence"] for row in ordered["examples"]} == {1.0}


def test_two_models_are_compared_from_their_stored_evaluations(client, hub, tokens):
    query = "/api/compare?a=model-a&b=model-e&dataset=alpha"
    assert client.get(query).status_code == 401
    document = client.get(query, headers=auth(tokens["user"])).json()
    assert document["contingency"] == {"both_right": 14, "only_a": 2, "only_b": 0, "both_wrong": 0}
    assert document["mcnemar_p_value"] == 0.5 and document["examples"] == N
    macro = document["metrics"][0]
    assert macro["metric"] == "macro_f1" and macro["difference"] == pytest.approx(1.0 - 0.875)
    assert sorted(d["id"] for d in document["disagreements"]) == [f"{ID_CANARY}-2", f"{ID_CANARY}-3"]
    missing = client.get("/api/compare?a=model-a&b=model-d&dataset=alpha", headers=auth(tokens["user"]))
    assert missing.status_code == 404 and "has no evaluation on alpha/test" in missing.json()["error"]["message"]


def test_leaderboard_get_runs_nothing(hub, client):
    def counts() -> tuple[int, int]:
        with hub.session() as session:
            return session.scalar(select(func.count(EvaluationRow.id))), session.scalar(select(func.count(ModelRow.id)))

    before = counts()
    board = client.get("/api/leaderboards/alpha").json()
    assert counts() == before
    # The CLI's leaderboard would evaluate baseline:keyword and baseline:tfidf-logreg here; the GET shows what is stored.
    assert [row["model"] for row in board["rows"]] == ["model-a", "model-c", "model-b", "model-e", "baseline:majority"]
    assert board["metric"] == "macro_f1" and board["rows"][0]["metrics"]["macro_f1"]["value"] == pytest.approx(1.0)


def test_top_models_for_a_task_across_datasets(client):
    ranking = client.get("/api/tasks/text-classification/top?n=10").json()
    assert ranking["metric"] == "macro_f1" and ranking["split"] == "test" and "mean" in ranking["rule"]
    # Means over the datasets each model was evaluated on (see MODELS): c 1.0 and d 1.0 (tied: by name),
    # a 0.9375, b 0.875 on two datasets before f 0.875 on one, e 0.8125. baseline:majority is left out.
    assert [(r["rank"], r["model"], r["mean"]) for r in ranking["rows"]] == [
        (1, "model-c", 1.0), (2, "model-d", 1.0), (3, "model-a", 0.9375), (4, "model-b", 0.875),
        (5, "model-f", 0.875), (6, "model-e", 0.8125),
    ]
    rows = {row["model"]: row for row in ranking["rows"]}
    assert rows["model-a"]["values"] == {"alpha": 1.0, "beta": 0.875}
    assert rows["model-e"]["values"] == {"alpha": 0.875, "beta": 0.75}
    assert rows["model-d"]["values"] == {"beta": 1.0}
    # On alpha, model-a and model-c tie at 1.0: the name decides.
    assert [(l["dataset"], l["model"], l["value"]) for l in ranking["leaders"]] == [("alpha", "model-a", 1.0), ("beta", "model-d", 1.0)]
    top3 = client.get("/api/tasks/text-classification/top?n=3").json()
    assert [row["model"] for row in top3["rows"]] == ["model-c", "model-d", "model-a"]
    assert client.get("/api/tasks/question-answering/top").json() == {
        "task": "question-answering", "split": "test", "metric": "f1", "rule": ranking["rule"], "leaders": [], "rows": [],
    }
    assert client.get("/api/tasks/text-classification/top?split=train").json()["leaders"] == [
        {"dataset": "alpha", "model": None, "value": None, "evaluation_id": None},
    ]


def test_openapi_lists_the_routes(client):
    document = client.get("/openapi.json").json()
    assert document["info"]["title"] == "benchhub"
    assert {
        "/api/health", "/api/datasets", "/api/datasets/{name}", "/api/models", "/api/models/{name}", "/api/evaluations",
        "/api/evaluations/{evaluation_id}", "/api/evaluations/{evaluation_id}/examples", "/api/leaderboards/{dataset}",
        "/api/tasks/{task}/top", "/api/users/me", "/api/users", "/api/tokens", "/api/tokens/{prefix}",
    } <= set(document["paths"])
    assert set(document["paths"]["/api/users"]) == {"get", "post"}
    assert "HTTPBearer" in document["components"]["securitySchemes"]


def test_accounts_service_rules(open_hub):
    hub = open_hub()
    with pytest.raises(InvalidInputError, match=r"User name 'a b' is not allowed; use 1-100 letters"):
        hub.create_user("a b")
    with pytest.raises(InvalidInputError, match="is not allowed"):
        hub.create_user("x" * 101)
    hub.create_user("alice")
    with pytest.raises(NameTakenError, match="User name 'ALICE' is taken by 'alice'"):
        hub.create_user("ALICE")
    with pytest.raises(InvalidInputError, match="at most 200 characters"):
        hub.create_token("alice", label="x" * 201)
    record, token = hub.create_token("alice", label="ci")
    assert record.prefix == token[:11] and record.label == "ci" and record.user == "alice"
    from benchhub.accounts import users as accounts_service

    with hub.session() as session:
        assert accounts_service.authenticate(session, token).name == "alice"
        accounts_service.revoke_token(session, token)  # the whole token works as well as its prefix
        with pytest.raises(AuthenticationError, match="was revoked"):
            accounts_service.authenticate(session, token)
        with pytest.raises(AuthenticationError, match="Unknown API token"):
            accounts_service.authenticate(session, token[:-1])


def test_the_api_on_each_database(open_hub, tmp_path):
    hub = open_hub()
    rows = split_rows("alpha")
    hub.add_dataset("alpha", write_jsonl(tmp_path / "alpha.jsonl", rows), id_column="id")
    hub.add_model("model-a", write_jsonl(tmp_path / "a.jsonl", [{"id": r["id"], "label": r["label"]} for r in rows]))
    hub.evaluate(model="model-a", dataset="alpha", progress=False)
    hub.create_user("root", admin=True)
    token = hub.create_token("root")[1]
    client = TestClient(create_app(hub.config))
    assert client.get("/api/health").json()["database"] == hub.config.database_url.split(":")[0].split("+")[0]
    assert client.get("/api/users/me", headers=auth(token)).json()["name"] == "root"
    assert client.post("/api/users", json={"name": "Root"}, headers=auth(token)).status_code == 409
    (evaluation,) = client.get("/api/evaluations?model=model-a", headers=auth(token)).json()
    assert evaluation["metrics"]["macro_f1"]["value"] == pytest.approx(1.0)
    examples = client.get(f"/api/evaluations/{evaluation['id']}/examples", headers=auth(token)).json()
    assert examples["total"] == N
    top = client.get("/api/tasks/text-classification/top").json()
    assert [(r["model"], r["values"]) for r in top["rows"]] == [("model-a", {"alpha": 1.0})]
    assert client.delete(f"/api/tokens/{token[:11]}", headers=auth(token)).status_code == 200
    assert client.get("/api/users/me", headers=auth(token)).status_code == 401


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchhub.cli", *args], capture_output=True, text=True, env=dict(os.environ), timeout=120)


def test_cli_user_and_token_commands(isolated_hub):
    created = run_cli("user", "create", "ada", "--admin", "--json")
    assert created.returncode == 0, created.stderr
    document = json.loads(created.stdout)
    assert document["user"]["name"] == "ada" and document["user"]["is_admin"] is True
    first = document["token"]["token"]
    plain = run_cli("token", "create", "ada", "--label", "laptop")
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert lines[0].startswith("API token for 'ada' (prefix bh_") and lines[1].startswith("bh_")
    assert "Shown only now" in lines[2]
    second = lines[1]
    client = TestClient(create_app())
    assert client.get("/api/users/me", headers=auth(second)).json() == {**document["user"]}
    listed = run_cli("user", "list", "--json")
    assert [u["name"] for u in json.loads(listed.stdout)] == ["ada"]
    tokens = run_cli("token", "list", "--json")
    assert [t["label"] for t in json.loads(tokens.stdout)] == ["created with the user", "laptop"]
    assert first not in tokens.stdout and second not in tokens.stdout
    revoked = run_cli("token", "revoke", second[:11])
    assert revoked.returncode == 0 and revoked.stdout.strip() == f"Revoked token {second[:11]} of 'ada'."
    assert client.get("/api/users/me", headers=auth(second)).status_code == 401
    assert client.get("/api/users/me", headers=auth(first)).status_code == 200
    duplicate = run_cli("user", "create", "ADA")
    assert duplicate.returncode == 1 and duplicate.stderr.startswith("error: User name 'ADA' is taken by 'ada'")
    unknown = run_cli("token", "create", "nobody")
    assert unknown.returncode == 1 and "No user named 'nobody'" in unknown.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_answers_health_and_openapi(isolated_hub):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "benchhub.cli", "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["status"] == "ok" and response.json()["database"] == "sqlite"
        assert "/api/datasets" in httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).json()["paths"]
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert f"on http://127.0.0.1:{port}" in output
    assert (isolated_hub / "hub.db").is_file()
