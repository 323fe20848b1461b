"""Text-classification probes: INV perturbations, DIR expectations, MFT templates and suites."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.tasks.text_classification.probes.directional import (
    AppendNegative,
    AppendPositive,
    ProbeNotApplicableError,
    sentiment_labels,
)
from benchhub.tasks.text_classification.probes.invariance import (
    NEUTRAL_SENTENCES,
    CaseChange,
    Contractions,
    NameSwap,
    NeutralFiller,
    StripPunctuation,
    Typos,
    name_lists,
)
from benchhub.tasks.text_classification.probes.suite import (
    REGISTRY,
    applicable,
    default_templates,
    default_text_suite,
    load_suite,
    not_applicable_reason,
    probe_by_name,
)
from benchhub.tasks.text_classification.probes.templates import (
    builtin_sentiment_tests,
    load_templates,
    parse_templates,
)
from tests.conftest import review_rows

LABELS = ["negative", "positive"]


def make_split(texts: list[str], *, labels: list[str] | None = None, pairs: list[str] | None = None) -> Split:
    return Split("test", [f"r{i}" for i in range(len(texts))], list(texts), pairs,
                 labels if labels is not None else ["positive"] * len(texts))


def one(probe, text: str, *, seed: int = 0, example_id: str = "r0") -> str:
    split = Split("test", [example_id], [text], None, ["positive"])
    return probe.apply(split, seed=seed).split.texts[0]


def reviews(n: int = 40) -> Split:
    rows = review_rows(n, seed=2, prefix="test")
    return Split("test", [r["id"] for r in rows], [r["text"] for r in rows], None, [r["label"] for r in rows])


# --- Typos -------------------------------------------------------------------------------------

def test_typos_pinned_output() -> None:
    # Eligible words: "acting", "wonderful" ("The", "was" are too short). With seed 0 and id r1 neither
    # draw (0.61, 0.46) is under the rate 0.1, so the fallback picks "wonderful"; the operation draw
    # (0.54) is a drop, of position 8: the final "l".
    assert one(Typos(), "The acting was wonderful", example_id="r1") == "The acting was wonderfu"
    assert one(Typos(), "The acting was wonderful", seed=1, example_id="r0") != "The acting was wonderful"


def _is_one_typo(original: str, changed: str) -> bool:
    if len(changed) == len(original) - 1:
        return any(original[:j] + original[j + 1:] == changed for j in range(len(original)))
    if len(changed) == len(original):
        diffs = [j for j in range(len(original)) if original[j] != changed[j]]
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and original[diffs[0]] == changed[diffs[1]] \
            and original[diffs[1]] == changed[diffs[0]]
    return False


def test_typos_change_one_eligible_word_by_a_swap_or_drop() -> None:
    split = reviews(60)
    result = Typos(rate=0.0).apply(split, seed=7)
    assert all(result.changed)
    for before, after in zip(split.texts, result.split.texts, strict=True):
        words_before, words_after = before.split(" "), after.split(" ")
        changed = [(a, b) for a, b in zip(words_before, words_after, strict=True) if a != b]
        assert len(changed) == 1
        assert len(changed[0][0]) >= 4 and _is_one_typo(*changed[0])


def test_typos_skip_short_words_digits_and_urls() -> None:
    texts = ["the cat sat", "go 5551234 now 2024abc", "see https://example.com/path or www.example.org", "don't e-mail",
             "visit https://example.com/path today"]
    result = Typos(rate=1.0).apply(make_split(texts), seed=0)
    assert result.split.texts[:4] == texts[:4]
    assert result.changed == [False, False, False, False, True]
    visit, url, today = result.split.texts[4].split(" ")
    assert url == "https://example.com/path"
    assert _is_one_typo("visit", visit) and _is_one_typo("today", today)  # rate 1.0: every eligible word


def test_typos_deterministic_and_seed_dependent() -> None:
    split = reviews(40)
    first = Typos().apply(split, seed=3).split.texts
    assert Typos().apply(split, seed=3).split.texts == first
    assert Typos().apply(split, seed=4).split.texts != first


def test_typos_per_example_generator_ignores_other_examples() -> None:
    split = reviews(10)
    alone = Split("test", split.ids[5:6], split.texts[5:6], None, split.labels[5:6])
    assert Typos().apply(alone, seed=0).split.texts[0] == Typos().apply(split, seed=0).split.texts[5]


@pytest.mark.parametrize("rate", [-0.1, 1.5, "high", True], ids=["negative", "over-one", "string", "bool"])
def test_typos_rejects_bad_rate(rate) -> None:
    with pytest.raises(InvalidInputError, match="'rate' parameter of Typos"):
        Typos(rate)


# --- case, punctuation ---------------------------------------------------------------------------

@pytest.mark.parametrize(("mode", "expected"), [
    ("lower", "it's a great film, mr. smith!"),
    ("upper", "IT'S A GREAT FILM, MR. SMITH!"),
    ("title", "It's A Great Film, Mr. Smith!"),
], ids=["lower", "upper", "title"])
def test_case_change(mode: str, expected: str) -> None:
    probe = CaseChange(mode)
    assert probe.name == f"case-{mode}"
    assert one(probe, "It's a GREAT film, Mr. Smith!") == expected


def test_case_change_flags_only_changed_texts() -> None:
    result = CaseChange("lower").apply(make_split(["already lower", "Not Lower", "123 !"]), seed=0)
    assert result.changed == [False, True, False]


def test_case_change_rejects_unknown_mode() -> None:
    with pytest.raises(InvalidInputError, match="one of lower, upper, title. Got 'camel'"):
        CaseChange("camel")  # type: ignore[arg-type]


def test_strip_punctuation() -> None:
    texts = ["Wow -- it's great, really!", "“Quoted” … end.", "no punctuation", "visit https://a.org/x?y=1 now!"]
    result = StripPunctuation().apply(make_split(texts), seed=0)
    assert result.split.texts == ["Wow its great really", "Quoted end", "no punctuation", "visit https://a.org/x?y=1 now"]
    assert result.changed == [True, True, False, True]


# --- contractions --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("I do not like it", "I don't like it"),
    ("I don't like it", "I do not like it"),
    ("It is fine", "It's fine"),
    ("It's fine", "It is fine"),
    ("it\u2019s fine", "it is fine"),
    ("I am sure they are right", "I'm sure they're right"),
    ("I'm sure they're right", "I am sure they are right"),
    ("DO NOT buy", "DON'T buy"),
    ("You cannot win", "You can't win"),
    ("It isn't bad but it is not good", "It is not bad but it isn't good"),
], ids=["contract", "expand", "it-is", "its", "curly", "two-contract", "two-expand", "all-caps", "cannot", "both-ways"])
def test_contractions_both_directions(text: str, expected: str) -> None:
    assert one(Contractions(), text) == expected


def test_contractions_round_trip_and_flags() -> None:
    texts = ["They will not come and it is late", "Nothing to see"]
    once = Contractions().apply(make_split(texts), seed=0)
    assert once.split.texts == ["They won't come and it's late", "Nothing to see"]
    assert once.changed == [True, False]
    assert Contractions().apply(once.split, seed=0).split.texts == texts


# --- names -------------------------------------------------------------------------------------

def test_name_lists_are_built_in() -> None:
    lists = name_lists()
    assert len(lists["first_names"]) == 60 and len(set(lists["first_names"])) == 60
    assert len(lists["places"]) == 40 and len(set(lists["places"])) == 40


def test_name_swap_replaces_each_name_from_the_same_list() -> None:
    lists = name_lists()
    text = "Maria told James that Maria loved New York and Paris."
    swapped = one(NameSwap(), text)
    assert one(NameSwap(), text) == swapped
    match = re.fullmatch(r"(\w+) told (\w+) that (\w+) loved (.+) and (\w+)\.", swapped)
    assert match, swapped
    maria, james, maria_again, new_york, paris = match.groups()
    assert maria == maria_again and maria in lists["first_names"] and james in lists["first_names"]
    assert new_york in lists["places"] and paris in lists["places"]
    assert len({maria, james}) == 2 and len({new_york, paris}) == 2
    assert {maria, james}.isdisjoint({"Maria", "James"}) and {new_york, paris}.isdisjoint({"New York", "Paris"})


def test_name_swap_never_outputs_the_same_name() -> None:
    names = name_lists()["first_names"] + name_lists()["places"]
    split = make_split([f"I met {name} yesterday." for name in names])
    for seed in range(3):
        result = NameSwap().apply(split, seed=seed)
        assert all(result.changed)
        for name, text in zip(names, result.split.texts, strict=True):
            assert name not in text.split(" ")[2:] and text != f"I met {name} yesterday."


def test_name_swap_leaves_texts_without_names_and_lowercase_words() -> None:
    result = NameSwap().apply(make_split(["the acting was great", "will may mark it"]), seed=0)
    assert result.split.texts == ["the acting was great", "will may mark it"]
    assert result.changed == [False, False]


# --- filler, shared contract -----------------------------------------------------------------------

def test_neutral_filler_adds_one_sentence_and_keeps_labels() -> None:
    split = reviews(30)
    result = NeutralFiller().apply(split, seed=0)
    assert result.split.labels == split.labels and all(result.changed)
    positions = set()
    for before, after in zip(split.texts, result.split.texts, strict=True):
        prepended = [s for s in NEUTRAL_SENTENCES if after == f"{s} {before}"]
        appended = [s for s in NEUTRAL_SENTENCES if after == f"{before}. {s}"]
        assert len(prepended + appended) == 1, after
        positions.add("prepend" if prepended else "append")
    assert positions == {"prepend", "append"}


ALL_INV = [Typos(), CaseChange("lower"), CaseChange("upper"), CaseChange("title"), StripPunctuation(),
           Contractions(), NameSwap(), NeutralFiller()]


@pytest.mark.parametrize("probe", ALL_INV + [AppendNegative(), AppendPositive()], ids=lambda p: p.name)
def test_probes_keep_ids_and_labels_and_change_a_pair_as_one(probe) -> None:
    split = Split("dev", [10, 11, 12], ["Maria said: it is GREAT!", "don't go", "a b"], ["pair one", "pair two", "p"],
                  ["positive", "negative", "positive"])
    result = probe.apply(split, seed=5)
    assert probe.task == "text-classification" and probe.kind in {"INV", "DIR"}
    assert result.split.ids == [10, 11, 12] and result.split.labels == ["positive", "negative", "positive"]
    assert result.split.name == "dev"
    if probe.name in ("neutral-filler", "append-negative", "append-positive"):  # they add a sentence to the first text only
        assert result.split.text_pairs == ["pair one", "pair two", "p"]
    expected_pairs = {"case-upper": ["PAIR ONE", "PAIR TWO", "P"], "case-title": ["Pair One", "Pair Two", "P"]}
    if probe.name in expected_pairs:
        assert result.split.text_pairs == expected_pairs[probe.name]
    old, new = zip(split.texts, split.text_pairs), zip(result.split.texts, result.split.text_pairs)
    assert result.changed == [a != b for a, b in zip(old, new, strict=True)]
    assert split.texts == ["Maria said: it is GREAT!", "don't go", "a b"]  # the input is not mutated
    assert split.text_pairs == ["pair one", "pair two", "p"]
    again = probe.apply(split, seed=5).split
    assert (again.texts, again.text_pairs) == (result.split.texts, result.split.text_pairs)


def test_a_name_gets_one_replacement_across_both_texts_of_a_pair() -> None:
    split = Split("dev", list(range(20)), ["Maria flew from Paris to Tokyo."] * 20, ["Maria was in Paris."] * 20)
    result = NameSwap().apply(split, seed=3)
    for premise, hypothesis in zip(result.split.texts, result.split.text_pairs):
        person, origin, _ = re.fullmatch(r"(.+) flew from (.+) to (.+)\.", premise).groups()
        assert hypothesis == f"{person} was in {origin}." and person != "Maria" and origin != "Paris"
    assert len({text for text in result.split.texts}) > 1  # replacements are drawn per example


def test_typos_reach_the_second_text_of_a_pair() -> None:
    split = Split("dev", list(range(30)), ["short"] * 30, ["a considerably longer hypothesis sentence here"] * 30)
    result = Typos(rate=0.3).apply(split, seed=0)
    assert sum(new != old for new, old in zip(result.split.text_pairs, split.text_pairs)) >= 15
    assert all(changed for changed in result.changed)


def test_registry_names_match_probe_names() -> None:
    for name in REGISTRY:
        assert probe_by_name(name).name == name
    with pytest.raises(InvalidInputError, match="unknown text probe 'typo'; registered: typos"):
        probe_by_name("typo")


# --- directional -----------------------------------------------------------------------------------

def test_append_negative_appends_a_sentence() -> None:
    texts = one(AppendNegative(), "the plot was fine"), one(AppendNegative(), "Fine!")
    assert texts[0].startswith("the plot was fine. ") and texts[1].startswith("Fine! ")
    assert texts[0][len("the plot was fine. "):] in AppendNegative.clauses


def test_directional_violations_on_hand_made_probabilities() -> None:
    labels = ["negative", "positive"]
    original = np.array([[0.5, 0.5], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    perturbed = np.array([[0.6, 0.4], [0.7, 0.3], [0.3, 0.7 + 5e-7], [0.3, 0.7]])
    assert AppendNegative().violations(original, perturbed, labels).tolist() == [False, True, False, True]
    assert AppendNegative(tolerance=0.0).violations(original, perturbed, labels).tolist() == [False, True, True, True]
    assert AppendPositive().violations(original, perturbed, labels).tolist() == [True, False, False, False]


def test_directional_finds_labels_case_insensitively_and_by_position() -> None:
    labels = ["POS", "Neutral", "neg"]
    original = np.array([[0.2, 0.5, 0.3]])
    perturbed = np.array([[0.3, 0.5, 0.2]])
    assert sentiment_labels(labels) == ("POS", "neg")
    assert AppendNegative().violations(original, perturbed, labels).tolist() == [True]
    assert AppendPositive().violations(original, perturbed, labels).tolist() == [False]


def test_directional_not_applicable_without_sentiment_labels() -> None:
    labels = ["sports", "politics"]
    probe = AppendNegative()
    assert not probe.is_applicable(labels) and probe.is_applicable(["neg", "pos"])
    assert "needs a positive and a negative label" in not_applicable_reason(probe, labels)
    assert not applicable(probe, labels) and applicable(Typos(), labels)
    with pytest.raises(ProbeNotApplicableError, match="dataset's labels are sports, politics"):
        probe.violations(np.ones((1, 2)) / 2, np.ones((1, 2)) / 2, labels)


def test_directional_rejects_mismatched_shapes() -> None:
    with pytest.raises(InvalidInputError, match=r"two \(n, 2\) probability arrays"):
        AppendNegative().violations(np.ones((2, 2)), np.ones((3, 2)), LABELS)


def test_default_suite_adds_directional_only_for_sentiment() -> None:
    assert [p.name for p in default_text_suite(["Negative", "Positive"])][-2:] == ["append-negative", "append-positive"]
    names = [p.name for p in default_text_suite(["sports", "politics"])]
    assert "append-negative" not in names and "typos" in names and "name-swap" in names


# --- templates ---------------------------------------------------------------------------------------

TEMPLATES = """
tests:
  - name: negation of positive adjectives
    template: "The {thing} was not {pos_adj}."
    label: negative
    fill: {thing: [film, food, service], pos_adj: [good, great, enjoyable]}
  - name: Simple, positive!
    template: "{n} stars: {{really}} {adj}"
    label: positive
    fill: {adj: [good], n: [4, 5]}
