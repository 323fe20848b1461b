"""Measuring how fast loaded models answer: latency percentiles and throughput on synthetic inputs.

One timed call encodes a batch of synthetic examples, predicts its items and, for question
answering, decodes the answer spans: what a user of the model waits for. For every
(batch size, sequence length) each model is warmed up, then the models run round by round: in a
round every model runs calls for a short slice of time, in an order rotated each round, so a slow
spell of the machine (another process, a frequency drop) falls on all of them alike. Rounds stop
once every model has `min_timings` calls and `min_seconds` of timed work, or after `max_seconds`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np

from benchhub.data.records import DatasetFacts, Split
from benchhub.errors import BenchhubError, InvalidInputError
from benchhub.models.base import Model, RunOutput
from benchhub.progress import Progress
from benchhub.tasks.base import Task

# Common English words; single letters last so a gap of one token can always be filled.
WORDS = (
    "the", "model", "reads", "a", "short", "review", "of", "the", "film", "and", "says", "whether", "it", "was",
    "good", "or", "bad", "people", "often", "write", "about", "the", "plot", "the", "actors", "and", "the",
    "music", "some", "like", "long", "stories", "while", "others", "want", "a", "quick", "answer", "to", "their",
    "question", "so", "we", "measure", "how", "fast", "each", "system", "can", "give", "one", "this", "time",
    "day", "world", "house", "water", "light", "is", "in", "on", "at", "to", "i",
)


@dataclass(frozen=True)
class BenchBudget:
    """How long to measure each (batch size, sequence length); seconds are per model unless noted."""

    warmup_calls: int = 3
    warmup_seconds: float = 0.3
    min_timings: int = 20
    min_seconds: float = 0.5
    slice_seconds: float = 0.05
    max_timings: int = 10_000
    max_seconds: float = 60.0  # all models of one configuration together

    def __post_init__(self) -> None:
        for name in ("warmup_calls", "min_timings", "max_timings"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "warmup_calls" else 1):
                raise InvalidInputError(f"The {name!r} of BenchBudget must be an int >= {0 if name == 'warmup_calls' else 1}. Got {value!r} instead.")
        for name in ("warmup_seconds", "min_seconds", "slice_seconds", "max_seconds"):
            if not getattr(self, name) >= 0:
                raise InvalidInputError(f"The {name!r} of BenchBudget must be a number >= 0. Got {getattr(self, name)!r} instead.")


@dataclass(frozen=True)
class Subject:
    """A loaded model to measure, with the task family that shapes its inputs and decodes its outputs."""

    name: str
    model: Model
    task: Task
    facts: DatasetFacts = field(default_factory=DatasetFacts)


@dataclass(frozen=True)
class LatencyStats:
    """The timings of one model at one batch size and sequence length, summarised."""

    model: str
    batch_size: int
    seq_len: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    throughput: float  # examples per second at the median call: batch_size / p50
    timings: int
    seconds: float  # timed seconds in total
    generation: GenerationStats | None = None  # models that generate text


@dataclass(frozen=True)
class GenerationStats:
    """What a generating model's timed calls add: generated tokens per second (all timed calls' tokens over their
    seconds), time to first token (from the start of the call, prompt encoding included; None under beam search),
    and the mean tokens generated per call."""

    tokens_per_second: float
    ttft_p50_ms: float | None
    ttft_p90_ms: float | None
    tokens_per_call: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _CallRecord:
    """What a generating model's calls left: one (tokens, seconds to first token) per call, warm-up included."""

    calls: list[tuple[int, float | None]] = field(default_factory=list)


