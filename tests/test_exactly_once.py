"""A job that runs several times at once (retries, duplicate workers) stores its result once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from benchhub.store.tables import EvaluationRow
from tests.conftest import review_rows, write_jsonl


def test_concurrent_runs_of_one_evaluation_leave_one_row_and_one_file(open_hub, database_url, tmp_path):
    first = open_hub()
    first.add_dataset("reviews", splits={"train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
                                         "test": write_jsonl(tmp_path / "test.jsonl", review_rows(60, seed=2, prefix="test"))},
                      id_column="id")
    first.evaluate(model="baseline:keyword", dataset="reviews", progress=False)  # fits the baseline once
    hubs = [open_hub() for _ in range(6)]
    start = threading.Barrier(len(hubs))
    results, errors = [], []

    def rerun(hub) -> None:
        start.wait()
        try:
            results.append(hub.evaluate(model="baseline:keyword", dataset="reviews", use_cache=False, progress=False))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=rerun, args=(hub,)) for hub in hubs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(results) == 6
    with first.session() as session:
        rows = session.scalars(select(EvaluationRow)).all()
        assert session.scalar(select(func.count()).select_from(EvaluationRow)) == 1
    stored = rows[0]
    assert {r.metrics["macro_f1"]["value"] for r in results} == {stored.metrics["macro_f1"]["value"]}
    files = sorted(p.name for p in first.artifacts.path("evaluations").iterdir())
    assert files == [stored.predictions_path.split("/")[-1]]


def test_upgrading_a_hub_with_duplicate_results_keeps_the_newest_of_each_key(tmp_path, isolated_hub):
    from alembic import command
    from sqlalchemy import create_engine, text

    from benchhub import Hub
    from tests.test_store import alembic_config

    with Hub.open() as hub:
        hub.add_dataset("reviews", splits={"train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
                                           "test": write_jsonl(tmp_path / "test.jsonl", review_rows(30, seed=2, prefix="test"))},
                        id_column="id")
        hub.evaluate(model="baseline:majority", dataset="reviews", progress=False)
    engine = create_engine(f"sqlite:///{isolated_hub / 'hub.db'}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
        row = dict(connection.execute(text("SELECT id FROM evaluations")).mappings().one())
        columns = ("cache_key, model_id, dataset_id, split, task, task_version, task_config, metrics, details, efficiency, "
                   "provenance, predictions_path, created_at")
        connection.execute(text(f"INSERT INTO evaluations (id, {columns}) SELECT id + 1, {columns} FROM evaluations"))
        assert connection.execute(text("SELECT count(*) FROM evaluations")).scalar() == 2
    engine.dispose()
    with Hub.open() as hub, hub.session() as session:
        assert session.scalars(select(EvaluationRow.id)).all() == [row["id"] + 1]


def test_prediction_files_no_evaluation_names_are_removed_once_they_are_old(isolated_hub, tmp_path):
    """What a worker killed between writing its predictions and committing them leaves behind."""
    import os
    import time

    from benchhub import Hub
    from benchhub.evaluation.evaluations import remove_orphan_predictions

    with Hub.open() as hub:
        hub.add_dataset("reviews", id_column="id", splits={"train": write_jsonl(tmp_path / "train.jsonl", review_rows(20, seed=2, prefix="r")),
                                                           "test": write_jsonl(tmp_path / "test.jsonl", review_rows(20, seed=1, prefix="t"))})
        stored = hub.evaluate(model="baseline:majority", dataset="reviews", progress=False)
        folder = hub.artifacts.path("evaluations")
        (named,) = list(folder.iterdir())
        orphan, partial = folder / "0123456789abcdef-99-1.jsonl.gz", folder / ".0123456789abcdef-99-2.jsonl.gz.x1y2"
        orphan.write_bytes(b"x")
        partial.write_bytes(b"x")
        with hub.session() as session:
            assert remove_orphan_predictions(session, hub.artifacts) == 0  # too new: its run may still commit
            an_hour_ago = time.time() - 3600
            for path in (named, orphan, partial):
                os.utime(path, (an_hour_ago, an_hour_ago))
            assert remove_orphan_predictions(session, hub.artifacts) == 2
        assert list(folder.iterdir()) == [named]
        assert hub.evaluate(model="baseline:majority", dataset="reviews", progress=False).id == stored.id


def test_hubs_opened_in_several_threads_at_once_all_open(database_url, isolated_hub):
    # Alembic publishes its context as module globals: two threads that upgraded at once broke each other
    # (KeyError: 'script'); the upgrade now runs one at a time per process.
    from benchhub import Hub

    start, opened, errors = threading.Barrier(4), [], []

    def open_one() -> None:
        start.wait(timeout=30)
        try:
            opened.append(Hub.open(isolated_hub, database_url=database_url))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(opened) == 4
    for hub in opened:
        assert hub.datasets() == []
        hub.close()


def test_two_registrations_of_one_name_at_once_keep_one_whole_dataset(open_hub, database_url, isolated_hub, tmp_path,
                                                                       monkeypatch):
    # Both pass the name check before either commits (held together at the fingerprint, which comes after it), so
    # the loser meets the unique index. It used to replace the winner's folder and then remove it in its undo.
    from benchhub.catalog import datasets as service
    from benchhub.errors import NameTakenError

    splits = {"train": write_jsonl(tmp_path / "train.jsonl", review_rows(20, seed=4, prefix="train")),
              "test": write_jsonl(tmp_path / "test.jsonl", review_rows(40, seed=3, prefix="test"))}
    met, real = threading.Barrier(2), service.dataset_fingerprint

    def fingerprint(*args, **kwargs):
        met.wait(timeout=30)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "dataset_fingerprint", fingerprint)
    hubs, outcomes = [open_hub(), open_hub()], {}

    def register(index: int, exist_ok: bool) -> None:
        try:
            hubs[index].add_dataset("same", splits=splits, id_column="id", exist_ok=exist_ok)
            outcomes[index] = "registered"
        except NameTakenError as error:
            outcomes[index] = str(error)

    for exist_ok in (False, True):
        threads = [threading.Thread(target=register, args=(index, exist_ok)) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if not exist_ok:
            assert sorted(outcomes.values()) == [
                "A dataset named 'same' was registered at the same time by another request; choose another name, or "
                "use that one.", "registered"]
            folders = sorted(p.name for p in (isolated_hub / "artifacts" / "datasets").iterdir())
            assert len(folders) == 1 and folders[0].startswith("same")  # the loser's folder is gone, the winner's whole
            evaluation = open_hub().evaluate(model="baseline:majority", dataset="same", progress=False)
            assert evaluation.metrics["accuracy"]["value"] == 0.5  # 20 positive and 20 negative test rows, read back
            open_hub().remove_dataset("same", cascade=True)
            outcomes.clear()
        else:  # the same content again, at once: both get the one dataset
            assert outcomes == {0: "registered", 1: "registered"}
            assert [d.name for d in open_hub().datasets()] == ["same"]
