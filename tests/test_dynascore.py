"""The Dynascore (ranking/dynascore.py): Dynaboard's AMRS-weighted sum against hand-computed values, its
invariances, the cases the reference leaves open (missing values, ties, flat columns), and the weights syntax."""

from __future__ import annotations

import random

import pytest

from benchhub.errors import InvalidInputError
from benchhub.ranking.dynascore import (
    Column,
    check_weights,
    dynascores,
    order_by_dynascore,
    parse_weights,
    weights_query,
)

COLUMNS = [Column("metric", "macro_f1"), Column("accuracy", "accuracy"), Column("latency_b1", "latency", cost=True),
           Column("throughput_b32", "throughput"), Column("size", "size", cost=True)]
COSTS = {"latency_b1", "size"}


def test_three_models_trading_accuracy_for_latency_by_hand():
    # Sorted by metric: A 70, B 80, C 90. Neighbouring pairs: A->B gains 10 points for 20 ms (2 ms a point),
    # B->C gains 10 for 30 ms (3 ms a point): AMRS = 2.5 ms per point. Equal weights: 1/2 each, and latency,
    # a cost, enters negated: A = 35 - 10/2.5/2 = 33, B = 40 - 30/2.5/2 = 34, C = 45 - 60/2.5/2 = 33.
    rows = {"A": {"metric": 70.0, "latency_b1": 10.0}, "B": {"metric": 80.0, "latency_b1": 30.0},
            "C": {"metric": 90.0, "latency_b1": 60.0}}
    result = dynascores(rows, weights={"metric": 1.0, "latency_b1": 1.0}, costs=COSTS)
    assert result.amrs == {"metric": 1.0, "latency_b1": 2.5}
    assert result.normalized == {"metric": 0.5, "latency_b1": 0.5}
    assert result.scores == {"A": pytest.approx(33.0), "B": pytest.approx(34.0), "C": pytest.approx(33.0)}
    assert result.notes == []
    assert order_by_dynascore(["C", "B", "A"], result.scores) == ["B", "C", "A"]  # A and C tie: the board's order


def test_pairs_whose_metric_gain_is_below_the_cutoff_do_not_count_and_rows_sort_by_the_metric():
    # Best metric 80: the cutoff is 0.01% of it, 0.008. P->Q gains 0.004 (left out: it would give 200 / 0.004 =
    # 50,000 examples/s a point); Q->R gains 19.996 for 100 examples/s: AMRS = 100 / 19.996. Weights 3:1 are
    # 3/4 and 1/4; throughput is a benefit: P = 45 + 100 * 19.996 / 100 / 4 = 49.999, Q = 45.003 + 14.997 = 60,
    # R = 60 + 9.998 = 69.998.
    rows = {"R": {"metric": 80.0, "throughput_b32": 200.0}, "P": {"metric": 60.0, "throughput_b32": 100.0},
            "Q": {"metric": 60.004, "throughput_b32": 300.0}}
    result = dynascores(rows, weights={"metric": 3.0, "throughput_b32": 1.0}, costs=COSTS)
    assert result.amrs["throughput_b32"] == pytest.approx(100 / 19.996, rel=1e-12)
    assert result.normalized == {"metric": 0.75, "throughput_b32": 0.25}
    assert result.scores == {"R": pytest.approx(69.998), "P": pytest.approx(49.999), "Q": pytest.approx(60.0)}


def test_a_column_weighted_zero_is_not_needed_and_a_row_missing_a_weighted_one_is_left_out_and_named():
    rows = {"A": {"metric": 70.0, "latency_b1": 10.0}, "B": {"metric": 80.0, "latency_b1": 30.0},
            "C": {"metric": 90.0, "latency_b1": 60.0}, "D": {"metric": 95.0}, "E": {"latency_b1": 5.0}}
    weighted = dynascores(rows, weights={"metric": 1.0, "latency_b1": 1.0}, costs=COSTS)
    # D and E take no part: the AMRS and the scores are those of A, B and C alone.
    assert weighted.amrs["latency_b1"] == 2.5 and weighted.scores["B"] == pytest.approx(34.0)
    assert weighted.scores["D"] is None and weighted.scores["E"] is None
    assert weighted.notes == ["no Dynascore for D (latency_b1), E (metric): a row needs a value of metric and of every "
                              "weighted column (those in brackets are missing); rows without one rank after the rest, by metric."]
    assert order_by_dynascore(["D", "C", "B", "A", "E"], weighted.scores) == ["B", "C", "A", "D", "E"]
    # Only the metric weighted: latency is not needed, so D is scored; the Dynascore is then the metric itself.
    alone = dynascores(rows, weights={"metric": 1.0}, costs=COSTS)
    assert alone.scores == {"A": 70.0, "B": 80.0, "C": 90.0, "D": 95.0, "E": None}


