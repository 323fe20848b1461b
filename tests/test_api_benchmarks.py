"""Hosted benchmarks over HTTP: every route for each role, multipart submissions with Idempotency-Key,
422/429/409, boards, maintainer actions, the in-process scoring worker, and no hidden label in any response."""

from __future__ import annotations

import json
import logging
import time
import uuid

import pytest
from fastapi.testclient import TestClient

from benchhub import Hub
from benchhub.competitions import scoring as submission_scoring
from benchhub.competitions.benchmarks import PhaseSpec
from benchhub.config import HubConfig
from benchhub.server import create_app
from tests.conftest import write_jsonl
from tests.fixtures.benchmarks import state
from tests.test_benchmarks import CANARY, qa_rows

URL = "/api/benchmarks"


@pytest.fixture
def served(open_hub, tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    hub = open_hub()
    hub.add_dataset("codes", write_jsonl(tmp_path / "codes.jsonl", qa_rows(30)), task="question-answering")
    hub.create_user("root", admin=True)
    hub.create_user("pat")
    tokens = {name: {"Authorization": f"Bearer {hub.create_token(name)[1]}"} for name in ("root", "pat")}
    with TestClient(create_app(hub.config)) as client:
        yield client, tokens


def answers(**changes: object) -> bytes:
    return json.dumps({**{f"q{i}": "no idea" for i in range(30)}, **changes}).encode()


def upload(client, headers, content: bytes, *, name: str = "predictions.json", key: str | None = None, phase: str = "test"):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(f"{URL}/codes/submissions", headers={**headers, **extra}, data={"phase": phase},
                       files={"file": (name, content, "application/json")})


def create(client, tokens, **settings):
    body = {"name": "codes", "dataset": "codes", "title": "Codes", "phases": [{"name": "test", "split": "test"}],
            "settings": {"max_per_day": 2, "max_bytes": 4000, **settings}}
    assert client.post(URL, json=body, headers=tokens["pat"]).status_code == 403
    response = client.post(URL, json=body, headers=tokens["root"])
    assert response.status_code == 201, response.text
    return response.json()


def test_submissions_over_http_check_limits_repeat_and_rank_without_leaking_hidden_labels(served):
    client, tokens = served
    seen = [json.dumps(create(client, tokens))]
    pat = tokens["pat"]
    assert upload(client, {}, answers()).status_code == 401

    refused = [
        (upload(client, pat, answers(q99="x")), 422, "predictions.json: unknown id 'q99'; it is not a question of this split."),
        (upload(client, pat, b'{"q0": NaN}'), 422, "predictions.json: NaN at ['q0'] is not allowed"),
        (upload(client, pat, b"[" * 5000), 422, "predictions.json is 5,000 bytes; the limit is 4,000."),
        (upload(client, pat, answers(), phase="final"), 404, "Benchmark 'codes' has no phase 'final'"),
    ]
    for response, status, message in refused:
        assert response.status_code == status and message in response.json()["error"]["message"], response.text
        seen.append(response.text)

    first = upload(client, pat, answers(), key="try-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    body = first.json()
    assert (body["status"], body["user"], body["filename"]) == ("queued", "pat", "predictions.json")
    assert "file_path" not in body and "predictions.json" not in json.dumps({k: v for k, v in body.items() if k != "filename"})
    repeat = upload(client, pat, answers(), key="try-1")
    assert repeat.status_code == 201 and repeat.headers["Idempotent-Replayed"] == "true" and repeat.json() == body
    conflict = upload(client, pat, answers(q1="filed"), key="try-1")
    assert conflict.status_code == 409 and "Idempotency key 'try-1' was used" in conflict.json()["error"]["message"]
    second = upload(client, pat, answers(q1="filed"))
    assert second.status_code == 201
    limited = upload(client, pat, answers(q2="filed"))
    assert limited.status_code == 429 and "the limit is 2 a day" in limited.json()["error"]["message"]
    seen += [first.text, repeat.text, conflict.text, second.text, limited.text]

    listed = client.get(f"{URL}/codes/submissions", headers=pat).json()
    assert [s["id"] for s in listed] == [second.json()["id"], body["id"]]
    board = client.get(f"{URL}/codes/board")
    assert board.status_code == 200 and board.json()["rows"] == []  # nothing scored: scoring is left to workers here
    assert client.get(f"{URL}/codes/board?kind=private", headers=pat).status_code == 409
    assert client.get(f"{URL}/codes/audit", headers=pat).status_code == 403
    assert client.post(f"{URL}/codes/phases/test/close", headers=pat).status_code == 403
    seen += [json.dumps(listed), board.text]
    for text in seen:
        assert CANARY not in text


def test_the_server_scores_submissions_in_process_and_maintainers_act_over_http(served, monkeypatch):
    client, tokens = served
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "1")
    create(client, tokens)
    pat, root = tokens["pat"], tokens["root"]
    submitted = upload(client, pat, answers(q1=f"{CANARY}-1")).json()
    deadline = time.monotonic() + 60
    while (current := client.get(f"{URL}/codes/submissions/{submitted['id']}", headers=pat).json())["status"] != "scored":
        assert time.monotonic() < deadline, current
        time.sleep(0.1)
    assert current["public_metrics"]["f1"]["value"] >= 0 and current["private_metrics"] is None
    assert client.put(f"{URL}/codes/final-selection", json={"submissions": [submitted["id"]]}, headers=pat).status_code == 200
    moderated = client.post(f"{URL}/codes/submissions/{submitted['id']}/moderation",
                            json={"action": "hide", "reason": "checking"}, headers=root)
    assert moderated.status_code == 200 and moderated.json()["hidden"] is True
    assert client.post(f"{URL}/codes/submissions/{submitted['id']}/moderation",
                       json={"action": "unhide"}, headers=root).json()["hidden"] is False
    # Through another benchmark's URL: 404, and nothing changed (it used to be written first, then refused).
    astray = client.post(f"{URL}/other/submissions/{submitted['id']}/moderation", json={"action": "hide", "reason": "x"}, headers=root)
    assert astray.status_code == 404 and astray.json()["error"]["message"] == f"Benchmark 'other' has no submission {submitted['id']}."
    assert client.get(f"{URL}/codes/submissions/{submitted['id']}", headers=pat).json()["hidden"] is False
    assert client.post(f"{URL}/codes/rescore", json={}, headers=root).json() == {"queued": 1}
    deadline = time.monotonic() + 60
    while len(history := client.get(f"{URL}/codes/submissions/{submitted['id']}/scores", headers=root).json()) < 2:
        assert time.monotonic() < deadline, history
        time.sleep(0.1)
    assert [(h["version"], h["is_current"]) for h in history] == [(1, False), (2, True)]
    closed = client.post(f"{URL}/codes/phases/test/close", headers=root)
    assert closed.status_code == 200 and closed.json()["is_open"] is False
    private = client.get(f"{URL}/codes/board?kind=private").json()
    assert [(row["rank"], row["user"], row["submission_id"]) for row in private["rows"]] == [(1, "pat", submitted["id"])]
    actions = [entry["action"] for entry in client.get(f"{URL}/codes/audit", headers=root).json()]
    assert actions == ["create_benchmark", "select_final", "hide", "unhide", "rescore", "close_phase"]
    for text in (json.dumps(current), json.dumps(private), json.dumps(history)):
        assert CANARY not in text


# Every /api/benchmarks route × role. Each case runs on a benchmark of its own (so that closing a phase or
# hiding a submission does not change the next case), where "pat" has one scored submission, "mia" is a
# maintainer without being an admin, "olga" is a signed-in user with no part in it, and "ada" an admin who
# is not a member (the creator, "root", is an admin and its first maintainer).
ROLES = {"anonymous": None, "participant": "pat", "outsider": "olga", "maintainer": "mia", "admin": "ada"}


@pytest.fixture(scope="module")
def hosted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hosted")
    home = folder / "hub"
    hub = Hub(HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}"))
    hub.add_dataset("codes", write_jsonl(folder / "codes.jsonl", qa_rows(30)), task="question-answering")
    hub.create_user("root", admin=True)
    hub.create_user("ada", admin=True)
    for name in ("pat", "olga", "mia"):
        hub.create_user(name)
    (folder / "answers.json").write_bytes(answers())
    tokens = {role: {"Authorization": f"Bearer {hub.create_token(user)[1]}"} if user else {} for role, user in ROLES.items()}
    with TestClient(create_app(hub.config)) as client:
        yield hub, client, tokens, folder
    hub.close()


def fresh_benchmark(hub: Hub, folder) -> tuple[str, int]:
    name = f"b-{uuid.uuid4().hex[:8]}"
    hub.create_benchmark(name, dataset="codes", phases=[PhaseSpec("test", "test")], user="root")
    hub.add_member(name, "mia", user="root", role="maintainer")
    submission = hub.submit(name, folder / "answers.json", user="pat", phase="test")
    hub.run_worker(once=True)
    return name, submission.id


def statuses(anonymous: int, participant: int, outsider: int, maintainer: int, admin: int) -> dict[str, int]:
    return dict(zip(ROLES, (anonymous, participant, outsider, maintainer, admin)))


ALL_200 = statuses(200, 200, 200, 200, 200)
MAINTAINERS = statuses(401, 403, 403, 200, 200)
BENCHMARK_ROUTES = [
    ("GET", "", None, ALL_200),
    ("POST", "", "new benchmark", statuses(401, 403, 403, 403, 201)),
    ("GET", "/{b}", None, ALL_200),
    ("GET", "/{b}/board", None, ALL_200),
    ("GET", "/{b}/board?kind=private", None, statuses(409, 409, 409, 200, 200)),  # before close: maintainers only
    ("POST", "/{b}/members", {"user": "olga"}, statuses(401, 403, 403, 204, 204)),
    ("POST", "/{b}/submissions", "file", statuses(401, 201, 201, 201, 201)),  # open enrolment: olga joins by submitting
    ("GET", "/{b}/submissions", None, statuses(401, 200, 200, 200, 200)),
    ("GET", "/{b}/submissions?user=pat", None, statuses(401, 200, 403, 200, 200)),
    ("GET", "/{b}/submissions/{s}", None, statuses(401, 200, 404, 200, 200)),
    ("PATCH", "/{b}/submissions/{s}", {"method_name": "Mine"}, statuses(401, 200, 404, 200, 200)),  # its participant or maintainers
    ("GET", "/{b}/submissions/{s}/scores", None, MAINTAINERS),
    ("POST", "/{b}/submissions/{s}/moderation", {"action": "hide", "reason": "spam"}, MAINTAINERS),
    ("PUT", "/{b}/final-selection", {"submissions": []}, statuses(401, 200, 403, 200, 403)),  # members only
    ("POST", "/{b}/phases/test/close", None, MAINTAINERS),
    ("POST", "/{b}/rescore", {}, MAINTAINERS),
    ("GET", "/{b}/audit", None, MAINTAINERS),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "expected"), BENCHMARK_ROUTES,
                         ids=[f"{method} {URL}{path}" for method, path, _, _ in BENCHMARK_ROUTES])
