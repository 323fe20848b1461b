"""The summarization family end to end: registering documents and summaries, predictions files of generated text,
ROUGE equal to rouge_score, lead-3 / random-3 / the extractive oracle (marked as an upper bound), the CLI's JSON,
the web and API pages, a hosted benchmark with a hidden test split, and the refusals."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from rouge_score import rouge_scorer
from sqlalchemy import select

from benchhub import Hub
from benchhub.competitions.benchmarks import PhaseSpec, public_mask
from benchhub.data.records import DatasetFacts
from benchhub.errors import InvalidInputError, PredictionsFormatError
from benchhub.metrics import bootstrap
from benchhub.store.tables import BenchmarkRow, EvaluationRow, ModelRow
from benchhub.tasks.registry import get_task
from benchhub.tasks.summarization.baselines import (
    ExtractiveOracle,
    LeadBaseline,
    RandomBaseline,
)
from tests.conftest import write_jsonl
from tests.fixtures.browser import signed_in

# Original documents and summaries written for this test.
TRAIN = [
    {"id": "t1", "document": "The harbour at Selmouth reopened after a storm closed it for a week. Fishing boats returned "
                             "at dawn. The harbour master thanked the crews who cleared the debris.",
     "summary": "Selmouth harbour reopened a week after a storm and the fishing boats came back."},
    {"id": "t2", "document": "A choir from Wendley sang at the national festival. It was the choir's first time on a big "
                             "stage. The youngest singer is nine years old.",
     "summary": "Wendley's choir made its national festival debut."},
]
TEST = [
    {"id": "a", "document": "The orchard on Hill Lane lost most of its apples to an early frost. The farmer had covered "
                            "the young trees with fleece. Cider makers in the valley will buy fruit from further south. "
                            "Prices are expected to rise by a fifth.",
     "summary": "An early frost ruined most apples at the Hill Lane orchard, and cider prices may rise by a fifth."},
    {"id": "b", "document": "Engineers finished repairs to the old stone bridge over the Avel. The bridge had been closed "
                            "to cars since spring. Buses will use it again from Monday. Walkers can cross at any time.",
     "summary": ["The Avel stone bridge is repaired; buses return on Monday.",
                 "Repairs to the old bridge over the Avel are done and it reopens to buses from Monday."]},
    {"id": "c", "document": "A schoolgirl found a fossil fern on the beach at Cray Point. Museum staff say it is about "
                            "three hundred million years old. The fossil will go on show in the town hall.",
     "summary": "A schoolgirl's find at Cray Point is a fern fossil three hundred million years old."},
    {"id": "d", "document": "The town's only cinema will close at the end of the month. Its owner is retiring after forty "
                            "years. A group of volunteers hopes to buy the building. They have raised half the money.",
     "summary": "Volunteers have raised half the money to save the town cinema as its owner retires."},
    {"id": "e", "document": "Rangers counted more otters on the river this year than ever before. Cleaner water has "
                            "brought back the fish they eat. Volunteers helped by removing old nets.",
     "summary": "Otter numbers on the river hit a record as cleaner water brought back fish."},
    {"id": "f", "document": "A storm knocked out power to three villages overnight. Crews restored most lines by noon. "
                            "Two farms are still waiting for repairs.",
     "summary": "Power is back in three villages after a storm, except at two farms."},
]
# Generated texts: multi-sentence ones are newline-separated, as rougeLsum reads them.
GENERATED = {
    "a": "An early frost destroyed apples at the Hill Lane orchard.\nCider prices are expected to rise.",
    "b": "The old stone bridge over the Avel has been repaired.",
    "c": "A girl found a fossil on the beach.",
    "d": "",
    "e": "Otter numbers on the river hit a record as cleaner water brought back fish.",
    "f": "Storms are common in winter.",
}
METRICS = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def references(row: dict) -> list[str]:
    return row["summary"] if isinstance(row["summary"], list) else [row["summary"]]


def rouge_reference(rows: list[dict], generated: dict[str, str], *, use_stemmer: bool = True) -> dict[str, float]:
    """The mean F-measure of each ROUGE metric, from rouge_score directly (best reference per metric)."""
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=use_stemmer)
    scores = {name: [] for name in METRICS}
    for row in rows:
        best = scorer.score_multi(references(row), generated[row["id"]])
        for name in METRICS:
            scores[name].append(best[name].fmeasure)
    return {name: float(np.mean(values)) for name, values in scores.items()}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {"train": write_jsonl(tmp_path / "train.jsonl", TRAIN), "test": write_jsonl(tmp_path / "test.jsonl", TEST),
            "predictions": write_jsonl(tmp_path / "generated.jsonl", [{"id": i, "text": t} for i, t in GENERATED.items()])}


def cli(*args: object) -> tuple[int, str, str]:
    """Runs `python -m benchhub` in a fresh interpreter with this test's environment (its own BENCHHUB_HOME)."""
    result = subprocess.run([sys.executable, "-m", "benchhub", *map(str, args)], capture_output=True, text=True,
                            env=dict(os.environ), timeout=300)
    return result.returncode, result.stdout, result.stderr


