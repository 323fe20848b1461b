"""Registering uploaded models and datasets: the checks of `model add` / `dataset add`, all or nothing.

Each archive is built here from the tiny fixtures; a refused upload must leave no row and no file in the hub.
"""

from __future__ import annotations

import json
import re
import shutil
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from benchhub import Hub
from benchhub.catalog import uploads
from benchhub.catalog.uploads import add_dataset_from_upload, add_model_from_upload
from benchhub.errors import InvalidInputError, NameTakenError, UnsafeModelError
from benchhub.store.tables import UserRow
from tests.conftest import review_rows, write_jsonl
from tests.fixtures.crafted_models import remote_code_checkpoint, tiny_onnx_folder

CORPUS = [row["text"] for row in review_rows(200, seed=3, prefix="c")]
TASK = "text-classification"


@pytest.fixture
def hub(review_files) -> Iterator[Hub]:
    with Hub.open() as opened:
        opened.add_dataset("reviews", splits=review_files, id_column="id")
        yield opened


def zip_folder(folder: Path, archive: Path, *, top: str | None = None) -> Path:
    """`zip -r archive folder/`: every file under `top/` (or at the root when `top` is None)."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            zipped.write(path, f"{top}/{relative}" if top else relative)
    return archive


def split_folder(tmp_path: Path, review_files: dict[str, Path]) -> Path:
    """A folder holding train.jsonl and test.jsonl, and nothing else."""
    folder = tmp_path / "data"
    folder.mkdir()
    for split, path in review_files.items():
        shutil.copyfile(path, folder / f"{split}.jsonl")
    return folder


def hub_files(hub: Hub) -> list[str]:
    """Every file and folder in the hub's artifact store, but the dataset registered by the fixture."""
    root = hub.artifacts.root
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.relative_to(root).parts[:2] != ("datasets", "reviews") and p.relative_to(root).as_posix() != "datasets")


def nothing_left(hub: Hub) -> None:
    """No model row, no dataset but the fixture's, and no file: at most the empty folders uploads go into."""
    assert hub.models() == []
    assert [d.name for d in hub.datasets()] == ["reviews"]
    assert set(hub_files(hub)) <= {"models", "uploads", "uploads/datasets"}


def upload_model(hub: Hub, name: str, upload: Path, **options):
    with hub.session() as session:
        return add_model_from_upload(session, hub.artifacts, name, upload, **options)


def upload_dataset(hub: Hub, name: str, upload, **options):
    with hub.session() as session:
        return add_dataset_from_upload(session, hub.artifacts, name, upload, task=TASK, **options)


# --- models ---------------------------------------------------------------------------------------------

def test_an_uploaded_checkpoint_registers_in_the_hub_and_evaluates_like_the_folder(hub, tiny_bert, tmp_path):
    archive = zip_folder(tiny_bert, tmp_path / "bert.zip", top="mymodel")
    record = upload_model(hub, "bert", archive)
    folder = hub.artifacts.path(record.source)
    assert record.kind == "transformers" and record.options == {"in_hub": True}
    assert record.source.startswith("models/_upload-bert-") and folder.parent == hub.artifacts.path("models")
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in tiny_bert.iterdir())  # unwrapped
    assert record.fingerprint == hub.add_model("direct", tiny_bert).fingerprint
    uploaded = hub.evaluate(model="bert", dataset="reviews", progress=False)
    direct = hub.evaluate(model="direct", dataset="reviews", progress=False)
    assert uploaded.metrics["accuracy"] == direct.metrics["accuracy"]
    assert 0 <= uploaded.metrics["accuracy"]["value"] <= 1
    # The hub owns the extracted folder: removing the model removes it.
    hub.remove_model("bert", cascade=True)
    assert not folder.exists()


