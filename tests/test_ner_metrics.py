"""Token-classification metrics against seqeval 1.2.2 as the oracle, and their bootstrap."""

from __future__ import annotations

import math
import random
import warnings

import numpy as np
import pytest
from seqeval import scheme as seqeval_scheme
from seqeval.metrics import accuracy_score, f1_score, precision_score, recall_score
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.metrics.sequence_labeling import (
    precision_recall_fscore_support as seqeval_prfs,
)

from benchhub.errors import DatasetFormatError, InvalidInputError
from benchhub.metrics.bootstrap import Interval, resample_indices
from benchhub.tasks.token_classification import metrics as ner_metrics
from benchhub.tasks.token_classification.entities import (
    ALLOWED_PREFIXES,
    conlleval_entities,
    strict_entities,
)
from benchhub.tasks.token_classification.metrics import (
    HEADLINE_METRICS,
    VERSION,
    Counts,
    corpus_counts,
    intervals,
    paired_pvalue,
    scores,
    sentence_counts,
    token_classification_metrics,
)
from benchhub.tasks.token_classification.schemes import (
    SCHEMES,
    detect_scheme,
    encode_spans,
    split_tag,
    validate,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:seqeval.*")

TYPES = ["PER", "LOC", "ORG"]
ODD_TYPES = ["PER", "LOC", "人名", "Ünï", "A-B", "_"]
# Every tag shape seqeval's default mode treats specially: bare prefixes, "."-tags, O-typed tags,
# unknown prefixes, empty types, doubled dashes, unicode types.
ODD_TAGS = [
    "O", "O", "O", "B", "I", "E", "S", "U", "L", ".", ".PER", "O-PER", "X-PER", "B-", "I-", "B--PER", "S_PER",
    "BPER", "IPER",
] + [f"{prefix}-{type_}" for prefix in "BIESUL" for type_ in ODD_TYPES]


def _seqeval_scores(references, predictions, scheme):
    """Returns every score of token_classification_metrics, computed by seqeval itself."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = {
            "precision": precision_score(references, predictions),
            "recall": recall_score(references, predictions),
            "f1": f1_score(references, predictions),
            "accuracy": accuracy_score(references, predictions),
            "macro_f1": f1_score(references, predictions, average="macro"),
        }
        if scheme is not None:
            cls = getattr(seqeval_scheme, scheme)
            expected["strict_precision"] = precision_score(references, predictions, mode="strict", scheme=cls)
            expected["strict_recall"] = recall_score(references, predictions, mode="strict", scheme=cls)
            expected["strict_f1"] = f1_score(references, predictions, mode="strict", scheme=cls)
        names = sorted({t for t, _, _ in get_entities(references)} | {t for t, _, _ in get_entities(predictions)})
        p, r, f, s = seqeval_prfs(references, predictions, average=None)
    expected["per_type"] = {
        name: {"precision": p[i], "recall": r[i], "f1": f[i], "support": s[i]} for i, name in enumerate(names)
    }
    return expected


def _assert_equal_scores(actual, expected):
    for name, value in expected.items():
        if name == "per_type":
            continue
        assert math.isnan(value) == math.isnan(actual[name]), (name, actual[name], value)
        if not math.isnan(value):
            assert actual[name] == pytest.approx(value, abs=1e-9, rel=0), (name, actual[name], value)
    assert list(actual["per_type"]) == list(expected["per_type"])
    for type_, row in expected["per_type"].items():
        for key in ("precision", "recall", "f1"):
            assert actual["per_type"][type_][key] == pytest.approx(row[key], abs=1e-9, rel=0), (type_, key)
        assert actual["per_type"][type_]["support"] == row["support"]


def _random_spans(rng: random.Random, length: int, types=TYPES) -> list[tuple[str, int, int]]:
    spans, position = [], 0
    while position < length:
        if rng.random() < 0.45:
            size = rng.randint(1, min(4, length - position))
            spans.append((rng.choice(types), position, position + size))
            position += size
        else:
            position += rng.randint(1, 2)
    return spans


def _perturbed(rng: random.Random, spans, length: int) -> list[tuple[str, int, int]]:
    """Returns a system's spans: gold spans kept, dropped, retyped, resized, plus spurious ones."""
    result = []
    for type_, start, end in spans:
        roll = rng.random()
        if roll < 0.55:
            result.append((type_, start, end))
        elif roll < 0.7:
            result.append((rng.choice(TYPES), start, end))
        elif roll < 0.85 and end - start > 1:
            result.append((type_, start, end - 1))
    taken = {position for _, start, end in result for position in range(start, end)}
    for position in range(length):
        if position not in taken and rng.random() < 0.08:
            result.append((rng.choice(TYPES), position, position + 1))
            taken.add(position)
    return result


def _well_formed_corpus(rng: random.Random, scheme: str, n: int):
    references, predictions = [], []
    for _ in range(n):
        length = rng.choice([0, 1, 2, 5, 8, 12])
        spans = _random_spans(rng, length)
        references.append(encode_spans(length, spans, scheme))
        predictions.append(encode_spans(length, _perturbed(rng, spans, length), scheme))
    return references, predictions


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("seed", range(6))
def test_well_formed_sequences_score_as_seqeval(scheme: str, seed: int) -> None:
    rng = random.Random(seed * 31 + SCHEMES.index(scheme))
    references, predictions = _well_formed_corpus(rng, scheme, n=rng.randint(1, 40))
    if not any(references):
        references[0], predictions[0] = ["O"], ["O"]
    actual = token_classification_metrics(references=references, predictions=predictions, scheme=scheme)
    _assert_equal_scores(actual, _seqeval_scores(references, predictions, scheme))
    assert set(actual) == {*HEADLINE_METRICS, "per_type"}


def _random_sentence(rng: random.Random, vocabulary: list[str]) -> list[str]:
    return [rng.choice(vocabulary) for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 5, 9]))]


