"""The translation family end to end: sources and one or several references, predictions files of generated text,
corpus BLEU / chrF / chrF++ equal to sacrebleu with its signatures, copy-source, the CLI's JSON, the pages, a hosted
benchmark with a hidden test split, and the refusals."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import sacrebleu
from fastapi.testclient import TestClient
from sacrebleu.metrics import BLEU, CHRF
from sqlalchemy import select

from benchhub import Hub
from benchhub.competitions.benchmarks import PhaseSpec, public_mask
from benchhub.errors import InvalidInputError, PredictionsFormatError
from benchhub.store.tables import BenchmarkRow, EvaluationRow
from benchhub.tasks.registry import get_task
from tests.conftest import write_jsonl
from tests.fixtures.browser import signed_in

SAMPLE = Path(str(resources.files("benchhub") / "resources" / "translation_sample"))
METRICS = ("bleu", "chrf", "chrf_plus_plus")
# Original system outputs written for this test, one per test sentence of the sample: some exact, some close,
# one empty, one with a different word order.
OUTPUTS = {
    "t08": "I forgot my key in the office.", "t09": "The weather should be better tomorrow.",
    "t10": "Our dog likes to sleep on the sofa most.", "t11": "The bridge will be repaired next week.",
    "t12": "He reads every morning the newspaper.", "t13": "We meet at seven in front of the cinema.",
    "t14": "The baker opens already at six.", "t15": "", "t16": "The food in this restaurant is very good.",
    "t17": "Please close the window.", "t18": "My brother learns Spanish since two years.",
    "t19": "The bus was too late again today.", "t20": "In the town there is a new park.",
    "t21": "I drink my coffee without sugar.", "t22": "The doctor works in the hospital at the river.",
    "t23": "On the weekend we drive into the mountains.",
}


def rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLE / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]


def references(row: dict) -> list[str]:
    return row["target"] if isinstance(row["target"], list) else [row["target"]]


def sacrebleu_scores(chosen: list[dict], outputs: dict[str, str], *, tokenize: str = "13a") -> dict[str, object]:
    """Corpus scores from sacrebleu directly: reference streams padded with None, as sacrebleu takes ragged ones."""
    hypotheses = [outputs[row["id"]] for row in chosen]
    width = max(len(references(row)) for row in chosen)
    streams = [[references(row)[k] if k < len(references(row)) else None for row in chosen] for k in range(width)]
    return {"bleu": BLEU(tokenize=tokenize).corpus_score(hypotheses, streams),
            "chrf": CHRF().corpus_score(hypotheses, streams),
            "chrf_plus_plus": CHRF(word_order=2).corpus_score(hypotheses, streams)}


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


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    code, _, err = cli("dataset", "add", "de-en", "--task", "translation", "--split", f"train={SAMPLE / 'train.jsonl'}",
                       "--split", f"test={SAMPLE / 'test.jsonl'}", "--input-column", "source", "--target-column", "target",
                       "--id-column", "id")
    assert code == 0, err
    return write_jsonl(tmp_path / "system.jsonl", [{"id": i, "text": t} for i, t in OUTPUTS.items()])


def test_eval_and_score_report_bleu_chrf_and_chrf_plus_plus_exactly_as_sacrebleu_with_its_signatures(outputs):
    code, out, _ = cli("dataset", "show", "de-en")
    assert code == 0 and "bleu_tokenizer=13a" in out and "split test   16 rows (examples: 16, references: 19" in out
    assert cli("model", "add", "system", outputs)[0] == 0
    code, out, _ = cli("eval", "--model", "system", "--dataset", "de-en", "--json")
    assert code == 0
    evaluation = json.loads(out)
    expected = sacrebleu_scores(rows("test"), OUTPUTS)
    assert list(evaluation["metrics"]) == list(METRICS)
    for name in METRICS:
        entry = evaluation["metrics"][name]
        assert entry["value"] == pytest.approx(expected[name].score, abs=1e-9), name
        assert entry["ci_low"] <= entry["value"] <= entry["ci_high"]
    signatures = evaluation["details"]["signatures"]
    assert signatures["bleu"] == "nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:" + sacrebleu.__version__
    assert signatures["chrf_plus_plus"].startswith("nrefs:var|case:mixed|eff:yes|nc:6|nw:2|space:no")
    bleu = evaluation["details"]["bleu"]
    assert bleu["precisions"] == pytest.approx(expected["bleu"].precisions, abs=1e-9)
    assert (bleu["bp"], bleu["sys_len"], bleu["ref_len"]) == (pytest.approx(expected["bleu"].bp), expected["bleu"].sys_len,
                                                              expected["bleu"].ref_len)
    code, out, _ = cli("score", "--dataset", "de-en", "--predictions", outputs, "--json")
    assert code == 0
    scored = json.loads(out)["metrics"]
    assert [scored[name]["value"] for name in METRICS] == pytest.approx([expected[n].score for n in METRICS], abs=1e-9)
    code, out, _ = cli("eval", "--model", "system", "--dataset", "de-en")  # the text view shows the signature
    assert code == 0 and "tok:13a|smooth:exp" in out and "brevity penalty" in out


def test_the_bleu_tokenizer_is_a_registration_setting_and_bad_ones_are_refused(tmp_path):
    chinese = [{"id": 1, "source": "Es regnet.", "target": "外面在下雨。"}, {"id": 2, "source": "Gute Nacht.", "target": "晚安，好梦。"}]
    path = write_jsonl(tmp_path / "zh.jsonl", chinese)
    system = {1: "外面在下雨。", 2: "晚安。"}
    with Hub.open() as hub:
        hub.add_dataset("de-zh", path, task="translation", id_column="id", bleu_tokenizer="zh")
        scored = hub.score(dataset="de-zh", predictions=write_jsonl(tmp_path / "s.jsonl", [{"id": k, "text": v} for k, v in system.items()]))
        with pytest.raises(InvalidInputError, match=r"^--bleu-tokenizer must be one of 13a, intl, char, zh, ja-mecab, none\. Got 'moses' instead\.$"):
            hub.add_dataset("bad", path, task="translation", id_column="id", bleu_tokenizer="moses")
        with pytest.raises(InvalidInputError, match=r"^--rouge-tokenizer does not apply to translation datasets"):
            hub.add_dataset("bad", path, task="translation", id_column="id", rouge_tokenizer="unicode")
        assert [d.name for d in hub.datasets()] == ["de-zh"]
    expected = BLEU(tokenize="zh").corpus_score(list(system.values()), [[row["target"] for row in chinese]])
    assert scored["metrics"]["bleu"]["value"] == pytest.approx(expected.score, abs=1e-9)
    assert expected.score != pytest.approx(BLEU().corpus_score(list(system.values()), [[r["target"] for r in chinese]]).score)


def test_copy_source_is_every_board_s_baseline_and_rows_show_sentence_scores(outputs):
    with Hub.open() as hub:
        hub.add_model("system", outputs)
        hub.evaluate(model="system", dataset="de-en", progress=False)
        board = hub.leaderboard(dataset="de-en", progress=False)
        copied = hub.predictions(model="baseline:copy-source", dataset="de-en")
        shown = hub.examples(model="system", dataset="de-en")
        from benchhub.server import create_app
        from benchhub.server.in_process_scoring import WorkerSettings

        client = TestClient(create_app(hub.config, scoring=WorkerSettings(enabled=False)))
        assert client.get("/leaderboards/de-en").status_code == 200
        api = client.get("/api/leaderboards/de-en")
        assert api.status_code == 200 and [r["model"] for r in api.json()["rows"]] == ["system", "baseline:copy-source"]
        page = client.get(f"/evaluations/{board.rows[0].evaluation_id}")
        assert page.status_code == 200 and "sacrebleu signatures" in page.text and "tok:13a" in page.text
    assert [row.model for row in board.rows] == ["system", "baseline:copy-source"] and board.metric == "bleu"
    assert board.rows[1].baseline and not board.rows[1].upper_bound and board.rows[1].p_value_vs_leader < 0.05
    assert [row["predicted"] for row in copied] == [row["source"] for row in rows("test")]
    header, cells = get_task("translation").example_table(shown)
    assert header == ["id", "input", "reference", "generated", "bleu", "chrf", "exact"]
    by_id = {row[0]: row for row in cells}
    assert by_id["t11"][-1] == "yes" and by_id["t15"][3] == "(empty)" and by_id["t08"][2] == (
        "I forgot my key at the office. | I left my key in the office.")
    sentence = sacrebleu.sentence_chrf(OUTPUTS["t22"], ["The doctor works at the hospital by the river."])
    assert by_id["t22"][5] == f"{sentence.score:.1f}"


def test_paired_tests_recompute_corpus_scores_from_the_stored_sentence_statistics(outputs):
    from benchhub.tasks.translation import metrics as sacre

    test = rows("test")
    with Hub.open() as hub:
        hub.add_model("system", outputs)
        comparison = hub.compare("system", "baseline:copy-source", dataset="de-en", progress=False)
    bleu = next(m for m in comparison.metrics if m.metric == "bleu")
    direct = sacre.paired_test(
        sacre.sentence_statistics(predictions=[OUTPUTS[r["id"]] for r in test], references=[references(r) for r in test]),
        sacre.sentence_statistics(predictions=[r["source"] for r in test], references=[references(r) for r in test]),
        "bleu")
    assert (bleu.difference, bleu.ci_low, bleu.ci_high, bleu.p_value) == pytest.approx(
        (direct.difference, direct.ci_low, direct.ci_high, direct.p_value), abs=1e-9)
    expected = sacrebleu_scores(test, OUTPUTS)["bleu"].score - sacrebleu_scores(test, {r["id"]: r["source"] for r in test})["bleu"].score
    assert bleu.difference == pytest.approx(expected, abs=1e-9)


def test_a_hidden_test_phase_takes_a_predictions_file_and_scores_each_half_on_its_own(outputs):
    test = rows("test")
    with Hub.open() as hub:
        hub.create_user("admin", admin=True)
        hub.create_user("alice")
        hub.create_benchmark("wmt-mini", dataset="de-en", user="admin", phases=[PhaseSpec("test", "test")])
        _, token = hub.create_token("alice")
        from benchhub.server import create_app
        from benchhub.server.in_process_scoring import WorkerSettings

        client = signed_in(TestClient(create_app(hub.config, scoring=WorkerSettings(enabled=False))), token)
        released = client.get("/api/benchmarks/wmt-mini/phases/test/inputs")
        assert released.status_code == 200
        items = [json.loads(line) for line in released.text.splitlines() if line.strip()]
        assert sorted(items, key=lambda item: item["id"]) == [{"id": r["id"], "text": r["source"]} for r in test]
        for page in ("/api/datasets/de-en", "/datasets/de-en", "/leaderboards/de-en", "/api/benchmarks/wmt-mini"):
            assert not any(text in client.get(page).text for row in test for text in references(row)), page
        hub.submit("wmt-mini", outputs, user="alice")
        assert hub.run_worker(once=True) == 1
        [mine] = hub.submissions("wmt-mini", user="alice")
        [maintained] = hub.submissions("wmt-mini", user="admin")
        with hub.session() as session:
            bench = session.scalar(select(BenchmarkRow).where(BenchmarkRow.name == "wmt-mini"))
            seed, fraction = bench.split_seed, bench.settings["public_fraction"]
    mask = public_mask(seed, [row["id"] for row in test], fraction)
    public = [row for row, shown in zip(test, mask) if shown]
    private = [row for row, shown in zip(test, mask) if not shown]
    assert mine.private_metrics is None
    assert mine.public_metrics["bleu"]["value"] == pytest.approx(sacrebleu_scores(public, OUTPUTS)["bleu"].score, abs=1e-9)
    assert maintained.private_metrics["chrf"]["value"] == pytest.approx(sacrebleu_scores(private, OUTPUTS)["chrf"].score, abs=1e-9)


@pytest.mark.parametrize(("lines", "message"), [
    ([{"id": "t08", "text": ["I forgot"]}], r'line 1: "text" of id \'t08\' is \[\'I forgot\'\], not a string'),
    ([{"id": "t08", "text": "x", "extra": float("nan")}], r"NaN and Infinity are not allowed|NaN"),
    ([{"id": i, "text": "x"} for i in OUTPUTS] + [{"id": "t08", "text": "y"}], r"line 17: duplicate id 't08'"),
    ([{"id": i, "text": "x"} for i in list(OUTPUTS)[1:]], r"1 example\(s\) have no prediction, first id 't08'"),
], ids=["list-not-string", "nan", "duplicate", "missing"])
def test_every_bad_predictions_file_is_refused_in_one_line_and_nothing_is_stored(outputs, tmp_path, lines, message):
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert re.search(message, one_line_error("score", "--dataset", "de-en", "--predictions", path))
    with Hub.open() as hub:
        hub.create_user("admin", admin=True)
        hub.create_user("alice")
        hub.create_benchmark("wmt-mini", dataset="de-en", user="admin", phases=[PhaseSpec("test", "test")])
        with pytest.raises(PredictionsFormatError, match=message):
            hub.submit("wmt-mini", path, user="alice")
        assert hub.submissions("wmt-mini", user="admin") == []
        with hub.session() as session:
            assert session.scalars(select(EvaluationRow)).all() == []


def test_what_cannot_translate_text_is_refused_in_one_line(tmp_path, outputs, tiny_bert):
    import numpy as np
    from safetensors.numpy import save_file

    folder = tmp_path / "llava"  # an image-text model: neither AutoModelForSeq2SeqLM nor AutoModelForCausalLM loads it
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava"}))
    save_file({"w": np.zeros(2, dtype=np.float32)}, str(folder / "model.safetensors"))
    error = one_line_error("model", "add", "llava", folder)
    assert "LlavaForConditionalGeneration is not a text-to-text language model" in error
    assert error.endswith('the text-to-text families run text seq2seq and causal language models, and score other '
                          'outputs as predictions files (JSONL {"id", "text"}).')
    with Hub.open() as hub:
        assert hub.models() == []
        hub.add_model("classifier", tiny_bert)
        with pytest.raises(InvalidInputError, match=r"is not a language model .*; translation runs seq2seq and causal "
                                                     r"language models \(.*\*ForCausalLM, \*LMHeadModel\)\.$"):
            hub.evaluate(model="classifier", dataset="de-en", progress=False)
        with pytest.raises(InvalidInputError, match=r"is not a language model"):
            hub.predict("classifier", outputs, dataset="de-en", output=tmp_path / "out.jsonl", progress=False)
        assert not (tmp_path / "out.jsonl").exists()