@pytest.mark.parametrize("missing", [None, float("nan"), float("inf"), True], ids=["none", "nan", "inf", "bool"])
def test_values_that_are_not_finite_numbers_count_as_missing(missing):
    rows = {"A": {"metric": 70.0, "size": 10.0}, "B": {"metric": 80.0, "size": 30.0}, "C": {"metric": 90.0, "size": missing}}
    result = dynascores(rows, weights={"metric": 1.0, "size": 1.0}, costs=COSTS)
    assert result.scores["C"] is None and result.amrs["size"] == 2.0  # from A->B alone


def test_rows_tied_on_the_metric_pair_in_name_order_whatever_order_they_come_in():
    # X and Y tie at 70. Sorted X, Y, Z: X->Y gains nothing (no pair), Y->Z gains 10 for 10 ms: AMRS 1.
    # (In the order Y, X, Z the pair would be X->Z, 20 ms, AMRS 2: the order must not be left to chance.)
    rows = {"Y": {"metric": 70.0, "latency_b1": 20.0}, "Z": {"metric": 80.0, "latency_b1": 30.0},
            "X": {"metric": 70.0, "latency_b1": 10.0}}
    weights = {"metric": 1.0, "latency_b1": 1.0}
    forward = dynascores(rows, weights=weights, costs=COSTS)
    backward = dynascores(dict(reversed(list(rows.items()))), weights=weights, costs=COSTS)
    assert forward.amrs["latency_b1"] == backward.amrs["latency_b1"] == 1.0
    assert forward.scores == backward.scores == {"X": 30.0, "Y": 25.0, "Z": 25.0}


def test_a_column_that_never_changes_is_left_out_with_a_note_instead_of_dividing_by_zero():
    rows = {"A": {"metric": 70.0, "size": 5.0}, "B": {"metric": 80.0, "size": 5.0}, "C": {"metric": 90.0, "size": 5.0}}
    result = dynascores(rows, weights={"metric": 1.0, "size": 3.0}, costs=COSTS, label="macro_f1")
    assert result.amrs == {"metric": 1.0, "size": 0.0}
    assert result.normalized == {"metric": 1.0}  # the weights that remain, renormalised
    assert result.scores == {"A": 70.0, "B": 80.0, "C": 90.0}
    assert result.notes == ["size left out of the Dynascore: it does not change between rows that differ in macro_f1 "
                            "(AMRS 0), so it cannot be converted into macro_f1."]


def test_without_two_rows_that_differ_in_the_metric_no_row_is_scored():
    tied = dynascores({"A": {"metric": 0.5, "size": 1.0}, "B": {"metric": 0.5, "size": 2.0}},
                      weights={"metric": 1.0, "size": 1.0}, costs=COSTS, label="f1")
    assert tied.scores == {"A": None, "B": None} and tied.normalized == {}
    assert tied.notes == ["no Dynascore: it needs two rows whose f1 differs by more than 0.01% of the best "
                          "(it converts every column into f1 by comparing rows)."]
    assert dynascores({}, weights={"metric": 1.0}, costs=COSTS).scores == {}


def _board(seed: int) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    return {f"m{i}": {"metric": rng.uniform(0.3, 0.95), "accuracy": rng.uniform(0.3, 0.95),
                      "latency_b1": rng.uniform(1, 80), "throughput_b32": rng.uniform(10, 900), "size": rng.uniform(1e6, 5e8)}
            for i in range(12)}


WEIGHTS = {"metric": 2.0, "accuracy": 0.5, "latency_b1": 1.0, "throughput_b32": 0.25, "size": 0.75}


def _ranking(scores: dict[str, float | None]) -> list[str]:
    return order_by_dynascore(sorted(scores), scores)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scaling_a_column_changes_neither_the_scores_nor_the_ranking(seed):
    rows = _board(seed)
    base = dynascores(rows, weights=WEIGHTS, costs=COSTS)
    for column, factor in (("latency_b1", 1000.0), ("size", 1 / 1024**2), ("throughput_b32", 3.0), ("accuracy", 100.0)):
        scaled = {name: {**values, column: values[column] * factor} for name, values in rows.items()}
        result = dynascores(scaled, weights=WEIGHTS, costs=COSTS)
        assert result.amrs[column] == pytest.approx(base.amrs[column] * factor, rel=1e-9)
        assert result.scores == {name: pytest.approx(score, rel=1e-9) for name, score in base.scores.items()}
        assert _ranking(result.scores) == _ranking(base.scores)


@pytest.mark.parametrize("seed", [1, 2])
def test_rescaling_the_metric_rescales_every_score_and_keeps_the_ranking(seed):
    rows = _board(seed)
    base = dynascores(rows, weights=WEIGHTS, costs=COSTS)
    percent = dynascores({name: {**values, "metric": 100 * values["metric"]} for name, values in rows.items()},
                         weights=WEIGHTS, costs=COSTS)
    assert percent.scores == {name: pytest.approx(100 * score, rel=1e-9) for name, score in base.scores.items()}
    assert _ranking(percent.scores) == _ranking(base.scores)