@pytest.mark.parametrize("seed", range(40))
def test_ill_formed_sequences_score_as_seqeval_default_mode(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 12)
    references = [_random_sentence(rng, ODD_TAGS) for _ in range(n)]
    predictions = [
        [tag if rng.random() < 0.5 else rng.choice(ODD_TAGS) for tag in sentence] for sentence in references
    ]
    if not any(references):
        references.append(["B-PER"])
        predictions.append(["I-PER"])
    _assert_equal_default_scores(references, predictions)


ADVERSARIAL = {
    "I after O": ([["O", "I-PER", "I-PER", "O"]], [["O", "B-PER", "I-PER", "O"]]),
    "type change mid-entity": ([["B-PER", "I-LOC", "I-LOC"]], [["B-PER", "I-PER", "I-LOC"]]),
    "E without B": ([["O", "E-PER", "O", "I-LOC", "E-LOC"]], [["B-PER", "E-PER", "O", "S-LOC", "E-LOC"]]),
    "lone S": ([["S-PER"], ["O", "S-LOC", "S-LOC"]], [["S-PER"], ["O", "B-LOC", "E-LOC"]]),
    "empty sentences": ([[], ["B-PER"], [], ["O"]], [[], ["B-PER"], [], ["B-LOC"]]),
    "all O": ([["O", "O"], ["O"]], [["O", "O"], ["O"]]),
    "all O gold, entities predicted": ([["O", "O"], ["O"]], [["B-PER", "O"], ["I-LOC"]]),
    "one token": ([["B-PER"]], [["B-PER"]]),
    "unicode types": ([["B-人名", "I-人名", "O", "S-Ünï"]], [["B-人名", "I-人名", "O", "B-Ünï"]]),
    "bare prefix first word": ([["U"], ["U"], ["B-X"]], [["U"], ["O"], ["B-X"]]),
    "chunk open across sentences": ([["U-PER", "O-PER"], ["U", "B-X"]], [["U-PER", "O-PER"], ["U", "B-X"]]),
    "dot tags": ([[".PER", ".PER", "I-PER"], ["B-PER", "."]], [["B-PER", ".PER", "O"], ["B-PER", "I-PER"]]),
}


@pytest.mark.parametrize("case", ADVERSARIAL.values(), ids=list(ADVERSARIAL))
def test_adversarial_sequences_score_as_seqeval(case) -> None:
    references, predictions = case
    _assert_equal_default_scores(references, predictions)


