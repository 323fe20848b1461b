"""Question-answering probes: sentence splitting, AddSent-style distractors, answer-sentence shift, unanswerable conversion."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import benchhub
from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.tasks.question_answering.metrics import compute_exact, normalize_answer
from benchhub.tasks.question_answering.probes.contexts import example_rng
from benchhub.tasks.question_answering.probes.distractor import (
    Distractor,
    distractor_sentence,
    holds_gold,
)
from benchhub.tasks.question_answering.probes.position import AnswerSentenceShift
from benchhub.tasks.question_answering.probes.sentences import (
    answer_sentences,
    sentence_of_span,
    sentence_spans,
    sentences,
)
from benchhub.tasks.question_answering.probes.suite import default_qa_suite
from benchhub.tasks.question_answering.probes.unanswerable import RemoveAnswerSentence
from benchhub.tasks.question_answering.squad_files import flatten_squad, qa_answers
from tests.test_qa_hub import (
    LIGHTHOUSE_1,
    TEST_ARTICLES,
    TRAIN_ARTICLES,
    squad_document,
)

SAMPLE = Path(benchhub.__file__).parent / "resources" / "qa_sample"
SEEDS = (0, 1, 7, 42)


def qa_split(document: dict, name: str = "test") -> Split:
    rows = flatten_squad(document, name)
    return Split(name, [r["id"] for r in rows], [r["question"] for r in rows], [r["context"] for r in rows], None,
                 {"answers": [qa_answers(r["answers"], r["id"], r["context"], name) for r in rows]})


def make_split(examples: list[tuple[str, str, str, list[str]]]) -> Split:
    """(id, question, context, answer texts) → a QA split; answer_start is each text's first occurrence."""
    return Split("test", [e[0] for e in examples], [e[1] for e in examples], [e[2] for e in examples], None,
                 {"answers": [{"text": list(e[3]), "answer_start": [e[2].index(t) for t in e[3]]} for e in examples]})


@pytest.fixture(scope="module")
def fixture_split() -> Split:
    return qa_split(squad_document(TEST_ARTICLES + TRAIN_ARTICLES))


@pytest.fixture(scope="module", params=["test", "train"])
def sample_split(request) -> Split:
    return qa_split(json.loads((SAMPLE / f"{request.param}.json").read_text(encoding="utf-8")), request.param)


def by_id(perturbed, example_id):
    i = perturbed.split.ids.index(example_id)
    return perturbed.split.text_pairs[i], perturbed.split.field("answers")[i], perturbed.changed[i]


def assert_answers_in_place(split: Split) -> None:
    for context, answers in zip(split.text_pairs, split.field("answers"), strict=True):
        for text, start in zip(answers["text"], answers["answer_start"], strict=True):
            assert context[start : start + len(text)] == text


def added_sentences(original: Split, perturbed, position: str) -> list[str]:
    """The distractor sentence of every changed example."""
    out = []
    for before, after, changed in zip(original.text_pairs, perturbed.split.text_pairs, perturbed.changed, strict=True):
        if changed:
            out.append(after[len(before):].strip() if position == "end" else after[: len(after) - len(before)].strip())
            assert (after.startswith(before) if position == "end" else after.endswith(before))
    return out


def contains_gold(sentence: str, golds: list[str]) -> bool:
    """An independent statement of the hard rule: normalised substring, or a gold token sequence."""
    normal = normalize_answer(sentence)
    tokens = normal.split()
    for gold in golds:
        target = normalize_answer(gold)
        if not target:
            continue
        gold_tokens = target.split()
        if target in normal or any(tokens[i : i + len(gold_tokens)] == gold_tokens for i in range(len(tokens))):
            return True
    return False


def holds_answer_tokens(sentence: str, golds: list[str]) -> bool:
    """Whether a gold answer's words occur in order in the sentence, punctuation read as a space."""
    def words(text: str) -> str:
        return " " + " ".join(normalize_answer(re.sub(r"[^\w\s]", " ", text)).split()) + " "
    return any(words(gold).strip() and words(gold) in words(sentence) for gold in golds)


