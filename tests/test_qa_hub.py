"""Question answering through the Hub API: SQuAD datasets, scored files, models, leaderboards, a tiny transformer."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from benchhub import (
    ColumnNotFoundError,
    DatasetFormatError,
    Hub,
    InvalidInputError,
    PredictionsFormatError,
)
from benchhub.metrics.bootstrap import paired_mean_pvalue
from benchhub.tasks.question_answering import metrics as squad
from tests.conftest import write_jsonl
from tests.fixtures.tiny_bert import build_tiny_bert_qa

V2_METRICS = {"exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1",
              "best_exact", "best_exact_thresh", "best_f1", "best_f1_thresh"}
BEST = {"best_exact", "best_exact_thresh", "best_f1", "best_f1_thresh"}
QA_BASELINES = ("sliding-window", "context-only", "question-only", "always-no-answer")

LIGHTHOUSE_1 = (
    "Harrow Point Lighthouse stands on a granite headland at the mouth of the Ketter estuary. It was designed by "
    "Margaret Oakes and first lit in 1871. The tower is 34 metres tall and its lamp can be seen from 19 nautical "
    "miles away on a clear night."
)
LIGHTHOUSE_2 = (
    "The keepers lived in two stone cottages behind the tower. In 1953 a storm destroyed the original lantern, which "
    "was replaced by a smaller electric light the following year. The station was automated in 1989 and the last "
    "keeper, Thomas Reed, moved to the town of Ketterby."
)
ORCHID_1 = (
    "The marsh helleborine is an orchid that grows in wet meadows and dune slacks across Europe. Its flowers appear "
    "in July and are pollinated mainly by hoverflies and small wasps. Each plant can produce several thousand tiny "
    "seeds, which are carried by the wind."
)
ORCHID_2 = (
    "Drainage of wetlands has made the orchid rare in many regions. In the Netherlands it is protected by law, and "
    "volunteers count the flowering spikes every summer. The largest known colony holds about 40,000 plants."
)
MILL = (
    "The Ashby windmill was built in 1802 by the miller John Hale. It ground wheat and barley for the village until "
    "1924, when its sails were damaged in a gale. The mill was restored by volunteers in 1998."
)
FERRY = (
    "The Lune ferry carries cars across the river between Hilton and Marsden. It makes the crossing every twenty "
    "minutes, and a single trip takes about six minutes. The ferry was first operated by the Marsden Council in 1936."
)

# (title, [(context, [(id, question, [answer texts])])]); no answers marks an unanswerable question.
TEST_ARTICLES = [
    ("Harrow Point Lighthouse", [
        (LIGHTHOUSE_1, [
            ("h1", "Who designed Harrow Point Lighthouse?", ["Margaret Oakes"]),
            ("h2", "When was the lighthouse first lit?", ["1871"]),
            ("h3", "How tall is the tower?", ["34 metres", "34"]),
            ("h4", "Who was the first keeper of the lighthouse?", []),
        ]),
        (LIGHTHOUSE_2, [
            ("h5", "What destroyed the original lantern?", ["a storm"]),
            ("h6", "Who was the last keeper?", ["Thomas Reed"]),
            ("h7", "How many keepers lived in the cottages?", []),
        ]),
    ]),
    ("Marsh helleborine", [
        (ORCHID_1, [
            ("m1", "When do the flowers of the marsh helleborine appear?", ["July"]),
            ("m2", "What pollinates the marsh helleborine?", ["hoverflies and small wasps", "hoverflies"]),
            ("m3", "How tall does the marsh helleborine grow?", []),
        ]),
        (ORCHID_2, [
            ("m4", "Where is the orchid protected by law?", ["the Netherlands"]),
            ("m5", "How many plants does the largest colony hold?", ["about 40,000"]),
            ("m6", "Who discovered the marsh helleborine?", []),
        ]),
    ]),
]
TRAIN_ARTICLES = [
    ("Ashby windmill", [
        (MILL, [
            ("t1", "Who built the Ashby windmill?", ["John Hale"]),
            ("t2", "When was the windmill built?", ["1802"]),
            ("t3", "What damaged the sails?", ["a gale"]),
            ("t4", "Who painted the windmill?", []),
            ("t5", "When were the sails replaced?", []),
        ]),
    ]),
    ("Lune ferry", [
        (FERRY, [
            ("t6", "Who first operated the ferry?", ["the Marsden Council"]),
            ("t7", "How long does a single trip take?", ["about six minutes"]),
            ("t8", "How often does the ferry cross?", ["every twenty minutes"]),
            ("t9", "How many passengers can the ferry carry?", []),
        ]),
    ]),
]
TEST_IDS = ["h1", "h2", "h3", "h4", "h5", "h6", "h7", "m1", "m2", "m3", "m4", "m5", "m6"]
UNANSWERABLE = {"h4", "h7", "m3", "m6"}

# A system that is right, partly right, wrong, abstains correctly and answers where it should not.
PREDICTIONS = {
    "h1": "Margaret Oakes", "h2": "1871", "h3": "34 metres tall", "h4": "Margaret Oakes", "h5": "storm",
    "h6": "", "h7": "", "m1": "July", "m2": "hoverflies", "m3": "", "m4": "Europe", "m5": "40,000", "m6": "",
}
NA_PROBS = {
    "h1": 0.05, "h2": 0.1, "h3": 0.3, "h4": 0.6, "h5": 0.2, "h6": 0.9, "h7": 0.8,
    "m1": 0.15, "m2": 0.25, "m3": 0.7, "m4": 0.55, "m5": 0.35, "m6": 0.95,
}
# A weaker system: abstains everywhere except three questions.
PLAIN_PREDICTIONS = {qid: "" for qid in TEST_IDS} | {"h1": "Oakes", "m1": "July", "m4": "wet meadows"}


def squad_document(articles: list, *, version: str = "v2.0") -> dict[str, Any]:
    """A SQuAD JSON document; answer_start is where each answer first occurs in its context."""
    return {"version": version, "data": [
        {"title": title, "paragraphs": [
            {"context": context, "qas": [
                {"id": qid, "question": question, "is_impossible": not answers,
                 "answers": [{"text": text, "answer_start": context.index(text)} for text in answers]}
                for qid, question, answers in qas
            ]}
            for context, qas in paragraphs
        ]}
        for title, paragraphs in articles
    ]}


def flat_rows(articles: list) -> list[dict[str, Any]]:
    """The SQuAD rows as SQuAD-style columns: id, title, question, context, answers {text, answer_start}."""
    return [
        {"id": qid, "title": title, "question": question, "context": context,
         "answers": {"text": list(answers), "answer_start": [context.index(text) for text in answers]}}
        for title, paragraphs in articles for context, qas in paragraphs for qid, question, answers in qas
    ]


def answerable_only(articles: list) -> list:
    """The articles without their unanswerable questions (SQuAD v1.1 data)."""
    return [
        (title, [(context, [qa for qa in qas if qa[2]]) for context, qas in paragraphs])
        for title, paragraphs in articles
    ]


def references(articles: list) -> dict[str, list[str]]:
    return {row["id"]: row["answers"]["text"] for row in flat_rows(articles)}


def contexts(articles: list) -> dict[str, str]:
    return {row["id"]: row["context"] for row in flat_rows(articles)}


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def squad_files(folder: Path) -> dict[str, Path]:
    """SQuAD v2.0 train/test files and a v1.1 pair, plus predictions and no-answer probabilities of the v2.0 test."""
    return {
        "train": write_json(folder / "train-v2.json", squad_document(TRAIN_ARTICLES)),
        "test": write_json(folder / "test-v2.json", squad_document(TEST_ARTICLES)),
        "train_v1": write_json(folder / "train-v1.json", squad_document(answerable_only(TRAIN_ARTICLES), version="1.1")),
        "test_v1": write_json(folder / "test-v1.json", squad_document(answerable_only(TEST_ARTICLES), version="1.1")),
        "predictions": write_json(folder / "predictions.json", PREDICTIONS),
        "na_probs": write_json(folder / "na_probs.json", NA_PROBS),
        "plain": write_json(folder / "plain.json", PLAIN_PREDICTIONS),
    }


def dataset_leftovers(home: Path) -> list[str]:
    folder = home / "artifacts" / "datasets"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return squad_files(tmp_path)


@pytest.fixture
def hub(files):
    """A hub with `qa` (SQuAD v2.0, train 9 / test 13 questions)."""
    with Hub.open() as opened:
        opened.add_dataset("qa", task="question-answering", splits={"train": files["train"], "test": files["test"]})
        yield opened


@pytest.fixture(scope="module")
def tiny_qa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT extractive QA model, randomly initialised, with a WordPiece vocab of the fixture text."""
    corpus = [text for row in flat_rows(TEST_ARTICLES + TRAIN_ARTICLES) for text in (row["question"], row["context"])]
    return build_tiny_bert_qa(tmp_path_factory.mktemp("tiny-bert-qa"), corpus)