def _assert_equal_default_scores(references, predictions) -> None:
    """Compares the default-mode scores only: strict mode refuses most of these tags, as seqeval's does."""
    default = sentence_counts(references, predictions, mode="default")
    actual = scores(Counts(default=default, strict=default))
    expected = _seqeval_scores(references, predictions, scheme=None)
    _assert_equal_scores({k: v for k, v in actual.items() if not k.startswith("strict")}, expected)


def test_no_entity_at_all_gives_nan_macro_f1_like_seqeval() -> None:
    result = token_classification_metrics(references=[["O", "O"]], predictions=[["O", "O"]], scheme="IOB2")
    assert math.isnan(result["macro_f1"])
    assert (result["precision"], result["recall"], result["f1"], result["accuracy"]) == (0.0, 0.0, 0.0, 1.0)
    assert result["per_type"] == {}


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("seed", range(8))
def test_strict_mode_scores_as_seqeval_on_random_sequences(scheme: str, seed: int) -> None:
    rng = random.Random(1000 + seed * 7 + SCHEMES.index(scheme))
    vocabulary = ["O", "O"] + [f"{p}-{t}" for p in ALLOWED_PREFIXES[scheme] if p != "O" for t in ("PER", "LOC", "人")]
    n = rng.randint(1, 25)
    if seed % 2:
        references, predictions = _well_formed_corpus(rng, scheme, n)
        predictions = [[tag if rng.random() < 0.8 else rng.choice(vocabulary) for tag in s] for s in predictions]
    else:
        references = [_random_sentence(rng, vocabulary) for _ in range(n)]
        predictions = [[tag if rng.random() < 0.6 else rng.choice(vocabulary) for tag in s] for s in references]
    if not any(references):
        references.append(["O"])
        predictions.append(["O"])
    actual = token_classification_metrics(references=references, predictions=predictions, scheme=scheme)
    _assert_equal_scores(actual, _seqeval_scores(references, predictions, scheme))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_strict_entities_equal_seqeval_tokens(scheme: str) -> None:
    rng = random.Random(SCHEMES.index(scheme))
    vocabulary = ["O"] + [f"{p}-{t}" for p in ALLOWED_PREFIXES[scheme] if p != "O" for t in ("A", "B")] + ["I--A-"]
    cls = getattr(seqeval_scheme, scheme)
    for _ in range(3000):
        tags = [rng.choice(vocabulary) for _ in range(rng.randint(0, 7))]
        expected = [(e.tag, e.start, e.end) for e in seqeval_scheme.Tokens(tags, cls).entities]
        assert strict_entities(tags, scheme) == expected, tags


@pytest.mark.parametrize("scheme", SCHEMES)
def test_strict_mode_rejects_prefixes_the_scheme_lacks_as_seqeval_does(scheme: str) -> None:
    foreign = next(f"{p}-PER" for p in "BIESUL" if p not in ALLOWED_PREFIXES[scheme])
    with pytest.raises((ValueError, KeyError)):
        precision_score([["O", foreign]], [["O", "O"]], mode="strict", scheme=getattr(seqeval_scheme, scheme))
    with pytest.raises(InvalidInputError, match=f"prefix '{foreign[0]}' the {scheme} scheme does not allow"):
        token_classification_metrics(references=[["O", foreign]], predictions=[["O", "O"]], scheme=scheme)


def test_conlleval_entities_equal_get_entities_on_random_tags() -> None:
    rng = random.Random(7)
    for _ in range(5000):
        sentences = [_random_sentence(rng, ODD_TAGS) for _ in range(rng.randint(1, 4))]
        assert conlleval_entities(sentences) == get_entities(sentences), sentences
        assert conlleval_entities(sentences[0]) == get_entities(sentences[0]), sentences[0]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["U", "O", "U"], []),  # the first tag sees type "", so a bare U opens a chunk nothing closes
        ([["U-PER", "O-PER"], ["U", "B-X"]], [("_", 0, 3), ("X", 4, 4)]),  # a chunk across sentences
        (["O", "I-PER", "E-PER", "S-PER"], [("PER", 1, 2), ("PER", 3, 3)]),
        (["B-PER", "I-LOC"], [("PER", 0, 0), ("LOC", 1, 1)]),
        (["B--PER", "I-PER"], [("-PER", 0, 0), ("PER", 1, 1)]),
    ],
    ids=["bare-first", "across-sentences", "I-after-O", "type-change", "double-dash"],
)
def test_conlleval_entities_keep_seqeval_quirks(tags, expected) -> None:
    assert get_entities(tags) == expected
    assert conlleval_entities(tags) == expected