"""


def write(tmp_path: Path, text: str, name: str = "tests.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_templates_expand_in_order(tmp_path: Path) -> None:
    tests = load_templates(write(tmp_path, TEMPLATES), LABELS)
    assert [(t.name, len(t), t.kind) for t in tests] == [("negation of positive adjectives", 9, "MFT"),
                                                         ("Simple, positive!", 2, "MFT")]
    split = tests[0].split(0)
    assert split.texts[:4] == ["The film was not good.", "The film was not great.", "The film was not enjoyable.",
                               "The food was not good."]
    assert split.texts[-1] == "The service was not enjoyable."
    assert split.ids[0] == "mft-negation-of-positive-adjectives-0" and split.ids[-1].endswith("-8")
    assert split.labels == ["negative"] * 9 and split.name == "mft-negation-of-positive-adjectives"
    # Placeholders in order of appearance in the template, not in 'fill': n varies slower than adj.
    assert tests[1].split(0).texts == ["4 stars: {really} good", "5 stars: {really} good"]
    assert tests[1].split(0).ids == ["mft-simple-positive-0", "mft-simple-positive-1"]


@pytest.mark.parametrize(("text", "message"), [
    ("tests:\n  - {name: t, template: 'a {x}', label: neutral, fill: {x: [b]}}",
     r"test 't' expects label 'neutral', which is not a dataset label; allowed: negative, positive"),
    ("tests:\n  - {name: t, template: 'a {x} {y}', label: positive, fill: {x: [b]}}",
     r"test 't': placeholder \{y\} has no values"),
    ("tests:\n  - {name: t, template: 'a {x}', label: positive, fill: {x: [b], z: [c]}}",
     r"'fill' has z, which the template does not use"),
    ("tests: {name: t}", r"must be a mapping with a 'tests' list"),
    ("- just a list", r"must be a mapping with a 'tests' list"),
    ("tests:\n  - {name: t, template: 'a {x}', label: positive, fill: {x: b}}", r"fill 'x' must be a non-empty list"),
    ("tests:\n  - {name: t, template: 'a {x}', label: positive, fill: {x: [no]}}", r"quote words YAML reads as booleans"),
    ("tests:\n  - {name: t, template: 'a {x!r}', label: positive, fill: {x: [b]}}", r"plain names like \{thing\}"),
    ("tests:\n  - {name: t, template: 'a {', label: positive}", r"the template is malformed"),
    ("tests:\n  - {name: t, template: 'a', label: positive, lable: x}", r"unknown keys lable"),
    ("tests:\n  - {name: t, template: a, label: positive}\n  - {name: T, template: b, label: positive}",
     r"same name"),
    ("tests: [\n", r"is not valid YAML"),
    ("tests:\n  - !!python/object:os.system {}", r"is not valid YAML"),
], ids=["unknown-label", "unfilled", "unused-fill", "tests-not-list", "not-mapping", "fill-not-list", "bool-value",
        "conversion", "malformed", "unknown-key", "duplicate-name", "bad-yaml", "unsafe-tag"])
def test_template_validation_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        load_templates(write(tmp_path, text), LABELS)


def test_template_size_cap(tmp_path: Path) -> None:
    values = "[" + ", ".join(f"w{i}" for i in range(101)) + "]"
    text = f"tests:\n  - {{name: big, template: '{{a}} {{b}}', label: positive, fill: {{a: {values}, b: {values}}}}}"
    with pytest.raises(InvalidInputError, match="expands to 10,201 examples, more than 10,000"):
        load_templates(write(tmp_path, text), LABELS)


def test_template_optional_tests_are_skipped_for_missing_labels() -> None:
    text = "tests:\n  - {name: n, template: 'It is {x}.', label: neutral, optional: true, fill: {x: [here]}}"
    assert parse_templates(text, LABELS) == []
    assert len(parse_templates(text, ["negative", "neutral", "positive"])) == 1


def test_builtin_sentiment_suite() -> None:
    tests = builtin_sentiment_tests(LABELS)
    assert len(tests) >= 5 and sum(len(t) for t in tests) >= 100
    assert {t.label for t in tests} == {"negative", "positive"}
    three = builtin_sentiment_tests(["NEG", "NEU", "POS"])
    assert {t.label for t in three} == {"NEG", "NEU", "POS"} and len(three) == len(tests) + 1
    with pytest.raises(ProbeNotApplicableError, match="need a positive and a negative label"):
        builtin_sentiment_tests(["sports", "politics"])


def test_load_suite(tmp_path: Path) -> None:
    write(tmp_path, TEMPLATES, "mine.yaml")
    suite = load_suite(write(tmp_path, "probes: [typos, {typos: {rate: 0.5}}, case-upper]\nmft: mine.yaml\n", "suite.yaml"),
                       LABELS)
    assert [p.name for p in suite.probes] == ["typos", "typos", "case-upper"] and suite.probes[1].rate == 0.5
    assert [len(t) for t in suite.mft] == [9, 2]
    default = load_suite(write(tmp_path, "mft: builtin:sentiment\n", "default.yaml"), LABELS)
    assert [p.name for p in default.probes] == [p.name for p in default_text_suite(LABELS)]
    assert sum(len(t) for t in default.mft) >= 100
    with pytest.raises(InvalidInputError, match="does not take the parameters speed"):
        load_suite(write(tmp_path, "probes: [{typos: {speed: 2}}]\n", "bad.yaml"), LABELS)
    with pytest.raises(InvalidInputError, match="unknown keys probe; allowed"):
        load_suite(write(tmp_path, "probe: [typos]\n", "bad2.yaml"), LABELS)
    with pytest.raises(InvalidInputError, match="text-classification probes only"):
        load_suite(tmp_path / "suite.yaml", LABELS, task="question-answering")
    probes, tests = load_suite(tmp_path / "suite.yaml", labels=LABELS, task="text-classification")
    assert len(probes) == 3 and len(tests) == 2


def test_default_templates_only_for_sentiment() -> None:
    assert [t.name for t in default_templates(LABELS)] == [t.name for t in builtin_sentiment_tests(LABELS)]
    assert default_templates(["sports", "politics"]) == []


# --- a stub model that keys on one word is caught --------------------------------------------------

def great_stub(texts: list[str]) -> np.ndarray:
    """Positive iff the exact, case-sensitive token 'great' is present; columns follow LABELS."""
    positive = np.array([1.0 if "great" in re.findall(r"\w+", text) else 0.0 for text in texts])
    return np.stack([1.0 - positive, positive], axis=1)


def predict(texts: list[str]) -> list[str]:
    return [LABELS[i] for i in great_stub(texts).argmax(axis=1)]


def flips(probe, split: Split, *, seed: int = 0) -> tuple[list[bool], float]:
    result = probe.apply(split, seed=seed)
    flipped = [a != b for a, b in zip(predict(split.texts), predict(result.split.texts), strict=True)]
    changed = sum(result.changed)
    return flipped, sum(f and c for f, c in zip(flipped, result.changed, strict=True)) / changed


def test_stub_keyed_on_one_word_is_caught_by_case_change() -> None:
    split = reviews(40)
    has_great = ["great" in text.split() for text in split.texts]
    assert 0 < sum(has_great) < len(split)
    flipped, rate = flips(CaseChange("upper"), split)
    assert flipped == has_great  # every "great" review loses its positive prediction, nothing else moves
    assert rate == sum(has_great) / len(split)  # every text changes under upper-casing
    # Lower-casing leaves the already lower-case reviews alone: nothing changes, nothing flips.
    assert not any(CaseChange("lower").apply(split, seed=0).changed)


def test_stub_keyed_on_one_word_is_caught_by_typos() -> None:
    split = reviews(40)
    flipped, rate = flips(Typos(rate=0.5), split)
    assert any(flipped) and rate > 0
    assert all("great" in text.split() for text, f in zip(split.texts, flipped, strict=True) if f)


def test_stub_keyed_on_one_word_fails_negation_mft(tmp_path: Path) -> None:
    text = "tests:\n  - {name: not great, template: 'The {thing} was not great.', label: negative, " \
           "fill: {thing: [film, plot, cast]}}"
    (test,) = load_templates(write(tmp_path, text), LABELS)
    assert test.failures(predict(test.split(0).texts)) == [True, True, True]
    negation = next(t for t in builtin_sentiment_tests(LABELS) if t.name == "negation of positive adjectives")
    failed = negation.failures(predict(negation.split(0).texts))
    # One adjective in six is "great"; five things each: 5 failures of 30.
    assert sum(failed) == 5 and len(failed) == 30


def test_label_preserving_probes_that_keep_the_word_do_not_flip_the_stub() -> None:
    split = reviews(40)
    before = predict(split.texts)
    for probe in (NeutralFiller(), NameSwap(), Contractions(), StripPunctuation(), CaseChange("lower")):
        assert predict(probe.apply(split, seed=0).split.texts) == before, probe.name
