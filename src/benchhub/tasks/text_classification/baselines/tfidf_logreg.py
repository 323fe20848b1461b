"""The TF-IDF + logistic regression baseline, built on scikit-learn."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from benchhub.errors import InvalidInputError, MissingDependencyError
from benchhub.tasks.text_classification.baselines.base import (
    TextClassifierBaseline,
    check_labels,
    check_texts,
    check_training,
    not_fitted,
    one_hot,
    read_arrays,
    read_json,
    read_manifest,
    write_arrays,
    write_json,
    write_manifest,
)

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

VOCABULARY_FILE = "vocabulary.json"
TOP_TERMS = 10


class TfidfLogRegBaseline(TextClassifierBaseline):
    """Classifies word n-gram TF-IDF vectors with a multinomial logistic regression.

    A training split with a single label predicts that label with probability 1;
    labels absent from the training split always score 0.
    """

    name = "tfidf-logreg"
    version = "1"

    def __init__(
        self,
        labels: Sequence[str],
        max_features: int | None = 50000,
        ngram_range: tuple[int, int] = (1, 2),
        C: float = 10.0,
        min_df: int = 1,
        sublinear_tf: bool = True,
        max_iter: int = 1000,
        seed: int = 0,
    ) -> None:
        self.labels = check_labels(labels)
        self.max_features = _check_int("max_features", max_features, minimum=1, optional=True)
        self.ngram_range = _check_ngram_range(ngram_range)
        self.C = _check_positive_float("C", C)
        self.min_df = _check_int("min_df", min_df, minimum=1)
        self.sublinear_tf = bool(sublinear_tf)
        self.max_iter = _check_int("max_iter", max_iter, minimum=1)
        self.seed = _check_int("seed", seed, minimum=0)
        self._classes: np.ndarray | None = None
        self._vectorizer: TfidfVectorizer | None = None
        self._model: LogisticRegression | None = None

    def hyperparameters(self) -> dict[str, Any]:
        """Returns the constructor options, JSON-able."""
        return {
            "max_features": self.max_features,
            "ngram_range": list(self.ngram_range),
            "C": self.C,
            "min_df": self.min_df,
            "sublinear_tf": self.sublinear_tf,
            "max_iter": self.max_iter,
            "seed": self.seed,
        }

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Self:
        """Fits the vectorizer and the logistic regression on the training split."""
        text_list, indices = check_training(texts, labels, self.labels)
        classes = np.unique(indices)
        if len(classes) == 1:
            self._classes, self._vectorizer, self._model = classes, None, None
            return self
        vectorizer = self._new_vectorizer()
        try:
            features = vectorizer.fit_transform(text_list)
        except ValueError as error:
            raise InvalidInputError(
                f"the training texts yield no TF-IDF features ({error}); "
                "use texts with words of two or more letters, or lower min_df"
            ) from error
        model = self._new_model().fit(features, indices)
        self._classes, self._vectorizer, self._model = classes, vectorizer, model
        return self

    def predict_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Returns class probabilities in label order; labels absent from training score 0."""
        classes = self._fitted_classes()
        text_list = check_texts(texts)
        if self._vectorizer is None or self._model is None:
            return one_hot(np.full(len(text_list), classes[0], dtype=np.int64), len(self.labels))
        scores = np.zeros((len(text_list), len(self.labels)), dtype=np.float64)
        if text_list:
            probabilities = self._model.predict_proba(self._vectorizer.transform(text_list))
            scores[:, self._model.classes_] = probabilities
        return scores

    def save(self, folder: Path) -> None:
        """Writes hyperparameters and classes (JSON), vocabulary (JSON) and idf, coef, intercept (.npz)."""
        classes = self._fitted_classes()
        folder = Path(folder)
        write_manifest(
            folder,
            self,
            {
                "hyperparameters": self.hyperparameters(),
                "classes": [self.labels[index] for index in classes],
            },
        )
        if self._vectorizer is None or self._model is None:
            return
        vocabulary = {str(term): int(index) for term, index in self._vectorizer.vocabulary_.items()}
        write_json(folder / VOCABULARY_FILE, vocabulary)
        write_arrays(
            folder,
            {"idf": self._vectorizer.idf_, "coef": self._model.coef_, "intercept": self._model.intercept_},
        )

    @classmethod
    def load(cls, folder: Path) -> Self:
        """Rebuilds the vectorizer and the logistic regression written by save."""
        folder = Path(folder)
        manifest = read_manifest(folder, cls.name, cls.version)
        options = dict(manifest.get("hyperparameters", {}))
        options["ngram_range"] = tuple(options.get("ngram_range", (1, 2)))
        baseline = cls(manifest["labels"], **options)
        saved_classes = manifest.get("classes")
        if (
            not isinstance(saved_classes, list)
            or not saved_classes
            or not set(saved_classes) <= set(baseline.labels)
        ):
            raise InvalidInputError(f"{folder}: classes must list dataset labels; save the baseline again")
        classes = np.array([baseline.labels.index(label) for label in saved_classes], dtype=np.int64)
        baseline._classes = classes
        if len(classes) == 1:
            return baseline
        vocabulary = read_json(folder / VOCABULARY_FILE)
        if not isinstance(vocabulary, dict):
            raise InvalidInputError(
                f"{folder / VOCABULARY_FILE} must map terms to indices; save the baseline again"
            )
        arrays = read_arrays(folder, ("idf", "coef", "intercept"))
        vectorizer = baseline._new_vectorizer(vocabulary=vocabulary)
        model = baseline._new_model()
        try:
            vectorizer.idf_ = arrays["idf"]
        except ValueError as error:
            raise InvalidInputError(f"{folder}: {error}; save the baseline again") from error
        model.classes_ = classes
        model.coef_ = arrays["coef"]
        model.intercept_ = arrays["intercept"]
        model.n_features_in_ = arrays["coef"].shape[1]
        baseline._vectorizer, baseline._model = vectorizer, model
        return baseline

    def describe(self) -> dict[str, Any]:
        """Returns hyperparameters, vocabulary size, training classes and the top terms per label."""
        classes = self._fitted_classes()
        summary: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "hyperparameters": self.hyperparameters(),
            "classes": [self.labels[index] for index in classes],
            "vocabulary_size": 0,
            "top_terms": {},
        }
        if self._vectorizer is None or self._model is None:
            return summary
        terms = self._vectorizer.get_feature_names_out()
        coef = self._model.coef_
        weights = np.vstack([-coef[0], coef[0]]) if len(classes) == 2 else coef
        summary["vocabulary_size"] = len(terms)
        summary["top_terms"] = {
            self.labels[index]: [str(terms[term]) for term in np.argsort(-row, kind="stable")[:TOP_TERMS]]
            for index, row in zip(classes, weights)
        }
        return summary

    def _new_vectorizer(self, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
        with _sklearn_required():
            from sklearn.feature_extraction.text import TfidfVectorizer
        return TfidfVectorizer(
            max_features=self.max_features,
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            sublinear_tf=self.sublinear_tf,
            dtype=np.float64,
            vocabulary=vocabulary,
        )

    def _new_model(self) -> LogisticRegression:
        with _sklearn_required():
            from sklearn.linear_model import LogisticRegression
        return LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.seed)

    def _fitted_classes(self) -> np.ndarray:
        if self._classes is None:
            raise not_fitted(self)
        return self._classes


@contextmanager
def _sklearn_required() -> Iterator[None]:
    try:
        yield
    except ImportError as error:
        raise MissingDependencyError(
            "the tfidf-logreg baseline needs scikit-learn; install it with 'pip install scikit-learn'"
        ) from error


def _check_int(name: str, value: object, minimum: int, optional: bool = False) -> Any:
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise InvalidInputError(
            f"{name} must be an integer >= {minimum}, got {value!r}; pass e.g. {name}={minimum}"
        )
    return int(value)


def _check_positive_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value) or value <= 0:
        raise InvalidInputError(f"{name} must be a positive number, got {value!r}; pass e.g. {name}=10.0")
    return float(value)


def _check_ngram_range(value: object) -> tuple[int, int]:
    if (
        not isinstance(value, tuple | list)
        or len(value) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in value)
        or not 1 <= value[0] <= value[1]
    ):
        raise InvalidInputError(
            f"ngram_range must be two integers (low, high) with 1 <= low <= high, got {value!r}; "
            "pass e.g. (1, 2)"
        )
    return (value[0], value[1])