def one_line_error(args: tuple[str, ...]) -> str:
    code, out, err = cli(*args)
    assert code == 1 and out == "" and "Traceback" not in err, (code, out, err)
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def add_news(files: dict[str, Path], *options: str) -> None:
    code, _, err = cli("dataset", "add", "news", "--task", "summarization", "--split", f"train={files['train']}",
                       "--split", f"test={files['test']}", "--input-column", "document", "--target-column", "summary",
                       "--id-column", "id", *options)
    assert code == 0, err


def test_eval_and_score_report_rouge_exactly_as_rouge_score_under_its_names(files):
    add_news(files)
    code, out, _ = cli("dataset", "show", "news")
    assert code == 0 and "use_stemmer=True, rouge_tokenizer=rouge_score" in out
    assert "split test   6 rows (examples: 6, references: 7, mean reference words: 15)" in out
    assert cli("model", "add", "generated", files["predictions"])[0] == 0
    code, out, _ = cli("eval", "--model", "generated", "--dataset", "news", "--json")
    assert code == 0
    evaluation = json.loads(out)
    expected = rouge_reference(TEST, GENERATED)
    assert list(evaluation["metrics"]) == list(METRICS)
    for name in METRICS:
        entry = evaluation["metrics"][name]
        assert entry["value"] == pytest.approx(expected[name], abs=1e-12), name
        assert entry["ci_low"] <= entry["value"] <= entry["ci_high"] and 0.0 <= entry["ci_low"] and entry["ci_high"] <= 1.0
    assert evaluation["details"]["settings"]["use_stemmer"] is True
    assert evaluation["details"]["settings"]["rouge_score"] == "0.1.2"
    code, out, _ = cli("score", "--dataset", "news", "--predictions", files["predictions"], "--json")
    assert code == 0
    scored = json.loads(out)["metrics"]
    assert {name: scored[name]["value"] for name in METRICS} == pytest.approx(expected, abs=1e-12)


def test_a_generated_text_without_newlines_is_split_into_sentences_for_rouge_lsum(tmp_path, files):
    add_news(files)
    flat = {**GENERATED, "a": GENERATED["a"].replace("\n", " ")}
    path = write_jsonl(tmp_path / "flat.jsonl", [{"id": i, "text": t} for i, t in flat.items()])
    with Hub.open() as hub:
        metrics = hub.score(dataset="news", predictions=path)["metrics"]
    # The regex-v1 splitter gives rouge_score the two sentences of "a" on two lines, as GENERATED has them.
    assert metrics["rougeLsum"]["value"] == pytest.approx(rouge_reference(TEST, GENERATED)["rougeLsum"], abs=1e-12)