# --- sentences ---------------------------------------------------------------------------------------

TRICKY = ('Dr. Smith moved to St. Ives in 1871. The tower is 3.5 metres taller than J. R. R. Tolkien thought! '
          'Was the U.S. Navy there?  "Yes," said Mr. A. Jones. It cost £1.5m, i.e. a lot. (It rained.) End')


def test_sentence_spans_handle_abbreviations_decimals_and_initials():
    assert sentences(TRICKY) == [
        "Dr. Smith moved to St. Ives in 1871.",
        "The tower is 3.5 metres taller than J. R. R. Tolkien thought!",
        "Was the U.S. Navy there?",
        '"Yes," said Mr. A. Jones.',
        "It cost £1.5m, i.e. a lot.",
        "(It rained.)",
        "End",
    ]
    for start, end in sentence_spans(TRICKY):
        assert TRICKY[start:end].strip() == TRICKY[start:end]
    assert sentences("  one sentence without a full stop  ") == ["one sentence without a full stop"]
    assert sentences("") == []
    assert sentences("Wait... What? OK.") == ["Wait...", "What?", "OK."]


def test_answer_sentences_find_the_sentence_of_each_answer():
    spans = sentence_spans(LIGHTHOUSE_1)
    assert len(spans) == 3
    start = LIGHTHOUSE_1.index("Margaret Oakes")
    assert sentence_of_span(spans, start, start + len("Margaret Oakes")) == 1
    crossing = LIGHTHOUSE_1.index("estuary. It")
    assert sentence_of_span(spans, crossing, crossing + len("estuary. It")) is None
    answers = {"text": ["Harrow Point", "1871", "clear night"],
               "answer_start": [0, LIGHTHOUSE_1.index("1871"), LIGHTHOUSE_1.index("clear night")]}
    assert answer_sentences(spans, answers) == [0, 1, 2]


# --- distractor --------------------------------------------------------------------------------------

def test_distractor_pinned_outputs(fixture_split):
    perturbed = Distractor().apply(fixture_split, seed=7)
    context, answers, changed = by_id(perturbed, "h1")
    assert changed
    assert context == LIGHTHOUSE_1 + " Ivo Kimura designed Ostrava Varnley Lighthouse."
    assert answers == {"text": ["Margaret Oakes"], "answer_start": [108]}
    assert by_id(perturbed, "m5")[0].endswith("plants. The largest colony hold about 70,073 plants.")
    assert by_id(perturbed, "t7")[0].endswith("in 1936. A single trip take about eleven minutes.")

    start = Distractor(position="start").apply(fixture_split, seed=7)
    context, answers, changed = by_id(start, "h1")
    assert context == "Agnes Pryce designed Stonebury Ostrava Lighthouse. " + LIGHTHOUSE_1
    assert answers == {"text": ["Margaret Oakes"], "answer_start": [108 + len("Agnes Pryce designed Stonebury Ostrava Lighthouse. ")]}
    assert (perturbed.split.ids, perturbed.split.texts) == (fixture_split.ids, fixture_split.texts)


def test_distractor_follows_the_question_and_the_answer_type():
    rng = lambda: example_rng(7, "qa-distractor", "x")  # noqa: E731
    assert distractor_sentence("When was the lighthouse first lit?", ["1871"], rng()).startswith("The lighthouse was first lit in ")
    year = distractor_sentence("When was the lighthouse first lit?", ["1871"], rng()).split()[-1].rstrip(".")
    assert year.isdigit() and len(year) == 4 and year != "1871"
    who = distractor_sentence("Who built the Ashby windmill?", ["John Hale"], rng())
    assert " built the " in who and who.endswith(" windmill.")
    assert "Ashby" not in who and "John Hale" not in who


def test_distractor_is_deterministic_per_seed_and_example(fixture_split):
    first = Distractor().apply(fixture_split, seed=3)
    again = Distractor().apply(fixture_split, seed=3)
    other = Distractor().apply(fixture_split, seed=4)
    assert first.split.text_pairs == again.split.text_pairs and first.changed == again.changed
    assert first.split.text_pairs != other.split.text_pairs
    # One example's distractor does not depend on the others.
    alone = Distractor().apply(make_split([("h1", fixture_split.texts[0], fixture_split.text_pairs[0], ["Margaret Oakes"])]), seed=3)
    assert alone.split.text_pairs[0] == first.split.text_pairs[0]


