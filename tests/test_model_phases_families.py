"""Model-submission benchmarks of question answering and token classification: a submitted tiny model is run on the
hidden split, each half is scored as the family's reference scorer scores the same model's predictions made apart
from the hub, the host's measurements fit the family, and a model with another family's head is refused at once."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from seqeval.metrics import accuracy_score, f1_score, precision_score, recall_score
from seqeval.scheme import IOB2
from sqlalchemy import select

from benchhub.catalog.datasets import get_dataset_row, load_split
from benchhub.competitions.benchmarks import DEFAULT_LIMITS, PhaseSpec, public_mask
from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.store.tables import BenchmarkRow
from tests.conftest import write_jsonl
from tests.fixtures.benchmarks import state, submission_rows
from tests.fixtures.model_submissions import archive_of, left_behind
from tests.fixtures.tiny_bert import build_tiny_bert_qa, build_tiny_bert_tagger
from tests.test_metrics_squad import official_v2_eval

RESOURCES = Path(str(resources.files("benchhub") / "resources"))
QA_SAMPLE, NER_SAMPLE = RESOURCES / "qa_sample", RESOURCES / "ner_sample"
SAMPLE_FILES = {"question-answering": (QA_SAMPLE, "json"), "token-classification": (NER_SAMPLE, "conll")}
BENCH = "arena"


@pytest.fixture(scope="module")
def tiny_qa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer extractive QA BERT whose 384 positions hold the family's default window (max_length 384)."""
    corpus = []
    for name in ("train.json", "test.json"):
        for article in json.loads((QA_SAMPLE / name).read_text(encoding="utf-8"))["data"]:
            for paragraph in article["paragraphs"]:
                corpus += [paragraph["context"], *(qa["question"] for qa in paragraph["qas"])]
    return build_tiny_bert_qa(tmp_path_factory.mktemp("tiny-qa"), corpus, max_position_embeddings=384)


@pytest.fixture(scope="module")
def tiny_tagger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT tagger with the sample's tags that takes 64 tokens, fewer than the host's timed 128."""
    lines = [line.split() for line in (NER_SAMPLE / "train.conll").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("-DOCSTART-")]
    tags = sorted({line[-1] for line in lines})
    return build_tiny_bert_tagger(tmp_path_factory.mktemp("tiny-tagger"), tags, corpus=[" ".join(line[0] for line in lines)],
                                  max_position_embeddings=64)


def hosted(hub, task: str) -> str:
    """Users, the family's packaged sample as a dataset, and a benchmark whose test phase takes models."""
    hub.create_user("admin", admin=True)
    hub.create_user("alice")
    sample, suffix = SAMPLE_FILES[task]
    hub.add_dataset("sample", task=task, splits={name: sample / f"{name}.{suffix}" for name in ("train", "test")})
    hub.create_benchmark(BENCH, dataset="sample", user="admin", phases=[PhaseSpec("test", "test", takes="models")])
    return BENCH


def scored_submission(hub, model: Path, folder: Path):
    """The model's archive submitted by alice and scored by one worker run; as its maintainers see it."""
    made = hub.submit(BENCH, archive_of(model, folder / "model.zip"), user="alice", phase="test")
    assert hub.run_worker(once=True) == 1
    (scored,) = hub.submissions(BENCH, user="admin", phase="test")
    assert (scored.id, scored.status) == (made.id, "scored"), scored.error
    (stored,) = left_behind(hub, BENCH)  # the submission's folder holds its model only: the run's files are removed
    assert [p.name for p in hub.artifacts.path("submissions", BENCH, stored).iterdir()] == ["model"]
    return scored


def halves(hub) -> tuple[Split, Split]:
    """The test split's public and private half, as the hub cuts them (server-side knowledge)."""
    with hub.session() as session:
        split = load_split(hub.artifacts, get_dataset_row(session, "sample"), "test")
        bench = session.scalar(select(BenchmarkRow).where(BenchmarkRow.name == BENCH))
        mask = public_mask(bench.split_seed, split.ids, bench.settings["public_fraction"])
    return tuple(split.subset([i for i, keep in enumerate(mask) if keep == side]) for side in (True, False))


def predicted_apart(hub, model: Path, rows: list[dict[str, Any]], output: Path) -> Path:
    """The same model folder registered in the catalog and run by `predict` on the split's inputs: its predictions file."""
    hub.add_model("oracle", str(model))
    hub.predict("oracle", write_jsonl(output.parent / "inputs.jsonl", rows), dataset="sample", output=output, progress=False)
    return output


def check_measurements(measured: dict[str, Any], *, seq_len: int, probes: set[str]) -> None:
    assert measured["seq_len"] == seq_len and measured["runtime"] == "torch" and measured["machine"]["cpu"]
    assert 0 < measured["latency_ms"] <= measured["latency_ms_p90"]
    assert measured["throughput"] == pytest.approx(32_000 / measured["latency_ms_batch32"], rel=1e-3)
    assert 100 < measured["peak_memory_mb"] < DEFAULT_LIMITS["memory_limit_mb"]
    assert set(measured["probes"]) == probes and all(0 <= rate <= 1 for rate in measured["probes"].values())
    assert measured["flip_rate"] == pytest.approx(sum(measured["probes"].values()) / len(probes), abs=1e-4)


