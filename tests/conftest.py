"""Shared fixtures: every test gets its own hub home and caches, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
