"""A linear tagger over hand features (`word_features`): the "regex and logistic regression" of tagging.

Each word is classified on its own (no CRF, no transition repair): its string features become a sparse
0/1 vector over the features seen in train, and a multinomial logistic regression (scikit-learn, lbfgs)
picks the tag. Predictions are kept raw, invalid transitions included; seqeval's default mode reads them
as it reads any tagger's. Saved as the feature list (JSON) and the weights (.npz), never pickled.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.models.baselines.base import (
    MANIFEST_FILE,
    NotFittedError,
    read_arrays,
    read_json,
    read_manifest,
    write_arrays,
    write_json,
)
from benchhub.tasks.token_classification.baselines.base import (
    TaggerBaseline,
    check_sentences,
    check_tagged,
)
from benchhub.tasks.token_classification.baselines.word_features import (
    sentence_features,
)
from benchhub.tasks.token_classification.outputs import SentenceTags

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

FEATURES_FILE = "features.json"


class FeatureLogRegBaseline(TaggerBaseline):
    name = "feature-logreg"
    version = "1"

    def __init__(self, C: float = 1.0, max_iter: int = 300, seed: int = 0) -> None:
        if isinstance(C, bool) or not isinstance(C, (int, float)) or not np.isfinite(C) or C <= 0:
            raise InvalidInputError(f"C must be a positive number, got {C!r}; pass e.g. C=1.0")
        if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
            raise InvalidInputError(f"max_iter must be an integer >= 1, got {max_iter!r}; pass e.g. max_iter=300")
        self.C, self.max_iter, self.seed = float(C), max_iter, int(seed)
        self.tags: tuple[str, ...] | None = None
        self._columns: dict[str, int] | None = None
        self._model: LogisticRegression | None = None

    def fit(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], scheme: str | None = None) -> Self:
        words, labels = check_tagged(sentences, tags)
        features = [f for sentence in words for f in sentence_features(sentence)]
        names = sorted({name for word in features for name in word})
        self._columns = {name: index for index, name in enumerate(names)}
        self.tags = tuple(sorted({tag for sentence in labels for tag in sentence}))
        targets = np.array([self.tags.index(tag) for sentence in labels for tag in sentence], dtype=np.int64)
        if len(self.tags) == 1:
            self._model = None
            return self
        self._model = self._new_model().fit(self._matrix(features), targets)
        return self

    def predict(self, sentences: Sequence[Sequence[str]]) -> list[SentenceTags]:
        tags = self._fitted()
        words = check_sentences(sentences)
        features = [f for sentence in words for f in sentence_features(sentence)]
        if self._model is None:
            probabilities = np.ones((len(features), 1))
        else:
            probabilities = self._model.predict_proba(self._matrix(features)) if features else np.zeros((0, len(tags)))
        best = probabilities.argmax(axis=1) if len(features) else np.zeros(0, dtype=np.int64)
        result, start = [], 0
        for sentence in words:
            rows = range(start, start + len(sentence))
            result.append(SentenceTags(tuple(tags[best[i]] for i in rows), tuple(float(probabilities[i, best[i]]) for i in rows)))
            start += len(sentence)
        return result

    def predict_proba(self, sentences: Sequence[Sequence[str]]) -> np.ndarray:
        """Per word (all sentences, in order), the probability of each tag in `tags` order."""
        self._fitted()
        features = [f for sentence in check_sentences(sentences) for f in sentence_features(sentence)]
        if self._model is None:
            return np.ones((len(features), 1))
        return self._model.predict_proba(self._matrix(features))

    def save(self, folder: Path) -> None:
        tags = self._fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / MANIFEST_FILE, {"name": self.name, "version": self.version, "tags": list(tags),
                                            "hyperparameters": {"C": self.C, "max_iter": self.max_iter, "seed": self.seed}})
        write_json(folder / FEATURES_FILE, sorted(self._columns, key=self._columns.get))
        if self._model is not None:
            write_arrays(folder, {"coef": self._model.coef_, "intercept": self._model.intercept_})

    @classmethod
    def load(cls, folder: Path) -> Self:
        folder = Path(folder)
        manifest = read_manifest(folder, cls.name, cls.version)
        tags, names = manifest.get("tags"), read_json(folder / FEATURES_FILE)
        if not isinstance(tags, list) or not tags or not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InvalidInputError(f"{folder}: needs its tags and feature names; save the baseline again.")
        baseline = cls(**manifest.get("hyperparameters", {}))
        baseline.tags = tuple(tags)
        baseline._columns = {name: index for index, name in enumerate(names)}
        if len(tags) > 1:
            arrays = read_arrays(folder, ("coef", "intercept"))
            if arrays["coef"].shape != (len(tags) if len(tags) > 2 else 1, len(names)):
                raise InvalidInputError(f"{folder}: the weights do not fit {len(tags)} tags and {len(names)} features; save again.")
            model = baseline._new_model()
            model.classes_ = np.arange(len(tags))
            model.coef_, model.intercept_ = arrays["coef"], arrays["intercept"]
            model.n_features_in_ = len(names)
            baseline._model = model
        return baseline

    def describe(self) -> dict[str, Any]:
        tags = self._fitted()
        return {"name": self.name, "version": self.version, "tags": list(tags), "features": len(self._columns or {}),
                "hyperparameters": {"C": self.C, "max_iter": self.max_iter, "seed": self.seed}}

    def _matrix(self, features: list[list[str]]) -> csr_matrix:
        from scipy.sparse import csr_matrix

        columns = self._columns or {}
        indices = [[columns[name] for name in word if name in columns] for word in features]
        pointers = np.cumsum([0] + [len(row) for row in indices])
        flat = np.array([i for row in indices for i in row], dtype=np.int64)
        return csr_matrix((np.ones(len(flat)), flat, pointers), shape=(len(features), len(columns)))

    def _new_model(self) -> LogisticRegression:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.seed)

    def _fitted(self) -> tuple[str, ...]:
        if self.tags is None or self._columns is None:
            raise NotFittedError(f"the {self.name} baseline is not fitted; call fit on the training split first")
        return self.tags
