"""`benchhub score`: scoring a predictions file against a split, exactly once per example, storing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from benchhub import Hub, PredictionsFormatError
from benchhub.tasks.text_classification.predictions import read_label_predictions
from tests.conftest import review_rows, write_jsonl

LABELS = ["negative", "positive"]
FLIP = {"positive": "negative", "negative": "positive"}


@pytest.fixture
def hub(review_files):
    """A hub with `reviews` (ids test-0..test-23 on its test split)."""
    with Hub.open() as opened:
        opened.add_dataset("reviews", splits=review_files, id_column="id")
        yield opened


@pytest.fixture
def gold(review_files) -> dict[str, str]:
    rows = [json.loads(line) for line in review_files["test"].read_text().splitlines()]
    return {row["id"]: row["label"] for row in rows}


def assert_nothing_stored(hub: Hub, home: Path) -> None:
    assert hub.models() == []
    assert not (home / "artifacts" / "evaluations").exists()
    assert hub.leaderboard(dataset="reviews", baselines=False, progress=False).rows == []


def jsonl_text(pairs) -> str:
    return "".join(json.dumps({"id": i, "label": label}) + "\n" for i, label in pairs)


def csv_text(pairs) -> str:
    return "id,label\n" + "".join(f"{i},{label}\n" for i, label in pairs)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"], ids=["jsonl", "csv"])
def test_score_equals_sklearn_and_stores_nothing(suffix, hub, gold, tmp_path, isolated_hub):
    ids = list(gold)
    # Wrong on every fourth example, and on every positive among the first eight: uneven per-class errors.
    predicted = {i: FLIP[gold[i]] if (n % 4 == 0 or (n < 8 and gold[i] == "positive")) else gold[i] for n, i in enumerate(ids)}
    pairs = list(reversed(predicted.items()))  # the file's order does not matter
    path = tmp_path / f"predictions{suffix}"
    path.write_text(jsonl_text(pairs) if suffix == ".jsonl" else csv_text(pairs))
    result = hub.score(dataset="reviews", predictions=path)
    y_true, y_pred = [gold[i] for i in ids], [predicted[i] for i in ids]
    expected = {
        "accuracy": accuracy_score(y_true, y_pred),
        "macro_f1": f1_score(y_true, y_pred, average="macro", labels=LABELS),
        "weighted_f1": f1_score(y_true, y_pred, average="weighted", labels=LABELS),
        "macro_precision": precision_score(y_true, y_pred, average="macro", labels=LABELS, zero_division=0),
        "macro_recall": recall_score(y_true, y_pred, average="macro", labels=LABELS, zero_division=0),
    }
    assert set(result["metrics"]) == set(expected)
    for name, value in expected.items():
        metric = result["metrics"][name]
        assert metric["value"] == pytest.approx(value, abs=1e-12), name
        assert metric["ci_low"] <= metric["value"] <= metric["ci_high"], name
    assert 0.5 < expected["accuracy"] < 0.8
    assert (result["dataset"], result["split"], result["task"]) == ("reviews", "test", "text-classification")
    assert result["predictions"]["path"] == str(path.resolve())
    assert_nothing_stored(hub, isolated_hub)


BAD_FILES = [
    ("missing-ids", "p.jsonl", lambda g: jsonl_text((i, y) for i, y in g.items() if i not in ("test-3", "test-7")),
     r"^p\.jsonl: 2 example\(s\) have no prediction, first id 'test-3'; give every example exactly once\.$"),
    ("missing-ids-csv", "p.csv", lambda g: csv_text((i, y) for i, y in g.items() if i != "test-23"),
     r"^p\.csv: 1 example\(s\) have no prediction, first id 'test-23'"),
    ("duplicate-id", "p.jsonl", lambda g: jsonl_text([*g.items(), ("test-5", "positive")]),
     r"^p\.jsonl, line 25: duplicate id 'test-5'; give each example exactly once\.$"),
    ("duplicate-id-csv", "p.csv", lambda g: csv_text([("test-5", "positive"), *g.items()]),
     r"^p\.csv, line 8: duplicate id 'test-5'"),
    ("unknown-id", "p.jsonl", lambda g: jsonl_text([("test-99", "positive"), *g.items()]),
     r"^p\.jsonl, line 1: unknown id 'test-99'; it is not an example of this split\.$"),
    ("nan-label", "p.jsonl", lambda g: jsonl_text(g.items()).replace('"label": "negative"', '"label": NaN', 1),
     r"^p\.jsonl, line 2: not valid JSON \(NaN is not allowed\); NaN and Infinity are not allowed\.$"),
    ("infinity-id", "p.jsonl", lambda g: '{"id": Infinity, "label": "positive"}\n' + jsonl_text(g.items()),
     r"^p\.jsonl, line 1: not valid JSON \(Infinity is not allowed\)"),
    ("label-not-in-set", "p.jsonl", lambda g: jsonl_text([(i, "neutral" if i == "test-2" else y) for i, y in g.items()]),
     r"^p\.jsonl, line 3: label 'neutral' for id 'test-2' is not one of \['negative', 'positive'\]\.$"),
    ("label-wrong-case", "p.csv", lambda g: csv_text([(i, "Positive" if i == "test-0" else y) for i, y in g.items()]),
     r"^p\.csv, line 2: label 'Positive' for id 'test-0' is not one of"),
    ("empty", "p.jsonl", lambda g: "", r"p\.jsonl is empty; expected one prediction per example\.$"),
    ("blank-lines", "p.csv", lambda g: "\n\n  \n", r"p\.csv is empty"),
    ("bad-json-line", "p.jsonl", lambda g: jsonl_text(list(g.items())[:2]) + '{"id": "test-2", "label": \n',
     r"^p\.jsonl, line 3: not valid JSON"),
    ("not-an-object", "p.jsonl", lambda g: '["test-0", "positive"]\n', r'^p\.jsonl, line 1: expected an object with "id" and "label"'),
    ("no-label-key", "p.jsonl", lambda g: '{"id": "test-0", "prediction": "positive"}\n', r'line 1: expected an object with "id" and "label"'),
    ("null-id", "p.jsonl", lambda g: '{"id": null, "label": "positive"}\n', r"line 1: id None is not a string or integer\.$"),
    ("bool-id", "p.jsonl", lambda g: '{"id": true, "label": "positive"}\n', r"line 1: id True is not a string or integer\.$"),
    ("csv-header", "p.csv", lambda g: "example,prediction\ntest-0,positive\n",
     r"^p\.csv: the CSV header must name 'id' and 'label' columns; it has \['example', 'prediction'\]\.$"),
    ("csv-ragged", "p.csv", lambda g: "id,label\ntest-0,positive\ntest-1,negative,extra\n",
     r"^p\.csv, line 3: 3 fields where the header has 2\.$"),
    ("not-utf8", "p.csv", lambda g: b"id,label\ntest-0,n\xe9gative\n", r"is not valid UTF-8 \(byte offset 17\); save it as UTF-8\.$"),
]


@pytest.mark.parametrize(("name", "make", "message"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_predictions_file_is_rejected_naming_the_first_problem(name, make, message, hub, gold, tmp_path, isolated_hub):
    path = tmp_path / name
    content = make(gold)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(PredictionsFormatError, match=message) as caught:
        hub.score(dataset="reviews", predictions=path)
    assert "\n" not in str(caught.value)
    assert_nothing_stored(hub, isolated_hub)


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(jsonl_text([(0, "positive"), (1, "negative")]))
    size = path.stat().st_size
    with pytest.raises(PredictionsFormatError, match=rf"big\.jsonl is {size:,} bytes; the limit is {size - 1:,}\.$"):
        read_label_predictions(path, ids=[0, 1], labels=LABELS, max_bytes=size - 1)
    assert read_label_predictions(path, ids=[0, 1], labels=LABELS, max_bytes=size) == ["positive", "negative"]


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(PredictionsFormatError, match=r"^Predictions file .*nothing\.jsonl does not exist\.$"):
        read_label_predictions(tmp_path / "nothing.jsonl", ids=[0], labels=LABELS)


def test_predictions_come_back_in_split_order_whatever_the_file_order(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(jsonl_text([("c", "positive"), ("a", "negative"), ("b", "positive")]))
    assert read_label_predictions(path, ids=["a", "b", "c"], labels=LABELS) == ["negative", "positive", "positive"]


@pytest.fixture
def row_index_dataset(tmp_path) -> dict[int, str]:
    """A dataset without an id column: its examples' ids are row indices 0..9."""
    rows = [{"text": r["text"], "label": r["label"]} for r in review_rows(10, seed=4, prefix="x")]
    with Hub.open() as hub:
        hub.add_dataset("no-ids", write_jsonl(tmp_path / "no-ids.jsonl", rows))
    return {index: row["label"] for index, row in enumerate(rows)}


