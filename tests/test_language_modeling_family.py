"""The language-modeling family end to end: documents registered from JSONL and .txt, predictions files of
log-likelihoods, the byte n-gram and uniform baselines, a local tiny GPT-2 scored over rolling windows equal to
lm-evaluation-harness's own HFLM.loglikelihood_rolling, batch-size invariance, boards ranking the lowest perplexity
first, and the refusals in one line."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from benchhub import Hub
from benchhub.catalog.datasets import dataset_facts, get_dataset_row, load_split
from benchhub.data.records import DatasetFacts, Split
from benchhub.engine.evaluate import evaluate
from benchhub.engine.runner import run_model
from benchhub.errors import InvalidInputError
from benchhub.ranking.leaderboard import weigh_leaderboard
from benchhub.tasks.language_modeling import metrics as lm
from benchhub.tasks.language_modeling.adapters import CausalLanguageModel
from benchhub.tasks.language_modeling.baselines import NGramBytes, UniformBytes
from benchhub.tasks.registry import get_task
from tests.conftest import write_jsonl
from tests.fixtures.tiny_lm import build_tiny_causal_lm, build_tiny_seq2seq_lm

SAMPLE = Path(str(resources.files("benchhub") / "resources" / "language_modeling_sample"))
TASK = get_task("language-modeling")
MAX_LENGTH = 16  # short windows, so that most documents take several
# Original documents for the oracle: short, much longer than the window, Unicode, whitespace at the edges.
ORACLE_DOCUMENTS = [
    "Hi.",
    "a",
    " ",
    "  The tide came in twice before noon.  ",
    "\n\nA document that starts with blank lines and ends with one.\n",
    "Grüße aus Köln — 東京タワー ✓ naïve café 🙂",
    " ".join(["The ferry crossed the grey lake while gulls followed it, calling over the engine's noise."] * 6),
    "tab\tseparated\twords\tand a very long tail " * 12,
]


def rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLE / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]


def cli(*args: object) -> tuple[int, str, str]:
    """Runs `python -m benchhub` in a fresh interpreter with this test's environment (its own BENCHHUB_HOME)."""
    result = subprocess.run([sys.executable, "-m", "benchhub", *map(str, args)], capture_output=True, text=True,
                            env=dict(os.environ), timeout=300)
    return result.returncode, result.stdout, result.stderr


def one_line_error(*args: object) -> str:
    code, out, err = cli(*args)
    assert code == 1 and out == "" and "Traceback" not in err, (code, out, err)
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def add_sample(hub: Hub, name: str = "lm") -> None:
    hub.add_dataset(name, splits={"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"},
                    task="language-modeling", text_column="text", id_column="id")


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory) -> Path:
    corpus = [row["text"] for row in rows("train")] + ORACLE_DOCUMENTS
    return build_tiny_causal_lm(tmp_path_factory.mktemp("lm") / "tiny-gpt2", corpus, seed=1, positions=64)


def test_dataset_add_reads_documents_from_jsonl_and_txt_and_refuses_an_empty_one(tmp_path):
    code, _, err = cli("dataset", "add", "lm", "--task", "language-modeling", "--split", f"train={SAMPLE / 'train.jsonl'}",
                       "--split", f"test={SAMPLE / 'test.jsonl'}", "--text-column", "text", "--id-column", "id")
    assert code == 0, err
    code, out, _ = cli("dataset", "show", "lm", "--json")
    shown = json.loads(out)
    test = next(s for s in shown["splits"] if s["name"] == "test")
    texts = [row["text"] for row in rows("test")]
    assert test["label_counts"] == {"documents": 19, "words": sum(map(lm.count_words, texts)),
                                    "bytes": sum(len(t.encode("utf-8")) for t in texts)}
    plain = tmp_path / "book.txt"
    plain.write_text("First paragraph,\nstill the first.\n\n\n  Second — with ümlauts.  \n\nThird.\n", encoding="utf-8")
    with Hub.open() as hub:
        hub.add_dataset("book", plain, task="language-modeling")
        with hub.session() as session:
            split = load_split(hub.artifacts, get_dataset_row(session, "book"), "test")
    assert split.texts == ["First paragraph,\nstill the first.", "Second — with ümlauts.", "Third."]
    assert split.ids == [0, 1, 2]
    empty = write_jsonl(tmp_path / "empty.jsonl", [{"id": "a", "text": "fine"}, {"id": "b", "text": ""}])
    error = one_line_error("dataset", "add", "bad", empty, "--task", "language-modeling", "--id-column", "id")
    assert "document 'b' is empty; a document needs at least one byte to score" in error
    error = one_line_error("dataset", "add", "bad", empty, "--task", "language-modeling", "--label-column", "x")
    assert "--label-column does not apply to language-modeling datasets" in error