def test_an_uploaded_model_moves_with_the_hubs_home(database_url, isolated_hub, tiny_bert, review_files, tmp_path):
    sqlite = database_url.startswith("sqlite")
    with Hub.open(isolated_hub, database_url=database_url) as hub:
        hub.add_dataset("reviews", splits=review_files, id_column="id")
        hub.create_user("alice")
        record = upload_model(hub, "bert", zip_folder(tiny_bert, tmp_path / "bert.zip"), owner=_user(hub, "alice"))
        hub.add_model("direct", tiny_bert)  # registered from a folder outside the hub, which stays where it is
        expected = hub.evaluate(model="direct", dataset="reviews", progress=False).metrics
    moved = tmp_path / "elsewhere" / "hub"
    moved.parent.mkdir()
    shutil.move(isolated_hub, moved)
    with Hub.open(moved, database_url=database_url.replace(str(isolated_hub), str(moved)) if sqlite else database_url) as hub:
        folder = moved / "artifacts" / record.source
        assert hub.model("bert").source == record.source and (folder / "model.safetensors").is_file()
        assert hub.model("direct").source == str(tiny_bert.resolve())
        evaluation = hub.evaluate(model="bert", dataset="reviews", progress=False)
        assert not evaluation.cached and evaluation.metrics == expected
        with hub.session() as session:
            assert uploads.storage_used_bytes(session, hub.artifacts, _user(hub, "alice").id) == \
                sum(p.stat().st_size for p in folder.iterdir())
        hub.remove_model("bert", cascade=True)
        assert not folder.exists()


def test_an_upload_stored_with_an_absolute_path_before_still_loads_counts_and_is_removed(hub, tiny_bert, tmp_path):
    from benchhub.store.tables import ModelRow

    hub.create_user("alice")
    record = upload_model(hub, "bert", zip_folder(tiny_bert, tmp_path / "bert.zip"), owner=_user(hub, "alice"))
    folder = hub.artifacts.path(record.source).resolve()
    with hub.session() as session:  # as uploads were stored before their folders were relative to the hub
        row = session.scalar(select(ModelRow).where(ModelRow.name == "bert"))
        row.source, row.options = str(folder), {}
        session.commit()
    hub.add_model("direct", tiny_bert)
    assert hub.evaluate(model="bert", dataset="reviews", progress=False).metrics == \
        hub.evaluate(model="direct", dataset="reviews", progress=False).metrics
    with hub.session() as session:
        assert uploads.storage_used_bytes(session, hub.artifacts, _user(hub, "alice").id) == \
            sum(p.stat().st_size for p in folder.iterdir())
    hub.remove_model("bert", cascade=True)
    assert not folder.exists()


def test_a_pytorch_variant_of_an_uploaded_model_shares_its_folder_in_the_hub(hub, tiny_bert, tmp_path):
    from benchhub.catalog.models import checkpoint_folder, model_folder
    from benchhub.evaluation.fastest import _variant_row
    from benchhub.optimize.candidates import Candidate
    from benchhub.store.tables import ModelRow

    upload_model(hub, "bert", zip_folder(tiny_bert, tmp_path / "bert.zip"))
    with hub.session() as session:
        source = session.scalar(select(ModelRow).where(ModelRow.name == "bert"))
        folder = checkpoint_folder(source, hub.artifacts)
        variant, placed = _variant_row(hub.artifacts, "bert@fast-b1", source, Candidate("torch-bf16", "torch", "bf16",
                                       precision="bf16"), folder, None, {})
    assert placed is None and (variant.source, variant.options["in_hub"]) == (source.source, True)
    assert model_folder(variant, hub.artifacts) == hub.artifacts.path(source.source)
    assert checkpoint_folder(variant, hub.artifacts) == folder


def _user(hub: Hub, name: str) -> UserRow:
    with hub.session() as session:
        return session.scalar(select(UserRow).where(UserRow.name == name))


def test_uploading_the_same_archive_again_with_exist_ok_keeps_one_folder(hub, tiny_bert, tmp_path):
    archive = zip_folder(tiny_bert, tmp_path / "bert.zip")
    first = upload_model(hub, "bert", archive)
    assert upload_model(hub, "bert", archive, exist_ok=True).source == first.source
    assert [p.name for p in hub.artifacts.path("models").iterdir()] == [Path(first.source).name]
    # A model registered from the same folder outside the hub is the same model.
    assert upload_model(hub, "bert", archive, exist_ok=True).fingerprint == hub.add_model("bert", tiny_bert, exist_ok=True).fingerprint
    with pytest.raises(NameTakenError, match=r"^A model named 'bert' already exists; choose another name\.$"):
        upload_model(hub, "bert", archive)
    assert [p.name for p in hub.artifacts.path("models").iterdir()] == [Path(first.source).name]


