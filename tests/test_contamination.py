"""Contamination checks: n-gram overlap of a split's items with its train split or a corpus, stored on the dataset
and flagged on its boards and page; of a hidden split only the counts."""

from __future__ import annotations

import json
import random
import string
import time
import unicodedata
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from benchhub import Hub
from benchhub.cli.app import app as cli
from benchhub.competitions.benchmarks import PhaseSpec
from benchhub.data.contamination import find_overlap, normalized_words, reference_ngrams
from benchhub.data.records import Split
from benchhub.errors import InvalidInputError, SplitNotFoundError
from benchhub.server import create_app
from benchhub.tasks.registry import get_task
from tests.conftest import write_jsonl
from tests.fixtures.browser import signed_in
from tests.test_cli import one_error_line, run_cli

runner = CliRunner()
FLAG = "contamination: 30% of test items (3 of 10) share a 13-gram with train."


def item(i: int, words: int = 20) -> str:
    return " ".join(f"w{i}x{j}" for j in range(words))


def window(i: int, start: int = 3, length: int = 13) -> str:
    return " ".join(f"w{i}x{j}" for j in range(start, start + length))


def test_three_of_ten_test_items_that_share_a_13_gram_with_train_are_a_share_of_30_percent():
    test = [item(i) for i in range(10)]
    # Items 1, 4 and 7 have 13 consecutive words in train; item 2 only 12, item 5 its 13 words out of order.
    train = [f"intro {window(1)} outro", window(4, start=7), f"{window(7, start=0)}.", window(2, length=12),
             " ".join(reversed(window(5).split())), item(99)]
    overlap = find_overlap(test, reference_ngrams(train))
    assert (overlap.flagged, overlap.items, overlap.share, overlap.too_short) == ([1, 4, 7], 10, 0.3, 0)
    assert find_overlap(test, reference_ngrams(train, ngram=12), ngram=12).flagged == [1, 2, 4, 7]
    repeated = find_overlap([item(1), item(2), item(1), "too short"], reference_ngrams(train))
    assert (repeated.flagged, repeated.items, repeated.too_short) == ([0, 2], 4, 1)


def test_an_item_shorter_than_n_words_is_never_flagged_as_in_lm_eval():
    short = "the film was a delight from start to finish truly"  # 10 words
    overlap = find_overlap([short, item(0)], reference_ngrams([short, item(0)]))
    assert (overlap.flagged, overlap.too_short) == ([1], 1)
    assert find_overlap([short], reference_ngrams([f"so {short} indeed"], ngram=10), ngram=10).flagged == [0]
    assert find_overlap([], reference_ngrams([])).share == 0.0


def test_case_punctuation_and_unicode_are_normalized_before_comparing():
    assert normalized_words("Don't STOP — «Ça» va, Café_x!") == ["dont", "stop", "ça", "va", "caféx"]
    decomposed = unicodedata.normalize("NFD", "Élan café naïve")
    assert normalized_words(decomposed) == ["élan", "café", "naïve"]
    words = "Über den Wolken muss die Freiheit wohl grenzenlos sein, alle Ängste, alle Sorgen, sagt man".split()
    test = [" ".join(words), "東京 は 日本 の 首都 です " * 3]
    train = ["»" + " ".join(w.upper() for w in words) + "«"]
    assert find_overlap(test, reference_ngrams(train)).flagged == [0]
    assert find_overlap(test, reference_ngrams(["東京 は 日本 の 首都 です " * 3])).flagged == [1]


