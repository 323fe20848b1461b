"""`benchhub report` and `benchhub export-card`: results to share, as an HTML page or a Hugging Face card."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    """Adds the report commands to the `benchhub` app."""
    app.command("report")(report_command)
    app.command("export-card")(export_card_command)


def report_command(
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset name.")],
    html: Annotated[Path, typer.Option("--html", help="HTML file to write (one self-contained page that opens offline).")],
    split: Annotated[str, typer.Option("--split", help="Split to use.")] = "test",
    metric: Annotated[Optional[str], typer.Option("--metric", help="Rank by this metric (default: the task's primary).")] = None,
    no_baselines: Annotated[bool, typer.Option("--no-baselines", help="Do not evaluate missing built-in baselines first.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Write a split's leaderboard and its accuracy-vs-latency plot as one HTML file."""
    from benchhub.cli.shell import open_hub as _hub

    with _hub() as hub:
        written = hub.report_html(dataset=dataset, split=split, path=html, metric=metric, baselines=not no_baselines,
                                  progress=not quiet)
    typer.echo(str(written))


def export_card_command(
    model: Annotated[str, typer.Argument(help="Model name.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write a full README.md model card here instead.")] = None,
) -> None:
    """Print a model's results as Hugging Face model-index YAML (or write a README.md card with --output)."""
    from benchhub.cli.shell import open_hub as _hub

    with _hub() as hub:
        metadata = hub.export_card(model, output=output)
    if output is None:
        typer.echo(metadata, nl=False)
    else:
        typer.echo(f"Wrote the model card of {model!r} to {output}.")
