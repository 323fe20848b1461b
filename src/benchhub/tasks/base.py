"""What every task family provides: its data, models, predictions files, metrics, probes and views.

The rest of benchhub asks the family (a `Task`) and never compares task names. `TaskFamily` holds the
parts most families share (tables read by `data.readers`, splits built by `data.splits`); a family
overrides what differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from benchhub.data.records import Split

if TYPE_CHECKING:
    from pathlib import Path

    from benchhub.data.readers import Table
    from benchhub.data.records import ColumnMapping, DatasetFacts
    from benchhub.metrics.bootstrap import PairedDifference
    from benchhub.models.base import Model, RunOutput
    from benchhub.models.endpoints import Endpoint


@dataclass(frozen=True)
class DemoTour:
    """A family's part of `benchhub demo`: its bundled sample, the fine-tuned model, the baseline to beat."""

    dataset: str
    model: str
    sample: str                 # folder under benchhub/resources
    files: tuple[str, str]      # train and test file in it
    rival: str
    metric: str
    optimize: bool = False      # export to ONNX (fp32, int8) and bench the three side by side
    columns: tuple[tuple[str, str], ...] = ()  # (role, column) the sample names, e.g. (("id", "id"),)
    from_scratch: bool = False  # the model is trained from nothing (`Task.train_from_scratch`), not fine-tuned
    # (family, rival baseline): the model also evaluated on that family's bundled sample (a language model writing)
    generates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Sample:
    """A family's bundled sample data (a folder under benchhub/resources with a train and a test file), which the
    contract suite runs on: the demo's sample where the family has a demo tour."""

    folder: str
    files: tuple[str, str]
    columns: tuple[tuple[str, str], ...] = ()  # (role, column) the sample names, e.g. (("id", "id"),)


@dataclass(frozen=True)
class FamilyOption:
    """One thing a family lets people name or set: a column role (the option `--ROLE-column`), a
    registration setting or an evaluation setting (`--NAME`); also a keyword of `Hub`."""

    name: str                   # snake_case: "tokens", "doc_stride"
    help: str
    type: type = str

    @property
    def flag(self) -> str:
        return f"--{self.name.replace('_', '-')}"


# The roles every family reads besides its own: example ids and the column naming each row's split.
SHARED_ROLES = ("id", "split")


@dataclass(frozen=True)
class DetailTable:
    """A table of an evaluation's details, as text: what the CLI, the web page and the report show."""

    title: str
    header: list[str]
    rows: list[list[str]]


def per_label_table(title: str, per_label: dict[str, dict[str, Any]], first: str) -> DetailTable:
    """Precision, recall, F1 and support per label (a class, an entity type), in the details' order."""
    def number(value: Any) -> str:
        return "-" if value is None else f"{float(value):.3f}"

    rows = [[label, number(m.get("precision")), number(m.get("recall")), number(m.get("f1")), str(m.get("support", "-"))]
            for label, m in per_label.items()]
    return DetailTable(title, [first, "precision", "recall", "f1", "support"], rows)


@dataclass(frozen=True)
class TaskScore:
    """Metrics (each with a CI), details for humans, and one outcome row per example."""

    metrics: dict[str, dict[str, float]]
    details: dict[str, Any]
    examples: list[dict[str, Any]]