def test_a_predictions_file_scores_as_lm_eval_aggregates_and_ranks_with_the_baselines_lowest_perplexity_first(tmp_path):
    test = rows("test")
    lls = [-0.9 * len(row["text"].encode("utf-8")) - 3.0 for row in test]  # 0.9 nats a byte, a fixed 3 nats per document
    path = write_jsonl(tmp_path / "scored.jsonl", [{"id": row["id"], "loglikelihood": ll} for row, ll in zip(test, lls)])
    with Hub.open() as hub:
        add_sample(hub)
        hub.add_model("elsewhere", path)
        evaluation = hub.evaluate(model="elsewhere", dataset="lm", progress=False)
        words = sum(lm.count_words(row["text"]) for row in test)
        bytes_ = sum(len(row["text"].encode("utf-8")) for row in test)
        assert evaluation.metrics["word_perplexity"]["value"] == pytest.approx(math.exp(-sum(lls) / words), rel=1e-12)
        assert evaluation.metrics["bits_per_byte"]["value"] == pytest.approx(-sum(lls) / bytes_ / math.log(2), rel=1e-12)
        assert evaluation.metrics["byte_perplexity"]["value"] == pytest.approx(math.exp(-sum(lls) / bytes_), rel=1e-12)
        board = hub.leaderboard(dataset="lm", progress=False)
        assert board.metric == "word_perplexity"
        values = [row.metrics["word_perplexity"]["value"] for row in board.rows]
        assert values == sorted(values)  # lowest first
        assert [row.model for row in board.rows] == ["elsewhere", "baseline:ngram", "baseline:uniform-bytes"]
        by_bits = hub.leaderboard(dataset="lm", metric="bits_per_byte", progress=False)
        bits = [row.metrics["bits_per_byte"]["value"] for row in by_bits.rows]
        assert bits[0] == pytest.approx((0.9 + 3.0 * 19 / bytes_) / math.log(2)) and bits[0] < bits[1] < bits[2] == 8.0
        assert board.rows[1].p_value_vs_leader is not None and board.rows[0].p_value_vs_leader is None
    # A Dynascore takes the ranked perplexity signed (lower is better) and the other perplexities as costs.
    for weights in ("metric:1", "metric:1,bits_per_byte:1"):
        weighed = weigh_leaderboard(board, weights)
        assert [row.model for row in weighed.rows] == [row.model for row in board.rows], weights


def test_a_benchmark_board_ranks_the_lowest_perplexity_first(tmp_path):
    from benchhub.competitions.benchmarks import PhaseSpec

    test = rows("test")
    with Hub.open() as hub:
        add_sample(hub)
        for name in ("admin", "alice", "bob"):
            hub.create_user(name, admin=name == "admin")
        hub.create_benchmark("ppl", dataset="lm", user="admin", phases=[PhaseSpec("final", "test")])
        for user, per_byte in (("alice", 2.0), ("bob", 1.0)):
            path = write_jsonl(tmp_path / f"{user}.jsonl", [{"id": row["id"], "loglikelihood": -per_byte * len(row["text"].encode())}
                                                           for row in test])
            hub.submit("ppl", path, user=user)
        assert hub.run_worker(once=True) == 2
        board = hub.benchmark_board("ppl", user="admin")
    assert [row.user for row in board.rows] == ["bob", "alice"]
    assert board.rows[0].score < board.rows[1].score


