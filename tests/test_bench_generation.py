"""`bench` on models that generate text: generated tokens per second and time to the first token, stored with the
speed run and shown in the table; an endpoint is benched by streaming (tests/test_endpoints.py, against a real
server) where it generates text, and refused where its answers would come from the response cache."""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import func, select

from benchhub import Hub
from benchhub.cli.render import speed_rows
from benchhub.data.records import Split
from benchhub.engine.latency import BenchBudget, synthetic_input
from benchhub.errors import InvalidInputError
from benchhub.models.generation import Decoding, TextGenerator
from benchhub.models.language_models import load_language_model
from benchhub.store.tables import SpeedRunRow
from tests.fixtures.tiny_lm import build_tiny_causal_lm, build_tiny_seq2seq_lm

SAMPLE = Path(str(resources.files("benchhub") / "resources" / "summarization_sample"))
FAST = BenchBudget(warmup_calls=0, warmup_seconds=0.0, min_timings=2, min_seconds=0.0, max_seconds=5.0)


def corpus() -> list[str]:
    rows = [json.loads(line) for line in (SAMPLE / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    return [row["document"] for row in rows] + [row["summary"] for row in rows]


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bench-lms")
    return {"causal": build_tiny_causal_lm(root / "gpt", corpus(), init_std=0.2),
            "seq2seq": build_tiny_seq2seq_lm(root / "bart", corpus(), init_std=0.2)}


def plain_new_tokens(lm, prompt_ids: list[int], max_new_tokens: int) -> int:
    """How many tokens plain transformers generates for one prompt, up to and including the end-of-sequence token."""
    import torch

    ids = torch.tensor([prompt_ids])
    with torch.inference_mode():
        output = lm.network.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                     max_new_tokens=max_new_tokens, pad_token_id=lm.tokenizer.pad_token_id)
    new = output[0, 1:] if lm.encoder_decoder else output[0, ids.shape[1]:]
    eos = lm.tokenizer.eos_token_id
    tokens = new.tolist()
    return tokens.index(eos) + 1 if eos in tokens else len(tokens)


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_a_timed_generation_gives_the_same_texts_counts_its_tokens_and_times_the_first_one(folders, kind):
    lm = load_language_model(folders[kind], device="cpu")
    split = Split("t", ["a", "b", "c"], ["The harbour reopened", "A choir sang at the festival today", "Rangers"])
    generator = TextGenerator(lm, Decoding(max_new_tokens=12))
    items = generator.encode(split)
    started = time.perf_counter()
    texts, timing = generator.timed_predict(items)
    ended = time.perf_counter()
    assert texts == generator.predict(items)
    assert started < timing.first_token_at < ended
    assert timing.generated_tokens == sum(plain_new_tokens(lm, list(item.ids), 12) for item in items)
    beams = TextGenerator(lm, Decoding(max_new_tokens=12, num_beams=2))
    texts, timing = beams.timed_predict(items)
    assert texts == beams.predict(items) and timing.first_token_at is None and timing.generated_tokens > 0


def loaded(hub: Hub, model: str, dataset: str):
    """The model as bench loads it (the family's generator with its default settings)."""
    from benchhub.catalog.datasets import get_dataset_row
    from benchhub.catalog.models import get_model_row
    from benchhub.evaluation.speed import _load

    with hub.session() as session:
        return _load(hub.artifacts, get_model_row(session, model), get_dataset_row(session, dataset), None).model


def test_bench_reports_tokens_per_second_and_time_to_first_token_and_shows_them(folders, isolated_hub):
    with Hub.open() as hub:
        hub.add_dataset("news", splits={"train": SAMPLE / "train.jsonl", "test": SAMPLE / "test.jsonl"},
                        task="summarization", id_column="id")
        hub.add_model("gpt", folders["causal"])
        results = hub.bench(["gpt", "baseline:lead-3"], dataset="news", batch_sizes=(1, 2), seq_lens=(16,),
                            budget=FAST, progress=False)
        generator = loaded(hub, "gpt", "news")
    # The synthetic prompt generates what plain transformers generates for it, at the default of 128 new tokens.
    text, _ = synthetic_input(generator, 16)
    (prompt,) = generator.encode(Split("t", [0], [text]))
    expected = plain_new_tokens(generator.model, list(prompt.ids), 128)
    by_model = {(r.model, r.batch_size): r for r in results}
    for batch in (1, 2):
        result = by_model["gpt", batch]
        generation = result.details["generation"]
        assert set(generation) == {"tokens_per_second", "ttft_p50_ms", "ttft_p90_ms", "tokens_per_call"}
        assert generation["tokens_per_call"] == batch * expected
        assert 0 < generation["ttft_p50_ms"] <= generation["ttft_p90_ms"]
        assert generation["ttft_p50_ms"] < result.latency_ms_p50
        assert generation["tokens_per_second"] == pytest.approx(generation["tokens_per_call"] / (result.latency_ms_p50 / 1000),
                                                                rel=0.5)
        assert "generation" not in by_model["baseline:lead-3", batch].details
    header, rows = speed_rows([by_model["gpt", 1], by_model["baseline:lead-3", 1]])
    assert header[7:9] == ["tok/s", "TTFT p50 ms"]
    generation = by_model["gpt", 1].details["generation"]
    assert rows[0][7:9] == [f"{generation['tokens_per_second']:.1f}", f"{generation['ttft_p50_ms']:.2f}"]
    assert rows[1][7:9] == ["-", "-"]


def test_an_endpoint_is_benched_only_where_it_generates_text(isolated_hub):
    mc = Path(str(resources.files("benchhub") / "resources" / "multiple_choice_sample"))
    with Hub.open() as hub:
        hub.add_dataset("quiz", splits={"train": mc / "train.jsonl", "test": mc / "test.jsonl"}, task="multiple-choice")
        hub.add_model("served", "http://127.0.0.1:9/v1", endpoint={"model": "tiny"})
        with pytest.raises(InvalidInputError, match=(
                "^Model 'served' is an endpoint, and on multiple-choice its answers are not streamed text, so they would "
                "come from the response cache; bench times endpoints that generate text")):
            hub.bench(["served"], dataset="quiz", progress=False)
        with hub.session() as session:
            assert session.scalar(select(func.count()).select_from(SpeedRunRow)) == 0
