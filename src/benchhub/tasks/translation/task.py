"""Translation: corpus BLEU, chrF and chrF++ equal to sacrebleu 2.x against one or more references per source.

Metrics are on sacrebleu's 0-100 scale, ranked by bleu, with bootstrap intervals that resample sentences and
recompute each resample's corpus score from summed statistics. sacrebleu's signature of each metric is stored
with every result and shown with it. BLEU's tokenizer is fixed when the dataset is registered (13a by default;
zh, ja-mecab, char or intl for text that 13a does not split into words), so every evaluation of a dataset, every
submission and every paired test on its boards uses the same one.
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
from benchhub.tasks.text_to_text.family import COLUMNS, TextToTextFamily, exact_match
from benchhub.tasks.text_to_text.fewshot import NUM_FEWSHOT
from benchhub.tasks.text_to_text.references import REFERENCES
from benchhub.tasks.translation import metrics as sacre

if TYPE_CHECKING:
    from benchhub.data.records import DatasetFacts
    from benchhub.metrics.bootstrap import PairedDifference
    from benchhub.tasks.base import DemoTour

DATASET_SETTINGS = (
    FamilyOption("bleu_tokenizer", f"How BLEU splits text into words, as sacrebleu's --tokenize: {', '.join(sacre.TOKENIZERS)} "
                                   "(default 13a; zh for Chinese, ja-mecab for Japanese where MeCab is installed, char or "
                                   "intl for other scripts). chrF reads characters and needs none."),
    NUM_FEWSHOT,
)
DEFAULT_TOKENIZER = "13a"


@dataclass(frozen=True)
class Translation(TextToTextFamily):
    name: str = "translation"
    version: str = "1"
    title: str = "Translation"
    metric_scale: float = 100.0
    primary_metric: str = "bleu"
    board_metrics: tuple[str, ...] = ("bleu", "chrf", "chrf_plus_plus")
    report_metrics: tuple[str, ...] = ("bleu", "chrf", "chrf_plus_plus")
    row_scores: tuple[str, ...] = ("bleu", "chrf")
    scale_note: str = "are corpus scores on sacrebleu's 0–100 scale, with sacrebleu's signatures"
    data_formats: str = ("CSV, JSONL, JSON, Parquet, save_to_disk folders or hub ids with a source column and a target "
                         "column (a string, or a list of several reference translations).")
    predictions_hint: str = 'JSONL {"id", "text"}'
    predictions_suffixes: tuple[str, ...] = (".jsonl",)
    predictions_keys: frozenset[str] = frozenset({"text"})
    predictions_filename: str = "predictions.jsonl"
    baselines: tuple[str, ...] = ("copy-source",)
    column_roles: tuple[FamilyOption, ...] = COLUMNS
    dataset_settings: tuple[FamilyOption, ...] = DATASET_SETTINGS
    input_default: str = "source"
    target_default: str = "target"
    # What a causal language model reads (seq2seq models read the input as it is); the generation settings,
    # the head (seq2seq and causal language models) and the defaults come from TextToTextFamily.
    prompt_default: str = "Translate to the target language:\n{input}\nTranslation:"
    # The same instruction reworded (the prompt-paraphrase probes).
    prompt_paraphrases: tuple[str, ...] = ("Translate the following text into the target language:\n{input}\nTranslation:",
                                           "Text: {input}\nThe same text in the target language:")
    demo: DemoTour | None = None
    sample: Sample | None = Sample("translation_sample", ("train.jsonl", "test.jsonl"), (("id", "id"),))
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    @property
    def metric_versions(self) -> dict[str, str]:
        return {"sacrebleu_scores": sacre.VERSION, "sacrebleu": version("sacrebleu"), "bootstrap": bootstrap.VERSION}

    def scoring_options(self, splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
        """BLEU's tokenizer, checked to be one sacrebleu has here."""
        unknown = sorted(set(settings) - {"bleu_tokenizer"})
        if unknown:
            raise InvalidInputError(f"--{unknown[0].replace('_', '-')} does not apply to {self.name} datasets; "
                                    "they take --bleu-tokenizer and --num-fewshot.")
        tokenizer = settings.get("bleu_tokenizer", DEFAULT_TOKENIZER)
        if tokenizer not in sacre.TOKENIZERS:
            raise InvalidInputError(f"--bleu-tokenizer must be one of {', '.join(sacre.TOKENIZERS)}. Got {tokenizer!r} instead.")
        try:
            sacre.sentence_statistics(predictions=["a"], references=["a"], tokenize=tokenizer)
        except InvalidInputError:
            raise InvalidInputError(
                f"--bleu-tokenizer {tokenizer} needs packages that are not installed (for ja-mecab: pip install "
                "'sacrebleu[ja]'); install them or choose another tokenizer."
            ) from None
        return {"bleu_tokenizer": tokenizer}

    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        return sacre.CORPUS_METRICS

    def baseline_classes(self) -> dict[str, type]:
        from benchhub.tasks.translation.baselines import BASELINES

        return {name: BASELINES[name] for name in self.baselines}

    def reference_baselines(self, facts: DatasetFacts) -> tuple[str, ...]:
        return self.baselines

    def score(self, split: Split, predictions: list[str], facts: DatasetFacts) -> TaskScore:
        references = split.field(REFERENCES) or []
        scores = sacre.translation_metrics(predictions=predictions, references=references, tokenize=_tokenizer(facts),
                                           n_resamples=self.n_resamples, confidence=self.confidence, seed=self.seed)
        stats = scores.statistics.stats
        examples = [
            {"id": example_id, "gold": list(golds), "predicted": text,
             **{name: float(scores.per_sentence[name][row]) for name in sacre.CORPUS_METRICS},
             "correct": exact_match(text, list(golds)),
             # Each sentence's sufficient statistics, so paired tests recompute corpus scores from the rows.
             "stats": {name: stats[name][row].tolist() for name in sacre.CORPUS_METRICS}}
            for row, (example_id, golds, text) in enumerate(zip(split.ids, references, predictions, strict=True))
        ]
        details = {
            "settings": {key: value for key, value in scores.settings.items() if key != "bootstrap"},
            "signatures": scores.settings["signatures"],
            "bleu": _bleu_breakdown(stats["bleu"]),
            "exact_matches": sum(row["correct"] for row in examples),
            "bootstrap": scores.settings["bootstrap"],
        }
        return TaskScore(scores.metrics, details, examples)

    def paired_test(self, a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str,
                    facts: DatasetFacts) -> PairedDifference | None:
        """Paired bootstrap over sentences, each resample's corpus scores recomputed from the rows' statistics."""
        if metric not in sacre.CORPUS_METRICS:
            return None
        # Both systems were scored on this dataset, whose tokenizer is fixed: their settings are the same.
        signatures = {name: _tokenizer(facts) for name in sacre.CORPUS_METRICS}
        first, second = (sacre.SentenceStatistics({metric: np.array([row["stats"][metric] for row in rows], dtype=np.int64)},
                                                  signatures) for rows in (a, b))
        return sacre.paired_test(first, second, metric, n_resamples=self.n_resamples, confidence=self.confidence,
                                 seed=self.seed)

    def detail_tables(self, details: dict[str, Any]) -> list[DetailTable]:
        """sacrebleu's signatures, and corpus BLEU's n-gram precisions, brevity penalty and lengths."""
        tables = []
        if details.get("signatures"):
            tables.append(DetailTable("sacrebleu signatures", ["metric", "signature"],
                                      [[name, str(signature)] for name, signature in details["signatures"].items()]))
        bleu = details.get("bleu")
        if bleu:
            rows = [[f"{n}-gram precision", f"{p:.1f}"] for n, p in enumerate(bleu["precisions"], start=1)]
            rows += [["brevity penalty", f"{bleu['bp']:.3f}"], ["length ratio", f"{bleu['ratio']:.3f}"],
                     ["hypothesis length", str(bleu["sys_len"])], ["reference length", str(bleu["ref_len"])]]
            tables.append(DetailTable("Corpus BLEU", ["field", "value"], rows))
        return tables


def _bleu_breakdown(stats: np.ndarray) -> dict[str, Any]:
    """Corpus BLEU's parts as sacrebleu reports them (its own compute_bleu on the summed statistics)."""
    from sacrebleu.metrics import BLEU

    totals = [int(value) for value in stats.sum(axis=0)]
    order = sacre.BLEU_ORDER
    score = BLEU.compute_bleu(totals[2:2 + order], totals[2 + order:], totals[0], totals[1], smooth_method="exp")
    return {"score": float(score.score), "precisions": [float(p) for p in score.precisions], "bp": float(score.bp),
            "ratio": float(score.ratio), "sys_len": int(score.sys_len), "ref_len": int(score.ref_len)}


def _tokenizer(facts: DatasetFacts) -> str:
    return str(facts.options.get("bleu_tokenizer", DEFAULT_TOKENIZER))
