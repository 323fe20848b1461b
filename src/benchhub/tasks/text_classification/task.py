"""The text-classification task: argmax decoding, classification metrics with bootstrap CIs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.tasks.base import (
    DemoTour,
    DetailTable,
    FamilyOption,
    TaskFamily,
    TaskScore,
    check_columns,
    inputs_text,
    metric_entry,
    per_label_table,
    plain,
    refuse_settings,
)
from benchhub.tasks.text_classification import bootstrap as classification_bootstrap
from benchhub.tasks.text_classification import metrics as classification

if TYPE_CHECKING:
    from pathlib import Path

    from benchhub.data.records import ColumnMapping, DatasetFacts
    from benchhub.metrics.bootstrap import PairedDifference
    from benchhub.models.base import Model, RunOutput

HEADLINE = ("accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall")


COLUMNS = (
    FamilyOption("text", "Column holding the text (default: text)."),
    FamilyOption("text_pair", "Second text column, for sentence pairs."),
    FamilyOption("label", "Column holding the gold label (default: label)."),
)


@dataclass(frozen=True)
class TextClassification(TaskFamily):
    name: str = "text-classification"
    version: str = "1"
    title: str = "Text Classification"
    board_metrics: tuple[str, ...] = ("macro_f1", "accuracy")
    report_metrics: tuple[str, ...] = ("accuracy", "macro_f1", "weighted_f1")
    scale_note: str = "are fractions (0–1)"
    data_formats: str = 'CSV, JSONL, JSON, Parquet, save_to_disk folders or hub ids with a text column and a label column (and an optional second text).'
    predictions_hint: str = 'JSONL {"id", "label"} or CSV id,label'
    predictions_suffixes: tuple[str, ...] = (".jsonl", ".csv")
    predictions_keys: frozenset[str] = frozenset({"label"})  # the keys a JSON line of its files holds
    predictions_filename: str = "predictions.jsonl"
    # embedding-logreg last: every board shows the others; it runs an encoder over every text, so a board shows
    # it once it has been evaluated (`benchhub eval --model baseline:embedding-logreg`).
    baselines: tuple[str, ...] = ("majority", "keyword", "tfidf-logreg", "embedding-logreg")
    column_roles: tuple[FamilyOption, ...] = COLUMNS
    takes_rules: bool = True
    demo: DemoTour | None = DemoTour("support-intents", "minilm-support-intents", "sample", ("train.jsonl", "test.jsonl"),
                                     "baseline:keyword", "macro_f1", optimize=True,
                                     columns=(("id", "id"),))
    metric_scale: float = 1.0
    primary_metric: str = "macro_f1"
    transformers_defaults: tuple[tuple[str, Any], ...] = (("max_length", 512),)
    auto_class: str = "AutoModelForSequenceClassification"
    head_suffix: str = "ForSequenceClassification"
    head_outputs: tuple[str, ...] = ("logits",)
    metrics: tuple[str, ...] = HEADLINE
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    @property
    def metric_versions(self) -> dict[str, str]:
        return {"classification": classification.VERSION, "bootstrap": bootstrap.VERSION}

    def dataset_options(self, splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
        refuse_settings(self.name, settings)
        return {}

    def column_mapping(self, columns: dict[str, str | None]) -> ColumnMapping:
        from benchhub.data.records import ColumnMapping

        given = check_columns(self, columns)
        return ColumnMapping(text=given["text"] or "text", label=given["label"] or "label", id=given["id"],
                             text_pair=given["text_pair"], split=given["split"])

    def example_table(self, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
        shown = any("inputs" in r for r in rows)
        header = ["id", *(["text"] if shown else []), "gold", "predicted", "correct", "score"]
        return header, [[str(r["id"]), *([inputs_text(r.get("inputs"))] if shown else []), r["gold"], r["predicted"],
                         "yes" if r["correct"] else "no", f"{max(r['scores'].values()):.3f}"] for r in rows]

    def detail_tables(self, details: dict[str, Any]) -> list[DetailTable]:
        return [per_label_table("Per class", details["per_class"], "class")] if details.get("per_class") else []

    def confusion(self, details: dict[str, Any]) -> tuple[list[str], list[list[int]]] | None:
        if "confusion_matrix" not in details:
            return None
        return list(details["labels"]), [list(map(int, row)) for row in details["confusion_matrix"]]

    def slice_metric(self, metric: str, subset: Split) -> tuple[str, str | None]:
        """A slice of one gold label ranks by accuracy (that label's recall): a macro average would count every
        other label as an F1 of 0, so a perfect model would score 1 / number of labels."""
        gold = set(subset.labels or [])
        if metric.startswith("macro_") and len(gold) == 1:
            return "accuracy", (f"ranked by accuracy (the recall of {next(iter(gold))!r}): every example of this slice has "
                                f"that label, and {metric} would average in labels it does not have.")
        return metric, None

    def example_confidence(self, row: dict[str, Any]) -> float | None:
        """The score of the predicted label."""
        return float(max(row["scores"].values())) if row.get("scores") else None

    def example_labels(self, split: Split) -> list[frozenset[str]]:
        return [frozenset((label,)) for label in split.labels or []]

    def load_network(self, folder: Path, facts: DatasetFacts, *, label_map: dict[str, str] | None,
                     settings: dict[str, Any], runtime: str) -> Model:
        from benchhub.tasks.text_classification.transformers_classifier import (
            TransformersClassifier,
        )

        return TransformersClassifier(folder, dataset_labels=list(facts.labels), label_map=label_map, runtime=runtime,
                                      **settings)

    def predictions_model(self, path: Path, facts: DatasetFacts, *, na_probs: Path | None = None) -> Model:
        from benchhub.tasks.text_classification.adapters import PredictionsClassifier

        if na_probs is not None:
            raise InvalidInputError("--na-probs applies to question-answering datasets only.")
        return PredictionsClassifier(path, dataset_labels=list(facts.labels))

    def check_predictions_syntax(self, path: Path) -> None:
        from benchhub.tasks.text_classification.predictions import read_label_pairs

        read_label_pairs(path)

    def check_predictions_file(self, path: Path, *, split: Split, labels: list[str], max_bytes: int,
                               max_depth: int) -> None:
        from benchhub.data.submission_files import check_json_lines
        from benchhub.tasks.text_classification.predictions import (
            read_label_predictions,
        )

        if path.suffix.lower() != ".csv":
            check_json_lines(path, max_depth)
        read_label_predictions(path, ids=split.ids, labels=labels, max_bytes=max_bytes)

    def baseline_classes(self) -> dict[str, type]:
        from benchhub.tasks.text_classification.baselines import BASELINES

        return {name: BASELINES[name] for name in self.baselines}

    def reference_baselines(self, facts: DatasetFacts) -> tuple[str, ...]:
        return tuple(name for name in self.baselines if name != "embedding-logreg")

    def rules_class(self) -> type:
        from benchhub.tasks.text_classification.baselines.regex import RegexBaseline

        return RegexBaseline

    def rules_baseline(self, path: Path, train: Split, facts: DatasetFacts) -> Any:
        from benchhub.tasks.text_classification.baselines.regex import RegexBaseline

        return RegexBaseline.from_yaml(path, list(facts.labels)).fit(train.joined_texts(), train.labels or [])

    def predictions_from_rows(self, rows: list[dict[str, Any]], facts: DatasetFacts) -> np.ndarray:
        """One-hot rows of the stored predicted labels: the task scores their argmax, and the rows'
        rounded scores could tie where the model's raw scores did not."""
        column = {label: index for index, label in enumerate(facts.labels)}
        unknown = next((row for row in rows if row.get("predicted") not in column), None)
        if unknown is not None:
            raise InvalidInputError(
                f"Example {unknown.get('id')!r} predicts {unknown.get('predicted')!r}, not one of the labels {facts.labels}."
            )
        scores = np.zeros((len(rows), len(facts.labels)))
        scores[np.arange(len(rows)), [column[row["predicted"]] for row in rows]] = 1.0
        return scores

    def input_row(self, split: Split, index: int, *, with_gold: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"id": split.ids[index], "text": split.texts[index]}
        if split.text_pairs is not None:
            item["text_pair"] = split.text_pairs[index]
        if with_gold and split.labels is not None:
            item["label"] = split.labels[index]
        return item

    def gold_predictions(self, split: Split, facts: DatasetFacts) -> np.ndarray:
        return self.predictions_from_rows([{"id": i, "predicted": y} for i, y in zip(split.ids, split.labels or [])], facts)

    def write_predictions(self, path: Path, split: Split, predictions: np.ndarray, facts: DatasetFacts) -> None:
        """JSONL {"id", "label"}: each example's highest-scoring label."""
        from benchhub.data.records import canonical_json

        labels = list(facts.labels)
        path.write_text("".join(canonical_json({"id": example_id, "label": labels[int(row.argmax())]}) + "\n"
                                for example_id, row in zip(split.ids, predictions, strict=True)), encoding="utf-8")

    def bench_split(self, text: str, batch_size: int) -> Split:
        return Split(name="bench", ids=list(range(batch_size)), texts=[text] * batch_size)

    def finetune_config(self, epochs: float | None) -> Any:
        from benchhub.tasks.text_classification.finetune import FinetuneConfig

        return FinetuneConfig() if epochs is None else FinetuneConfig(epochs=epochs)

    def finetune(self, base: Path, train: Split, labels: list[str], output: Path, *, config: Any,
                 show_progress: bool) -> dict[str, Any]:
        from benchhub.tasks.text_classification.finetune import finetune_classifier

        return finetune_classifier(base, train, labels, output, config=config, show_progress=show_progress)

    def default_probes(self, facts: DatasetFacts) -> tuple[list[Any], list[Any]]:
        from benchhub.tasks.text_classification.probes.suite import (
            default_templates,
            default_text_suite,
        )

        labels = list(facts.labels)
        return default_text_suite(labels), default_templates(labels)

    def suite_probes(self, path: Path, labels: list[str]) -> tuple[list[Any], list[Any]]:
        from benchhub.tasks.text_classification.probes.suite import load_suite

        probes, templates = load_suite(path, labels=labels)
        return probes, templates

    def probe_not_applicable(self, probe: Any, labels: list[str]) -> str | None:
        from benchhub.tasks.text_classification.probes.suite import (
            not_applicable_reason,
        )

        return not_applicable_reason(probe, labels)

    def calibration_inputs(self, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not rows or not rows[0].get("scores"):
            return None
        return {
            "confidences": np.array([max(row["scores"].values()) for row in rows]),
            "correct": np.array([1.0 if row["correct"] else 0.0 for row in rows]),
            "confidence": "probability of the predicted label",
            "quality": "1 if the predicted label is the gold label",
        }

    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        return self.metrics

    def collect(self, model: Model, split: Split, run: RunOutput, facts: DatasetFacts) -> np.ndarray:
        """Stacks per-example probability rows into an (n, labels) array."""
        return run.scores

    def score(self, split: Split, scores: np.ndarray, facts: DatasetFacts) -> TaskScore:
        """Scores argmax predictions against the split's gold labels."""
        labels = facts.labels
        column = {label: index for index, label in enumerate(labels)}
        references = np.array([column[label] for label in split.labels or []], dtype=np.int64)
        predictions = scores.argmax(axis=1).astype(np.int64)
        n_labels = len(labels)
        values = classification.classification_metrics(predictions=predictions, references=references, n_labels=n_labels)
        intervals = classification_bootstrap.bootstrap_intervals(
            predictions=predictions, references=references, n_labels=n_labels,
            n_resamples=self.n_resamples, confidence=self.confidence, seed=self.seed,
        )
        metrics = {
            name: metric_entry(values[name], intervals[name].low, intervals[name].high) for name in self.metrics
        }
        per_class = classification.per_class_scores(predictions=predictions, references=references, n_labels=n_labels)
        details = {
            "labels": labels,
            "per_class": {
                label: {key: plain(per_class[key][i]) for key in ("precision", "recall", "f1", "support")}
                for i, label in enumerate(labels)
            },
            "confusion_matrix": classification.confusion_matrix(
                predictions=predictions, references=references, n_labels=n_labels
            ).tolist(),
            "bootstrap": {"n_resamples": self.n_resamples, "confidence": self.confidence, "seed": self.seed},
        }
        examples = [
            {
                "id": example_id,
                "gold": gold,
                "predicted": labels[int(predicted)],
                "correct": labels[int(predicted)] == gold,
                "scores": {label: round(float(p), 6) for label, p in zip(labels, row)},
            }
            for example_id, gold, predicted, row in zip(split.ids, split.labels or [], predictions, scores, strict=True)
        ]
        return TaskScore(metrics, details, examples)

    def paired_test(self, a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str,
                    facts: DatasetFacts) -> PairedDifference | None:
        """Paired bootstrap on the two systems' predicted labels for the same examples."""
        if metric not in classification_bootstrap.SCORE_NAMES:
            return None
        column = {label: index for index, label in enumerate(facts.labels)}
        gold = np.array([column[row["gold"]] for row in a], dtype=np.int64)
        return classification_bootstrap.paired_bootstrap_difference(
            references=gold,
            predictions_a=np.array([column[row["predicted"]] for row in a], dtype=np.int64),
            predictions_b=np.array([column[row["predicted"]] for row in b], dtype=np.int64),
            n_labels=len(facts.labels), metric=metric, n_resamples=self.n_resamples, confidence=self.confidence,
            seed=self.seed,
        )

