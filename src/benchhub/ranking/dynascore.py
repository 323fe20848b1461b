"""The Dynascore: one ranking from several columns, each converted into units of the ranked metric.

Source: Ma, Ethayarajh, Thrush, Jain, Wu, Jia, Potts, Williams and Kiela, "Dynaboard: An Evaluation-As-A-Service
Platform for Holistic Next-Generation Benchmarking", NeurIPS 2021 (arXiv:2106.06052). The paper ranks models by a
weighted sum of their metrics, each divided by its average marginal rate of substitution (AMRS) with respect to
performance, so that a column measured in milliseconds or bytes enters the sum in points of performance, with
weights that the viewer chooses and that are normalised to sum to one. The steps below are those of the reference
implementation that ran Dynaboard's leaderboards; where the paper's prose and the code could be read differently,
this module follows the code: facebookresearch/dynabench, `api/models/score.py`, `ScoreModel.dynascore` (commit
06e5946e), with each metric's `utility_direction` and `offset` from `evaluation/metrics/metrics.py`
(`get_*_meta`; memory, say, has direction -1 and the machine's memory as offset). With performance `p` and,
for every other column `c`, its value `x_c` converted to `u_c = direction_c * x_c + offset_c` (direction +1 where
higher is better, -1 for costs such as latency, memory or size):

1. rows are sorted by `p`, ascending, and each row is paired with the one before it;
2. only pairs whose gain in `p` exceeds 0.01% of the best `p` count (`delta_cutoff_proportion = 0.0001`: "we
   don't want small denominators to make AMRS super sensitive to noise");
3. `AMRS_c` = the mean over those pairs of `|delta u_c| / delta p` (so `AMRS_p` = 1);
4. weights are divided by their sum; `Dynascore = sum over c of w_c * u_c / |AMRS_c|`.

Scaling a column by k > 0 scales its AMRS by k and leaves its term, and the ranking, unchanged; an offset adds the
same amount to every row and leaves the ranking unchanged too. Here every offset is 0 (the reference subtracts
memory from the evaluation machine's memory; a hub has no such budget), so costs enter negated.

Where the reference leaves a case to chance, this module decides, and says so in a note:

- rows missing a value: the reference drops models without a complete set of scores from the board
  ("unclear what the null values should be"); here a row missing a *weighted* column (or the ranked metric)
  gets no Dynascore, is named in a note, and takes no part in the AMRS. Columns weighted 0 are not required.
- equal values of `p` are ordered by row name, so which rows pair up is deterministic (pandas' default sort
  leaves their order open); such a tie never forms a pair of its own (its gain is 0).
- a cutoff at or below 0 (a best `p` at or below 0) keeps only pairs with a positive gain, never a 0 denominator.
- a weighted column whose AMRS is 0 (no change across the pairs) makes the reference divide by zero and report
  every Dynascore as 0; here that column is left out of the sum (the other weights renormalised) with a note.
- with no pair at all (fewer than two rows whose `p` differs), no row gets a Dynascore.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchhub.errors import InvalidInputError

DELTA_CUTOFF_PROPORTION = 0.0001  # the reference's `delta_cutoff_proportion`
METRIC = "metric"  # every board's name for the column it ranks by
EXAMPLE = "metric:1,latency_b1:0.5"
MAX_WEIGHT = 1_000_000


@dataclass(frozen=True)
class Column:
    """A column a board can weigh: its name in `weights`, its label, and whether lower is better."""

    name: str
    label: str
    cost: bool = False


@dataclass(frozen=True)
class Result:
    """Each row's Dynascore (None where it has none), the AMRS of each column used, and what was left out."""

    scores: dict[str, float | None]
    amrs: dict[str, float | None]
    normalized: dict[str, float]
    notes: list[str] = field(default_factory=list)


def read_weights(given: str | Mapping[str, Any] | None, columns: Sequence[Column]) -> dict[str, float] | None:
    """Weights as text (`parse_weights`) or as {column: weight} (`check_weights`), checked; None stays None."""
    if given is None:
        return None
    if isinstance(given, str):
        return parse_weights(given, columns)
    if not isinstance(given, Mapping):
        raise InvalidInputError(f"Weights are COLUMN:WEIGHT pairs joined by commas (e.g. {EXAMPLE}) or an object of them.")
    return check_weights(given, columns)


def parse_weights(text: str, columns: Sequence[Column]) -> dict[str, float]:
    """`metric:1,latency_b1:0.5` as {column: weight}, checked (see `check_weights`); columns left out weigh 0."""
    if not text.strip():
        raise InvalidInputError(f"The weights are empty; give COLUMN:WEIGHT pairs joined by commas, e.g. {EXAMPLE}.")
    given: dict[str, Any] = {}
    for item in text.split(","):
        name, colon, value = item.strip().partition(":")
        name, value = name.strip(), value.strip()
        if not colon or not name or not value:
            shown = item.strip()
            what = f"{shown[:40]!r} is not one" if shown else "one of them is empty"
            raise InvalidInputError(f"Weights are COLUMN:WEIGHT pairs joined by commas, e.g. {EXAMPLE}; {what}.")
        if name in given:
            raise InvalidInputError(f"Column {name[:40]!r} is weighted twice; give each column once.")
        try:
            given[name] = float(value)
        except ValueError:
            given[name] = value
    return check_weights(given, columns)


