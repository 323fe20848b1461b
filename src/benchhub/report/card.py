"""A model's benchhub results as Hugging Face model-card metadata (`model-index`) and a README card.

    model-index:
    - name: MODEL
      results:
      - task: {type: text-classification, name: Text Classification}
        dataset: {name: DATASET, type: DATASET, split: test, revision: FINGERPRINT}
        metrics:
        - {type: accuracy, value: 0.91, name: accuracy, verified: false}

One result per (dataset, split), from the model's newest evaluation there, with every metric it stored.
The dataset's benchhub fingerprint stands in for `revision`: like a git revision on the Hub, it pins
the exact data that was scored. Values keep benchhub's scales (0–1 for classification, 0–100 for SQuAD).
"""

from __future__ import annotations

import math
from typing import Any

from benchhub.errors import InvalidInputError
from benchhub.results import DatasetInfo, Evaluation, ModelRecord


def eval_results(model: ModelRecord, evaluations: list[Evaluation], datasets: dict[str, DatasetInfo]) -> list[Any]:
    """`huggingface_hub.EvalResult`s for the newest evaluation per (dataset, split); undefined metric values are left out."""
    from huggingface_hub import EvalResult

    results = []
    for evaluation in newest_per_split(model, evaluations):
        dataset = datasets[evaluation.dataset]
        for metric, entry in evaluation.metrics.items():
            value = entry.get("value")
            # model-index has no way to say "undefined" (e.g. NoAns_f1 without unanswerable questions).
            if value is None or not math.isfinite(value):
                continue
            results.append(EvalResult(
                task_type=evaluation.task, task_name=_title(evaluation.task),
                dataset_type=dataset.name, dataset_name=dataset.name, dataset_split=evaluation.split,
                dataset_revision=dataset.fingerprint, metric_type=metric, metric_name=metric, metric_value=value,
                verified=False,
            ))
    return results


def model_index(model: ModelRecord, evaluations: list[Evaluation], datasets: dict[str, DatasetInfo]) -> dict[str, Any]:
    """The card metadata: `{"model-index": [{"name": ..., "results": [...]}]}`."""
    return _card_data(model, evaluations, datasets).to_dict()


def card_yaml(model: ModelRecord, evaluations: list[Evaluation], datasets: dict[str, DatasetInfo]) -> str:
    """The card metadata as YAML, as it stands between the `---` lines of a README.md."""
    return _card_data(model, evaluations, datasets).to_yaml() + "\n"


def model_card(model: ModelRecord, evaluations: list[Evaluation], datasets: dict[str, DatasetInfo], *,
               version: str) -> str:
    """A README.md: the metadata as front matter, then the results as a table and where they came from."""
    newest = newest_per_split(model, evaluations)
    lines = [
        "---", card_yaml(model, evaluations, datasets).rstrip("\n"), "---", "",
        f"# {model.name}", "",
        f"Evaluation results recorded by benchhub {version} for this {model.kind} model "
        f"(fingerprint `{model.fingerprint}`).", "",
        *([f"**Upper bound**: {model.info['upper_bound']}.", ""] if model.info.get("upper_bound") else []),
        "## Results", "",
        "| dataset | split | task | metric | value | 95% CI |",
        "|---|---|---|---|---|---|",
    ]
    for evaluation in newest:
        for metric, entry in evaluation.metrics.items():
            ci = "-" if entry.get("ci_low") is None else f"[{_number(entry['ci_low'])}, {_number(entry.get('ci_high'))}]"
            lines.append(_row([evaluation.dataset, evaluation.split, evaluation.task, metric,
                               _number(entry.get("value")), ci]))
    lines += [
        "",
        _scales(sorted({evaluation.task for evaluation in newest}))
        + " A dataset's `revision` in the metadata is its benchhub fingerprint, a SHA-256 of its contents.",
        "",
        "## Provenance",
        "",
    ]
    for evaluation in newest:
        task_version = evaluation.provenance.get("task", {}).get("version", evaluation.task_version)
        lines.append(
            f"- {_escape(evaluation.dataset)}/{_escape(evaluation.split)}: evaluation {evaluation.id}, "
            f"{evaluation.task} v{task_version}, dataset fingerprint `{datasets[evaluation.dataset].fingerprint}`, "
            f"{evaluation.created_at.isoformat(timespec='seconds')}, "
            f"benchhub {evaluation.provenance.get('benchhub', 'unknown')}."
        )
    return "\n".join(lines) + "\n"


def newest_per_split(model: ModelRecord, evaluations: list[Evaluation]) -> list[Evaluation]:
    """The newest evaluation per (dataset, split), ordered by dataset and split."""
    newest: dict[tuple[str, str], Evaluation] = {}
    for evaluation in sorted(evaluations, key=lambda e: e.id, reverse=True):
        newest.setdefault((evaluation.dataset, evaluation.split), evaluation)
    if not newest:
        raise InvalidInputError(
            f"Model {model.name!r} has no evaluations to put on a card; "
            f"run `benchhub eval --model {model.name} --dataset DATASET` first."
        )
    return [newest[key] for key in sorted(newest)]


def _card_data(model: ModelRecord, evaluations: list[Evaluation], datasets: dict[str, DatasetInfo]) -> Any:
    from huggingface_hub import ModelCardData

    return ModelCardData(model_name=model.name, eval_results=eval_results(model, evaluations, datasets))


def _number(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.4f}"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(_escape(cell) for cell in cells) + " |"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _scales(tasks: list[str]) -> str:
    """How to read the numbers, per family in the card: "text-classification metrics are fractions (0–1)."."""
    from benchhub.tasks.registry import TASKS

    notes = [f"{task} metrics {TASKS[task].scale_note}" for task in tasks if task in TASKS]
    return ("; ".join(notes) + ".") if notes else ""


def _title(task: str) -> str:
    """The family's title for a model-index entry ("Text Classification"); an unknown task keeps its name."""
    from benchhub.tasks.registry import TASKS

    return TASKS[task].title if task in TASKS else task
