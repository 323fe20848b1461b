"""Shared fixtures: every test gets its own hub home and caches, offline."""

from __future__ import annotations

import json
import os

# Each pytest-xdist process gets its share of the CPUs for torch and ONNX Runtime (the loaders read OMP_NUM_THREADS),
# as the local pool gives each job its share: two processes of two threads each on two cores slow both down.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, len(os.sched_getaffinity(0)) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))))

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from benchhub import Hub
from tests.fixtures.tiny_bert import build_tiny_bert

POSITIVE = ["great", "wonderful", "loved", "excellent", "fantastic", "superb", "enjoyable", "brilliant"]
NEGATIVE = ["awful", "terrible", "hated", "boring", "bad", "dreadful", "dull", "painful"]
TOPICS = ["film", "plot", "acting", "soundtrack", "ending", "cast", "script", "pacing"]


@pytest.fixture(autouse=True)
def isolated_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "hub"
    monkeypatch.setenv("BENCHHUB_HOME", str(home))
    monkeypatch.delenv("BENCHHUB_DATABASE_URL", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-datasets"))
    return home


def review_rows(n: int, *, seed: int, prefix: str) -> list[dict]:
    """Short sentiment reviews whose label follows from one sentiment word."""
    import random

    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = "positive" if i % 2 == 0 else "negative"
        word = rng.choice(POSITIVE if label == "positive" else NEGATIVE)
        topic = rng.choice(TOPICS)
        rows.append({"id": f"{prefix}-{i}", "text": f"the {topic} was {word}", "label": label})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def add_review_datasets(hub: Hub, folder: Path) -> None:
    """Registers reviews-a and reviews-b (40 train and 30 test reviews each, different ids), the matrix tests' datasets."""
    for name, seed in (("reviews-a", 1), ("reviews-b", 5)):
        hub.add_dataset(name, id_column="id", splits={
            "train": write_jsonl(folder / f"{name}-train.jsonl", review_rows(40, seed=seed, prefix="train")),
            "test": write_jsonl(folder / f"{name}-test.jsonl", review_rows(30, seed=seed + 1, prefix=name))})


@pytest.fixture
def review_files(tmp_path: Path) -> dict[str, Path]:
    """A train and a test JSONL file of short reviews (40 and 24 rows)."""
    return {
        "train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
        "test": write_jsonl(tmp_path / "test.jsonl", review_rows(24, seed=2, prefix="test")),
    }


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT classifier with labels negative/positive, randomly initialised."""
    corpus = [row["text"] for row in review_rows(200, seed=3, prefix="c")]
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), corpus, ["negative", "positive"])


POSTGRES_VARIABLE = "BENCHHUB_TEST_POSTGRES_URL"
HOW_TO_GET_POSTGRES = (
    "`make test` starts a throwaway PostgreSQL 15 server for the run (scripts/postgres.sh, needs Debian's postgresql-15); "
    "to run pytest yourself, `bash scripts/postgres.sh run .venv/bin/python -m pytest ...`, or set "
    f"{POSTGRES_VARIABLE}=postgresql+psycopg://USER@HOST:PORT/DB to a server where USER may create databases; "
    "`-m 'not postgres'` leaves the PostgreSQL tests out"
)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An autocommit engine on the server at $BENCHHUB_TEST_POSTGRES_URL, which creates and drops test databases."""
    url = os.environ.get(POSTGRES_VARIABLE)
    if not url:
        pytest.fail(f"{POSTGRES_VARIABLE} is not set, so this PostgreSQL test cannot run: {HOW_TO_GET_POSTGRES}.", pytrace=False)
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        reason = " ".join(str(exc.orig).split())
        shown = engine.url.render_as_string(hide_password=True)
        pytest.fail(f"Cannot connect to the PostgreSQL server at {POSTGRES_VARIABLE}={shown} ({reason}). {HOW_TO_GET_POSTGRES}.",
                    pytrace=False)
    yield engine
    engine.dispose()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Marks every test that runs on PostgreSQL `postgres`, also where a test picks the database itself
    # (parametrize("database_url", ["postgresql"], indirect=True)), so that `-m 'not postgres'` leaves them all out.
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)
    # The longest files run first (make test keeps this order: --no-loadscope-reorder), so that under its two
    # processes neither ends the run alone on one of them.
    items.sort(key=lambda item: item.path.name not in LONGEST_FILES)  # stable: each file keeps its order


# The test files that take longest (make test's --durations).
LONGEST_FILES = ("test_demo.py", "test_embedding_baseline.py", "test_model_worker_kill.py", "test_evaluation_jobs.py")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, isolated_hub: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The URL of a fresh, empty database, once on SQLite and once on PostgreSQL; BENCHHUB_DATABASE_URL points at it.

    SQLite: the default file, $BENCHHUB_HOME/hub.db. PostgreSQL: a database of its own on the server at
    $BENCHHUB_TEST_POSTGRES_URL, dropped after the test. One database only:
    `@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)`.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{isolated_hub / 'hub.db'}"
        monkeypatch.setenv("BENCHHUB_DATABASE_URL", url)
        yield url
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    name = f"benchhub_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("BENCHHUB_DATABASE_URL", url)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            # Connections a test left open (an unclosed hub, a killed worker) would make DROP DATABASE fail.
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


@pytest.fixture
def open_hub(database_url: str, isolated_hub: Path) -> Iterator[Callable[..., Hub]]:
    """Opens hubs on `database_url` (home: $BENCHHUB_HOME unless given); each is closed after the test.

    Every call opens a new Hub with its own connection pool, like another process would.
    """
    opened: list[Hub] = []

    def open_(home: Path | None = None) -> Hub:
        hub = Hub.open(home or isolated_hub, database_url=database_url)
        opened.append(hub)
        return hub

    yield open_
    for hub in opened:
        hub.close()
