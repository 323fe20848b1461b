"""`benchhub optimize`: a registered transformers model → ONNX (fused, optionally int8), gated, registered, evaluated."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from benchhub.cli.family_options import family_options


def register(app: typer.Typer) -> None:
    """Adds the `optimize` command to `app`."""
    app.command("optimize")(optimize_command)


@family_options("evaluation")
def optimize_command(
    model: Annotated[str, typer.Argument(metavar="MODEL", help="A registered transformers model.", show_default=False)],
    quantize: Annotated[str, typer.Option("--quantize", help="none | dynamic-int8 (int8 weights, per channel).")] = "none",
    fuse: Annotated[bool, typer.Option("--fuse/--no-fuse", help="Fuse attention, layer norms and GELU for ONNX Runtime.")] = True,
    name: Annotated[Optional[str], typer.Option("--name", help="Name of the new model (default MODEL@onnx or MODEL@onnx-int8).")] = None,
    dataset: Annotated[Optional[str], typer.Option("--dataset", help="Dataset to check accuracy on (default: the model's newest evaluation's).")] = None,
    split: Annotated[str, typer.Option("--split", help="Split to check accuracy on.")] = "test",
    tolerance: Annotated[float, typer.Option("--tolerance", help="int8: largest allowed drop of the primary metric, in points.")] = 1.0,
    max_length: Annotated[Optional[int], typer.Option("--max-length", help="Evaluation setting, as for `eval` (default 512, QA 384).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Register the variant even if it fails its accuracy gate.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
    family: Optional[dict[str, Any]] = None,
) -> None:
    """Export MODEL to ONNX, prove its accuracy held, register it with its lineage and evaluate it.

    fp32 exports must reproduce PyTorch's logits to 1e-4 (max abs) on every example of the split;
    int8 exports must keep the primary metric within --tolerance points of MODEL's. A variant that
    fails is not registered (one message with the numbers) unless --force. The families' evaluation
    settings are as for `eval`.
    """
    from benchhub.cli.shell import console as _console
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    echo = (lambda line: None) if as_json else (lambda line: typer.echo(line, err=True))
    with _hub() as hub:
        result = hub.optimize(model, quantize=quantize, fuse=fuse, name=name, dataset=dataset, split=split,
                              tolerance=tolerance, force=force, progress=not quiet, echo=echo,
                              max_length=max_length, **(family or {}))
    if as_json:
        _print_json(result.to_dict())
        return
    from benchhub.cli.render import evaluation_rows, rich_table

    typer.echo(f"Registered {result.model.kind} model {result.model.name!r} from {result.source!r} "
               f"({result.model.info.get('size_bytes', 0) / 1e6:.1f} MB, was {result.model.info.get('source_size_bytes', 0) / 1e6:.1f} MB).")
    header, rows = evaluation_rows([result.source_evaluation, result.evaluation])
    _console().print(rich_table("Source and optimized model", header, rows))
