"""Summarization: ROUGE-1/2/L/Lsum equal to Google's rouge_score against one or more reference summaries.

Metrics are mean F-measures over examples on 0-1, with bootstrap intervals over examples. The board ranks
by rouge2: of the ROUGE variants it is among those that agree best with human judgements of summaries
(Owczarzak et al. 2012; Graham 2015, where ROUGE-2 with stemming ranked at the top), and it does not depend
on how sentences are split, as rougeLsum does; rouge1, rougeL and rougeLsum are shown beside it. The
stemmer and the tokenizer are fixed when the dataset is registered, so every evaluation of a dataset, every
submission and every paired test on its boards uses the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.tasks.base import DetailTable, FamilyOption, Sample, TaskScore
from benchhub.tasks.summarization import metrics as rouge
from benchhub.tasks.text_to_text.family import COLUMNS, TextToTextFamily, exact_match
from benchhub.tasks.text_to_text.fewshot import NUM_FEWSHOT
from benchhub.tasks.text_to_text.references import REFERENCES

if TYPE_CHECKING:
    from benchhub.data.records import DatasetFacts
    from benchhub.metrics.bootstrap import PairedDifference
    from benchhub.tasks.base import DemoTour

DATASET_SETTINGS = (
    FamilyOption("use_stemmer", "Porter-stem words longer than three letters before matching, as rouge_score's "
                                "use_stemmer (default true).", bool),
    FamilyOption("rouge_tokenizer", f"How ROUGE finds words: {' or '.join(rouge.TOKENIZERS)} (default rouge_score: "
                                    "lowercase a-z and 0-9 only; unicode keeps the letters of every script)."),
    NUM_FEWSHOT,
)


@dataclass(frozen=True)
class Summarization(TextToTextFamily):
    name: str = "summarization"
    version: str = "1"
    title: str = "Summarization"
    metric_scale: float = 1.0
    primary_metric: str = "rouge2"
    board_metrics: tuple[str, ...] = ("rouge2", "rouge1", "rougeL", "rougeLsum")
    report_metrics: tuple[str, ...] = ("rouge1", "rouge2", "rougeL", "rougeLsum")
    row_scores: tuple[str, ...] = ("rouge2", "rougeL")
    scale_note: str = "are mean ROUGE F-measures over examples (0–1), as rouge_score computes them"
    data_formats: str = ("CSV, JSONL, JSON, Parquet, save_to_disk folders or hub ids with a document column and a "
                         "summary column (a string, or a list of several reference summaries).")
    predictions_hint: str = 'JSONL {"id", "text"}'
    predictions_suffixes: tuple[str, ...] = (".jsonl",)
    predictions_keys: frozenset[str] = frozenset({"text"})
    predictions_filename: str = "predictions.jsonl"
    # extractive-oracle last and not on every board: it reads the references (an upper bound), and its greedy
    # search scores every sentence of every document several times.
    baselines: tuple[str, ...] = ("lead-3", "random-3", "extractive-oracle")
    column_roles: tuple[FamilyOption, ...] = COLUMNS
    dataset_settings: tuple[FamilyOption, ...] = DATASET_SETTINGS
    input_default: str = "document"
    target_default: str = "summary"
    # What a causal language model reads (seq2seq models read the input as it is); the generation settings,
    # the head (seq2seq and causal language models) and the defaults come from TextToTextFamily.
    prompt_default: str = "{input}\n\nSummary:"
    # The same instruction reworded (the prompt-paraphrase probes).
    prompt_paraphrases: tuple[str, ...] = ("{input}\n\nTL;DR:", "Summarize the following text.\n\n{input}\n\nSummary:")
    demo: DemoTour | None = None
    sample: Sample | None = Sample("summarization_sample", ("train.jsonl", "test.jsonl"), (("id", "id"),))
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    @property
    def metric_versions(self) -> dict[str, str]:
        return {"rouge": rouge.VERSION, "rouge_score": version("rouge-score"), "bootstrap": bootstrap.VERSION}

    def scoring_options(self, splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
        """The stemmer and tokenizer every evaluation of the dataset scores with."""
        unknown = sorted(set(settings) - {"use_stemmer", "rouge_tokenizer"})
        if unknown:
            raise InvalidInputError(f"--{unknown[0].replace('_', '-')} does not apply to {self.name} datasets; "
                                    "they take --use-stemmer/--no-use-stemmer, --rouge-tokenizer and --num-fewshot.")
        use_stemmer = settings.get("use_stemmer", True)
        if not isinstance(use_stemmer, bool):
            raise InvalidInputError(f"--use-stemmer must be true or false. Got {use_stemmer!r} instead.")
        tokenizer = settings.get("rouge_tokenizer", "rouge_score")
        if tokenizer not in rouge.TOKENIZERS:
            raise InvalidInputError(f"--rouge-tokenizer must be one of {', '.join(rouge.TOKENIZERS)}. Got {tokenizer!r} instead.")
        return {"use_stemmer": use_stemmer, "rouge_tokenizer": tokenizer}

    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        return rouge.ROUGE_METRICS

    def baseline_classes(self) -> dict[str, type]:
        from benchhub.tasks.summarization.baselines import BASELINES

        return {name: BASELINES[name] for name in self.baselines}

    def reference_baselines(self, facts: DatasetFacts) -> tuple[str, ...]:
        return ("lead-3", "random-3")

    def score(self, split: Split, predictions: list[str], facts: DatasetFacts) -> TaskScore:
        references = split.field(REFERENCES) or []
        scores = rouge.rouge_metrics(predictions=predictions, references=references, use_stemmer=_stemmer(facts),
                                     tokenizer=_tokenizer(facts), n_resamples=self.n_resamples,
                                     confidence=self.confidence, seed=self.seed)
        examples = [
            {"id": example_id, "gold": list(golds), "predicted": text,
             **{name: float(scores.per_example[name][row]) for name in rouge.ROUGE_METRICS},
             "correct": exact_match(text, list(golds))}
            for row, (example_id, golds, text) in enumerate(zip(split.ids, references, predictions, strict=True))
        ]
        details = {
            "settings": scores.settings,
            "lengths": {"mean generated words": float(np.mean([len(text.split()) for text in predictions])),
                        "mean reference words": float(np.mean([len(text.split()) for golds in references for text in golds]))},
            "exact_matches": sum(row["correct"] for row in examples),
            "bootstrap": scores.settings["bootstrap"],
        }
        return TaskScore(scores.metrics, details, examples)

    def paired_test(self, a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str,
                    facts: DatasetFacts) -> PairedDifference | None:
        """Paired bootstrap over examples on the stored per-example F-measures."""
        if metric not in rouge.ROUGE_METRICS:
            return None
        settings = {"use_stemmer": _stemmer(facts), "tokenizer": _tokenizer(facts), "sentence_splitter": rouge.SENTENCE_SPLITTER}
        first, second = (rouge.RougeScores({}, {metric: np.array([float(row[metric]) for row in rows])}, settings)
                         for rows in (a, b))
        return rouge.paired_test(first, second, metric, n_resamples=self.n_resamples, confidence=self.confidence,
                                 seed=self.seed)

    def detail_tables(self, details: dict[str, Any]) -> list[DetailTable]:
        """How ROUGE was computed (stemmer, tokenizer, sentence splitter, package version) and the mean lengths."""
        settings = details.get("settings") or {}
        rows = [[key, str(settings[key])] for key in ("use_stemmer", "tokenizer", "sentence_splitter", "multiple_references",
                                                      "rouge_score") if key in settings]
        rows += [[key, f"{value:.1f}"] for key, value in (details.get("lengths") or {}).items()]
        if "exact_matches" in details:
            rows.append(["exact matches (whitespace-normalised)", str(details["exact_matches"])])
        return [DetailTable("ROUGE settings and lengths", ["field", "value"], rows)] if rows else []


def _stemmer(facts: DatasetFacts) -> bool:
    return bool(facts.options.get("use_stemmer", True))


def _tokenizer(facts: DatasetFacts) -> str:
    return str(facts.options.get("rouge_tokenizer", "rouge_score"))
