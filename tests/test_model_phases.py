"""Model-submission benchmarks: a phase that takes models, runs them on its hidden split under its limits, and
shows what the host measured (latency, throughput, peak memory) on the board."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from benchhub.cli.benchmark_commands import parse_phase
from benchhub.competitions.benchmarks import DEFAULT_LIMITS, PhaseSpec
from benchhub.competitions.inputs import phase_inputs
from benchhub.competitions.model_scoring import FAULT_VARIABLE
from benchhub.errors import (
    InvalidInputError,
    LimitExceededError,
    PermissionDeniedError,
    PredictionsFormatError,
    UnsafeModelError,
)
from benchhub.store.tables import ModelRow, SubmissionRow
from tests.conftest import review_rows, write_jsonl
from tests.fixtures.benchmarks import dump, score_rows, state, submission_rows
from tests.fixtures.model_submissions import (
    archive_of,
    hub_user,
    left_behind,
    scoring_errors,
)

BENCH = "arena"


def hosted(hub, folder: Path, *, tight_time: int = 2, settings: dict | None = None):
    """Users, a sentiment dataset (dev public, test hidden) and a benchmark whose test phases take models."""
    hub.create_user("admin", admin=True)
    hub.create_user("alice")
    folder.mkdir(parents=True, exist_ok=True)
    test, dev = review_rows(40, seed=2, prefix="test"), review_rows(12, seed=5, prefix="dev")
    hub.add_dataset("reviews", splits={"dev": write_jsonl(folder / "dev.jsonl", dev), "test": write_jsonl(folder / "test.jsonl", test)},
                    id_column="id")
    hub.create_benchmark(BENCH, dataset="reviews", user="admin", settings=settings, phases=[
        PhaseSpec("dev", "dev", labels_public=True),
        PhaseSpec("test", "test", takes="models", limits={"model_size_mb": 20}),
        PhaseSpec("tight", "test", takes="models", limits={"time_limit_seconds": tight_time, "model_size_mb": 1}),
        PhaseSpec("lean", "test", takes="models", limits={"memory_limit_mb": 256}),
    ])
    return test


@pytest.fixture
def arena(open_hub, tmp_path, tiny_bert):
    hub = open_hub()
    test = hosted(hub, tmp_path / "files")
    return hub, test, archive_of(tiny_bert, tmp_path / "model.zip")


def expected_accuracy(hub, tiny_bert: Path, test: list[dict], folder: Path, **kind: str) -> tuple[float, float]:
    """The model's accuracy on the public and the private half, computed apart from the hub's scoring."""
    from benchhub.competitions.benchmarks import public_mask
    from benchhub.store.tables import BenchmarkRow

    hub.add_model("oracle", str(tiny_bert), **kind)
    inputs = write_jsonl(folder / "inputs.jsonl", [{"id": r["id"], "text": r["text"]} for r in test])
    hub.predict("oracle", inputs, dataset="reviews", output=folder / "oracle.jsonl", progress=False)
    predicted = {row["id"]: row["label"] for row in map(json.loads, (folder / "oracle.jsonl").read_text().splitlines())}
    with hub.session() as session:
        bench = session.scalar(select(BenchmarkRow).where(BenchmarkRow.name == BENCH))
        mask = public_mask(bench.split_seed, [r["id"] for r in test], bench.settings["public_fraction"])
    halves = [[r for r, m in zip(test, mask) if m == side] for side in (True, False)]
    return tuple(sum(predicted[r["id"]] == r["label"] for r in half) / len(half) for half in halves)


def test_a_submitted_model_is_run_on_the_hidden_split_scored_measured_rescored_and_kept_out_of_the_catalog(
        arena, tiny_bert, tmp_path, monkeypatch):
    hub, test, archive = arena
    made = hub.submit(BENCH, archive, user="alice", phase="test", idempotency_key="m-1", method_name="tiny BERT")
    assert (made.status, made.phase, made.filename) == ("queued", "test", "model.zip")
    again = hub.submit(BENCH, archive, user="alice", phase="test", idempotency_key="m-1")
    assert again.id == made.id and submission_rows(hub) == 1  # a repeat is answered, not charged
    with hub.session() as session:
        assert session.scalars(select(ModelRow.name)).all() == []  # the model is the submission's, not the catalog's
    assert [m.name for m in hub.models() if not m.name.startswith("baseline:")] == []

    assert hub.run_worker(once=True) == 1
    (scored,) = hub.submissions(BENCH, user="alice", phase="test")
    assert scored.status == "scored", scored.error
    public, private = expected_accuracy(hub, tiny_bert, test, tmp_path)
    assert scored.public_metrics["accuracy"]["value"] == pytest.approx(public)
    assert scored.private_metrics is None  # the phase is open: the private half stays unseen by its participant
    measured = scored.measurements
    assert measured["latency_ms"] > 0 and measured["throughput"] > 0 and measured["seq_len"] == 128
    assert 100 < measured["peak_memory_mb"] < DEFAULT_LIMITS["memory_limit_mb"]
    assert measured["machine"]["cpu"] and "run_seconds" not in measured
    # The task's default invariance probes, each on the examples it changed in the public half.
    assert {"typos", "case-upper", "neutral-filler"} <= set(measured["probes"]) <= {
        "typos", "case-lower", "case-upper", "strip-punctuation", "contractions", "name-swap", "neutral-filler"}
    assert 0 <= measured["flip_rate"] <= 1
    assert measured["flip_rate"] == pytest.approx(sum(measured["probes"].values()) / len(measured["probes"]), abs=1e-4)

    board = hub.benchmark_board(BENCH, phase="test")
    (row,) = board.rows
    assert (row.user, row.submission_id, row.method_name) == ("alice", made.id, "tiny BERT")
    assert row.metrics["accuracy"]["value"] == pytest.approx(public) and row.measurements == measured
    assert row.score == scored.public_metrics[board.metric]["value"]
    maintainer_view = hub.submissions(BENCH, user="admin", phase="test")[0]
    assert maintainer_view.private_metrics["accuracy"]["value"] == pytest.approx(private)
    # Nothing of the run stays beside the model: the hidden split's predictions were scored and removed.
    with hub.session() as session:
        model_folder = hub.artifacts.path(session.scalar(select(SubmissionRow.file_path)))
    assert sorted(p.name for p in model_folder.parent.iterdir()) == ["model"]

    assert hub.rescore(BENCH, user="admin", phase="test") == 1
    assert hub.run_worker(once=True) == 1
    assert score_rows(hub, made.id) == [(1, False), (2, True)]
    rescored = hub.submissions(BENCH, user="alice", phase="test")[0]
    assert rescored.score_version == 2 and rescored.public_metrics["accuracy"]["value"] == pytest.approx(public)
    entries = [e.action for e in hub.audit_log(BENCH, user="admin")]
    assert entries == ["create_benchmark", "rescore"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_onnx_model_folder_is_submitted_and_run_with_onnx_runtime(open_hub, tmp_path):
    from tests.fixtures.crafted_models import tiny_onnx_folder

    hub = open_hub()
    test = hosted(hub, tmp_path / "files")
    folder = tiny_onnx_folder(tmp_path / "onnx", [r["text"] for r in review_rows(50, seed=3, prefix="c")])
    made = hub.submit(BENCH, archive_of(folder, tmp_path / "onnx.zip"), user="alice", phase="test")
    assert hub.run_worker(once=True) == 1
    (scored,) = hub.submissions(BENCH, user="alice", phase="test")
    assert (scored.id, scored.status) == (made.id, "scored"), scored.error
    public, _ = expected_accuracy(hub, folder, test, tmp_path, kind="onnx")
    assert scored.public_metrics["accuracy"]["value"] == pytest.approx(public)
    assert scored.measurements["runtime"] == "onnx" and scored.measurements["throughput"] > 0


def test_a_model_over_the_phase_time_limit_fails_with_the_reason_and_is_not_charged(arena, monkeypatch, tiny_bert, tmp_path):
    hub, _, _ = arena
    small = archive_of(tiny_bert, tmp_path / "small.zip")
    assert small.stat().st_size < 1024 * 1024  # under the tight phase's 1 MB
    monkeypatch.setenv(FAULT_VARIABLE, "sleep:60")
    made = hub.submit(BENCH, small, user="alice", phase="tight")
    assert hub.run_worker(once=True) == 1
    (failed,) = hub.submissions(BENCH, user="alice", phase="tight")
    assert failed.status == "failed" and failed.measurements is None
    assert failed.error == "The model was stopped: it ran longer than the phase's time limit of 2 s."
    assert scoring_errors(hub, BENCH) == {made.id: "stopped: it ran longer than the phase's time limit of 2 s"}
    assert hub.benchmark_board(BENCH, phase="tight").rows == []


def test_a_model_over_the_phase_memory_limit_is_stopped_with_the_reason(arena, monkeypatch):
    hub, _, archive = arena
    monkeypatch.setenv(FAULT_VARIABLE, "allocate:600")
    made = hub.submit(BENCH, archive, user="alice", phase="lean")
    assert hub.run_worker(once=True) == 1
    (failed,) = hub.submissions(BENCH, user="alice", phase="lean")
    assert failed.status == "failed" and failed.score_version is None
    assert re.fullmatch(r"The model was stopped: it used [\d,]+ MB of memory, over the phase's limit of 256 MB\.", failed.error)
    assert re.fullmatch(r"stopped: it used [\d,]+ MB of memory, over the phase's limit of 256 MB", scoring_errors(hub, BENCH)[made.id])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_model_submissions_count_against_the_daily_limit_and_refused_ones_do_not(open_hub, tmp_path, tiny_bert):
    hub = open_hub()
    hosted(hub, tmp_path / "files", settings={"max_per_day": 1})
    archive = archive_of(tiny_bert, tmp_path / "model.zip")
    pickled = tmp_path / "pickled.zip"
    pickled.write_bytes(refused_archives(tiny_bert)["pickle-only"][0])
    for _ in range(3):
        with pytest.raises(UnsafeModelError):
            hub.submit(BENCH, pickled, user="alice", phase="test")
    bare = tmp_path / "model"  # named as the folder the archive is extracted to
    bare.write_bytes(archive.read_bytes())
    first = hub.submit(BENCH, bare, user="alice", phase="test")
    assert first.filename == "model"
    with hub.session() as session:
        stored = hub.artifacts.path(session.scalar(select(SubmissionRow.file_path)))
    assert stored.name == "model" and (stored / "config.json").is_file()
    assert sorted(p.name for p in stored.parent.iterdir()) == ["model"]  # the archive is gone once extracted
    with pytest.raises(LimitExceededError, match=r"^You have made 1 submissions to phase 'test' of benchmark 'arena' today \(UTC\); "
                                                 r"the limit is 1 a day\."):
        hub.submit(BENCH, archive, user="alice", phase="test")
    assert [s.id for s in hub.submissions(BENCH, user="alice")] == [first.id]
    assert left_behind(hub, BENCH) == [Path(hub.artifacts.path(first_path(hub))).parent.name]


def first_path(hub) -> str:
    with hub.session() as session:
        return session.scalar(select(SubmissionRow.file_path))


def test_a_model_that_fails_while_running_tells_its_participant_nothing_of_the_hidden_split(arena, tiny_bert, tmp_path):
    hub, test, _ = arena
    # A config whose labels the dataset does not have: loading it for the dataset fails.
    config = json.loads((tiny_bert / "config.json").read_text())
    config["id2label"] = {"0": "sad", "1": "glad"}
    config["label2id"] = {"sad": 0, "glad": 1}
    broken = archive_of(tiny_bert, tmp_path / "broken.zip", skip=("config.json",), extra={"config.json": json.dumps(config).encode()})
    made = hub.submit(BENCH, broken, user="alice", phase="test")
    hub.run_worker(once=True)
    (failed,) = hub.submissions(BENCH, user="alice", phase="test")
    assert failed.status == "failed"
    assert failed.error == "The model failed while running on the phase's split; the maintainers can see the cause."
    shown = dump(failed)
    assert not any(row["text"] in shown or row["id"] in shown for row in test)
    assert scoring_errors(hub, BENCH)[made.id].startswith("the model failed: ")  # the maintainers read the cause


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(f"m/{name}", content)
    return buffer.getvalue()


def refused_archives(tiny_bert: Path) -> dict[str, tuple[bytes, type, str]]:
    config = json.loads((tiny_bert / "config.json").read_text())
    remote = {**config, "auto_map": {"AutoModelForSequenceClassification": "modeling_evil.EvilModel"}}
    plain = {p.name: p.read_bytes() for p in tiny_bert.iterdir() if p.is_file()}
    return {
        "pickle-only": (zip_bytes({**{k: v for k, v in plain.items() if not k.endswith(".safetensors")},
                                   "pytorch_model.bin": b"\x80\x02}q\x00."}),
                        UnsafeModelError, r"model\.zip holds weights only as pickle files \(pytorch_model\.bin\), which benchhub never loads"),
        "remote-code": (zip_bytes({**plain, "config.json": json.dumps(remote).encode(), "modeling_evil.py": b"import os"}),
                        UnsafeModelError, r"model\.zip"),
        "no-head": (zip_bytes({**plain, "config.json": json.dumps({**config, "architectures": ["BertModel"]}).encode()}),
                    InvalidInputError, r"has no task head"),
        "over-size": (zip_bytes({**plain, "padding.bin": os.urandom(2 * 1024 * 1024)}),
                      InvalidInputError, r"model\.zip is 2\.\d MB; phase 'tight' takes models of up to 1 MB \(its model_size_mb limit\)\."),
        "predictions-file": (b'{"id": "test-0", "label": "positive"}\n', PredictionsFormatError,
                             r"^Phase 'tight' takes models, not predictions files: submit a \.zip or \.tar\.gz of a transformers "
                             r"\(safetensors\) or ONNX model folder; the hub runs it on the phase's split\.$"),
    }


@pytest.mark.parametrize("case", ["pickle-only", "remote-code", "no-head", "over-size", "predictions-file"])
def test_a_refused_model_costs_nothing_and_leaves_nothing_behind(open_hub, tmp_path, tiny_bert, case):
    hub = open_hub()
    hosted(hub, tmp_path / "files")
    content, error, message = refused_archives(tiny_bert)[case]
    sent = tmp_path / "model.zip"
    sent.write_bytes(content)
    before = state(hub)
    with pytest.raises(error, match=message) as caught:
        hub.submit(BENCH, sent, user="alice", phase="tight", idempotency_key="k")
    assert str(tmp_path) not in str(caught.value)  # the hub's folders are not the sender's business
    assert state(hub) == before and submission_rows(hub) == 0
    assert left_behind(hub, BENCH) == []
    # Refused models were not charged: the same key is free for a good model.
    good = archive_of(tiny_bert, tmp_path / "good.zip")
    assert hub.submit(BENCH, good, user="alice", phase="tight", idempotency_key="k").status == "queued"


def test_a_models_phase_never_releases_its_inputs_and_predictions_phases_refuse_models(arena, tmp_path):
    hub, test, archive = arena
    with hub.session() as session:
        for user in (None, hub_user(session, "alice"), hub_user(session, "admin")):
            with pytest.raises(PermissionDeniedError, match=r"^Phase 'test' of 'arena' takes models: its inputs are never released"):
                phase_inputs(session, hub.artifacts, BENCH, "test", user=user)
        assert len(phase_inputs(session, hub.artifacts, BENCH, "dev", user=None)[1]) == 12
    with pytest.raises(PredictionsFormatError, match=r"^Phase 'dev' takes predictions files, and model\.zip is an archive: "
                                                     r"submit the predictions file itself"):
        hub.submit(BENCH, archive, user="alice", phase="dev")
    assert submission_rows(hub) == 0 and left_behind(hub, BENCH) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_phase_specs_take_models_with_limits_and_refuse_what_cannot_work(open_hub, tmp_path):
    spec = parse_phase("test=test:models,time=30,memory=2048,size=50,closes=2030-01-01T00:00Z")
    assert (spec.takes, spec.labels_public, spec.limits) == ("models", False, {"time_limit_seconds": 30, "memory_limit_mb": 2048,
                                                                                "model_size_mb": 50})
    assert parse_phase("dev=dev:public") == PhaseSpec("dev", "dev", labels_public=True)
    for value, message in [("dev=dev:public,time=5", r"time= is a limit of a models phase; write dev=dev:models,time=5"),
                           ("t=test:models,time=soon", r"time='soon' is not a whole number \(seconds\)"),
                           ("t=test:hidden", r"only ':public' \(labels released\) or ':models'")]:
        with pytest.raises(InvalidInputError, match=message):
            parse_phase(value)
    hub = open_hub()
    hosted(hub, tmp_path / "files")
    phase = next(p for p in hub.benchmark(BENCH).phases if p.name == "tight")
    assert (phase.takes, phase.limits) == ("models", {**DEFAULT_LIMITS, "time_limit_seconds": 2, "model_size_mb": 1})
    for spec, message in [
        (PhaseSpec("m", "test", labels_public=True, takes="models"), r"Phase 'm' takes models, so its split stays hidden"),
        (PhaseSpec("m", "test", takes="models", limits={"memory_limit_mb": 10}),
         r"Phase 'm': limit 'memory_limit_mb' must be an int in the range \[256, 1048576\]\. Got 10 instead\."),
        (PhaseSpec("m", "test", takes="models", limits={"gpus": 1}), r"Phase 'm': unknown limit 'gpus'"),
        (PhaseSpec("m", "test", limits={"time_limit_seconds": 5}), r"Phase 'm' takes predictions files, so it has no model limits"),
        (PhaseSpec("m", "test", takes="weights"), r"Phase 'm' takes 'weights'; a phase takes one of \['predictions', 'models'\]"),
        (PhaseSpec("p", "test"), r"The inputs of reviews/test cannot be both released and withheld: phase 'p' releases them \(it "
                                 r"takes predictions files\) and phase 'lean' of benchmark 'arena' takes models"),
    ]:
        with pytest.raises(InvalidInputError, match=message):
            hub.create_benchmark("other", dataset="reviews", user="admin", phases=[spec])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_models_phases_over_http_the_web_page_and_the_cli_board(open_hub, tmp_path, tiny_bert, monkeypatch):
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from benchhub.cli.app import app as cli
    from benchhub.server import create_app
    from tests.fixtures.browser import signed_in

    monkeypatch.setenv("BENCHHUB_IN_PROCESS_SCORING", "0")
    hub = open_hub()
    hosted(hub, tmp_path / "files")
    alice = {"Authorization": f"Bearer {hub.create_token('alice')[1]}"}
    admin = {"Authorization": f"Bearer {hub.create_token('admin')[1]}"}
    url = f"/api/benchmarks/{BENCH}"
    archive = archive_of(tiny_bert, tmp_path / "model.zip").read_bytes()
    with TestClient(create_app(hub.config)) as client:
        created = client.post("/api/benchmarks", headers=admin, json={
            "name": "api-made", "dataset": "reviews", "phases": [
                {"name": "m", "split": "test", "takes": "models", "limits": {"time_limit_seconds": 60}}]})
        assert created.status_code == 201, created.text
        assert created.json()["phases"][0]["limits"] == {**DEFAULT_LIMITS, "time_limit_seconds": 60}
        inputs = client.get(f"{url}/phases/test/inputs", headers=admin)
        assert inputs.status_code == 403 and "its inputs are never released" in inputs.json()["error"]["message"]
        wrong = client.post(f"{url}/submissions", headers=alice, data={"phase": "test"},
                            files={"file": ("predictions.jsonl", b'{"id": "test-0", "label": "positive"}\n', "application/jsonl")})
        assert wrong.status_code == 422 and wrong.json()["error"]["message"].startswith("Phase 'test' takes models, not predictions files")
        sent = client.post(f"{url}/submissions", headers={**alice, "Idempotency-Key": "http-1"}, data={"phase": "test"},
                           files={"file": ("model.zip", archive, "application/zip")})
        assert sent.status_code == 201, sent.text
        body = sent.json()
        assert (body["status"], body["filename"], body["measurements"]) == ("queued", "model.zip", None)
        assert "file_path" not in body and "submissions/" not in sent.text
        assert hub.run_worker(once=True) == 1
        board = client.get(f"{url}/board", params={"phase": "test"}).json()
        (row,) = board["rows"]
        assert row["submission_id"] == body["id"] and row["measurements"]["throughput"] > 0
        assert row["measurements"]["peak_memory_mb"] > 100 and row["measurements"]["latency_ms"] > 0
        page = signed_in(client, hub.create_token("alice")[1]).get(f"/benchmarks/{BENCH}").text
        assert "examples/s (batch 32)" in page and "peak memory MB" in page
        assert f'{row["measurements"]["peak_memory_mb"]:,.1f}' in page
        assert "never released: submit a model, which the hub runs on them (600 s, 4,096 MB of memory, models up to 20 MB)" in page
    shown = CliRunner().invoke(cli, ["benchmark", "board", BENCH, "--phase", "test"], env={"COLUMNS": "250"})
    assert shown.exit_code == 0, shown.output
    assert "latency ms (batch 1)" in shown.output and "examples/s (batch 32)" in shown.output
    assert f'{row["measurements"]["throughput"]:.4f}' in shown.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_admin_makes_a_models_phase_on_the_web_form(open_hub, tmp_path):
    from fastapi.testclient import TestClient

    from benchhub.server import create_app
    from benchhub.server.sessions import CSRF_COOKIE
    from tests.fixtures.browser import signed_in

    hub = open_hub()
    hosted(hub, tmp_path / "files")
    with TestClient(create_app(hub.config)) as client:
        signed_in(client, hub.create_token("admin")[1])
        page = client.get("/benchmarks/new").text
        assert "participants submit models" in page and "Memory limit (MB), for a phase that takes models (default 4,096)" in page
        form = {"csrf": client.cookies[CSRF_COOKIE], "name": "web-made", "dataset": "reviews",
                "phase_name": ["m", "", ""], "phase_split": ["test", "", ""], "phase_visibility": ["models", "hidden", "hidden"],
                "phase_opens": ["", "", ""], "phase_closes": ["", "", ""], "phase_time_limit_seconds": ["90", "", ""],
                "phase_memory_limit_mb": ["", "", ""], "phase_model_size_mb": ["", "", ""]}
        made = client.post("/benchmarks/new", data=form, follow_redirects=False)
        assert made.status_code == 303, made.text
        bad = client.post("/benchmarks/new", data={**form, "name": "web-bad", "phase_time_limit_seconds": ["soon", "", ""]})
        assert bad.status_code == 422 and "Phase 1&#39;s time limit (s) &#39;soon&#39; is not a whole number." in bad.text
    (phase,) = hub.benchmark("web-made").phases
    assert (phase.takes, phase.limits) == ("models", {**DEFAULT_LIMITS, "time_limit_seconds": 90})


def test_a_board_of_models_can_be_weighed_by_what_the_host_measured():
    from datetime import datetime, timezone

    from benchhub.ranking.benchmark_boards import board_columns, rank_board
    from benchhub.ranking.dynascore import read_weights
    from benchhub.results import Board, BoardRow

    at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    rows = [BoardRow(rank=1, user="slow", submission_id=1, submitted_at=at, score=0.9, metrics={"accuracy": {"value": 0.9}},
                     measurements={"latency_ms": 40.0, "throughput": 100.0, "peak_memory_mb": 900.0, "flip_rate": 0.2}),
            BoardRow(rank=2, user="fast", submission_id=2, submitted_at=at, score=0.8, metrics={"accuracy": {"value": 0.8}},
                     measurements={"latency_ms": 4.0, "throughput": 1000.0, "peak_memory_mb": 500.0, "flip_rate": 0.1})]
    board = Board(benchmark=BENCH, phase="test", kind="public", metric="macro_f1", rows=rows)
    columns = board_columns("text-classification", "macro_f1", measured=True)
    assert {c.name: c.cost for c in columns[-4:]} == {"latency_ms": True, "throughput": False, "peak_memory_mb": True,
                                                      "flip_rate": True}
    assert "latency_ms" not in {c.name for c in board_columns("text-classification", "macro_f1")}
    by_metric = rank_board(board, read_weights("metric:1", columns), source="viewer")
    assert [r.user for r in by_metric.rows] == ["slow", "fast"]
    by_speed = rank_board(board, read_weights("metric:1,latency_ms:5", columns), source="viewer")
    assert [r.user for r in by_speed.rows] == ["fast", "slow"] and by_speed.dynascore.costs == ["latency_ms"]
    assert [r.metric_rank for r in by_speed.rows] == [2, 1]
    assert by_speed.rows[0].dynascore > by_speed.rows[1].dynascore


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_causal_language_model_is_submitted_to_a_summarization_phase_and_scored_as_the_catalog_would(open_hub, tmp_path):
    from importlib import resources

    from benchhub.catalog.datasets import dataset_facts, get_dataset_row, load_split
    from benchhub.competitions.benchmarks import public_mask
    from benchhub.store.tables import BenchmarkRow
    from benchhub.tasks.registry import get_task
    from tests.fixtures.tiny_lm import build_tiny_causal_lm

    sample = Path(str(resources.files("benchhub") / "resources" / "summarization_sample"))
    rows = [json.loads(line) for line in (sample / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    folder = build_tiny_causal_lm(tmp_path / "gpt", [r["document"] for r in rows] + [r["summary"] for r in rows],
                                  init_std=0.2)
    hub = open_hub()
    hub.create_user("admin", admin=True)
    hub.create_user("alice")
    hub.add_dataset("news", splits={"train": sample / "train.jsonl", "test": sample / "test.jsonl"},
                    task="summarization", id_column="id")
    for wrong, message in (({"max_new_tokens": 0}, "Setting 'model_settings': --max-new-tokens must be an int"),
                           ({"doc_stride": 3}, "Setting 'model_settings': --doc-stride does not apply to summarization"),
                           ([6], "Setting 'model_settings' must be an object")):
        with pytest.raises(InvalidInputError, match=f"^{re.escape(message)}"):
            hub.create_benchmark("digest", dataset="news", user="admin", settings={"model_settings": wrong},
                                 phases=[PhaseSpec("test", "test", takes="models")])
    settings = {"max_new_tokens": 8, "prompt_template": "Article: {input}\nIn short:"}
    hub.create_benchmark("digest", dataset="news", user="admin", settings={"model_settings": settings},
                         phases=[PhaseSpec("test", "test", takes="models")])
    made = hub.submit("digest", archive_of(folder, tmp_path / "gpt.zip"), user="alice", phase="test")
    assert hub.run_worker(once=True) == 1
    (scored,) = hub.submissions("digest", user="alice", phase="test")
    assert (scored.id, scored.status) == (made.id, "scored"), scored.error
    assert list(scored.public_metrics) == ["rouge1", "rouge2", "rougeL", "rougeLsum"]
    measured = scored.measurements
    assert measured["latency_ms"] > 0 and measured["throughput"] > 0 and measured["runtime"] == "torch"
    assert measured["tokens_per_second"] > 0 and 0 < measured["ttft_ms"] < measured["latency_ms"]
    from benchhub.competitions.boards import measured_columns

    shown = measured_columns(row.measurements for row in hub.benchmark_board("digest", phase="test").rows)
    assert [heading for _, heading in shown][-2:] == ["tokens/s (batch 1)", "ms to first token (batch 1)"]
    # The same checkpoint in the catalog, evaluated on the split with the benchmark's settings, scores the public
    # half the same.
    hub.add_model("copy", folder)
    hub.evaluate(model="copy", dataset="news", progress=False, **settings)
    predicted = {row["id"]: row["predicted"] for row in hub.predictions(model="copy", dataset="news")}
    with hub.session() as session:
        dataset = get_dataset_row(session, "news")
        split, facts = load_split(hub.artifacts, dataset, "test"), dataset_facts(dataset)
        bench = session.scalar(select(BenchmarkRow).where(BenchmarkRow.name == "digest"))
        mask = public_mask(bench.split_seed, list(split.ids), bench.settings["public_fraction"])
    public = split.subset([i for i, shown in enumerate(mask) if shown])
    expected = get_task("summarization").score(public, [predicted[i] for i in public.ids], facts)
    assert {k: v["value"] for k, v in scored.public_metrics.items()} == pytest.approx(
        {k: v["value"] for k, v in expected.metrics.items()}, abs=1e-12)