# --- datasets -------------------------------------------------------------------------------------


def test_squad_v2_json_registers_answerable_and_unanswerable_questions_with_their_ids(hub, isolated_hub):
    info = hub.dataset("qa")
    assert info.task == "question-answering"
    assert info.options == {"squad_version": "2.0"}
    assert info.labels == []
    assert info.columns == {"question": "question", "context": "context", "answers": "answers", "id": "id", "split": None}
    assert [(s.name, s.num_rows, s.label_counts) for s in info.splits] == [
        ("train", 9, {"answerable": 6, "unanswerable": 3}),
        ("test", 13, {"answerable": 9, "unanswerable": 4}),
    ]
    stored = [json.loads(line) for line in (isolated_hub / "artifacts/datasets/qa/test.jsonl").read_text().splitlines()]
    assert [row["id"] for row in stored] == TEST_IDS
    assert stored[2] == {
        "id": "h3", "text": "How tall is the tower?", "text_pair": LIGHTHOUSE_1, "label": None,
        "answers": {"text": ["34 metres", "34"], "answer_start": [LIGHTHOUSE_1.index("34 metres")] * 2},
    }
    assert stored[3]["answers"] == {"text": [], "answer_start": []}


def test_squad_v1_json_without_unanswerable_questions_is_v1_1(files):
    with Hub.open() as hub:
        info = hub.add_dataset("qa1", files["test_v1"], task="question-answering")
    assert info.options == {"squad_version": "1.1"}
    assert [(s.name, s.num_rows, s.label_counts) for s in info.splits] == [("test", 9, {"answerable": 9, "unanswerable": 0})]


