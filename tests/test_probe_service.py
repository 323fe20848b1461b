"""`benchhub probe` end to end: probes run through the evaluation engine, are stored and cached, and catch a
model that keys on a single word; the leaderboard shows robustness next to accuracy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchhub import Hub, InvalidInputError
from tests.conftest import review_rows, write_jsonl

RULES = "rules:\n  - pattern: '\\b(great|wonderful|loved|excellent|fantastic|superb|enjoyable|brilliant)\\b'\n    label: positive\ndefault: negative\n"


@pytest.fixture
def hub(tmp_path: Path):
    """`reviews` (train 40 / test 60) and `words`: a regex model that calls a review positive iff it holds one
    of the eight positive words, spelled exactly (case-sensitive) — right on every clean test review."""
    with Hub.open() as opened:
        opened.add_dataset("reviews", splits={"train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
                                              "test": write_jsonl(tmp_path / "test.jsonl", review_rows(60, seed=2, prefix="test"))},
                           id_column="id")
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES, encoding="utf-8")
        opened.add_model("words", rules)
        yield opened


def by_name(report) -> dict:
    return {result["probe"]: result for result in report.results["probes"]}


def test_a_model_keyed_on_exact_words_is_caught_by_case_and_typo_probes(hub):
    report = hub.probe(model="words", dataset="reviews", progress=False)
    results = by_name(report)
    assert report.results["base"]["macro_f1"]["value"] == 1.0
    # Upper case hides every positive word: all 30 positive reviews flip to negative.
    upper = results["case-upper"]
    assert (upper["changed"], upper["flip_rate"]) == (60, 0.5)
    assert upper["flip_rate_ci"][0] < 0.5 < upper["flip_rate_ci"][1]
    assert upper["value"]["value"] == pytest.approx(1 / 3) and upper["drop_points"] == pytest.approx(100 * (1 - 1 / 3))
    # Lower case, filler, contractions and name swaps keep the words: nothing flips.
    for name in ("case-lower", "neutral-filler", "name-swap", "contractions", "strip-punctuation"):
        assert results[name].get("flip_rate", 0.0) == 0.0, name
    assert 0 < results["typos"]["flip_rate"] <= 0.5
    # Directional: appending a negative clause never raises a rule model's positive score here.
    assert results["append-negative"]["violation_rate"] == 0.0
    # Template tests: "The film was not great." is called positive.
    negation = results["negation of positive adjectives"]
    assert negation["kind"] == "MFT" and negation["failure_rate"] > 0.5
    assert report.summary["worst_probe"] == "case-upper" and report.summary["worst_drop_points"] == pytest.approx(200 / 3)
    assert report.results["calibration"]["ece"] == 0.0  # one-hot scores, right on every clean review


def test_probe_runs_are_cached_and_seeded(hub):
    first = hub.probe(model="words", dataset="reviews", progress=False)
    again = hub.probe(model="words", dataset="reviews", progress=False)
    assert (again.cached, again.id, again.results) == (True, first.id, first.results)
    other_seed = hub.probe(model="words", dataset="reviews", seed=1, progress=False)
    assert other_seed.cached is False and other_seed.id != first.id
    assert by_name(other_seed)["case-upper"]["flip_rate"] == 0.5  # case changes do not depend on the seed


def test_the_leaderboard_shows_robustness_next_to_accuracy(hub):
    hub.probe(model="words", dataset="reviews", progress=False)
    board = hub.leaderboard(dataset="reviews", progress=False)
    row = next(r for r in board.rows if r.model == "words")
    assert row.robustness["worst_probe"] == "case-upper"
    assert any(note.startswith("robustness: from each model's newest `benchhub probe` run") for note in board.notes)
    from benchhub.cli.render import leaderboard_rows

    header, rows = leaderboard_rows(board)
    assert header[-3:] == ["flip rate", "worst change", "ECE"]
    cells = next(line for line in rows if line[1] == "words")[-3:]
    assert cells[1] == "-66.7 (case-upper)"  # a change: the metric fell by 66.7 points


def test_calibration_of_a_model_with_scores(hub, tiny_bert):
    hub.add_model("tiny", tiny_bert)
    report = hub.probe(model="tiny", dataset="reviews", progress=False)
    calibration = report.results["calibration"]
    assert calibration["confidence"] == "probability of the predicted label"
    assert 0.0 <= calibration["ece"] <= 1.0 and len(calibration["reliability"]) == 15
    assert sum(b["count"] for b in calibration["reliability"]) == 60
    assert calibration["risk_coverage"]["coverage"][-1] == 1.0


def test_cli_probe_and_bad_suites(hub, tmp_path):
    from benchhub.cli.app import app

    result = CliRunner().invoke(app, ["probe", "--model", "words", "--dataset", "reviews", "--quiet", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {"id", "model", "dataset", "split", "suite", "summary", "results", "created_at", "cached"} <= set(document)
    table = CliRunner().invoke(app, ["probe", "--model", "words", "--dataset", "reviews", "--quiet"])
    assert table.exit_code == 0 and "case-upper" in table.output and "(from cache)" in table.output
    suite = tmp_path / "suite.yaml"
    suite.write_text("probes:\n  - case-upper\n  - typos: {rate: 0.5}\n", encoding="utf-8")
    custom = hub.probe(model="words", dataset="reviews", suite=str(suite), progress=False)
    assert [r["probe"] for r in custom.results["probes"]] == ["case-upper", "typos"]
    with pytest.raises(InvalidInputError, match=r"^--suite 'nope\.yaml' is neither 'default' nor a suite file \(YAML\)\.$"):
        hub.probe(model="words", dataset="reviews", suite="nope.yaml", progress=False)


def test_qa_probes_show_who_answers_questions_whose_answer_was_removed(tmp_path):
    from tests.test_qa_hub import squad_files

    files = squad_files(tmp_path)
    with Hub.open() as hub:
        hub.add_dataset("qa", task="question-answering", splits={"train": files["train"], "test": files["test"]})
        abstainer = by_name(hub.probe(model="baseline:always-no-answer", dataset="qa", progress=False))
        guesser = by_name(hub.probe(model="baseline:sliding-window", dataset="qa", progress=False))
    assert set(abstainer) == {"qa-distractor", "qa-answer-shift", "qa-unanswerable"}
    removed = abstainer["qa-unanswerable"]
    assert removed["changed"] > 0 and removed["guessing_rate"] == 0.0 and removed["flip_rate"] == 0.0
    assert abstainer["qa-distractor"]["flip_rate"] == 0.0  # it never answers, whatever the context says
    assert guesser["qa-unanswerable"]["changed"] == removed["changed"]
    assert guesser["qa-unanswerable"]["guessing_rate"] == 1.0  # the sliding window always answers: it is guessing
    assert guesser["qa-distractor"]["metric"] == "f1"


def test_the_report_draws_the_reliability_diagram_of_probed_models_with_scores(hub, tiny_bert, tmp_path):
    hub.add_model("tiny", tiny_bert)
    report = hub.probe(model="tiny", dataset="reviews", progress=False)
    hard = hub.probe(model="words", dataset="reviews", progress=False)  # one-hot scores: every confidence is 1
    bins = report.results["calibration"]["reliability"]
    page = hub.report_html(dataset="reviews", path=tmp_path / "report.html", progress=False).read_text(encoding="utf-8")
    assert "<h2>Calibration</h2>" in page and 'id="benchhub-reliability"' in page
    section = page.split('id="benchhub-reliability"')[1]
    assert '"name":"tiny"' in section and '"name":"words"' in section
    assert [b["count"] for b in hard.results["calibration"]["reliability"]] == [0] * 14 + [60]
    assert hard.results["calibration"]["ece"] == 0.0  # always sure and, here, always right
    counted = [b for b in bins if b["count"]]
    assert json.dumps(counted[0]["confidence"])[:6] in section  # the first non-empty bin's point is plotted
    assert "most robust" in page


def test_the_model_page_and_api_show_each_probe_run_except_on_hidden_splits(hub):
    from fastapi.testclient import TestClient

    from benchhub.competitions.benchmarks import PhaseSpec
    from benchhub.server import create_app

    hub.probe(model="words", dataset="reviews", progress=False)
    client = TestClient(create_app(hub.config))
    (run,) = client.get("/api/models/words/probes").json()
    assert (run["dataset"], run["split"], run["summary"]["worst_probe"]) == ("reviews", "test", "case-upper")
    assert {r["probe"]: r.get("flip_rate") for r in run["results"]["probes"]}["case-upper"] == 0.5
    page = client.get("/models/words").text
    assert "<h2>Robustness probes</h2>" in page and "ECE 0.000" in page
    upper = re.search(r"<tr><td>case-upper</td><td>INV</td><td class=\"num\">60</td>\s*<td[^>]*>([^<]+)</td>\s*<td[^>]*>([^<]+)</td>", page)
    assert upper.group(1).startswith("50.0% [") and upper.group(2) == "-66.7"
    assert re.search(r"<td>append-negative</td><td>DIR</td><td class=\"num\">\d+</td>\s*<td[^>]*>0.0% \[", page)
    assert client.get("/api/models/nope/probes").status_code == 404
    # Once a hosted benchmark hides reviews/test, the run's results are its maintainers' only; others see why.
    hub.create_user("admin", admin=True)
    hub.create_benchmark("b", dataset="reviews", phases=[PhaseSpec("test", "test")], user="admin")
    (withheld,) = client.get("/api/models/words/probes").json()
    hidden = "labels of reviews/test are hidden by benchmark b"
    assert (withheld["split"], withheld["results"], withheld["summary"], withheld["hidden"]) == ("test", {}, {}, hidden)
    page = client.get("/models/words").text
    assert f"reviews/test <small>({hidden})</small>" in page and "case-upper" not in page and "ECE" not in page
    admin = {"Authorization": f"Bearer {hub.create_token('admin')[1]}"}
    (shown,) = client.get("/api/models/words/probes", headers=admin).json()
    assert shown["hidden"] is None and shown["summary"]["worst_probe"] == "case-upper"
