"""Sentence embeddings + logistic regression: a strong, cheap baseline that makes a head-less encoder useful.

Texts are embedded as all-MiniLM-L6-v2 defines its sentence embedding (sentence-transformers'
`modules.json`: the encoder's last hidden states, mean-pooled over the attention mask, L2-normalised),
by default with the bundled all-MiniLM-L6-v2 (its weights' SHA-256 checked), or with any encoder
folder given as `encoder`. A multinomial logistic regression is fitted on the train split's embeddings.
The saved parameters name the encoder's weights by SHA-256, and loading refuses an encoder whose
weights changed since.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.tasks.text_classification.baselines.base import (
    TextClassifierBaseline,
    check_labels,
    check_texts,
    check_training,
    not_fitted,
    one_hot,
    read_arrays,
    read_manifest,
    write_arrays,
    write_manifest,
)

BUNDLED = "all-MiniLM-L6-v2"


class EmbeddingLogRegBaseline(TextClassifierBaseline):
    """Classifies mean-pooled, normalised sentence embeddings with a multinomial logistic regression.

    Labels absent from the training split always score 0; a split with one label predicts it.
    """

    name = "embedding-logreg"
    version = "1"

    def __init__(self, labels: Sequence[str], encoder: str = BUNDLED, C: float = 10.0, max_iter: int = 2000,
                 max_length: int = 128) -> None:
        self.labels = check_labels(labels)
        if not isinstance(encoder, str) or not encoder:
            raise InvalidInputError(f"encoder must be {BUNDLED!r} or a checkpoint folder; got {encoder!r}.")
        self.encoder = encoder
        for option, value in (("max_iter", max_iter), ("max_length", max_length)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(f"{option} must be an integer of at least 1; got {value!r}.")
        if isinstance(C, bool) or not isinstance(C, (int, float)) or not C > 0:
            raise InvalidInputError(f"C must be a number above 0; got {C!r}.")
        self.C, self.max_iter, self.max_length = float(C), max_iter, max_length
        self._classes: np.ndarray | None = None
        self._coef: np.ndarray | None = None
        self._intercept: np.ndarray | None = None
        self._embedder: _Embedder | None = None
        self.encoder_sha256: str | None = None

    def hyperparameters(self) -> dict[str, Any]:
        return {"encoder": self.encoder, "C": self.C, "max_iter": self.max_iter, "max_length": self.max_length}

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Self:
        """Embeds the training texts and fits the logistic regression on them."""
        from sklearn.linear_model import LogisticRegression

        text_list, indices = check_training(texts, labels, self.labels)
        classes = np.unique(indices)
        embedder = self._encoder()
        self._classes = classes
        if len(classes) == 1:
            self._coef = self._intercept = None
            return self
        model = LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=0).fit(embedder.embed(text_list), indices)
        coef, intercept = model.coef_, model.intercept_
        if len(classes) == 2:  # scikit-learn keeps one row for two classes: the second class's logit
            coef, intercept = np.vstack([-coef[0] / 2, coef[0] / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
        self._coef, self._intercept = coef, intercept
        return self

    def predict_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities in label order (a softmax over the training classes); absent labels score 0."""
        if self._classes is None:
            raise not_fitted(self)
        text_list = check_texts(texts)
        if self._coef is None or self._intercept is None:
            return one_hot(np.full(len(text_list), self._classes[0], dtype=np.int64), len(self.labels))
        scores = np.zeros((len(text_list), len(self.labels)), dtype=np.float64)
        if text_list:
            logits = self._encoder().embed(text_list) @ self._coef.T + self._intercept
            logits -= logits.max(axis=1, keepdims=True)
            probabilities = np.exp(logits)
            scores[:, self._classes] = probabilities / probabilities.sum(axis=1, keepdims=True)
        return scores

    def save(self, folder: Path) -> None:
        """Writes the options, classes and encoder's SHA-256 (JSON), and coef and intercept (.npz)."""
        if self._classes is None:
            raise not_fitted(self)
        write_manifest(Path(folder), self, {"hyperparameters": self.hyperparameters(), "encoder_sha256": self._encoder().sha256,
                                            "classes": [self.labels[i] for i in self._classes]})
        if self._coef is not None and self._intercept is not None:
            write_arrays(Path(folder), {"coef": self._coef, "intercept": self._intercept})

    @classmethod
    def load(cls, folder: Path) -> Self:
        """Reads what save wrote; refuses it when the encoder's weights are no longer the ones it was fitted on."""
        folder = Path(folder)
        manifest = read_manifest(folder, cls.name, cls.version)
        baseline = cls(manifest["labels"], **dict(manifest.get("hyperparameters", {})))
        saved = manifest.get("classes")
        if not isinstance(saved, list) or not saved or not set(saved) <= set(baseline.labels):
            raise InvalidInputError(f"{folder}: classes must list dataset labels; save the baseline again")
        if baseline._encoder().sha256 != manifest.get("encoder_sha256"):
            raise InvalidInputError(f"{folder} was fitted on encoder weights with SHA-256 {manifest.get('encoder_sha256')}; "
                                    f"{baseline.encoder} now has {baseline._encoder().sha256}: fit the baseline again.")
        baseline._classes = np.array([baseline.labels.index(label) for label in saved], dtype=np.int64)
        if len(saved) > 1:
            arrays = read_arrays(folder, ("coef", "intercept"))
            baseline._coef, baseline._intercept = arrays["coef"], arrays["intercept"]
        return baseline

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "hyperparameters": self.hyperparameters(),
                "encoder_sha256": self._embedder.sha256 if self._embedder else None,
                "classes": [self.labels[i] for i in self._classes] if self._classes is not None else []}

    def _encoder(self) -> _Embedder:
        if self._embedder is None:
            self._embedder = _Embedder(self.encoder, max_length=self.max_length)
        return self._embedder


class _Embedder:
    """A vetted encoder (safetensors only, no remote code) that turns texts into normalised mean-pooled embeddings."""

    def __init__(self, encoder: str, *, max_length: int) -> None:
        from transformers import AutoModel, AutoTokenizer

        from benchhub.models.checkpoints import resolve_checkpoint
        from benchhub.models.fingerprints import file_sha256
        from benchhub.models.pretrained import MINILM_SHA256, minilm_folder

        folder = minilm_folder(verify=True) if encoder == BUNDLED else resolve_checkpoint(encoder)
        weights = folder / "model.safetensors"
        if not weights.is_file():
            raise InvalidInputError(f"{folder} has no model.safetensors; give an encoder saved with safetensors weights.")
        # minilm_folder has just checked the bundled weights against their published hash.
        self.sha256 = MINILM_SHA256 if encoder == BUNDLED else file_sha256(weights)
        self.tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
        self.model = AutoModel.from_pretrained(folder, use_safetensors=True, trust_remote_code=False).eval()
        self.max_length = max_length

    def embed(self, texts: list[str]) -> np.ndarray:
        """One text at a time: without padding, a text's embedding (and so its scores) never depends on
        which texts share its batch."""
        import torch

        parts = []
        with torch.inference_mode():
            for text in texts:
                batch = self.tokenizer([text], truncation=True, max_length=self.max_length, return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                parts.append(torch.nn.functional.normalize(pooled, p=2, dim=1).double().numpy())
        return np.concatenate(parts) if parts else np.zeros((0, self.model.config.hidden_size))