@pytest.mark.parametrize("line, message", [
    ('{"id": "te-000", "loglikelihood": 1.5}', r'"loglikelihood" of id \'te-000\' is 1\.5; give the natural-log likelihood of the whole document, a finite number at most 0'),
    ('{"id": "te-000", "loglikelihood": "-3"}', r'"loglikelihood" of id \'te-000\' is \'-3\''),
    ('{"id": "te-000", "loglikelihood": NaN}', r"NaN"),
    ('{"id": "te-000", "logprob": -3}', r'expected an object with "id" and "loglikelihood"'),
    ('{"id": "nope", "loglikelihood": -3}', r"unknown id 'nope'"),
], ids=["positive", "string", "nan", "wrong-key", "unknown-id"])
def test_bad_predictions_files_are_refused_in_one_line(tmp_path, line, message):
    with Hub.open() as hub:
        add_sample(hub)
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    error = one_line_error("score", "--dataset", "lm", "--predictions", path)
    assert re.search(message, error), error
    good = [{"id": row["id"], "loglikelihood": -1.0} for row in rows("test")]
    doubled = write_jsonl(tmp_path / "doubled.jsonl", [*good, good[3]])
    assert "duplicate id 'te-003'; give each document exactly once" in one_line_error("score", "--dataset", "lm", "--predictions", doubled)
    missing = write_jsonl(tmp_path / "missing.jsonl", good[1:])
    assert "first id 'te-000'" in one_line_error("score", "--dataset", "lm", "--predictions", missing)


def test_the_ngram_baseline_is_a_proper_deterministic_distribution_fitted_in_seconds_and_beats_uniform(tmp_path):
    train = Split("train", [r["id"] for r in rows("train")], [r["text"] for r in rows("train")])
    model = NGramBytes.trained(train, DatasetFacts())
    for history in (b"", b"The ", b"bread ri", "Grüß".encode(), b"\x00\xff zq", b"e" * 50):
        p = model.next_byte_probabilities(history)
        assert p.shape == (256,) and p.min() > 0 and p.sum() == pytest.approx(1.0, abs=1e-12), history
    document = "The bakery's bread rises at dawn."
    data = document.encode("utf-8")
    by_steps = sum(math.log(model.next_byte_probabilities(data[:i])[data[i]]) for i in range(len(data)))
    assert model.loglikelihood(document) == pytest.approx(by_steps, abs=1e-9)
    model.save(tmp_path / "ngram")
    assert json.loads((tmp_path / "ngram" / "baseline.json").read_text())["order"] == 5
    again = NGramBytes.load(tmp_path / "ngram")
    test = [r["text"] for r in rows("test")]
    assert again.predict_items(test) == model.predict_items(test)
    assert NGramBytes.trained(train, DatasetFacts()).predict_items(test) == model.predict_items(test)
    bits = -sum(model.predict_items(test)) / sum(len(t.encode()) for t in test) / math.log(2)
    assert 1.0 < bits < 6.0 and UniformBytes().loglikelihood("ab") == pytest.approx(-2 * math.log(256))
    # A few MB of train text fits in seconds.
    rng = np.random.default_rng(0)
    words = [r["text"] for r in rows("train")]
    big = Split("big", list(range(2000)), [" ".join(rng.choice(words, 14)) for _ in range(2000)])
    started = time.perf_counter()
    NGramBytes.trained(big, DatasetFacts())
    assert sum(len(t) for t in big.texts) > 3_000_000 and time.perf_counter() - started < 20