def test_sentence_counts_sum_to_seqeval_statistics() -> None:
    references = [["B-PER", "I-PER", "O"], [], ["B-LOC", "O", "B-PER"]]
    predictions = [["B-PER", "I-PER", "O"], [], ["B-LOC", "B-LOC", "O"]]
    counts = sentence_counts(references, predictions, mode="default")
    assert counts.types == ("LOC", "PER")
    assert counts.true_positives.tolist() == [[0, 1], [0, 0], [1, 0]]
    assert counts.predicted.tolist() == [[0, 1], [0, 0], [2, 0]]
    assert counts.gold.tolist() == [[0, 1], [0, 0], [1, 1]]
    assert counts.correct_tokens.tolist() == [3, 0, 1]
    assert counts.tokens.tolist() == [3, 0, 3]
    strict = sentence_counts(references, predictions, mode="strict", scheme="IOB2")
    assert strict.true_positives.sum() == 2


def test_scheme_none_detects_the_references_scheme() -> None:
    references = [["S-PER", "O"], ["B-LOC", "E-LOC"]]
    predictions = [["S-PER", "O"], ["B-LOC", "I-LOC"]]
    detected = token_classification_metrics(references=references, predictions=predictions, scheme=None)
    explicit = token_classification_metrics(references=references, predictions=predictions, scheme="IOBES")
    assert detected == explicit
    assert detected["strict_recall"] == 0.5


@pytest.mark.parametrize(
    ("references", "predictions", "match"),
    [
        ([["O", "B-PER"]], [["O"]], "sentence 0 has 2 reference tags but 1 predicted"),
        ([["O"]], [["O"], ["O"]], "references hold 1 sentences but predictions 2"),
        ("O B-PER", [["O"]], "references must be a list of sentences"),
        ([["O", ""]], [["O", "O"]], "tag 1 of a sentence is ''"),
        ([[], []], [[], []], "references hold no word"),
    ],
    ids=["lengths", "sentences", "string", "empty-tag", "no-word"],
)
def test_misaligned_input_is_refused(references, predictions, match) -> None:
    with pytest.raises(InvalidInputError, match=match):
        token_classification_metrics(references=references, predictions=predictions, scheme="IOB2")


# --- bootstrap ----------------------------------------------------------------------------------


def _system_pair(seed: int, n: int = 60):
    rng = random.Random(seed)
    references, predictions = _well_formed_corpus(rng, "IOB2", n)
    references[0], predictions[0] = ["B-PER", "O"], ["B-PER", "O"]
    return references, predictions


def _slow_intervals(references, predictions, scheme, *, n_resamples, confidence, seed):
    """The reference bootstrap: seqeval-equal scores of each resampled list of sentences."""
    indices = resample_indices(len(references), n_resamples=n_resamples, seed=seed)
    values = {name: [] for name in HEADLINE_METRICS}
    for row in indices:
        resampled_references = [references[i] for i in row]
        if not any(resampled_references):
            for series in values.values():
                series.append(math.nan)
            continue
        result = token_classification_metrics(
            references=resampled_references, predictions=[predictions[i] for i in row], scheme=scheme
        )
        for name, series in values.items():
            series.append(result[name])
    alpha = (1 - confidence) / 2
    bounds = {}
    for name, series in values.items():
        array = np.array(series)
        array = array[~np.isnan(array)]
        low, high = np.quantile(array, [alpha, 1 - alpha])
        bounds[name] = Interval(low=float(low), high=float(high))
    return bounds


@pytest.mark.parametrize("scheme", ["IOB2", "IOBES", "IOE1"])
def test_intervals_equal_a_slow_reference_bootstrap(scheme: str) -> None:
    rng = random.Random(5)
    references, predictions = _well_formed_corpus(rng, scheme, 25)
    references[0], predictions[0] = ["O"], ["O"]
    counts = corpus_counts(references=references, predictions=predictions, scheme=scheme)
    fast = intervals(counts, n_resamples=200, confidence=0.9, seed=3)
    slow = _slow_intervals(references, predictions, scheme, n_resamples=200, confidence=0.9, seed=3)
    assert set(fast) == set(HEADLINE_METRICS)
    for name in HEADLINE_METRICS:
        assert fast[name].low == pytest.approx(slow[name].low, abs=1e-9), name
        assert fast[name].high == pytest.approx(slow[name].high, abs=1e-9), name