def measure(subjects: Sequence[Subject], *, batch_sizes: Sequence[int], seq_lens: Sequence[int],
            budget: BenchBudget | None = None, show_progress: bool = True) -> list[LatencyStats]:
    """Times every subject at every batch size and sequence length; one result per model x batch x length.

    Every synthetic input is built (and checked against each model's limits) before any timing starts.
    """
    budget = budget or BenchBudget()
    texts = {
        (s.name, n): _grown_text(synthetic_input(s.model, n, question=s.task.bench_question, name=s.name))
        for s in subjects for n in seq_lens
    }
    results = []
    configs = [(batch, seq_len) for batch in batch_sizes for seq_len in seq_lens]
    with Progress("benchmarking", len(configs) * len(subjects), enabled=show_progress) as progress:
        for batch, seq_len in configs:
            splits = {s.name: s.task.bench_split(texts[s.name, seq_len], batch) for s in subjects}
            records = {s.name: _CallRecord() for s in subjects}
            calls = [(s.name, _timed_call(s, splits[s.name], records[s.name])) for s in subjects]
            timings = interleaved_timings(calls, budget)
            for name, _ in calls:
                stats = summarize(name, batch, seq_len, timings[name])
                results.append(replace(stats, generation=generation_stats(timings[name], records[name])))
            progress.advance(len(subjects))
    order = {s.name: i for i, s in enumerate(subjects)}
    return sorted(results, key=lambda r: (order[r.model], r.batch_size, r.seq_len))


def interleaved_timings(calls: Sequence[tuple[str, Callable[[], float]]], budget: BenchBudget) -> dict[str, list[float]]:
    """Warms up each call, then runs them round by round (order rotated each round); returns seconds per call."""
    if not calls:
        return {}
    for _, call in calls:
        started, done = time.perf_counter(), 0
        while done < budget.warmup_calls or time.perf_counter() - started < budget.warmup_seconds:
            call()
            done += 1
    timings: dict[str, list[float]] = {name: [] for name, _ in calls}
    started, round_index = time.perf_counter(), 0
    while True:
        shift = round_index % len(calls)
        for name, call in [*calls[shift:], *calls[:shift]]:
            samples = timings[name]
            if len(samples) >= budget.max_timings:
                continue
            slice_started = time.perf_counter()
            while len(samples) < budget.max_timings:
                samples.append(call())
                if time.perf_counter() - slice_started >= budget.slice_seconds:
                    break
        round_index += 1
        enough = all(
            len(samples) >= budget.max_timings or (len(samples) >= budget.min_timings and sum(samples) >= budget.min_seconds)
            for samples in timings.values()
        )
        if enough or time.perf_counter() - started >= budget.max_seconds:
            return timings


def summarize(model: str, batch_size: int, seq_len: int, seconds: Sequence[float]) -> LatencyStats:
    """Percentiles (linear interpolation) of the call times, and throughput at the median."""
    ms = np.asarray(seconds, dtype=np.float64) * 1000.0
    p50, p90, p99 = (float(v) for v in np.percentile(ms, [50, 90, 99]))
    return LatencyStats(model=model, batch_size=batch_size, seq_len=seq_len, p50_ms=p50, p90_ms=p90, p99_ms=p99,
                        throughput=batch_size / max(p50 / 1000.0, 1e-9),
                        timings=len(ms), seconds=float(ms.sum() / 1000.0))


def synthetic_input(model: Any, seq_len: int, *, question: str | None = None,
                    name: str | None = None) -> tuple[str, str | None]:
    """A (text, context) pair of `seq_len` tokens for `model`: (text, None), or (question, context) when the
    family asks a fixed `question` (its `bench_question`) about a context.

    With a `tokenizer`, the count includes special tokens (and the fixed question);
    without one, it counts words. A model with a `max_length` accepts no longer input.
    """
    limit = getattr(model, "max_length", None)
    if limit is not None and seq_len > limit:
        raise InvalidInputError(
            f"--seq-lens {seq_len} is longer than model {name or type(model).__name__!r} accepts ({limit} tokens); "
            f"use at most {limit}."
        )
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is not None:
        count = token_counter(tokenizer, question=question)
    elif question is not None:
        def count(text: str) -> int:
            return len(question.split()) + len(text.split())
    else:
        def count(text: str) -> int:
            return len(text.split())
    text = synthetic_text(count, seq_len)
    return (question, text) if question is not None else (text, None)


