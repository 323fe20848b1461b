"""Extractive question answering, scored exactly like the official SQuAD v1.1 / v2.0 scripts.

A dataset with unanswerable questions is scored with v2.0 semantics (exact, f1, HasAns_*,
NoAns_*, and best_* when the model gives no-answer probabilities); otherwise with v1.1
(exact_match, f1). Scores are on the official 0–100 scale; exact and f1 carry bootstrap CIs.
"""

from __future__ import annotations

import math
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
    check_count,
    input_ids,
    input_text,
    inputs_text,
    metric_entry,
    refuse_settings,
)
from benchhub.tasks.question_answering import metrics as squad
from benchhub.tasks.question_answering.outputs import QAPrediction

if TYPE_CHECKING:
    from pathlib import Path

    from benchhub.data.readers import Table
    from benchhub.data.records import ColumnMapping, DatasetFacts
    from benchhub.metrics.bootstrap import PairedDifference
    from benchhub.models.base import Model, RunOutput

V2_METRICS = ("f1", "exact", "HasAns_f1", "HasAns_exact", "NoAns_f1", "NoAns_exact",
              "best_f1", "best_f1_thresh", "best_exact", "best_exact_thresh")
V1_METRICS = ("f1", "exact_match")


COLUMNS = (
    FamilyOption("question", "Column holding the question (default: question)."),
    FamilyOption("context", "Column holding the context (default: context)."),
    FamilyOption("answers", "Column holding {text: [...], answer_start: [...]} (default: answers)."),
)
SETTINGS = (
    FamilyOption("doc_stride", "Tokens of overlap between windows of a long context (default 128).", int),
    FamilyOption("max_answer_length", "Longest answer in tokens (default 30).", int),
    FamilyOption("null_threshold", "SQuAD v2.0: abstain when null score - best span > this (default 0).", float),
)
# The fixed question of `benchhub bench`'s synthetic inputs (the context grows to the sequence length).
BENCH_QUESTION = "what is this about"


