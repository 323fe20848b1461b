"""`benchhub probe`: behavioural tests through the evaluation engine, stored next to the evaluation."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from benchhub.cli.family_options import family_options
from benchhub.probes.notes import probe_note, rate_text
from benchhub.units import change_text


def register(app: typer.Typer) -> None:
    app.command("probe")(probe_command)


@family_options("evaluation")
def probe_command(
    model: Annotated[str, typer.Option("--model", help="Model name.")],
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset name.")],
    split: Annotated[str, typer.Option("--split", help="Split to probe.")] = "test",
    suite: Annotated[str, typer.Option("--suite", help="default, or a YAML suite file (see README, Probes).")] = "default",
    seed: Annotated[int, typer.Option("--seed", help="Seed of every perturbation.")] = 0,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Rerun even if an identical run is stored.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
    max_length: Annotated[Optional[int], typer.Option("--max-length", help="Longest input in tokens of transformers models, as for eval.")] = None,
    family: Optional[dict[str, Any]] = None,
) -> None:
    """Probe a model: invariance, directional and template tests (QA: distractors, moved and removed
    answer sentences; multiple choice: rotated choices and CircularEval; generation: whitespace, format and
    reworded prompts) and calibration, each run through the same engine as `eval`, under the same evaluation
    settings `eval` takes (--max-new-tokens, --prompt-template, --no-chat-template, ...)."""
    from benchhub.cli.render import rich_table
    from benchhub.cli.shell import console as _console
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    with _hub() as hub:
        report = hub.probe(model=model, dataset=dataset, split=split, suite=suite, seed=seed, use_cache=not no_cache,
                           progress=not quiet, max_length=max_length, **(family or {}))
    if as_json:
        _print_json(report.to_dict())
        return
    rows = []
    for result in report.results["probes"]:
        if result["kind"] == "MFT":
            rows.append([result["probe"], "MFT", str(result["examples"]), "-", "-", rate_text(result, "failure_rate")])
            continue
        if "flip_rate" not in result:
            rows.append([result["probe"], result["kind"], "0", "-", "-", result.get("note", "")])
            continue
        value = result["value"]
        rows.append([result["probe"], result["kind"], f"{result['changed']}/{result['examples']}", rate_text(result, "flip_rate"),
                     f"{value['value']:.3g} (change {change_text(result['drop_points'])} pts)", _extra(result)])
    title = f"Probes: {report.model} on {report.dataset}/{report.split}{' (from cache)' if report.cached else ''}"
    metric = next((r["metric"] for r in report.results["probes"] if "metric" in r), "metric")
    header = ["probe", "kind", "changed", "flip rate [95% CI]", f"{metric} under probe", "violations / guessing / failures / more"]
    _console().print(rich_table(title, header, rows))
    calibration = report.results.get("calibration")
    if calibration:
        typer.echo(f"calibration: ECE {calibration['ece']:.3f} (15 bins), risk-coverage area {calibration['aurc']:.3f}")


def _extra(result: dict) -> str:
    """What an INV or DIR probe reports beyond its flip rate and metric: a DIR probe's violations, else the shared
    note (guessing, CircularEval's accuracy, the per-example score change)."""
    if "violation_rate" in result:
        return f"violation rate {rate_text(result, 'violation_rate')}"
    return probe_note(result)