def token_counter(tokenizer: Any, *, question: str | None = None) -> Callable[[str], int]:
    """Counts the tokens (special tokens included) of a text, or of `question` paired with it."""
    def count(text: str) -> int:
        if question is None:
            return len(tokenizer(text, verbose=False)["input_ids"])
        if not text:
            # An empty second text is dropped with its separator; count the pair's fixed part through a one-word text.
            return count("a") - len(tokenizer("a", add_special_tokens=False)["input_ids"])
        return len(tokenizer(question, text, verbose=False)["input_ids"])

    return count


def synthetic_text(count: Callable[[str], int], length: int, *, words: Sequence[str] = WORDS) -> str:
    """Words taken in order from `words` (cycling) until `count(text)` is exactly `length`.

    Adds as many words as tokens remain, halving on overshoot; a last word too long for the
    remaining tokens is swapped for the next word in the list that fits.
    """
    current = count("")
    if length <= current:
        raise InvalidInputError(
            f"--seq-lens {length} leaves no room for text: the fixed part of the input (special tokens, a QA question) "
            f"is {current} long; use at least {current + 1}."
        )
    chosen: list[str] = []
    position, step = 0, length - current
    while current < length:
        step = max(1, min(step, length - current))
        candidate = chosen + [words[(position + i) % len(words)] for i in range(step)]
        n = count(" ".join(candidate))
        if n <= length:
            chosen, current, position, step = candidate, n, position + step, length - n
        elif step > 1:
            step //= 2
        else:
            for offset in range(1, len(words)):
                word = words[(position + offset) % len(words)]
                n = count(" ".join([*chosen, word]))
                if n <= length:
                    chosen, current, position = [*chosen, word], n, position + offset + 1
                    break
            else:
                raise BenchhubError(f"Cannot build a text of exactly {length} tokens from the benchmark's word list.")
    return " ".join(chosen)


def _grown_text(pair: tuple[str, str | None]) -> str:
    """The part of a synthetic input that grows with the length: the context after a fixed question, else the text."""
    text, context = pair
    return context if context is not None else text


def generation_stats(seconds: Sequence[float], record: _CallRecord) -> GenerationStats | None:
    """The generation figures of the timed calls (the last `len(seconds)` calls; the ones before warmed up)."""
    if not record.calls:
        return None
    timed = record.calls[len(record.calls) - len(seconds):]
    tokens = sum(count for count, _ in timed)
    firsts = [first for _, first in timed if first is not None]
    ttft = [float(v) for v in np.percentile(np.asarray(firsts) * 1000.0, [50, 90])] if firsts else [None, None]
    return GenerationStats(tokens_per_second=tokens / max(sum(seconds), 1e-9), ttft_p50_ms=ttft[0], ttft_p90_ms=ttft[1],
                           tokens_per_call=tokens / len(timed))


def _timed_call(subject: Subject, split: Split, record: _CallRecord) -> Callable[[], float]:
    """One timed call: encode, predict and the family's decoding (windowed models: the search over every window).
    A model with `timed_predict` (one that generates text) also says when its first token came and how many it
    generated; `record` keeps that."""
    model, task, facts = subject.model, subject.task, subject.facts
    timed_predict = getattr(model, "timed_predict", None)

    def call() -> float:
        started = time.perf_counter()
        items = model.encode(split)
        if timed_predict is not None:
            outputs, timing = timed_predict(items)
            first = None if timing.first_token_at is None else timing.first_token_at - started
            record.calls.append((timing.generated_tokens, first))
        else:
            outputs = model.predict(items)
        run = RunOutput(len(split), items, list(outputs), 0.0, 0.0, [], [], 0)
        task.collect(model, split, run, facts)
        return time.perf_counter() - started

    return call