@pytest.mark.parametrize("position", ["end", "start"])
def test_distractors_never_hold_a_gold_answer_over_the_sample(sample_split, position):
    for seed in SEEDS:
        perturbed = Distractor(position=position).apply(sample_split, seed=seed)
        assert_answers_in_place(perturbed.split)
        if position == "end":
            assert perturbed.split.field("answers") == sample_split.field("answers")
        assert sum(perturbed.changed) >= len(sample_split) - 2
        sentences_added = iter(added_sentences(sample_split, perturbed, position))
        for answers, changed in zip(sample_split.field("answers"), perturbed.changed, strict=True):
            if changed:
                sentence = next(sentences_added)
                assert sentence.endswith(".")
                assert not contains_gold(sentence, answers["text"]), (sentence, answers["text"])
                assert not holds_gold(sentence, answers["text"])


ADVERSARIAL = [
    # The question holds the gold year; the swap must not put it back.
    ("a1", "What was first lit in 1871?", "The lamp was first lit in 1871. It burned oil.", ["1871"]),
    ("a2", "When was the lighthouse, built in 1871, first lit?", "It was built in 1871 and first lit in 1871.", ["1871"]),
    # The question quotes its own answer, a common word.
    ("a3", "Are hoverflies or wasps the main pollinators?", "The main pollinators are hoverflies. Wasps are rare.", ["hoverflies"]),
    ("a4", "Which is taller, the tower or the mill?", "The mill is lower than the tower.", ["the tower", "tower"]),
    # Gold answers that the built-in lists could produce.
    ("a5", "What is the roof made of?", "The roof is made of copper. It was replaced in 1990.", ["copper"]),
    ("a6", "Where did the keeper retire?", "The keeper retired to Varnley. He died there.", ["Varnley"]),
    ("a7", "Who built the mill?", "The mill was built by Edwin Talbot. It ground wheat.", ["Edwin Talbot", "Talbot"]),
    ("a8", "In which month do the flowers appear?", "The flowers appear in July. They are white.", ["July"]),
    # Numbers the digit swap could produce, and number words.
    ("a9", "Is the tower 34 or 43 metres tall?", "The tower is 34 metres tall. It is white.", ["34", "34 metres"]),
    ("a10", "How many of the two towers remain?", "Of the two towers, two remain.", ["two"]),
    ("a11", "How many tons were carried in 1840?", "In 1840 about 400,000 tons were carried.", ["400,000", "about 400,000"]),
    ("a12", "What did the keeper eat?", "The keeper ate salt fish.", ["salt fish", "salt"]),
]


@pytest.mark.parametrize("seed", range(12))
def test_distractors_never_hold_a_gold_answer_on_adversarial_cases(seed):
    split = make_split(ADVERSARIAL)
    perturbed = Distractor().apply(split, seed=seed)
    assert_answers_in_place(perturbed.split)
    for (example_id, question, context, golds), sentence in zip(ADVERSARIAL, added_sentences(split, perturbed, "end")):
        assert not contains_gold(sentence, golds), (example_id, sentence)
        assert golds[0].lower() not in sentence.lower()
    assert sum(perturbed.changed) >= len(ADVERSARIAL) - 2


def test_distractor_leaves_an_example_unchanged_when_every_candidate_holds_the_gold():
    # "." is in every sentence the probe can build, so no candidate is acceptable.
    split = make_split([("x", "Which mark ends it?", "It ends with a full stop.", ["."])])
    perturbed = Distractor().apply(split, seed=0)
    assert perturbed.changed == [False]
    assert perturbed.split.text_pairs == split.text_pairs and perturbed.split.field("answers") == split.field("answers")


