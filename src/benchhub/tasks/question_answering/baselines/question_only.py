"""The question-only baseline: decides whether to answer from the question text alone."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any, Self

from benchhub.errors import InvalidInputError
from benchhub.tasks.question_answering.baselines.base import (
    ExtractiveQABaseline,
    check_inputs,
    check_training,
    not_fitted,
    read_manifest,
    write_manifest,
)
from benchhub.tasks.question_answering.baselines.spans import (
    Token,
    span_text,
    tokenize,
    tokenize_each,
)
from benchhub.tasks.text_classification.baselines.tfidf_logreg import (
    TfidfLogRegBaseline,
)

LABELS = ("answerable", "unanswerable")
CLASSIFIER_FOLDER = "no-answer-classifier"
CLASSIFIER_OPTIONS = ("C", "max_features", "min_df", "max_iter", "seed")
YEAR = re.compile(r"\d{3,4}s?")
NOUNISH = re.compile(r"[^\W\d_]{3,}(?:[-'\u2019][^\W\d_]+)*")
NOT_NOUN_SUFFIXES = ("ly", "ed", "ing")


class QuestionOnlyBaseline(ExtractiveQABaseline):
    """Predicts "no answer" from the question alone and copies a span of the asked-for type.

    The no-answer probability comes from a TF-IDF (word 1-2 grams) + logistic regression
    classifier trained on the training questions to tell unanswerable from answerable ones; a
    training split with one kind of question gives that kind probability 1. The answer is the first
    context span of the type the question word asks for: who/whom/whose → the first capitalized
    name, when / what year → the first 3-4 digit number, how many/much → the first number, else (or
    when that type is absent) → the first noun-like non-stopword. The context is read only to copy
    that typed span, never compared with the question.
    """

    name = "question-only"
    version = "1"
    partial_input = True

    def __init__(
        self,
        C: float = 10.0,
        max_features: int | None = 50000,
        min_df: int = 1,
        max_iter: int = 1000,
        seed: int = 0,
    ) -> None:
        self._classifier = TfidfLogRegBaseline(
            LABELS,
            ngram_range=(1, 2),
            C=C,
            max_features=max_features,
            min_df=min_df,
            max_iter=max_iter,
            seed=seed,
        )
        self._fitted = False

    def hyperparameters(self) -> dict[str, Any]:
        """Returns the constructor options, JSON-able."""
        options = self._classifier.hyperparameters()
        return {key: options[key] for key in CLASSIFIER_OPTIONS}

    def fit(
        self,
        questions: Sequence[str],
        contexts: Sequence[str],
        answers: Sequence[Sequence[str]],
        answer_starts: Sequence[Sequence[int]],
    ) -> Self:
        """Trains the no-answer classifier on the training questions."""
        question_list, _, answer_list, _ = check_training(questions, contexts, answers, answer_starts)
        self._classifier.fit(question_list, [LABELS[0] if texts else LABELS[1] for texts in answer_list])
        self._fitted = True
        return self

    def predict(self, questions: Sequence[str], contexts: Sequence[str]) -> list[tuple[str, float]]:
        """Returns the typed span each question asks for and the classifier's no-answer probability."""
        if not self._fitted:
            raise not_fitted(self)
        question_list, context_list = check_inputs(questions, contexts)
        no_answer = self._classifier.predict_scores(question_list)[:, LABELS.index("unanswerable")]
        predictions = []
        for question, context, tokens, probability in zip(
            question_list, context_list, tokenize_each(context_list), no_answer, strict=True
        ):
            span = typed_span(tokens, question_kind(question))
            text = "" if span is None else span_text(context, tokens, span)
            predictions.append((text, float(probability)))
        return predictions

    def save(self, folder: Path) -> None:
        """Writes the hyperparameters (JSON) and the classifier (JSON vocabulary, .npz weights)."""
        if not self._fitted:
            raise not_fitted(self)
        folder = Path(folder)
        write_manifest(
            folder, self, {"hyperparameters": self.hyperparameters(), "classifier": CLASSIFIER_FOLDER}
        )
        self._classifier.save(folder / CLASSIFIER_FOLDER)

    @classmethod
    def load(cls, folder: Path) -> Self:
        """Reads a question-only baseline written by save."""
        folder = Path(folder)
        manifest = read_manifest(folder, cls.name, cls.version)
        baseline = cls(**dict(manifest.get("hyperparameters", {})))
        classifier = TfidfLogRegBaseline.load(folder / CLASSIFIER_FOLDER)
        if classifier.labels != LABELS:
            raise InvalidInputError(
                f"{folder / CLASSIFIER_FOLDER} classifies {list(classifier.labels)}, not {list(LABELS)}; "
                "save the baseline again"
            )
        baseline._classifier, baseline._fitted = classifier, True
        return baseline

    def describe(self) -> dict[str, Any]:
        """Returns the hyperparameters and the classifier's vocabulary size and top terms per label."""
        if not self._fitted:
            raise not_fitted(self)
        classifier = self._classifier.describe()
        return {
            "name": self.name,
            "version": self.version,
            "partial_input": self.partial_input,
            "hyperparameters": self.hyperparameters(),
            "training_classes": classifier["classes"],
            "vocabulary_size": classifier["vocabulary_size"],
            "top_terms": classifier["top_terms"],
        }