def check_weights(given: Mapping[str, Any], columns: Sequence[Column]) -> dict[str, float]:
    """The weights as floats, in the columns' order, zeros left out; refuses unknown columns, non-numbers,
    NaN, infinities, negatives, values over a million, and weights that are all 0."""
    known = [column.name for column in columns]
    weights: dict[str, float] = {}
    for name, value in given.items():
        if name not in known:
            if any(column.name == METRIC and column.label == name for column in columns):
                raise InvalidInputError(f"{name!r} is the metric this board ranks by; weigh it as {METRIC}:WEIGHT.")
            raise InvalidInputError(f"No column {str(name)[:40]!r} to weigh on this board; its columns are {', '.join(known)}.")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidInputError(f"The weight of {name!r} must be a number in the range [0, {MAX_WEIGHT:,}]. "
                                    f"Got {str(value)[:40]!r} instead.")
        number = float(value)
        if not math.isfinite(number) or not 0 <= number <= MAX_WEIGHT:
            raise InvalidInputError(f"The weight of {name!r} must be a number in the range [0, {MAX_WEIGHT:,}]. Got {number!r} instead.")
        weights[name] = number
    if not any(weights.values()):
        raise InvalidInputError(f"Every weight is 0; give at least one column a weight above 0, e.g. {EXAMPLE}.")
    return {name: weights[name] for name in known if weights.get(name)}


def weights_query(weights: Mapping[str, float]) -> str:
    """Weights as `parse_weights` reads them: `metric:1,latency_b1:0.5` (each number exactly, shortest form)."""
    return ",".join(f"{name}:{_number(value)}" for name, value in weights.items())


def _number(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def dynascores(rows: Mapping[str, Mapping[str, float | None]], *, weights: Mapping[str, float],
               costs: Collection[str], metric: str = METRIC, label: str | None = None) -> Result:
    """Each row's Dynascore under `weights` (checked, > 0), with `metric` as the performance it converts into.

    `rows` maps a row's name to its values by column (None or a missing key: no value); `costs` are the columns
    where lower is better; `label` names the metric in notes. See the module docstring for the formula, its
    source and the cases it decides.
    """
    if not rows:
        return Result({}, {name: None for name in weights}, {}, [])
    needed = [metric, *(name for name in weights if name != metric)]
    shown = label or metric
    complete = {name: values for name, values in rows.items() if all(_finite(values.get(column)) for column in needed)}
    notes = []
    missing = [f"{name} ({', '.join(c for c in needed if not _finite(rows[name].get(c)))})" for name in rows if name not in complete]
    if missing:
        notes.append(f"no Dynascore for {_names(missing)}: a row needs a value of {shown} and of every weighted column "
                     f"(those in brackets are missing); rows without one rank after the rest, by {shown}.")
    order = sorted(complete, key=lambda name: (float(complete[name][metric]), name))
    best = max((float(complete[name][metric]) for name in order), default=0.0)
    cutoff = max(best * DELTA_CUTOFF_PROPORTION, 0.0)
    pairs = [(low, high) for low, high in zip(order, order[1:])
             if float(complete[high][metric]) - float(complete[low][metric]) > cutoff]
    if not pairs:
        notes.append(f"no Dynascore: it needs two rows whose {shown} differs by more than {DELTA_CUTOFF_PROPORTION:.2%} "
                     f"of the best (it converts every column into {shown} by comparing rows).")
        return Result({name: None for name in rows}, {name: None for name in weights}, {}, notes)
    amrs: dict[str, float | None] = {}
    for column in weights:
        sign = -1.0 if column in costs else 1.0
        rates = [abs(sign * float(complete[high][column]) - sign * float(complete[low][column]))
                 / (float(complete[high][metric]) - float(complete[low][metric])) for low, high in pairs]
        amrs[column] = sum(rates) / len(rates)
    used = {column: weight for column, weight in weights.items() if amrs[column]}
    flat = [column for column in weights if column not in used]
    if flat:
        notes.append(f"{_names(flat)} left out of the Dynascore: it does not change between rows that differ in {shown} "
                     f"(AMRS 0), so it cannot be converted into {shown}.")
    if not used:
        return Result({name: None for name in rows}, amrs, {}, notes)
    total = sum(used.values())
    normalized = {column: weight / total for column, weight in used.items()}
    scores: dict[str, float | None] = {name: None for name in rows}
    for name in order:
        values = complete[name]
        scores[name] = sum(share * (-1.0 if column in costs else 1.0) * float(values[column]) / amrs[column]
                           for column, share in normalized.items())
    return Result(scores, amrs, normalized, notes)


def order_by_dynascore(names: Sequence[str], scores: Mapping[str, float | None]) -> list[str]:
    """`names` (given in the board's own order) by Dynascore, highest first; rows without one after, in that order."""
    position = {name: index for index, name in enumerate(names)}
    return sorted(names, key=lambda name: (scores.get(name) is None, -(scores.get(name) or 0.0), position[name]))


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _names(names: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
