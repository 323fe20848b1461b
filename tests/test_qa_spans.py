"""Tests of windowed QA features, n-best span decoding and the TransformersQA adapter (tiny random BERT)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from benchhub.data.records import Split
from benchhub.engine.runner import run_model
from benchhub.errors import InvalidInputError
from benchhub.tasks.question_answering.spans import (
    QAFeature,
    decode_spans,
    make_features,
)
from benchhub.tasks.question_answering.transformers_qa import TransformersQA
from tests.fixtures.tiny_bert import build_tiny_bert_qa

QUESTION = "Who wrote the first program?"
# About 90 tokens; the answer sits near the end, past every overlap with an earlier window of 32 tokens.
LONG_CONTEXT = (
    "The Harbour Museum opened in 1912 on the east quay. Its first curator, Miss Edith Crane, collected ship "
    "models, charts and brass instruments. In 1958 a fire destroyed the west wing, and the collection moved to "
    "the old customs house. Visitors can still see the lighthouse lens, the diving suit and the whaling logs. "
    "The first program was written by Dr. Ada O'Neil-Byron."
)
ANSWER = "Dr. Ada O'Neil-Byron"
SHORT_CONTEXTS = [
    "The canal runs 27 miles from Brenning to the sea.",
    "Josiah Crane, the engineer, finished the locks in 1794.",
]
QUESTIONS = [QUESTION, "How long is the canal?", "Who was the engineer?", "When did the museum open?", "What burned?"]
CORPUS = [LONG_CONTEXT, *SHORT_CONTEXTS, *QUESTIONS] * 3


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """A tiny model gains nothing from threads, and they crawl on a busy machine."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)  # TransformersQA(threads=1) sets the process-wide count


@pytest.fixture(scope="module")
def qa_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bert_qa(tmp_path_factory.mktemp("tiny-bert-qa"), CORPUS)


