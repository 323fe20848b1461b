"""Multiple choice (ARC, HellaSwag, MMLU style): a question, its choices, the index of the right one.

Scored as lm-evaluation-harness 0.4 scores `output_type: multiple_choice` (`metrics.py`): `acc` picks
the choice with the largest log-likelihood, `acc_norm` the largest per character of the choice's text.
Models are local causal language models (`causal_chooser.py`: each choice's log-likelihood after the
dataset's prompt, as lm-evaluation-harness's HFLM computes it), predictions files (a list of
log-likelihoods per question, or a choice), the built-in baselines, which read only the choices
(`baselines/`), and models behind OpenAI-compatible servers, scored by echoed prompt log-probabilities
(`endpoint_chooser.py`) or, with `--choice-by letters`, by the letter they generate (`letter_chooser.py`; acc
only). The prompt template and the few-shot prefix are fixed at registration (`prompts.py`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.models.language_models import CAUSAL_SUFFIXES, SEQ2SEQ_SUFFIXES
from benchhub.tasks.base import (
    DemoTour,
    DetailTable,
    FamilyOption,
    Sample,
    TaskFamily,
    TaskScore,
    check_columns,
    input_ids,
    inputs_text,
)
from benchhub.tasks.multiple_choice import metrics as choice_metrics
from benchhub.tasks.multiple_choice import scoring
from benchhub.tasks.multiple_choice.outputs import ChoicePrediction
from benchhub.tasks.multiple_choice.reading import CHOICES, GOLD

if TYPE_CHECKING:
    from pathlib import Path

    from benchhub.data.readers import Table
    from benchhub.data.records import ColumnMapping, DatasetFacts
    from benchhub.metrics.bootstrap import PairedDifference
    from benchhub.models.base import Model, RunOutput
    from benchhub.models.endpoints import Endpoint

COLUMNS = (
    FamilyOption("question", "Column holding the question (default: question)."),
    FamilyOption("choices", "Column holding the list of choices (default: choices; in CSV a JSON list in the cell)."),
    FamilyOption("answer", "Column holding the right choice: its 0-based index or its text (default: answer)."),
)
WHAT_RUNS = ('multiple-choice models are causal language models (*ForCausalLM, *LMHeadModel), predictions files (JSONL '
             '{"id", "loglikelihoods"} or {"id", "choice"}) and the built-in baselines (baseline:majority-position, '
             "baseline:longest-choice, baseline:choices-only)")
DATASET_SETTINGS = (
    FamilyOption("prompt_template", "The context a language model scores each choice after, with {question} "
                                    "(multiple choice; default lm-evaluation-harness's ARC prompt "
                                    "'Question: {question}\\nAnswer:'; each choice follows after a space)."),
    FamilyOption("num_fewshot", "Answered train questions to put before every question, drawn once with seed 1234 "
                                "(multiple choice; default 0).", int),
)
CHOICE_BY = ("loglikelihood", "letters")
SETTINGS = (
    FamilyOption("choice_by", "How a model behind an endpoint chooses: loglikelihood (each choice scored by the server's "
                              "echoed prompt log-probabilities; acc and acc_norm) or letters (the question with lettered "
                              "choices, the letter it generates read back; acc only). Default loglikelihood."),
)


@dataclass(frozen=True)
class MultipleChoice(TaskFamily):
    name: str = "multiple-choice"
    version: str = "1"
    title: str = "Multiple Choice"
    metric_scale: float = 1.0
    primary_metric: str = "acc"
    board_metrics: tuple[str, ...] = ("acc", "acc_norm")
    report_metrics: tuple[str, ...] = ("acc", "acc_norm")
    scale_note: str = "are fractions (0–1) of questions answered right, as lm-evaluation-harness 0.4 computes acc and acc_norm"
    data_formats: str = ("CSV (the choices a JSON list in the cell), JSONL, JSON, Parquet, save_to_disk folders or hub ids "
                         "with a question column, a choices column and an answer column (an index or the choice's text).")
    predictions_hint: str = 'JSONL {"id", "loglikelihoods": [one per choice]} or {"id", "choice": index}'
    predictions_suffixes: tuple[str, ...] = (".jsonl",)
    predictions_keys: frozenset[str] = frozenset({"loglikelihoods", "choice"})  # the keys a JSON line of its files holds
    predictions_filename: str = "predictions.jsonl"
    baselines: tuple[str, ...] = ("majority-position", "longest-choice", "choices-only")
    column_roles: tuple[FamilyOption, ...] = COLUMNS
    dataset_settings: tuple[FamilyOption, ...] = DATASET_SETTINGS
    evaluation_settings: tuple[FamilyOption, ...] = SETTINGS
    # The few-shot prefix holds train questions with their gold answers: the server never shows it (a benchmark may
    # hide any split, train included); the ids of its questions are shown.
    internal_options: frozenset[str] = frozenset({"fewshot_prefix"})
    transformers_defaults: tuple[tuple[str, Any], ...] = (("max_length", 2048), ("choice_by", "loglikelihood"))
    auto_class: str = "AutoModelForCausalLM"
    head_suffix: str | tuple[str, ...] = CAUSAL_SUFFIXES
    head_outputs: tuple[str, ...] = ("logits",)
    exports_onnx: bool = False
    demo: DemoTour | None = None
    sample: Sample | None = Sample("multiple_choice_sample", ("train.jsonl", "test.jsonl"), (("id", "id"),))
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    @property
    def metric_versions(self) -> dict[str, str]:
        return {"multiple_choice": choice_metrics.VERSION, "bootstrap": bootstrap.VERSION}

    # Data ----------------------------------------------------------------------------------------
    def column_mapping(self, columns: dict[str, str | None]) -> ColumnMapping:
        from benchhub.data.records import ColumnMapping

        given = check_columns(self, columns)
        question, choices, answer = given["question"] or "question", given["choices"] or "choices", given["answer"] or "answer"
        # Without a named id column, the "id" column when every source has one, else the row index.
        return ColumnMapping(text=question, label=None, id=given["id"], split=given["split"],
                             fields={CHOICES: choices, "answer": answer},
                             roles={"question": question, "choices": choices, "answer": answer}, default_id="id")

    def build_splits(self, tables: dict[str, Table], mapping: ColumnMapping, *,
                     origin: dict[str, str]) -> tuple[dict[str, Split], list[str]]:
        from benchhub.tasks.multiple_choice.reading import build_choice_splits

        return build_choice_splits(tables, mapping, origin=origin)

    def dataset_options(self, splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
        """How many choices a question has (a number, or "low-high"), and the prompt language models read
        (`prompts.prompt_options`: the template, and the few-shot prefix drawn from the train split)."""
        from benchhub.tasks.multiple_choice.prompts import prompt_options

        unknown = sorted(set(settings) - {option.name for option in self.dataset_settings})
        if unknown:
            raise InvalidInputError.naming(
                lambda spell: f"{spell.setting(unknown[0])} does not apply to {self.name} datasets; they take "
                              f"{', '.join(spell.setting(option.name) for option in self.dataset_settings)}.")
        counts = sorted({len(choices) for split in splits.values() for choices in split.field(CHOICES) or []})
        return {"choices_per_question": counts[0] if len(counts) == 1 else f"{counts[0]}-{counts[-1]}",
                **prompt_options(splits, settings)}

    def has_references(self, split: Split) -> bool:
        return split.field(GOLD) is not None

    def label_counts(self, split: Split) -> dict[str, int]:
        """Questions per gold position ("0" is the first choice), every position the split's questions have."""
        counts = Counter(split.field(GOLD) or [])
        widest = max((len(choices) for choices in split.field(CHOICES) or []), default=0)
        return {str(position): counts.get(position, 0) for position in range(widest)}

    def example_labels(self, split: Split) -> list[frozenset[str]]:
        """A question's gold position (`--slice label=0`: the questions whose first choice is right)."""
        return [frozenset((str(gold),)) for gold in split.field(GOLD) or []]

    def describe_splits(self, splits: list[Any], labels: list[str]) -> str:
        return ", ".join(f"{s.name} {s.num_rows}" for s in splits) + f" questions, up to {len(labels)} choices"

    def input_row(self, split: Split, index: int, *, with_gold: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"id": split.ids[index], "question": split.texts[index],
                                "choices": list((split.field(CHOICES) or [])[index])}
        if with_gold and split.field(GOLD) is not None:
            item["answer"] = split.field(GOLD)[index]
        return item

    def inputs_split(self, rows: list[tuple[str, dict[str, Any]]], name: str) -> Split:
        """Rows {"id", "question", "choices"}, checked as a registered split's are."""
        from benchhub.data.records import ColumnMapping
        from benchhub.tasks.multiple_choice.reading import build_choice_split

        ids = input_ids(rows)
        keyed = [{**row, "id": example_id} for example_id, (_, row) in zip(ids, rows, strict=True)]
        mapping = ColumnMapping(text="question", label=None, id="id", fields={CHOICES: "choices", "answer": "answer"})
        return build_choice_split(name, keyed, mapping, where=rows[0][0].split(",")[0], with_gold=False)

    def bench_split(self, text: str, batch_size: int) -> Split:
        choices = [text, f"not {text}", "both", "neither"]
        return Split(name="bench", ids=list(range(batch_size)), texts=[text] * batch_size,
                     fields={CHOICES: [list(choices) for _ in range(batch_size)]})

    # Views ---------------------------------------------------------------------------------------
    def example_table(self, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
        """Gold and picked positions (acc's pick, and acc_norm's where the model gave log-likelihoods); rows with
        their inputs show the question and its numbered choices."""
        shown = any("inputs" in r for r in rows)
        header = ["id", *(["question | choices"] if shown else []), "gold", "predicted", "predicted (norm)", "correct",
                  "confidence"]
        return header, [
            [str(r["id"]), *([_question_text(r.get("inputs"))] if shown else []), str(r["gold"]),
             "unparsed" if r["predicted"] is None else str(r["predicted"]),
             "-" if r.get("predicted_norm") is None else str(r["predicted_norm"]), "yes" if r["correct"] else "no",
             "-" if r.get("confidence") is None else f"{r['confidence']:.3f}"]
            for r in rows
        ]

    def detail_tables(self, details: dict[str, Any]) -> list[DetailTable]:
        """Accuracy by the gold answer's position, and how often each position is picked (position bias)."""
        positions = details.get("positions")
        if not positions:
            return []
        total = sum(p["gold"] for p in positions.values()) or 1
        by_gold = DetailTable("Accuracy by gold position", ["position", "questions", "right", "acc"],
                              [[label, str(p["gold"]), str(p["correct"]), "-" if not p["gold"] else f"{p['correct'] / p['gold']:.3f}"]
                               for label, p in positions.items()])
        picked = DetailTable("Positions picked (position bias)", ["position", "picked", "share picked", "share gold"],
                             [[label, str(p["predicted"]), f"{p['predicted'] / total:.3f}", f"{p['gold'] / total:.3f}"]
                              for label, p in positions.items()])
        tables = [by_gold, picked]
        if details.get("acc_norm", "").startswith("not reported"):
            tables.append(DetailTable("acc_norm", ["note"], [[details["acc_norm"]]]))
        if details.get("unparsed"):
            tables.append(DetailTable("Unparsed answers", ["questions", "note"],
                                      [[str(details["unparsed"]), "no choice could be read from the answer; counted wrong"]]))
        return tables

    def confusion(self, details: dict[str, Any]) -> tuple[list[str], list[list[int]]] | None:
        if "confusion_matrix" not in details:
            return None
        return list(details["labels"]), [list(map(int, row)) for row in details["confusion_matrix"]]

    def value_text(self, value: Any) -> str:
        return str(value)

    def example_confidence(self, row: dict[str, Any]) -> float | None:
        """The softmax of the log-likelihoods at the choice picked (None for a model that gives only choices)."""
        value = row.get("confidence")
        return None if value is None else float(value)

    def calibration_inputs(self, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        scored = [row for row in rows if row.get("confidence") is not None]
        if not rows or len(scored) != len(rows):
            return None
        return {
            "confidences": np.array([float(row["confidence"]) for row in rows]),
            "correct": np.array([1.0 if row["correct"] else 0.0 for row in rows]),
            "confidence": "softmax of the choices' log-likelihoods at the choice picked",
            "quality": "1 if the picked choice is the right one",
        }

    # Scoring -------------------------------------------------------------------------------------
    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        return choice_metrics.CHOICE_METRICS

    def collect(self, model: Model, split: Split, run: RunOutput, facts: DatasetFacts) -> list[ChoicePrediction]:
        return [output if isinstance(output, ChoicePrediction) else ChoicePrediction(int(output)) for output in run.outputs]

    def score(self, split: Split, predictions: list[ChoicePrediction], facts: DatasetFacts) -> TaskScore:
        widest = max([len(facts.labels), *(len(choices) for choices in split.field(CHOICES) or [])])
        return scoring.score_choices(split, predictions, positions=widest, n_resamples=self.n_resamples,
                                     confidence=self.confidence, seed=self.seed)

    def paired_test(self, a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str,
                    facts: DatasetFacts) -> PairedDifference | None:
        """Paired bootstrap over questions; None for acc_norm where either system gave only choices."""
        return scoring.paired_rows(a, b, metric, n_resamples=self.n_resamples, confidence=self.confidence, seed=self.seed)

    def predictions_from_rows(self, rows: list[dict[str, Any]], facts: DatasetFacts) -> list[ChoicePrediction]:
        return [scoring.prediction_of(row) for row in rows]

    def gold_predictions(self, split: Split, facts: DatasetFacts) -> list[ChoicePrediction]:
        return [ChoicePrediction(gold) for gold in split.field(GOLD) or []]

    def write_predictions(self, path: Path, split: Split, predictions: list[ChoicePrediction], facts: DatasetFacts) -> None:
        from benchhub.tasks.multiple_choice.predictions import write_choice_predictions

        write_choice_predictions(path, split.ids, predictions)

    # Models --------------------------------------------------------------------------------------
    def check_setting(self, name: str, value: Any) -> None:
        if name == "choice_by":
            if value not in CHOICE_BY:
                raise InvalidInputError.naming(lambda spell: f"{spell.setting('choice_by')} must be one of "
                                                             f"{', '.join(CHOICE_BY)}. Got {value!r} instead.")
            return
        super().check_setting(name, value)

    def checkpoint_refusal(self, architectures: Any) -> str | None:
        """A sequence-to-sequence checkpoint (no causal-LM head) is refused: choices are scored by causal LMs."""
        from benchhub.tasks.multiple_choice.causal_chooser import seq2seq_refusal

        named = [a for a in architectures or [] if isinstance(a, str)]
        if any(a.endswith(CAUSAL_SUFFIXES) for a in named):
            return None
        seq2seq = [a for a in named if a.endswith(SEQ2SEQ_SUFFIXES)]
        return seq2seq_refusal(seq2seq[0]) if seq2seq else None

    def load_network(self, folder: Path, facts: DatasetFacts, *, label_map: dict[str, str] | None,
                     settings: dict[str, Any], runtime: str) -> Model:
        """The causal LM at `folder`, scoring choices after the dataset's prompt (PyTorch only: no ONNX export)."""
        from benchhub.tasks.multiple_choice.causal_chooser import CausalChooser
        from benchhub.tasks.multiple_choice.prompts import Prompt

        if runtime == "onnx":
            raise InvalidInputError(f"{folder.name}: multiple-choice runs causal language models on PyTorch, not ONNX "
                                    "Runtime; register the checkpoint folder itself.")
        settings = dict(settings)
        if settings.pop("choice_by", "loglikelihood") != "loglikelihood":
            raise InvalidInputError(f"{folder.name}: --choice-by letters is for models behind OpenAI-compatible servers; a "
                                    "local causal language model scores every choice's log-likelihood (leave --choice-by out).")
        return CausalChooser(folder, prompt=Prompt.of(facts.options), runtime=runtime, **settings)

    def endpoint_model(self, endpoint: Endpoint, facts: DatasetFacts, *, settings: dict[str, Any],
                       cache_folder: Path) -> Model:
        """Choices scored by the server's echoed prompt log-probabilities after the dataset's prompt, or (`choice_by`
        letters) the letter the server generates for the question with its lettered choices."""
        from benchhub.models.endpoints import EndpointClient
        from benchhub.tasks.multiple_choice.endpoint_chooser import EndpointChooser
        from benchhub.tasks.multiple_choice.letter_chooser import LetterChooser
        from benchhub.tasks.multiple_choice.prompts import Prompt

        if settings.get("choice_by") == "letters":
            return LetterChooser(EndpointClient(endpoint, cache_folder=cache_folder),
                                 num_fewshot=int(facts.options.get("num_fewshot", 0)))
        return EndpointChooser(EndpointClient(endpoint, cache_folder=cache_folder), prompt=Prompt.of(facts.options))

    def finetune_config(self, epochs: float | None) -> Any:
        raise InvalidInputError(f"{self.name} has no fine-tuning recipe: {WHAT_RUNS}.")

    def finetune(self, base: Path, train: Split, labels: list[str], output: Path, *, config: Any,
                 show_progress: bool) -> dict[str, Any]:
        raise InvalidInputError(f"{self.name} has no fine-tuning recipe: {WHAT_RUNS}.")

    def predictions_model(self, path: Path, facts: DatasetFacts, *, na_probs: Path | None = None) -> Model:
        from benchhub.tasks.multiple_choice.adapters import PredictionsChooser

        if na_probs is not None:
            raise InvalidInputError("--na-probs applies to question-answering datasets only.")
        return PredictionsChooser(path)

    def check_predictions_syntax(self, path: Path) -> None:
        from benchhub.tasks.multiple_choice.predictions import read_choice_lines

        read_choice_lines(path)

    def check_predictions_file(self, path: Path, *, split: Split, labels: list[str], max_bytes: int,
                               max_depth: int) -> None:
        from benchhub.data.submission_files import check_json_lines
        from benchhub.tasks.multiple_choice.predictions import read_choice_predictions

        check_json_lines(path, max_depth, negative_infinity=True)
        read_choice_predictions(path, ids=split.ids, choices=split.field(CHOICES) or [], max_bytes=max_bytes)

    def baseline_classes(self) -> dict[str, type]:
        from benchhub.tasks.multiple_choice.baselines import BASELINES

        return {name: BASELINES[name] for name in self.baselines}

    def reference_baselines(self, facts: DatasetFacts) -> tuple[str, ...]:
        """All three: none runs a model, and together they show the floor and the choices-only shortcut."""
        return self.baselines

    # Probes --------------------------------------------------------------------------------------
    def default_probes(self, facts: DatasetFacts) -> tuple[list[Any], list[Any]]:
        """The choices asked in other orders (`probes.ChoiceRotations`: choice-order sensitivity and CircularEval)."""
        from benchhub.tasks.multiple_choice.probes import ChoiceRotations

        return [ChoiceRotations()], []

def _question_text(inputs: dict[str, Any] | None) -> str:
    if not inputs:
        return ""
    choices = " ".join(f"({i}) {choice}" for i, choice in enumerate(inputs.get("choices") or []))
    return inputs_text({"question": inputs.get("question"), "choices": choices})
