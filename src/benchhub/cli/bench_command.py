"""`benchhub bench`: latency and throughput of models, measured side by side on this machine."""

from __future__ import annotations

import re
from typing import Annotated, Optional

import typer

from benchhub.errors import InvalidInputError


def register(app: typer.Typer) -> None:
    """Adds the `bench` command to `app`."""
    app.command("bench")(bench_command)


def bench_command(
    model: Annotated[list[str], typer.Argument(metavar="MODEL", help="Model names (registered, or built-in baselines).", show_default=False)],
    batch_sizes: Annotated[str, typer.Option("--batch-sizes", help="Comma-separated batch sizes.")] = "1,8,32",
    seq_lens: Annotated[str, typer.Option("--seq-lens", help="Comma-separated input lengths in tokens (special tokens included).")] = "32,128",
    threads: Annotated[Optional[int], typer.Option("--threads", help="Intra-op threads for network models (default: every CPU).")] = None,
    dataset: Annotated[Optional[str], typer.Option("--dataset", help="Dataset giving the task and labels (default: each model's newest evaluation's).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Measure latency (p50/p90/p99 ms per call) and throughput (examples/s at the median) of models.

    A call encodes and predicts one batch of synthetic inputs of exactly the given length, as a user
    would run the model. Models run interleaved, round by round, after a warm-up. Results are stored;
    leaderboards then show latency at batch 1 and throughput at batch 32 (sequence length 128).
    --json prints {"run_id", "threads", "hardware", "packages", "results": [...]}, each result with
    model, batch_size, seq_len, latency_ms_p50/p90/p99, throughput, timings, size_bytes, threads.
    Models that generate text also report generated tokens per second and the time to the first token
    (`details.generation`: tokens_per_second, ttft_p50_ms, ttft_p90_ms, tokens_per_call).
    """
    from benchhub.cli.shell import console as _console
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    sizes = parse_int_list("--batch-sizes", batch_sizes, example="1,8,32")
    lengths = parse_int_list("--seq-lens", seq_lens, example="32,128")
    with _hub() as hub:
        results = hub.bench(model, dataset=dataset, batch_sizes=sizes, seq_lens=lengths, threads=threads, progress=not quiet)
    first = results[0]
    if as_json:
        _print_json({
            "run_id": first.run_id, "threads": first.threads, "hardware": first.hardware,
            "packages": first.details.get("packages", {}), "results": [r.to_dict() for r in results],
        })
        return
    from benchhub.cli.render import hardware_line, rich_table, speed_rows

    header, rows = speed_rows(results)
    _console().print(rich_table("Speed (ms per call; ex/s at the median call)", header, rows))
    typer.echo(hardware_line(first.hardware, first.threads))


def parse_int_list(option: str, text: str, *, example: str) -> list[int]:
    """`1,8,32` as [1, 8, 32]; anything else is a one-line error naming the option.

    Only ASCII digits count (str.isdigit also accepts '²' and '١'), and at most 9 of them, so
    that a number too long to convert is refused like any other junk; the service bounds the values.
    """
    parts = [part.strip() for part in text.split(",")]
    if not all(re.fullmatch(r"[0-9]{1,9}", part) for part in parts):
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise InvalidInputError(f"{option} {shown!r} is not a comma-separated list of whole numbers; write e.g. {option} {example}.")
    return [int(part) for part in parts]