def test_unanswerable_questions_get_a_distractor_and_stay_unanswerable(fixture_split):
    perturbed = Distractor().apply(fixture_split, seed=0)
    context, answers, changed = by_id(perturbed, "h4")
    assert changed and answers == {"text": [], "answer_start": []}
    assert context.startswith(LIGHTHOUSE_1 + " ") and context.endswith(" was the first keeper of the lighthouse.")


def last_capitalised_word(context: str) -> str:
    """A stub QA model with a shortcut: the answer is the last capitalised word of the context."""
    return [word.strip(".,;!?") for word in context.split() if word[:1].isupper()][-1]


def test_end_distractor_fools_a_last_capitalised_word_model():
    examples = [
        ("s1", "Who designed the lighthouse?", "The lighthouse stands on a headland. It was designed by Oakes.", ["Oakes"]),
        ("s2", "Where did the keeper retire?", "The last keeper left in 1989. He retired to Ketterby.", ["Ketterby"]),
        ("s3", "Who built the Ashby windmill?", "The windmill was built in 1802. Its builder was Hale.", ["Hale"]),
    ]
    split = make_split(examples)
    before = [compute_exact(golds[0], last_capitalised_word(c)) for (_, _, c, golds) in examples]
    perturbed = Distractor().apply(split, seed=0)
    after = [compute_exact(golds[0], last_capitalised_word(c))
             for (_, _, _, golds), c in zip(examples, perturbed.split.text_pairs, strict=True)]
    assert perturbed.changed == [True, True, True]
    assert sum(before) == 3 and sum(after) == 0
    # Moved to the start, the same distractors leave the shortcut intact.
    start = Distractor(position="start").apply(split, seed=0)
    assert sum(compute_exact(g[3][0], last_capitalised_word(c)) for g, c in zip(examples, start.split.text_pairs)) == 3


def test_distractor_rejects_bad_position_and_non_qa_splits():
    with pytest.raises(ValueError, match="position must be 'end' or 'start'"):
        Distractor(position="middle")
    classification = Split("test", [0], ["great film"], labels=["pos"])
    for probe in default_qa_suite():
        with pytest.raises(InvalidInputError, match="question-answering split"):
            probe.apply(classification, seed=0)


# --- answer-sentence shift ---------------------------------------------------------------------------

def test_shift_moves_a_middle_answer_sentence_to_the_start(fixture_split):
    perturbed = AnswerSentenceShift().apply(fixture_split, seed=0)
    context, answers, changed = by_id(perturbed, "h1")
    assert changed
    assert context == (
        "It was designed by Margaret Oakes and first lit in 1871. Harrow Point Lighthouse stands on a granite "
        "headland at the mouth of the Ketter estuary. The tower is 34 metres tall and its lamp can be seen from 19 "
        "nautical miles away on a clear night."
    )
    assert answers == {"text": ["Margaret Oakes"], "answer_start": [19]}
    assert_answers_in_place(perturbed.split)


def test_shift_moves_first_to_end_and_last_to_start_with_every_answer():
    context = "Alpha was first. Beta came second. Gamma was last."
    split = make_split([("f", "Who was first?", context, ["Alpha"]), ("l", "Who was last?", context, ["Gamma", "Gamma was last"]),
                        ("two", "Who came second?", context, ["Beta", "Alpha"])])
    perturbed = AnswerSentenceShift().apply(split, seed=0)
    assert perturbed.split.text_pairs == [
        "Beta came second. Gamma was last. Alpha was first.",
        "Gamma was last. Alpha was first. Beta came second.",
        "Beta came second. Alpha was first. Gamma was last.",
    ]
    assert perturbed.split.field("answers") == [
        {"text": ["Alpha"], "answer_start": [34]},
        {"text": ["Gamma", "Gamma was last"], "answer_start": [0, 0]},
        {"text": ["Beta", "Alpha"], "answer_start": [0, 18]},
    ]
    assert perturbed.changed == [True, True, True]
    assert_answers_in_place(perturbed.split)


