"""A canary planted in a hidden split's gold is absent from every GET response a participant can get: every API
route in the OpenAPI document and every page, signed in with a token and with the session cookie, for extractive QA
(the gold answers) and code generation (the tests, the canonical solutions, and an MBPP problem's tests after the
first). (The phase's inputs carry the contexts, which in extractive QA contain the answers by nature: there the
check is that rows hold nothing but id, question and context, and that the canary is in no question.)"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import pytest
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


@dataclass
class Hosted:
    """A family's hosted benchmark with a hidden split whose gold holds the canary, and what the crawl visits."""

    values: dict[str, str]  # the path parameters of the API routes
    pages: list[str]  # the family's own pages (its dataset, models, leaderboards)
    queries: list[str]  # query strings added to every route
    released: Callable[[list[dict]], str]  # an inputs download's rows, less what the family releases by nature
    hidden_split: str
    job: Any
    ranked: list[str]  # the models the hidden split's board ranks, for its maintainers


def qa_hosted(hub: Hub, tmp_path: Path) -> Hosted:
    """Extractive QA: the inputs carry the contexts, which contain the answers by nature."""
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

    def released(rows: list[dict]) -> str:
        assert rows and all(set(row) == {"id", "question", "context"} for row in rows)
        return json.dumps([{"id": row["id"], "question": row["question"]} for row in rows])

    values = {"name": "codes-bench", "dataset": "codes", "model": "guesser", "evaluation_id": str(evaluation.id),
              "submission_id": str(submission.id), "task": "question-answering", "phase": "test"}
    pages = ["/datasets/codes", "/models/guesser", "/models/baseline:sliding-window", "/leaderboards/codes?split=test",
             "/leaderboards/codes?split=train", "/benchmarks/codes-bench", "/benchmarks/codes-bench/maintain",
             "/models/guesser/card.md", "/models/baseline:sliding-window/card.md", "/models/baseline:context-only/card.md"]
    return Hosted(values, pages, ["?split=test", "?split=test&phase=test&kind=private"], released, "test", job,
                  ["baseline:context-only", "baseline:sliding-window", "guesser"])


def code_hosted(hub: Hub, tmp_path: Path) -> Hosted:
    """Code generation: the canary is in the HumanEval tests and canonical solutions, and in the MBPP tests after the
    first (which bigcode's prompt releases) and the MBPP code; only prompts and entry points are released."""
    train = [{"task_id": f"T/{i}", "prompt": f"def label_{i}(i):\n    \"\"\"Return the label of item i.\"\"\"\n",
              "canonical_solution": "    return str(i)\n", "test": "def check(candidate):\n    assert candidate(1) == '1'\n",
              "entry_point": f"label_{i}"} for i in range(4)]
    humaneval = [{"task_id": f"H/{i}", "prompt": f"def code_{i}(i):\n    \"\"\"Return the code item i was filed under.\"\"\"\n",
                  "canonical_solution": f"    return '{CANARY}-' + str(i)\n",
                  "test": f"def check(candidate):\n    assert candidate({i}) == '{CANARY}-{i}'\n", "entry_point": f"code_{i}"}
                 for i in range(6)]
    mbpp = [{"task_id": 100 + i, "text": f"Write a function code_{i} that returns the code item i was filed under.",
             "code": f"def code_{i}(i):\n    return 'plain' if i == 0 else '{CANARY}-' + str(i)\n",
             "test_list": [f"assert code_{i}(0) == 'plain'", f"assert code_{i}({i + 1}) == '{CANARY}-{i + 1}'"],
             "test_setup_code": ""} for i in range(6)]
    hub.add_dataset("problems", task="code-generation", splits={
        "train": write_jsonl(tmp_path / "train.jsonl", train), "test": write_jsonl(tmp_path / "test.jsonl", humaneval),
        "mbpp": write_jsonl(tmp_path / "mbpp.jsonl", mbpp)})
    hub.create_benchmark("problems-bench", dataset="problems", phases=[PhaseSpec("test", "test"), PhaseSpec("mbpp", "mbpp")],
                         user="admin")
    # A maintainer's own evaluations store each sample's first failing assertion: the hidden test's own line.
    wrong = write_jsonl(tmp_path / "wrong.jsonl", [{"task_id": r["task_id"], "completions": ["    return 'no idea'\n"]}
                                                   for r in humaneval])
    hub.add_model("coder", wrong)
    evaluation = hub.evaluate(model="coder", dataset="problems", split="test", progress=False)
    assert all(CANARY in row["first_failure"] for row in hub.predictions(model="coder", dataset="problems", split="test"))
    hub.evaluate(model="baseline:retrieval", dataset="problems", split="mbpp", progress=False)
    assert all(CANARY in json.dumps(row) for row in hub.predictions(model="baseline:retrieval", dataset="problems", split="mbpp"))
    # alice's submission: one completion prints the tests' constants and raises with them (its outcome's detail
    # quotes the canary); the rest are wrong.
    hostile = ("    import sys\n    print(sys._getframe(1).f_code.co_consts)\n"
               "    raise RuntimeError(repr(sys._getframe(1).f_code.co_consts))\n")
    lines = [{"task_id": r["task_id"], "completions": [hostile if i == 0 else "    return None\n"]} for i, r in enumerate(humaneval)]
    sent = write_jsonl(tmp_path / "alice.jsonl", lines)
    submission = hub.submit("problems-bench", sent, user="alice", phase="test")
    hub.add_model("sent", sent)  # the same file evaluated by a maintainer: its stored outcome quotes the tests
    hub.evaluate(model="sent", dataset="problems", split="test", progress=False)
    (first, *_) = hub.predictions(model="sent", dataset="problems", split="test")
    assert first["first_failure"].startswith("error: RuntimeError") and CANARY in first["first_failure"]
    (job,) = hub.request_evaluations(user="admin", models=["baseline:pass"], datasets=["problems"], split="mbpp")

    def released(rows: list[dict]) -> str:
        assert rows and all(set(row) == {"id", "prompt", "entry_point"} for row in rows)
        return json.dumps(rows)

    values = {"name": "problems-bench", "dataset": "problems", "model": "coder", "evaluation_id": str(evaluation.id),
              "submission_id": str(submission.id), "task": "code-generation", "phase": "test"}
    pages = ["/datasets/problems", "/models/coder", "/models/sent", "/models/baseline:retrieval", "/leaderboards/problems?split=test",
             "/leaderboards/problems?split=mbpp", "/leaderboards/problems?split=train", "/benchmarks/problems-bench",
             "/benchmarks/problems-bench/maintain", "/models/coder/card.md", "/models/baseline:retrieval/card.md",
             "/models/baseline:pass/card.md", "/api/benchmarks/problems-bench/phases/mbpp/inputs"]
    queries = ["?split=test", "?split=mbpp", "?split=test&phase=test&kind=private", "?split=mbpp&phase=mbpp"]
    return Hosted(values, pages, queries, released, "test", job, ["coder", "sent"])