def test_resampled_scores_equal_seqeval_on_each_resample() -> None:
    """Every single resample, not only the quantiles, matches scoring the resampled sentences."""
    references, predictions = _system_pair(11, n=15)
    counts = corpus_counts(references=references, predictions=predictions, scheme="IOB2")
    resampled = ner_metrics._resampled_scores(counts, n_resamples=30, seed=2)
    for b, row in enumerate(resample_indices(len(references), n_resamples=30, seed=2)):
        expected = _seqeval_scores([references[i] for i in row], [predictions[i] for i in row], "IOB2")
        for name in HEADLINE_METRICS:
            if math.isnan(expected[name]):
                assert math.isnan(resampled[name][b])
            else:
                assert resampled[name][b] == pytest.approx(expected[name], abs=1e-9), (b, name)


def test_intervals_bracket_the_point_value_and_are_deterministic() -> None:
    references, predictions = _system_pair(1, n=120)
    counts = corpus_counts(references=references, predictions=predictions, scheme="IOB2")
    point = scores(counts)
    first = intervals(counts, n_resamples=500, confidence=0.95, seed=9)
    assert first == intervals(counts, n_resamples=500, confidence=0.95, seed=9)
    assert first != intervals(counts, n_resamples=500, confidence=0.95, seed=10)
    for name in HEADLINE_METRICS:
        assert first[name].low <= point[name] <= first[name].high, name
        assert first[name].low < first[name].high, name
    narrow = intervals(counts, n_resamples=500, confidence=0.5, seed=9)
    assert all(first[n].low <= narrow[n].low <= narrow[n].high <= first[n].high for n in HEADLINE_METRICS)


def test_intervals_refuse_bad_confidence_and_counts() -> None:
    counts = corpus_counts(references=[["B-PER"]], predictions=[["B-PER"]], scheme="IOB2")
    with pytest.raises(InvalidInputError, match="confidence must lie strictly between 0 and 1"):
        intervals(counts, confidence=1.0)
    with pytest.raises(InvalidInputError, match="n_resamples must be at least 1"):
        intervals(counts, n_resamples=0)


def test_paired_pvalue_of_identical_systems_is_one() -> None:
    references, predictions = _system_pair(2)
    counts = corpus_counts(references=references, predictions=predictions, scheme="IOB2")
    for metric in HEADLINE_METRICS:
        assert paired_pvalue(counts, counts, metric, n_resamples=200, seed=0) == 1.0


def test_paired_pvalue_separates_a_perfect_system_from_a_poor_one() -> None:
    references, predictions = _system_pair(3, n=150)
    perfect = corpus_counts(references=references, predictions=references, scheme="IOB2")
    poor = corpus_counts(references=references, predictions=predictions, scheme="IOB2")
    p = paired_pvalue(perfect, poor, "f1", n_resamples=400, seed=0)
    assert p == pytest.approx(1 / 401)
    assert paired_pvalue(poor, perfect, "f1", n_resamples=400, seed=0) == p


def test_paired_pvalue_equals_a_slow_reference() -> None:
    references, system_a = _system_pair(4, n=30)
    rng = random.Random(40)
    system_b = [encode_spans(len(s), _perturbed(rng, strict_entities(s, "IOB2"), len(s)), "IOB2") for s in references]
    counts_a, counts_b = (
        corpus_counts(references=references, predictions=p, scheme="IOB2") for p in (system_a, system_b)
    )
    observed = scores(counts_a)["strict_f1"] - scores(counts_b)["strict_f1"]
    extreme = 0
    indices = resample_indices(len(references), n_resamples=150, seed=6)
    for row in indices:
        picked = [references[i] for i in row]
        delta = (
            token_classification_metrics(references=picked, predictions=[system_a[i] for i in row], scheme="IOB2")["strict_f1"]
            - token_classification_metrics(references=picked, predictions=[system_b[i] for i in row], scheme="IOB2")["strict_f1"]
        )
        extreme += abs(delta - observed) >= abs(observed) - 1e-12
    assert paired_pvalue(counts_a, counts_b, "strict_f1", n_resamples=150, seed=6) == (1 + extreme) / 151


