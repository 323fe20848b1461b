"""What every command shares: the hub the `--home` option names, JSON output, the console, common options."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

# Set by the root callback from `--home`, read by every command that opens the hub.
state: dict[str, Any] = {"home": None}

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
SplitOption = Annotated[str, typer.Option("--split", help="Split to use.")]
UnsafeOption = Annotated[bool, typer.Option(
    "--unsafe-no-sandbox", help="Run model-written code (code generation) WITHOUT isolation, for this run only: logged, "
                                "recorded in the evaluation's task config and provenance, and marked on boards.")]


def open_hub():
    from benchhub.hub import Hub

    return Hub.open(state["home"])


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


def console():
    from rich.console import Console

    shown = Console()
    if not shown.is_terminal:
        # Piped output should not wrap a wide table into unreadable columns.
        shown = Console(width=200)
    return shown