@pytest.mark.parametrize("seed", [1, 2])
def test_offsets_weights_scale_and_cost_signs_do_not_change_the_ranking(seed):
    rows = _board(seed)
    base = dynascores(rows, weights=WEIGHTS, costs=COSTS)
    # An offset (the reference's memory headroom is one) adds the same amount to every row.
    shifted = dynascores({name: {**values, "size": 8e9 - values["size"]} for name, values in rows.items()},
                         weights=WEIGHTS, costs=COSTS - {"size"})
    gaps = {name: shifted.scores[name] - base.scores[name] for name in rows}
    assert max(gaps.values()) - min(gaps.values()) == pytest.approx(0.0, abs=1e-9)
    assert _ranking(shifted.scores) == _ranking(base.scores)
    # Weights count only relative to each other.
    tenfold = dynascores(rows, weights={name: 10 * weight for name, weight in WEIGHTS.items()}, costs=COSTS)
    assert tenfold.scores == {name: pytest.approx(score, rel=1e-12) for name, score in base.scores.items()}


def test_the_same_rows_always_give_the_same_scores():
    rows = _board(7)
    first = dynascores(rows, weights=WEIGHTS, costs=COSTS)
    again = dynascores(dict(sorted(rows.items(), reverse=True)), weights=WEIGHTS, costs=COSTS)
    assert first.scores == again.scores and first.amrs == again.amrs


@pytest.mark.parametrize(("text", "message"), [
    ("", "The weights are empty; give COLUMN:WEIGHT pairs joined by commas, e.g. metric:1,latency_b1:0.5."),
    ("metric", "Weights are COLUMN:WEIGHT pairs joined by commas, e.g. metric:1,latency_b1:0.5; 'metric' is not one."),
    ("metric:1,,size:1", "Weights are COLUMN:WEIGHT pairs joined by commas, e.g. metric:1,latency_b1:0.5; one of them is empty."),
    ("metric:1:2", "The weight of 'metric' must be a number in the range [0, 1,000,000]. Got '1:2' instead."),
    ("metric:fast", "The weight of 'metric' must be a number in the range [0, 1,000,000]. Got 'fast' instead."),
    ("metric:-1", "The weight of 'metric' must be a number in the range [0, 1,000,000]. Got -1.0 instead."),
    ("metric:nan", "The weight of 'metric' must be a number in the range [0, 1,000,000]. Got nan instead."),
    ("metric:inf", "The weight of 'metric' must be a number in the range [0, 1,000,000]. Got inf instead."),
    ("metric:1e400", "The weight of 'metric' must be a number in the range [0, 1,000,000]. Got inf instead."),
    ("metric:2e6", "The weight of 'metric' must be a number in the range [0, 1,000,000]. Got 2000000.0 instead."),
    ("metric:0,size:0", "Every weight is 0; give at least one column a weight above 0, e.g. metric:1,latency_b1:0.5."),
    ("metric:1,metric:2", "Column 'metric' is weighted twice; give each column once."),
    ("macro_f1:1", "'macro_f1' is the metric this board ranks by; weigh it as metric:WEIGHT."),
    ("latncy:1", "No column 'latncy' to weigh on this board; its columns are metric, accuracy, latency_b1, throughput_b32, size."),
    ("metric:1,\nsize\x00:1", "No column 'size\\x00' to weigh on this board; its columns are metric, accuracy, latency_b1, "
                              "throughput_b32, size."),
], ids=["empty", "no-colon", "empty-item", "two-colons", "word", "negative", "nan", "inf", "overflow", "too-big", "all-zero",
        "twice", "metric-by-name", "unknown", "control-characters"])
def test_bad_weights_are_refused_in_one_line(text, message):
    with pytest.raises(InvalidInputError) as refused:
        parse_weights(text, COLUMNS)
    assert str(refused.value) == message and "\n" not in str(refused.value)


@pytest.mark.parametrize(("given", "message"), [
    ({"metric": "1"}, "The weight of 'metric' must be a number in the range [0, 1,000,000]. Got '1' instead."),
    ({"metric": True}, "The weight of 'metric' must be a number in the range [0, 1,000,000]. Got 'True' instead."),
    ({"metric": None}, "The weight of 'metric' must be a number in the range [0, 1,000,000]. Got 'None' instead."),
    ({}, "Every weight is 0; give at least one column a weight above 0, e.g. metric:1,latency_b1:0.5."),
], ids=["string", "bool", "null", "none-given"])
def test_weights_given_as_an_object_are_checked_the_same_way(given, message):
    with pytest.raises(InvalidInputError, match=r"^" + message.replace("[", r"\[").replace(".", r"\.") + "$"):
        check_weights(given, COLUMNS)


def test_weights_are_written_in_column_order_zeros_left_out_and_read_back_exactly():
    weights = parse_weights(" size : 1 , metric:0.30000000000000004,accuracy:0, latency_b1:1e-07", COLUMNS)
    assert weights == {"metric": 0.30000000000000004, "latency_b1": 1e-07, "size": 1.0}
    assert list(weights) == ["metric", "latency_b1", "size"]
    text = weights_query(weights)
    assert text == "metric:0.30000000000000004,latency_b1:1e-07,size:1"
    assert parse_weights(text, COLUMNS) == weights