def test_every_benchmark_route_answers_each_role_as_allowed(hosted, monkeypatch, role, method, path, body, expected):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    hub, client, tokens, folder = hosted
    name, submission_id = fresh_benchmark(hub, folder)
    url = URL + path.format(b=name, s=submission_id)
    before = state(hub)
    if body == "file":
        response = client.post(url, headers=tokens[role], data={"phase": "test"},
                               files={"file": ("answers.json", answers(), "application/json")})
    elif body == "new benchmark":
        response = client.post(url, headers=tokens[role], json={
            "name": f"{name}-new", "dataset": "codes", "phases": [{"name": "test", "split": "test"}]})
    else:
        response = client.request(method, url, headers=tokens[role], json=body)
    assert response.status_code == expected[role], response.text
    assert CANARY not in response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"error"} and response.json()["error"]["message"]
        assert state(hub) == before  # a refusal changes nothing
    elif method != "GET":
        assert state(hub) != before


def test_each_role_sees_only_what_it_may_of_a_hosted_benchmark(hosted, monkeypatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    hub, client, tokens, folder = hosted
    name, submission_id = fresh_benchmark(hub, folder)

    def get(role: str, path: str):
        response = client.get(f"{URL}/{name}{path}", headers=tokens[role])
        assert response.status_code == 200, (role, path, response.text)
        return response.json()

    assert [s["id"] for s in get("participant", "/submissions")] == [submission_id]
    assert get("outsider", "/submissions") == []
    assert [s["id"] for s in get("maintainer", "/submissions")] == [submission_id]
    # Private scores: the maintainers' before the phase closes, everyone's after.
    assert get("participant", f"/submissions/{submission_id}")["private_metrics"] is None
    assert get("maintainer", f"/submissions/{submission_id}")["private_metrics"]["f1"]["value"] == 0.0
    public = get("anonymous", "/board")
    assert [(row["rank"], row["user"], row["submission_id"]) for row in public["rows"]] == [(1, "pat", submission_id)]
    assert "split_seed" not in json.dumps(get("anonymous", "")) and "seed" not in get("anonymous", "")["settings"]
    hub.close_phase(name, "test", user="mia")
    assert get("participant", f"/submissions/{submission_id}")["private_metrics"]["f1"]["value"] == 0.0
    private = get("anonymous", "/board?kind=private")
    assert [(row["rank"], row["user"]) for row in private["rows"]] == [(1, "pat")]
    assert [entry["action"] for entry in get("maintainer", "/audit")] == ["create_benchmark", "add_member", "close_phase"]


def test_a_failing_scoring_in_the_server_logs_and_answers_no_gold_answer(served, monkeypatch, caplog):
    client, tokens = served
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "1")
    create(client, tokens)

    def failing(model, split, task, facts):
        raise RuntimeError(f"the gold answers were {[answer['text'] for answer in split.field('answers')]}")

    monkeypatch.setattr(submission_scoring, "_metrics", failing)
    with caplog.at_level(logging.DEBUG):
        submitted = upload(client, tokens["pat"], answers()).json()
        deadline = time.monotonic() + 60
        while (current := client.get(f"{URL}/codes/submissions/{submitted['id']}", headers=tokens["pat"])).json()["status"] != "failed":
            assert time.monotonic() < deadline, current.text
            time.sleep(0.1)
        seen = [current.text, client.get(f"{URL}/codes/submissions", headers=tokens["root"]).text,
                client.get(f"{URL}/codes/audit", headers=tokens["root"]).text, client.get("/benchmarks/codes").text]
    assert current.json()["error"] == "Scoring failed after 3 attempt(s); the maintainers can see the cause."
    assert caplog.text.count("failed: RuntimeError") == 3  # the worker did log each attempt, by the error's type only
    assert CANARY not in caplog.text
    for text in seen:
        assert CANARY not in text


def test_a_5000_digit_integer_in_a_submission_is_refused_with_422_naming_its_line(served):
    client, tokens = served
    create(client, tokens, max_bytes=100_000)
    content = json.dumps(json.loads(answers()), indent=1).replace('"no idea"', "1" + "0" * 4999, 1).encode()
    refused = upload(client, tokens["pat"], content)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["message"] == (
        "predictions.json, line 2: an integer of more than 4,300 digits (Python's limit); write it as a string or shorten it.")
    assert client.get(f"{URL}/codes/submissions", headers=tokens["pat"]).json() == []