@pytest.mark.parametrize("hosted", [qa_hosted, code_hosted], ids=["question-answering", "code-generation"])
def test_no_get_response_carries_a_hidden_label(tmp_path: Path, monkeypatch, hosted):
    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    home = tmp_path / "hub"
    config = HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}")
    hub = Hub(config)
    hub.create_user("admin", admin=True)
    hub.create_user("alice")
    case = hosted(hub, tmp_path)
    job = case.job
    hub.run_worker(once=True)
    assert hub.job(job.id, user="admin").state == "done"
    assert [s.status for s in hub.submissions(case.values["name"], user="alice")] == ["scored"]
    token = hub.create_token("alice")[1]

    client = signed_in(TestClient(create_app(config)), token)
    values = {**case.values, "prefix": "bh_", "job_id": str(job.id)}
    paths = [path for path, methods in client.get("/openapi.json").json()["paths"].items() if "get" in methods]
    urls = []
    for path in paths:
        filled = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        urls += [filled, *(filled + query for query in case.queries)]
    pages = ["/", "/datasets", "/models", "/benchmarks", "/openapi.json", "/api/docs", "/jobs", f"/jobs?batch={job.batch}",
             "/evaluate", "/upload", f"/jobs/{job.id}", "/jobs?all=true", *case.pages]
    seen = 0
    for url in urls + pages:
        for headers in ({}, {"Authorization": f"Bearer {token}"}):
            response = client.get(url, headers=headers)
            shown = response.text
            if urlsplit(url).path.endswith("/inputs") and response.status_code == 200:
                shown = case.released([json.loads(line) for line in shown.splitlines()])
            assert CANARY not in shown, (url, response.status_code)
            seen += response.status_code == 200
    assert seen > 40  # most of the crawl got real content, not only refusals
    dataset, split, evaluation_id = values["dataset"], case.hidden_split, values["evaluation_id"]
    assert client.get(f"/api/evaluations/{evaluation_id}/examples").status_code == 403
    withheld = client.get(f"/api/evaluations/{evaluation_id}").json()
    assert (withheld["metrics"], withheld["details"]) == ({}, {})
    assert withheld["hidden"] == f"labels of {dataset}/{split} are hidden by benchmark {values['name']}"
    assert client.get(f"/leaderboards/{dataset}?split={split}").status_code == 403
    # The hub's own ranking of the hidden split is its maintainers' (the benchmark's boards are everyone's).
    refused = client.get(f"/api/leaderboards/{dataset}?split={split}")
    assert refused.status_code == 403 and f"hidden by benchmark {values['name']}" in refused.json()["error"]["message"]
    anonymous = TestClient(create_app(config))
    assert anonymous.get(f"/api/leaderboards/{dataset}?split={split}").status_code == 403
    assert anonymous.get(f"/api/leaderboards/{dataset}?split=train").status_code == 200
    admin = {"Authorization": f"Bearer {hub.create_token('admin')[1]}"}
    ranked = client.get(f"/api/leaderboards/{dataset}?split={split}", headers=admin).json()["rows"]
    assert sorted(row["model"] for row in ranked) == case.ranked
    hub.close()
