"""Tests of the built-in extractive question-answering baselines."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from benchhub.errors import InvalidInputError
from benchhub.tasks.question_answering.baselines import (
    QA_BASELINES,
    AlwaysNoAnswerBaseline,
    ContextOnlyBaseline,
    NotFittedError,
    QABaseline,
    QuestionOnlyBaseline,
    SlidingWindowBaseline,
    create_qa_baseline,
    load_qa_baseline,
)
from benchhub.tasks.question_answering.baselines.question_only import question_kind
from benchhub.tasks.question_answering.baselines.spans import (
    candidate_spans,
    span_text,
    span_type,
    tokenize,
)

# Paragraphs with (question, answers) pairs; answers == [] marks an unanswerable question, and the
# unanswerable ones are all phrased "What is the ...?".
PARAGRAPHS = [
    (
        "The Kelvin Bridge spans the River Tay. The bridge was completed in 1887. "
        "It was designed by Thomas Bouch and carries two railway tracks.",
        [
            ("When was the bridge completed?", ["1887"]),
            ("Who designed the Kelvin Bridge?", ["Thomas Bouch"]),
            ("How many railway tracks does the bridge carry?", ["two"]),
            ("What is the toll for crossing the bridge?", []),
        ],
    ),
    (
        "Marie Dubois founded the Lyon Botanical Garden in 1921. The garden holds more than 4,000 species "
        "of plants. Its greenhouse was rebuilt after a fire in 1968.",
        [
            ("Who founded the Lyon Botanical Garden?", ["Marie Dubois"]),
            ("How many species does the garden hold?", ["more than 4,000", "4,000"]),
            ("What is the entrance fee of the garden?", []),
        ],
    ),
    (
        "The Aurora telescope sits on Mount Kea at an altitude of 4200 metres. Astronomers use it to study "
        "distant galaxies. The telescope saw first light in 2005.",
        [
            ("What do astronomers study with the telescope?", ["distant galaxies"]),
            ("When did the telescope see first light?", ["2005"]),
            ("What is the yearly budget of the telescope?", []),
        ],
    ),
    (
        "Bakers in Vienna made the kipferl, an ancestor of the croissant. The pastry reached Paris in the "
        "1830s. August Zang opened a Viennese bakery there in 1838.",
        [
            ("Who opened a Viennese bakery in Paris?", ["August Zang"]),
            ("What did bakers in Vienna make?", ["the kipferl", "kipferl"]),
            ("What is the price of a croissant in Vienna?", []),
        ],
    ),
    (
        "The Orinoco river flows through Venezuela and Colombia. It is about 2,140 kilometres long. "
        "Its delta is home to the Warao people.",
        [
            ("How long is the Orinoco river?", ["about 2,140 kilometres"]),
            ("Who lives in the Orinoco delta?", ["the Warao people"]),
            ("What is the average depth of the river?", []),
        ],
    ),
    (
        "The chess club meets every Tuesday in the old library. It was founded in 1952 by Anna Berg. "
        "The club has 85 members.",
        [
            ("When was the chess club founded?", ["1952"]),
            ("How many members does the club have?", ["85"]),
            ("What is the membership fee of the club?", []),
        ],
    ),
]


def flatten(paragraphs: list[tuple[str, list[tuple[str, list[str]]]]]) -> dict[str, list]:
    """Returns the fit arguments of paragraphs, with answer offsets found in each context."""
    split: dict[str, list] = {"questions": [], "contexts": [], "answers": [], "answer_starts": []}
    for context, pairs in paragraphs:
        for question, answers in pairs:
            split["questions"].append(question)
            split["contexts"].append(context)
            split["answers"].append(answers)
            split["answer_starts"].append([context.index(answer) for answer in answers])
    return split


TRAIN = flatten(PARAGRAPHS)

FACTORIES: dict[str, Callable[[], QABaseline]] = {
    "sliding-window": SlidingWindowBaseline,
    "context-only": ContextOnlyBaseline,
    "question-only": QuestionOnlyBaseline,
    "always-no-answer": AlwaysNoAnswerBaseline,
}

WRITTEN_FILES = {
    "question-only": [
        "baseline.json",
        "no-answer-classifier",
        "no-answer-classifier/arrays.npz",
        "no-answer-classifier/baseline.json",
        "no-answer-classifier/vocabulary.json",
    ]
}


def fitted(name: str) -> QABaseline:
    return FACTORIES[name]().fit(**TRAIN)


# The shared contract.


def test_registry_names_every_baseline_with_its_version_and_input_ablation() -> None:
    assert set(QA_BASELINES) == set(FACTORIES)
    partial = {name: baseline.partial_input for name, baseline in QA_BASELINES.items()}
    assert partial == {
        "sliding-window": False,
        "context-only": True,
        "question-only": True,
        "always-no-answer": False,
    }
    versions = {name: baseline.version for name, baseline in QA_BASELINES.items()}
    # The sliding window's version 2 added the distance term and the candidate runs.
    assert versions == {
        "sliding-window": "2",
        "context-only": "1",
        "question-only": "1",
        "always-no-answer": "1",
    }
    for name, baseline in QA_BASELINES.items():
        assert baseline.name == name
        assert isinstance(create_qa_baseline(name), QABaseline)


@pytest.mark.parametrize("name", sorted(FACTORIES), ids=sorted(FACTORIES))
def test_every_answer_is_empty_or_an_exact_substring_of_its_context(name: str) -> None:
    baseline = fitted(name)
    predictions = baseline.predict(TRAIN["questions"], TRAIN["contexts"])
    assert len(predictions) == len(TRAIN["questions"])
    for (answer, no_answer), context in zip(predictions, TRAIN["contexts"], strict=True):
        assert isinstance(answer, str)
        assert answer == "" or answer in context
        assert answer == answer.strip()
        assert isinstance(no_answer, float)
        assert 0.0 <= no_answer <= 1.0


@pytest.mark.parametrize("name", sorted(FACTORIES), ids=sorted(FACTORIES))
def test_predictions_do_not_depend_on_the_order_of_the_questions(name: str) -> None:
    baseline = fitted(name)
    grouped = baseline.predict(TRAIN["questions"], TRAIN["contexts"])
    order = [*range(0, len(grouped), 2), *range(1, len(grouped), 2)][::-1]
    interleaved = baseline.predict(
        [TRAIN["questions"][i] for i in order], [TRAIN["contexts"][i] for i in order]
    )
    assert interleaved == [grouped[i] for i in order]


@pytest.mark.parametrize("name", sorted(FACTORIES), ids=sorted(FACTORIES))
def test_save_and_load_round_trip_without_pickle(name: str, tmp_path: Path) -> None:
    baseline = fitted(name)
    probes = TRAIN["questions"] + ["Who lives near the bridge?", ""]
    contexts = TRAIN["contexts"] + [PARAGRAPHS[0][0], ""]
    baseline.save(tmp_path / name)
    restored = load_qa_baseline(tmp_path / name)
    assert type(restored) is type(baseline)
    assert restored.predict(probes, contexts) == baseline.predict(probes, contexts)
    assert restored.describe() == baseline.describe()
    json.dumps(restored.describe())
    written = sorted(path.relative_to(tmp_path / name).as_posix() for path in (tmp_path / name).rglob("*"))
    # JSON and .npz only: the question-only classifier is saved like the tfidf-logreg baseline.
    assert written == WRITTEN_FILES.get(name, ["baseline.json"])
    for path in (tmp_path / name).rglob("*.npz"):
        with np.load(path, allow_pickle=False) as archive:
            assert all(archive[key].dtype != object for key in archive.files)
    manifest = json.loads((tmp_path / name / "baseline.json").read_text(encoding="utf-8"))
    assert (manifest["name"], manifest["version"]) == (name, QA_BASELINES[name].version)


@pytest.mark.parametrize("name", sorted(FACTORIES), ids=sorted(FACTORIES))
def test_fit_rejects_lists_of_different_lengths(name: str) -> None:
    with pytest.raises(
        InvalidInputError, match="fit got 3 questions, 2 contexts, 3 answers and 3 answer_starts"
    ):
        FACTORIES[name]().fit(
            TRAIN["questions"][:3], TRAIN["contexts"][:2], TRAIN["answers"][:3], TRAIN["answer_starts"][:3]
        )


def test_fit_rejects_bad_answers() -> None:
    baseline = SlidingWindowBaseline()
    context = "The bridge was completed in 1887."
    with pytest.raises(InvalidInputError, match=r"answers\[0\] is str, not a list"):
        baseline.fit(["When?"], [context], ["1887"], [[28]])
    with pytest.raises(InvalidInputError, match=r"answer_starts\[0\] has 0 offsets for 1 answers"):
        baseline.fit(["When?"], [context], [["1887"]], [[]])
    with pytest.raises(InvalidInputError, match=r"offset 40 puts answer '1887' outside its context"):
        baseline.fit(["When?"], [context], [["1887"]], [[40]])
    with pytest.raises(InvalidInputError, match="the training split is empty"):
        baseline.fit([], [], [], [])


def test_predict_rejects_mismatched_inputs() -> None:
    with pytest.raises(InvalidInputError, match="got 2 questions but 1 contexts"):
        SlidingWindowBaseline().predict(["a?", "b?"], ["context"])
    with pytest.raises(InvalidInputError, match="questions must be a list of strings, got a single string"):
        AlwaysNoAnswerBaseline().predict("a?", ["context"])


def test_create_qa_baseline_rejects_unknown_names_and_options() -> None:
    with pytest.raises(
        InvalidInputError,
        match="unknown QA baseline 'bert'; "
        "allowed: always-no-answer, context-only, question-only, sliding-window; pick one",
    ):
        create_qa_baseline("bert")
    with pytest.raises(InvalidInputError, match="QA baseline 'sliding-window' has no option 'C'"):
        create_qa_baseline("sliding-window", C=1.0)
    with pytest.raises(InvalidInputError, match="max_span must be an integer >= 1, got 0"):
        create_qa_baseline("sliding-window", max_span=0)
    assert create_qa_baseline("sliding-window", max_span=2, window=5).hyperparameters() == {
        "max_span": 2,
        "window": 5,
    }


def test_load_rejects_a_folder_of_another_baseline(tmp_path: Path) -> None:
    AlwaysNoAnswerBaseline().save(tmp_path)
    with pytest.raises(InvalidInputError, match="holds a 'always-no-answer' baseline, not 'sliding-window'"):
        SlidingWindowBaseline.load(tmp_path)


def test_load_rejects_a_sliding_window_saved_by_version_1(tmp_path: Path) -> None:
    manifest = {"name": "sliding-window", "version": "1", "hyperparameters": {"max_span": 4, "window": None}}
    (tmp_path / "baseline.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(
        InvalidInputError, match="saved by sliding-window baseline version '1', this is version '2'"
    ):
        load_qa_baseline(tmp_path)


@pytest.mark.parametrize("name", ["context-only", "question-only"])
def test_learning_baselines_refuse_to_predict_before_fit(name: str) -> None:
    with pytest.raises(NotFittedError, match=f"the {name} QA baseline is not fitted"):
        FACTORIES[name]().predict(["Who?"], ["Anna Berg."])


def test_importing_the_baselines_does_not_import_sklearn() -> None:
    code = "import sys, benchhub.tasks.question_answering.baselines; print('sklearn' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# Spans.


def test_tokens_keep_character_offsets_and_sentences() -> None:
    text = "It cost 4,200 euros. Don\u2019t ask! Well-known."
    tokens = tokenize(text)
    assert [token.text for token in tokens] == [
        "It", "cost", "4", ",", "200", "euros", ".", "Don\u2019t", "ask", "!", "Well-known", ".",
    ]  # fmt: skip
    assert all(text[token.start : token.end] == token.text for token in tokens)
    assert [token.sentence for token in tokens] == [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2]
    assert tokens[7].key == "don't" and not tokens[7].is_content


def test_candidate_spans_stay_in_one_sentence_and_skip_stopword_only_spans() -> None:
    text = "The old mill. It was in Leeds."
    tokens = tokenize(text)
    spans = [span_text(text, tokens, span) for span in candidate_spans(tokens, 3)]
    assert spans == [
        "The old",
        "The old mill",
        "old",
        "old mill",
        "mill",
        "was in Leeds",
        "in Leeds",
        "Leeds",
    ]
    assert [span_type(tokens, span) for span in [(1, 3), (5, 8), (7, 8)]] == ["phrase", "name", "name"]
    assert span_type(tokenize("about 4,200 metres"), (0, 4)) == "number"


# Sliding window.
#
# score = sliding_window - distance; sliding_window sums IC(w) = log(1 + 1/count) over the question
# words in the window, distance averages each found question word's word distance to the span over
# (context words - 1), and the no-answer probability is exp(-(score + 1)).


def sliding_window(question: str, context: str, **options: int) -> tuple[str, float]:
    [prediction] = SlidingWindowBaseline(**options).predict([question], [context])
    return prediction


def test_sliding_window_answers_next_to_the_question_words() -> None:
    context = "The bridge was completed in 1887. Tourists like the view."
    answer, no_answer = sliding_window("When was the bridge completed?", context)
    assert answer == "1887"
    # bridge and completed each occur once: sliding_window 2 log 2. The context has 10 words; 1887 is
    # word 5, bridge word 1 and completed word 3: distance (4 + 2) / 2 / 9 = 1/3.
    assert no_answer == pytest.approx(math.exp(-(2 * math.log(2) - 1 / 3 + 1)))
    assert no_answer == pytest.approx(0.25 * math.exp(-2 / 3))


def test_sliding_window_the_candidate_nearest_the_question_words_wins_a_tie() -> None:
    context = "Anna Berg, Peter Olsen and Mary Stone founded the club."
    # A 20-token window sees founded and club from every name, so each scores 2 log 2 before the
    # distance; version 1 broke that tie with "shorter, then earlier" and answered "Anna". The words
    # are Anna Berg Peter Olsen and Mary Stone founded the club: Mary Stone ends at word 6, founded
    # is word 7 and club word 9, so its distance is (1 + 3) / 2 / 9; Peter Olsen's is (4 + 6) / 2 / 9.
    answer, no_answer = sliding_window("Who founded the club?", context, window=20)
    assert answer == "Mary Stone"
    assert no_answer == pytest.approx(math.exp(-(2 * math.log(2) - 2 / 9 + 1)))


def test_sliding_window_distance_averages_nearest_occurrences_over_the_context_words() -> None:
    context = "Leeds, famously, hosted the final. The final was long."
    # Words: Leeds famously hosted the final The final was long (9; commas and full stops do not
    # count). Question words city and tournament do not occur and are left out of the mean; final's
    # nearest occurrence is word 4. Distance of Leeds: (2 + 4) / 2 / (9 - 1) = 3/8, where the
    # minimum over question words would give 2/8. hosted occurs once, final twice.
    answer, no_answer = sliding_window("Which city hosted the final tournament?", context)
    assert answer == "Leeds"  # the only name; "famously" and "long" are lowercase phrases
    assert no_answer == pytest.approx(math.exp(-(math.log(2) + math.log(1.5) - 3 / 8 + 1)))


def test_sliding_window_weights_rare_question_words_above_frequent_ones() -> None:
    context = (
        "Oakton sits beside the river. The river is wide. The river floods often. "
        "Millford sits beside the quarry."
    )
    baseline = SlidingWindowBaseline()
    # Both towns match three question words; "river" occurs three times and "quarry" once. The
    # context has 18 words: Oakton is word 0, Millford word 13, sits, beside and quarry words 14, 15
    # and 17, and river's nearest occurrences words 4 and 10.
    [(rare, rare_no_answer), (frequent, frequent_no_answer)] = baseline.predict(
        ["Which town sits beside the river quarry?", "Which town sits beside the river?"], [context, context]
    )
    assert rare == "Millford"
    millford_distance = (1 + 2 + 3 + 4) / 4 / 17
    assert rare_no_answer == pytest.approx(
        math.exp(-(2 * math.log(1.5) + math.log(2) - millford_distance + 1))
    )
    # Without quarry Millford sees only sits and beside, and Oakton's rarer match outweighs its distance.
    assert frequent == "Oakton"
    oakton_distance = (1 + 2 + 4) / 3 / 17
    assert frequent_no_answer == pytest.approx(
        math.exp(-(2 * math.log(1.5) + math.log(4 / 3) - oakton_distance + 1))
    )
    assert rare_no_answer < frequent_no_answer  # the higher score gets the lower probability


def test_sliding_window_window_and_max_span_bound_the_candidates() -> None:
    context = "the ferry crossed wide grey choppy water near the quarry."
    question = "Which boat reached the quarry?"
    # One run of seven lowercase words, ferry..near (words 1-7), and quarry is word 9 of 10. With
    # max_span 4 the candidates are its four 4-word stretches; the last ends 2 words before quarry.
    near = math.exp(-(math.log(2) - 2 / 9 + 1))
    assert sliding_window(question, context) == ("grey choppy water near", pytest.approx(near))
    # A one-token window sees only "the" after the span: no stretch matches, the distance alone ranks.
    assert sliding_window(question, context, window=1) == (
        "grey choppy water near",
        pytest.approx(math.exp(-(0 - 2 / 9 + 1))),
    )
    assert sliding_window(question, context, max_span=2) == ("water near", pytest.approx(near))
    assert sliding_window(question, context, max_span=10) == (
        "ferry crossed wide grey choppy water near",
        pytest.approx(near),
    )


def test_sliding_window_candidates_are_runs_and_prefer_names_and_numbers() -> None:
    # A capitalized word next to a lowercase one splits a run: "museum curator" | "Anna Berg".
    curator = "The museum curator Anna Berg restored the organ."
    assert sliding_window("Who restored the organ?", curator)[0] == "Anna Berg"
    # Glued punctuation joins a run. Words: Traffic carried about 400 000 tons of coal (8); the span
    # 400,000 tons (words 3-5) is 2 words from carried and from coal, Traffic 1 and 7 words away.
    traffic = "Traffic carried about 400,000 tons of coal."
    answer, no_answer = sliding_window("How much coal was carried?", traffic)
    assert answer == "400,000 tons"
    assert no_answer == pytest.approx(math.exp(-(2 * math.log(2) - 2 / 7 + 1)))


def test_sliding_window_breaks_exact_ties_by_shorter_then_earlier() -> None:
    # Both names are 1 word from met and see it in their windows: log 2 - 1/3 (4 words) each.
    assert sliding_window("Who met?", "Anna Berg met Olsen.") == (
        "Olsen",
        pytest.approx(math.exp(-(math.log(2) - 1 / 3 + 1))),
    )
    assert sliding_window("Who met?", "Anna met Olsen.") == (
        "Anna",
        pytest.approx(math.exp(-(math.log(2) - 1 / 2 + 1))),
    )


def test_sliding_window_without_overlap_still_answers_with_no_answer_probability_one() -> None:
    context = PARAGRAPHS[0][0]
    # No question word occurs: every candidate scores 0 - 1, and the shortest, earliest name or number wins.
    assert SlidingWindowBaseline().predict(["Who painted the ceiling?"], [context]) == [("1887", 1.0)]
    assert SlidingWindowBaseline().predict(["Who painted the ceiling?"], ["the and of."]) == [("", 1.0)]


def test_sliding_window_never_answers_with_a_question_word() -> None:
    context = "Thomas Bouch designed the bridge."
    [(answer, _)] = SlidingWindowBaseline().predict(["Who designed the bridge?"], [context])
    assert answer == "Thomas Bouch"
    # A question word splits a run: "Bouch" alone, not "Thomas Bouch".
    [(answer, _)] = SlidingWindowBaseline().predict(["Which Thomas designed the bridge?"], [context])
    assert answer == "Bouch"


# Context only.


def year_first_split() -> dict[str, list]:
    paragraphs = [
        (
            f"In {year} the {thing} opened beside the {adjective} river near the old market of {town}. "
            "Visitors came from many towns to see it.",
            [("When did it open?", [str(year)]), ("What is the fee?", [])],
        )
        for year, thing, adjective, town in [
            (1887, "bridge", "wide", "Perth"),
            (1901, "station", "slow", "Leeds"),
            (1923, "museum", "cold", "Dundee"),
            (1950, "library", "muddy", "Bath"),
            (1968, "theatre", "quiet", "York"),
        ]
    ]
    return flatten(paragraphs)


def name_last_split() -> dict[str, list]:
    paragraphs = [
        (
            f"The {thing} by the {adjective} river near the old market was opened and run for many years "
            f"by {name}.",
            [("Who ran it?", [name])],
        )
        for thing, adjective, name in [
            ("bridge", "wide", "Anna Berg"),
            ("station", "slow", "Thomas Bouch"),
            ("museum", "cold", "Marie Dubois"),
            ("library", "muddy", "August Zang"),
        ]
    ]
    return flatten(paragraphs)


def test_context_only_learns_where_and_what_answers_are() -> None:
    probe = (
        "In 1954 a quiet harbour town on the northern coast hired a young keeper to tend the new light, "
        "Peter Olsen."
    )
    years = ContextOnlyBaseline().fit(**year_first_split())
    names = ContextOnlyBaseline().fit(**name_last_split())
    assert years.predict(["Who tended the light?"], [probe]) == [("1954", 0.5)]
    assert names.predict(["When was it?"], [probe]) == [("Peter Olsen", 0.0)]
    summary = years.describe()
    assert summary["answer_type"] == {"number": 6 / 8, "name": 1 / 8, "phrase": 1 / 8}
    assert summary["answer_position"]["0.0"] == 6 / 15
    assert summary["answer_length"]["1"] == 6 / 13
    assert (summary["answerable_questions"], summary["unanswerable_questions"]) == (5, 5)


def test_context_only_ignores_the_question() -> None:
    baseline = ContextOnlyBaseline().fit(**TRAIN)
    context = PARAGRAPHS[2][0]
    predictions = baseline.predict(["When did the telescope see first light?", "Who?", ""], [context] * 3)
    assert len(set(predictions)) == 1
    assert predictions[0][1] == pytest.approx(6 / 19)


# Question only.


def test_question_only_no_answer_probability_follows_the_question_phrasing() -> None:
    baseline = QuestionOnlyBaseline().fit(**TRAIN)
    context = PARAGRAPHS[5][0]
    [(_, unanswerable_like), (_, answerable_like)] = baseline.predict(
        ["What is the yearly fee of the club?", "When was the club founded?"], [context, context]
    )
    assert unanswerable_like > 0.5 > answerable_like
    assert baseline.describe()["top_terms"]["unanswerable"][0] == "what is"


def test_question_only_copies_the_span_type_the_question_asks_for() -> None:
    baseline = QuestionOnlyBaseline().fit(**TRAIN)
    context = "Bakers in Vienna made the kipferl. The pastry cost 4,200 francs in Paris in the 1830s."
    questions = [
        "Who made the first croissant?",
        "When was it made?",
        "In what year was the price set?",
        "How much did it cost?",
        "What did the bakers make?",
    ]
    answers = [answer for answer, _ in baseline.predict(questions, [context] * len(questions))]
    assert answers == ["Vienna", "1830s", "1830s", "4,200", "Bakers"]
    assert [question_kind(question) for question in questions] == ["name", "year", "year", "number", "other"]


def test_question_only_with_one_kind_of_training_question_uses_its_share() -> None:
    answerable = {key: values[:3] for key, values in TRAIN.items()}
    baseline = QuestionOnlyBaseline().fit(**answerable)
    [(answer, no_answer)] = baseline.predict(["What is the toll?"], [PARAGRAPHS[0][0]])
    assert (answer, no_answer) == ("Kelvin", 0.0)


# Always no answer.


def test_always_no_answer_abstains_everywhere() -> None:
    baseline = AlwaysNoAnswerBaseline().fit(**TRAIN)
    assert baseline.predict(TRAIN["questions"][:3], TRAIN["contexts"][:3]) == [("", 1.0)] * 3
    assert baseline.predict([], []) == []
    assert baseline.describe()["no_answer_probability"] == 1.0