def test_paired_pvalue_refuses_unknown_metric_and_other_sentences() -> None:
    a = corpus_counts(references=[["B-PER"]], predictions=[["B-PER"]], scheme="IOB2")
    b = corpus_counts(references=[["B-PER", "O"]], predictions=[["B-PER", "O"]], scheme="IOB2")
    with pytest.raises(InvalidInputError, match="metric must be one of precision, recall, f1"):
        paired_pvalue(a, a, "exact")
    with pytest.raises(InvalidInputError, match="must score the same sentences"):
        paired_pvalue(a, b, "f1")


def test_version_is_a_string() -> None:
    assert VERSION == "1"


# --- schemes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sequences", "expected"),
    [
        ([["B-PER", "I-PER", "O", "B-LOC"]], "IOB2"),
        ([["I-PER", "I-PER", "B-PER", "O", "I-LOC"]], "IOB1"),
        ([["B-PER", "O"], ["O", "I-LOC"]], "IOB1"),
        ([["I-PER", "E-PER", "O", "E-LOC"]], "IOE2"),
        ([["I-PER", "E-PER", "I-PER", "O"]], "IOE1"),
        ([["I-PER", "I-LOC", "E-LOC"]], "IOE1"),
        ([["S-PER", "O"], ["B-LOC", "I-LOC", "E-LOC"]], "IOBES"),
        ([["B-LOC", "E-LOC"]], "IOBES"),
        ([["U-PER", "O", "B-LOC", "L-LOC"]], "BILOU"),
        ([["O", "O"], []], "IOB2"),
        ([], "IOB2"),
        ([["I-PER"]], "IOB1"),
    ],
    ids=["iob2", "iob1", "iob1-second-sentence", "ioe2", "ioe1", "ioe1-type-change", "iobes", "iobes-no-S", "bilou", "all-O", "none",
         "only-I"],
)
def test_detect_scheme(sequences, expected) -> None:
    assert detect_scheme(sequences) == expected


@pytest.mark.parametrize("scheme", SCHEMES)
def test_detect_scheme_reads_back_random_encodings(scheme: str) -> None:
    rng = random.Random(SCHEMES.index(scheme) + 50)
    references, _ = _well_formed_corpus(rng, scheme, 40)
    assert detect_scheme(references) == scheme


def test_detect_scheme_refuses_mixed_and_malformed_tags() -> None:
    with pytest.raises(InvalidInputError, match="mix BILOU prefixes"):
        detect_scheme([["U-PER", "S-LOC"]])
    with pytest.raises(InvalidInputError, match="'B_PER' is not a tag"):
        detect_scheme([["B_PER"]])


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("O", ("O", "")), ("B-PER", ("B", "PER")), ("S-PER-2", ("S", "PER-2")), ("L-人名", ("L", "人名"))],
)
def test_split_tag(tag, expected) -> None:
    assert split_tag(tag) == expected


@pytest.mark.parametrize("tag", ["B_PER", "BPER", "B-", "X-PER", "O-PER", "", "B--PER", "B-PER-", "b-PER", None])
def test_split_tag_refuses_other_shapes(tag) -> None:
    with pytest.raises(InvalidInputError, match="is not a tag; write O, or a prefix"):
        split_tag(tag)


def _ioe1_unreadable(spans) -> bool:
    """seqeval's IOE1 gap: a one-word entity directly followed by one of its type, not itself after one."""
    for k, (type_, start, end) in enumerate(spans):
        follows = k + 1 < len(spans) and spans[k + 1][1] == end and spans[k + 1][0] == type_
        preceded = k > 0 and spans[k - 1][2] == start and spans[k - 1][0] == type_
        if end - start == 1 and follows and not preceded:
            return True
    return False


