"""Catalog writes over HTTP: members upload models and datasets (files or archives), within their storage quota;
hostile or unsafe uploads are refused in one line that shows no server path, and leave nothing behind."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from benchhub.errors import InvalidInputError
from benchhub.server.app import create_app
from benchhub.server.in_process_scoring import WorkerSettings
from benchhub.store.tables import DatasetRow, ModelRow, UserRow
from tests.conftest import review_rows, write_jsonl


@pytest.fixture
def served(open_hub, tmp_path):
    hub = open_hub()
    hub.create_user("admin", admin=True)
    hub.create_user("alice")
    hub.create_user("rita", role="reader")
    hub.add_dataset("open", id_column="id", splits={
        "train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
        "test": write_jsonl(tmp_path / "test.jsonl", review_rows(30, seed=3, prefix="test"))})
    tokens = {name: {"Authorization": f"Bearer {hub.create_token(name)[1]}"} for name in ("admin", "alice", "rita")}
    with TestClient(create_app(hub.config, scoring=WorkerSettings(enabled=False))) as client:
        yield hub, client, tokens


def zipped(folder: Path, inside: str = "model") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{inside}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


def leftovers(hub) -> list[str]:
    """Files and folders an upload may leave: scratch folders, extracted models, dataset folders."""
    root = hub.artifacts.root
    found = [p.name for p in root.glob(".upload-*")] + [p.name for p in (root / "models").glob("_upload-*")]
    return found + [p.name for p in (root / "uploads" / "datasets").glob("*")]


def rows(hub, table) -> int:
    with hub.session() as session:
        return session.scalar(select(func.count()).select_from(table))


def test_a_member_uploads_a_checkpoint_archive_and_evaluates_it_through_the_hub(served, tiny_bert):
    hub, client, tokens = served
    made = client.post("/api/models", headers=tokens["alice"], data={"name": "uploaded-bert"},
                       files={"file": ("my model.zip", zipped(tiny_bert), "application/zip")})
    assert made.status_code == 201, made.text
    assert (made.json()["name"], made.json()["kind"], made.headers["location"]) == ("uploaded-bert", "transformers",
                                                                                    "/api/models/uploaded-bert")
    assert made.json()["fingerprint"] == hub.add_model("local-bert", str(tiny_bert)).fingerprint  # the same checkpoint
    assert str(hub.artifacts.root) not in made.text and leftovers(hub) == [p.name for p in (hub.artifacts.root / "models").glob("_upload-*")]
    with hub.session() as session:
        row = session.scalar(select(ModelRow).where(ModelRow.name == "uploaded-bert"))
        assert row.owner_id is not None
    asked = client.post("/api/evaluations", headers=tokens["alice"], json={"models": ["uploaded-bert"], "datasets": ["open"]})
    assert asked.status_code == 202, asked.text
    assert hub.run_worker(once=True) == 1
    (job,) = client.get("/api/jobs", headers=tokens["alice"]).json()
    assert job["state"] == "done", job
    local = hub.evaluate(model="local-bert", dataset="open", progress=False)
    shown = client.get(f"/api/evaluations/{job['evaluation_id']}", headers=tokens["alice"]).json()
    assert shown["metrics"]["accuracy"]["value"] == local.metrics["accuracy"]["value"]
    assert "uploaded-bert" in {r["model"] for r in client.get("/api/leaderboards/open").json()["rows"]}


def test_unsafe_and_hostile_uploads_are_refused_in_one_line_showing_no_server_path(served, tiny_bert, tmp_path):
    hub, client, tokens = served
    before = rows(hub, ModelRow)

    def refused(files, status, start, token="alice", name="bad"):
        answer = client.post("/api/models", headers=tokens[token], data={"name": name}, files=files)
        assert answer.status_code == status, answer.text
        message = answer.json()["error"]["message"]
        assert message.startswith(start), message
        assert "\n" not in message and str(hub.artifacts.root) not in message and "/tmp" not in message, message
        assert leftovers(hub) == [] and rows(hub, ModelRow) == before

    traversal = io.BytesIO()
    with zipfile.ZipFile(traversal, "w") as archive:
        archive.writestr("../escape.txt", "x")
    refused({"file": ("evil.zip", traversal.getvalue())}, 422, "evil.zip: member '../escape.txt' climbs out of the archive's")
    linked = io.BytesIO()
    with tarfile.open(fileobj=linked, mode="w:gz") as archive:
        link = tarfile.TarInfo("model/config.json")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    refused({"file": ("linked.tar.gz", linked.getvalue())}, 422, "linked.tar.gz: ")
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "config.json").write_text((tiny_bert / "config.json").read_text())
    (pickled / "pytorch_model.bin").write_bytes(b"\x80\x04not really a pickle")
    refused({"file": ("pickled.zip", zipped(pickled))}, 400, "pickled.zip holds weights only as pickle files (pytorch_model.bin)")
    remote = tmp_path / "remote"
    remote.mkdir()
    for path in tiny_bert.iterdir():
        (remote / path.name).write_bytes(path.read_bytes())
    config = json.loads((remote / "config.json").read_text())
    (remote / "config.json").write_text(json.dumps({**config, "auto_map": {"AutoModel": "evil.EvilModel"}}))
    refused({"file": ("remote.zip", zipped(remote))}, 400, "remote.zip/config.json declares custom code in 'auto_map'")
    refused({"file": ("model.zip", zipped(tiny_bert))}, 403, "User 'rita' is a reader of this hub", token="rita")
    anonymous = client.post("/api/models", data={"name": "x"}, files={"file": ("big.zip", b"\0" * (2 * 1024 * 1024))})
    assert anonymous.status_code == 413  # nothing of an anonymous body over 1 MiB is read
    assert client.post("/api/models/hub", headers=tokens["alice"], json={"name": "x", "hub_id": "../../etc"}).status_code == 422
    local = client.post("/api/models/hub", headers=tokens["alice"], json={"name": "x", "hub_id": "src"})  # a folder here
    assert local.status_code == 422 and local.json()["error"]["message"].startswith("'src' is not a model hub id")
    offline = client.post("/api/models/hub", headers=tokens["alice"], json={"name": "x", "hub_id": "someone/some-model"})
    assert offline.status_code == 422 and offline.json()["error"]["message"].startswith("Cannot fetch hub model 'someone/some-model'")


def test_uploads_stay_within_the_users_storage_quota(served, tiny_bert):
    hub, client, tokens = served
    archive = zipped(tiny_bert)
    size = sum(p.stat().st_size for p in tiny_bert.iterdir())
    hub.set_user("alice", storage_quota_gb=1.5 * size / 1e9)  # room for one copy, not two
    first = client.post("/api/models", headers=tokens["alice"], data={"name": "one"}, files={"file": ("m.zip", archive)})
    assert first.status_code == 201, first.text
    second = client.post("/api/models", headers=tokens["alice"], data={"name": "two"}, files={"file": ("m.zip", archive)})
    assert second.status_code == 429, second.text  # the archive fits the room left; what it extracts to does not
    assert second.json()["error"]["message"].startswith("m.zip takes ")
    assert "left of their " in second.json()["error"]["message"] and " storage quota; remove models or" in second.text
    assert leftovers(hub) == [p.name for p in (hub.artifacts.root / "models").glob("_upload-*")] and len(leftovers(hub)) == 1
    # The admin has the default quota; removing the first model frees alice's room.
    hub.remove_model("one", cascade=True)
    assert client.post("/api/models", headers=tokens["alice"], data={"name": "two"}, files={"file": ("m.zip", archive)}).status_code == 201


def test_a_dataset_is_uploaded_as_one_file_per_split_or_as_one_archive(served, tmp_path):
    hub, client, tokens = served
    train = json.dumps(review_rows(20, seed=1, prefix="tr")[0]) + "\n"
    lines = {"train": "".join(json.dumps(r) + "\n" for r in review_rows(20, seed=1, prefix="tr")),
             "test": "".join(json.dumps(r) + "\n" for r in review_rows(12, seed=2, prefix="te"))}
    made = client.post("/api/datasets", headers=tokens["alice"], data={"name": "mine", "task": "text-classification"},
                       files=[("files", ("train.jsonl", lines["train"])), ("files", ("test.jsonl", lines["test"]))])
    assert made.status_code == 201, made.text
    assert {s["name"]: s["num_rows"] for s in made.json()["splits"]} == {"train": 20, "test": 12}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data/train.jsonl", lines["train"])
        archive.writestr("data/test.jsonl", lines["test"])
    packed = client.post("/api/datasets", headers=tokens["alice"], data={"name": "packed", "task": "text-classification"},
                         files={"files": ("data.zip", buffer.getvalue())})
    assert packed.status_code == 201, packed.text
    assert packed.json()["fingerprint"] == made.json()["fingerprint"]
    with hub.session() as session:
        assert {row.name: row.owner_id is not None for row in session.scalars(select(DatasetRow))} == {
            "open": False, "mine": True, "packed": True}
    before = rows(hub, DatasetRow)
    for data, files, status, start in (
        ({"name": "x", "task": "text-classification", "columns": "{not json"}, {"files": ("t.jsonl", train)}, 422,
         "columns is not JSON"),
        ({"name": "x", "task": "text-classification"}, [("files", ("test.jsonl", train)), ("files", ("test.jsonl", train))],
         422, "Two uploaded files are for split 'test'"),
        ({"name": "x", "task": "no-such-task"}, {"files": ("t.jsonl", train)}, 422, "Unknown task 'no-such-task'; available tasks:"),
    ):
        answer = client.post("/api/datasets", headers=tokens["alice"], data=data, files=files)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["message"].startswith(start)
        assert str(hub.artifacts.root) not in answer.text
    assert rows(hub, DatasetRow) == before and leftovers(hub) == []


def test_an_uploaded_datasets_source_records_the_files_sent_never_where_the_server_kept_them(served):
    import hashlib

    from benchhub.cli.render import dataset_lines

    hub, client, tokens = served
    lines = {"train": "".join(json.dumps(r) + "\n" for r in review_rows(20, seed=1, prefix="tr")),
             "test": "".join(json.dumps(r) + "\n" for r in review_rows(12, seed=2, prefix="te"))}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data/train.jsonl", lines["train"])
        archive.writestr("data/test.jsonl", lines["test"])
    sent = {  # dataset: the files as sent, and the split each file (or member) is read for
        "packed": ([("my data.zip", buffer.getvalue())], {"train": "train.jsonl", "test": "test.jsonl"}),
        "per-split": ([("train.jsonl", lines["train"].encode()), ("test.jsonl", lines["test"].encode())],
                      {"train": "train.jsonl", "test": "test.jsonl"}),
        "one": ([("../my reviews.jsonl", lines["test"].encode())], None),
    }
    for name, (files, splits) in sent.items():
        made = client.post("/api/datasets", headers=tokens["alice"], data={"name": name, "task": "text-classification"},
                           files=[("files", (filename, content)) for filename, content in files])
        assert made.status_code == 201, made.text
        recorded = [{"name": {"my data.zip": "my_data.zip", "../my reviews.jsonl": "my_reviews.jsonl"}.get(f, f),
                     "size_bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()} for f, content in files]
        expected = {"uploaded": recorded, **({"splits": splits} if splits else {})}
        with hub.session() as session:
            row = session.scalar(select(DatasetRow).where(DatasetRow.name == name))
            stored = json.dumps({column.name: getattr(row, column.name) for column in DatasetRow.__table__.columns}
                                | {"splits": [s.path for s in row.splits]}, default=str)
            assert row.source == expected
        shown = {"stored row": stored, "API": made.text + client.get(f"/api/datasets/{name}").text,
                 "web page": client.get(f"/datasets/{name}", headers=tokens["alice"]).text,
                 "dataset show": "\n".join(dataset_lines(hub.dataset(name)))}
        for where, text in shown.items():
            assert ".upload-" not in text and "uploads/datasets" not in text and "/tmp" not in text, where
            for file in recorded:
                assert file["name"] in text, where
        assert made.json()["source"] == expected  # alice sees every split, so hashes and sizes too
        page = shown["web page"]
        assert all(f"sha256 <code>{file['sha256'][:16]}</code>" in page for file in recorded)
        assert f"source       uploaded {recorded[0]['name']} (" in shown["dataset show"]
    evaluation = hub.evaluate(model="baseline:majority", dataset="packed", progress=False)
    assert ".upload-" not in json.dumps(evaluation.provenance) and "uploads/" not in json.dumps(evaluation.provenance)
    # Once a benchmark hides a split, others see the files' names only: a hash or size of a file covers its labels.
    from benchhub.competitions.benchmarks import PhaseSpec

    hub.create_benchmark("bench", dataset="packed", user="admin", title="Packed", description="Hidden test labels.",
                         phases=[PhaseSpec("test", "test")])
    assert client.get("/api/datasets/packed", headers=tokens["rita"]).json()["source"] == {
        "uploaded": [{"name": "my_data.zip"}], "splits": {"train": "train.jsonl", "test": "test.jsonl"}}
    page = client.get("/datasets/packed", headers=tokens["rita"]).text
    assert "my_data.zip" in page and "sha256" not in page
    assert client.get("/api/datasets/packed", headers=tokens["admin"]).json()["source"]["uploaded"][0]["sha256"] is not None


CONLL = "EU B-ORG\nrejects O\nGerman B-MISC\ncall O\n\nPeter B-PER\nBlackburn I-PER\n"


@pytest.mark.parametrize(("task", "filename", "content", "given", "cli", "api"), [
    ("text-classification", "test.jsonl", None, {"columns": {"question": "q"}},
     "--question-column does not apply to text-classification datasets; they read --id-column, --label-column, "
     "--split-column, --text-column, --text-pair-column.",
     "columns.question does not apply to text-classification datasets; they read columns.id, columns.label, "
     "columns.split, columns.text, columns.text_pair."),
    ("text-classification", "test.jsonl", None, {"columns": {"text": "review"}},
     "Column 'review' not in test.jsonl [test]. Current columns: ['id', 'text', 'label']. Name the right one with --text-column.",
     "Column 'review' not in test.jsonl [test]. Current columns: ['id', 'text', 'label']. Name the right one with columns.text."),
    ("text-classification", "test.jsonl", None, {"settings": {"tag_scheme": "BIO"}},
     "--tag-scheme does not apply to text-classification datasets.",
     "settings.tag_scheme does not apply to text-classification datasets."),
    ("token-classification", "test.conll", CONLL, {"settings": {"scheme": "BIOX"}},
     "--scheme 'BIOX' is not a tag scheme; use one of ",
     "settings.scheme 'BIOX' is not a tag scheme; use one of "),
    ("token-classification", "test.conll", CONLL, {"columns": {"tags": "ner"}},
     "--tags-column 'ner' names a column of a table; in a CoNLL file columns have numbers (1 for the first after the "
     "token, -1 for the last).",
     "columns.tags 'ner' names a column of a table; in a CoNLL file columns have numbers (1 for the first after the "
     "token, -1 for the last)."),
], ids=["other-family-column", "missing-column", "unknown-setting", "bad-scheme", "conll-tags-column"])
def test_a_dataset_refusal_names_json_fields_over_the_api_and_options_on_the_command_line(served, tmp_path, task, filename,
                                                                                        content, given, cli, api):
    hub, client, tokens = served
    content = content or "".join(json.dumps(r) + "\n" for r in review_rows(6, seed=2, prefix="te"))
    answer = client.post("/api/datasets", headers=tokens["alice"], data={
        "name": "x", "task": task, **{key: json.dumps(value) for key, value in given.items()}},
        files={"files": (filename, content)})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["message"].startswith(api), answer.json()["error"]["message"]
    path = tmp_path / filename
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInputError) as raised:  # the Hub, as the command line: options
        hub.add_dataset("x", path, task=task, **given)
    assert str(raised.value).startswith(cli) and raised.value.in_fields.startswith(api)
    assert rows(hub, DatasetRow) == 1 and leftovers(hub) == []


def test_an_evaluation_settings_refusal_names_json_fields_over_the_api_and_options_on_the_command_line(served):
    from tests.test_cli import one_error_line, run_cli

    hub, client, tokens = served
    for settings, api, cli in (
        ({"max_length": 0}, "settings.max_length must be an int in the range [1, inf). Got 0 instead.",
         "--max-length must be an int in the range [1, inf). Got 0 instead."),
        ({"n_best": 3}, "settings.n_best does not apply to text-classification; its settings are settings.max_length.",
         "--n-best does not apply to text-classification; its settings are --max-length."),
    ):
        answer = client.post("/api/evaluations", headers=tokens["alice"],
                             json={"models": ["baseline:majority"], "datasets": ["open"], "settings": settings})
        assert (answer.status_code, answer.json()["error"]["message"]) == (422, api)
        with pytest.raises(InvalidInputError) as raised:
            hub.evaluate(model="baseline:majority", dataset="open", progress=False, **settings)
        assert str(raised.value) == cli
    assert one_error_line(run_cli("eval", "--model", "baseline:majority", "--dataset", "open", "--max-length", "0")) == \
        "error: --max-length must be an int in the range [1, inf). Got 0 instead."


def test_an_error_keeps_both_wordings_across_processes():
    import pickle

    error = InvalidInputError.naming(lambda spell: f"{spell.setting('doc_stride')} and {spell.column('text_pair')}")
    # The round trip multiprocessing makes when a job's process reports its error to the worker; the bytes are this
    # test's own, never a user's file (DESIGN.md: never unpickle user-supplied files).
    copied = pickle.loads(pickle.dumps(error))
    assert (str(copied), copied.in_fields) == ("--doc-stride and --text-pair-column", "settings.doc_stride and columns.text_pair")
    assert InvalidInputError("plain").in_fields == "plain"


def fake_hub_cache(cache: Path, repo_id: str, folder: Path, commit: str = "a" * 40) -> Path:
    """The model hub's cache layout after `snapshot_download(repo_id)`: blobs by hash, a snapshot of links, refs/main."""
    import hashlib

    repository = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repository / "snapshots" / commit
    (repository / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    for path in folder.iterdir():
        blob = repository / "blobs" / hashlib.sha256(path.read_bytes()).hexdigest()
        blob.write_bytes(path.read_bytes())
        (snapshot / path.name).symlink_to(Path("..", "..", "blobs", blob.name))
    (repository / "refs").mkdir()
    (repository / "refs" / "main").write_text(commit)
    return snapshot


def test_a_hub_id_model_counts_its_cached_snapshot_toward_its_owners_storage(served, tiny_bert, tmp_path, monkeypatch):
    from huggingface_hub import constants, scan_cache_dir

    from benchhub.catalog.uploads import storage_used_bytes

    hub, client, tokens = served
    cache = tmp_path / "hf-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # nothing is fetched: the cache answers
    snapshot = fake_hub_cache(cache, "someone/tiny-bert", tiny_bert)
    size = sum(p.stat().st_size for p in tiny_bert.iterdir())
    (cached,) = scan_cache_dir(cache).repos  # huggingface_hub reads the fake cache as its own
    assert (cached.repo_id, next(iter(cached.revisions)).size_on_disk) == ("someone/tiny-bert", size)

    def used() -> int:
        with hub.session() as session:
            alice = session.scalar(select(UserRow).where(UserRow.name == "alice"))
            return storage_used_bytes(session, hub.artifacts, alice.id)

    assert used() == 0
    made = client.post("/api/models/hub", headers=tokens["alice"], json={"name": "hub-bert", "hub_id": "someone/tiny-bert"})
    assert made.status_code == 201, made.text
    assert Path(hub.model("hub-bert").source) == snapshot and used() == size  # kept as its snapshot in the cache
    assert hub.evaluate(model="hub-bert", dataset="open", progress=False).metrics == \
        hub.evaluate(model=hub.add_model("local", snapshot).name, dataset="open", progress=False).metrics
    # A revision the cache does not hold counts nothing (and does not load offline).
    pinned = client.post("/api/models/hub", headers=tokens["alice"],
                         json={"name": "pinned", "hub_id": "someone/tiny-bert", "revision": "b" * 40})
    assert pinned.status_code == 422 and pinned.json()["error"]["message"].startswith("Cannot fetch hub model 'someone/tiny-bert'")
    # Over the quota, the same snapshot again under another name is refused, and nothing is registered.
    hub.set_user("alice", storage_quota_gb=1.5 * size / 1e9)
    again = client.post("/api/models/hub", headers=tokens["alice"], json={"name": "hub-bert-2", "hub_id": "someone/tiny-bert"})
    assert again.status_code == 429, again.text
    assert again.json()["error"]["message"].startswith("someone/tiny-bert takes ")
    assert [m.name for m in hub.models() if m.name.startswith("hub-bert")] == ["hub-bert"] and used() == size
    upload = client.post("/api/models", headers=tokens["alice"], data={"name": "uploaded"},
                         files={"file": ("m.zip", zipped(tiny_bert))})
    assert upload.status_code == 429, upload.text  # the hub model takes the room an upload would need