def test_on_ascii_text_the_words_and_flags_are_lm_evaluation_harness_janitors(capsys):
    from lm_eval.decontamination.janitor import Janitor, word_ngrams

    janitor = Janitor()
    capsys.readouterr()  # it warns on stdout that its C++ helper is missing
    rng = random.Random(3)
    marks = ["{}", "{},", "{}!", "de-{}", "{}'s", "({})", "{}.", "{}?", "i_{}", "{};"]
    vocabulary = [mark.format(word) for word in ("Alpha", "beta", "GAMMA", "delta") for mark in marks]
    test = [" ".join(rng.choices(vocabulary, k=rng.randint(5, 30))) for _ in range(200)]
    train = [" ".join(rng.choices(vocabulary, k=rng.randint(5, 60))) for _ in range(100)]
    for text in test + [string.printable]:
        assert normalized_words(text) == janitor.normalize_string(text).split()
    for n in (3, 4):
        known = {gram for document in train for gram in word_ngrams(janitor.normalize_string(document), n)}
        expected = [i for i, text in enumerate(test) if any(g in known for g in word_ngrams(janitor.normalize_string(text), n))]
        flagged = find_overlap(test, reference_ngrams(train, ngram=n), ngram=n).flagged
        assert flagged == expected and 0 < len(flagged) < len(test)


def test_ten_thousand_items_against_ten_thousand_documents_take_seconds():
    rng = random.Random(0)
    vocabulary = [f"v{i}" for i in range(5000)]
    test = [" ".join(rng.choices(vocabulary, k=40)) for _ in range(10_000)]
    train = [" ".join(rng.choices(vocabulary, k=40)) for _ in range(10_000)] + [test[123], test[9_876]]
    start = time.perf_counter()
    flagged = find_overlap(test, reference_ngrams(train)).flagged
    assert flagged == [123, 9_876] and time.perf_counter() - start < 4


@pytest.mark.parametrize(("task", "split", "expected"), [
    ("text-classification", Split("t", [0], ["a premise"], ["a hypothesis"], ["yes"]), "a premise\na hypothesis"),
    ("question-answering", Split("t", ["q"], ["Who?"], ["The context."], fields={"answers": [{"text": ["x"], "answer_start": [0]}]}),
     "Who?\nThe context."),
    ("multiple-choice", Split("t", [0], ["Sky colour?"], fields={"choices": [["red", "blue"]], "gold": [1]}),
     "Sky colour?\nred blue"),
    ("summarization", Split("t", [0], ["A long article."], fields={"references": [["A summary."]]}), "A long article."),
    ("language-modeling", Split("t", [0], ["A whole document."]), "A whole document."),
], ids=["classification", "qa", "multiple-choice", "generation", "language-modeling"])
def test_each_family_checks_what_a_model_reads_never_the_gold(task, split, expected):
    assert get_task(task).contamination_texts(split) == [expected]


def rows(texts: list[str], prefix: str) -> list[dict]:
    return [{"id": f"{prefix}-{i}", "text": text, "label": "pos" if i % 2 else "neg"} for i, text in enumerate(texts)]


@pytest.fixture
def leaky(tmp_path: Path) -> Hub:
    """`leaky`: 10 test reviews of 20 words, 3 of which (test-1, test-4, test-7) share 13 words with train."""
    test = [item(i) for i in range(10)]
    train = [f"seen {window(1)}", window(4), window(7, start=5), *(item(100 + i) for i in range(5))]
    hub = Hub.open()
    hub.add_dataset("leaky", id_column="id", splits={"train": write_jsonl(tmp_path / "train.jsonl", rows(train, "train")),
                                                     "test": write_jsonl(tmp_path / "test.jsonl", rows(test, "test"))})
    yield hub
    hub.close()


def test_registration_stores_the_check_against_the_train_split(leaky):
    (check,) = leaky.dataset("leaky").contamination
    assert {key: check[key] for key in ("split", "against", "ngram", "items", "flagged", "share", "too_short")} == {
        "split": "test", "against": "train", "ngram": 13, "items": 10, "flagged": 3, "share": 0.3, "too_short": 0}
    assert [example["id"] for example in check["examples"]] == ["test-1", "test-4", "test-7"]
    assert check["examples"][0]["text"] == item(1)
    assert leaky.dataset("leaky").options == {}  # outside the options: a later check changes no cache key
    shown = runner.invoke(cli, ["dataset", "show", "leaky"]).stdout.splitlines()
    assert shown[-1] == "contamination test against train: 3 of 10 items (30.0%) share a 13-gram"