def test_the_rolling_log_likelihoods_equal_lm_eval_hflm(tiny_gpt2):
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    model = CausalLanguageModel(tiny_gpt2, max_length=MAX_LENGTH)
    split = Split("oracle", list(range(len(ORACLE_DOCUMENTS))), list(ORACLE_DOCUMENTS))
    ours = TASK.collect(model, split, run_model(model, split, batch_size=5, show_progress=False), DatasetFacts())
    assert len(model.encode(split)) > 3 * len(ORACLE_DOCUMENTS)  # the long documents take many windows
    harness = HFLM(pretrained=model.model.network, tokenizer=model.model.tokenizer, batch_size=3, max_length=MAX_LENGTH)
    requests = [Instance(request_type="loglikelihood_rolling", doc={}, arguments=(text,), idx=i)
                for i, text in enumerate(ORACLE_DOCUMENTS)]
    theirs = harness.loglikelihood_rolling(requests, disable_tqdm=True)
    assert ours == pytest.approx(theirs, abs=1e-4)
    assert all(ll < 0 for ll in ours)


def test_a_local_causal_lm_gives_the_same_log_likelihoods_at_batch_sizes_1_8_and_32(tiny_gpt2):
    model = CausalLanguageModel(tiny_gpt2, max_length=MAX_LENGTH)
    split = Split("test", [r["id"] for r in rows("test")], [r["text"] for r in rows("test")])
    runs = [evaluate(model, split, task=TASK, facts=DatasetFacts(), batch_size=size, show_progress=False)
            for size in (1, 8, 32)]
    lls = [[row["loglikelihood"] for row in run.examples] for run in runs]
    assert lls[1] == pytest.approx(lls[0], abs=1e-5) and lls[2] == pytest.approx(lls[0], abs=1e-5)
    for name in lm.PERPLEXITY_METRICS:
        assert runs[1].metrics[name]["value"] == pytest.approx(runs[0].metrics[name]["value"], rel=1e-6)
        assert runs[2].metrics[name]["value"] == pytest.approx(runs[0].metrics[name]["value"], rel=1e-6)
    assert runs[0].efficiency["items"] > len(split)  # windows, not documents, are the engine's items


def test_a_tiny_gpt2_runs_end_to_end_through_the_cli_and_a_seq2seq_model_is_refused(tiny_gpt2, tmp_path):
    with Hub.open() as hub:
        add_sample(hub)
    assert cli("model", "add", "tiny", tiny_gpt2)[0] == 0
    code, out, err = cli("eval", "--model", "tiny", "--dataset", "lm", "--max-length", MAX_LENGTH, "--json")
    assert code == 0, err
    result = json.loads(out)
    metrics = result["metrics"] if "metrics" in result else result["evaluations"][0]["metrics"]
    with Hub.open() as hub:
        stored = hub.predictions(model="tiny", dataset="lm")
        with hub.session() as session:
            split = load_split(hub.artifacts, get_dataset_row(session, "lm"), "test")
            facts = dataset_facts(get_dataset_row(session, "lm"))
    model = CausalLanguageModel(tiny_gpt2, max_length=MAX_LENGTH)
    direct = evaluate(model, split, task=TASK, facts=facts, batch_size=32, show_progress=False)
    assert [row["loglikelihood"] for row in stored] == pytest.approx([row["loglikelihood"] for row in direct.examples], abs=1e-5)
    assert metrics["bits_per_byte"]["value"] == pytest.approx(direct.metrics["bits_per_byte"]["value"], rel=1e-6)
    assert metrics["bits_per_byte"]["ci_low"] <= metrics["bits_per_byte"]["value"] <= metrics["bits_per_byte"]["ci_high"]
    seq2seq = build_tiny_seq2seq_lm(tmp_path / "bart", [r["text"] for r in rows("train")])
    with pytest.raises(InvalidInputError, match=r"encoder-decoder \(seq2seq\) model; language modeling scores documents "
                                                r"with causal language models"):
        CausalLanguageModel(seq2seq)