class Task(Protocol):
    """A versioned task spec; the version is stored with every result it scores."""

    name: str
    version: str
    primary_metric: str
    # The value of a perfect score: 1.0 for fractions, 100.0 for the SQuAD scripts' percentages.
    metric_scale: float
    n_resamples: int
    seed: int
    transformers_defaults: tuple[tuple[str, Any], ...]
    # The transformers auto class of this task's head, the suffix of architectures that have that
    # head (`BertForSequenceClassification`; several for families that run language models of either kind:
    # ("ForCausalLM", "LMHeadModel", ...)), and the raw outputs the head produces. `exports_onnx`: whether
    # `benchhub optimize` exports its checkpoints to ONNX.
    auto_class: str
    head_suffix: str | tuple[str, ...]
    head_outputs: tuple[str, ...]
    exports_onnx: bool

    # How people read it: its title, the metrics a board shows beside the ranking one, and the
    # predictions-file layout (a phrase for forms, and the name a submission is stored under).
    title: str
    board_metrics: tuple[str, ...]
    report_metrics: tuple[str, ...]
    # The metrics where a lower value is better (perplexity); boards rank those lowest first. Every other is higher-is-better.
    lower_is_better: frozenset[str]
    scale_note: str  # how to read its numbers, for model cards ("are fractions (0–1)")
    data_formats: str  # what `dataset add` reads for it, one sentence for help texts
    predictions_hint: str
    predictions_filename: str
    predictions_suffixes: tuple[str, ...]
    predictions_keys: frozenset[str]
    # The built-in baselines every board of this family shows, by name.
    baselines: tuple[str, ...]
    # What people can name and set, by command-line option and `Hub` keyword: the source columns it
    # reads (besides SHARED_ROLES), its registration settings, its evaluation settings (the names of
    # `transformers_defaults` other than max_length).
    column_roles: tuple[FamilyOption, ...]
    dataset_settings: tuple[FamilyOption, ...]
    evaluation_settings: tuple[FamilyOption, ...]
    # The names of `transformers_defaults` that hold for every kind of model, predictions files and baselines too
    # (they change how predictions are scored, not made: code execution's limits and isolation); every task config
    # carries them, and `score` reads them from `DatasetFacts.settings`.
    scoring_settings: frozenset[str]

    @property
    def metric_versions(self) -> dict[str, str]: ...

    def check_setting(self, name: str, value: Any) -> None:
        """Refuses a bad value of one of `transformers_defaults`, naming its option."""

    def environment(self, task_config: dict[str, Any]) -> dict[str, Any]:
        """What of this machine, beyond the settings, decides the scores (the sandbox's and Python's versions, where
        scoring runs programs); it joins the cache key, so another environment evaluates again. Most families: {}."""

    def check_settings(self, settings: dict[str, Any]) -> None:
        """Refuses settings whose values are each allowed but not together (checked wherever `check_setting` is, once
        per run of a model that takes settings: `eval`, a benchmark's `model_settings` at creation)."""

    # Data --------------------------------------------------------------------------------------
    def column_mapping(self, columns: dict[str, str | None]) -> ColumnMapping:
        """The mapping from the named source columns (role -> column; None takes the family's default)."""

    def read_source(self, source: str, mapping: ColumnMapping, *, revision: str | None) -> dict[str, Table] | Table:
        """Reads a file, folder or hub id in any layout this family accepts."""

    def read_file(self, path: Path, mapping: ColumnMapping) -> Table:
        """Reads one file given for one split."""

    def build_splits(self, tables: dict[str, Table], mapping: ColumnMapping, *,
                     origin: dict[str, str]) -> tuple[dict[str, Split], list[str]]:
        """Validated canonical splits and the label set (the names a model must predict)."""

    def example_table(self, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
        """Stored per-example rows as table text: a header and one list of cells per row (rows that carry
        `inputs`, as `input_row` gives them, show them too)."""

    def value_text(self, value: Any) -> str:
        """A stored row's gold or prediction as table text (a label, answers, tags)."""

    def slice_metric(self, metric: str, subset: Split) -> tuple[str, str | None]:
        """The metric a board ranks a slice by when none was asked for (`metric`, the primary, unless it means
        nothing on this subset), and a note saying why it changed."""

    def detail_tables(self, details: dict[str, Any]) -> list[DetailTable]:
        """An evaluation's details as tables for people (per class, per entity type, ...)."""

    def confusion(self, details: dict[str, Any]) -> tuple[list[str], list[list[int]]] | None:
        """The labels and confusion matrix (rows gold, columns predicted) of an evaluation, where the family has one."""

    def example_correct(self, row: dict[str, Any]) -> bool:
        """Whether a stored per-example row is exactly right (the unit of `--errors` and of a comparison's
        contingency table)."""

    def example_confidence(self, row: dict[str, Any]) -> float | None:
        """How sure the model was of a stored row's prediction (0-1), or None when the model gave no scores."""

    def predicted_labels(self, row: dict[str, Any]) -> frozenset[str]:
        """The labels a stored row predicts, in the values of `example_labels` (`--predicted VALUE`)."""

    def has_references(self, split: Split) -> bool:
        """Whether the split carries what `score` compares against (gold labels, answers, tags)."""

    def label_counts(self, split: Split) -> dict[str, int]:
        """What a dataset listing shows of a split's gold: examples (or words) per label."""

    def example_labels(self, split: Split) -> list[frozenset[str]]:
        """Each example's gold labels for `--slice label=VALUE` (one for a class, several for a sentence's entity types)."""

    def extra_board_metrics(self, ranked: str, present: set[str]) -> list[str]:
        """The metrics a board shows beside the ranking one, of those its rows report."""

    def label_values(self, labels: list[str]) -> list[str]:
        """The values `--slice label=VALUE` can take on a dataset with these labels."""

    # Models ------------------------------------------------------------------------------------
    def checkpoint_refusal(self, architectures: Any) -> str | None:
        """Why a checkpoint with these config.json `architectures` cannot be registered for this family (one
        line naming what works instead), or None."""

    def load_network(self, folder: Path, facts: DatasetFacts, *, label_map: dict[str, str] | None,
                     settings: dict[str, Any], runtime: str) -> Model:
        """This family's transformers adapter for a checkpoint (runtime "torch") or an ONNX folder ("onnx")."""

    def endpoint_model(self, endpoint: Endpoint, facts: DatasetFacts, *, settings: dict[str, Any],
                       cache_folder: Path) -> Model:
        """This family's adapter for a model behind an OpenAI-compatible server (kind "openai"), its answers kept in
        `cache_folder`; families that cannot use one refuse in one line."""

    def predictions_model(self, path: Path, facts: DatasetFacts, *, na_probs: Path | None = None) -> Model:
        """The adapter that replays a predictions file of this family's layout."""

    def check_predictions_syntax(self, path: Path) -> None:
        """Raises `PredictionsFormatError` unless the file parses in this family's layout (ids are checked later)."""

    def check_predictions_file(self, path: Path, *, split: Split, labels: list[str], max_bytes: int,
                               max_depth: int) -> None:
        """Raises `PredictionsFormatError` naming the first problem of a submitted predictions file."""

    def write_na_probs(self, path: Path, split: Split, predictions: Any) -> bool:
        """Writes the no-answer probabilities that go with a predictions file (`predictions_model`'s `na_probs`) where
        the family's predictions carry them, and says whether it did (extractive QA's models; others: False)."""

    def check_submission(self, path: Path, *, settings: dict[str, Any]) -> None:
        """Raises `PredictionsFormatError` where a predictions file that reads well asks what the benchmark's
        settings (`model_settings`) do not (code generation: another number of completions per problem than its
        `samples`, which also bounds the programs a submission runs)."""

    def baseline_classes(self) -> dict[str, type]:
        """Every built-in baseline of this family, by name."""

    def reference_baselines(self, facts: DatasetFacts) -> tuple[str, ...]:
        """The built-in baselines a board of a dataset with these facts shows."""

    def rules_baseline(self, path: Path, train: Split, facts: DatasetFacts) -> Any:
        """A rules-file baseline fitted on the train split (families without rules refuse)."""

    def predictions_from_rows(self, rows: list[dict[str, Any]], facts: DatasetFacts) -> Any:
        """What `score` takes, rebuilt from stored per-example rows (re-scoring slices and subsets)."""

    def input_row(self, split: Split, index: int, *, with_gold: bool) -> dict[str, Any]:
        """What a participant predicts on for one example (id and inputs), and its gold when `with_gold`."""

    def inputs_split(self, rows: list[tuple[str, dict[str, Any]]], name: str) -> Split:
        """A split without gold from rows as `input_row` writes them (`benchmark inputs`, `predict`), each with
        where it came from; a row without what the family reads is one line naming it."""

    def gold_predictions(self, split: Split, facts: DatasetFacts) -> Any:
        """Predictions equal to the split's references (what `score` takes): a perfect system."""

    def contamination_texts(self, split: Split) -> list[str]:
        """Each example's text as contamination checks compare it with a train split or a corpus: what a model reads
        (inputs for classification, QA and generation, the question and its choices, the document)."""

    def write_predictions(self, path: Path, split: Split, predictions: Any, facts: DatasetFacts) -> None:
        """Writes predictions (what `score` takes) as a predictions file of this family's layout."""

    def bench_split(self, text: str, batch_size: int) -> Split:
        """`batch_size` copies of one synthetic input made of `text` (for `benchhub bench`)."""

    bench_question: str | None
    internal_options: frozenset[str]
    takes_rules: bool

    def rules_class(self) -> type:
        """The class that loads a saved rules baseline (families with `takes_rules`)."""

    # Fine-tuning, the demo and the bundled sample ----------------------------------------------
    demo: DemoTour | None
    sample: Sample | None

    def finetune_config(self, epochs: float | None) -> Any:
        """The family's fine-tuning settings (its defaults, or `epochs` epochs)."""

    def finetune(self, base: Path, train: Split, labels: list[str], output: Path, *, config: Any,
                 show_progress: bool) -> dict[str, Any]:
        """Fine-tunes the encoder at `base` on `train` into `output`; returns a summary (seconds, steps, final_loss)."""

    def scratch_config(self, epochs: float | None) -> Any:
        """The settings of the family's recipe that trains a model from nothing (its defaults, or `epochs` epochs)."""

    def train_from_scratch(self, train: Split, output: Path, *, config: Any, show_progress: bool) -> dict[str, Any]:
        """Trains a new model on `train` into `output` (families with no pretrained base offline); returns a summary."""

    def demo_lines(self, metrics: dict[str, dict[str, float]]) -> list[str]:
        """What the demo adds about a model's metrics beyond the ranking (e.g. the memorization gap)."""

    def unavailable(self) -> str | None:
        """Why this machine cannot score the family's datasets (a missing sandbox), as the refusal's one line; None
        when it can."""

    def describe_splits(self, splits: list[Any], labels: list[str]) -> str:
        """One line on a registered dataset's splits, for the demo ("train 400, test 120 examples, 4 labels")."""

    # Probes ------------------------------------------------------------------------------------
    def default_probes(self, facts: DatasetFacts) -> tuple[list[Any], list[Any]]:
        """The probes and template tests of the default suite."""

    def suite_probes(self, path: Path, labels: list[str]) -> tuple[list[Any], list[Any]]:
        """The probes and template tests of a suite file."""

    def probe_answer(self, row: dict[str, Any]) -> Any:
        """What a probe compares before and after a change to count a flip (the prediction, by default)."""

    def probe_not_applicable(self, probe: Any, labels: list[str]) -> str | None:
        """Why a probe does not apply to a dataset with these labels, or None."""

    def probe_example_score(self, row: dict[str, Any]) -> float | None:
        """A stored row's per-example score of the primary metric, for a probe's paired score change (None: the
        family's probes compare answers only)."""

    def calibration_inputs(self, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Confidences and correctness of stored rows for calibration ({"confidences", "correct",
        "confidence", "quality"}), or None for a model without scores."""

    def dataset_options(self, splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
        """Options fixed at registration from the data itself and the settings given (stored with the dataset)."""

    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        """The metrics reported for a dataset with these facts, in display order."""

    def collect(self, model: Model, split: Split, run: RunOutput, facts: DatasetFacts) -> Any:
        """Turns the per-item outputs of a run into per-example predictions."""

    def score(self, split: Split, predictions: Any, facts: DatasetFacts) -> TaskScore:
        """Scores predictions against the split's references."""

    def paired_test(self, a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str,
                    facts: DatasetFacts) -> PairedDifference | None:
        """metric(a) - metric(b) on two systems' stored per-example rows (same examples, same order), with its
        paired-bootstrap interval and p-value; None for a metric the family cannot pair (e.g. one fitted per system)."""

    def paired_pvalue(self, leader: list[dict[str, Any]], other: list[dict[str, Any]], metric: str,
                      facts: DatasetFacts) -> float | None:
        """The p-value of `paired_test` (None where it is None)."""


class TaskFamily:
    """Defaults most families share; a family's dataclass inherits them and overrides what differs."""

    bench_question: str | None = None
    dataset_settings: tuple[FamilyOption, ...] = ()
    evaluation_settings: tuple[FamilyOption, ...] = ()
    scoring_settings: frozenset[str] = frozenset()
    # Dataset options the family computes for itself from gold data, never shown by the server.
    internal_options: frozenset[str] = frozenset()
    # Whether a rules file (`benchhub model add NAME rules.yaml`) makes a baseline of this family.
    takes_rules: bool = False
    exports_onnx: bool = True
    lower_is_better: frozenset[str] = frozenset()

    @property
    def sample(self) -> Sample | None:
        """The demo tour's sample (families without a tour declare a `sample` field of their own)."""
        demo = self.demo  # type: ignore[attr-defined]
        return None if demo is None else Sample(demo.sample, demo.files, demo.columns)

    def rules_class(self) -> type:
        from benchhub.errors import InvalidInputError

        raise InvalidInputError(f"A rules file classifies text; {self.name} datasets take no rules baselines.")  # type: ignore[attr-defined]

    def checkpoint_refusal(self, architectures: Any) -> str | None:
        return None

    def endpoint_model(self, endpoint: Endpoint, facts: DatasetFacts, *, settings: dict[str, Any],
                       cache_folder: Path) -> Model:
        from benchhub.errors import InvalidInputError

        raise InvalidInputError(f"{self.name} does not run models behind OpenAI-compatible servers (kind openai); they "  # type: ignore[attr-defined]
                                "generate text: evaluate them on a generation family (summarization, translation, "
                                "generative-answers), multiple choice or language modeling.")

    def check_setting(self, name: str, value: Any) -> None:
        """Refuses a bad value of one of `transformers_defaults` (by default each is a count, at least 1)."""
        check_count(name, value, low=1)

    def environment(self, task_config: dict[str, Any]) -> dict[str, Any]:
        return {}

    def write_na_probs(self, path: Path, split: Split, predictions: Any) -> bool:
        return False

    def check_submission(self, path: Path, *, settings: dict[str, Any]) -> None:
        return None

    def check_settings(self, settings: dict[str, Any]) -> None:
        """Every combination of allowed values is allowed."""

    def has_references(self, split: Split) -> bool:
        return split.labels is not None

    def inputs_split(self, rows: list[tuple[str, dict[str, Any]]], name: str) -> Split:
        """Rows {"id", "text"} (and "text_pair" where every row has one)."""
        ids, texts = input_ids(rows), [input_text(where, row, "text") for where, row in rows]
        paired = bool(rows) and all("text_pair" in row for _, row in rows)
        pairs = [input_text(where, row, "text_pair") for where, row in rows] if paired else None
        return Split(name, ids, texts, pairs)

    def contamination_texts(self, split: Split) -> list[str]:
        """The inputs of each example as `input_row` gives them (no id, no gold), one line a field."""
        texts = []
        for index in range(len(split)):
            row = self.input_row(split, index, with_gold=False)  # type: ignore[attr-defined]
            texts.append("\n".join(" ".join(map(str, value)) if isinstance(value, list) else str(value)
                                   for key, value in row.items() if key != "id" and value is not None))
        return texts

    def paired_pvalue(self, leader: list[dict[str, Any]], other: list[dict[str, Any]], metric: str,
                      facts: DatasetFacts) -> float | None:
        test = self.paired_test(leader, other, metric, facts)  # type: ignore[attr-defined]
        return None if test is None else test.p_value

    def example_table(self, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
        """Rows that follow the common layout (id, gold, predicted, correct) as they are."""
        shown = any("inputs" in r for r in rows)
        return ["id", *(["input"] if shown else []), "gold", "predicted", "correct"], [
            [str(r.get("id")), *([inputs_text(r.get("inputs"))] if shown else []), str(r.get("gold")), str(r.get("predicted")),
             "yes" if self.example_correct(r) else "no"] for r in rows
        ]

    def example_correct(self, row: dict[str, Any]) -> bool:
        return bool(row.get("correct"))

    def value_text(self, value: Any) -> str:
        return " ".join(map(str, value)) if isinstance(value, list) else str(value)

    def slice_metric(self, metric: str, subset: Split) -> tuple[str, str | None]:
        return metric, None

    def detail_tables(self, details: dict[str, Any]) -> list[DetailTable]:
        return []

    def finetune_config(self, epochs: float | None) -> Any:
        from benchhub.errors import InvalidInputError

        raise InvalidInputError(f"{self.name} has no fine-tuning recipe; fine-tune elsewhere and register the checkpoint "  # type: ignore[attr-defined]
                                "with `benchhub model add`.")

    def scratch_config(self, epochs: float | None) -> Any:
        from benchhub.errors import InvalidInputError

        raise InvalidInputError(f"{self.name} has no recipe that trains a model from scratch.")  # type: ignore[attr-defined]

    def train_from_scratch(self, train: Split, output: Path, *, config: Any, show_progress: bool) -> dict[str, Any]:
        return self.scratch_config(None)

    def confusion(self, details: dict[str, Any]) -> tuple[list[str], list[list[int]]] | None:
        return None

    def example_confidence(self, row: dict[str, Any]) -> float | None:
        return None

    def predicted_labels(self, row: dict[str, Any]) -> frozenset[str]:
        return frozenset((str(row.get("predicted")),))

    def label_counts(self, split: Split) -> dict[str, int]:
        from collections import Counter

        return dict(sorted(Counter(split.labels or []).items()))

    def read_source(self, source: str, mapping: ColumnMapping, *, revision: str | None) -> Any:
        from benchhub.data.readers import read_source

        return read_source(source, revision=revision)

    def read_file(self, path: Path, mapping: ColumnMapping) -> Table:
        from benchhub.data.readers import read_file

        return read_file(path)

    def build_splits(self, tables: dict[str, Table], mapping: ColumnMapping, *,
                     origin: dict[str, str]) -> tuple[dict[str, Split], list[str]]:
        from benchhub.data.splits import build_splits

        return build_splits(tables, mapping, origin=origin)

    def rules_baseline(self, path: Path, train: Split, facts: DatasetFacts) -> Any:
        from benchhub.errors import InvalidInputError

        raise InvalidInputError(f"A rules file classifies text; {self.name} datasets take no rules baselines.")  # type: ignore[attr-defined]

    def suite_probes(self, path: Path, labels: list[str]) -> tuple[list[Any], list[Any]]:
        from benchhub.errors import InvalidInputError

        raise InvalidInputError(f"suite files name text-classification probes only; got a {self.name} dataset; "  # type: ignore[attr-defined]
                                "use the default suite for it")

    def probe_not_applicable(self, probe: Any, labels: list[str]) -> str | None:
        return None

    def probe_answer(self, row: dict[str, Any]) -> Any:
        return row["predicted"]

    def probe_example_score(self, row: dict[str, Any]) -> float | None:
        return None

    def label_values(self, labels: list[str]) -> list[str]:
        return list(labels)

    def demo_lines(self, metrics: dict[str, dict[str, float]]) -> list[str]:
        return []

    def unavailable(self) -> str | None:
        return None

    def describe_splits(self, splits: list[Any], labels: list[str]) -> str:
        return ", ".join(f"{s.name} {s.num_rows}" for s in splits) + f" examples, {len(labels)} labels"

    def extra_board_metrics(self, ranked: str, present: set[str]) -> list[str]:
        """The metrics a board shows beside the ranking one: this family's `board_metrics` that rows report."""
        return [name for name in self.board_metrics if name != ranked and name in present]  # type: ignore[attr-defined]


def check_count(name: str, value: Any, *, low: int) -> None:
    """An evaluation setting that must be an int of at least `low`, named as its front end names it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        from benchhub.errors import InvalidInputError

        raise InvalidInputError.naming(
            lambda spell: f"{spell.setting(name)} must be an int in the range [{low}, inf). Got {value!r} instead.")


def input_ids(rows: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """The ids of input rows: each a non-empty string or an integer, each once."""
    from benchhub.errors import InvalidInputError

    seen: set[str] = set()
    ids = []
    for where, row in rows:
        value = row.get("id")
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
            raise InvalidInputError(f"{where}: id {value!r} is not a non-empty string or integer; every input row needs one.")
        if str(value) in seen:
            raise InvalidInputError(f"{where}: id {value!r} is given twice; give each example once.")
        seen.add(str(value))
        ids.append(value)
    if not ids:
        raise InvalidInputError("The inputs file holds no rows; give one JSON object per line.")
    return ids


def input_text(where: str, row: dict[str, Any], key: str) -> str:
    """A string field of an input row, or one line naming the row and the field."""
    from benchhub.errors import InvalidInputError

    value = row.get(key)
    if not isinstance(value, str):
        raise InvalidInputError(f"{where}: {key!r} is {'missing' if key not in row else repr(value)[:40]}; "
                                f"each input row needs {key!r} as a string.")
    return value


INPUT_TEXT_MAX = 100


def inputs_text(inputs: dict[str, Any] | None, limit: int = INPUT_TEXT_MAX) -> str:
    """An example's inputs (as `input_row` gives them, without the id) as one line of table text: texts and
    word lists joined, " | " between fields, cut to `limit` characters."""
    if not inputs:
        return ""
    parts = [" ".join(map(str, value)) if isinstance(value, list) else str(value) for value in inputs.values() if value is not None]
    text = " | ".join(" ".join(part.split()) for part in parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def refuse_settings(task: str, settings: dict[str, Any]) -> None:
    """Families without registration settings refuse any, naming the first."""
    if settings:
        from benchhub.errors import InvalidInputError

        name = next(iter(settings))
        raise InvalidInputError.naming(lambda spell: f"{spell.setting(name)} does not apply to {task} datasets.")


def check_columns(task: Task, columns: dict[str, str | None]) -> dict[str, str | None]:
    """`columns` (role -> column) with only the roles `task` reads (its own and SHARED_ROLES), each role
    present (None: not named); a column given for another role is one line naming the right options."""
    from benchhub.errors import InvalidInputError

    allowed = (*(option.name for option in task.column_roles), *SHARED_ROLES)
    extra = [role for role, column in columns.items() if column is not None and role not in allowed]
    if extra:
        raise InvalidInputError.naming(
            lambda spell: f"{spell.column(extra[0])} does not apply to {task.name} datasets; they read "
                          f"{', '.join(sorted(map(spell.column, allowed)))}."
        )
    return {role: columns.get(role) for role in allowed}


def head_suffixes(task: Task) -> tuple[str, ...]:
    """The ends of the architecture names whose head `task` runs."""
    return (task.head_suffix,) if isinstance(task.head_suffix, str) else tuple(task.head_suffix)


def has_head(task: Task, architectures: Any) -> bool:
    """Whether a config's `architectures` include one with `task`'s head."""
    return isinstance(architectures, list) and any(
        isinstance(name, str) and name.endswith(head_suffixes(task)) for name in architectures
    )


def metric_sign(task: Task, metric: str) -> float:
    """+1 for a metric where higher is better, -1 for one of the task's `lower_is_better`: sign * value ranks best first."""
    return -1.0 if metric in task.lower_is_better else 1.0


def metric_entry(value: float, low: float, high: float) -> dict[str, float]:
    return {"value": float(value), "ci_low": float(low), "ci_high": float(high)}


def plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