@pytest.fixture(scope="module")
def tokenizer(qa_bert: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(qa_bert)


@pytest.fixture(scope="module")
def windows(tokenizer) -> list[QAFeature]:
    return make_features(tokenizer, [QUESTION], [LONG_CONTEXT], max_length=32, doc_stride=8)


@pytest.fixture(scope="module")
def window(windows) -> QAFeature:
    """The first window of the long context."""
    return windows[0]


def context_positions(feature: QAFeature) -> list[int]:
    return [position for position, span in enumerate(feature.offsets) if span is not None]


def test_windows_overlap_by_the_stride_and_cover_the_whole_context(tokenizer, windows):
    alone = tokenizer(LONG_CONTEXT, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    spans = [[feature.offsets[p] for p in context_positions(feature)] for feature in windows]

    assert len(windows) >= 4
    assert all(len(feature.input_ids) <= 32 for feature in windows)
    assert [feature.example for feature in windows] == [0] * len(windows)
    for before, after in zip(spans, spans[1:]):
        assert before[-8:] == after[:8]
    covered = sorted({span for window in spans for span in window})
    assert covered == [tuple(span) for span in alone]
    assert spans[0][0][0] == 0 and spans[-1][-1][1] == len(LONG_CONTEXT)


def test_every_context_token_maps_to_its_characters_and_nothing_else_has_offsets(tokenizer, windows):
    question_tokens = len(tokenizer(QUESTION, add_special_tokens=False)["input_ids"])
    for feature in windows:
        tokens = tokenizer.convert_ids_to_tokens(feature.input_ids)
        positions = context_positions(feature)
        assert feature.cls_index == 0 and tokens[0] == "[CLS]"
        assert positions == list(range(question_tokens + 2, len(tokens) - 1))
        assert tokens[question_tokens + 1] == tokens[-1] == "[SEP]"
        for position in positions:
            start, end = feature.offsets[position]
            assert LONG_CONTEXT[start:end].lower() == tokens[position].removeprefix("##")


def flat_logits(feature: QAFeature, value: float = -10.0) -> tuple[np.ndarray, np.ndarray]:
    return np.full(len(feature.input_ids), value), np.full(len(feature.input_ids), value)


def logits_peaking_at(feature: QAFeature, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    starts, ends = flat_logits(feature)
    starts[start], ends[end] = 10.0, 10.0
    return starts, ends


def test_an_answer_only_in_the_last_window_is_recovered_exactly(windows):
    answer_start = LONG_CONTEXT.index(ANSWER)
    answer_end = answer_start + len(ANSWER)
    holding = [
        index for index, feature in enumerate(windows)
        if any(feature.offsets[p][0] < answer_end and feature.offsets[p][1] > answer_start for p in context_positions(feature))
    ]
    assert holding == [len(windows) - 1]
    last = windows[-1]
    start = next(p for p in context_positions(last) if last.offsets[p][0] == answer_start)
    end = next(p for p in context_positions(last) if last.offsets[p][1] == answer_end)
    assert end - start >= 5  # the answer is several word pieces long, with punctuation inside
    starts, ends = zip(*(logits_peaking_at(f, start, end) if f is last else flat_logits(f) for f in windows))

    answer = decode_spans(LONG_CONTEXT, windows, starts, ends)

    assert answer.text == ANSWER
    assert (answer.start, answer.end) == (answer_start, answer_end)
    assert answer.span_score == pytest.approx(20.0)
    assert answer.null_score == pytest.approx(-20.0)
    assert answer.no_answer_probability == pytest.approx(1 / (1 + math.exp(40.0)))


def test_spans_outside_the_context_are_never_returned_even_when_they_score_highest(window):
    inside = context_positions(window)
    outside = [p for p in range(len(window.input_ids)) if p not in inside]
    starts, ends = flat_logits(window, -5.0)
    starts[outside], ends[outside] = 50.0, 50.0
    starts[inside[2]], ends[inside[3]] = 5.0, 5.0

    answer = decode_spans(LONG_CONTEXT, [window], [starts], [ends], null_threshold=None)

    assert (answer.start, answer.end) == (window.offsets[inside[2]][0], window.offsets[inside[3]][1])
    assert answer.text == LONG_CONTEXT[answer.start : answer.end]
    assert answer.span_score == pytest.approx(10.0)
    assert answer.null_score == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("max_answer_length", "expected_end"), [(3, 1), (6, 5)], ids=["long-span-too-long", "long-span-allowed"]
)
def test_backward_and_overlong_spans_are_skipped(window, max_answer_length, expected_end):
    first = context_positions(window)[0]
    starts, ends = flat_logits(window, -100.0)
    starts[first + 2] = 10.0
    ends[first + 1] = 20.0  # before the start: never a span
    ends[first + 2 + 5] = 9.0  # six tokens from the start
    ends[first + 2 + 1] = 1.0

    answer = decode_spans(LONG_CONTEXT, [window], [starts], [ends], max_answer_length=max_answer_length,
                          null_threshold=None)

    assert answer.start == window.offsets[first + 2][0]
    assert answer.end == window.offsets[first + 2 + expected_end][1]


@pytest.mark.parametrize(("n_best", "expected"), [(3, (2, 4)), (2, (6, 9))], ids=["third-start-reached", "top-two-only"])
def test_n_best_limits_the_start_and_end_candidates(window, n_best, expected):
    first = context_positions(window)[0]
    starts, ends = flat_logits(window)
    starts[[first + 6, first + 7, first + 2]] = [10.0, 9.0, 8.0]
    ends[first + 4] = 10.0  # fits only the third-best start
    ends[first + 9] = 1.0

    answer = decode_spans(LONG_CONTEXT, [window], [starts], [ends], n_best=n_best, null_threshold=None)

    assert (answer.start, answer.end) == (window.offsets[first + expected[0]][0], window.offsets[first + expected[1]][1])


@pytest.mark.parametrize(
    ("null_minus_best", "threshold", "abstains"),
    [(2.0, 0.0, True), (2.0, 1.9, True), (2.0, 2.1, False), (2.0, None, False), (-3.0, 0.0, False), (-3.0, -3.5, True)],
    ids=["null-wins", "above-threshold", "below-threshold", "never-abstain", "span-wins", "negative-threshold"],
)
def test_null_threshold_decides_abstention_and_probability_is_sigmoid(window, null_minus_best, threshold, abstains):
    first = context_positions(window)[0]
    starts, ends = flat_logits(window)
    starts[first], ends[first + 1] = 3.0, 2.0
    starts[window.cls_index] = ends[window.cls_index] = (5.0 + null_minus_best) / 2

    answer = decode_spans(LONG_CONTEXT, [window], [starts], [ends], null_threshold=threshold)

    span = LONG_CONTEXT[window.offsets[first][0] : window.offsets[first + 1][1]]
    assert answer.text == ("" if abstains else span)
    assert (answer.start, answer.end) == (window.offsets[first][0], window.offsets[first + 1][1])
    assert answer.null_score - answer.span_score == pytest.approx(null_minus_best)
    assert answer.no_answer_probability == pytest.approx(1 / (1 + math.exp(-null_minus_best)))


def test_the_null_score_is_the_minimum_over_windows(windows):
    first, second = windows[0], windows[1]
    scores = []
    for feature, cls_score in ((first, 4.0), (second, -1.0)):
        starts, ends = flat_logits(feature)
        starts[feature.cls_index] = ends[feature.cls_index] = cls_score / 2
        scores.append((starts, ends))
    position = context_positions(first)[0]
    scores[0][0][position] = scores[0][1][position] = 1.0  # span score 2: below 4, above -1

    answer = decode_spans(LONG_CONTEXT, [first, second], [s for s, _ in scores], [e for _, e in scores])

    assert answer.null_score == pytest.approx(-1.0)
    assert answer.text == LONG_CONTEXT[slice(*first.offsets[position])]
    assert answer.no_answer_probability == pytest.approx(1 / (1 + math.exp(3.0)))


def qa_split() -> Split:
    contexts = [LONG_CONTEXT, SHORT_CONTEXTS[0], LONG_CONTEXT, SHORT_CONTEXTS[1], LONG_CONTEXT[::-1].capitalize()]
    return Split("test", list(range(5)), QUESTIONS, contexts)


def test_batches_mixing_windows_of_several_questions_decode_like_one_at_a_time(qa_bert):
    model = TransformersQA(qa_bert, max_length=32, doc_stride=8, threads=1)
    split = qa_split()
    single = run_model(model, split, batch_size=1, show_progress=False)
    mixed = run_model(model, split, batch_size=5, show_progress=False)
    lengths = [model.length(item) for item in mixed.items]
    order = np.argsort([-length for length in lengths], kind="stable")
    batches = [{mixed.items[p].example for p in order[i : i + 5]} for i in range(0, len(order), 5)]

    assert len(mixed.items) > 2 * len(split)
    assert any(len(examples) > 1 for examples in batches)
    assert len(set(lengths)) > 1  # short contexts are padded inside mixed batches
    for allow_no_answer in (True, False):
        one = model.decode(split, single.items, single.outputs, allow_no_answer=allow_no_answer)
        many = model.decode(split, mixed.items, mixed.outputs, allow_no_answer=allow_no_answer)
        assert [(a.text, a.start, a.end) for a in many] == [(a.text, a.start, a.end) for a in one]
        assert [a.span_score for a in many] == pytest.approx([a.span_score for a in one], abs=1e-4)
        assert [a.null_score for a in many] == pytest.approx([a.null_score for a in one], abs=1e-4)
    never = model.decode(split, mixed.items, mixed.outputs, allow_no_answer=False)
    assert all(a.text and a.text == split.text_pairs[i][a.start : a.end] for i, a in enumerate(never))


def test_a_question_too_long_for_the_window_is_refused(qa_bert):
    model = TransformersQA(qa_bert, max_length=32, doc_stride=8, threads=1)
    split = Split("test", [0], [" ".join(["who wrote the first program"] * 8)], [SHORT_CONTEXTS[0]])

    with pytest.raises(InvalidInputError, match="too long to leave room for its context within 32 tokens"):
        model.encode(split)


@pytest.mark.parametrize("doc_stride", [-1, 32, 100], ids=["negative", "equal-to-window", "beyond-window"])
def test_a_doc_stride_outside_the_window_is_refused(qa_bert, doc_stride):
    with pytest.raises(InvalidInputError, match=rf"range \[0, 32\).*Got {doc_stride} instead"):
        TransformersQA(qa_bert, max_length=32, doc_stride=doc_stride, threads=1)