def test_a_tar_gz_checkpoint_registers_too(hub, tiny_bert, tmp_path):
    archive = tmp_path / "bert.tgz"
    with tarfile.open(archive, "w:gz") as tarred:
        tarred.add(tiny_bert, arcname="mymodel")
    record = upload_model(hub, "bert", archive)
    assert record.fingerprint == hub.add_model("direct", tiny_bert).fingerprint


def test_pickle_only_weights_are_refused_and_leave_nothing(hub, tiny_bert, tmp_path):
    folder = shutil.copytree(tiny_bert, tmp_path / "bert")
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04\x95 not really a pickle")
    with pytest.raises(UnsafeModelError, match=r"holds weights only as pickle files \(pytorch_model\.bin\), which benchhub "
                                               r"never loads; convert them to safetensors") as raised:
        upload_model(hub, "bert", zip_folder(folder, tmp_path / "bert.zip", top="bert"))
    assert "\n" not in str(raised.value)
    nothing_left(hub)


def test_a_checkpoint_with_remote_code_is_refused_and_its_code_never_runs(hub, tmp_path):
    marker = tmp_path / "ran"
    folder = remote_code_checkpoint(tmp_path / "evil", marker, variant="auto_map")
    with pytest.raises(UnsafeModelError, match=r"config\.json declares custom code in 'auto_map' "
                                               r"\(configuration_evil\.py, modeling_evil\.py\); benchhub never runs"):
        upload_model(hub, "evil", zip_folder(folder, tmp_path / "evil.zip"))
    assert not marker.exists()
    nothing_left(hub)


@pytest.mark.parametrize(("location", "message"), [
    ("../weights.bin", r"keeps its data at '\.\./weights\.bin', which climbs out of the model folder with '\.\.'\.$"),
    ("/etc/passwd", r"keeps its data at '/etc/passwd'; external data must be a relative path inside the model folder\.$"),
], ids=["dot-dot", "absolute"])
def test_an_onnx_folder_whose_external_data_lies_outside_is_refused(hub, tmp_path, location, message):
    import onnx

    folder = tiny_onnx_folder(tmp_path / "onnx", CORPUS)
    model = onnx.load(str(folder / "model.onnx"), load_external_data=False)
    for tensor in model.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = location
    onnx.save_model(model, str(folder / "model.onnx"))
    with pytest.raises(UnsafeModelError, match=message):
        upload_model(hub, "onnx", zip_folder(folder, tmp_path / "onnx.zip", top="onnx"))
    nothing_left(hub)


def test_an_onnx_folder_upload_registers_and_evaluates(hub, tmp_path):
    folder = tiny_onnx_folder(tmp_path / "onnx", CORPUS)
    record = upload_model(hub, "onnx", zip_folder(folder, tmp_path / "onnx.zip", top="onnx"))
    assert record.kind == "onnx" and record.fingerprint == hub.add_model("direct", folder).fingerprint
    assert hub.evaluate(model="onnx", dataset="reviews", progress=False).metrics["accuracy"] == \
        hub.evaluate(model="direct", dataset="reviews", progress=False).metrics["accuracy"]


def _gold_predictions(path: Path, review_files: dict[str, Path]) -> Path:
    rows = [json.loads(line) for line in review_files["test"].read_text().splitlines()]
    return write_jsonl(path, [{"id": row["id"], "label": row["label"]} for row in rows])


def test_a_predictions_file_upload_is_copied_into_the_hub(hub, review_files, tmp_path):
    upload = _gold_predictions(tmp_path / "gold.jsonl", review_files)
    record = upload_model(hub, "gold", upload)
    assert (record.kind, record.source) == ("predictions", "models/gold/predictions.jsonl")
    assert hub.artifacts.path(record.source).read_bytes() == upload.read_bytes()
    assert hub.evaluate(model="gold", dataset="reviews", progress=False).metrics["accuracy"]["value"] == 1.0


