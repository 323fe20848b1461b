"""Registering text-classification datasets: formats, splits, stored facts, and all-or-nothing failures."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchhub import (
    ColumnNotFoundError,
    DatasetFormatError,
    Hub,
    InvalidInputError,
    NameTakenError,
)
from benchhub.data.readers import read_hub_dataset, read_source
from tests.conftest import write_jsonl

SHA256 = re.compile(r"^[0-9a-f]{64}$")
ROWS = [
    {"id": "r1", "text": "the film was great", "label": "positive"},
    {"id": "r2", "text": "the plot was dull", "label": "negative"},
    {"id": "r3", "text": "a wonderful cast, truly", "label": "positive"},
    {"id": "r4", "text": "the ending was awful", "label": "negative"},
    {"id": "r5", "text": "brilliant acting", "label": "positive"},
]


def write_csv(path: Path, rows: list[dict[str, Any]], *, delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def stored_rows(home: Path, dataset: str, split: str) -> list[dict[str, Any]]:
    path = home / "artifacts" / "datasets" / dataset / f"{split}.jsonl"
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def dataset_leftovers(home: Path) -> list[str]:
    folder = home / "artifacts" / "datasets"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


FORMATS: dict[str, Callable[[Path], Path]] = {
    "csv": lambda d: write_csv(d / "data.csv", ROWS),
    "tsv": lambda d: write_csv(d / "data.tsv", ROWS, delimiter="\t"),
    "jsonl": lambda d: write_jsonl(d / "data.jsonl", ROWS),
    "ndjson": lambda d: write_jsonl(d / "data.ndjson", ROWS),
    "json-array": lambda d: write_json(d / "data.json", ROWS),
    "json-data-object": lambda d: write_json(d / "data.json", {"data": ROWS}),
    "parquet": lambda d: write_parquet(d / "data.parquet", ROWS),
}


@pytest.mark.parametrize("fmt", list(FORMATS), ids=list(FORMATS))
def test_every_file_format_registers_the_same_rows(fmt, tmp_path, isolated_hub):
    source = FORMATS[fmt](tmp_path)
    reference = write_jsonl(tmp_path / "reference.jsonl", ROWS)
    with Hub.open() as hub:
        info = hub.add_dataset("reviews", source, id_column="id")
        other = hub.add_dataset("reference", reference, id_column="id")
    assert [(s.name, s.num_rows) for s in info.splits] == [("test", 5)]
    assert info.labels == ["negative", "positive"]
    assert info.split("test").label_counts == {"negative": 2, "positive": 3}
    assert info.source == {"path": str(source.resolve())}
    assert info.columns == {"text": "text", "text_pair": None, "label": "label", "id": "id", "split": None}
    assert SHA256.match(info.fingerprint)
    assert info.fingerprint == other.fingerprint
    assert stored_rows(isolated_hub, "reviews", "test") == [
        {"id": r["id"], "text": r["text"], "text_pair": None, "label": r["label"]} for r in ROWS
    ]


def test_save_to_disk_dataset_is_one_test_split(tmp_path, isolated_hub):
    import datasets

    folder = tmp_path / "saved"
    datasets.Dataset.from_list(ROWS).save_to_disk(str(folder))
    with Hub.open() as hub:
        info = hub.add_dataset("saved", folder, id_column="id")
        reference = hub.add_dataset("reference", write_csv(tmp_path / "data.csv", ROWS), id_column="id")
    assert [(s.name, s.num_rows) for s in info.splits] == [("test", 5)]
    assert info.source == {"path": str(folder.resolve())}
    assert info.fingerprint == reference.fingerprint


def test_save_to_disk_dataset_dict_with_class_labels_gives_named_splits_and_label_names(tmp_path, isolated_hub):
    import datasets

    features = datasets.Features({
        "text": datasets.Value("string"),
        "label": datasets.ClassLabel(names=["negative", "positive"]),
    })
    train = [{"text": "great fun", "label": 1}, {"text": "so dull", "label": 0}, {"text": "superb", "label": 1}]
    test = [{"text": "awful", "label": 0}, {"text": "loved it", "label": 1}]
    folder = tmp_path / "saved-dict"
    datasets.DatasetDict({
        "train": datasets.Dataset.from_list(train, features=features),
        "test": datasets.Dataset.from_list(test, features=features),
    }).save_to_disk(str(folder))
    with Hub.open() as hub:
        info = hub.add_dataset("saved", folder)
    assert {s.name: s.num_rows for s in info.splits} == {"train": 3, "test": 2}
    assert info.labels == ["negative", "positive"]
    assert info.split("train").label_counts == {"negative": 1, "positive": 2}
    assert [r["label"] for r in stored_rows(isolated_hub, "saved", "test")] == ["negative", "positive"]
    assert [r["id"] for r in stored_rows(isolated_hub, "saved", "test")] == [0, 1]


def test_class_label_minus_one_is_rejected_as_unlabelled(tmp_path, isolated_hub):
    import datasets

    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["neg", "pos"])})
    folder = tmp_path / "saved"
    datasets.Dataset.from_list([{"text": "a", "label": 1}, {"text": "b", "label": -1}], features=features).save_to_disk(str(folder))
    with Hub.open() as hub:
        with pytest.raises(DatasetFormatError, match=r"example 1 has label -1 \(unlabelled\)"):
            hub.add_dataset("saved", folder)
        assert hub.datasets() == []
    assert dataset_leftovers(isolated_hub) == []


def test_hub_loader_reads_a_local_data_folder_with_datasets(tmp_path):
    folder = tmp_path / "local-hub-layout"
    folder.mkdir()
    write_csv(folder / "train.csv", ROWS[:3])
    write_csv(folder / "test.csv", ROWS[3:])
    tables = read_hub_dataset(str(folder))
    assert sorted(tables) == ["test", "train"]
    assert tables["train"].columns == ["id", "text", "label"]
    assert tables["test"].rows == ROWS[3:]


def test_read_source_on_a_saved_folder_returns_one_table_per_split(tmp_path):
    import datasets

    folder = tmp_path / "saved"
    datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS[:2]), "test": datasets.Dataset.from_list(ROWS[2:])}).save_to_disk(str(folder))
    tables = read_source(str(folder))
    assert {name: len(table.rows) for name, table in tables.items()} == {"train": 2, "test": 3}
    assert tables["test"].rows[0] == ROWS[2]


def test_hub_id_goes_through_load_dataset_with_its_revision(monkeypatch, isolated_hub):
    import datasets

    calls = []

    def fake_load_dataset(hub_id, revision=None):
        calls.append((hub_id, revision))
        return datasets.DatasetDict({"test": datasets.Dataset.from_list(ROWS)})

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    with Hub.open() as hub:
        info = hub.add_dataset("from-hub", "someone/reviews", revision="v1.0", id_column="id")
    assert calls == [("someone/reviews", "v1.0")]
    assert info.source == {"hub_id": "someone/reviews", "revision": "v1.0"}
    assert [(s.name, s.num_rows) for s in info.splits] == [("test", 5)]


def test_hub_id_offline_is_a_clear_error_and_registers_nothing(isolated_hub):
    with Hub.open() as hub:
        with pytest.raises(DatasetFormatError, match=r"^Cannot load hub dataset 'someone/not-cached': the hub cannot be reached from here \(HF_HUB_OFFLINE=1 is set: only cached datasets load\); give a local file or save_to_disk folder instead\.$") as caught:
            hub.add_dataset("offline", "someone/not-cached")
        assert "\n" not in str(caught.value)
        assert hub.datasets() == []
    assert dataset_leftovers(isolated_hub) == []


def test_split_files_give_one_split_each(review_files):
    with Hub.open() as hub:
        info = hub.add_dataset("reviews", splits=review_files, id_column="id")
    assert {s.name: s.num_rows for s in info.splits} == {"train": 40, "test": 24}
    assert info.split("train").label_counts == {"negative": 20, "positive": 20}
    assert info.split("test").label_counts == {"negative": 12, "positive": 12}
    assert info.source == {"splits": {name: str(path.resolve()) for name, path in review_files.items()}}


def test_split_column_partitions_rows_and_numbers_ids_within_each_split(tmp_path, isolated_hub):
    rows = [dict(row, part="train" if i < 3 else "test") for i, row in enumerate(ROWS)]
    with Hub.open() as hub:
        info = hub.add_dataset("parts", write_csv(tmp_path / "parts.csv", rows), split_column="part")
    assert {s.name: s.num_rows for s in info.splits} == {"train": 3, "test": 2}
    assert [r["id"] for r in stored_rows(isolated_hub, "parts", "test")] == [0, 1]
    assert [r["text"] for r in stored_rows(isolated_hub, "parts", "test")] == [ROWS[3]["text"], ROWS[4]["text"]]


def test_single_source_without_split_is_named_test(tmp_path):
    with Hub.open() as hub:
        info = hub.add_dataset("one", write_jsonl(tmp_path / "one.jsonl", ROWS))
    assert [s.name for s in info.splits] == ["test"]


def test_text_pair_column_is_stored_with_each_example(tmp_path, isolated_hub):
    rows = [
        {"premise": "a man sleeps", "hypothesis": "a person rests", "label": "entailment"},
        {"premise": "a man sleeps", "hypothesis": "a man runs", "label": "contradiction"},
    ]
    with Hub.open() as hub:
        info = hub.add_dataset("nli", write_jsonl(tmp_path / "nli.jsonl", rows), text_column="premise", text_pair_column="hypothesis")
    assert info.labels == ["contradiction", "entailment"]
    assert stored_rows(isolated_hub, "nli", "test") == [
        {"id": 0, "text": "a man sleeps", "text_pair": "a person rests", "label": "entailment"},
        {"id": 1, "text": "a man sleeps", "text_pair": "a man runs", "label": "contradiction"},
    ]


@pytest.mark.parametrize(
    ("id_column", "expected"),
    [("id", ["r1", "r2", "r3", "r4", "r5"]), (None, [0, 1, 2, 3, 4])],
    ids=["id-column", "row-index"],
)
def test_example_ids_come_from_the_id_column_or_the_row_index(id_column, expected, tmp_path, isolated_hub):
    with Hub.open() as hub:
        hub.add_dataset("ids", write_csv(tmp_path / "data.csv", ROWS), id_column=id_column)
    assert [r["id"] for r in stored_rows(isolated_hub, "ids", "test")] == expected


def test_integer_labels_read_the_same_from_csv_and_jsonl_and_sort_numerically(tmp_path):
    rows = [{"text": f"example {i}", "label": label} for i, label in enumerate([10, 2, 1, 2, 10, 10])]
    with Hub.open() as hub:
        from_csv = hub.add_dataset("ints-csv", write_csv(tmp_path / "ints.csv", rows))
        from_jsonl = hub.add_dataset("ints-jsonl", write_jsonl(tmp_path / "ints.jsonl", rows))
    assert from_csv.labels == from_jsonl.labels == ["1", "2", "10"]
    assert from_csv.split("test").label_counts == {"1": 1, "10": 3, "2": 2}
    assert from_csv.fingerprint == from_jsonl.fingerprint


def test_stored_facts_and_fingerprint_identity_across_names_and_formats(tmp_path):
    with Hub.open() as hub:
        first = hub.add_dataset("as-csv", write_csv(tmp_path / "a.csv", ROWS), id_column="id")
        second = hub.add_dataset("as-jsonl", write_jsonl(tmp_path / "b.jsonl", ROWS), id_column="id")
        changed_rows = [dict(r) for r in ROWS]
        changed_rows[2]["label"] = "negative"
        changed = hub.add_dataset("changed", write_jsonl(tmp_path / "c.jsonl", changed_rows), id_column="id")
        listed = {d.name: d for d in hub.datasets()}
    assert sorted(listed) == ["as-csv", "as-jsonl", "changed"]
    assert listed["as-csv"] == first
    assert SHA256.match(first.fingerprint) and SHA256.match(first.split("test").fingerprint)
    assert first.fingerprint == second.fingerprint
    assert first.split("test").fingerprint == second.split("test").fingerprint
    assert changed.fingerprint != first.fingerprint
    assert changed.split("test").fingerprint != first.split("test").fingerprint
    assert changed.split("test").label_counts == {"negative": 3, "positive": 2}


def test_csv_fields_keep_quoted_newlines_and_unicode_line_separators(tmp_path, isolated_hub):
    rows = [
        {"text": "line one\nline two", "label": "positive"},
        {"text": "before\u2028after", "label": "negative"},
        {"text": "next\x85line", "label": "negative"},
    ]
    with Hub.open() as hub:
        from_csv = hub.add_dataset("csv", write_csv(tmp_path / "odd.csv", rows))
        jsonl = tmp_path / "odd.jsonl"
        jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        from_jsonl = hub.add_dataset("jsonl", jsonl)
    assert [r["text"] for r in stored_rows(isolated_hub, "csv", "test")] == [r["text"] for r in rows]
    assert from_csv.fingerprint == from_jsonl.fingerprint


def test_a_taken_name_fails_and_leaves_the_first_dataset_unchanged(tmp_path, isolated_hub):
    with Hub.open() as hub:
        first = hub.add_dataset("reviews", write_csv(tmp_path / "first.csv", ROWS))
        with pytest.raises(NameTakenError, match=r"^A dataset named 'reviews' already exists; choose another name\.$"):
            hub.add_dataset("reviews", write_jsonl(tmp_path / "second.jsonl", ROWS[:2]))
        assert hub.datasets() == [first]
        assert hub.dataset("reviews") == first
    assert len(stored_rows(isolated_hub, "reviews", "test")) == 5
    assert dataset_leftovers(isolated_hub) == ["reviews"]


def _file(name: str, content: str | bytes, **options: Any) -> Callable[[Path], dict[str, Any]]:
    """A case whose source is one file with `content`; `options` are further add_dataset arguments."""

    def make(folder: Path) -> dict[str, Any]:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return {"source": path, **options}

    return make


def _good_and_bad_splits(folder: Path) -> dict[str, Any]:
    good = write_csv(folder / "train.csv", ROWS)
    bad = folder / "test.csv"
    bad.write_text("id,text,label\nx,fine,positive\ny,no label here,\n", encoding="utf-8")
    return {"splits": {"train": good, "test": bad}, "id_column": "id"}


BAD_INPUTS = [
    ("missing-text-column", lambda d: {"source": write_csv(d / "d.csv", ROWS), "text_column": "review"},
     ColumnNotFoundError, r"^Column 'review' not in d\.csv \[test\]\. Current columns: \['id', 'text', 'label'\]\. Name the right one with --text-column\.$"),
    ("missing-label-column", lambda d: {"source": write_jsonl(d / "d.jsonl", ROWS), "label_column": "sentiment"},
     ColumnNotFoundError, r"Column 'sentiment' not in d\.jsonl \[test\]\. Current columns: \['id', 'text', 'label'\]\. .*--label-column"),
    ("empty-file", _file("empty.csv", b""), DatasetFormatError, r"empty\.csv is empty; a dataset file needs a header or at least one row\."),
    ("header-only", _file("header.csv", "id,text,label\n"), DatasetFormatError, r"header\.csv has no rows; add at least one example\."),
    ("blank-jsonl", _file("blank.jsonl", "\n\n"), DatasetFormatError, r"blank\.jsonl has no rows"),
    ("latin-1", _file("latin.csv", "text,label\ncaf\xe9 au lait,positive\n".encode("latin-1")),
     DatasetFormatError, r"latin\.csv is not valid UTF-8: byte 0xe9 on line 2; re-save the file as UTF-8"),
    ("empty-label-csv", _file("nolabel.csv", "id,text,label\na,fine,positive\nb,no label,\n", id_column="id"),
     DatasetFormatError, r"split 'test': example 'b' has no label; every example of an evaluation split needs one\."),
    ("missing-label-jsonl", _file("nolabel.jsonl", '{"text": "a", "label": "x"}\n{"text": "b"}\n'),
     DatasetFormatError, r"example 1 has no label"),
    ("nan-label-jsonl", _file("nan.jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": NaN}\n'),
     DatasetFormatError, r"example 1 has no label"),
    ("text-not-a-string", _file("number.jsonl", '{"text": 5, "label": "x"}\n'),
     DatasetFormatError, r"example 0: column 'text' holds 5, not text"),
    ("duplicate-ids", _file("dups.csv", "id,text,label\na,one,positive\nb,two,negative\na,three,positive\n", id_column="id"),
     DatasetFormatError, r"split 'test': duplicate id 'a'; every example id must be unique\."),
    ("duplicate-ids-int-and-str", _file("dups.jsonl", '{"id": 7, "text": "a", "label": "x"}\n{"id": "7", "text": "b", "label": "y"}\n', id_column="id"),
     DatasetFormatError, r"duplicate id '7'"),
    ("bad-json-line", _file("bad.jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n{"text": "c", "label"\n'),
     DatasetFormatError, r"bad\.jsonl, line 3: not valid JSON"),
    ("jsonl-not-object", _file("list.jsonl", '["a", "x"]\n'), DatasetFormatError, r"line 1: expected a JSON object per line, got list"),
    ("json-not-array", _file("obj.json", '{"text": "a"}'), DatasetFormatError, r"expected a JSON array of objects"),
    ("ragged-csv", _file("ragged.csv", "id,text,label\na,fine,positive\nb,too,many,fields\n"),
     DatasetFormatError, r"ragged\.csv, line 3: 4 fields where the header has 3; quote fields that contain ','\."),
    ("repeated-header", _file("rep.csv", "text,text,label\na,b,c\n"), DatasetFormatError, r"the header repeats a column name"),
    ("corrupt-parquet", _file("bad.parquet", b"not parquet"), DatasetFormatError, r"bad\.parquet: not a readable Parquet file"),
    ("unknown-extension", _file("data.txt", "text,label\na,b\n"), DatasetFormatError,
     r"data\.txt: unknown file type '\.txt'; use one of \.csv, \.tsv, \.jsonl, \.ndjson, \.json, \.parquet\."),
    ("nonexistent-path", lambda d: {"source": d / "missing.csv"}, DatasetFormatError, r"^No such file or folder: .*missing\.csv\."),
    ("nonexistent-nested-path", lambda d: {"source": d / "no" / "such" / "thing"}, DatasetFormatError, r"^No such file or folder"),
    ("nonexistent-split-file", lambda d: {"splits": {"test": d / "gone.csv"}}, DatasetFormatError, r"^--split test=.*gone\.csv: no such file"),
    ("plain-folder", lambda d: {"source": d}, DatasetFormatError, r"is a folder but not a `datasets\.save_to_disk` folder"),
    ("invalid-name", lambda d: {"name": "my data!", "source": write_csv(d / "d.csv", ROWS)}, InvalidInputError,
     r"^Dataset name 'my data!' is not allowed; use 1-200 letters"),
    ("name-with-colon", lambda d: {"name": "baseline:x", "source": write_csv(d / "d.csv", ROWS)}, InvalidInputError, r"':' is reserved"),
    ("source-and-splits", lambda d: {"source": write_csv(d / "d.csv", ROWS), "splits": {"train": d / "d.csv"}},
     InvalidInputError, r"^Give either one PATH or HUB_ID, or --split NAME=PATH once per split, not both\.$"),
    ("neither-source-nor-splits", lambda d: {}, InvalidInputError, r"^Give either one PATH or HUB_ID"),
    ("unknown-task", lambda d: {"source": write_csv(d / "d.csv", ROWS), "task": "speech-recognition"}, InvalidInputError,
     r"^Unknown task 'speech-recognition'; available tasks: code-generation, generative-answers, language-modeling, multiple-choice, question-answering, summarization, "
     r"text-classification, token-classification, translation\.$"),
    ("bad-split-name", lambda d: {"splits": {"my split": write_csv(d / "d.csv", ROWS)}}, DatasetFormatError,
     r"^Split name 'my split' is not allowed"),
    ("empty-split-column-value", _file("parts.csv", "text,label,part\na,x,train\nb,y,\n", split_column="part"), DatasetFormatError,
     r"a row has no value in split column 'part'"),
    ("second-split-bad", _good_and_bad_splits, DatasetFormatError, r"test\.csv, split 'test': example 'y' has no label"),
]


@pytest.mark.parametrize(("make", "error", "message"), [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_one_clear_line_and_registers_nothing(make, error, message, tmp_path, isolated_hub):
    data = tmp_path / "data"
    data.mkdir()
    arguments = {"name": "reviews", **make(data)}
    name = arguments.pop("name")
    with Hub.open() as hub:
        with pytest.raises(error, match=message) as caught:
            hub.add_dataset(name, **arguments)
        assert "\n" not in str(caught.value)
        assert "Traceback" not in str(caught.value)
        assert hub.datasets() == []
    assert dataset_leftovers(isolated_hub) == []


def test_a_split_name_longer_than_the_store_allows_is_refused(tmp_path):
    from benchhub import DatasetFormatError, Hub
    from tests.conftest import review_rows, write_jsonl

    rows = [dict(row, split="s" * 101) for row in review_rows(4, seed=1, prefix="x")]
    with Hub.open() as hub:
        with pytest.raises(DatasetFormatError, match=r"^Split name 'ssssssssssssssssssss'\.\.\. is 101 characters long; use at most 100\.$"):
            hub.add_dataset("long", write_jsonl(tmp_path / "long.jsonl", rows), split_column="split")
        assert hub.datasets() == []


def test_a_csv_saved_with_semicolons_says_so_and_how_to_fix_it(tmp_path):
    (tmp_path / "semi.csv").write_text("id;text;label\n1;great;positive\n", encoding="utf-8")
    (tmp_path / "commas.tsv").write_text("id,text,label\n1,great,positive\n", encoding="utf-8")
    with Hub.open() as hub:
        with pytest.raises(DatasetFormatError, match=r"semi\.csv: its header 'id;text;label' looks separated by semicolons, and a "
                                                     r"\.csv file is read as CSV separated by commas; save it with commas \(or with tabs, as \.tsv\)\.$"):
            hub.add_dataset("semi", tmp_path / "semi.csv")
        with pytest.raises(DatasetFormatError, match=r"looks separated by commas, and a \.tsv file is read as TSV separated by tabs; name it \.csv\.$"):
            hub.add_dataset("commas", tmp_path / "commas.tsv")
        assert hub.datasets() == []

