"""Hosted benchmarks over HTTP: multipart submissions with Idempotency-Key, 422/429/409, boards, maintainer
actions, the in-process scoring worker, and no hidden label in any response."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from benchhub.server import create_app
from tests.conftest import write_jsonl
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