def test_an_archive_of_one_predictions_file_registers_the_file_and_drops_the_archive(hub, review_files, tmp_path):
    upload = _gold_predictions(tmp_path / "gold.jsonl", review_files)
    archive = tmp_path / "gold.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(upload, "gold.jsonl")
    record = upload_model(hub, "gold", archive)
    assert (record.kind, record.source) == ("predictions", "models/gold/predictions.jsonl")
    assert hub_files(hub) == ["models", "models/gold", "models/gold/predictions.jsonl"]
    assert hub.evaluate(model="gold", dataset="reviews", progress=False).metrics["accuracy"]["value"] == 1.0


def test_a_hostile_archive_is_refused_before_any_model_check(hub, tmp_path):
    archive = tmp_path / "bert.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("config.json", "{}")
        zipped.writestr("../../outside.txt", "x")
    with pytest.raises(InvalidInputError, match=r"^bert\.zip: member '\.\./\.\./outside\.txt' climbs out of the archive's folder"):
        upload_model(hub, "bert", archive)
    nothing_left(hub)
    assert not (tmp_path / "outside.txt").exists() and not (hub.artifacts.root.parent / "outside.txt").exists()


def test_a_bad_model_name_is_refused_before_anything_is_extracted(hub, tiny_bert, tmp_path):
    with pytest.raises(InvalidInputError, match=r"^Model name '\.\./x' is not allowed"):
        upload_model(hub, "../x", zip_folder(tiny_bert, tmp_path / "bert.zip"))
    nothing_left(hub)


def test_a_failure_inside_add_model_leaves_no_folder_and_no_row(hub, tiny_bert, tmp_path, monkeypatch):
    seen = []

    def failing(session, artifacts, name, source, **options):
        seen.append(Path(source))
        assert (Path(source) / "model.safetensors").is_file()  # extracted, and about to be registered
        raise RuntimeError("the database went away")

    monkeypatch.setattr(uploads, "add_model", failing)
    with pytest.raises(RuntimeError, match="the database went away"):
        upload_model(hub, "bert", zip_folder(tiny_bert, tmp_path / "bert.zip"))
    assert len(seen) == 1 and not seen[0].exists()
    nothing_left(hub)


def test_a_failed_commit_leaves_no_folder_and_no_row(hub, tiny_bert, tmp_path, monkeypatch):
    from sqlalchemy.orm import Session

    def failing_commit(self):
        raise RuntimeError("disk full")

    archive = zip_folder(tiny_bert, tmp_path / "bert.zip")
    with monkeypatch.context() as patched, pytest.raises(RuntimeError, match="disk full"):
        patched.setattr(Session, "commit", failing_commit)
        upload_model(hub, "bert", archive)
    nothing_left(hub)


# --- datasets -------------------------------------------------------------------------------------------

def test_a_dataset_uploaded_as_one_file_per_split(hub, review_files):
    info = upload_dataset(hub, "files", dict(review_files), columns={"id": "id"})
    assert {s.name: s.num_rows for s in info.splits} == {"train": 40, "test": 24}
    assert info.fingerprint == hub.dataset("reviews").fingerprint
    assert sorted(p.name for p in hub.artifacts.path("datasets", "files").iterdir()) == \
        ["test.jsonl", "train.jsonl"]
    assert all(path.exists() for path in review_files.values())  # the caller's files stay the caller's


def test_a_dataset_uploaded_as_one_file_has_one_test_split(hub, review_files):
    info = upload_dataset(hub, "one", review_files["test"], columns={"id": "id"})
    assert {s.name: s.num_rows for s in info.splits} == {"test": 24}


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_a_dataset_uploaded_as_an_archive_is_copied_and_the_archive_dropped(hub, review_files, tmp_path, kind):
    folder = split_folder(tmp_path, review_files)
    if kind == "zip":
        archive = zip_folder(folder, tmp_path / "data.zip", top="data")
    else:
        archive = tmp_path / "data.tar.gz"
        with tarfile.open(archive, "w:gz") as tarred:
            tarred.add(folder, arcname="data")
    info = upload_dataset(hub, "archived", archive, columns={"id": "id"})
    assert {s.name: s.num_rows for s in info.splits} == {"train": 40, "test": 24}
    assert info.fingerprint == hub.dataset("reviews").fingerprint
    assert list(hub.artifacts.path("uploads", "datasets").iterdir()) == []  # the extracted files are gone
    assert hub.evaluate(model="baseline:majority", dataset="archived", progress=False).metrics["accuracy"] == \
        hub.evaluate(model="baseline:majority", dataset="reviews", progress=False).metrics["accuracy"]