@pytest.mark.parametrize(
    ("suffix", "write"),
    [
        (".jsonl", lambda gold: jsonl_text(gold.items())),
        (".csv", lambda gold: csv_text(gold.items())),
        (".csv", lambda gold: "\ufeffid,label\r\n" + "".join(f"{i},{y}\r\n" for i, y in gold.items())),
    ],
    ids=["jsonl-integer-ids", "csv-digit-ids", "csv-bom-crlf"],
)
def test_row_index_ids_are_integers_in_json_and_digits_in_csv(suffix, write, row_index_dataset, tmp_path):
    path = tmp_path / f"p{suffix}"
    path.write_text(write(row_index_dataset), encoding="utf-8", newline="")
    with Hub.open() as hub:
        result = hub.score(dataset="no-ids", predictions=path)
    assert result["metrics"]["accuracy"]["value"] == 1.0
    assert result["metrics"]["macro_f1"]["value"] == 1.0


def test_row_index_ids_reject_an_index_past_the_end(row_index_dataset, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(jsonl_text([*row_index_dataset.items(), (10, "positive")]))
    with Hub.open() as hub:
        with pytest.raises(PredictionsFormatError, match=r"line 11: unknown id 10; it is not an example of this split\."):
            hub.score(dataset="no-ids", predictions=path)


def test_ids_of_a_column_against_a_dataset_registered_without_one_get_a_hint(row_index_dataset, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(jsonl_text([(f"r{i}", label) for i, label in row_index_dataset.items()]))
    with Hub.open() as hub:
        with pytest.raises(PredictionsFormatError, match=r"^p\.jsonl, line 1: unknown id 'r0'; it is not an example of this split\. "
                                                         r"The dataset's ids are row numbers \(0 to 9\): it was registered without "
                                                         r"--id-column; register it again naming the column that holds these ids\.$"):
            hub.score(dataset="no-ids", predictions=path)


def test_missing_predictions_file_is_one_clear_error(review_files, tmp_path):
    from benchhub import Hub, PredictionsFormatError

    hub = Hub.open()
    hub.add_dataset("r", splits=review_files, id_column="id")
    with pytest.raises(PredictionsFormatError, match=r"Predictions file .*missing\.jsonl does not exist"):
        hub.score(dataset="r", predictions=tmp_path / "missing.jsonl")


def test_a_predictions_model_that_no_longer_fits_its_dataset_names_the_file_the_user_registered(tmp_path):
    with Hub.open() as hub:
        hub.add_dataset("reviews", write_jsonl(tmp_path / "test.jsonl", review_rows(6, seed=0, prefix="t")), id_column="id")
        mine = write_jsonl(tmp_path / "vendor.jsonl", [{"id": f"t-{i}", "label": "positive"} for i in range(5)])
        hub.add_model("vendor", mine)
        with pytest.raises(PredictionsFormatError, match=rf"^Model 'vendor' \(registered from {str(mine)}\): predictions\.jsonl"):
            hub.evaluate(model="vendor", dataset="reviews", progress=False)