def question_kind(question: str) -> str:
    """Returns the answer type a question asks for: "number", "year", "name" or "other"."""
    keys = [token.key for token in tokenize(question) if token.is_word]
    pairs = set(pairwise(keys))
    if pairs & {("how", "many"), ("how", "much")}:
        return "number"
    if "when" in keys or pairs & {("what", "year"), ("which", "year")}:
        return "year"
    if {"who", "whom", "whose"} & set(keys):
        return "name"
    return "other"


def typed_span(tokens: Sequence[Token], kind: str) -> tuple[int, int] | None:
    """Returns the first span of the given kind, falling back to the first noun-like word."""
    finders = {"year": (_first_year, _first_number), "number": (_first_number,), "name": (_first_name,)}
    for finder in (*finders.get(kind, ()), _first_nounish, _first_content):
        span = finder(tokens)
        if span is not None:
            return span
    return None


def _first_year(tokens: Sequence[Token]) -> tuple[int, int] | None:
    return next(
        (
            span
            for span in _numbers(tokens)
            if span[1] - span[0] == 1 and YEAR.fullmatch(tokens[span[0]].text)
        ),
        None,
    )


def _first_number(tokens: Sequence[Token]) -> tuple[int, int] | None:
    return next(_numbers(tokens), None)


def _numbers(tokens: Sequence[Token]) -> Iterator[tuple[int, int]]:
    i = 0
    while i < len(tokens):
        if not (tokens[i].is_word and tokens[i].text[0].isdigit()):
            i += 1
            continue
        j = i + 1
        # Keeps "4,200" and "3.5" whole: a comma or point glued between two digit groups.
        while (
            j + 1 < len(tokens)
            and tokens[j].text in {",", "."}
            and tokens[j - 1].end == tokens[j].start
            and tokens[j].end == tokens[j + 1].start
            and tokens[j + 1].text[0].isdigit()
        ):
            j += 2
        yield i, j
        i = j


def _first_name(tokens: Sequence[Token]) -> tuple[int, int] | None:
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and tokens[j].is_word and tokens[j].text[0].isupper():
            j += 1
        first, end = i, j
        while first < end and not tokens[first].is_content:
            first += 1
        while end > first and not tokens[end - 1].is_content:
            end -= 1
        # A lone capitalized word opening a sentence is usually an ordinary word, not a name.
        opens_sentence = first == 0 or tokens[first - 1].sentence != tokens[first].sentence
        if end - first > 1 or (end - first == 1 and not opens_sentence):
            return first, end
        i = max(j, i + 1)
    return None


def _first_nounish(tokens: Sequence[Token]) -> tuple[int, int] | None:
    for i, token in enumerate(tokens):
        if (
            token.is_content
            and NOUNISH.fullmatch(token.text)
            and not (len(token.key) >= 6 and token.key.endswith(NOT_NOUN_SUFFIXES))
        ):
            return i, i + 1
    return None


def _first_content(tokens: Sequence[Token]) -> tuple[int, int] | None:
    return next(((i, i + 1) for i, token in enumerate(tokens) if token.is_content), None)