def _csv_and_jsonl(tmp_path: Path, review_files: dict[str, Path]) -> Path:
    archive = tmp_path / "data.zip"
    rows = [json.loads(line) for line in review_files["test"].read_text().splitlines()]
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(review_files["test"], "test.jsonl")
        zipped.writestr("test.csv", "id,text,label\n" + "".join(f"{r['id']},{r['text']},{r['label']}\n" for r in rows))
        zipped.write(review_files["train"], "train.jsonl")
    return archive


def test_an_archive_with_two_files_for_one_split_needs_a_mapping(hub, review_files, tmp_path):
    archive = _csv_and_jsonl(tmp_path, review_files)
    with pytest.raises(InvalidInputError, match=r"^data\.zip holds 'test\.csv' and 'test\.jsonl', both for split 'test'; "
                                                r"name each split's file with splits=\{'test': 'test\.jsonl', \.\.\.\}\.$"):
        upload_dataset(hub, "two", archive, columns={"id": "id"})
    nothing_left(hub)
    info = upload_dataset(hub, "two", archive, columns={"id": "id"}, splits={"test": "test.csv", "train": "train.jsonl"})
    assert {s.name: s.num_rows for s in info.splits} == {"test": 24, "train": 40}
    assert list(hub.artifacts.path("uploads", "datasets").iterdir()) == []


def test_a_mapping_to_a_file_the_archive_lacks_lists_its_files(hub, review_files, tmp_path):
    archive = _csv_and_jsonl(tmp_path, review_files)
    for member in ("dev.jsonl", "../test.jsonl", "/etc/passwd"):
        with pytest.raises(InvalidInputError, match=rf"^data\.zip holds no file '{member.replace('.', '[.]')}' \(for split 'test'\); "
                                                    r"its files are test\.csv, test\.jsonl, train\.jsonl\.$"):
            upload_dataset(hub, "mapped", archive, columns={"id": "id"}, splits={"test": member})
    nothing_left(hub)


def test_an_archive_with_a_subfolder_beside_files_needs_a_mapping(hub, review_files, tmp_path):
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(review_files["test"], "test.jsonl")
        zipped.write(review_files["train"], "extra/train.jsonl")
    with pytest.raises(InvalidInputError, match=r"^data\.zip holds the folder 'extra' beside other files, so its splits are not clear"):
        upload_dataset(hub, "nested", archive, columns={"id": "id"})
    info = upload_dataset(hub, "nested", archive, columns={"id": "id"}, splits={"test": "test.jsonl", "train": "extra/train.jsonl"})
    assert {s.name: s.num_rows for s in info.splits} == {"test": 24, "train": 40}


def test_a_dataset_archive_with_a_bad_file_registers_nothing(hub, review_files, tmp_path):
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(review_files["train"], "train.jsonl")
        zipped.writestr("test.jsonl", '{"id": "a", "text": "fine", "label": "positive"}\n{"id": "b", "text": 7}\n')
    with pytest.raises(InvalidInputError, match=r"test\.jsonl, example 'b': column 'text' holds 7, not text"):
        upload_dataset(hub, "bad", archive, columns={"id": "id"})
    nothing_left(hub)


def test_a_failure_inside_add_dataset_leaves_no_files_and_no_row(hub, review_files, tmp_path, monkeypatch):
    archive = zip_folder(split_folder(tmp_path, review_files), tmp_path / "data.zip")
    seen = []

    def failing(session, artifacts, name, **options):
        seen.extend(Path(p) for p in options["split_sources"].values())
        assert all(path.is_file() for path in seen)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(uploads, "add_dataset", failing)
    with pytest.raises(RuntimeError, match="the database went away"):
        upload_dataset(hub, "data", archive, columns={"id": "id"})
    assert sorted(p.name for p in seen) == ["test.jsonl", "train.jsonl"] and not any(p.exists() for p in seen)
    nothing_left(hub)