def test_shift_skips_unanswerable_one_sentence_and_boundary_crossing_examples():
    split = make_split([
        ("u", "Who was fourth?", "Alpha was first. Beta came second.", []),
        ("one", "Who was first?", "Alpha was first, before Beta.", ["Alpha"]),
        ("cross", "What ends the first?", "Alpha was first. Beta came second.", ["first. Beta"]),
    ])
    perturbed = AnswerSentenceShift().apply(split, seed=0)
    assert perturbed.changed == [False, False, False]
    assert perturbed.split.text_pairs == split.text_pairs and perturbed.split.field("answers") == split.field("answers")


def test_shift_keeps_every_answer_in_place_over_the_sample(sample_split):
    perturbed = AnswerSentenceShift().apply(sample_split, seed=0)
    assert_answers_in_place(perturbed.split)
    assert sum(perturbed.changed) > len(sample_split) // 3
    for before, after, answers, changed in zip(sample_split.text_pairs, perturbed.split.text_pairs,
                                               perturbed.split.field("answers"), perturbed.changed, strict=True):
        assert sorted(sentences(before)) == sorted(sentences(after))
        if changed:
            assert after != before
            first = sentence_of_span(sentence_spans(after), answers["answer_start"][0],
                                     answers["answer_start"][0] + len(answers["text"][0]))
            assert first in (0, len(sentence_spans(after)) - 1)


# --- unanswerable conversion -------------------------------------------------------------------------

def test_remove_answer_sentence_converts_to_unanswerable(fixture_split):
    probe = RemoveAnswerSentence()
    assert probe.converts_to_unanswerable is True and probe.kind == "INV"
    perturbed = probe.apply(fixture_split, seed=0)
    context, answers, changed = by_id(perturbed, "h1")
    assert changed and answers == {"text": [], "answer_start": []}
    assert context == (
        "Harrow Point Lighthouse stands on a granite headland at the mouth of the Ketter estuary. The tower is 34 "
        "metres tall and its lamp can be seen from 19 nautical miles away on a clear night."
    )
    assert by_id(perturbed, "h4")[2] is False  # already unanswerable


def test_remove_answer_sentence_drops_every_sentence_with_a_gold_answer():
    context = "Alpha was built in 1871. Beta was not. Gamma was also built in 1871. Delta stayed."
    split = make_split([
        ("twice", "When was Alpha built?", context, ["1871"]),
        ("several", "Who stayed?", context, ["Delta", "Alpha"]),
        ("all", "What was built?", "Alpha was built.", ["Alpha"]),
        ("none", "Who was fifth?", context, []),
    ])
    perturbed = RemoveAnswerSentence().apply(split, seed=0)
    assert perturbed.split.text_pairs[:2] == ["Beta was not. Delta stayed.", "Beta was not. Gamma was also built in 1871."]
    assert perturbed.changed == [True, True, False, False]
    assert perturbed.split.field("answers")[:2] == [{"text": [], "answer_start": []}] * 2
    assert perturbed.split.text_pairs[2:] == split.text_pairs[2:] and perturbed.split.field("answers")[2:] == split.field("answers")[2:]


def test_remove_answer_sentence_leaves_no_answer_sentence_over_the_sample(sample_split):
    perturbed = RemoveAnswerSentence().apply(sample_split, seed=0)
    answerable = [bool(a["text"]) for a in sample_split.field("answers")]
    assert sum(perturbed.changed) >= sum(answerable) - 5
    for golds, after, answers, changed in zip(sample_split.field("answers"), perturbed.split.text_pairs,
                                              perturbed.split.field("answers"), perturbed.changed, strict=True):
        if not changed:
            continue
        assert answers == {"text": [], "answer_start": []} and after
        for sentence in sentences(after):
            assert not holds_answer_tokens(sentence, golds["text"]), (sentence, golds["text"])


# --- suite -------------------------------------------------------------------------------------------

def test_default_qa_suite():
    suite = default_qa_suite()
    assert [type(p) for p in suite] == [Distractor, AnswerSentenceShift, RemoveAnswerSentence]
    assert [p.name for p in suite] == ["qa-distractor", "qa-answer-shift", "qa-unanswerable"]
    assert {p.kind for p in suite} == {"INV"} and {p.task for p in suite} == {"question-answering"}
    assert Distractor(position="start").name == "qa-distractor-start"
