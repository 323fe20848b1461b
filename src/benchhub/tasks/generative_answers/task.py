"""Generative answers (short-answer QA, math word problems): a question, one or several acceptable answers, and a
generated text per question, whose answer is found by a regex the dataset declares and compared after a stated
normalisation.

Metrics are exact_match (ranked by) and token F1 on 0-1, each the best over an example's references and the mean
over examples, with bootstrap intervals over examples (`metrics.py`). The normalisation (SQuAD's by default), the
answer regex and the reference regex are fixed when the dataset is registered (`settings.py`), so every
evaluation, submission and paired test of a dataset reads answers alike, and every result stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.tasks.base import (
    DetailTable,
    FamilyOption,
    Sample,
    TaskScore,
    inputs_text,
)
from benchhub.tasks.generative_answers import metrics as answers
from benchhub.tasks.generative_answers.settings import (
    DATASET_SETTINGS,
    AnswerSettings,
    compiled_pattern,
)
from benchhub.tasks.text_to_text.family import COLUMNS, TextToTextFamily, short
from benchhub.tasks.text_to_text.references import REFERENCES

if TYPE_CHECKING:
    from benchhub.data.records import DatasetFacts
    from benchhub.metrics.bootstrap import PairedDifference
    from benchhub.tasks.base import DemoTour


@dataclass(frozen=True)
class GenerativeAnswers(TextToTextFamily):
    name: str = "generative-answers"
    version: str = "1"
    title: str = "Generative Answers"
    metric_scale: float = 1.0
    primary_metric: str = "exact_match"
    board_metrics: tuple[str, ...] = answers.ANSWER_METRICS
    report_metrics: tuple[str, ...] = answers.ANSWER_METRICS
    row_scores: tuple[str, ...] = ("f1",)
    scale_note: str = ("are fractions (0–1): exact match and SQuAD's token F1 of the answer found in the generated text, "
                       "the best over the references, averaged over questions")
    data_formats: str = ("CSV, JSONL, JSON, Parquet, save_to_disk folders or hub ids with a question column and an answer "
                         "column (a string, or a list of several acceptable answers).")
    predictions_hint: str = 'JSONL {"id", "text"}'
    predictions_suffixes: tuple[str, ...] = (".jsonl",)
    predictions_keys: frozenset[str] = frozenset({"text"})
    predictions_filename: str = "predictions.jsonl"
    baselines: tuple[str, ...] = ("majority-answer", "nearest-question")
    column_roles: tuple[FamilyOption, ...] = COLUMNS
    dataset_settings: tuple[FamilyOption, ...] = DATASET_SETTINGS
    input_default: str = "question"
    target_default: str = "answer"
    # How a language model is asked, where one runs: the question in place of {input} (lm-evaluation-harness's
    # GSM8K and TriviaQA prompts).
    prompt_default: str = "Question: {input}\nAnswer:"
    # The same instruction reworded (the prompt-paraphrase probes).
    prompt_paraphrases: tuple[str, ...] = ("Q: {input}\nA:", "Answer the following question.\nQuestion: {input}\nAnswer:")
    # The generation settings, head and defaults are TextToTextFamily's (local seq2seq and causal LMs, endpoints).
    demo: DemoTour | None = None
    sample: Sample | None = Sample("generative_answers_sample", ("train.jsonl", "test.jsonl"), (("id", "id"),))
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    @property
    def metric_versions(self) -> dict[str, str]:
        return {"generative_answers": answers.VERSION, "bootstrap": bootstrap.VERSION}

    def scoring_options(self, splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
        """The normalisation and the regexes, checked; every reference of every split must match the reference regex."""
        chosen = AnswerSettings.from_settings(settings, family=self.name)
        if chosen.reference_regex is not None:
            pattern = compiled_pattern("reference_regex", chosen.reference_regex)
            for split in splits.values():
                for example_id, golds in zip(split.ids, split.field(REFERENCES) or [], strict=False):
                    missed = [position for position, gold in enumerate(golds, start=1)
                              if answers.extract(gold, pattern, setting="reference_regex") is None]
                    if missed:
                        raise InvalidInputError.naming(
                            lambda spell: f"Split {split.name!r}, example {example_id!r}: reference {missed[0]} does not "
                                          f"match {spell.setting('reference_regex')} {chosen.reference_regex!r}; every "
                                          "reference must (fix the reference or the pattern).")
        return chosen.to_options()

    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        return answers.ANSWER_METRICS

    def baseline_classes(self) -> dict[str, type]:
        from benchhub.tasks.generative_answers.baselines import BASELINES

        return {name: BASELINES[name] for name in self.baselines}

    def reference_baselines(self, facts: DatasetFacts) -> tuple[str, ...]:
        return self.baselines

    def gold_predictions(self, split: Split, facts: DatasetFacts) -> list[str]:
        """Each example's first reference, written so that the answer regex reads it (a perfect system)."""
        from benchhub.tasks.generative_answers.baselines import spoken

        settings = _settings(facts)
        written = [golds[0] for golds in split.field(REFERENCES) or []]
        found = answers.reference_answers([[text] for text in written], settings)
        return [spoken(text, answer[0], settings) for text, answer in zip(written, found, strict=True)]

    def score(self, split: Split, predictions: list[str], facts: DatasetFacts) -> TaskScore:
        references = split.field(REFERENCES) or []
        settings = _settings(facts)
        scores = answers.answer_metrics(predictions=predictions, references=references, settings=settings,
                                        n_resamples=self.n_resamples, confidence=self.confidence, seed=self.seed)
        golds = answers.reference_answers(references, settings)
        examples = [
            {"id": example_id, "gold": list(written), "gold_answers": gold_answers, "predicted": text,
             "answer": answer, **{name: float(scores.per_example[name][row]) for name in answers.ANSWER_METRICS},
             "correct": bool(scores.per_example["exact_match"][row] == 1.0)}
            for row, (example_id, written, gold_answers, text, answer)
            in enumerate(zip(split.ids, references, golds, predictions, scores.answers, strict=True))
        ]
        details = {
            "settings": {key: value for key, value in scores.settings.items() if key != "bootstrap"},
            "answers_found": sum(answer is not None for answer in scores.answers),
            "examples": len(examples),
            "exact_matches": sum(row["correct"] for row in examples),
            "mean answer words": float(np.mean([len((a or "").split()) for a in scores.answers])),
            "bootstrap": scores.settings["bootstrap"],
        }
        return TaskScore(scores.metrics, details, examples)

    def paired_test(self, a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str,
                    facts: DatasetFacts) -> PairedDifference | None:
        """Paired bootstrap over examples on the stored per-example exact match or F1."""
        if metric not in answers.ANSWER_METRICS:
            return None
        settings = _settings(facts).to_options()
        first, second = (answers.AnswerScores({}, {metric: np.array([float(row[metric]) for row in rows])}, [], settings)
                         for rows in (a, b))
        return answers.paired_test(first, second, metric, n_resamples=self.n_resamples, confidence=self.confidence,
                                   seed=self.seed)

    # Views ---------------------------------------------------------------------------------------
    def example_table(self, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
        """Id, the question (where rows carry it), the reference answers, the generated text, the answer found in it,
        its F1, and whether it matches a reference exactly (after the dataset's normalisation)."""
        shown = any("inputs" in r for r in rows)
        header = ["id", *(["input"] if shown else []), "reference", "generated", "answer", "f1", "exact"]
        return header, [
            [str(r["id"]), *([inputs_text(r.get("inputs"))] if shown else []),
             short(" | ".join(r.get("gold_answers") or r["gold"])), short(r["predicted"]) or "(empty)",
             "(no match)" if r.get("answer") is None else (short(r["answer"]) or "(empty)"), self._number(r.get("f1")),
             "yes" if self.example_correct(r) else "no"]
            for r in rows
        ]

    def detail_tables(self, details: dict[str, Any]) -> list[DetailTable]:
        """How answers were read and compared (normalisation, regexes) and how many the answer regex found."""
        settings = details.get("settings") or {}
        if not settings:
            return []
        rows = [["normalization", str(settings.get("normalization"))]]
        if settings.get("normalization") == "none":
            rows += [[flag, str(settings.get(flag))] for flag in ("ignore_case", "ignore_punctuation")]
        rows += [["answer regex", settings.get("answer_regex") or "(none: the whole generated text)"]]
        if settings.get("answer_regex"):
            rows += [["answer occurrence", str(settings.get("answer_occurrence"))],
                     ["answers found", f"{details.get('answers_found')} of {details.get('examples')}"]]
        rows += [["reference regex", settings.get("reference_regex") or "(none: the whole reference)"],
                 ["multiple references", str(settings.get("multiple_references"))]]
        if "exact_matches" in details:
            rows.append(["exact matches", str(details["exact_matches"])])
        return [DetailTable("Answer settings and extraction", ["field", "value"], rows)]


def _settings(facts: DatasetFacts) -> AnswerSettings:
    return AnswerSettings.from_options(facts.options)