def test_the_command_checks_a_corpus_stores_it_and_the_leaderboard_flags_it(leaky, tmp_path):
    corpus = tmp_path / "web.txt"
    corpus.write_text(f"a page\nthat quotes {window(2)}\n\nand another, quoting\n{window(9)} here\n", encoding="utf-8")
    result = runner.invoke(cli, ["dataset", "contamination", "leaky", "--corpus", str(corpus)])
    assert result.exit_code == 0, result.output
    header, row, *rest = result.stdout.splitlines()
    assert header.split() == ["split", "against", "n", "items", "flagged", "share", "too", "short"]
    assert row.split() == ["test", "corpus", "web.txt", "13", "10", "2", "20.0%", "0"]
    assert rest == ["first flagged items of test (against corpus web.txt):", f"  test-2: {item(2)}", f"  test-9: {item(9)}"]
    checks = leaky.dataset("leaky").contamination
    assert [(c["against"], c["flagged"]) for c in checks] == [("train", 3), ("corpus web.txt", 2)]
    assert checks[1]["corpus"]["documents"] == 2 and len(checks[1]["corpus"]["sha256"]) == 64

    board = runner.invoke(cli, ["leaderboard", "--dataset", "leaky", "--no-baselines", "--quiet"])
    assert board.exit_code == 0, board.output
    assert board.stderr.splitlines()[:2] == [
        FLAG, "contamination: 20% of test items (2 of 10) share a 13-gram with corpus web.txt."]
    document = json.loads(runner.invoke(cli, ["leaderboard", "--dataset", "leaky", "--no-baselines", "--quiet",
                                              "--format", "json"]).stdout)
    assert [(flag["against"], flag["share"], flag["note"]) for flag in document["contamination"]] == [
        ("train", 0.3, FLAG), ("corpus web.txt", 0.2, board.stderr.splitlines()[1])]


def test_a_check_with_another_n_replaces_the_one_before(leaky):
    assert leaky.check_contamination("leaky", ngram=20)[0]["flagged"] == 0
    (check,) = leaky.dataset("leaky").contamination
    assert (check["ngram"], check["flagged"]) == (20, 0)
    board = leaky.leaderboard(dataset="leaky", baselines=False, progress=False)
    assert board.contamination == []  # a share of 0 raises no flag


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.txt", None, "no such file; give a .txt file"),
    ("corpus.csv", "a,b\n", ".csv is not read; give a .txt file"),
    ("corpus.jsonl", '{"text": "fine"}\n{"body": "x"}\n', 'line 2: no "text" string'),
    ("corpus.jsonl", '{"text": "fine"}\nnot json\n', "line 2: not JSON"),
    ("empty.txt", "\n\n", "holds no documents"),
], ids=["missing", "suffix", "no-text", "not-json", "empty"])
def test_a_bad_corpus_is_one_line_and_leaves_the_stored_checks_as_they_were(leaky, tmp_path, name, content, message):
    corpus = tmp_path / name
    if content is not None:
        corpus.write_text(content, encoding="utf-8")
    result = runner.invoke(cli, ["dataset", "contamination", "leaky", "--corpus", str(corpus)])
    assert isinstance(result.exception, InvalidInputError) and message in str(result.exception)
    assert [c["against"] for c in leaky.dataset("leaky").contamination] == ["train"]


def test_the_train_split_is_not_checked_against_itself(leaky):
    with pytest.raises(InvalidInputError, match="the 'train' split is what the others are checked against"):
        leaky.check_contamination("leaky", splits=["train"])
    with pytest.raises(SplitNotFoundError, match="has no split 'dev'"):
        leaky.check_contamination("leaky", splits=["dev"])