@dataclass(frozen=True)
class QuestionAnswering(TaskFamily):
    name: str = "question-answering"
    version: str = "1"
    title: str = "Question Answering"
    board_metrics: tuple[str, ...] = ("f1", "exact", "exact_match", "HasAns_f1", "NoAns_f1", "best_f1")
    report_metrics: tuple[str, ...] = ("exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1")
    scale_note: str = "follow the official SQuAD script (0–100)"
    data_formats: str = 'SQuAD v1.1/v2.0 JSON, or JSONL/Parquet/save_to_disk/hub data with SQuAD-style columns (id, question, context, answers).'
    predictions_hint: str = "SQuAD JSON {id: answer}"
    predictions_suffixes: tuple[str, ...] = (".json",)
    predictions_keys: frozenset[str] = frozenset()  # the keys a JSON line of its files holds
    predictions_filename: str = "predictions.json"
    baselines: tuple[str, ...] = ("sliding-window", "context-only", "question-only", "always-no-answer")
    column_roles: tuple[FamilyOption, ...] = COLUMNS
    evaluation_settings: tuple[FamilyOption, ...] = SETTINGS
    bench_question: str | None = BENCH_QUESTION
    demo: DemoTour | None = DemoTour("qa-sample", "minilm-qa-sample", "qa_sample", ("train.json", "test.json"),
                                     "baseline:sliding-window", "f1", columns=(("id", "id"),))
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

    def dataset_options(self, splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
        """SQuAD v2.0 semantics when any split has an unanswerable question, else v1.1."""
        refuse_settings(self.name, settings)
        unanswerable = any(not answer["text"] for split in splits.values() for answer in split.field("answers") or [])
        return {"squad_version": "2.0" if unanswerable else "1.1"}

    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        return V2_METRICS if is_v2(facts) else V1_METRICS

    def check_setting(self, name: str, value: Any) -> None:
        if name == "null_threshold":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InvalidInputError.naming(
                    lambda spell: f"{spell.setting('null_threshold')} must be a finite number. Got {value!r} instead.")
            return
        check_count(name, value, low=0 if name == "doc_stride" else 1)

    # Data: SQuAD-style columns, or SQuAD v1.1/v2.0 JSON documents read whole.
    def column_mapping(self, columns: dict[str, str | None]) -> ColumnMapping:
        from benchhub.data.records import ColumnMapping

        given = check_columns(self, columns)
        question, context = given["question"] or "question", given["context"] or "context"
        answers = given["answers"] or "answers"
        # Without a named id column, the "id" column when every source has one, else the row index.
        return ColumnMapping(text=question, text_pair=context, label=None, id=given["id"], split=given["split"],
                             fields={"answers": answers, "is_impossible": "is_impossible"},
                             roles={"question": question, "context": context, "answers": answers}, default_id="id")

    def read_source(self, source: str, mapping: ColumnMapping, *, revision: str | None) -> Any:
        from benchhub.data.readers import read_source
        from benchhub.tasks.question_answering.squad_files import squad_rows

        return read_source(source, revision=revision, documents=squad_rows)

    def read_file(self, path: Path, mapping: ColumnMapping) -> Table:
        from benchhub.data.readers import read_file
        from benchhub.tasks.question_answering.squad_files import squad_rows

        return read_file(path, documents=squad_rows)

    def build_splits(self, tables: dict[str, Table], mapping: ColumnMapping, *,
                     origin: dict[str, str]) -> tuple[dict[str, Split], list[str]]:
        from benchhub.data.splits import build_splits
        from benchhub.tasks.question_answering.squad_files import answers_reader

        return build_splits(tables, mapping, origin=origin, read_fields=answers_reader(mapping))

    def example_table(self, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
        shown = any("inputs" in r for r in rows)
        header = ["id", *(["question | context"] if shown else []), "gold answers", "predicted", "no-answer p", "f1"]
        return header, [
            [str(r["id"]), *([inputs_text(r.get("inputs"))] if shown else []), " | ".join(r["gold"]) or "(no answer)",
             r["predicted"] or "(no answer)",
             "-" if r.get("no_answer_probability") is None else f"{r['no_answer_probability']:.3f}", f"{r['f1']:.2f}"]
            for r in rows
        ]

    def value_text(self, value: Any) -> str:
        """Gold answers joined by " | ", an answer as it is; nothing is "(no answer)"."""
        text = " | ".join(value) if isinstance(value, list) else str(value)
        return text or "(no answer)"

    def detail_tables(self, details: dict[str, Any]) -> list[DetailTable]:
        """The official script's output, as it prints it."""
        official = details.get("official") or {}
        rows = [[name, f"{value:.3f}" if isinstance(value, float) else str(value)] for name, value in official.items()]
        return [DetailTable("Official SQuAD script", ["field", "value"], rows)] if rows else []

    def example_correct(self, row: dict[str, Any]) -> bool:
        """An exact match (after SQuAD's normalisation) with one of the gold answers."""
        return float(row.get("exact", row.get("exact_match", 0.0))) == 1.0

    def example_confidence(self, row: dict[str, Any]) -> float | None:
        """The probability of what it did: 1 - p(no answer) for an answer, p(no answer) for an abstention."""
        p = row.get("no_answer_probability")
        if p is None:
            return None
        return float(p) if not row["predicted"] else 1.0 - float(p)

    def predicted_labels(self, row: dict[str, Any]) -> frozenset[str]:
        return frozenset(("answerable" if row["predicted"] else "unanswerable",))

    def inputs_split(self, rows: list[tuple[str, dict[str, Any]]], name: str) -> Split:
        """Rows {"id", "question", "context"}."""
        return Split(name, input_ids(rows), [input_text(where, row, "question") for where, row in rows],
                     [input_text(where, row, "context") for where, row in rows])

    def has_references(self, split: Split) -> bool:
        return split.field("answers") is not None

    def label_counts(self, split: Split) -> dict[str, int]:
        """Answerable vs unanswerable questions."""
        answers = split.field("answers") or []
        unanswerable = sum(1 for answer in answers if not answer["text"])
        return {"answerable": len(answers) - unanswerable, "unanswerable": unanswerable}

    def example_labels(self, split: Split) -> list[frozenset[str]]:
        return [frozenset(("answerable" if answer["text"] else "unanswerable",)) for answer in split.field("answers") or []]

    def label_values(self, labels: list[str]) -> list[str]:
        return ["answerable", "unanswerable"]

    # Models
    def load_network(self, folder: Path, facts: DatasetFacts, *, label_map: dict[str, str] | None,
                     settings: dict[str, Any], runtime: str) -> Model:
        from benchhub.tasks.question_answering.transformers_qa import TransformersQA

        return TransformersQA(folder, runtime=runtime, **settings)

    def predictions_model(self, path: Path, facts: DatasetFacts, *, na_probs: Path | None = None) -> Model:
        from benchhub.tasks.question_answering.adapters import QAPredictionsModel

        return QAPredictionsModel(path, na_probs=na_probs)

    def check_predictions_syntax(self, path: Path) -> None:
        from benchhub.tasks.question_answering.predictions import read_answer_pairs

        read_answer_pairs(path)

    def check_predictions_file(self, path: Path, *, split: Split, labels: list[str], max_bytes: int,
                               max_depth: int) -> None:
        from benchhub.data.submission_files import check_json_document
        from benchhub.tasks.question_answering.predictions import (
            read_answer_predictions,
        )

        check_json_document(path, max_depth)
        read_answer_predictions(path, ids=split.ids, max_bytes=max_bytes)

    def baseline_classes(self) -> dict[str, type]:
        from benchhub.tasks.question_answering.baselines import QA_BASELINES

        return {name: QA_BASELINES[name] for name in self.baselines}

    def reference_baselines(self, facts: DatasetFacts) -> tuple[str, ...]:
        """Always-no-answer only under SQuAD v2.0 (under v1.1 every question has an answer)."""
        return self.baselines if is_v2(facts) else tuple(name for name in self.baselines if name != "always-no-answer")

    def predictions_from_rows(self, rows: list[dict[str, Any]], facts: DatasetFacts) -> list[QAPrediction]:
        return [QAPrediction(row["predicted"], row.get("no_answer_probability")) for row in rows]

    def input_row(self, split: Split, index: int, *, with_gold: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"id": split.ids[index], "question": split.texts[index],
                                "context": (split.text_pairs or [])[index]}
        if with_gold and split.field("answers") is not None:
            item["answers"] = split.field("answers")[index]
        return item

    def gold_predictions(self, split: Split, facts: DatasetFacts) -> list[QAPrediction]:
        """The first gold answer of each question ("" for an unanswerable one)."""
        return [QAPrediction(answer["text"][0] if answer["text"] else "") for answer in split.field("answers") or []]

    def write_predictions(self, path: Path, split: Split, predictions: list[QAPrediction], facts: DatasetFacts) -> None:
        """SQuAD JSON {id: answer text} ("" abstains), one entry per example as given (a repeated id stays repeated)."""
        import json

        entries = (f"{json.dumps(str(example_id), ensure_ascii=False)}: {json.dumps(p.text, ensure_ascii=False)}"
                   for example_id, p in zip(split.ids, predictions, strict=True))
        path.write_text("{" + ", ".join(entries) + "}\n", encoding="utf-8")

    def write_na_probs(self, path: Path, split: Split, predictions: list[QAPrediction]) -> bool:
        """SQuAD's no-answer probability file {id: probability}, where every prediction has one (a model's do)."""
        import json

        if not predictions or any(p.no_answer_probability is None for p in predictions):
            return False
        entries = (f"{json.dumps(str(example_id), ensure_ascii=False)}: {float(p.no_answer_probability)!r}"
                   for example_id, p in zip(split.ids, predictions, strict=True))
        path.write_text("{" + ", ".join(entries) + "}\n", encoding="utf-8")
        return True

    def bench_split(self, text: str, batch_size: int) -> Split:
        return Split(name="bench", ids=list(range(batch_size)), texts=[BENCH_QUESTION] * batch_size,
                     text_pairs=[text] * batch_size)

    def finetune_config(self, epochs: float | None) -> Any:
        from benchhub.tasks.question_answering.finetune import QAFinetuneConfig

        return QAFinetuneConfig() if epochs is None else QAFinetuneConfig(epochs=epochs)

    def finetune(self, base: Path, train: Split, labels: list[str], output: Path, *, config: Any,
                 show_progress: bool) -> dict[str, Any]:
        from benchhub.tasks.question_answering.finetune import finetune_qa

        return finetune_qa(base, train.texts, train.text_pairs or [], train.field("answers") or [], output, config=config,
                           show_progress=show_progress)

    def describe_splits(self, splits: list[Any], labels: list[str]) -> str:
        return ", ".join(f"{s.name} {s.num_rows} ({s.label_counts['unanswerable']} unanswerable)" for s in splits)

    # Probes
    def default_probes(self, facts: DatasetFacts) -> tuple[list[Any], list[Any]]:
        from benchhub.tasks.question_answering.probes.suite import default_qa_suite

        return default_qa_suite(), []

    def calibration_inputs(self, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not rows or rows[0].get("no_answer_probability") is None:
            return None
        return {
            "confidences": np.array([1.0 - float(row["no_answer_probability"]) for row in rows]),
            "correct": np.array([float(row["f1"]) for row in rows]),
            "confidence": "1 - no-answer probability",
            "quality": "f1 of the answer (abstaining on an unanswerable question scores 1)",
        }

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
        references = {i: list(a["text"]) for i, a in zip(ids, split.field("answers") or [], strict=True)}
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

    def paired_test(self, a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str,
                    facts: DatasetFacts) -> PairedDifference | None:
        """Paired bootstrap on per-question scores; None for best_* (their thresholds are fitted per system)."""
        prefix, _, name = metric.rpartition("_") if metric.startswith(("HasAns_", "NoAns_")) else ("", "", metric)
        if name not in ("f1", "exact", "exact_match"):
            return None
        keep = [row["has_answer"] == (prefix == "HasAns") if prefix else True for row in a]
        first = np.array([row[name] for row, k in zip(a, keep) if k])
        second = np.array([row[name] for row, k in zip(b, keep) if k])
        if len(first) == 0:
            return None
        return bootstrap.paired_mean_difference(first, second, scale=self.metric_scale,  # rows hold 0-1 scores
                                                n_resamples=self.n_resamples, confidence=self.confidence, seed=self.seed)


def is_v2(facts: DatasetFacts) -> bool:
    return facts.options.get("squad_version", "1.1") == "2.0"
