"""Generative-answers baselines: majority-answer (one answer for every question) and nearest-question (the answer of
the most similar train question, which shows how far memorising train answers goes on a split).

Both answer with train answers (each train example's first reference, through the reference regex where the
dataset has one) written so that the dataset's answer regex reads them back: the train reference as written
(GSM8K's references end "#### 72", as its answer regex wants), else the bare answer, else the answer after the
regex's literal start ("The answer is " for 'The answer is (.*)'). A regex that reads none of these (one whose
answer does not follow a fixed phrase) leaves the baselines without answers: they then score 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from benchhub.data.records import DatasetFacts, Split
from benchhub.errors import InvalidInputError
from benchhub.tasks.generative_answers.metrics import (
    extract,
    normalizer,
    reference_answers,
)
from benchhub.tasks.generative_answers.settings import AnswerSettings, compiled_pattern
from benchhub.tasks.text_to_text.baseline import TextToTextBaseline
from benchhub.tasks.text_to_text.references import REFERENCES

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

_SPECIAL = set(".^$*+?{}[]|()\\")


def literal_prefix(pattern: str) -> str:
    """The fixed text a pattern's matches start with ("The answer is " of 'The answer is (.*)'), maybe empty."""
    text, i = [], 1 if pattern.startswith("^") else 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
            text.append(pattern[i + 1])
            i += 2
            continue
        if char in _SPECIAL:
            break
        text.append(char)
        i += 1
    if text and i < len(pattern) and pattern[i] in "*+?{":  # a quantifier makes the last character optional
        text.pop()
    return "".join(text)


def train_answers(train: Split, facts: DatasetFacts) -> tuple[list[str], list[str]]:
    """Each train example's first reference as written and as an answer (through the reference regex)."""
    references = train.field(REFERENCES)
    if not references:
        raise InvalidInputError(f"The train split {train.name!r} has no reference answers to learn from; register it "
                                "with its answer column.")
    settings = AnswerSettings.from_options(facts.options)
    written = [golds[0] for golds in references]
    return written, [golds[0] for golds in reference_answers([[text] for text in written], settings)]


def spoken(written: str, answer: str, settings: AnswerSettings) -> str:
    """A text whose answer, read by the dataset's answer regex, normalises as `answer` does (see the module)."""
    if settings.answer_regex is None:
        return answer
    pattern, normalize = compiled_pattern("answer_regex", settings.answer_regex), normalizer(settings)
    for text in (written, answer, literal_prefix(settings.answer_regex) + answer):
        found = extract(text, pattern, occurrence=settings.answer_occurrence)
        if found is not None and normalize(found) == normalize(answer):
            return text
    return answer


class MajorityAnswer(TextToTextBaseline):
    """The train split's most frequent answer after normalisation (the first seen of equally frequent ones), for
    every question: the score of knowing only which answer is common."""

    name, version = "majority-answer", "1"

    def __init__(self, answer: str = "") -> None:
        super().__init__(answer=answer)

    @classmethod
    def trained(cls, train: Split, facts: DatasetFacts) -> Self:
        written, answers = train_answers(train, facts)
        settings = AnswerSettings.from_options(facts.options)
        normalize = normalizer(settings)
        common, _ = Counter(normalize(answer) for answer in answers).most_common(1)[0]
        first = next(i for i, answer in enumerate(answers) if normalize(answer) == common)
        return cls(answer=spoken(written[first], answers[first], settings))

    def predict(self, item: str) -> str:
        return str(self.state["answer"])


class NearestQuestion(TextToTextBaseline):
    """The answer of the train question most similar to the question: cosine similarity of word TF-IDF vectors
    (scikit-learn's, sublinear tf, words of one character or more), the first train question on ties. High scores
    mean a split repeats train questions (leakage) or answers them by rote."""

    name, version = "nearest-question", "1"

    def __init__(self, questions: Sequence[str] = (), answers: Sequence[str] = ()) -> None:
        super().__init__(questions=list(questions), answers=list(answers))
        self._vectorizer: TfidfVectorizer | None = None
        self._train: Any = None

    @classmethod
    def trained(cls, train: Split, facts: DatasetFacts) -> Self:
        written, answers = train_answers(train, facts)
        settings = AnswerSettings.from_options(facts.options)
        return cls(questions=train.texts, answers=[spoken(w, a, settings) for w, a in zip(written, answers, strict=True)])

    def predict_items(self, items: Sequence[str]) -> list[str]:
        if not items:
            return []
        vectorizer, train = self._fitted()
        if vectorizer is None:
            return [self.state["answers"][0]] * len(items)
        similarity = (vectorizer.transform(list(items)) @ train.T).toarray()
        return [self.state["answers"][int(i)] for i in np.argmax(similarity, axis=1)]

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "train_questions": len(self.state["questions"])}

    def _fitted(self) -> tuple[TfidfVectorizer | None, Any]:
        """The vectorizer fitted on the train questions (again after a load: the fit is deterministic), or None
        where they hold no word."""
        if self._train is None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self._vectorizer = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", sublinear_tf=True)
            try:
                self._train = self._vectorizer.fit_transform(self.state["questions"])
            except ValueError:  # no word in any train question
                self._vectorizer, self._train = None, False
        return self._vectorizer, self._train


BASELINES: dict[str, type] = {cls.name: cls for cls in (MajorityAnswer, NearestQuestion)}