def test_jsonl_and_parquet_with_squad_columns_register_the_same_rows_as_squad_json(files, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = flat_rows(TEST_ARTICLES)
    jsonl = write_jsonl(tmp_path / "test.jsonl", rows)
    # The list-of-answer-objects form (as in SQuAD JSON) is accepted in a column too.
    listed = copy.deepcopy(rows)
    for row in listed:
        row["answers"] = [{"text": t, "answer_start": s} for t, s in zip(row["answers"]["text"], row["answers"]["answer_start"])]
    listed_jsonl = write_jsonl(tmp_path / "listed.jsonl", listed)
    schema = pa.schema([
        ("id", pa.string()), ("title", pa.string()), ("question", pa.string()), ("context", pa.string()),
        ("answers", pa.struct([("text", pa.list_(pa.string())), ("answer_start", pa.list_(pa.int32()))])),
    ])
    parquet = tmp_path / "test.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), parquet)
    with Hub.open() as hub:
        reference = hub.add_dataset("from-json", files["test"], task="question-answering")
        infos = [hub.add_dataset(name, path, task="question-answering")
                 for name, path in (("from-jsonl", jsonl), ("from-listed", listed_jsonl), ("from-parquet", parquet))]
    for info in infos:
        assert info.options == {"squad_version": "2.0"}
        assert info.split("test").label_counts == {"answerable": 9, "unanswerable": 4}
        assert info.split("test").fingerprint == reference.split("test").fingerprint
        assert info.fingerprint == reference.fingerprint


def test_a_split_column_and_custom_column_names(tmp_path):
    renamed = [
        {"qid": row["id"], "ask": row["question"], "passage": row["context"], "gold": row["answers"],
         "part": "train" if row["id"] in ("h1", "h4", "m1") else "test"}
        for row in flat_rows(TEST_ARTICLES)
    ]
    path = write_jsonl(tmp_path / "renamed.jsonl", renamed)
    with Hub.open() as hub:
        info = hub.add_dataset("custom", path, task="question-answering", question_column="ask", context_column="passage",
                               answers_column="gold", id_column="qid", split_column="part")
        scored = hub.score(dataset="custom", split="train", predictions=write_json(tmp_path / "p.json", {"h1": "Oakes", "h4": "", "m1": "July"}))
    assert info.columns == {"question": "ask", "context": "passage", "answers": "gold", "id": "qid", "split": "part"}
    assert sorted((s.name, s.num_rows, tuple(s.label_counts.values())) for s in info.splits) == [
        ("test", 10, (7, 3)), ("train", 3, (2, 1)),
    ]
    assert scored["metrics"]["exact"]["value"] == pytest.approx(200 / 3)
    assert scored["metrics"]["f1"]["value"] == pytest.approx(100 * (2 / 3 + 1 + 1) / 3)


def _squad_with(change) -> dict[str, Any]:
    document = squad_document(TEST_ARTICLES)
    change(document["data"][0]["paragraphs"][0])
    return document


def _rows_with(change) -> list[dict[str, Any]]:
    rows = flat_rows(TEST_ARTICLES)
    change(rows)
    return rows


BAD_DATASETS = {
    "answer-start-off": (
        ".json", _squad_with(lambda p: p["qas"][1]["answers"][0].update(answer_start=3)), DatasetFormatError,
        rf"^test\.json \[test\]: question 'h2': answer_start 3 does not point at answer '1871' in the context "
        rf"\(the text occurs at {LIGHTHOUSE_1.index('1871')}\)\.$",
    ),
    "answer-not-in-context": (
        ".json", _squad_with(lambda p: p["qas"][0]["answers"][0].update(text="Josiah Crane")), DatasetFormatError,
        r"^test\.json \[test\]: question 'h1': answer_start \d+ does not point at answer 'Josiah Crane' in the context "
        r"\(the text does not occur in the context\)\.$",
    ),
    "duplicate-id": (
        ".json", _squad_with(lambda p: p["qas"][1].update(id="h1")), DatasetFormatError,
        r"^test\.json \[test\], split 'test': duplicate id 'h1'; every example id must be unique\.$",
    ),
    "empty-context": (
        ".json", _squad_with(lambda p: p.update(context="", qas=[{"id": "h1", "question": "Who?", "answers": []}])),
        DatasetFormatError, r"^test\.json \[test\], split 'test': question 'h1' has an empty context\.$",
    ),
    "empty-question": (
        ".json", _squad_with(lambda p: p["qas"][0].update(question="  ")), DatasetFormatError,
        r"^test\.json \[test\], split 'test': question 'h1' has an empty question\.$",
    ),
    "impossible-with-answers": (
        ".json", _squad_with(lambda p: p["qas"][0].update(is_impossible=True)), DatasetFormatError,
        r"^.*test\.json \[test\]: question 'h1' is marked is_impossible but lists answers; SQuAD v2\.0 keeps answers empty",
    ),
    "answers-a-string": (
        ".jsonl", _rows_with(lambda rows: rows[0].update(answers="Margaret Oakes")), DatasetFormatError,
        r"^test\.jsonl \[test\]: question 'h1' has answers 'Margaret Oakes'; expected \{\"text\": \[\.\.\.\], "
        r"\"answer_start\": \[\.\.\.\]\} \(empty lists for an unanswerable question\)\.$",
    ),
    "answers-uneven": (
        ".jsonl", _rows_with(lambda rows: rows[2]["answers"].update(answer_start=[21])), DatasetFormatError,
        r"^test\.jsonl \[test\]: question 'h3' has 2 answer texts but 1 answer_start values\.$",
    ),
    "answer-empty-text": (
        ".jsonl", _rows_with(lambda rows: rows[0]["answers"].update(text=[""])), DatasetFormatError,
        r"^test\.jsonl \[test\]: question 'h1' has an empty or non-text answer ''\.$",
    ),
    "answers-column-missing": (
        ".jsonl", _rows_with(lambda rows: [row.pop("answers") for row in rows]), ColumnNotFoundError,
        r"^Column 'answers' not in test\.jsonl \[test\]\. Current columns: \['id', 'title', 'question', 'context'\]\. "
        r"Name the right one with --answers-column\.$",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DATASETS), ids=list(BAD_DATASETS))
def test_bad_qa_data_is_one_clear_error_and_registers_nothing(case, tmp_path, isolated_hub):
    suffix, content, error, message = BAD_DATASETS[case]
    path = tmp_path / f"test{suffix}"
    if suffix == ".json":
        write_json(path, content)
    else:
        write_jsonl(path, content)
    with Hub.open() as hub:
        with pytest.raises(error, match=message) as raised:
            hub.add_dataset("broken", path, task="question-answering")
        assert "\n" not in str(raised.value)
        assert hub.datasets() == []
    assert dataset_leftovers(isolated_hub) == []


# --- scoring predictions files --------------------------------------------------------------------


@pytest.mark.parametrize("with_na_probs", [True, False], ids=["na-probs", "answers-only"])
def test_score_equals_the_official_v2_scorer(with_na_probs, hub, files):
    result = hub.score(dataset="qa", predictions=files["predictions"], na_probs=files["na_probs"] if with_na_probs else None)
    official = squad.squad_v2(predictions=PREDICTIONS, references=references(TEST_ARTICLES),
                              na_probs=NA_PROBS if with_na_probs else None)
    metrics = result["metrics"]
    assert set(metrics) == (V2_METRICS if with_na_probs else V2_METRICS - BEST)
    assert {name: entry["value"] for name, entry in metrics.items()} == {name: official[name] for name in metrics}
    assert metrics["exact"]["value"] == 100 * 8 / 13  # h1 h2 h5 ("storm" = "a storm") h7 m1 m2 m3 m6
    for name in ("exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1"):
        assert metrics[name]["ci_low"] <= metrics[name]["value"] <= metrics[name]["ci_high"], name
        assert metrics[name]["ci_low"] < metrics[name]["ci_high"] or name.startswith("NoAns"), name
    for name in BEST & set(metrics):
        assert metrics[name]["ci_low"] is None and metrics[name]["ci_high"] is None
    assert result["details"]["squad_version"] == "2.0"
    assert result["details"]["no_answer_probabilities"] is with_na_probs
    assert ("na_probs" in result["predictions"]) is with_na_probs


def test_score_on_v1_1_equals_the_official_v1_scorer(files, tmp_path):
    answers = {qid: PREDICTIONS[qid] for qid in references(answerable_only(TEST_ARTICLES))}
    with Hub.open() as hub:
        hub.add_dataset("qa1", files["test_v1"], task="question-answering")
        result = hub.score(dataset="qa1", predictions=write_json(tmp_path / "v1.json", answers))
    official = squad.squad_v1(predictions=answers, references=references(answerable_only(TEST_ARTICLES)))
    assert {name: entry["value"] for name, entry in result["metrics"].items()} == official
    assert set(official) == {"exact_match", "f1"}
    assert result["details"]["squad_version"] == "1.1"


def _raw(text: str):
    return lambda path: path.write_text(text, encoding="utf-8")


def _answers(document: dict[str, Any]):
    return lambda path: write_json(path, document)


BAD_PREDICTIONS = {
    "missing-id": ("predictions", _answers({k: v for k, v in PREDICTIONS.items() if k != "m5"}),
                   r"^pred\.json: 1 question\(s\) have no prediction, first id 'm5'; give every question exactly once\.$"),
    "unknown-id": ("predictions", _answers(PREDICTIONS | {"zz9": "x"}),
                   r"^pred\.json: unknown id 'zz9'; it is not a question of this split\.$"),
    "duplicate-key": ("predictions", _raw(json.dumps(PREDICTIONS)[:-1] + ', "h2": "1871"}'),
                      r"^pred\.json: duplicate id 'h2'; give each question exactly once\.$"),
    "non-string-answer": ("predictions", _answers(PREDICTIONS | {"h2": 1871}),
                          r"^pred\.json: the answer for id 'h2' is 1871, not a string; use \"\" for no answer\.$"),
    "not-an-object": ("predictions", _answers([PREDICTIONS]),
                      r"^pred\.json: expected one JSON object \{\"<question id>\": \"answer\", \.\.\.\}\.$"),
    "infinite-na-prob": ("na_probs", _raw(json.dumps(NA_PROBS).replace("0.35", "1e999")),
                         r"^pred\.json: the no-answer probability for id 'm5' is inf, not a finite number\.$"),
    "text-na-prob": ("na_probs", _answers(NA_PROBS | {"h3": "high"}),
                     r"^pred\.json: the no-answer probability for id 'h3' is 'high', not a finite number\.$"),
    "na-probs-missing-id": ("na_probs", _answers({k: v for k, v in NA_PROBS.items() if k != "h1"}),
                            r"^pred\.json: 1 question\(s\) have no prediction, first id 'h1'"),
}


@pytest.mark.parametrize("case", list(BAD_PREDICTIONS), ids=list(BAD_PREDICTIONS))
def test_bad_predictions_files_name_the_offending_id_and_store_nothing(case, hub, files, tmp_path, isolated_hub):
    which, write, message = BAD_PREDICTIONS[case]
    bad = tmp_path / "pred.json"
    write(bad)
    arguments = {"predictions": bad} if which == "predictions" else {"predictions": files["predictions"], "na_probs": bad}
    with pytest.raises(PredictionsFormatError, match=message):
        hub.score(dataset="qa", **arguments)
    assert hub.models() == []
    assert hub.leaderboard(dataset="qa", baselines=False, progress=False).rows == []
    assert not (isolated_hub / "artifacts" / "evaluations").exists()


def test_na_probs_on_a_classification_dataset_are_refused(files, review_files):
    with Hub.open() as hub:
        hub.add_dataset("reviews", splits=review_files, id_column="id")
        predictions = write_jsonl(review_files["test"].parent / "labels.jsonl", [{"id": f"test-{i}", "label": "positive"} for i in range(24)])
        with pytest.raises(InvalidInputError, match=r"^--na-probs applies to question-answering datasets only\.$"):
            hub.score(dataset="reviews", predictions=predictions, na_probs=files["na_probs"])


# --- models ---------------------------------------------------------------------------------------


def test_a_predictions_model_with_na_probs_evaluates_like_score(hub, files):
    record = hub.add_model("replay", files["predictions"], na_probs=files["na_probs"])
    assert (record.kind, record.source, record.options) == (
        "predictions", "models/replay/predictions.json", {"na_probs": "models/replay/na_probs.json"},
    )
    evaluation = hub.evaluate(model="replay", dataset="qa", progress=False)
    scored = hub.score(dataset="qa", predictions=files["predictions"], na_probs=files["na_probs"])
    assert evaluation.metrics == scored["metrics"]
    assert set(evaluation.metrics) == V2_METRICS
    assert evaluation.task_config == {}
    rows = hub.predictions(model="replay", dataset="qa")
    assert [(r["id"], r["predicted"], r["no_answer_probability"], r["has_answer"]) for r in rows] == [
        (qid, PREDICTIONS[qid], NA_PROBS[qid], qid not in UNANSWERABLE) for qid in TEST_IDS
    ]
    per_example = squad.per_example_v2(predictions=PREDICTIONS, references=references(TEST_ARTICLES), na_probs=NA_PROBS)
    assert [r["f1"] for r in rows] == per_example["f1"].tolist()
    assert [r["exact"] for r in rows] == per_example["exact"].tolist()


def test_na_probs_with_a_transformers_model_are_refused(hub, files, tiny_qa):
    with pytest.raises(InvalidInputError, match=r"^--na-probs belongs to a SQuAD predictions file \(kind predictions\), not a transformers model\.$"):
        hub.add_model("bert", tiny_qa, na_probs=files["na_probs"])
    assert hub.models() == []


def test_builtin_qa_baselines_train_on_the_train_split_and_answer_from_the_context(hub, isolated_hub):
    context_of = contexts(TEST_ARTICLES)
    for name in QA_BASELINES:
        evaluation = hub.evaluate(model=f"baseline:{name}", dataset="qa", progress=False)
        assert set(evaluation.metrics) == V2_METRICS, name
        rows = hub.predictions(model=f"baseline:{name}", dataset="qa")
        assert [r["id"] for r in rows] == TEST_IDS
        for row in rows:
            assert row["predicted"] == "" or row["predicted"] in context_of[row["id"]], (name, row)
            assert 0.0 <= row["no_answer_probability"] <= 1.0
    assert sorted(p.name.split("-")[1] for p in (isolated_hub / "artifacts" / "baselines").glob("*/*")) == [
        "always", "context", "question", "sliding",
    ]
    silent = hub.evaluate(model="baseline:always-no-answer", dataset="qa", progress=False)
    assert silent.cached
    values = {name: entry["value"] for name, entry in silent.metrics.items()}
    assert (values["exact"], values["f1"], values["HasAns_f1"], values["NoAns_exact"]) == (100 * 4 / 13, 100 * 4 / 13, 0.0, 100.0)
    assert {r["predicted"] for r in hub.predictions(model="baseline:always-no-answer", dataset="qa")} == {""}


def test_baselines_of_the_other_task_are_refused_naming_the_right_ones(hub, review_files):
    hub.add_dataset("reviews", splits=review_files, id_column="id")
    with pytest.raises(InvalidInputError, match=(
        r"^baseline:majority is a text-classification baseline and dataset 'qa' is question-answering; use one of "
        r"baseline:sliding-window, baseline:context-only, baseline:question-only, baseline:always-no-answer\.$"
    )):
        hub.evaluate(model="baseline:majority", dataset="qa", progress=False)
    with pytest.raises(InvalidInputError, match=(
        r"^baseline:sliding-window is a question-answering baseline and dataset 'reviews' is text-classification; "
        r"use one of baseline:majority, baseline:keyword, baseline:tfidf-logreg, baseline:embedding-logreg\.$"
    )):
        hub.evaluate(model="baseline:sliding-window", dataset="reviews", progress=False)
    assert hub.leaderboard(dataset="qa", baselines=False, progress=False).rows == []


def test_a_regex_rules_baseline_on_a_qa_dataset_is_refused(hub, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text('rules:\n  - pattern: "who"\n    label: person\ndefault: other\n')
    hub.add_model("rules", rules)
    with pytest.raises(InvalidInputError, match=r"^Regex-rule baseline 'rules' classifies text; dataset 'qa' is question-answering\.$"):
        hub.evaluate(model="rules", dataset="qa", progress=False)


# --- leaderboards ---------------------------------------------------------------------------------


@pytest.fixture
def ranked_hub(hub, files):
    """`qa` with two predictions models: `replay` (with na-probs) and `plain` (answers only)."""
    hub.add_model("replay", files["predictions"], na_probs=files["na_probs"])
    hub.add_model("plain", files["plain"])
    for model in ("replay", "plain"):
        hub.evaluate(model=model, dataset="qa", progress=False)
    return hub


def _f1(row) -> float:
    return row.metrics["f1"]["value"]


def test_qa_leaderboard_ranks_by_f1_with_baselines_and_the_shortcut_gap(ranked_hub):
    board = ranked_hub.leaderboard(dataset="qa", progress=False)
    assert (board.task, board.metric) == ("question-answering", "f1")
    assert sorted(row.model for row in board.rows) == sorted(["replay", "plain", *(f"baseline:{b}" for b in QA_BASELINES)])
    assert [row.rank for row in board.rows] == list(range(1, 7))
    assert [_f1(row) for row in board.rows] == sorted((_f1(row) for row in board.rows), reverse=True)
    by_name = {row.model: row for row in board.rows}
    partial = max(_f1(by_name["baseline:context-only"]), _f1(by_name["baseline:question-only"]))
    for row in board.rows:
        assert row.shortcut_gap == _f1(row) - partial, row.model
    assert any(note.startswith("shortcut gap: f1 minus the best partial-input baseline") for note in board.notes)
    leader = ranked_hub.predictions(model=board.rows[0].model, dataset="qa")
    assert board.rows[0].p_value_vs_leader is None
    for row in board.rows[1:]:
        other = ranked_hub.predictions(model=row.model, dataset="qa")
        expected = paired_mean_pvalue([r["f1"] for r in leader], [r["f1"] for r in other], n_resamples=1000, seed=0)
        assert row.p_value_vs_leader == expected, row.model
        assert row.tied_with_leader is bool(expected >= 0.05)


def test_always_no_answer_is_a_reference_row_only_under_squad_v2(files):
    with Hub.open() as hub:
        hub.add_dataset("qa1", task="question-answering", splits={"train": files["train_v1"], "test": files["test_v1"]})
        board = hub.leaderboard(dataset="qa1", progress=False)
    assert sorted(row.model for row in board.rows) == ["baseline:context-only", "baseline:question-only", "baseline:sliding-window"]
    assert all(set(row.metrics) == {"exact_match", "f1"} for row in board.rows)


def test_ranking_by_best_f1_puts_models_without_it_last(ranked_hub):
    board = ranked_hub.leaderboard(dataset="qa", metric="best_f1", progress=False)
    assert board.metric == "best_f1"
    assert board.rows[-1].model == "plain"
    assert "best_f1" not in board.rows[-1].metrics
    assert board.rows[-1].shortcut_gap is None
    ranked = [row.metrics["best_f1"]["value"] for row in board.rows[:-1]]
    assert ranked == sorted(ranked, reverse=True)
    # best_* thresholds are fitted per system, so no paired test is made on them.
    assert all(row.p_value_vs_leader is None for row in board.rows)


def test_has_ans_f1_p_values_come_from_the_answerable_questions_only(ranked_hub):
    board = ranked_hub.leaderboard(dataset="qa", metric="HasAns_f1", progress=False)
    values = [row.metrics["HasAns_f1"]["value"] for row in board.rows]
    assert values == sorted(values, reverse=True)
    leader = ranked_hub.predictions(model=board.rows[0].model, dataset="qa")
    answerable = [i for i, r in enumerate(leader) if r["has_answer"]]
    assert [leader[i]["id"] for i in answerable] == [qid for qid in TEST_IDS if qid not in UNANSWERABLE]
    differs_from_all_questions = False
    for row in board.rows[1:]:
        other = ranked_hub.predictions(model=row.model, dataset="qa")
        expected = paired_mean_pvalue([leader[i]["f1"] for i in answerable], [other[i]["f1"] for i in answerable])
        assert row.p_value_vs_leader == expected, row.model
        everything = paired_mean_pvalue([r["f1"] for r in leader], [r["f1"] for r in other])
        differs_from_all_questions |= everything != expected
    assert differs_from_all_questions


def test_an_unknown_ranking_metric_lists_the_qa_metrics(ranked_hub, files):
    with pytest.raises(InvalidInputError, match=(
        r"^Metric 'accuracy' is not reported for question-answering on 'qa'; choose one of f1, exact, HasAns_f1, "
        r"HasAns_exact, NoAns_f1, NoAns_exact, best_f1, best_f1_thresh, best_exact, best_exact_thresh\.$"
    )):
        ranked_hub.leaderboard(dataset="qa", metric="accuracy", progress=False)
    ranked_hub.add_dataset("qa1", files["test_v1"], task="question-answering")
    with pytest.raises(InvalidInputError, match=r"^Metric 'exact' is not reported for question-answering on 'qa1'; choose one of f1, exact_match\.$"):
        ranked_hub.leaderboard(dataset="qa1", metric="exact", progress=False)


# --- a transformers QA model end to end ----------------------------------------------------------


def test_tiny_transformers_qa_model_windows_long_contexts_and_caches_per_setting(hub, files, tiny_qa):
    hub.add_model("tiny-qa", tiny_qa)
    first = hub.evaluate(model="tiny-qa", dataset="qa", max_length=48, doc_stride=16, progress=False)
    assert first.task_config == {"max_length": 48, "doc_stride": 16, "n_best": 20, "max_answer_length": 30, "null_threshold": 0.0}
    assert first.efficiency["examples"] == 13
    assert first.efficiency["items"] > 13  # contexts longer than 48 tokens become several windows
    assert set(first.metrics) == V2_METRICS
    rows = hub.predictions(model="tiny-qa", dataset="qa")
    context_of = contexts(TEST_ARTICLES)
    for row in rows:
        assert row["predicted"] == "" or row["predicted"] in context_of[row["id"]], row
        assert 0.0 <= row["no_answer_probability"] <= 1.0, row
    official = squad.squad_v2(
        predictions={r["id"]: r["predicted"] for r in rows}, references=references(TEST_ARTICLES),
        na_probs={r["id"]: r["no_answer_probability"] for r in rows},
    )
    assert {name: entry["value"] for name, entry in first.metrics.items()} == {name: official[name] for name in V2_METRICS}

    again = hub.evaluate(model="tiny-qa", dataset="qa", max_length=48, doc_stride=16, progress=False)
    assert (again.cached, again.id, again.metrics) == (True, first.id, first.metrics)
    narrower = hub.evaluate(model="tiny-qa", dataset="qa", max_length=48, doc_stride=8, progress=False)
    assert narrower.cached is False
    assert narrower.id != first.id
    assert narrower.task_config["doc_stride"] == 8
    with pytest.raises(InvalidInputError, match=r"^--doc-stride must be an int in the range \[0, 48\) for max_length 48\. Got 48 instead\.$"):
        hub.evaluate(model="tiny-qa", dataset="qa", max_length=48, doc_stride=48, progress=False)
    for bad in (float("inf"), float("nan"), True):
        with pytest.raises(InvalidInputError, match=r"^--null-threshold must be a finite number\. Got .* instead\.$"):
            hub.evaluate(model="tiny-qa", dataset="qa", max_length=48, doc_stride=16, null_threshold=bad, progress=False)


def test_a_transformers_model_never_abstains_under_squad_v1_1(files, tiny_qa):
    with Hub.open() as hub:
        hub.add_dataset("qa1", files["test_v1"], task="question-answering")
        hub.add_model("tiny-qa", tiny_qa)
        evaluation = hub.evaluate(model="tiny-qa", dataset="qa1", max_length=48, doc_stride=16, progress=False)
        rows = hub.predictions(model="tiny-qa", dataset="qa1")
    assert set(evaluation.metrics) == {"exact_match", "f1"}
    assert len(rows) == 9
    context_of = contexts(TEST_ARTICLES)
    for row in rows:
        assert row["predicted"] != "" and row["predicted"] in context_of[row["id"]], row
        assert row["no_answer_probability"] is None
    official = squad.squad_v1(predictions={r["id"]: r["predicted"] for r in rows}, references=references(answerable_only(TEST_ARTICLES)))
    assert {name: entry["value"] for name, entry in evaluation.metrics.items()} == official


def test_qa_settings_on_a_classification_dataset_are_refused_naming_its_settings(review_files):
    with Hub.open() as hub:
        hub.add_dataset("reviews", splits=review_files, id_column="id")
        with pytest.raises(InvalidInputError, match=r"^--doc-stride does not apply to text-classification; its settings are --max-length\.$"):
            hub.evaluate(model="baseline:majority", dataset="reviews", doc_stride=16, progress=False)
        assert hub.leaderboard(dataset="reviews", baselines=False, progress=False).rows == []


@pytest.mark.parametrize("answers", [["Margaret Oakes"], "Margaret Oakes"], ids=["list-of-strings", "string"])
def test_malformed_answers_in_squad_json_are_one_clear_error(answers, tmp_path, isolated_hub):
    path = write_json(tmp_path / "test.json", _squad_with(lambda p: p["qas"][0].update(answers=answers)))
    with Hub.open() as hub:
        with pytest.raises(DatasetFormatError, match=r"question 'h1'") as raised:
            hub.add_dataset("broken", path, task="question-answering")
        assert "\n" not in str(raised.value)
        assert hub.datasets() == []
    assert dataset_leftovers(isolated_hub) == []


def test_squad_json_answers_in_column_form_are_accepted(tmp_path):
    path = write_json(tmp_path / "test.json", _squad_with(
        lambda p: p["qas"][0].update(answers={"text": [p["qas"][0]["answers"][0]["text"]],
                                              "answer_start": [p["qas"][0]["answers"][0]["answer_start"]]})))
    with Hub.open() as hub:
        info = hub.add_dataset("columns-form", path, task="question-answering")
    assert info.splits[0].num_rows > 0


@pytest.mark.parametrize("which", ["predictions", "na_probs"])
def test_a_nan_literal_names_the_offending_id(which, hub, files, tmp_path):
    bad = tmp_path / "pred.json"
    if which == "na_probs":
        bad.write_text(json.dumps(NA_PROBS).replace("0.35", "NaN"))
        arguments = {"predictions": files["predictions"], "na_probs": bad}
    else:
        bad.write_text(json.dumps(PREDICTIONS).replace('"40,000"', "NaN"))
        arguments = {"predictions": bad}
    with pytest.raises(PredictionsFormatError, match=r"'m5'"):
        hub.score(dataset="qa", **arguments)


def test_qa_jsonl_without_id_column_uses_row_indices(tmp_path):
    rows = [{"question": "Who?", "context": "Anna went home.", "answers": {"text": ["Anna"], "answer_start": [0]}},
            {"question": "Where?", "context": "Anna went home.", "answers": {"text": [], "answer_start": []}}]
    path = tmp_path / "qa.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with Hub.open() as hub:
        info = hub.add_dataset("no-ids", path, task="question-answering")
        assert info.options == {"squad_version": "2.0"}
        report = hub.score(dataset="no-ids", predictions=write_json(tmp_path / "p.json", {"0": "Anna", "1": ""}))
    assert report["metrics"]["f1"]["value"] == 100.0


def test_is_impossible_with_answers_in_column_data_is_refused(tmp_path):
    rows = [{"id": "q1", "question": "Who?", "context": "Anna went home.", "is_impossible": True,
             "answers": {"text": ["Anna"], "answer_start": [0]}}]
    path = tmp_path / "qa.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with Hub.open() as hub:
        with pytest.raises(DatasetFormatError, match=r"question 'q1' is marked is_impossible but lists answers"):
            hub.add_dataset("contradiction", path, task="question-answering")
