"""The offline tour with the real all-MiniLM-L6-v2 (about a minute on 2 cores)."""

from __future__ import annotations

import json

import pytest

from benchhub import Hub
from benchhub.demo import DATASET, MODEL, run_demo, sample_folder


def test_sample_dataset_matches_its_data_card():
    folder = sample_folder()
    rows = {name: [json.loads(line) for line in (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
            for name in ("train", "test")}
    assert len(rows["train"]) + len(rows["test"]) >= 500
    texts = [r["text"].casefold() for split in rows.values() for r in split]
    assert len(set(texts)) == len(texts)
    assert len({r["label"] for r in rows["test"]}) == 6
    assert "## " in (folder / "DATA_CARD.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_demo_fine_tunes_a_transformer_that_clearly_beats_the_keyword_baseline():
    hub = Hub.open()
    lines: list[str] = []
    result = run_demo(hub, progress=False, echo=lines.append, tasks=("text-classification",))
    assert set(result) == {"text-classification", "beats_keyword"}
    board = result["text-classification"]["leaderboard"]
    assert board.rows[0].model == MODEL
    ours = board.rows[0].metrics["macro_f1"]
    keyword = next(r for r in board.rows if r.model == "baseline:keyword").metrics["macro_f1"]
    assert result["beats_keyword"] and ours["ci_low"] > keyword["ci_high"]
    assert ours["value"] > 0.9
    assert any("clearly beats baseline:keyword (the 95% CIs do not overlap)" in line for line in lines)
    checkpoint = hub.model(MODEL).source
    assert (hub.artifacts.root / "checkpoints").as_posix() in checkpoint
    # Optimized twice behind the gates, benched side by side, reported.
    speed = result["text-classification"]["speed"]
    assert [(r["model"], r["runtime"]) for r in speed] == [
        (MODEL, "PyTorch"), (f"{MODEL}@onnx", "ONNX fp32"), (f"{MODEL}@onnx-int8", "ONNX int8")]
    assert speed[1]["macro_f1"] == speed[0]["macro_f1"]  # fp32 logits match to 1e-4: the same predictions
    assert abs(speed[2]["macro_f1"] - speed[0]["macro_f1"]) <= 0.01
    assert speed[2]["size_bytes"] < 0.4 * speed[0]["size_bytes"]
    assert all(r["latency_ms"] > 0 and r["throughput"] > 0 for r in speed)
    assert hub.model(f"{MODEL}@onnx-int8").parent == MODEL
    assert any(line.startswith(f"   {MODEL}@onnx: logits match PyTorch to ") for line in lines)
    report = result["text-classification"]["report"]
    html = report.read_text(encoding="utf-8")
    assert f"{MODEL}@onnx-int8" in html and "<script src=" not in html
    # The default probe suite ran on the model and its rival; the report names the most robust one.
    probes = result["text-classification"]["probes"]
    assert set(probes) == {MODEL, "baseline:keyword"}
    assert all(summary["worst_probe"] and summary["flip_rate"] is not None for summary in probes.values())
    assert probes[MODEL]["ece"] is not None and "most robust" in html and "worst change (points)" in html
    assert any(line.startswith(f"   {MODEL}: worst change ") for line in lines)
    ranked = hub.leaderboard(dataset=DATASET, progress=False)
    assert {row.model for row in ranked.rows if row.latency_ms is not None} == {r["model"] for r in speed}

    again: list[str] = []
    second = run_demo(hub, progress=False, echo=again.append, tasks=("text-classification",))
    assert second["text-classification"]["evaluation"].cached
    assert any("reusing the fine-tuned checkpoint" in line for line in again)
    assert any(line == f"   {MODEL}@onnx-int8: registered by an earlier run" for line in again)
    assert hub.dataset(DATASET).splits[0].num_rows == 462


@pytest.mark.slow
def test_qa_tour_fine_tunes_and_states_the_verdict_against_sliding_window():
    hub = Hub.open()
    lines: list[str] = []
    result = run_demo(hub, progress=False, echo=lines.append, tasks=("question-answering",), epochs=1.0)
    tour = result["question-answering"]
    board = tour["leaderboard"]
    names = [row.model for row in board.rows]
    assert set(names) == {"minilm-qa-sample", "baseline:sliding-window", "baseline:context-only",
                          "baseline:question-only", "baseline:always-no-answer"}
    values = [row.metrics["f1"]["value"] for row in board.rows]
    assert values == sorted(values, reverse=True)
    verdict = next(line for line in lines if line.startswith("5. f1: minilm-qa-sample"))
    ours = next(row for row in board.rows if row.model == "minilm-qa-sample").metrics["f1"]
    rival = next(row for row in board.rows if row.model == "baseline:sliding-window").metrics["f1"]
    if ours["ci_low"] > rival["ci_high"]:
        assert "clearly beats baseline:sliding-window" in verdict
    elif ours["value"] > rival["value"]:
        assert "NOT clearly better" in verdict
    else:
        assert "does NOT beat baseline:sliding-window" in verdict
    assert any(line.startswith("   shortcut gap") for line in lines)
    assert hub.dataset("qa-sample").options == {"squad_version": "2.0"}
    probes = tour["probes"]
    assert set(probes) == {"minilm-qa-sample", "baseline:sliding-window"}
    assert probes["baseline:sliding-window"]["guessing_rate"] == 1.0  # it answers every question whose answer was removed
    assert 0.0 <= probes["minilm-qa-sample"]["guessing_rate"] <= 1.0
    assert tour["report"].is_file()


@pytest.mark.slow
def test_ner_tour_fine_tunes_a_tagger_and_shows_the_memorization_gap():
    hub = Hub.open()
    lines: list[str] = []
    result = run_demo(hub, progress=False, echo=lines.append, tasks=("token-classification",), epochs=2.0)
    tour = result["token-classification"]
    board = tour["leaderboard"]
    rows = {row.model: row for row in board.rows}
    assert set(rows) == {"minilm-ner-sample", "baseline:majority-tag", "baseline:memorization", "baseline:feature-logreg"}
    assert hub.dataset("ner-sample").options["scheme"] == "IOB2"
    memorization = rows["baseline:memorization"].metrics
    assert memorization["seen_f1"]["value"] == 1.0 and memorization["unseen_f1"]["value"] == 0.0
    # The fine-tuned tagger finds mentions it never saw in train; remembering names cannot.
    assert rows["minilm-ner-sample"].metrics["unseen_f1"]["value"] > 0.2
    assert "   baseline:memorization: seen mentions f1 1.000, unseen 0.000: a memorization gap of 100.0 points" in lines
    assert any(line.startswith("5. f1: minilm-ner-sample") for line in lines)
    assert set(tour["probes"]) == {"minilm-ner-sample", "baseline:memorization"}
    assert tour["probes"]["baseline:memorization"]["worst_probe"] == "entity-swap"
    assert tour["report"].is_file()
    assert lines[-4] == ("the most confident errors: benchhub predictions --model minilm-ner-sample --dataset ner-sample "
                         "--errors --sort confidence")
    assert lines[-3] == "where the model beats its rival: benchhub compare minilm-ner-sample baseline:memorization --dataset ner-sample"


@pytest.mark.slow
def test_language_modeling_tour_trains_a_gpt_from_scratch_and_ranks_it_against_the_ngram_model_lowest_first():
    hub = Hub.open()
    lines: list[str] = []
    result = run_demo(hub, progress=False, echo=lines.append, tasks=("language-modeling",), epochs=4.0)
    tour = result["language-modeling"]
    rows = {row.model: row for row in tour["leaderboard"].rows}
    assert set(rows) == {"tiny-gpt-lm-sample", "baseline:ngram", "baseline:uniform-bytes"}
    assert rows["baseline:uniform-bytes"].metrics["bits_per_byte"]["value"] == pytest.approx(8.0)
    values = [row.metrics["word_perplexity"]["value"] for row in tour["leaderboard"].rows]
    assert values == sorted(values)  # lower is better, ranked first
    model = hub.model("tiny-gpt-lm-sample")
    assert model.kind == "transformers" and "checkpoints" in model.source
    assert any(line.startswith("   no pretrained model of this kind ships offline: training one from scratch on 60")
               for line in lines)
    ours, rival = (rows[name].metrics["bits_per_byte"] for name in ("tiny-gpt-lm-sample", "baseline:ngram"))
    verdict = next(line for line in lines if line.startswith("5. bits_per_byte: tiny-gpt-lm-sample"))
    if ours["ci_high"] < rival["ci_low"]:
        assert "clearly beats baseline:ngram" in verdict
    elif ours["value"] < rival["value"]:
        assert "NOT clearly better" in verdict
    else:
        assert "does NOT beat baseline:ngram" in verdict
    assert tour["probes"] == {} and any(line.startswith("6. probes: language-modeling has none") for line in lines)
    # The same model writes summaries of the summarization sample, ranked next to lead-3 and the others.
    written = tour["generates"]["summarization"]
    rows = {row.model: row for row in written["leaderboard"].rows}
    assert {"tiny-gpt-lm-sample", "baseline:lead-3", "baseline:random-3"} <= set(rows)
    assert written["evaluation"].task_config["max_new_tokens"] == 48 and written["evaluation"].task_config["max_length"] == 80
    ours, lead = (rows[name].metrics["rouge2"] for name in ("tiny-gpt-lm-sample", "baseline:lead-3"))
    verdict = next(line for line in lines if line.startswith("   rouge2: tiny-gpt-lm-sample"))
    assert ("clearly beats" in verdict) == (ours["ci_low"] > lead["ci_high"]) == written["beats_rival"]
    assert any(line.startswith("   it wrote for ") for line in lines)
    # And it writes code for the code-generation sample, run in the sandbox against its tests, next to the baselines.
    coded = tour["generates"]["code-generation"]
    rows = {row.model: row for row in coded["leaderboard"].rows}
    assert set(rows) == {"tiny-gpt-lm-sample", "baseline:retrieval", "baseline:pass"}
    assert rows["baseline:retrieval"].metrics["pass@1"]["value"] == pytest.approx(0.15)  # its data card's six relatives
    assert rows["baseline:pass"].metrics["pass@1"]["value"] == 0.0
    assert coded["evaluation"].details["execution"]["isolation"]["kind"] == "bubblewrap"
    assert any(line.startswith("8. the same model generating: code-generation of the bundled code-generation-sample")
               for line in lines)
    shown = [line for line in lines if line.startswith("   as `benchhub predictions` shows it: completion ")]
    assert len(shown) == 1 and "; passed " in shown[0] and "; all passed " in shown[0]
    assert any(line.startswith("9. report with the leaderboard") for line in lines)
    assert tour["report"].is_file()
    again: list[str] = []
    run_demo(hub, progress=False, echo=again.append, tasks=("language-modeling",), epochs=4.0)
    assert any("reusing the trained checkpoint" in line for line in again)
