"""Language modeling: word perplexity, byte perplexity and bits per byte of documents, from each document's
log-likelihood as lm-evaluation-harness 0.4's `loglikelihood_rolling` computes it (`metrics.py`).

Models are predictions files (JSONL `{"id", "loglikelihood"}`: a model scored elsewhere, by lm_eval say), local
causal language models scored over rolling windows (`adapters.py`, `windows.py`), models behind OpenAI-compatible
servers that echo prompt log-probabilities, each document sent whole (`endpoint_documents.py`), and the byte-level
baselines (`baselines.py`). The board ranks by word_perplexity, lowest first (every metric of the family is lower-is-better;
a perfect model, which gives every document probability 1, has perplexity 1 and 0 bits per byte). There is no
per-document "right": a document counts as exactly right only when the model gives it probability 1, so
`--errors` and a comparison's contingency table say little here; the paired tests on the metrics say more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.models.language_models import CAUSAL_SUFFIXES
from benchhub.tasks.base import (
    DemoTour,
    DetailTable,
    FamilyOption,
    Sample,
    TaskFamily,
    TaskScore,
    check_columns,
    inputs_text,
    refuse_settings,
)
from benchhub.tasks.language_modeling import metrics as lm

if TYPE_CHECKING:
    from pathlib import Path

    from benchhub.data.readers import Table
    from benchhub.data.records import ColumnMapping, DatasetFacts
    from benchhub.metrics.bootstrap import PairedDifference
    from benchhub.models.base import Model, RunOutput
    from benchhub.models.endpoints import Endpoint
    from benchhub.tasks.base import DemoTour

COLUMNS = (FamilyOption("text", "Column holding each document's text (default: text)."),)
SETTINGS = (
    FamilyOption("document_prefix", "For a model behind an endpoint whose tokenizer puts no BOS token first: the text "
                                    "sent before every document, unscored, so its first token is conditioned as "
                                    "lm-evaluation-harness conditions it (the model's BOS or EOS token as text, e.g. "
                                    "'<|endoftext|>' for GPT-2; language modeling)."),
)
LONGEST_PREFIX = 1000
CELL_MAX = 60


@dataclass(frozen=True)
class LanguageModeling(TaskFamily):
    name: str = "language-modeling"
    version: str = "1"
    title: str = "Language Modeling"
    metric_scale: float = 1.0  # a perfect model's word perplexity
    primary_metric: str = "word_perplexity"
    board_metrics: tuple[str, ...] = ("word_perplexity", "bits_per_byte", "byte_perplexity")
    report_metrics: tuple[str, ...] = ("word_perplexity", "byte_perplexity", "bits_per_byte")
    lower_is_better: frozenset[str] = frozenset(lm.PERPLEXITY_METRICS)
    scale_note: str = ("are perplexities (1 is perfect) and bits per byte (0 is perfect), lower is better, as "
                       "lm-evaluation-harness 0.4 computes them from each document's log-likelihood")
    data_formats: str = ("CSV, JSONL, JSON, Parquet, save_to_disk folders or hub ids with a text column, one document a "
                         "row, or a plain .txt file of documents separated by blank lines.")
    predictions_hint: str = 'JSONL {"id", "loglikelihood"}'
    predictions_suffixes: tuple[str, ...] = (".jsonl",)
    predictions_keys: frozenset[str] = frozenset({"loglikelihood"})
    predictions_filename: str = "predictions.jsonl"
    baselines: tuple[str, ...] = ("ngram", "uniform-bytes")
    column_roles: tuple[FamilyOption, ...] = COLUMNS
    # max_length None: the model's own context length, as lm_eval resolves it (config, then tokenizer, then 2048).
    transformers_defaults: tuple[tuple[str, Any], ...] = (("max_length", None), ("document_prefix", None))
    evaluation_settings: tuple[FamilyOption, ...] = SETTINGS
    auto_class: str = "AutoModelForCausalLM"
    head_suffix: tuple[str, ...] = CAUSAL_SUFFIXES
    head_outputs: tuple[str, ...] = ("logits",)
    exports_onnx: bool = False
    demo: DemoTour | None = DemoTour("lm-sample", "tiny-gpt-lm-sample", "language_modeling_sample",
                                     ("train.jsonl", "test.jsonl"), "baseline:ngram", "bits_per_byte",
                                     columns=(("id", "id"),), from_scratch=True,
                                     generates=(("summarization", "baseline:lead-3"),
                                                ("code-generation", "baseline:retrieval")))
    sample: Sample | None = Sample("language_modeling_sample", ("train.jsonl", "test.jsonl"), (("id", "id"),))
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    @property
    def metric_versions(self) -> dict[str, str]:
        return {"perplexity": lm.VERSION, "bootstrap": bootstrap.VERSION}

    # Data ----------------------------------------------------------------------------------------
    def column_mapping(self, columns: dict[str, str | None]) -> ColumnMapping:
        from benchhub.data.records import ColumnMapping

        given = check_columns(self, columns)
        text = given["text"] or "text"
        return ColumnMapping(text=text, label=None, id=given["id"], split=given["split"], roles={"text": text})

    def read_source(self, source: str, mapping: ColumnMapping, *, revision: str | None) -> Any:
        from pathlib import Path

        from benchhub.tasks.language_modeling.documents import (
            TEXT_SUFFIX,
            read_text_documents,
        )

        path = Path(source).expanduser()
        if path.is_file() and path.suffix.lower() == TEXT_SUFFIX:
            return read_text_documents(path)
        return super().read_source(source, mapping, revision=revision)

    def read_file(self, path: Path, mapping: ColumnMapping) -> Table:
        from benchhub.tasks.language_modeling.documents import (
            TEXT_SUFFIX,
            read_text_documents,
        )

        if path.suffix.lower() == TEXT_SUFFIX:
            return read_text_documents(path)
        return super().read_file(path, mapping)

    def build_splits(self, tables: dict[str, Table], mapping: ColumnMapping, *,
                     origin: dict[str, str]) -> tuple[dict[str, Split], list[str]]:
        from benchhub.tasks.language_modeling.documents import build_document_splits

        return build_document_splits(tables, mapping, origin=origin)

    def dataset_options(self, splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
        refuse_settings(self.name, settings)
        return {}

    def has_references(self, split: Split) -> bool:
        """The documents are what is scored: every split of documents has them."""
        return bool(split.texts)

    def label_counts(self, split: Split) -> dict[str, int]:
        """No labels: the documents, their words and their bytes, as the metrics count them."""
        return {"documents": len(split), "words": sum(map(lm.count_words, split.texts)),
                "bytes": sum(map(lm.count_bytes, split.texts))}

    def example_labels(self, split: Split) -> list[frozenset[str]]:
        return [frozenset() for _ in split.ids]

    def label_values(self, labels: list[str]) -> list[str]:
        return []

    def predicted_labels(self, row: dict[str, Any]) -> frozenset[str]:
        return frozenset()

    def describe_splits(self, splits: list[Any], labels: list[str]) -> str:
        return ", ".join(f"{s.name} {s.num_rows}" for s in splits) + " documents"

    def input_row(self, split: Split, index: int, *, with_gold: bool) -> dict[str, Any]:
        """The document: it is both what a model reads and what it is scored on."""
        return {"id": split.ids[index], "text": split.texts[index]}

    def bench_split(self, text: str, batch_size: int) -> Split:
        return Split(name="bench", ids=list(range(batch_size)), texts=[text] * batch_size)

    # Views ---------------------------------------------------------------------------------------
    def example_table(self, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
        """Id, the document (shortened, where rows carry it), its words and bytes, its log-likelihood and bits per byte."""
        shown = any("inputs" in r for r in rows)
        header = ["id", *(["document"] if shown else []), "words", "bytes", "log-likelihood", "bits per byte"]
        return header, [
            [str(r["id"]), *([inputs_text(r.get("inputs"), limit=CELL_MAX)] if shown else []), str(r["words"]),
             str(r["bytes"]), f"{float(r['loglikelihood']):.3f}", f"{float(r['bits_per_byte']):.3f}"]
            for r in rows
        ]

    def value_text(self, value: Any) -> str:
        return "-" if value is None else f"{float(value):.3f}"

    def example_correct(self, row: dict[str, Any]) -> bool:
        """Given probability 1 (log-likelihood 0): the only per-document "exactly right" a language model has."""
        return bool(row.get("correct"))

    def detail_tables(self, details: dict[str, Any]) -> list[DetailTable]:
        """The totals behind the ratios, and how the words and bytes are counted."""
        totals = details.get("totals")
        if not totals:
            return []
        rows = [["documents", str(totals["documents"])], ["words", str(totals["words"])], ["bytes", str(totals["bytes"])],
                ["log-likelihood (nats)", f"{totals['loglikelihood']:.3f}"]]
        rows += [[f"{key} counted as", str(value)] for key, value in (details.get("settings") or {}).items()
                 if key in ("words", "bytes")]
        return [DetailTable("Totals", ["field", "value"], rows)]

    # Scoring -------------------------------------------------------------------------------------
    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        return lm.PERPLEXITY_METRICS

    def collect(self, model: Model, split: Split, run: RunOutput, facts: DatasetFacts) -> list[float]:
        """One log-likelihood per document: a window model's windows summed in order, as lm_eval sums them."""
        from benchhub.tasks.language_modeling.windows import Window

        if run.items and isinstance(run.items[0], Window):
            windows: list[list[float]] = [[] for _ in split.ids]
            for item, output in zip(run.items, run.outputs, strict=True):
                windows[item.document].append(float(output))
            return [sum(scores) for scores in windows]
        for example_id, output in zip(split.ids, run.outputs, strict=True):
            if isinstance(output, bool) or not isinstance(output, (int, float)) or not math.isfinite(output):
                raise InvalidInputError(f"Document {example_id!r}: the model gave {output!r}, not a finite log-likelihood.")
        return [float(output) for output in run.outputs]

    def score(self, split: Split, predictions: list[float], facts: DatasetFacts) -> TaskScore:
        scores = lm.perplexity_metrics(loglikelihoods=predictions, documents=split.texts, n_resamples=self.n_resamples,
                                       confidence=self.confidence, seed=self.seed)
        per = scores.per_document
        examples = [
            {"id": example_id, "gold": None, "predicted": float(ll), "loglikelihood": float(ll), "words": int(words),
             "bytes": int(bytes_), "bits_per_byte": -float(ll) / int(bytes_) / math.log(2), "correct": float(ll) == 0.0}
            for example_id, ll, words, bytes_ in zip(split.ids, per["loglikelihood"], per["words"], per["bytes"], strict=True)
        ]
        details = {
            "settings": scores.settings, "bootstrap": scores.settings["bootstrap"],
            "totals": {"documents": len(split), "words": int(per["words"].sum()), "bytes": int(per["bytes"].sum()),
                       "loglikelihood": float(sum(predictions))},
        }
        return TaskScore(scores.metrics, details, examples)

    def paired_test(self, a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str,
                    facts: DatasetFacts) -> PairedDifference | None:
        """Both systems on the same resamples of documents, each ratio recomputed from resampled sums."""
        if metric not in lm.PERPLEXITY_METRICS:
            return None
        first, second = (_scores_of(rows) for rows in (a, b))
        return lm.paired_test(first, second, metric, n_resamples=self.n_resamples, confidence=self.confidence,
                              seed=self.seed)

    def predictions_from_rows(self, rows: list[dict[str, Any]], facts: DatasetFacts) -> list[float]:
        return [float(row["loglikelihood"]) for row in rows]

    def gold_predictions(self, split: Split, facts: DatasetFacts) -> list[float]:
        """Every document given probability 1 (log-likelihood 0): perplexity 1, 0 bits per byte."""
        return [0.0 for _ in split.ids]

    def write_predictions(self, path: Path, split: Split, predictions: list[float], facts: DatasetFacts) -> None:
        from benchhub.tasks.language_modeling.predictions import write_loglikelihoods

        write_loglikelihoods(path, split.ids, predictions)

    # Models --------------------------------------------------------------------------------------
    def check_setting(self, name: str, value: Any) -> None:
        if name == "document_prefix":
            if not isinstance(value, str) or not value or len(value) > LONGEST_PREFIX:
                raise InvalidInputError.naming(lambda spell: f"{spell.setting('document_prefix')} must be a non-empty text "
                                                             f"of at most {LONGEST_PREFIX} characters. Got {value!r:.60} instead.")
            return
        super().check_setting(name, value)

    def load_network(self, folder: Path, facts: DatasetFacts, *, label_map: dict[str, str] | None,
                     settings: dict[str, Any], runtime: str) -> Model:
        from benchhub.tasks.language_modeling.adapters import CausalLanguageModel

        if runtime == "onnx":
            raise InvalidInputError(f"{folder.name}: language modeling runs causal language models on PyTorch only "
                                    "(runtime torch, torch-bf16 or torch-fp16), not ONNX Runtime.")
        if settings.get("document_prefix") is not None:
            raise InvalidInputError(f"{folder.name}: --document-prefix is for models behind OpenAI-compatible servers; a "
                                    "local model puts its tokenizer's BOS (else EOS) token first, as lm-evaluation-harness "
                                    "does (leave --document-prefix out).")
        return CausalLanguageModel(folder, runtime=runtime, max_length=settings.get("max_length"))

    def endpoint_model(self, endpoint: Endpoint, facts: DatasetFacts, *, settings: dict[str, Any],
                       cache_folder: Path) -> Model:
        """Each document sent whole to the server, scored by its echoed prompt log-probabilities after the prefix."""
        from benchhub.models.endpoints import EndpointClient
        from benchhub.tasks.language_modeling.endpoint_documents import (
            EndpointLanguageModel,
        )

        if settings.get("max_length") is not None:
            raise InvalidInputError("--max-length does not apply to a model behind an endpoint: each document is sent "
                                    "whole and the server's context bounds it (leave --max-length out).")
        return EndpointLanguageModel(EndpointClient(endpoint, cache_folder=cache_folder),
                                     prefix=settings.get("document_prefix"))

    def predictions_model(self, path: Path, facts: DatasetFacts, *, na_probs: Path | None = None) -> Model:
        from benchhub.tasks.language_modeling.adapters import PredictionsLikelihoods

        if na_probs is not None:
            raise InvalidInputError("--na-probs applies to question-answering datasets only.")
        return PredictionsLikelihoods(path)

    def check_predictions_syntax(self, path: Path) -> None:
        from benchhub.tasks.language_modeling.predictions import (
            read_loglikelihood_lines,
        )

        read_loglikelihood_lines(path)

    def check_predictions_file(self, path: Path, *, split: Split, labels: list[str], max_bytes: int,
                               max_depth: int) -> None:
        from benchhub.data.submission_files import check_json_lines
        from benchhub.tasks.language_modeling.predictions import read_loglikelihoods

        check_json_lines(path, max_depth)
        read_loglikelihoods(path, ids=split.ids, max_bytes=max_bytes)

    def baseline_classes(self) -> dict[str, type]:
        from benchhub.tasks.language_modeling.baselines import BASELINES

        return {name: BASELINES[name] for name in self.baselines}

    def reference_baselines(self, facts: DatasetFacts) -> tuple[str, ...]:
        """Both: the n-gram model fitted on train, and the uniform floor of 8 bits per byte."""
        return self.baselines

    def finetune(self, base: Path, train: Split, labels: list[str], output: Path, *, config: Any,
                 show_progress: bool) -> dict[str, Any]:
        raise InvalidInputError(f"{self.name} has no fine-tuning recipe; fine-tune elsewhere and register the checkpoint "
                                "with `benchhub model add`.")

    def scratch_config(self, epochs: float | None) -> Any:
        from benchhub.tasks.language_modeling.training import CausalTrainingConfig

        return CausalTrainingConfig() if epochs is None else CausalTrainingConfig(epochs=epochs)

    def train_from_scratch(self, train: Split, output: Path, *, config: Any, show_progress: bool) -> dict[str, Any]:
        """A small GPT-2 and its byte-level vocabulary trained on the documents (`training.train_causal_lm`)."""
        from benchhub.tasks.language_modeling.training import train_causal_lm

        return train_causal_lm(train, output, config=config, show_progress=show_progress)

    # Probes --------------------------------------------------------------------------------------
    def default_probes(self, facts: DatasetFacts) -> tuple[list[Any], list[Any]]:
        """None: a probe counts flipped predictions, and a log-likelihood changes with any change to the text."""
        return [], []

    def calibration_inputs(self, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        return None


def _scores_of(rows: list[dict[str, Any]]) -> lm.PerplexityScores:
    """A system's per-document log-likelihoods, words and bytes from its stored rows, with its metric values."""
    per_document = {"loglikelihood": np.array([float(r["loglikelihood"]) for r in rows], dtype=np.float64),
                    "words": np.array([int(r["words"]) for r in rows], dtype=np.int64),
                    "bytes": np.array([int(r["bytes"]) for r in rows], dtype=np.int64)}
    values = lm.metric_values(sum(float(r["loglikelihood"]) for r in rows), int(per_document["words"].sum()),
                              int(per_document["bytes"].sum()))
    return lm.PerplexityScores({name: {"value": value} for name, value in values.items()}, per_document, {})