def test_splits_mapping_applies_to_archives_only(hub, review_files):
    with pytest.raises(InvalidInputError, match=r"^splits= names the files inside an archive, and test\.jsonl is a data file"):
        upload_dataset(hub, "x", review_files["test"], splits={"test": "test.jsonl"})
    with pytest.raises(InvalidInputError, match=r"^splits= names the files inside one archive"):
        upload_dataset(hub, "x", dict(review_files), splits={"test": "test.jsonl"})
    nothing_left(hub)


def test_an_archive_given_as_one_split_file_is_refused(hub, review_files, tmp_path):
    archive = zip_folder(split_folder(tmp_path, review_files), tmp_path / "data.zip")
    with pytest.raises(InvalidInputError, match=r"^The split file test=data\.zip is an archive; upload one archive that holds "
                                                r"every split, or one data file per split\.$"):
        upload_dataset(hub, "x", {"test": archive})
    nothing_left(hub)


# --- the storage quota under concurrent uploads ---------------------------------------------------------

@pytest.mark.parametrize("other", ["model", "dataset"])
def test_two_uploads_at_once_by_one_user_never_exceed_the_quota_together(open_hub, tiny_bert, review_files, tmp_path,
                                                                          monkeypatch, other):
    import threading

    from benchhub.errors import LimitExceededError

    setup = open_hub()
    setup.create_user("alice")
    model_size = sum(p.stat().st_size for p in tiny_bert.iterdir())
    # Each upload fits the room alone (the dataset's copy takes a few kB); the two together do not.
    setup.set_user("alice", storage_quota_gb=(1.5 * model_size if other == "model" else model_size + 1) / 1e9)
    archives = {"first": zip_folder(tiny_bert, tmp_path / "first.zip"),
                "second": zip_folder(tiny_bert, tmp_path / "second.zip") if other == "model"
                else zip_folder(split_folder(tmp_path, review_files), tmp_path / "second.zip")}
    staged = threading.Barrier(2)
    extract = uploads.extract_archive

    def extract_then_wait(*args, **options):  # both uploads are staged, and past the early checks, before either registers
        folder = extract(*args, **options)
        staged.wait(timeout=60)
        return folder

    monkeypatch.setattr(uploads, "extract_archive", extract_then_wait)
    outcomes: dict[str, object] = {}

    def run(hub: Hub, name: str) -> None:
        try:
            with hub.session() as session:
                owner = session.scalar(select(UserRow).where(UserRow.name == "alice"))
                if name == "second" and other == "dataset":
                    add_dataset_from_upload(session, hub.artifacts, name, archives[name], task=TASK, owner=owner,
                                            columns={"id": "id"})
                else:
                    add_model_from_upload(session, hub.artifacts, name, archives[name], owner=owner)
            outcomes[name] = "registered"
        except Exception as error:  # noqa: BLE001 - the test reads it
            outcomes[name] = error

    threads = [threading.Thread(target=run, args=(open_hub(), name)) for name in archives]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(map(str, outcomes.values())).count("registered") == 1, outcomes
    (loser, error), = ((name, outcome) for name, outcome in outcomes.items() if outcome != "registered")
    assert isinstance(error, LimitExceededError), error
    assert re.fullmatch(rf"{loser}\.zip takes \S+ \S+, and 'alice' has \S+ \S+ left of their \S+ \S+ storage quota; remove "
                        r"models or datasets they uploaded, or ask an admin for more \(`benchhub user set alice "
                        r"--storage-quota-gb N`\)\.", str(error)), str(error)
    # The refused upload left nothing: one row, and only the winner's files.
    winner = "first" if loser == "second" else "second"
    assert [m.name for m in setup.models()] + [d.name for d in setup.datasets()] == [winner]
    root = setup.artifacts.root
    kept = sorted(p.relative_to(root).parts[:2] for p in root.rglob("*") if p.is_file())
    expected = ("datasets", winner) if winner == "second" and other == "dataset" else ("models", setup.model(winner).source[7:])
    assert set(kept) == {expected}
    with setup.session() as session:
        alice = session.scalar(select(UserRow).where(UserRow.name == "alice"))
        assert uploads.storage_used_bytes(session, setup.artifacts, alice.id) <= alice.storage_quota_bytes
