"""Opening a hub: database creation and migrations, configuration, and what `import benchhub` costs."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

import benchhub
from benchhub import Hub
from benchhub.errors import ConfigError
from benchhub.store.database import MIGRATIONS
from tests.conftest import review_rows, write_jsonl

TABLES = ["alembic_version", "api_tokens", "dataset_splits", "datasets", "evaluations", "models", "speed_runs", "users"]


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def read(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


def test_opening_a_hub_creates_the_database_at_the_newest_schema(isolated_hub):
    assert not isolated_hub.exists()
    with Hub.open() as hub:
        assert hub.config.home == isolated_hub
        assert hub.config.database_url == f"sqlite:///{isolated_hub / 'hub.db'}"
    db = isolated_hub / "hub.db"
    assert db.is_file()
    assert head_revision() == "0005"
    assert read(db, "SELECT version_num FROM alembic_version") == [("0005",)]
    assert [name for (name,) in read(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")] == TABLES


def test_opening_twice_is_idempotent_and_keeps_the_data(isolated_hub, tmp_path):
    with Hub.open() as hub:
        first = hub.add_dataset("reviews", write_jsonl(tmp_path / "r.jsonl", review_rows(6, seed=0, prefix="r")))
    schema = read(isolated_hub / "hub.db", "SELECT sql FROM sqlite_master ORDER BY name")
    with Hub.open() as hub:
        assert hub.datasets() == [first]
    with Hub.open(isolated_hub) as hub:
        assert hub.dataset("reviews") == first
    assert read(isolated_hub / "hub.db", "SELECT version_num FROM alembic_version") == [("0005",)]
    assert read(isolated_hub / "hub.db", "SELECT sql FROM sqlite_master ORDER BY name") == schema


def test_an_older_database_is_upgraded_in_place_keeping_its_rows(isolated_hub):
    db = isolated_hub / "hub.db"
    isolated_hub.mkdir()
    engine = create_engine(f"sqlite:///{db}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    engine.dispose()
    with sqlite3.connect(db) as connection:
        connection.executescript("""
            INSERT INTO datasets VALUES (1, 'd', 'text-classification', 'f', '{}', '{}', '[]', 'datasets/d', '2026-01-01 00:00:00');
            INSERT INTO models VALUES (1, 'm', 'baseline', 'majority', 'f', '{}', '{}', NULL, '2026-01-01 00:00:00');
            INSERT INTO evaluations VALUES (7, 'k', 1, 1, 'test', 'text-classification', '1', '{}', '{}', '{}', '{}', '{}',
                                            'evaluations/x.jsonl.gz', '2026-01-01 00:00:00');
        """)
    assert "AUTOINCREMENT" not in read(db, "SELECT sql FROM sqlite_master WHERE name = 'evaluations'")[0][0]
    Hub.open().close()
    assert read(db, "SELECT version_num FROM alembic_version") == [("0005",)]
    assert read(db, "SELECT id, cache_key, predictions_path FROM evaluations") == [(7, "k", "evaluations/x.jsonl.gz")]
    assert "AUTOINCREMENT" in read(db, "SELECT sql FROM sqlite_master WHERE name = 'evaluations'")[0][0]
    assert {name for (name,) in read(db, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'evaluations'")} >= {
        "ix_evaluations_cache_key", "ix_evaluations_dataset_split"}


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