@pytest.mark.parametrize("scheme", SCHEMES)
def test_encode_spans_round_trips_through_strict_decoding(scheme: str) -> None:
    rng = random.Random(SCHEMES.index(scheme) + 100)
    unreadable = 0
    for _ in range(3000):
        length = rng.randint(0, 10)
        spans = _random_spans(rng, length, types=["A", "B"])
        tags = encode_spans(length, spans, scheme)
        assert [split_tag(tag)[0] in ALLOWED_PREFIXES[scheme] for tag in tags] == [True] * length
        if scheme == "IOE1" and _ioe1_unreadable(spans):
            unreadable += 1
            assert strict_entities(tags, scheme) != spans
            with pytest.raises(DatasetFormatError):
                validate(tags, scheme, where="s")
            continue
        assert strict_entities(tags, scheme) == spans, (spans, tags)
        validate(tags, scheme, where="s")
    assert (unreadable > 0) == (scheme == "IOE1")


@pytest.mark.parametrize(
    ("scheme", "spans", "expected"),
    [
        ("IOB1", [("A", 0, 2), ("A", 2, 3), ("B", 3, 4)], ["I-A", "I-A", "B-A", "I-B"]),
        ("IOB2", [("A", 0, 2), ("A", 2, 3)], ["B-A", "I-A", "B-A", "O"]),
        ("IOE1", [("A", 0, 2), ("A", 2, 3), ("B", 3, 4)], ["I-A", "E-A", "I-A", "I-B"]),
        ("IOE2", [("A", 0, 2), ("B", 3, 4)], ["I-A", "E-A", "O", "E-B"]),
        ("IOBES", [("A", 0, 3), ("B", 3, 4)], ["B-A", "I-A", "E-A", "S-B"]),
        ("BILOU", [("B", 3, 4), ("A", 0, 3)], ["B-A", "I-A", "L-A", "U-B"]),
    ],
)
def test_encode_spans_examples(scheme, spans, expected) -> None:
    assert encode_spans(4, spans, scheme) == expected


@pytest.mark.parametrize(
    ("spans", "match"),
    [
        ([("A", 0, 2), ("A", 1, 3)], "overlap"),
        ([("A", 2, 5)], "0 <= start < end <= 4"),
        ([("A", 1, 1)], "0 <= start < end <= 4"),
        ([("", 0, 1)], "the type must be non-empty"),
        ([("-X", 0, 1)], "must not begin or end with '-'"),
        ([("A", 0)], "a span must be"),
    ],
)
def test_encode_spans_refuses_bad_spans(spans, match) -> None:
    with pytest.raises(InvalidInputError, match=match):
        encode_spans(4, spans, "IOB2")


@pytest.mark.parametrize(
    ("scheme", "tags", "match"),
    [
        ("IOB2", ["O", "I-PER"], r"train sentence 3, position 1: 'I-PER' after 'O' is ill-formed in IOB2"),
        ("IOB2", ["B-PER", "I-LOC"], r"position 1: 'I-LOC' after 'B-PER' is ill-formed in IOB2"),
        ("IOB1", ["B-PER", "O"], r"position 0: 'B-PER' after the sentence start is ill-formed in IOB1"),
        ("IOE2", ["I-PER", "O"], r"position 0: 'I-PER' .* ill-formed in IOE2; strict decoding reads this word as 'O'"),
        ("IOBES", ["B-PER"], r"position 0: 'B-PER' .* ill-formed in IOBES"),
        ("IOBES", ["O", "U-PER"], r"position 1: 'U-PER' uses prefix U-, which IOBES does not have"),
        ("BILOU", ["B_PER"], r"position 0: 'B_PER' is not a tag"),
    ],
)
def test_validate_names_sentence_and_position(scheme, tags, match) -> None:
    with pytest.raises(DatasetFormatError, match=match):
        validate(tags, scheme, where="train sentence 3")


def test_validate_accepts_well_formed_sequences_of_each_scheme() -> None:
    for scheme, tags in {
        "IOB1": ["I-A", "B-A", "O", "I-B"],
        "IOB2": ["B-A", "B-A", "I-A", "O"],
        "IOE1": ["I-A", "E-A", "I-A", "O"],
        "IOE2": ["E-A", "I-A", "E-A", "O"],
        "IOBES": ["S-A", "B-A", "E-A", "O"],
        "BILOU": ["U-A", "B-A", "L-A", "O"],
    }.items():
        validate(tags, scheme, where="s")


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown tag scheme 'IOB'; choose one of IOB1, IOB2"):
        encode_spans(1, [], "IOB")
