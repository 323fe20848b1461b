"""`benchhub bench`: synthetic inputs of exact length, interleaved timing, stored speed runs, speed on leaderboards."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

from benchhub import (
    BenchhubError,
    DatasetNotFoundError,
    Hub,
    InvalidInputError,
    ModelNotFoundError,
)
from benchhub.cli.render import PARETO_MARK, human_bytes, leaderboard_rows, speed_rows
from benchhub.data.records import DatasetFacts
from benchhub.engine.latency import (
    BenchBudget,
    interleaved_timings,
    summarize,
    synthetic_input,
    synthetic_text,
    token_counter,
)
from benchhub.ranking.leaderboard import pareto_front
from benchhub.store.database import MIGRATIONS
from benchhub.tasks.question_answering.task import BENCH_QUESTION as QUESTION
from benchhub.tasks.registry import get_task
from tests.conftest import review_rows
from tests.fixtures.tiny_bert import build_tiny_bert_qa
from tests.test_cli import one_error_line, run_cli

# Short enough that a tiny model benches in well under a second per configuration.
QUICK = BenchBudget(warmup_calls=1, warmup_seconds=0.0, min_timings=5, min_seconds=0.01, slice_seconds=0.005)
RESULT_KEYS = {
    "id", "run_id", "model", "model_kind", "dataset", "task", "batch_size", "seq_len", "threads", "latency_ms_p50",
    "latency_ms_p90", "latency_ms_p99", "throughput", "timings", "size_bytes", "hardware", "details", "created_at",
}


def read(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def classifier(tiny_bert):
    from benchhub.tasks.text_classification.transformers_classifier import (
        TransformersClassifier,
    )

    return TransformersClassifier(tiny_bert, dataset_labels=["negative", "positive"], threads=1)


@pytest.fixture(scope="module")
def qa_model(tmp_path_factory):
    from benchhub.tasks.question_answering.transformers_qa import TransformersQA

    corpus = [row["text"] for row in review_rows(200, seed=3, prefix="c")] + ["what is this about?"]
    folder = build_tiny_bert_qa(tmp_path_factory.mktemp("tiny-qa"), corpus, max_position_embeddings=256)
    return TransformersQA(folder, max_length=256, doc_stride=64, threads=1)


@pytest.fixture
def hub(review_files, tiny_bert):
    """`reviews` with the tiny BERT registered as `tiny` and evaluated on it."""
    with Hub.open() as opened:
        opened.add_dataset("reviews", splits=review_files, id_column="id")
        opened.add_model("tiny", tiny_bert)
        opened.evaluate(model="tiny", dataset="reviews", progress=False)
        yield opened


# --- synthetic inputs -------------------------------------------------------------------------------

@pytest.mark.parametrize("length", [3, 4, 8, 16, 57, 128])
def test_a_synthetic_text_has_exactly_the_requested_tokens_special_tokens_included(classifier, length):
    # The tiny vocabulary splits most words into several pieces, so exact lengths need the fitting search.
    text, context = synthetic_input(classifier, length)
    assert context is None
    assert len(classifier.tokenizer(text)["input_ids"]) == length
    items = classifier.encode(get_task("text-classification").bench_split(text, 3))
    assert [classifier.length(item) for item in items] == [length] * 3


def test_a_synthetic_question_and_context_make_one_feature_of_exactly_the_requested_tokens(qa_model):
    shortest = token_counter(qa_model.tokenizer, question=QUESTION)("") + 1
    for length in (shortest, shortest + 1, 40, 256):
        question, context = synthetic_input(qa_model, length, question=QUESTION)
        assert question == QUESTION
        features = qa_model.encode(get_task("question-answering").bench_split(context, 2))
        assert [len(f.input_ids) for f in features] == [length, length]
    with pytest.raises(InvalidInputError, match=rf"^--seq-lens {shortest - 1} leaves no room for text: .* is {shortest - 1} long; use at least {shortest}\.$"):
        synthetic_input(qa_model, shortest - 1, question=QUESTION)


def test_without_a_tokenizer_the_length_counts_words():
    plain = SimpleNamespace()
    text, _ = synthetic_input(plain, 7)
    assert len(text.split()) == 7
    question, context = synthetic_input(plain, 10, question=QUESTION)
    assert len(question.split()) + len(context.split()) == 10


def test_synthetic_text_swaps_a_too_long_last_word_for_one_that_fits():
    # Counting characters: after "the model" (9), "reads" overshoots 11 and the one-letter "a" fits exactly.
    words = ("the", "model", "reads", "a")
    assert synthetic_text(len, 11, words=words) == "the model a"
    assert synthetic_text(len, 3, words=words) == "the"
    with pytest.raises(BenchhubError, match=r"^Cannot build a text of exactly 10 tokens"):
        synthetic_text(len, 10, words=words)


def test_too_long_and_too_short_lengths_are_refused(classifier):
    with pytest.raises(InvalidInputError, match=r"^--seq-lens 129 is longer than model 'tiny' accepts \(128 tokens\); use at most 128\.$"):
        synthetic_input(classifier, 129, name="tiny")
    with pytest.raises(InvalidInputError, match=r"^--seq-lens 2 leaves no room for text: .* is 2 long; use at least 3\.$"):
        synthetic_input(classifier, 2)


# --- timing -----------------------------------------------------------------------------------------

def test_models_are_timed_round_by_round_in_an_order_rotated_each_round():
    log = []

    def call(name):
        def run():
            log.append(name)
            return 0.001

        return run

    budget = BenchBudget(warmup_calls=1, warmup_seconds=0.0, min_timings=3, min_seconds=0.0, slice_seconds=0.0)
    timings = interleaved_timings([(n, call(n)) for n in "abc"], budget)
    assert log == ["a", "b", "c", "a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert timings == {"a": [0.001] * 3, "b": [0.001] * 3, "c": [0.001] * 3}


def test_rounds_stop_at_max_timings_and_after_min_seconds():
    budget = BenchBudget(warmup_calls=0, warmup_seconds=0.0, min_timings=1, min_seconds=1.0, slice_seconds=0.0, max_timings=4)
    assert interleaved_timings([("fast", lambda: 0.0)], budget) == {"fast": [0.0] * 4}
    budget = BenchBudget(warmup_calls=0, warmup_seconds=0.0, min_timings=1, min_seconds=1.0, slice_seconds=0.0)
    assert interleaved_timings([("slow", lambda: 0.3)], budget) == {"slow": [0.3] * 4}  # 4 x 0.3 s >= 1 s


def test_percentiles_and_throughput_at_the_median():
    stats = summarize("m", 8, 32, [i / 1000 for i in range(1, 101)])  # 1..100 ms
    assert (stats.p50_ms, stats.p90_ms, stats.p99_ms) == pytest.approx((50.5, 90.1, 99.01))
    assert stats.throughput == pytest.approx(8 / 0.0505)
    assert stats.timings == 100 and stats.seconds == pytest.approx(5.05)


def test_a_bad_budget_is_refused():
    with pytest.raises(InvalidInputError, match=r"^The 'min_timings' of BenchBudget must be an int >= 1\. Got 0 instead\.$"):
        BenchBudget(min_timings=0)


# --- Pareto front -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("points", "front"),
    [
        ([], []),
        ([(0.9, 10.0)], [True]),
        # (0.85, 12) loses to (0.9, 10) on both; (0.7, 5) loses to (0.8, 5) on score at equal latency;
        # the two identical (0.9, 10) points do not dominate each other.
        ([(0.9, 10.0), (0.8, 5.0), (0.85, 12.0), (0.9, 10.0), (0.7, 5.0), (0.95, 30.0)], [True, True, False, True, False, True]),
        ([(0.5, 1.0), (0.5, 2.0), (0.6, 2.0)], [True, False, True]),
    ],
    ids=["empty", "single", "ties-and-dominated", "equal-score-slower"],
)
def test_pareto_front_on_hand_made_points(points, front):
    assert pareto_front(points) == front


# --- the hub ----------------------------------------------------------------------------------------

def test_bench_measures_stores_and_feeds_the_leaderboard(hub, isolated_hub):
    first = hub.bench(["tiny", "baseline:majority"], dataset="reviews", batch_sizes=[2, 1], seq_lens=[16, 8], threads=1, budget=QUICK, progress=False)
    assert [(r.model, r.batch_size, r.seq_len) for r in first] == [
        (model, batch, seq) for model in ("tiny", "baseline:majority") for batch in (1, 2) for seq in (8, 16)
    ]
    assert len({r.run_id for r in first}) == 1
    evaluation = hub.evaluate(model="tiny", dataset="reviews", progress=False)
    for result in first:
        assert 0 < result.latency_ms_p50 <= result.latency_ms_p90 <= result.latency_ms_p99
        assert result.throughput == pytest.approx(result.batch_size / (result.latency_ms_p50 / 1000))
        assert result.timings >= QUICK.min_timings
        assert (result.dataset, result.task) == ("reviews", "text-classification")
        assert result.hardware["cpu_count"] >= 1 and result.hardware["cpu"]
        assert result.details["threads_requested"] == 1
        assert set(result.to_dict()) == RESULT_KEYS
    tiny = [r for r in first if r.model == "tiny"]
    assert {r.threads for r in tiny} == {1}
    assert {r.size_bytes for r in tiny} == {evaluation.efficiency["size_bytes"]}
    assert {r.hardware["torch_threads"] for r in tiny} == {1}

    second = hub.bench(["tiny"], batch_sizes=[1, 32], seq_lens=[16], threads=1, budget=QUICK, progress=False)
    db = isolated_hub / "hub.db"
    assert read(db, "SELECT COUNT(*), COUNT(DISTINCT run_id) FROM speed_runs") == [(10, 2)]
    assert read(db, f"SELECT batch_size, seq_len FROM speed_runs WHERE run_id = '{second[0].run_id}' ORDER BY id") == [(1, 16), (32, 16)]

    board = hub.leaderboard(dataset="reviews", progress=False)
    rows = {row.model: row for row in board.rows}
    # The newest run per (model, batch, length) wins; no length-128 run, so the longest benched (16) is used.
    assert rows["tiny"].latency_ms == second[0].latency_ms_p50
    assert rows["tiny"].throughput == second[1].throughput
    assert rows["tiny"].size_bytes == evaluation.efficiency["size_bytes"]
    majority = next(r for r in first if (r.model, r.batch_size, r.seq_len) == ("baseline:majority", 1, 16))
    assert rows["baseline:majority"].latency_ms == majority.latency_ms_p50
    assert rows["baseline:majority"].throughput is None  # never benched at batch 32
    for name in ("baseline:tfidf-logreg", "baseline:keyword"):
        assert rows[name].latency_ms is None and rows[name].pareto is False
        assert rows[name].size_bytes == rows[name].efficiency["size_bytes"]
    benched = [rows["tiny"], rows["baseline:majority"]]
    expected = pareto_front([(row.metrics["macro_f1"]["value"], row.latency_ms) for row in benched])
    assert [row.pareto for row in benched] == expected and any(expected)
    assert "speed: latency at batch 1 is from sequence length 16 (not benched at 128) for tiny, baseline:majority." in board.notes
    assert "speed: throughput at batch 32 is from sequence length 16 (not benched at 128) for tiny." in board.notes
    assert any(note.startswith("Pareto (◆): no other benched model is at least as good on macro_f1") for note in board.notes)

    header, table = leaderboard_rows(board)
    assert header[-4:] == ["size", "latency ms (b1)", "throughput ex/s (b32)", "pareto"]
    cells = {line[1]: line[-4:] for line in table}
    assert cells["tiny"][1] == f"{rows['tiny'].latency_ms:.2f}"
    assert cells["tiny"][0] == human_bytes(evaluation.efficiency["size_bytes"])
    assert [cells[row.model][3] == PARETO_MARK for row in benched] == expected
    assert cells["baseline:keyword"][1:3] == ["-", "-"]
    assert speed_rows(second)[1][1][:3] == ["tiny", "32", "16"]


def test_a_model_without_evaluation_needs_a_dataset(review_files, tiny_bert, isolated_hub):
    with Hub.open() as hub:
        hub.add_dataset("reviews", splits=review_files, id_column="id")
        hub.add_model("fresh", tiny_bert)
        with pytest.raises(InvalidInputError, match=r"^Model 'fresh' has no evaluation to take its task and labels from; pass --dataset D"):
            hub.bench(["fresh"], budget=QUICK, progress=False)
        results = hub.bench(["fresh"], dataset="reviews", batch_sizes=[1], seq_lens=[8], budget=QUICK, progress=False)
    assert [(r.model, r.dataset, r.batch_size, r.seq_len) for r in results] == [("fresh", "reviews", 1, 8)]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"models": []}, InvalidInputError, r"^Name at least one model to bench"),
        ({"models": ["tiny", "tiny"]}, InvalidInputError, r"^Model 'tiny' is given twice; give each model once\.$"),
        ({"models": ["nope"]}, ModelNotFoundError, r"^No model named 'nope'; registered models: tiny\."),
        ({"batch_sizes": [1, 0]}, InvalidInputError, r"^--batch-sizes must hold ints in the range \[1, 4096\]\. Got 0 instead\.$"),
        ({"batch_sizes": []}, InvalidInputError, r"^--batch-sizes is empty; give at least one size"),
        ({"seq_lens": []}, InvalidInputError, r"^--seq-lens is empty"),
        ({"seq_lens": [16, 600]}, InvalidInputError, r"^--seq-lens 600 is longer than model 'tiny' accepts \(128 tokens\); use at most 128\.$"),
        ({"threads": 0}, InvalidInputError, r"^--threads must be an int in the range \[1, inf\)\. Got 0 instead\.$"),
        ({"dataset": "missing"}, DatasetNotFoundError, r"^No dataset named 'missing'"),
    ],
    ids=["no-models", "twice", "unknown-model", "zero-batch", "no-batch", "no-length", "too-long", "zero-threads", "unknown-dataset"],
)
def test_bad_input_is_one_clear_error_and_stores_nothing(hub, isolated_hub, arguments, error, message):
    settings = {"models": ["tiny"], "batch_sizes": [1], "seq_lens": [8], "budget": QUICK, "progress": False, **arguments}
    with pytest.raises(error, match=message) as caught:
        hub.bench(settings.pop("models"), **settings)
    assert "\n" not in str(caught.value)
    assert read(isolated_hub / "hub.db", "SELECT COUNT(*) FROM speed_runs") == [(0,)]


def test_a_predictions_file_has_no_speed(hub, tmp_path):
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps({"id": f"test-{i}", "label": "positive"}) + "\n" for i in range(24)))
    hub.add_model("replay", predictions)
    with pytest.raises(InvalidInputError, match=r"^Model 'replay' is a predictions file; it computes nothing"):
        hub.bench(["replay"], budget=QUICK, progress=False)


# --- command line and schema ------------------------------------------------------------------------

def test_bench_on_the_command_line(review_files):
    with Hub.open() as hub:
        hub.add_dataset("reviews", splits=review_files, id_column="id")
    result = run_cli("bench", "baseline:majority", "--dataset", "reviews", "--batch-sizes", "2,1", "--seq-lens", "8", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"run_id", "threads", "hardware", "packages", "results"}
    assert {"cpu", "cpu_count", "machine"} <= set(document["hardware"])
    assert "numpy" in document["packages"]
    assert [(r["model"], r["batch_size"], r["seq_len"]) for r in document["results"]] == [("baseline:majority", 1, 8), ("baseline:majority", 2, 8)]
    for entry in document["results"]:
        assert set(entry) == RESULT_KEYS
        assert entry["run_id"] == document["run_id"]
        assert 0 < entry["latency_ms_p50"] <= entry["latency_ms_p90"] <= entry["latency_ms_p99"]
        assert entry["throughput"] > 0 and entry["timings"] >= 20

    table = run_cli("bench", "baseline:majority", "--dataset", "reviews", "--batch-sizes", "1", "--seq-lens", "4", "-q")
    assert table.returncode == 0, table.stderr
    assert "baseline:majority" in table.stdout and "p99 ms" in table.stdout
    assert table.stdout.splitlines()[-1].startswith("hardware: ")

    bad = run_cli("bench", "baseline:majority", "--dataset", "reviews", "--batch-sizes", "1,x")
    assert one_error_line(bad) == "error: --batch-sizes '1,x' is not a comma-separated list of whole numbers; write e.g. --batch-sizes 1,8,32."


def test_migration_0004_adds_and_removes_the_speed_runs_table(isolated_hub):
    db = isolated_hub / "hub.db"
    isolated_hub.mkdir()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(f"sqlite:///{db}")

    def migrate(step, revision):
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)

    tables = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'speed_runs'"
    migrate(command.upgrade, "0003")
    assert read(db, tables) == []
    migrate(command.upgrade, "0004")
    assert read(db, tables) == [("speed_runs",)]
    assert "AUTOINCREMENT" in read(db, "SELECT sql FROM sqlite_master WHERE name = 'speed_runs'")[0][0]
    migrate(command.downgrade, "0003")
    assert read(db, tables) == []
    engine.dispose()


def test_the_leaderboard_compares_speeds_measured_on_the_same_hardware_only(hub, isolated_hub):
    hub.bench(["tiny", "baseline:keyword", "baseline:majority"], dataset="reviews", batch_sizes=[1], seq_lens=[8], threads=1,
              budget=QUICK, progress=False)
    db = isolated_hub / "hub.db"
    with sqlite3.connect(db) as connection:  # as if the majority baseline had been benched on another machine
        connection.execute("""UPDATE speed_runs SET hardware = '{"cpu": "Other CPU", "cpu_count": 64}'
                              WHERE model_id = (SELECT id FROM models WHERE name = 'baseline:majority')""")
    board = hub.leaderboard(dataset="reviews", progress=False)
    rows = {row.model: row for row in board.rows}
    assert rows["tiny"].latency_ms is not None and rows["baseline:keyword"].latency_ms is not None  # two models here
    assert rows["baseline:majority"].latency_ms is None  # one there: not compared
    here = next(iter(read(db, "SELECT hardware FROM speed_runs WHERE model_id = (SELECT id FROM models WHERE name = 'tiny')")))[0]
    cpu = json.loads(here)["cpu"]
    assert (f"speed: compared on one hardware profile, {cpu} ({json.loads(here)['cpu_count']} CPUs; 1 thread), the one most "
            f"benched models share; runs on other hardware are left out (benched there only: baseline:majority).") in board.notes
    again = hub.bench(["baseline:majority"], dataset="reviews", batch_sizes=[1], seq_lens=[8], threads=1, budget=QUICK,
                      progress=False)
    rows = {row.model: row for row in hub.leaderboard(dataset="reviews", progress=False).rows}
    assert rows["baseline:majority"].latency_ms == again[0].latency_ms_p50


def test_a_timed_qa_call_includes_decoding_the_answer_spans(qa_model):
    from benchhub.engine.latency import Subject, measure

    calls = {"encode": 0, "decode": 0}

    class Counting:
        """The tiny QA model, counting what a timed call runs."""

        info = qa_model.info
        tokenizer = qa_model.tokenizer

        def __getattr__(self, name):
            return getattr(qa_model, name)

        def encode(self, split):
            calls["encode"] += 1
            return qa_model.encode(split)

        def decode(self, split, items, outputs, *, allow_no_answer):
            calls["decode"] += 1
            answers = qa_model.decode(split, items, outputs, allow_no_answer=allow_no_answer)
            assert len(answers) == len(split) == 2
            return answers

    (stats,) = measure([Subject("qa", Counting(), get_task("question-answering"), DatasetFacts(options={"squad_version": "2.0"}))], batch_sizes=[2], seq_lens=[64], budget=QUICK,
                       show_progress=False)
    assert calls["decode"] == calls["encode"] >= stats.timings  # every call, warm-up and timed, decodes


def test_a_baselines_speed_counts_only_on_the_dataset_it_was_fitted_on(hub, review_files, tmp_path):
    from tests.conftest import write_jsonl

    # A second dataset with a ten-times larger train split: TF-IDF fitted there has another vocabulary.
    hub.add_dataset("long-reviews", splits={"train": write_jsonl(tmp_path / "train2.jsonl", review_rows(400, seed=5, prefix="l")),
                                            "test": review_files["test"]}, id_column="id")
    for dataset in ("reviews", "long-reviews"):
        hub.evaluate(model="baseline:tfidf-logreg", dataset=dataset, progress=False)
        hub.evaluate(model="tiny", dataset=dataset, progress=False)
    runs = hub.bench(["baseline:tfidf-logreg", "tiny"], dataset="reviews", batch_sizes=[1], seq_lens=[16], threads=1,
                     budget=QUICK, progress=False)
    assert {run.details["dataset_fingerprint"] for run in runs} == {hub.dataset("reviews").fingerprint}
    here = {row.model: row for row in hub.leaderboard(dataset="reviews", baselines=False, progress=False).rows}
    there = {row.model: row for row in hub.leaderboard(dataset="long-reviews", baselines=False, progress=False).rows}
    tfidf = next(run for run in runs if run.model == "baseline:tfidf-logreg")
    assert here["baseline:tfidf-logreg"].latency_ms == tfidf.latency_ms_p50
    assert there["baseline:tfidf-logreg"].latency_ms is None  # benched as fitted on reviews, not on long-reviews
    # A network model is the same model on every dataset: its speed is shown on both boards.
    assert here["tiny"].latency_ms == there["tiny"].latency_ms is not None