def test_the_stemmer_and_the_unicode_tokenizer_are_registration_settings_and_bad_ones_are_refused(files, tmp_path):
    add_news(files, "--no-use-stemmer")
    with Hub.open() as hub:
        hub.add_model("generated", files["predictions"])
        metrics = hub.evaluate(model="generated", dataset="news", progress=False).metrics
    expected = rouge_reference(TEST, GENERATED, use_stemmer=False)
    assert {name: metrics[name]["value"] for name in METRICS} == pytest.approx(expected, abs=1e-12)
    assert expected != pytest.approx(rouge_reference(TEST, GENERATED), abs=1e-6)  # the setting matters here
    error = one_line_error(("dataset", "add", "other", files["test"], "--task", "summarization", "--id-column", "id",
                            "--rouge-tokenizer", "nltk"))
    assert error == "error: --rouge-tokenizer must be one of rouge_score, unicode. Got 'nltk' instead."
    greek = [{"id": 1, "document": "Η βροχή σταμάτησε. Ο ήλιος βγήκε.", "summary": "Η βροχή σταμάτησε."}]
    path = write_jsonl(tmp_path / "greek.jsonl", greek)
    code, _, err = cli("dataset", "add", "greek", path, "--task", "summarization", "--id-column", "id",
                       "--rouge-tokenizer", "unicode")
    assert code == 0, err
    with Hub.open() as hub:
        scored = hub.score(dataset="greek", predictions=write_jsonl(tmp_path / "g.jsonl", [{"id": 1, "text": "Η βροχή σταμάτησε."}]))
        assert {"other"} & {d.name for d in hub.datasets()} == set()
    assert scored["metrics"]["rouge1"]["value"] == 1.0  # rouge_score's own tokenizer would delete every Greek letter


def test_lead_3_random_3_and_the_oracle_pick_sentences_of_the_document_in_its_order():
    document = TEST[0]["document"]
    sentences = ["The orchard on Hill Lane lost most of its apples to an early frost.",
                 "The farmer had covered the young trees with fleece.",
                 "Cider makers in the valley will buy fruit from further south.",
                 "Prices are expected to rise by a fifth."]
    assert LeadBaseline().predict(document) == "\n".join(sentences[:3])
    assert LeadBaseline().predict("One line only.\n\nSecond line") == "One line only.\nSecond line"  # a text's lines
    drawn = RandomBaseline(seed=0).predict(document).split("\n")
    assert len(drawn) == 3 and drawn == [s for s in sentences if s in drawn]  # three sentences, in document order
    assert RandomBaseline(seed=0).predict(document) == RandomBaseline(seed=0).predict(document)
    assert {RandomBaseline(seed=k).predict(document) for k in range(20)} != {RandomBaseline(seed=0).predict(document)}
    oracle = ExtractiveOracle().predict((document, references(TEST[0])))
    assert oracle.split("\n") == [sentences[0], sentences[3]]  # the frost and the prices: what the summary says
    assert ExtractiveOracle.upper_bound and not LeadBaseline.upper_bound


