"""Token classification: one tag per word, scored exactly like seqeval 1.2.2 in both of its modes.

Headline `f1` is seqeval's default (conlleval) mode, micro-averaged over entities; `strict_*` decode in
the dataset's tag scheme (stored at registration: stated with `--scheme`, else detected); `accuracy`
is per word. Datasets with a train split also report `seen_f1`/`unseen_f1` (mentions whose words occur
as an entity in train, or not): remembering names is this family's shortcut. CIs resample sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import DatasetFormatError, InvalidInputError
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
    metric_entry,
    per_label_table,
)
from benchhub.tasks.token_classification import metrics as seqeval_metrics
from benchhub.tasks.token_classification import word_labels
from benchhub.tasks.token_classification.entities import SCHEMES, conlleval_entities
from benchhub.tasks.token_classification.outputs import SentenceTags
from benchhub.tasks.token_classification.word_labels import NO_SCHEME

if TYPE_CHECKING:
    from benchhub.data.readers import Table
    from benchhub.data.records import ColumnMapping, DatasetFacts
    from benchhub.metrics.bootstrap import PairedDifference
    from benchhub.models.base import Model, RunOutput

AGGREGATIONS = ("first", "max", "average")
COLUMNS = (
    FamilyOption("tokens", "Column holding the words (default: tokens)."),
    FamilyOption("tags", "Column holding one tag per word (default: tags, else ner_tags); "
                         "in a CoNLL file, the tag's column number (default: the last)."),
)
DATASET_SETTINGS = (
    FamilyOption("scheme", f"The tag scheme ({', '.join(SCHEMES)}, or {NO_SCHEME} for part of speech; default: detected)."),
)
SETTINGS = (
    FamilyOption("stride", "Sub-words of overlap between windows of a long sentence (default: half a window, at most 128).", int),
    FamilyOption("aggregation", f"A word's tag from its first sub-word, or the max or average over them ({'|'.join(AGGREGATIONS)}; default first)."),
)
TRAIN_SPLIT = "train"


@dataclass(frozen=True)
class TokenClassification(TaskFamily):
    name: str = "token-classification"
    version: str = "1"
    title: str = "Token Classification"
    metric_scale: float = 1.0
    primary_metric: str = "f1"
    board_metrics: tuple[str, ...] = ("f1", "strict_f1", "unseen_f1", "seen_f1", "accuracy")
    report_metrics: tuple[str, ...] = ("precision", "recall", "f1", "strict_f1", "macro_f1", "accuracy", "seen_f1", "unseen_f1")
    scale_note: str = "are fractions (0–1), entity-level as seqeval 1.2.2 computes them"
    data_formats: str = 'CoNLL column files (.conll/.txt/.iob; token first, tag last) or data with a tokens column and a tags column (tag names, or ClassLabel ids as in conll2003).'
    predictions_hint: str = 'JSONL {"id", "tags"} or a CoNLL file of the same sentences'
    predictions_suffixes: tuple[str, ...] = (".jsonl", ".conll", ".iob")  # not .txt: a file named so may be anything
    predictions_keys: frozenset[str] = frozenset({"tags"})  # the keys a JSON line of its files holds
    predictions_filename: str = "predictions.jsonl"
    baselines: tuple[str, ...] = ("majority-tag", "memorization", "feature-logreg")
    column_roles: tuple[FamilyOption, ...] = COLUMNS
    dataset_settings: tuple[FamilyOption, ...] = DATASET_SETTINGS
    evaluation_settings: tuple[FamilyOption, ...] = SETTINGS
    transformers_defaults: tuple[tuple[str, Any], ...] = (("max_length", 512), ("stride", None), ("aggregation", "first"))
    auto_class: str = "AutoModelForTokenClassification"
    head_suffix: str = "ForTokenClassification"
    head_outputs: tuple[str, ...] = ("logits",)
    demo: DemoTour | None = DemoTour("ner-sample", "minilm-ner-sample", "ner_sample", ("train.conll", "test.conll"),
                                     "baseline:memorization", "f1")
    # The train split's mention strings: gold, and a train split can be hidden by a benchmark.
    internal_options: frozenset[str] = frozenset({"train_mentions"})
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    @property
    def metric_versions(self) -> dict[str, str]:
        return {"seqeval": seqeval_metrics.VERSION, "bootstrap": bootstrap.VERSION}

    def check_setting(self, name: str, value: Any) -> None:
        if name == "aggregation":
            if value not in AGGREGATIONS:
                raise InvalidInputError.naming(lambda spell: f"{spell.setting('aggregation')} must be one of "
                                                             f"{', '.join(AGGREGATIONS)}. Got {value!r} instead.")
            return
        check_count(name, value, low=0 if name == "stride" else 1)

    # Data ----------------------------------------------------------------------------------------
    def column_mapping(self, columns: dict[str, str | None]) -> ColumnMapping:
        from benchhub.data.records import ColumnMapping

        given = check_columns(self, columns)
        tokens, tags = given["tokens"] or "tokens", given["tags"]
        return ColumnMapping(text=tokens, label=None, id=given["id"], split=given["split"],
                             fields={"tokens": tokens, **({"tags": tags} if tags is not None else {})},
                             roles={"tokens": tokens, "tags": tags})

    def read_source(self, source: str, mapping: ColumnMapping, *, revision: str | None) -> Any:
        from benchhub.tasks.token_classification.reading import read_tagging_source

        return read_tagging_source(source, mapping, revision=revision)

    def read_file(self, path: Path, mapping: ColumnMapping) -> Table:
        from benchhub.tasks.token_classification.reading import read_tagging_file

        return read_tagging_file(path, mapping)

    def build_splits(self, tables: dict[str, Table], mapping: ColumnMapping, *,
                     origin: dict[str, str]) -> tuple[dict[str, Split], list[str]]:
        from benchhub.tasks.token_classification.reading import build_tagging_splits

        return build_tagging_splits(tables, mapping, origin=origin)

    def dataset_options(self, splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
        """The tag scheme (stated or detected), every gold sentence checked against it, and train's mention strings."""
        from benchhub.tasks.token_classification.mentions import mention_strings
        from benchhub.tasks.token_classification.schemes import detect_scheme, validate

        unknown = sorted(set(settings) - {"scheme"})
        if unknown:
            raise InvalidInputError.naming(lambda spell: f"{spell.setting(unknown[0])} does not apply to {self.name} datasets.")
        tagged = [split for split in splits.values() if split.field("tags") is not None]
        scheme = settings.get("scheme")
        sentences = [sentence for split in tagged for sentence in split.field("tags") or []]
        if scheme is None:
            scheme = detect_scheme(sentences) if all(_entity_tag(tag) for s in sentences for tag in s) else NO_SCHEME
        elif scheme not in (*SCHEMES, NO_SCHEME):
            raise InvalidInputError.naming(lambda spell: f"{spell.setting('scheme')} {scheme!r} is not a tag scheme; use one of "
                                                         f"{', '.join(SCHEMES)}, or {NO_SCHEME} for tags that name no "
                                                         f"entities (part of speech).")
        if scheme == NO_SCHEME:
            return {"scheme": scheme}
        stated = "stated" if "scheme" in settings else "detected"
        for split in tagged:
            for example_id, sentence in zip(split.ids, split.field("tags") or [], strict=True):
                try:
                    validate(sentence, scheme, where=f"split {split.name!r}, sentence {example_id!r}")
                except DatasetFormatError as error:
                    raise DatasetFormatError(
                        f"{error} (scheme {scheme}, {stated}); fix the tags, or name the scheme the data is written in "
                        f"with --scheme ({', '.join(SCHEMES)})."
                    ) from None
        options: dict[str, Any] = {"scheme": scheme}
        train = splits.get(TRAIN_SPLIT)
        if train is not None and train.field("tags") is not None:
            options["train_mentions"] = sorted(mention_strings(train.field("tokens") or [], train.field("tags")))
        return options

    def example_table(self, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
        """Gold and predicted tags, and the sentence's entities (words, under scheme `none`) found right;
        rows with their inputs show the words instead, each wrong word as word[gold→predicted]."""
        shown = any("inputs" in r for r in rows)
        header = ["id", *(["words [gold→predicted]"] if shown else ["gold", "predicted"]), "right / gold / predicted", "correct"]
        return header, [
            [str(r["id"]), *([_marked_words(r)] if shown else [" ".join(r["gold"]), " ".join(r["predicted"])]),
             f"{r['correct_entities']} / {r['entities']} / {r['predicted_entities']}", "yes" if r["correct"] else "no"]
            for r in rows
        ]

    def detail_tables(self, details: dict[str, Any]) -> list[DetailTable]:
        """Per entity type (per tag, under scheme `none`), and the mentions seen in train vs not."""
        tables = []
        if details.get("per_type"):
            words = details.get("scheme") == NO_SCHEME
            tables.append(per_label_table("Per tag" if words else "Per entity type", details["per_type"], "tag" if words else "type"))
        if details.get("mentions"):
            tables.append(DetailTable("Mentions seen in train vs not", ["mentions", "gold", "predicted", "correct"],
                                      [[side, str(c["gold"]), str(c["predicted"]), str(c["correct"])]
                                       for side, c in details["mentions"].items()]))
        return tables

    def example_confidence(self, row: dict[str, Any]) -> float | None:
        """The mean confidence of the sentence's words (those that have one)."""
        known = [c for c in row.get("confidences") or [] if c is not None]
        return float(np.mean(known)) if known else None

    def predicted_labels(self, row: dict[str, Any]) -> frozenset[str]:
        """The entity types it predicts (its tags, when they name no entities), as `example_labels` has them."""
        tags = list(row["predicted"])
        if all(map(_entity_tag, tags)):
            return frozenset(type_ for type_, _, _ in conlleval_entities(tags))
        return frozenset(tags)

    def inputs_split(self, rows: list[tuple[str, dict[str, Any]]], name: str) -> Split:
        """Rows {"id", "tokens"}: each sentence's words, checked as a registered split's are."""
        from benchhub.tasks.token_classification.splits import build_tagging_split

        ids = input_ids(rows)
        keyed = [{"id": example_id, "tokens": row.get("tokens")} for example_id, (_, row) in zip(ids, rows, strict=True)]
        return build_tagging_split(name, keyed, tokens_column="tokens", tags_column=None, id_column="id",
                                   where=rows[0][0].split(",")[0])

    def has_references(self, split: Split) -> bool:
        return split.field("tags") is not None

    def label_counts(self, split: Split) -> dict[str, int]:
        """Words per gold tag."""
        from collections import Counter

        return dict(sorted(Counter(tag for sentence in split.field("tags") or [] for tag in sentence).items()))

    def example_labels(self, split: Split) -> list[frozenset[str]]:
        """A sentence's entity types (what `--slice label=PER` selects: the sentences with a PER mention), or its
        tags when they name no entities."""
        return [frozenset(type_ for type_, _, _ in conlleval_entities(list(tags))) if all(map(_entity_tag, tags))
                else frozenset(tags) for tags in split.field("tags") or []]

    def label_values(self, labels: list[str]) -> list[str]:
        from benchhub.tasks.token_classification.schemes import split_tag

        if not all(map(_entity_tag, labels)):
            return sorted(labels)
        return sorted({split_tag(tag)[1] for tag in labels if tag != "O"})

    def demo_lines(self, metrics: dict[str, dict[str, float]]) -> list[str]:
        seen, unseen = metrics.get("seen_f1"), metrics.get("unseen_f1")
        if seen is None or unseen is None:
            return []
        return [f"seen mentions f1 {seen['value']:.3f}, unseen {unseen['value']:.3f}: a memorization gap of "
                f"{(seen['value'] - unseen['value']) * 100:.1f} points"]

    def describe_splits(self, splits: list[Any], labels: list[str]) -> str:
        return ", ".join(f"{s.name} {s.num_rows}" for s in splits) + f" sentences, {len(labels)} tags"

    # Scoring -------------------------------------------------------------------------------------
    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        if facts.options.get("scheme") == NO_SCHEME:
            return word_labels.METRICS
        seen = ("seen_f1", "unseen_f1") if "train_mentions" in facts.options else ()
        return (*seqeval_metrics.HEADLINE_METRICS, *seen)

    def collect(self, model: Model, split: Split, run: RunOutput, facts: DatasetFacts) -> list[SentenceTags]:
        """Merges windowed sub-word outputs of transformers taggers; other models answer one item per sentence."""
        decode = getattr(model, "decode", None)
        if decode is not None:
            return list(decode(split, run.items, run.outputs))
        return [output if isinstance(output, SentenceTags) else SentenceTags(tuple(output)) for output in run.outputs]

    def score(self, split: Split, predictions: list[SentenceTags], facts: DatasetFacts) -> TaskScore:
        from benchhub.tasks.token_classification.mentions import (
            sentence_entities,
            side_counts,
            side_f1,
            side_intervals,
        )

        gold = [list(tags) for tags in split.field("tags") or []]
        predicted = [list(p.tags) for p in predictions]
        for example_id, words, tags in zip(split.ids, gold, predicted, strict=True):
            if len(tags) != len(words):
                raise InvalidInputError(f"Sentence {example_id!r}: {len(tags)} predicted tags for {len(words)} words.")
        scheme = facts.options.get("scheme")
        if scheme == NO_SCHEME:
            metrics, details = self._score_words(gold, predicted)
            return TaskScore(metrics, details, [_word_row(example_id, tags, p, prediction) for example_id, tags, p, prediction
                                                in zip(split.ids, gold, predicted, predictions, strict=True)])
        gold_entities, predicted_entities = sentence_entities(gold), sentence_entities(predicted)
        examples = [_entity_row(*row) for row in zip(split.ids, gold, predicted, predictions, gold_entities,
                                                     predicted_entities, strict=True)]
        counts = seqeval_metrics.corpus_counts(references=gold, predictions=predicted, scheme=scheme)
        values = seqeval_metrics.scores(counts)
        intervals = seqeval_metrics.intervals(counts, n_resamples=self.n_resamples, confidence=self.confidence, seed=self.seed)
        metrics: dict[str, dict[str, float | None]] = {}
        for name in seqeval_metrics.HEADLINE_METRICS:
            value = values[name]
            if value is None or np.isnan(value):  # macro_f1 of a split without any entity is undefined
                continue
            metrics[name] = metric_entry(value, intervals[name].low, intervals[name].high)
        details: dict[str, Any] = {
            "scheme": scheme, "per_type": values["per_type"],
            "bootstrap": {"n_resamples": self.n_resamples, "confidence": self.confidence, "seed": self.seed,
                          "resampled": "sentences"},
        }
        if "train_mentions" in facts.options:
            sides = side_counts(split.field("tokens") or [], gold_entities, predicted_entities, facts.options["train_mentions"])
            side_values = side_f1(sides)
            side_cis = side_intervals(sides, n_resamples=self.n_resamples, confidence=self.confidence, seed=self.seed)
            for name, value in side_values.items():
                interval = side_cis[name]
                if value is not None and interval is not None:
                    metrics[name] = metric_entry(value, interval.low, interval.high)
            totals = sides.sum(axis=0)
            details["mentions"] = {side: {"gold": int(totals[i, 2]), "predicted": int(totals[i, 1]), "correct": int(totals[i, 0])}
                                   for i, side in enumerate(("seen", "unseen"))}
        return TaskScore(metrics, details, examples)

    def _score_words(self, gold: list[list[str]], predicted: list[list[str]]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Scheme `none` (part of speech): every word one labelled item (see `word_labels`)."""
        tags, counts = word_labels.sentence_counts(gold, predicted)
        totals = counts.sum(axis=0)
        values = word_labels.scores(totals)
        cis = word_labels.intervals(counts, n_resamples=self.n_resamples, confidence=self.confidence, seed=self.seed)
        metrics = {name: metric_entry(values[name], cis[name].low, cis[name].high)
                   for name in word_labels.METRICS if not np.isnan(values[name])}
        details = {"scheme": NO_SCHEME, "per_type": word_labels.per_tag(tags, totals),
                   "bootstrap": {"n_resamples": self.n_resamples, "confidence": self.confidence, "seed": self.seed,
                                 "resampled": "sentences"}}
        return metrics, details

    def paired_test(self, a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str,
                    facts: DatasetFacts) -> PairedDifference | None:
        """Paired bootstrap over sentences on the headline metrics; None for the seen/unseen split."""
        gold = [row["gold"] for row in a]
        scheme = facts.options.get("scheme")
        if scheme == NO_SCHEME:
            if metric not in word_labels.METRICS:
                return None
            first, second = (word_labels.sentence_counts(gold, [row["predicted"] for row in rows]) for rows in (a, b))
            tags = sorted(set(first[0]) | set(second[0]))
            test = word_labels.paired_test(_widen(first, tags), _widen(second, tags), metric,
                                           n_resamples=self.n_resamples, seed=self.seed, confidence=self.confidence)
        else:
            if metric not in seqeval_metrics.HEADLINE_METRICS:
                return None
            counts = [seqeval_metrics.corpus_counts(references=gold, predictions=[row["predicted"] for row in rows], scheme=scheme)
                      for rows in (a, b)]
            test = seqeval_metrics.paired_test(counts[0], counts[1], metric, n_resamples=self.n_resamples,
                                               confidence=self.confidence, seed=self.seed)
        return None if np.isnan(test.difference) else test

    def predictions_from_rows(self, rows: list[dict[str, Any]], facts: DatasetFacts) -> list[SentenceTags]:
        return [SentenceTags(tuple(row["predicted"]),
                             tuple(float("nan") if c is None else c for c in row["confidences"]) if row.get("confidences") else None)
                for row in rows]

    # Models --------------------------------------------------------------------------------------
    def load_network(self, folder: Path, facts: DatasetFacts, *, label_map: dict[str, str] | None,
                     settings: dict[str, Any], runtime: str) -> Model:
        from benchhub.tasks.token_classification.transformers_tagger import (
            TransformersTagger,
        )

        return TransformersTagger(folder, dataset_tags=list(facts.labels), label_map=label_map, runtime=runtime, **settings)

    def predictions_model(self, path: Path, facts: DatasetFacts, *, na_probs: Path | None = None) -> Model:
        from benchhub.tasks.token_classification.adapters import PredictionsTagger

        if na_probs is not None:
            raise InvalidInputError("--na-probs applies to question-answering datasets only.")
        return PredictionsTagger(path, tags=list(facts.labels))

    def check_predictions_syntax(self, path: Path) -> None:
        from benchhub.tasks.token_classification.predictions import read_tag_pairs

        read_tag_pairs(path)

    def check_predictions_file(self, path: Path, *, split: Split, labels: list[str], max_bytes: int,
                               max_depth: int) -> None:
        from benchhub.data.submission_files import check_json_lines
        from benchhub.tasks.token_classification.predictions import (
            is_conll,
            read_tag_predictions,
        )

        if not is_conll(path):
            check_json_lines(path, max_depth)
        read_tag_predictions(path, ids=split.ids, tokens=split.field("tokens") or [], tags=labels, max_bytes=max_bytes)

    def baseline_classes(self) -> dict[str, type]:
        from benchhub.tasks.token_classification.baselines import BASELINES

        return {name: BASELINES[name] for name in self.baselines}

    def reference_baselines(self, facts: DatasetFacts) -> tuple[str, ...]:
        """Without entities (scheme `none`) there is nothing to memorize as an entity."""
        if facts.options.get("scheme") == NO_SCHEME:
            return tuple(name for name in self.baselines if name != "memorization")
        return self.baselines

    def input_row(self, split: Split, index: int, *, with_gold: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"id": split.ids[index], "tokens": (split.field("tokens") or [])[index]}
        if with_gold and split.field("tags") is not None:
            item["tags"] = split.field("tags")[index]
        return item

    def gold_predictions(self, split: Split, facts: DatasetFacts) -> list[SentenceTags]:
        return [SentenceTags(tuple(tags)) for tags in split.field("tags") or []]

    def write_predictions(self, path: Path, split: Split, predictions: list[SentenceTags], facts: DatasetFacts) -> None:
        """JSONL {"id", "tags"}, one line per sentence."""
        from benchhub.data.records import canonical_json

        path.write_text("".join(canonical_json({"id": example_id, "tags": list(p.tags)}) + "\n"
                                for example_id, p in zip(split.ids, predictions, strict=True)), encoding="utf-8")

    def bench_split(self, text: str, batch_size: int) -> Split:
        words = text.split()
        return Split(name="bench", ids=list(range(batch_size)), texts=[text] * batch_size,
                     fields={"tokens": [list(words) for _ in range(batch_size)]})

    # Fine-tuning ---------------------------------------------------------------------------------
    def finetune_config(self, epochs: float | None) -> Any:
        from benchhub.tasks.token_classification.finetune import TaggerFinetuneConfig

        return TaggerFinetuneConfig() if epochs is None else TaggerFinetuneConfig(epochs=epochs)

    def finetune(self, base: Path, train: Split, labels: list[str], output: Path, *, config: Any,
                 show_progress: bool) -> dict[str, Any]:
        from benchhub.tasks.token_classification.finetune import finetune_tagger

        return finetune_tagger(base, train, labels, output, config=config, show_progress=show_progress)

    # Probes --------------------------------------------------------------------------------------
    def default_probes(self, facts: DatasetFacts) -> tuple[list[Any], list[Any]]:
        from benchhub.tasks.token_classification.probes import default_tagging_suite

        return default_tagging_suite(facts.options.get("scheme", "IOB2")), []

    def probe_answer(self, row: dict[str, Any]) -> Any:
        """How many mentions the tagger finds and gets right (an entity swap changes the words, so not the tags)."""
        return (row["predicted_entities"], row["correct_entities"])

    def calibration_inputs(self, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not rows or not rows[0].get("confidences"):
            return None
        words = [(c, g == p) for row in rows
                 for c, g, p in zip(row["confidences"], row["gold"], row["predicted"], strict=True) if c is not None]
        return {
            "confidences": np.array([c for c, _ in words], dtype=float),
            "correct": np.array([float(right) for _, right in words]),
            "confidence": "probability of the word's predicted tag",
            "quality": "1 if the word's predicted tag is its gold tag",
        }


def _entity_tag(tag: str) -> bool:
    """Whether a tag is "O" or prefix + type (B-PER): the tags of entities and chunks, not of parts of speech."""
    from benchhub.tasks.token_classification.schemes import split_tag

    try:
        split_tag(tag)
    except InvalidInputError:
        return False
    return True


def _widen(found: tuple[tuple[str, ...], np.ndarray], tags: list[str]) -> np.ndarray:
    """Per-sentence word counts over `tags` (a superset of the system's own), so two systems line up."""
    own, counts = found
    wide = np.zeros((counts.shape[0], len(tags), 3), dtype=np.int64)
    for index, tag in enumerate(own):
        wide[:, tags.index(tag)] = counts[:, index]
    return wide


def _marked_words(row: dict[str, Any]) -> str:
    words = (row.get("inputs") or {}).get("tokens") or ["?"] * len(row["gold"])
    return " ".join(word if gold == predicted else f"{word}[{gold}→{predicted}]"
                    for word, gold, predicted in zip(words, row["gold"], row["predicted"], strict=True))


def _word_row(example_id: Any, gold: list[str], predicted: list[str], prediction: SentenceTags) -> dict[str, Any]:
    """Scheme `none`: words are the items, so the row's counts are words, words predicted and words right."""
    right = sum(g == p for g, p in zip(gold, predicted))
    row = {"id": example_id, "gold": gold, "predicted": predicted, "correct": gold == predicted,
           "entities": len(gold), "predicted_entities": len(predicted), "correct_entities": right}
    return _with_confidences(row, prediction)


def _entity_row(example_id: Any, gold: list[str], predicted: list[str], prediction: SentenceTags,
                gold_entities: set[Any], predicted_entities: set[Any]) -> dict[str, Any]:
    row = {"id": example_id, "gold": gold, "predicted": predicted, "correct": gold == predicted,
           "entities": len(gold_entities), "predicted_entities": len(predicted_entities),
           "correct_entities": len(gold_entities & predicted_entities)}
    return _with_confidences(row, prediction)


def _with_confidences(row: dict[str, Any], prediction: SentenceTags) -> dict[str, Any]:
    if prediction.confidences is not None:
        # A word the tokenizer turns into no sub-word has no confidence (NaN from the tagger): stored as null.
        row["confidences"] = [None if c is None or c != c else round(float(c), 6) for c in prediction.confidences]
    return row
