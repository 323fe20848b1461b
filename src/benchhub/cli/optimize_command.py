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
    variants: Annotated[str, typer.Option("--variants", help=(
        "auto (every variant this machine can run and that can pay here) or names: onnx-fp32, onnx-int8, "
        "onnx-int8-static, torch-bf16, torch-bf16-compile, torch-compile, torch-fp16 (GPU), onnx-fp16 (GPU with "
        "onnxruntime-gpu). Each is gated, timed "
        "against PyTorch fp32, and the fastest per workload is registered as MODEL@fast-b1 / MODEL@fast-b32."))] = "auto",
    name_b1: Annotated[Optional[str], typer.Option("--name-b1", help="Name of the batch-1 winner (default MODEL@fast-b1).")] = None,
    name_b32: Annotated[Optional[str], typer.Option("--name-b32", help="Name of the batch-32 winner (default MODEL@fast-b32).")] = None,
    profile: Annotated[str, typer.Option("--profile", help="The workloads to choose for: b1 (batch 1 latency), b32 (batch 32 throughput), each optionally @TOKENS, e.g. b1,b32@128.")] = "b1,b32",
    seq_len: Annotated[Optional[int], typer.Option("--seq-len", help="Time every workload without its own @TOKENS at this many tokens (default: the split's median for batch 1, its 90th percentile for batch 32).")] = None,
    quantize: Annotated[Optional[str], typer.Option("--quantize", help=(
        "Make one ONNX export instead of choosing: none (fp32, MODEL@onnx) | dynamic-int8 (int8 weights, MODEL@onnx-int8)."))] = None,
    fuse: Annotated[bool, typer.Option("--fuse/--no-fuse", help="With --quantize: fuse attention, layer norms and GELU for ONNX Runtime.")] = True,
    name: Annotated[Optional[str], typer.Option("--name", help="With --quantize: name of the new model (default MODEL@onnx or MODEL@onnx-int8).")] = None,
    dataset: Annotated[Optional[str], typer.Option("--dataset", help="Dataset to check accuracy on (default: the model's newest evaluation's).")] = None,
    split: Annotated[str, typer.Option("--split", help="Split to check accuracy on.")] = "test",
    tolerance: Annotated[float, typer.Option("--tolerance", help="Reduced precision: largest allowed drop of the primary metric, in points.")] = 1.0,
    max_length: Annotated[Optional[int], typer.Option("--max-length", help="Evaluation setting, as for `eval` (default 512, QA 384).")] = None,
    force: Annotated[bool, typer.Option("--force", help="With --quantize: register the export even if it fails its accuracy gate.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
    family: Optional[dict[str, Any]] = None,
) -> None:
    """Make MODEL fast on this machine without losing accuracy: try each variant, gate it, keep the fastest.

    Every candidate is checked on the split first: fp32 variants must reproduce PyTorch's logits to
    1e-4 (max abs) on every example, reduced-precision ones must keep the primary metric within
    --tolerance points. The gated ones are timed with PyTorch fp32 in one interleaved run, at batch 1
    (at the split's median token length) and batch 32 (at its 90th percentile); the fastest of each is
    registered with its lineage and the machine it was chosen on, and evaluated. With --quantize, one
    ONNX export is made and registered instead (refused if it fails its gate, unless --force).
    """
    from benchhub.cli.shell import console as _console
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    echo = (lambda line: None) if as_json else (lambda line: typer.echo(line, err=True))
    if quantize is None and (name is not None or force or not fuse):
        from benchhub.errors import InvalidInputError

        raise InvalidInputError("--name, --force and --no-fuse apply to one export: add --quantize none or "
                                "--quantize dynamic-int8 (or use --name-b1/--name-b32 with --variants).")
    with _hub() as hub:
        if quantize is None:
            result = hub.optimize_variants(model, variants=variants, dataset=dataset, split=split, tolerance=tolerance,
                                           name_b1=name_b1, name_b32=name_b32, seq_len=seq_len, profile=profile,
                                           progress=not quiet, echo=echo,
                                           max_length=max_length, **(family or {}))
        else:
            result = hub.optimize(model, quantize=quantize, fuse=fuse, name=name, dataset=dataset, split=split,
                                  tolerance=tolerance, force=force, progress=not quiet, echo=echo,
                                  max_length=max_length, **(family or {}))
    if as_json:
        _print_json(result.to_dict())
        return
    from benchhub.cli.render import evaluation_rows, rich_table, variant_rows

    if quantize is None:
        header, rows = variant_rows(result)
        _console().print(rich_table(f"Variants of {result.source} on {result.machine}", header, rows))
        for line in _choices(result):
            typer.echo(line)
        if result.evaluations:
            header, rows = evaluation_rows([result.source_evaluation, *result.evaluations.values()])
            _console().print(rich_table("Source and chosen models", header, rows))
        return
    typer.echo(f"Registered {result.model.kind} model {result.model.name!r} from {result.source!r} "
               f"({result.model.info.get('size_bytes', 0) / 1e6:.1f} MB, was {result.model.info.get('source_size_bytes', 0) / 1e6:.1f} MB).")
    header, rows = evaluation_rows([result.source_evaluation, result.evaluation])
    _console().print(rich_table("Source and optimized model", header, rows))


def _choices(result: Any) -> list[str]:
    lines = [f"skipped {item['variant']}: {item['why']}" for item in result.skipped]
    for workload, label in (("b1", "batch 1 latency"), ("b32", "batch 32 throughput")):
        if workload not in result.chosen:
            continue
        variant = result.chosen[workload]
        record = result.registered.get(workload)
        lines.append(f"fastest at {label} ({result.seq_lens[workload]} tokens): {variant}"
                     + (f", registered as {record.name!r}" if record else " (the source itself; nothing registered)"))
    return lines
