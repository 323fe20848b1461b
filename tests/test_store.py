"""Opening a hub: database creation and migrations, configuration, and what `import benchhub` costs."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import benchhub
from benchhub import Hub
from benchhub.errors import ConfigError
from benchhub.store.database import MIGRATIONS, create_hub_engine
from benchhub.store.tables import Base
from tests.conftest import review_rows, write_jsonl

TABLES = [
    "alembic_version", "api_tokens", "audit_log", "benchmark_members", "benchmark_phases", "benchmarks", "dataset_splits",
    "datasets", "evaluation_jobs", "evaluations", "models", "probe_runs", "scoring_jobs", "speed_runs", "submission_scores", "submissions",
    "users",
]


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def read(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


def query(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def schema(url: str) -> dict[str, dict]:
    """Every table's columns (name, type, nullable), indexes, unique constraints and foreign keys, as the database reports them."""
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        return {
            table: {
                "columns": [(c["name"], type(c["type"]).__name__, c["nullable"]) for c in inspector.get_columns(table)],
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)),
                "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
                "foreign_keys": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]), f["options"].get("ondelete"))
                    for f in inspector.get_foreign_keys(table)
                ),
            }
            for table in inspector.get_table_names()
        }
    finally:
        engine.dispose()


def test_opening_a_hub_creates_the_database_at_the_newest_schema(isolated_hub):
    assert not isolated_hub.exists()
    with Hub.open() as hub:
        assert hub.config.home == isolated_hub
        assert hub.config.database_url == f"sqlite:///{isolated_hub / 'hub.db'}"
    db = isolated_hub / "hub.db"
    assert db.is_file()
    assert head_revision() == "0013"
    assert read(db, "SELECT version_num FROM alembic_version") == [("0013",)]
    assert [name for (name,) in read(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")] == TABLES


def test_a_new_database_gets_the_newest_schema(database_url, open_hub):
    hub = open_hub()
    assert hub.config.database_url == database_url
    assert hub.datasets() == [] and hub.models() == []
    assert query(database_url, "SELECT version_num FROM alembic_version") == [(head_revision(),)]
    tables = schema(database_url)
    # The migrations build the tables the ORM classes describe (column order aside: added columns come last).
    assert sorted(tables) == sorted([*Base.metadata.tables, "alembic_version"])
    for name, table in Base.metadata.tables.items():
        assert {(c[0], c[2]) for c in tables[name]["columns"]} == {(c.name, c.nullable) for c in table.columns}, name


def test_opening_twice_is_idempotent_and_keeps_the_data(database_url, open_hub, isolated_hub, tmp_path):
    first = open_hub().add_dataset("reviews", write_jsonl(tmp_path / "r.jsonl", review_rows(6, seed=0, prefix="r")))
    before = schema(database_url)
    ddl = read(isolated_hub / "hub.db", "SELECT sql FROM sqlite_master ORDER BY name") if database_url.startswith("sqlite") else None
    assert open_hub().datasets() == [first]
    with Hub.open() as hub:  # the database_url fixture points BENCHHUB_DATABASE_URL at the same database
        assert hub.dataset("reviews") == first
    with Hub.open(isolated_hub) as hub:
        assert hub.datasets() == [first]
    assert query(database_url, "SELECT version_num FROM alembic_version") == [(head_revision(),)]
    assert schema(database_url) == before
    if ddl is not None:
        assert read(isolated_hub / "hub.db", "SELECT sql FROM sqlite_master ORDER BY name") == ddl


def test_an_older_database_is_upgraded_in_place_keeping_its_rows(database_url, isolated_hub):
    sqlite = database_url.startswith("sqlite")
    engine = create_hub_engine(database_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text("INSERT INTO datasets VALUES (1, 'd', 'text-classification', 'f', '{}', '{}', '[]', 'datasets/d', "
                                "'2026-01-01 00:00:00')"))
        connection.execute(text("INSERT INTO models VALUES (1, 'm', 'baseline', 'majority', 'f', '{}', '{}', NULL, '2026-01-01 00:00:00')"))
        connection.execute(text("INSERT INTO models VALUES (2, 'my-rules', 'baseline', 'models/my-rules/rules.yaml', 'g', '{}', '{}', "
                                "NULL, '2026-01-01 00:00:00')"))
        connection.execute(text("INSERT INTO evaluations VALUES (7, 'k', 1, 1, 'test', 'text-classification', '1', '{}', '{}', '{}', "
                                "'{}', '{}', 'evaluations/x.jsonl.gz', '2026-01-01 00:00:00')"))
    engine.dispose()
    if sqlite:
        assert "AUTOINCREMENT" not in read(isolated_hub / "hub.db", "SELECT sql FROM sqlite_master WHERE name = 'evaluations'")[0][0]
    with Hub.open() as hub:
        assert hub.dataset("d").options == {}  # the column migration 0003 added, with its default
        assert hub.dataset("d").created_at == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert query(database_url, "SELECT version_num FROM alembic_version") == [(head_revision(),)]
    assert query(database_url, "SELECT id, cache_key, predictions_path FROM evaluations") == [(7, "k", "evaluations/x.jsonl.gz")]
    # 0009: a rules file registered by a user is a model of kind "rules"; built-in baselines keep "baseline".
    assert query(database_url, "SELECT name, kind FROM models ORDER BY id") == [("m", "baseline"), ("my-rules", "rules")]
    assert {index[0] for index in schema(database_url)["evaluations"]["indexes"]} >= {
        "ix_evaluations_cache_key", "ix_evaluations_dataset_split"}
    if sqlite:
        assert "AUTOINCREMENT" in read(isolated_hub / "hub.db", "SELECT sql FROM sqlite_master WHERE name = 'evaluations'")[0][0]


def test_register_evaluate_and_rank(database_url, open_hub, review_files):
    hub = open_hub()
    dataset = hub.add_dataset("reviews", splits=review_files, id_column="id")
    majority = hub.evaluate(model="baseline:majority", dataset="reviews", progress=False)
    keyword = hub.evaluate(model="baseline:keyword", dataset="reviews", progress=False)
    assert majority.metrics["accuracy"]["value"] == 0.5
    assert majority.metrics["macro_f1"]["value"] == pytest.approx(1 / 3)
    assert keyword.metrics["accuracy"]["value"] == 0.875
    assert keyword.metrics["macro_f1"]["value"] == pytest.approx(0.873015873015873)

    board = hub.leaderboard(dataset="reviews", progress=False)
    assert board.metric == "macro_f1"
    assert [(row.rank, row.model) for row in board.rows] == [
        (1, "baseline:tfidf-logreg"), (2, "baseline:keyword"), (3, "baseline:majority")]
    assert board.rows[1].metrics == keyword.metrics
    assert [row.tied_with_leader for row in board.rows] == [False, True, False]

    # Another hub on the same database (as another process would open it) reads everything back unchanged.
    other = open_hub()
    assert other.datasets() == [dataset]
    again = other.evaluate(model="baseline:keyword", dataset="reviews", progress=False)
    assert again.cached and again.id == keyword.id
    assert again.metrics == keyword.metrics and again.provenance == keyword.provenance
    assert again.created_at == keyword.created_at and again.created_at.tzinfo == timezone.utc
    rows = other.predictions(model="baseline:keyword", dataset="reviews")
    assert [row["id"] for row in rows] == [f"test-{i}" for i in range(24)]
    assert sum(row["correct"] for row in rows) == 21
    rerun = other.evaluate(model="baseline:keyword", dataset="reviews", use_cache=False, progress=False)
    assert not rerun.cached and rerun.id > max(row.evaluation_id for row in board.rows)
    assert [row.model for row in other.leaderboard(dataset="reviews", progress=False).rows] == [row.model for row in board.rows]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_times_read_back_in_utc_whatever_the_database_timezone(database_url, postgres_admin, open_hub, tmp_path):
    with postgres_admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{make_url(database_url).database}" SET timezone TO \'Asia/Kolkata\''))
    assert query(database_url, "SHOW timezone") == [("Asia/Kolkata",)]
    open_hub().add_dataset("reviews", write_jsonl(tmp_path / "r.jsonl", review_rows(4, seed=0, prefix="r")))
    created = open_hub().dataset("reviews").created_at
    assert created.tzinfo == timezone.utc
    assert abs(datetime.now(timezone.utc) - created) < timedelta(minutes=5)


def test_the_database_url_variable_is_honoured(isolated_hub, tmp_path, monkeypatch):
    other = tmp_path / "elsewhere" / "other.db"
    monkeypatch.setenv("BENCHHUB_DATABASE_URL", f"sqlite:///{other}")
    with Hub.open() as hub:
        assert hub.config.database_url == f"sqlite:///{other}"
        hub.add_dataset("reviews", write_jsonl(tmp_path / "r.jsonl", review_rows(4, seed=0, prefix="r")))
    assert read(other, "SELECT name FROM datasets") == [("reviews",)]
    assert not (isolated_hub / "hub.db").exists()
    assert (isolated_hub / "artifacts" / "datasets" / "reviews" / "test.jsonl").is_file()
    # An explicit URL wins over the variable.
    explicit = tmp_path / "explicit.db"
    with Hub.open(database_url=f"sqlite:///{explicit}") as hub:
        assert hub.datasets() == []
    assert explicit.is_file()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("hub.db", r"^BENCHHUB_DATABASE_URL='hub\.db' is not a database URL; use a SQLAlchemy URL such as"),
        ("://", r"^Cannot parse database URL '://'"),
        ("nosuchdriver://host/db", r"^Cannot use database URL 'nosuchdriver://host/db': Can't load plugin: sqlalchemy\.dialects:nosuchdriver\. "),
        ("postgresql+nosuchdriver://u@host/db", r"^Cannot use database URL 'postgresql\+nosuchdriver://u@host/db'"),
        ("postgresql+psycopg://user:secret@127.0.0.1:1/db", r"^Cannot (use|open) .*'postgresql\+psycopg://user:\*\*\*@127\.0\.0\.1:1/db'"),
        ("sqlite:///{tmp}", r"^Cannot open the hub database at 'sqlite:///.*': unable to open database file\. Check BENCHHUB_DATABASE_URL\.$"),
        ("sqlite:///{tmp}/not-a-db.db", r"^Cannot open the hub database at .*: file is not a database\."),
    ],
    ids=["no-scheme", "unparseable", "unknown-dialect", "unknown-driver", "password-hidden", "a-folder", "not-a-database"],
)
def test_a_bad_database_url_is_a_config_error(url, message, tmp_path, monkeypatch):
    (tmp_path / "not-a-db.db").write_bytes(b"this is not an SQLite database, just some text " * 4)
    monkeypatch.setenv("BENCHHUB_DATABASE_URL", url.format(tmp=tmp_path))
    with pytest.raises(ConfigError, match=message) as caught:
        Hub.open()
    assert "\n" not in str(caught.value)
    assert "secret" not in str(caught.value)


def test_import_benchhub_stays_light():
    heavy = ("torch", "transformers", "sklearn", "datasets", "pandas", "onnxruntime")
    code = f"import json, sys, benchhub; print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_public_names_are_sorted_and_importable():
    assert benchhub.__all__ == sorted(benchhub.__all__)
    assert len(set(benchhub.__all__)) == len(benchhub.__all__)
    module = importlib.import_module("benchhub")
    for name in benchhub.__all__:
        assert getattr(module, name) is not None, name
    namespace: dict = {}
    exec("from benchhub import *", namespace)  # noqa: S102
    assert set(benchhub.__all__) <= set(namespace)
    assert benchhub.__version__ == importlib.metadata.version("benchhub")