def squad_data(split: Split) -> list[dict[str, Any]]:
    """A split as the official SQuAD script reads a dataset (one paragraph per question)."""
    return [{"paragraphs": [{"context": context, "qas": [{"id": str(example_id), "answers": [{"text": t} for t in answers["text"]]}]}
                            for example_id, context, answers in zip(split.ids, split.text_pairs, split.field("answers"))]}]


# The queue and the score rows are the same for every family: test_model_phases runs them on both databases.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_question_answering_model_is_scored_on_each_half_as_the_official_squad_script_scores_it(open_hub, tmp_path, tiny_qa):
    hub = open_hub()
    hosted(hub, "question-answering")
    scored = scored_submission(hub, tiny_qa, tmp_path)
    public, private = halves(hub)
    rows = [{"id": i, "question": q, "context": c} for half in (public, private)
            for i, q, c in zip(half.ids, half.texts, half.text_pairs)]
    predicted = json.loads(predicted_apart(hub, tiny_qa, rows, tmp_path / "oracle.json").read_text(encoding="utf-8"))
    assert len(predicted) == len(rows) and any(predicted.values())
    # The model's no-answer probabilities are scored with its answers (the board's best_exact and best_f1), as the
    # official script scores them given its --na-prob-file: the same folder evaluated in the catalog gives them.
    hub.evaluate(model="oracle", dataset="sample", split="test", progress=False)
    probability = {str(row["id"]): row["no_answer_probability"]
                   for row in hub.predictions(model="oracle", dataset="sample", split="test")}
    assert all(isinstance(value, float) for value in probability.values())
    for half, metrics in ((public, scored.public_metrics), (private, scored.private_metrics)):
        ids = [str(i) for i in half.ids]
        expected, _, _ = official_v2_eval(squad_data(half), {i: predicted[i] for i in ids},
                                          na_prob_file={i: probability[i] for i in ids})
        assert expected["HasAns_total"] > 0 and expected["NoAns_total"] > 0
        for name in ("exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1", "best_exact", "best_f1"):
            assert metrics[name]["value"] == pytest.approx(expected[name], abs=1e-9), name
    assert scored.public_metrics["f1"]["value"] > 0
    # A question made unanswerable should change its answer: that probe is no invariance probe here.
    check_measurements(scored.measurements, seq_len=128, probes={"qa-distractor", "qa-answer-shift"})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_tagger_is_scored_on_each_half_as_seqeval_scores_it_and_timed_within_its_own_limit(open_hub, tmp_path, tiny_tagger):
    hub = open_hub()
    hosted(hub, "token-classification")
    scored = scored_submission(hub, tiny_tagger, tmp_path)
    public, private = halves(hub)
    rows = [{"id": i, "tokens": tokens} for half in (public, private) for i, tokens in zip(half.ids, half.field("tokens"))]
    output = predicted_apart(hub, tiny_tagger, rows, tmp_path / "oracle.jsonl")
    predicted = {row["id"]: row["tags"] for row in map(json.loads, output.read_text(encoding="utf-8").splitlines())}
    for half, metrics in ((public, scored.public_metrics), (private, scored.private_metrics)):
        gold, tags = half.field("tags"), [predicted[i] for i in half.ids]
        expected = {"precision": precision_score(gold, tags), "recall": recall_score(gold, tags), "f1": f1_score(gold, tags),
                    "accuracy": accuracy_score(gold, tags), "strict_f1": f1_score(gold, tags, mode="strict", scheme=IOB2)}
        for name, value in expected.items():
            assert metrics[name]["value"] == pytest.approx(value, abs=1e-9), name
    assert 0 < scored.public_metrics["f1"]["value"] < 1
    # The model takes 64 tokens: the host times it at its own limit rather than failing it at 128.
    check_measurements(scored.measurements, seq_len=64, probes={"entity-swap", "case-upper-outside", "typos-outside"})


@pytest.mark.parametrize(("task", "sent", "head"), [
    ("question-answering", "tiny_bert", "BertForSequenceClassification"),
    ("token-classification", "tiny_qa", "BertForQuestionAnswering"),
], ids=["classifier-to-qa", "qa-to-ner"])
def test_a_model_with_another_familys_head_is_refused_in_one_line_leaving_nothing(open_hub, tmp_path, request, task, sent, head):
    hub = open_hub()
    hosted(hub, task)
    archive = archive_of(request.getfixturevalue(sent), tmp_path / "model.zip")
    before = state(hub)
    with pytest.raises(InvalidInputError) as caught:
        hub.submit(BENCH, archive, user="alice", phase="test")
    assert str(caught.value) == (f"The model's head ({head}) is not one for {task}, this benchmark's task; "
                                 f"submit a model fine-tuned for {task}.")
    assert state(hub) == before and submission_rows(hub) == 0 and left_behind(hub, BENCH) == []
