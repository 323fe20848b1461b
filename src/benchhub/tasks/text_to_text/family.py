"""The base of the text-to-text families: an input text and one or more reference texts per example, scored
against one generated text per example.

A family's dataclass inherits `TextToTextFamily` and sets its column defaults (`input_default`,
`target_default`), its metrics, settings and baselines. Splits keep the input as the split's texts and the
references in the field `references` (a list of strings per example). Predictions files are JSONL
`{"id", "text"}`. Local language models generate them: seq2seq and causal checkpoints run on PyTorch through
`models.generation` (the settings in `generation_settings.py`; a family states the prompt template its causal models
read by default, `prompt_default`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.language_models import CAUSAL_SUFFIXES, SEQ2SEQ_SUFFIXES
from benchhub.tasks.base import (
    FamilyOption,
    TaskFamily,
    check_columns,
    has_head,
    input_ids,
    input_text,
    inputs_text,
)
from benchhub.tasks.text_to_text.fewshot import (
    EXAMPLES,
    NUM_FEWSHOT,
    fewshot_examples,
    fewshot_options,
)
from benchhub.tasks.text_to_text.generation_settings import (
    GENERATION_SETTINGS,
    check_generation_setting,
    generation_defaults,
)
from benchhub.tasks.text_to_text.references import REFERENCES, references_reader

if TYPE_CHECKING:
    from pathlib import Path

    from benchhub.data.readers import Table
    from benchhub.data.records import ColumnMapping, DatasetFacts
    from benchhub.models.base import Model, RunOutput
    from benchhub.models.endpoints import Endpoint

# The architectures of generative checkpoints (seq2seq and causal language models), the head these families run.
GENERATIVE_SUFFIXES = SEQ2SEQ_SUFFIXES + CAUSAL_SUFFIXES
# The one suffix that also ends the names of models that read images or audio (LlavaForConditionalGeneration, ...).
AMBIGUOUS_SUFFIX = "ForConditionalGeneration"
CELL_MAX = 100
COLUMNS = (
    FamilyOption("input", "Column holding the input text: the document to summarize, the source sentence to translate, "
                          "the question to answer (default: document for summarization, source for translation, "
                          "question for generative answers)."),
    FamilyOption("target", "Column holding the reference text, or a list of several references (default: summary for "
                           "summarization, target for translation, answer for generative answers)."),
)


def normalised(text: str) -> str:
    """A text with its whitespace collapsed to single spaces and stripped (what exact match compares)."""
    return " ".join(text.split())


def exact_match(generated: str, references: list[str]) -> bool:
    """Whether the generated text equals one of the references after whitespace normalisation."""
    return any(normalised(generated) == normalised(reference) for reference in references)


def short(text: str, limit: int = CELL_MAX) -> str:
    """A text as one line of table text, cut to `limit` characters."""
    text = normalised(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TextToTextFamily(TaskFamily):
    """What summarization and translation share (the family's dataclass sets the attributes named here)."""

    input_default: str
    target_default: str
    # Local language models: seq2seq or causal checkpoints, on PyTorch (generation is not exported to ONNX).
    evaluation_settings: tuple[FamilyOption, ...] = GENERATION_SETTINGS
    # The few-shot examples drawn at registration (`fewshot.py`): train references the server never shows.
    internal_options: frozenset[str] = frozenset({EXAMPLES})
    transformers_defaults: tuple[tuple[str, Any], ...] = generation_defaults(max_length=1024, max_new_tokens=128)
    auto_class: str = "AutoModelForSeq2SeqLM or AutoModelForCausalLM"
    head_suffix: str | tuple[str, ...] = GENERATIVE_SUFFIXES
    head_outputs: tuple[str, ...] = ()
    exports_onnx: bool = False
    # The prompt template a causal model reads by default ({input} where the input goes); part of the family's
    # version: changing it changes what every default evaluation means, so it comes with a new version.
    prompt_default: str
    # The same instruction as `prompt_default` in other words, one prompt-paraphrase probe each.
    prompt_paraphrases: tuple[str, ...]
    # The per-example scores an examples table shows, of those each row stores.
    row_scores: tuple[str, ...]

    # Data ----------------------------------------------------------------------------------------
    def column_mapping(self, columns: dict[str, str | None]) -> ColumnMapping:
        from benchhub.data.records import ColumnMapping

        given = check_columns(self, columns)  # type: ignore[arg-type]
        source, target = given["input"] or self.input_default, given["target"] or self.target_default
        return ColumnMapping(text=source, label=None, id=given["id"], split=given["split"],
                             fields={REFERENCES: target}, roles={"input": source, "target": target})

    def build_splits(self, tables: dict[str, Table], mapping: ColumnMapping, *,
                     origin: dict[str, str]) -> tuple[dict[str, Split], list[str]]:
        """Splits with each example's references; there is no label set."""
        from benchhub.data.splits import build_splits

        splits, _ = build_splits(tables, mapping, origin=origin, read_fields=references_reader(mapping))
        return splits, []

    def has_references(self, split: Split) -> bool:
        return split.field(REFERENCES) is not None

    def label_counts(self, split: Split) -> dict[str, int]:
        """No labels: the examples, their references, and the references' mean length in words (rounded)."""
        references = split.field(REFERENCES) or []
        texts = [text for group in references for text in group]
        words = round(sum(len(text.split()) for text in texts) / len(texts)) if texts else 0
        return {"examples": len(split), "references": len(texts), "mean reference words": words}

    def example_labels(self, split: Split) -> list[frozenset[str]]:
        """No labels to slice by (`--slice length=` and `--slice column=` apply)."""
        return [frozenset() for _ in split.ids]

    def label_values(self, labels: list[str]) -> list[str]:
        return []

    def predicted_labels(self, row: dict[str, Any]) -> frozenset[str]:
        return frozenset()

    def describe_splits(self, splits: list[Any], labels: list[str]) -> str:
        return ", ".join(f"{s.name} {s.num_rows}" for s in splits) + " examples"

    def input_row(self, split: Split, index: int, *, with_gold: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"id": split.ids[index], "text": split.texts[index]}
        if with_gold and split.field(REFERENCES) is not None:
            item[REFERENCES] = split.field(REFERENCES)[index]
        return item

    def inputs_split(self, rows: list[tuple[str, dict[str, Any]]], name: str) -> Split:
        """Rows {"id", "text"}: the inputs only, whatever else a row holds."""
        return Split(name, input_ids(rows), [input_text(where, row, "text") for where, row in rows])

    def bench_split(self, text: str, batch_size: int) -> Split:
        return Split(name="bench", ids=list(range(batch_size)), texts=[text] * batch_size)

    # Views ---------------------------------------------------------------------------------------
    def example_table(self, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
        """Id, the input (shortened, where rows carry it), the references, the generated text, its scores, and
        whether it matches a reference exactly (after whitespace normalisation)."""
        shown = any("inputs" in r for r in rows)
        header = ["id", *(["input"] if shown else []), "reference", "generated", *self.row_scores, "exact"]
        return header, [
            [str(r["id"]), *([inputs_text(r.get("inputs"))] if shown else []), short(" | ".join(r["gold"])),
             short(r["predicted"]) or "(empty)", *(self._number(r.get(name)) for name in self.row_scores),
             "yes" if self.example_correct(r) else "no"]
            for r in rows
        ]

    def value_text(self, value: Any) -> str:
        """References joined by " | "; a generated text as it is."""
        return " | ".join(map(str, value)) if isinstance(value, list) else str(value)

    def example_correct(self, row: dict[str, Any]) -> bool:
        """The generated text equals a reference after whitespace normalisation (the unit of `--errors` and of a
        comparison's contingency table; the metrics themselves give partial credit)."""
        return bool(row.get("correct"))

    def _number(self, value: Any) -> str:
        if value is None:
            return "-"
        return f"{float(value):.3f}" if self.metric_scale == 1.0 else f"{float(value):.1f}"  # type: ignore[attr-defined]

    # Models --------------------------------------------------------------------------------------
    def check_setting(self, name: str, value: Any) -> None:
        check_generation_setting(name, value)

    def checkpoint_refusal(self, architectures: Any) -> str | None:
        """A *ForConditionalGeneration architecture that takes images or audio (transformers knows it, and neither
        AutoModelForSeq2SeqLM nor AutoModelForCausalLM loads it) is refused; other names load, or fail in one line."""
        # The registry asks with "Model" + the suffix for any checkpoint of this head: that name is no model's.
        named = [a for a in architectures or [] if isinstance(a, str) and a.endswith(AMBIGUOUS_SUFFIX)
                 and a != f"Model{AMBIGUOUS_SUFFIX}"]
        if not named:
            return None
        from benchhub.models.generation import takes_images_or_audio

        if not all(takes_images_or_audio(name) for name in named):
            return None
        # Registration refuses for every family at once, so the message names none.
        return (f"{named[0]} is not a text-to-text language model (transformers loads it with neither "
                "AutoModelForSeq2SeqLM nor AutoModelForCausalLM: it takes images or audio); the text-to-text families "
                'run text seq2seq and causal language models, and score other outputs as predictions files (JSONL {"id", '
                '"text"}).')

    def generation_inputs(self, split: Split) -> list[str]:
        """The text each example's prompt is made of (the split's input texts)."""
        return list(split.texts)

    def load_network(self, folder: Path, facts: DatasetFacts, *, label_map: dict[str, str] | None,
                     settings: dict[str, Any], runtime: str) -> Model:
        """A `TextGenerator` over the seq2seq or causal checkpoint at `folder`, on PyTorch."""
        from benchhub.models.generation import TextGenerator
        from benchhub.models.language_models import load_language_model
        from benchhub.tasks.text_to_text.generation_settings import generator_options

        if runtime == "onnx":
            raise InvalidInputError(f"{self.name} generates with PyTorch only; ONNX Runtime does not run generation here. "  # type: ignore[attr-defined]
                                    "Evaluate the transformers checkpoint itself.")
        architectures = _architectures(folder)
        if not has_head(self, architectures):  # type: ignore[arg-type]
            named = ", ".join(map(str, architectures)) or "none"
            raise InvalidInputError(
                f"{folder.name} is not a language model (config.json architectures: {named}); {self.name} runs seq2seq "  # type: ignore[attr-defined]
                f"and causal language models (*{', *'.join(GENERATIVE_SUFFIXES)}).")
        options = generator_options(settings, prompt_default=self.prompt_default,  # checked before loading
                                    fewshot=fewshot_examples(facts.options))
        model = load_language_model(folder, runtime=runtime, device=settings.get("device"))
        return TextGenerator(model, inputs=self.generation_inputs, **options)

    def endpoint_model(self, endpoint: Endpoint, facts: DatasetFacts, *, settings: dict[str, Any],
                       cache_folder: Path) -> Model:
        """An `EndpointGenerator`: one request per example to the server, under the same generation settings."""
        from benchhub.models.endpoint_generation import EndpointGenerator
        from benchhub.models.endpoints import EndpointClient
        from benchhub.tasks.text_to_text.generation_settings import generator_options

        options = generator_options(settings, prompt_default=self.prompt_default, fewshot=fewshot_examples(facts.options))
        return EndpointGenerator(EndpointClient(endpoint, cache_folder=cache_folder), inputs=self.generation_inputs,
                                 **options)

    def dataset_options(self, splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
        """The family's scoring options (`scoring_options`) and the few-shot examples drawn from train."""
        own = {name: value for name, value in settings.items() if name != NUM_FEWSHOT.name}
        return {**self.scoring_options(splits, own), **fewshot_options(splits, settings, inputs=self.generation_inputs)}

    def scoring_options(self, splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
        """The options every evaluation of a dataset is scored with, from its registration settings."""
        return {}

    def finetune_config(self, epochs: float | None) -> Any:
        raise InvalidInputError(f"{self.name} has no fine-tuning recipe yet; fine-tune elsewhere and register the "  # type: ignore[attr-defined]
                                "checkpoint (or its outputs, as a predictions file).")

    def predictions_model(self, path: Path, facts: DatasetFacts, *, na_probs: Path | None = None) -> Model:
        from benchhub.tasks.text_to_text.adapters import TextPredictionsModel

        if na_probs is not None:
            raise InvalidInputError("--na-probs applies to question-answering datasets only.")
        return TextPredictionsModel(path)

    def check_predictions_syntax(self, path: Path) -> None:
        from benchhub.tasks.text_to_text.predictions import read_text_pairs

        read_text_pairs(path)

    def check_predictions_file(self, path: Path, *, split: Split, labels: list[str], max_bytes: int,
                               max_depth: int) -> None:
        from benchhub.data.submission_files import check_json_lines
        from benchhub.tasks.text_to_text.predictions import read_text_predictions

        check_json_lines(path, max_depth)
        read_text_predictions(path, ids=split.ids, max_bytes=max_bytes)

    def predictions_from_rows(self, rows: list[dict[str, Any]], facts: DatasetFacts) -> list[str]:
        return [str(row["predicted"]) for row in rows]

    def gold_predictions(self, split: Split, facts: DatasetFacts) -> list[str]:
        """Each example's first reference."""
        return [references[0] for references in split.field(REFERENCES) or []]

    def write_predictions(self, path: Path, split: Split, predictions: list[str], facts: DatasetFacts) -> None:
        """JSONL {"id", "text"}, one line per example."""
        from benchhub.data.records import canonical_json

        path.write_text("".join(canonical_json({"id": example_id, "text": text}) + "\n"
                                for example_id, text in zip(split.ids, predictions, strict=True)), encoding="utf-8")

    def collect(self, model: Model, split: Split, run: RunOutput, facts: DatasetFacts) -> list[str]:
        """One generated text per example."""
        for example_id, output in zip(split.ids, run.outputs, strict=True):
            if not isinstance(output, str):
                raise InvalidInputError(f"Example {example_id!r}: the model gave {type(output).__name__}, not generated text.")
        return list(run.outputs)

    # Probes --------------------------------------------------------------------------------------
    def default_probes(self, facts: DatasetFacts) -> tuple[list[Any], list[Any]]:
        """Whitespace and format changes of the input, and the prompt template reworded (`probes.py`)."""
        from benchhub.tasks.text_to_text.probes import default_generation_suite

        return default_generation_suite(self.prompt_default, self.prompt_paraphrases), []

    def probe_answer(self, row: dict[str, Any]) -> Any:
        """The generated text with its whitespace normalised: a flip is an output that changed beyond whitespace."""
        return normalised(str(row["predicted"]))

    def probe_example_score(self, row: dict[str, Any]) -> float | None:
        """The row's own score of the primary metric (ROUGE-2, sentence BLEU, exact match)."""
        value = row.get(self.primary_metric)  # type: ignore[attr-defined]
        return None if value is None else float(value)

    def calibration_inputs(self, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        return None


def _architectures(folder: Path) -> list[Any]:
    """config.json's `architectures` ([] where it names none)."""
    import json

    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InvalidInputError(f"{folder} has no readable config.json; a transformers checkpoint needs one.") from None
    architectures = config.get("architectures") if isinstance(config, dict) else None
    return list(architectures) if isinstance(architectures, list) else []