def test_the_oracle_is_marked_as_an_upper_bound_on_boards_pages_reports_and_cards(files, tmp_path):
    add_news(files)
    with Hub.open() as hub:
        hub.add_model("generated", files["predictions"])
        hub.evaluate(model="generated", dataset="news", progress=False)
        hub.evaluate(model="baseline:extractive-oracle", dataset="news", progress=False)
        board = hub.leaderboard(dataset="news", progress=False)
        rows = {row.model: row for row in board.rows}
        assert board.metric == "rouge2"
        assert set(rows) == {"generated", "baseline:lead-3", "baseline:random-3", "baseline:extractive-oracle"}
        oracle = rows["baseline:extractive-oracle"]
        assert oracle.upper_bound and oracle.rank == 4 and oracle.p_value_vs_leader is None
        assert oracle.metrics["rouge2"]["value"] > max(r.metrics["rouge2"]["value"] for r in board.rows if not r.upper_bound)
        assert not any(row.upper_bound for row in board.rows if row.model != oracle.model)
        assert board.rows[0].model != oracle.model
        assert any("upper bound: baseline:extractive-oracle reads the references" in note for note in board.notes)
        from benchhub.server import create_app
        from benchhub.server.in_process_scoring import WorkerSettings

        client = TestClient(create_app(hub.config, scoring=WorkerSettings(enabled=False)))
        page = client.get("/leaderboards/news")
        assert page.status_code == 200 and "oracle · upper bound" in page.text and "upper bound" in page.text
        api = client.get("/api/leaderboards/news")
        assert api.status_code == 200
        marked = {row["model"]: row["upper_bound"] for row in api.json()["rows"]}
        assert marked["baseline:extractive-oracle"] is True and marked["generated"] is False
        evaluation_id = rows["generated"].evaluation_id
        shown = client.get(f"/evaluations/{evaluation_id}")
        assert shown.status_code == 200 and "ROUGE settings and lengths" in shown.text
        report = hub.report_html(dataset="news", path=tmp_path / "report.html", progress=False)
        assert "oracle · upper bound (reads the references)" in Path(report).read_text(encoding="utf-8")
        hub.export_card("baseline:extractive-oracle", output=tmp_path / "README.md")
        assert "**Upper bound**: an oracle: it reads the references" in (tmp_path / "README.md").read_text(encoding="utf-8")
        assert "type: summarization" in hub.export_card("baseline:lead-3")
    code, out, _ = cli("leaderboard", "--dataset", "news", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    header = lines[0].split(",")
    oracle_line = next(line.split(",") for line in lines if line.startswith("4,baseline:extractive-oracle"))
    assert oracle_line[header.index("upper_bound")] == "True"


def test_examples_show_input_reference_generated_and_scores_and_exact_match_is_whitespace_normalised(files, tmp_path):
    add_news(files)
    spaced = {**GENERATED, "f": "  Power is back in three villages after a storm,\n except at two farms.  "}
    path = write_jsonl(tmp_path / "spaced.jsonl", [{"id": i, "text": t} for i, t in spaced.items()])
    with Hub.open() as hub:
        hub.add_model("spaced", path)
        hub.evaluate(model="spaced", dataset="news", progress=False)
        rows = hub.examples(model="spaced", dataset="news")
        errors = hub.examples(model="spaced", dataset="news", errors=True)
    header, cells = get_task("summarization").example_table(rows)
    assert header == ["id", "input", "reference", "generated", "rouge2", "rougeL", "exact"]
    by_id = {row[0]: row for row in cells}
    assert by_id["e"][-1] == "yes" and by_id["f"][-1] == "yes" and by_id["d"][3] == "(empty)"
    assert by_id["b"][2].startswith("The Avel stone bridge is repaired; buses return on Monday. | Repairs")
    assert by_id["a"][1].startswith("The orchard on Hill Lane") and len(by_id["a"][1]) <= 100
    assert sorted(str(row["id"]) for row in errors) == ["a", "b", "c", "d"]


SAMPLE = Path(str(resources.files("benchhub") / "resources" / "summarization_sample"))


def sample_rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLE / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def sample(tmp_path: Path) -> dict[str, str]:
    """The bundled sample (8 train, 16 test documents) registered as `towns`; returns each test document's first
    sentence as a generated text, and writes it as `lead-1.jsonl`."""
    with Hub.open() as hub:
        hub.add_dataset("towns", splits={"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"},
                        task="summarization", id_column="id")
    generated = {row["id"]: row["document"].split(". ")[0] + "." for row in sample_rows("test")}
    write_jsonl(tmp_path / "lead-1.jsonl", [{"id": i, "text": t} for i, t in generated.items()])
    return generated


def test_paired_tests_compare_two_systems_on_the_same_examples(sample, tmp_path):
    with Hub.open() as hub:
        hub.add_model("lead-1", tmp_path / "lead-1.jsonl")
        comparison = hub.compare("lead-1", "baseline:lead-3", dataset="towns", progress=False)
        evaluations = {m: hub.evaluate(model=m, dataset="towns", progress=False) for m in ("lead-1", "baseline:lead-3")}
        rows = {m: hub.predictions(model=m, dataset="towns") for m in evaluations}
    rouge2 = next(m for m in comparison.metrics if m.metric == "rouge2")
    expected = evaluations["lead-1"].metrics["rouge2"]["value"] - evaluations["baseline:lead-3"].metrics["rouge2"]["value"]
    assert rouge2.difference == pytest.approx(expected, abs=1e-12) and rouge2.ci_low <= rouge2.difference <= rouge2.ci_high
    scorer = rouge_scorer.RougeScorer(["rouge2"], use_stemmer=True)
    per_example = {m: np.array([scorer.score(r["summary"], row["predicted"])["rouge2"].fmeasure
                                for r, row in zip(sample_rows("test"), rows[m], strict=True)]) for m in rows}
    direct = bootstrap.paired_mean_difference(per_example["lead-1"], per_example["baseline:lead-3"], n_resamples=1000,
                                              confidence=0.95, seed=0)
    assert (rouge2.difference, rouge2.ci_low, rouge2.ci_high, rouge2.p_value) == pytest.approx(
        (direct.difference, direct.ci_low, direct.ci_high, direct.p_value), abs=1e-12)
    task = get_task("summarization")
    assert task.paired_pvalue(rows["lead-1"], rows["lead-1"], "rouge2", DatasetFacts()) == 1.0


def test_a_hidden_test_phase_takes_a_predictions_file_and_scores_each_half_on_its_own(sample, tmp_path):
    test_rows = sample_rows("test")
    with Hub.open() as hub:
        hub.create_user("admin", admin=True)
        hub.create_user("alice")
        hub.create_benchmark("digest", dataset="towns", user="admin", phases=[PhaseSpec("test", "test")])
        _, token = hub.create_token("alice")
        from benchhub.server import create_app
        from benchhub.server.in_process_scoring import WorkerSettings

        client = signed_in(TestClient(create_app(hub.config, scoring=WorkerSettings(enabled=False))), token)
        released = client.get("/api/benchmarks/digest/phases/test/inputs")
        assert released.status_code == 200
        items = [json.loads(line) for line in released.text.splitlines() if line.strip()]
        assert [set(item) for item in items] == [{"id", "text"}] * len(test_rows)
        assert not any(row["summary"] in released.text for row in test_rows)
        for page in ("/api/datasets/towns", "/datasets/towns", "/leaderboards/towns"):
            shown = client.get(page)
            assert shown.status_code in (200, 403, 404), page
            assert not any(row["summary"] in shown.text for row in test_rows), page
        submitted = hub.submit("digest", tmp_path / "lead-1.jsonl", user="alice")
        assert submitted.status == "queued"
        assert hub.run_worker(once=True) == 1
        [mine] = hub.submissions("digest", user="alice")
        [maintained] = hub.submissions("digest", user="admin")
        with hub.session() as session:
            bench = session.scalar(select(BenchmarkRow).where(BenchmarkRow.name == "digest"))
            seed, fraction = bench.split_seed, bench.settings["public_fraction"]
    mask = public_mask(seed, [row["id"] for row in test_rows], fraction)
    public = [row for row, shown in zip(test_rows, mask) if shown]
    private = [row for row, shown in zip(test_rows, mask) if not shown]
    assert public and private
    assert mine.private_metrics is None
    assert mine.public_metrics["rouge2"]["value"] == pytest.approx(rouge_reference(public, sample)["rouge2"], abs=1e-12)
    assert maintained.private_metrics["rougeL"]["value"] == pytest.approx(rouge_reference(private, sample)["rougeL"], abs=1e-12)
    assert mine.public_metrics["rouge2"]["value"] != pytest.approx(maintained.private_metrics["rouge2"]["value"], abs=1e-9)


@pytest.mark.parametrize(("lines", "message"), [
    ([{"id": "a", "text": 3}], r'generated.jsonl, line 1: "text" of id \'a\' is 3, not a string'),
    ([{"id": "a"}], r'expected an object with "id" and "text"'),
    ([{"id": i, "text": "x"} for i in "abcdef"] + [{"id": "a", "text": "y"}], r"line 7: duplicate id 'a'"),
    ([{"id": i, "text": "x"} for i in "abcde"], r"1 example\(s\) have no prediction, first id 'f'"),
    ([{"id": i, "text": "x"} for i in "abcdefz"], r"line 7: unknown id 'z'"),
], ids=["not-a-string", "no-text", "duplicate", "missing", "unknown"])
def test_every_bad_predictions_file_is_refused_in_one_line_and_nothing_is_stored(files, tmp_path, lines, message):
    add_news(files)
    path = write_jsonl(tmp_path / "generated.jsonl", lines)
    error = one_line_error(("score", "--dataset", "news", "--predictions", path, "--json"))
    assert re.search(message, error), error
    with Hub.open() as hub:
        hub.create_user("admin", admin=True)
        hub.create_user("alice")
        # Public labels: 6 examples are too few for a seeded public/private cut to always hold both halves.
        hub.create_benchmark("digest", dataset="news", user="admin", phases=[PhaseSpec("test", "test", labels_public=True)])
        with pytest.raises(PredictionsFormatError, match=message):
            hub.submit("digest", path, user="alice")
        assert hub.submissions("digest", user="admin") == []
        with hub.session() as session:
            assert session.scalars(select(EvaluationRow)).all() == []


def test_what_cannot_generate_text_is_refused_in_one_line_naming_what_works(files, tmp_path, tiny_bert):
    from safetensors.numpy import save_file

    # A speech model: transformers loads it with neither AutoModelForSeq2SeqLM nor AutoModelForCausalLM.
    folder = tmp_path / "whisper"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"architectures": ["WhisperForConditionalGeneration"],
                                                    "model_type": "whisper"}))
    save_file({"w": np.zeros(2, dtype=np.float32)}, str(folder / "model.safetensors"))
    error = one_line_error(("model", "add", "whisper", folder))
    assert "WhisperForConditionalGeneration is not a text-to-text language model" in error
    assert error.endswith('score other outputs as predictions files (JSONL {"id", "text"}).')
    # A seq2seq checkpoint whose weights are not all there registers, and its evaluation is one line naming them.
    broken = tmp_path / "t5"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"architectures": ["T5ForConditionalGeneration"], "model_type": "t5"}))
    save_file({"w": np.zeros(2, dtype=np.float32)}, str(broken / "model.safetensors"))
    add_news(files)
    assert cli("model", "add", "t5", broken)[0] == 0
    error = one_line_error(("eval", "--model", "t5", "--dataset", "news"))
    assert "has no trained weights for decoder." in error and "which T5ForConditionalGeneration needs" in error
    with Hub.open() as hub:
        with hub.session() as session:
            assert session.scalars(select(ModelRow.name)).all() == ["t5"]
        hub.add_model("classifier", tiny_bert)
        with pytest.raises(InvalidInputError, match=r"is not a language model \(config.json architectures: "
                                                     r"BertForSequenceClassification\); summarization runs seq2seq and "
                                                     r"causal language models \(\*ForConditionalGeneration, "):
            hub.evaluate(model="classifier", dataset="news", progress=False)
        with pytest.raises(InvalidInputError, match="summarization has no fine-tuning recipe yet"):
            hub.finetune("classifier", dataset="news", name="tuned", progress=False)
        assert hub.leaderboard(dataset="news", progress=False).rows  # the baselines still rank
        with hub.session() as session:
            assert "classifier" not in {e.model.name for e in session.scalars(select(EvaluationRow))}
