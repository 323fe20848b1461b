"""Extractive question answering, scored exactly like the official SQuAD v1.1 / v2.0 scripts.

A dataset with unanswerable questions is scored with v2.0 semantics (exact, f1, HasAns_*,
NoAns_*, and best_* when the model gives no-answer probabilities); otherwise with v1.1
(exact_match, f1). Scores are on the official 0–100 scale; exact and f1 carry bootstrap CIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from benchhub.data.records import Split
from benchhub.metrics import bootstrap
from benchhub.tasks.question_answering import metrics as squad
from benchhub.models.base import QAPrediction
from benchhub.tasks.base import TaskScore, metric_entry

if TYPE_CHECKING:
    from benchhub.data.records import DatasetFacts
    from benchhub.models.base import RunOutput
    from benchhub.models.base import Model

V2_METRICS = ("f1", "exact", "HasAns_f1", "HasAns_exact", "NoAns_f1", "NoAns_exact",
              "best_f1", "best_f1_thresh", "best_exact", "best_exact_thresh")
V1_METRICS = ("f1", "exact_match")


@dataclass(frozen=True)
class QuestionAnswering:
    name: str = "question-answering"
    version: str = "1"
    metric_scale: float = 100.0
    primary_metric: str = "f1"
    transformers_defaults: tuple[tuple[str, Any], ...] = (
        ("max_length", 384), ("doc_stride", 128), ("n_best", 20), ("max_answer_length", 30), ("null_threshold", 0.0),
    )
    auto_class: str = "AutoModelForQuestionAnswering"
    head_suffix: str = "ForQuestionAnswering"
    head_outputs: tuple[str, ...] = ("start_logits", "end_logits")
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    @property
    def metric_versions(self) -> dict[str, str]:
        return {"squad": squad.VERSION, "bootstrap": bootstrap.VERSION}

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(V2_METRICS + V1_METRICS))

    def dataset_options(self, splits: dict[str, Split]) -> dict[str, Any]:
        """SQuAD v2.0 semantics when any split has an unanswerable question, else v1.1."""
        unanswerable = any(not answer["text"] for split in splits.values() for answer in split.answers or [])
        return {"squad_version": "2.0" if unanswerable else "1.1"}

    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        return V2_METRICS if is_v2(facts) else V1_METRICS

    def collect(self, model: Model, split: Split, run: RunOutput, facts: DatasetFacts) -> list[QAPrediction]:
        """Decodes windowed features of transformers models; other models answer one item per question.

        Under v1.1 every question has an answer, so a transformers model never abstains there.
        """
        decode = getattr(model, "decode", None)
        if decode is not None:
            answers = decode(split, run.items, run.outputs, allow_no_answer=is_v2(facts))
            return [QAPrediction(a.text, a.no_answer_probability if is_v2(facts) else None) for a in answers]
        return [output if isinstance(output, QAPrediction) else QAPrediction(*output) for output in run.outputs]

    def score(self, split: Split, predictions: list[QAPrediction], facts: DatasetFacts) -> TaskScore:
        ids = [str(i) for i in split.ids]
        references = {i: list(a["text"]) for i, a in zip(ids, split.answers or [], strict=True)}
        answers = {i: p.text for i, p in zip(ids, predictions, strict=True)}
        given = [p.no_answer_probability for p in predictions]
        na_probs = dict(zip(ids, given)) if all(p is not None for p in given) else None
        if is_v2(facts):
            official = squad.squad_v2(predictions=answers, references=references, na_probs=na_probs)
            per_example = squad.per_example_v2(predictions=answers, references=references, na_probs=na_probs)
            exact_key = "exact"
        else:
            official = squad.squad_v1(predictions=answers, references=references)
            per_example = squad.per_example_v1(predictions=answers, references=references)
            exact_key = "exact_match"
        has_answer = np.array([bool(references[i]) for i in ids])
        metrics = self._with_intervals(official, per_example, exact_key, has_answer)
        examples = [
            {
                "id": example_id, "gold": references[key], "predicted": answers[key],
                "no_answer_probability": None if na_probs is None else float(na_probs[key]),
                "has_answer": bool(has), exact_key: float(per_example[exact_key][row]), "f1": float(per_example["f1"][row]),
            }
            for row, (example_id, key, has) in enumerate(zip(split.ids, ids, has_answer, strict=True))
        ]
        details = {
            "squad_version": "2.0" if is_v2(facts) else "1.1",
            "official": official,
            "no_answer_probabilities": na_probs is not None,
            "bootstrap": {"n_resamples": self.n_resamples, "confidence": self.confidence, "seed": self.seed},
        }
        return TaskScore(metrics, details, examples)

    def _with_intervals(self, official: dict[str, Any], per_example: dict[str, np.ndarray], exact_key: str,
                        has_answer: np.ndarray) -> dict[str, dict[str, float | None]]:
        subsets = {"": np.ones_like(has_answer), "HasAns_": has_answer, "NoAns_": ~has_answer}
        metrics: dict[str, dict[str, float | None]] = {}
        for prefix, mask in subsets.items():
            if not mask.any() or f"{prefix}f1" not in official:
                continue
            intervals = bootstrap.mean_intervals(
                {name: per_example[name][mask] for name in (exact_key, "f1")}, scale=100.0,
                n_resamples=self.n_resamples, confidence=self.confidence, seed=self.seed,
            )
            for name in ("f1", exact_key):
                metrics[f"{prefix}{name}"] = metric_entry(official[f"{prefix}{name}"], intervals[name].low, intervals[name].high)
        for name in ("best_f1", "best_f1_thresh", "best_exact", "best_exact_thresh"):
            if name in official:
                metrics[name] = {"value": float(official[name]), "ci_low": None, "ci_high": None}
        return metrics

    def paired_pvalue(self, leader: list[dict[str, Any]], other: list[dict[str, Any]], metric: str,
                      facts: DatasetFacts) -> float | None:
        """Paired bootstrap on per-question scores; None for best_* (their thresholds are fitted per system)."""
        prefix, _, name = metric.rpartition("_") if metric.startswith(("HasAns_", "NoAns_")) else ("", "", metric)
        if name not in ("f1", "exact", "exact_match"):
            return None
        keep = [row["has_answer"] == (prefix == "HasAns") if prefix else True for row in leader]
        a = np.array([row[name] for row, k in zip(leader, keep) if k])
        b = np.array([row[name] for row, k in zip(other, keep) if k])
        if len(a) == 0:
            return None
        return float(bootstrap.paired_mean_pvalue(a, b, n_resamples=self.n_resamples, seed=self.seed))


def is_v2(facts: DatasetFacts) -> bool:
    return facts.options.get("squad_version", "1.1") == "2.0"
