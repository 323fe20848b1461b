"""The choices-only baseline: a partial-input shortcut that scores the choices without reading the question.

Each choice of each train question is one example for a binary logistic regression (is it the right
answer?) over its word uni- and bigram TF-IDF vector and two length features (its length over the mean
length of its question's choices, and whether it is the longest). A question is answered with its
top-scored choice; its log-likelihoods are the log-softmax of the choices' logits, so boards show acc
and acc_norm for it as for any model that scores choices. Whatever it gets right beyond chance, the
data gives away in its choices alone (annotation artifacts): a board shows every model's shortcut gap
over it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from benchhub.errors import InvalidInputError, MissingDependencyError
from benchhub.models.baselines.base import (
    read_arrays,
    read_json,
    read_manifest,
    write_arrays,
    write_json,
    write_manifest,
)
from benchhub.tasks.multiple_choice.baselines.base import (
    ChoiceBaseline,
    check_questions,
    check_training,
    not_fitted,
)
from benchhub.tasks.multiple_choice.outputs import ChoicePrediction

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

VOCABULARY_FILE = "vocabulary.json"
LENGTH_FEATURES = ("relative_length", "is_longest")
TOP_TERMS = 10


class ChoicesOnlyBaseline(ChoiceBaseline):
    """Scores each choice alone (TF-IDF and length features, logistic regression fitted on train's choices)."""

    name = "choices-only"
    version = "1"
    partial_input = True

    def __init__(self, C: float = 1.0, max_iter: int = 1000, seed: int = 0) -> None:
        if isinstance(C, bool) or not isinstance(C, (int, float)) or not np.isfinite(C) or C <= 0:
            raise InvalidInputError(f"C must be a positive number, got {C!r}; pass e.g. C=1.0")
        self.C, self.max_iter, self.seed = float(C), int(max_iter), int(seed)
        self._vectorizer: TfidfVectorizer | None = None
        self._vocabulary: dict[str, int] | None = None
        self._coef: np.ndarray | None = None
        self._intercept: float | None = None

    def fit(self, choices: Sequence[Sequence[str]], gold: Sequence[int]) -> Self:
        questions, answers = check_training(choices, gold)
        texts = [text for texts in questions for text in texts]
        target = np.array([float(i == answer) for texts, answer in zip(questions, answers) for i in range(len(texts))])
        vectorizer = _vectorizer()
        try:
            vectorizer.fit(texts)
            self._vocabulary = {str(term): int(index) for term, index in vectorizer.vocabulary_.items()}
            self._vectorizer = vectorizer
        except ValueError:  # no word in any choice (punctuation only): the length features alone
            self._vectorizer, self._vocabulary = None, {}
        with _sklearn_required():
            from sklearn.linear_model import LogisticRegression
        model = LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.seed)
        model.fit(self._features(questions), target)
        self._coef, self._intercept = model.coef_[0].astype(np.float64), float(model.intercept_[0])
        return self

    def predict(self, choices: Sequence[Sequence[str]]) -> list[ChoicePrediction]:
        coef, intercept = self._fitted()
        questions = check_questions(choices)
        if not questions:
            return []
        logits = self._features(questions) @ coef + intercept
        predictions, start = [], 0
        for texts in questions:
            scores = logits[start:start + len(texts)]
            start += len(texts)
            top = scores.max()
            predictions.append(ChoicePrediction.scored(tuple(scores - top - np.log(np.exp(scores - top).sum()))))
        return predictions

    def save(self, folder: Path) -> None:
        coef, intercept = self._fitted()
        write_manifest(folder, self, {"hyperparameters": {"C": self.C, "max_iter": self.max_iter, "seed": self.seed},
                                      "intercept": intercept})
        write_json(Path(folder) / VOCABULARY_FILE, self._vocabulary or {})
        idf = self._vectorizer.idf_ if self._vectorizer is not None else np.zeros(0)
        write_arrays(folder, {"idf": idf, "coef": coef})

    @classmethod
    def load(cls, folder: Path) -> Self:
        folder = Path(folder)
        manifest = read_manifest(folder, cls.name, cls.version)
        baseline = cls(**dict(manifest.get("hyperparameters") or {}))
        vocabulary = read_json(folder / VOCABULARY_FILE)
        arrays = read_arrays(folder, ("idf", "coef"))
        intercept = manifest.get("intercept")
        if (not isinstance(vocabulary, dict) or not isinstance(intercept, (int, float))
                or arrays["coef"].shape != (len(vocabulary) + len(LENGTH_FEATURES),) or arrays["idf"].shape != (len(vocabulary),)):
            raise InvalidInputError(f"{folder}: the vocabulary, idf and coefficients do not fit together; save the baseline again.")
        baseline._vocabulary = {str(term): int(index) for term, index in vocabulary.items()}
        if vocabulary:
            baseline._vectorizer = _vectorizer(baseline._vocabulary)
            baseline._vectorizer.idf_ = arrays["idf"]
        baseline._coef, baseline._intercept = arrays["coef"].astype(np.float64), float(intercept)
        return baseline

    def describe(self) -> dict[str, Any]:
        coef, intercept = self._fitted()
        terms = sorted(self._vocabulary or {}, key=lambda term: (self._vocabulary or {})[term])
        text = coef[:len(terms)]
        return {
            "name": self.name, "version": self.version, "reads": "the choices only, never the question",
            "hyperparameters": {"C": self.C, "max_iter": self.max_iter, "seed": self.seed},
            "vocabulary_size": len(terms), "intercept": intercept,
            "length_weights": dict(zip(LENGTH_FEATURES, map(float, coef[len(terms):]))),
            "top_terms": [terms[i] for i in np.argsort(-text, kind="stable")[:TOP_TERMS]],
        }

    def _features(self, questions: list[list[str]]) -> np.ndarray:
        """One row per choice, question by question: its TF-IDF vector, then the length features."""
        texts = [text for texts in questions for text in texts]
        lengths = []
        for choices in questions:
            sizes = np.array([len(text) for text in choices], dtype=np.float64)
            lengths.append(np.column_stack([sizes / sizes.mean(), (sizes == sizes.max()).astype(np.float64)]))
        numeric = np.vstack(lengths)
        if self._vectorizer is None:
            return numeric
        return np.hstack([self._vectorizer.transform(texts).toarray(), numeric])

    def _fitted(self) -> tuple[np.ndarray, float]:
        if self._coef is None or self._intercept is None:
            raise not_fitted(self)
        return self._coef, self._intercept


def _vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    with _sklearn_required():
        from sklearn.feature_extraction.text import TfidfVectorizer
    # Single characters count as words: choices such as "A", "7" or "x" are common.
    return TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", sublinear_tf=True, dtype=np.float64,
                           vocabulary=vocabulary)


@contextmanager
def _sklearn_required() -> Iterator[None]:
    try:
        yield
    except ImportError as error:
        raise MissingDependencyError(
            "the choices-only baseline needs scikit-learn; install it with 'pip install scikit-learn'"
        ) from error
