"""A canary planted in a hidden split's gold answers is absent from every GET response a participant can get:
every API route in the OpenAPI document and every page, signed in with a token and with the session cookie.
(The phase's inputs carry the contexts, which in extractive QA contain the answers by nature: there the
check is that rows hold nothing but id, question and context, and that the canary is in no question.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from benchhub import Hub
from benchhub.competitions.benchmarks import PhaseSpec
from benchhub.config import HubConfig
from benchhub.server import create_app
from tests.conftest import write_jsonl
from tests.fixtures.browser import signed_in

CANARY = "CANARY-GOLD-c41f"


def qa_rows(n: int, prefix: str, canary: bool) -> list[dict]:
    rows = []
    for i in range(n):
        answer = f"{CANARY}-{i}" if canary else f"code-{prefix}-{i}"
        context = f"Item {i} was filed under the code {answer} last spring."
        rows.append({"id": f"{prefix}{i}", "question": f"Which code was item {i} filed under?", "context": context,
                     "answers": {"text": [answer], "answer_start": [context.index(answer)]}})
    return rows


def test_no_get_response_carries_a_hidden_label(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    home = tmp_path / "hub"
    config = HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}")
    hub = Hub(config)
    hub.create_user("admin", admin=True)
    hub.create_user("alice")
    hidden = qa_rows(12, "q", canary=True)
    hub.add_dataset("codes", task="question-answering", id_column="id", splits={
        "train": write_jsonl(tmp_path / "train.jsonl", qa_rows(12, "t", canary=False)),
        "test": write_jsonl(tmp_path / "test.jsonl", hidden)})
    hub.create_benchmark("codes-bench", dataset="codes", phases=[PhaseSpec("test", "test")], user="admin")
    # A maintainer's own evaluation on the hidden split stores per-example rows with the gold answers.
    answers = {row["id"]: "no idea" for row in hidden}
    predictions = tmp_path / "guess.json"
    predictions.write_text(json.dumps(answers), encoding="utf-8")
    hub.add_model("guesser", predictions)
    evaluation = hub.evaluate(model="guesser", dataset="codes", split="test", progress=False)
    hub.evaluate(model="baseline:sliding-window", dataset="codes", split="test", progress=False)
    assert any(CANARY in json.dumps(row) for row in hub.predictions(model="guesser", dataset="codes", split="test"))
    submission = hub.submit("codes-bench", predictions, user="alice", phase="test")
    # An admin's evaluation job on the hidden split: its owner's, never alice's.
    (job,) = hub.request_evaluations(user="admin", models=["baseline:context-only"], datasets=["codes"], split="test")
    hub.run_worker(once=True)
    assert hub.job(job.id, user="admin").state == "done"
    token = hub.create_token("alice")[1]

    client = signed_in(TestClient(create_app(config)), token)
    values = {"name": "codes-bench", "dataset": "codes", "model": "guesser", "evaluation_id": str(evaluation.id),
              "submission_id": str(submission.id), "task": "question-answering", "phase": "test", "prefix": "bh_",
              "job_id": str(job.id)}
    paths = [path for path, methods in client.get("/openapi.json").json()["paths"].items() if "get" in methods]
    urls = []
    for path in paths:
        filled = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        urls += [filled, filled + "?split=test", filled + "?split=test&phase=test&kind=private"]
    pages = ["/", "/datasets", "/datasets/codes", "/models", "/models/guesser", "/models/baseline:sliding-window",
             "/leaderboards/codes?split=test", "/leaderboards/codes?split=train", "/benchmarks", "/benchmarks/codes-bench",
             "/benchmarks/codes-bench/maintain", "/openapi.json", "/api/docs", "/jobs", f"/jobs?batch={job.batch}",
             "/evaluate", "/upload", f"/jobs/{job.id}", "/jobs?all=true", "/models/guesser/card.md", "/models/baseline:sliding-window/card.md",
             "/models/baseline:context-only/card.md"]
    seen = 0
    for url in urls + pages:
        for headers in ({}, {"Authorization": f"Bearer {token}"}):
            response = client.get(url, headers=headers)
            shown = response.text
            if urlsplit(url).path.endswith("/inputs") and response.status_code == 200:
                rows = [json.loads(line) for line in shown.splitlines()]
                assert rows and all(set(row) == {"id", "question", "context"} for row in rows), url
                shown = json.dumps([{"id": row["id"], "question": row["question"]} for row in rows])
            assert CANARY not in shown, (url, response.status_code)
            seen += response.status_code == 200
    assert seen > 40  # most of the crawl got real content, not only refusals
    assert client.get(f"/api/evaluations/{evaluation.id}/examples").status_code == 403
    withheld = client.get(f"/api/evaluations/{evaluation.id}").json()
    assert (withheld["metrics"], withheld["details"]) == ({}, {})
    assert withheld["hidden"] == "labels of codes/test are hidden by benchmark codes-bench"
    assert client.get("/leaderboards/codes?split=test").status_code == 403
    # The hub's own ranking of the hidden split is its maintainers' (the benchmark's boards are everyone's).
    refused = client.get("/api/leaderboards/codes?split=test")
    assert refused.status_code == 403 and "hidden by benchmark codes-bench" in refused.json()["error"]["message"]
    anonymous = TestClient(create_app(config))
    assert anonymous.get("/api/leaderboards/codes?split=test").status_code == 403
    assert anonymous.get("/api/leaderboards/codes?split=train").status_code == 200
    admin = {"Authorization": f"Bearer {hub.create_token('admin')[1]}"}
    ranked = client.get("/api/leaderboards/codes?split=test", headers=admin).json()["rows"]
    assert sorted(row["model"] for row in ranked) == ["baseline:context-only", "baseline:sliding-window", "guesser"]
    hub.close()