def test_without_a_train_split_the_command_asks_for_a_corpus(tmp_path):
    with Hub.open() as hub:
        hub.add_dataset("alone", write_jsonl(tmp_path / "t.jsonl", rows([item(0)], "t")))
        assert hub.dataset("alone").contamination == []
    line = one_error_line(run_cli("dataset", "contamination", "alone"))  # the real entry point: one line, exit 1
    assert line == ("error: Dataset 'alone' has no 'train' split to check against; give --corpus FILE (a .txt or .jsonl "
                    "file of documents) instead.")


def test_the_api_and_the_web_pages_show_the_flag(leaky):
    client = TestClient(create_app(leaky.config))
    board = client.get("/api/leaderboards/leaky")
    assert board.status_code == 200 and [flag["note"] for flag in board.json()["contamination"]] == [FLAG]
    page = client.get("/leaderboards/leaky").text
    assert f'<p class="flag contamination" role="note">⚠ {FLAG}</p>' in page
    assert page.index(FLAG) < page.index("No model has been evaluated")
    dataset = client.get("/api/datasets/leaky").json()["contamination"]
    assert [(c["flagged"], [e["id"] for e in c["examples"]]) for c in dataset] == [(3, ["test-1", "test-4", "test-7"])]
    shown = client.get("/datasets/leaky").text
    assert FLAG in shown and item(4) in shown


def test_of_a_hidden_split_a_participant_sees_the_share_never_the_items(leaky):
    for name, admin in (("admin", True), ("pat", False)):
        leaky.create_user(name, admin=admin)
    leaky.create_benchmark("leaky-bench", dataset="leaky", user="admin", phases=[PhaseSpec("test", "test")])
    leaky.add_member("leaky-bench", "pat", user="admin", role="participant")
    tokens = {name: leaky.create_token(name)[1] for name in ("admin", "pat")}
    app = create_app(leaky.config)
    for who in ("pat", None):
        client = TestClient(app)
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        (check,) = client.get("/api/datasets/leaky", headers=headers).json()["contamination"]
        assert (check["share"], check["note"], "examples" in check) == (0.3, FLAG, False)
        page = (signed_in(client, tokens[who]) if who else client).get("/datasets/leaky").text
        assert FLAG in page and not any(item(i) in page or f"test-{i}" in page for i in (1, 4, 7))
    (check,) = TestClient(app).get("/api/datasets/leaky", headers={"Authorization": f"Bearer {tokens['admin']}"}).json()[
        "contamination"]
    assert [e["id"] for e in check["examples"]] == ["test-1", "test-4", "test-7"]


def test_the_benchmark_board_and_the_html_report_flag_the_split_with_counts_only(leaky, tmp_path):
    leaky.create_user("admin", admin=True)
    leaky.create_benchmark("leaky-bench", dataset="leaky", user="admin", phases=[PhaseSpec("test", "test")])
    assert [flag["note"] for flag in leaky.benchmark_board("leaky-bench").contamination] == [FLAG]
    client = TestClient(create_app(leaky.config))
    flags = client.get("/api/benchmarks/leaky-bench/board").json()["contamination"]
    assert [(flag["share"], flag["note"]) for flag in flags] == [(0.3, FLAG)] and "examples" not in flags[0]
    page = client.get("/benchmarks/leaky-bench").text
    assert f'<p class="flag contamination" role="note">⚠ {FLAG}</p>' in page
    assert not any(item(i) in page or f"test-{i}" in page for i in (1, 4, 7))
    board = runner.invoke(cli, ["benchmark", "board", "leaky-bench"])
    assert board.exit_code == 0, board.output
    assert board.stderr.splitlines()[0] == FLAG
    report = leaky.report_html(dataset="leaky", path=tmp_path / "report.html", baselines=False, progress=False)
    html = report.read_text(encoding="utf-8")
    assert f'<p class="flag contamination" role="note">&#9888; {FLAG}</p>' in html
    assert html.index("<h2>Ranking</h2>") < html.index(FLAG) < html.index("<h2>Accuracy vs latency</h2>")
