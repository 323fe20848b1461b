"""The `benchhub` command line: a thin shell over `benchhub.Hub`.

Exit codes: 0 ok, 1 user error (one line on stderr), 2 usage error.
With --json, stdout holds exactly one JSON document; progress goes to stderr.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from benchhub.cli.family_options import family_options, split_columns
from benchhub.cli.shell import JsonOption, QuietOption, SplitOption, UnsafeOption
from benchhub.cli.shell import console as _console
from benchhub.cli.shell import open_hub as _hub
from benchhub.cli.shell import print_json as _print_json
from benchhub.cli.shell import state as _state
from benchhub.errors import BenchhubError, InvalidInputError
from benchhub.results import Removal
from benchhub.tasks.registry import DEFAULT_TASK, TASKS, runnable_heads

TASK_NAMES = tuple(TASKS)
MAX_LENGTHS = ", ".join(f"{task.name} {dict(task.transformers_defaults)['max_length']}"
                        for task in TASKS.values() if "max_length" in dict(task.transformers_defaults))

app = typer.Typer(
    name="benchhub",
    help="Evaluate, rank and compare machine-learning models on your own data, next to simple baselines.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
dataset_app = typer.Typer(help="Register and inspect datasets.", no_args_is_help=True)
model_app = typer.Typer(help="Register and inspect models.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")
app.add_typer(model_app, name="model")



def _version(value: bool) -> None:
    if value:
        from benchhub._version import __version__

        typer.echo(f"benchhub {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    home: Annotated[Optional[Path], typer.Option("--home", help="Hub folder (default: $BENCHHUB_HOME or ~/.benchhub).")] = None,
    version: Annotated[bool, typer.Option("--version", help="Print benchhub's version and exit.", callback=_version,
                                          is_eager=True)] = False,
) -> None:
    _state["home"] = home


def _split_sources(values: list[str]) -> dict[str, str]:
    sources = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise InvalidInputError(f"--split {value!r} is not NAME=PATH; write e.g. --split train=train.csv.")
        if name in sources:
            raise InvalidInputError(f"--split {name} is given twice; give each split once.")
        sources[name] = path
    return sources


def _dataset_add_help() -> str:
    formats = "\n\n".join(f"{task.name}: {task.data_formats}" for task in TASKS.values())
    return ("Register a dataset. One SOURCE without --split becomes a single split named 'test'.\n\n"
            f"Each task family reads its own data and columns (its options name the family):\n\n{formats}")


@dataset_app.command("add", help=_dataset_add_help())
@family_options("columns", "dataset")
def dataset_add(
    name: Annotated[str, typer.Argument(help="Name to register the dataset under.")],
    source: Annotated[Optional[str], typer.Argument(help="A file, save_to_disk folder or hub id, in a layout its family reads (above).")] = None,
    task: Annotated[str, typer.Option("--task", help=f"Task family: {', '.join(TASK_NAMES)}.")] = DEFAULT_TASK,
    id_column: Annotated[Optional[str], typer.Option("--id-column", help="Column holding example ids (default: row index).")] = None,
    split_column: Annotated[Optional[str], typer.Option("--split-column", help="Column whose value names each row's split.")] = None,
    split: Annotated[Optional[list[str]], typer.Option("--split", help="NAME=PATH, once per split (instead of SOURCE).")] = None,
    revision: Annotated[Optional[str], typer.Option("--revision", help="Hub revision (for hub ids).")] = None,
    exist_ok: Annotated[bool, typer.Option("--exist-ok", help="If NAME holds the same data and settings already, keep it and succeed (other data is refused).")] = False,
    as_json: JsonOption = False,
    family: Optional[dict[str, Any]] = None,
) -> None:
    columns, settings = split_columns(family or {})
    started = datetime.now(timezone.utc)
    with _hub() as hub:
        info = hub.add_dataset(
            name, source, task=task, splits=_split_sources(split or []) or None,
            columns={"id": id_column, "split": split_column, **columns}, settings=settings, revision=revision,
            exist_ok=exist_ok,
        )
    if as_json:
        _print_json(info.to_dict())
        return
    from benchhub.cli.render import dataset_lines

    if info.created_at < started:
        typer.echo(f"Dataset {info.name!r} is registered with this data already (fingerprint {info.fingerprint[:12]}); kept it.")
    else:
        typer.echo(f"Registered dataset {info.name!r}.")
    typer.echo("\n".join(dataset_lines(info)))


@dataset_app.command("list")
def dataset_list(as_json: JsonOption = False) -> None:
    """List registered datasets."""
    with _hub() as hub:
        datasets = hub.datasets()
    if as_json:
        _print_json([d.to_dict() for d in datasets])
        return
    from benchhub.cli.render import rich_table

    rows = [[d.name, d.task, str(len(d.labels)), ", ".join(f"{s.name}={s.num_rows}" for s in d.splits), d.fingerprint[:12]] for d in datasets]
    _console().print(rich_table("Datasets", ["name", "task", "labels", "splits", "fingerprint"], rows))


@dataset_app.command("show")
def dataset_show(name: Annotated[str, typer.Argument(help="A registered dataset.")], as_json: JsonOption = False) -> None:
    """Show a dataset: task, labels, splits and label distribution, fingerprint, source."""
    with _hub() as hub:
        info = hub.dataset(name)
    if as_json:
        _print_json(info.to_dict())
        return
    from benchhub.cli.render import dataset_lines

    typer.echo("\n".join(dataset_lines(info)))


@dataset_app.command("contamination")
def dataset_contamination(
    name: Annotated[str, typer.Argument(help="A registered dataset.")],
    corpus: Annotated[Optional[Path], typer.Option("--corpus", help=(
        "A corpus to check against: .txt (documents separated by blank lines) or .jsonl ({\"text\": ...} a line). "
        "Without it, the dataset's train split."))] = None,
    ngram: Annotated[int, typer.Option("--ngram", help="Words in an n-gram (13: GPT-3's and lm-evaluation-harness's).")] = 13,
    splits: Annotated[Optional[list[str]], typer.Option("--split", help="A split to check (repeatable; default: every split but train).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Check which items of a dataset's splits share an n-gram with a corpus (or its train split); stored, and
    flagged on the dataset's leaderboards when any item is."""
    with _hub() as hub:
        checks = hub.check_contamination(name, corpus=corpus, ngram=ngram, splits=splits)
    if as_json:
        _print_json(checks)
        return
    from benchhub.cli.render import contamination_lines

    typer.echo("\n".join(contamination_lines(checks)))


@dataset_app.command("remove")
def dataset_remove(
    name: Annotated[str, typer.Argument(help="A registered dataset.")],
    cascade: Annotated[bool, typer.Option("--cascade", help="Also remove its evaluations, probe runs and the models fine-tuned on it (never a benchmark).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Remove a dataset and its files; refused while anything depends on it, unless --cascade.

    Evaluations, probe runs and models fine-tuned on it depend on a dataset; --cascade removes them with it.
    A dataset a hosted benchmark uses is never removed: the benchmark holds its participants' submissions.
    """
    with _hub() as hub:
        removal = hub.remove_dataset(name, cascade=cascade)
    if as_json:
        _print_json(removal.to_dict())
        return
    typer.echo(_removed_line(removal))


def _removed_line(removal: Removal) -> str:
    dependents = removal.dependents()
    if removal.builtin:
        if not dependents:
            return f"Built-in baseline {removal.name!r} has no stored results; it stays available."
        return f"Removed the stored results of built-in baseline {removal.name!r}: {dependents}; it stays available."
    return f"Removed {removal.kind} {removal.name!r}" + (f" with {dependents}." if dependents else ".")


def _model_add_help() -> str:
    heads = ", ".join(dict.fromkeys(task.auto_class for task in runnable_heads()))
    files = "; ".join(f"{task.name}: {task.predictions_hint}" for task in TASKS.values())
    return ("Register a model. Built-in baselines (e.g. baseline:tfidf-logreg, baseline:sliding-window) need no registration.\n\n"
            f"SOURCE is a transformers checkpoint folder or hub id (safetensors only, with the head of a family: {heads}; and no code "
            "of its own: auto_map or unknown model types are refused); an ONNX folder (model.onnx with config.json and "
            f"tokenizer files; external data must stay inside it); a predictions file ({files}); regex rules (.yaml); or "
            "an OpenAI-compatible server (vLLM, TGI, llama.cpp, Ollama, transformers serve) by its base URL, "
            "http://HOST:PORT/v1, with --endpoint-model.")


@model_app.command("add", help=_model_add_help())
def model_add(
    name: Annotated[str, typer.Argument(help="Name to register the model under.")],
    source: Annotated[str, typer.Argument(help="Checkpoint folder or hub id, ONNX folder (model.onnx), predictions file, rules (.yaml), or an OpenAI-compatible server's URL (http://HOST:PORT/v1).")],
    kind: Annotated[Optional[str], typer.Option("--kind", help="transformers | onnx | predictions | rules | openai (default: from SOURCE).")] = None,
    label_map: Annotated[Optional[str], typer.Option("--label-map", help="MODEL_LABEL=DATASET_LABEL,... when names differ.")] = None,
    na_probs: Annotated[Optional[Path], typer.Option("--na-probs", help="QA predictions: no-answer probabilities JSON {id: p}.")] = None,
    revision: Annotated[Optional[str], typer.Option("--revision", help="Hub revision (for hub ids).")] = None,
    exist_ok: Annotated[bool, typer.Option("--exist-ok", help="If NAME holds the same model already (kind, fingerprint, options), keep it and succeed (another is refused).")] = False,
    endpoint_model: Annotated[Optional[str], typer.Option("--endpoint-model", help="Endpoints (SOURCE http://HOST:PORT/v1): the server's name for the model.")] = None,
    route: Annotated[Optional[str], typer.Option("--route", help="Endpoints: completions (default) or chat (/v1/chat/completions, the server applies its chat template).")] = None,
    api_key_env: Annotated[Optional[str], typer.Option("--api-key-env", help="Endpoints: the NAME of the environment variable holding the API key (the key is never stored).")] = None,
    concurrency: Annotated[Optional[int], typer.Option("--concurrency", help="Endpoints: requests in flight at once (default 4).")] = None,
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="Endpoints: seconds to wait for one answer (default 120).")] = None,
    as_json: JsonOption = False,
) -> None:
    started = datetime.now(timezone.utc)
    given = {"model": endpoint_model, "route": route, "api_key_env": api_key_env, "concurrency": concurrency,
             "timeout_seconds": timeout}
    endpoint = {key: value for key, value in given.items() if value is not None} or None
    with _hub() as hub:
        record = hub.add_model(name, source, kind=kind, label_map=label_map, na_probs=na_probs, revision=revision,
                               exist_ok=exist_ok, endpoint=endpoint)
    if as_json:
        _print_json(record.to_dict())
        return
    if record.created_at < started:
        typer.echo(f"Model {record.name!r} is registered with these files already (fingerprint {record.fingerprint[:12]}); kept it.")
    else:
        typer.echo(f"Registered {record.kind} model {record.name!r} (fingerprint {record.fingerprint[:12]}).")


@model_app.command("remove")
def model_remove(
    name: Annotated[str, typer.Argument(help="A registered model (of a built-in baseline, --cascade removes the results).")],
    cascade: Annotated[bool, typer.Option("--cascade", help="Also remove its evaluations, speed and probe runs and the models made from it.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Remove a model and the files the hub keeps for it; refused while anything depends on it, unless --cascade.

    Evaluations, speed runs, probe runs and models made from it (fine-tuned, optimized) depend on a model;
    --cascade removes them with it. Files the model was registered from stay; a fine-tuned checkpoint another
    model uses stays. Built-in baselines stay available: --cascade removes only their stored results.
    """
    with _hub() as hub:
        removal = hub.remove_model(name, cascade=cascade)
    if as_json:
        _print_json(removal.to_dict())
        return
    typer.echo(_removed_line(removal))


@model_app.command("list")
def model_list(as_json: JsonOption = False) -> None:
    """List registered models (built-in baselines appear once used)."""
    with _hub() as hub:
        models = hub.models()
    if as_json:
        _print_json([m.to_dict() for m in models])
        return
    from benchhub.cli.render import rich_table

    rows = [[m.name, m.kind, m.source, m.fingerprint[:12]] for m in models]
    _console().print(rich_table("Models", ["name", "kind", "source", "fingerprint"], rows))


@model_app.command("show")
def model_show(name: Annotated[str, typer.Argument(help="A registered model or built-in baseline.")], as_json: JsonOption = False) -> None:
    """Show a model's kind, source, fingerprint and options."""
    with _hub() as hub:
        record = hub.model(name)
    if as_json:
        _print_json(record.to_dict())
        return
    for key, value in record.to_dict().items():
        typer.echo(f"{key:<12} {value}")


@app.command("eval")
@family_options("evaluation")
def eval_command(
    model: Annotated[list[str], typer.Option("--model", help="Model name; repeat to evaluate several.")],
    dataset: Annotated[list[str], typer.Option("--dataset", help="Dataset name; repeat for a matrix of models x datasets.")],
    split: SplitOption = "test",
    batch_size: Annotated[int, typer.Option("--batch-size", help="Examples per batch.")] = 32,
    max_length: Annotated[Optional[int], typer.Option("--max-length", help=f"Longest input in tokens of transformers models (default: {MAX_LENGTHS}); longer ones are windowed or cut, as the family does.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Rerun even if an identical evaluation is stored.")] = False,
    executor: Annotated[Optional[str], typer.Option("--executor", help="Run a models x datasets matrix: local (worker processes) or ray.")] = None,
    max_parallel: Annotated[Optional[int], typer.Option("--max-parallel", help="Matrix jobs at once (default: one per CPU; on Ray, as many as its resources allow).")] = None,
    max_retries: Annotated[Optional[int], typer.Option("--max-retries", help="Reruns of a matrix job whose worker process died (default 3; a job that raises is not rerun).")] = None,
    ray_address: Annotated[Optional[str], typer.Option("--ray-address", help="--executor ray: 'auto' (the cluster `ray start` began on this machine) or HOST:PORT; default: RAY_ADDRESS if set, else a local Ray instance for this run.")] = None,
    cpus_per_job: Annotated[float, typer.Option("--cpus-per-job", help="--executor ray: CPUs each job asks for (also its thread count).")] = 1.0,
    gpus_per_job: Annotated[float, typer.Option("--gpus-per-job", help="--executor ray: GPUs each job asks for (fractions share one).")] = 0.0,
    unsafe_no_sandbox: UnsafeOption = False,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
    family: Optional[dict[str, Any]] = None,
) -> None:
    """Evaluate models on dataset splits (cached by model, data, split and task config).

    Several --dataset values (or --executor) run the matrix of every model on every dataset, in worker
    processes (--executor local) or as Ray tasks (--executor ray); cached jobs are skipped, a job whose
    worker dies is rerun, and a summary table closes the run.
    """
    from benchhub.evaluation.matrix import DEFAULT_RETRIES, RayOptions

    if batch_size < 1:
        # Checked here too: a matrix would otherwise start worker processes only to fail every job.
        raise InvalidInputError(f"--batch-size must be an int in the range [1, inf). Got {batch_size} instead.")
    settings = dict(family or {})
    ray = RayOptions(ray_address, cpus_per_job, gpus_per_job)
    matrix = len(dataset) > 1 or executor is not None or max_parallel is not None or max_retries is not None or ray != RayOptions()
    if unsafe_no_sandbox:
        if matrix:
            raise InvalidInputError("--unsafe-no-sandbox applies to one evaluation run here, not to a matrix; give one "
                                    "--dataset and no --executor.")
        _warn_unsandboxed()
    if matrix:
        _run_matrix(model, dataset, split=split, batch_size=batch_size,
                    settings={"max_length": max_length, **settings}, executor=executor or "local",
                    max_parallel=max_parallel, max_retries=DEFAULT_RETRIES if max_retries is None else max_retries, ray=ray, use_cache=not no_cache, quiet=quiet,
                    as_json=as_json)
        return
    results = []
    with _hub() as hub:
        for name in model:
            results.append(hub.evaluate(
                model=name, dataset=dataset[0], split=split, batch_size=batch_size, max_length=max_length,
                use_cache=not no_cache, progress=not quiet, unsafe_no_sandbox=unsafe_no_sandbox, **settings,
            ))
    for result in results:
        for note in result.provenance.get("model", {}).get("notes", []):
            typer.echo(f"warning: {result.model}: {note}", err=True)
    if as_json:
        documents = [r.to_dict() for r in results]
        _print_json(documents[0] if len(documents) == 1 else documents)
        return
    from benchhub.cli.render import evaluation_rows, rich_table

    header, rows = evaluation_rows(results)
    _console().print(rich_table("Evaluations", header, rows))
    from benchhub.cli.render import detail_tables

    for result in results:
        for title, table_header, table_rows in detail_tables(result):
            _console().print(rich_table(title, table_header, table_rows))


def _run_matrix(models: list[str], datasets: list[str], *, split: str, batch_size: int, settings: dict[str, Any],
                executor: str, max_parallel: int | None, max_retries: int, ray: Any, use_cache: bool, quiet: bool,
                as_json: bool) -> None:
    from benchhub.config import HubConfig
    from benchhub.evaluation.matrix import run_matrix

    given = {name: value for name, value in settings.items() if value is not None}
    results = run_matrix(HubConfig.from_env(_state["home"]), models=models, datasets=datasets, split=split,
                         batch_size=batch_size, settings=given, executor=executor, max_parallel=max_parallel,
                         max_retries=max_retries, ray=ray, use_cache=use_cache, show_progress=not quiet,
                         notify=None if quiet else lambda line: typer.echo(line, err=True))
    if as_json:
        _print_json([result.to_dict() for result in results])
    else:
        from benchhub.cli.render import rich_table

        rows = [[r.model, r.dataset, r.status, f"{r.metric} {r.value:.4g}" if r.value is not None else "-",
                 f"{r.seconds:.1f}" if r.seconds is not None else "-", r.error or ""] for r in results]
        _console().print(rich_table(f"Matrix: {len(models)} models x {len(datasets)} datasets ({split})",
                                    ["model", "dataset", "status", "primary", "seconds", "error"], rows))
        if len(set(models)) > 1 and len(set(datasets)) > 1:
            _console().print(rich_table(*_matrix_pivot(results)))
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise BenchhubError(f"{len(failed)} of {len(results)} jobs failed; the first: {failed[0].model} on {failed[0].dataset}: {failed[0].error}")


def _matrix_pivot(results: list[Any]) -> tuple[str, list[str], list[list[str]]]:
    """Models down, datasets across, each cell the job's primary metric: the matrix at a glance."""
    datasets = list(dict.fromkeys(r.dataset for r in results))
    metric = {d: next((r.metric for r in results if r.dataset == d and r.metric), None) for d in datasets}
    cells = {(r.model, r.dataset): "failed" if r.status == "failed" else f"{r.value:.4g}" for r in results}
    rows = [[model, *(cells[(model, d)] for d in datasets)] for model in dict.fromkeys(r.model for r in results)]
    return "Primary metric by model and dataset", ["model", *(f"{d} ({metric[d]})" if metric[d] else d for d in datasets)], rows


@app.command("score")
def score_command(
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset name.")],
    predictions: Annotated[Path, typer.Option("--predictions", help="JSONL {id, label} or CSV id,label; for QA a SQuAD JSON {id: answer}.")],
    split: SplitOption = "test",
    na_probs: Annotated[Optional[Path], typer.Option("--na-probs", help="QA: no-answer probabilities JSON {id: p}.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Score a predictions file against a split; nothing is registered or stored."""
    with _hub() as hub:
        result = hub.score(dataset=dataset, predictions=predictions, split=split, na_probs=na_probs)
    if as_json:
        _print_json(result)
        return
    from benchhub.cli.render import metric_text

    typer.echo(f"{predictions} on {dataset}/{split}:")
    from benchhub.tasks.registry import get_task

    percent = get_task(result["task"]).metric_scale > 1
    for name, metric in result["metrics"].items():
        typer.echo(f"  {name:<18} {metric_text(metric, scaled=percent)}")


@app.command("execute")
def execute_command(
    generations: Annotated[Path, typer.Argument(metavar="GENERATIONS", help='A generations file, JSONL {"task_id", "completions": [...]} (what `predict` writes for a code generation dataset).', show_default=False)],
    dataset: Annotated[str, typer.Option("--dataset", help="The code generation dataset whose hidden tests the completions run against.")],
    split: SplitOption = "test",
    wall_seconds: Annotated[Optional[float], typer.Option("--wall-seconds", help="Wall-clock (and CPU) limit of each program in seconds (default 10).")] = None,
    memory_mb: Annotated[Optional[int], typer.Option("--memory-mb", help="Address-space limit of each program in MB (default 512).")] = None,
    unsafe_no_sandbox: UnsafeOption = False,
    as_json: JsonOption = False,
) -> None:
    """Run a generations file's completions against a split's tests (in the sandbox) and print pass@k, as `eval` of
    that file registered as a predictions model does; nothing is registered or stored."""
    if unsafe_no_sandbox:
        _warn_unsandboxed()
    limits = {name: value for name, value in (("wall_seconds", wall_seconds), ("memory_mb", memory_mb)) if value is not None}
    with _hub() as hub:
        result = hub.score(dataset=dataset, predictions=generations, split=split, unsafe_no_sandbox=unsafe_no_sandbox,
                           **limits)
    if as_json:
        _print_json(result)
        return
    from benchhub.cli.render import metric_text, rich_table
    from benchhub.tasks.registry import get_task

    typer.echo(f"{generations} on {dataset}/{split}:")
    for name, metric in result["metrics"].items():
        typer.echo(f"  {name:<18} {metric_text(metric, scaled=False)}")
    for table in get_task(result["task"]).detail_tables(result["details"]):
        _console().print(rich_table(table.title, table.header, table.rows))


def _warn_unsandboxed() -> None:
    typer.echo("warning: --unsafe-no-sandbox: model-written code runs WITHOUT isolation, with your user's access to "
               "this machine; the evaluation records it.", err=True)


@app.command("leaderboard")
def leaderboard_command(
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset name.")],
    split: SplitOption = "test",
    metric: Annotated[Optional[str], typer.Option("--metric", help="Rank by this metric (default: the task's primary).")] = None,
    top: Annotated[Optional[int], typer.Option("--top", help="Show the best N models (baselines always shown).")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table | json | csv (numbers: value, ci_low, ci_high per metric) | markdown")] = "table",
    no_baselines: Annotated[bool, typer.Option("--no-baselines", help="Do not evaluate missing built-in baselines first.")] = False,
    slice_spec: Annotated[Optional[str], typer.Option("--slice", help="Rank on a slice: length=10-19 (words: 0-9, 10-19, 20-39, 40+) or label=VALUE.")] = None,
    weights: Annotated[Optional[str], typer.Option("--weights", help=(
        "Rank by a Dynascore (Dynaboard's weighted sum, each column in units of the metric): COLUMN:WEIGHT pairs, "
        "e.g. metric:1,latency_b1:0.5. Columns: metric (the ranked one), the task's other metrics by name, latency_b1, "
        "throughput_b32, size, flip_rate, worst_change, ece; those left out weigh 0."))] = None,
    quiet: QuietOption = False,
) -> None:
    """Rank every model evaluated on a split, with CIs, efficiency and significance against the leader."""
    formats = ("table", "json", "csv", "markdown")
    if output_format not in formats:
        raise InvalidInputError(f"--format {output_format!r} is not supported; use one of {', '.join(formats)}.")
    with _hub() as hub:
        chosen = None
        if weights is not None:  # checked before any baseline is evaluated
            from benchhub.ranking.dynascore import read_weights
            from benchhub.ranking.leaderboard import (
                leaderboard_columns,
                weigh_leaderboard,
            )
            from benchhub.tasks.registry import get_task

            task_name = hub.dataset(dataset).task
            chosen = read_weights(weights, leaderboard_columns(task_name, metric or get_task(task_name).primary_metric))
        board = hub.leaderboard(dataset=dataset, split=split, metric=metric, top=None if chosen else top,
                                baselines=not no_baselines, progress=not quiet, slice=slice_spec)
        if chosen is not None:
            board = weigh_leaderboard(board, chosen, top=top)  # ranks the whole board, then keeps the top N
    if output_format == "json":
        _print_json(board.to_dict())
        return
    from benchhub.cli.render import (
        leaderboard_numbers,
        leaderboard_rows,
        to_csv,
        to_markdown,
    )

    for flag in board.contamination:  # above the table: it qualifies every number in it
        typer.echo(flag["note"], err=True)
    header, rows = leaderboard_rows(board)
    if output_format == "csv":
        numbers_header, numbers = leaderboard_numbers(board)
        sys.stdout.write(to_csv(numbers_header, [[str(cell) for cell in row] for row in numbers]))
    elif output_format == "markdown":
        sys.stdout.write(to_markdown(header, rows))
    else:
        _print_leaderboard(board)
    for note in board.notes:
        typer.echo(note, err=True)
    if board.dynascore is not None:
        from benchhub.cli.render import dynascore_lines

        for line in dynascore_lines(board.dynascore, board.metric):
            typer.echo(line, err=True)


@app.command("predictions")
def predictions_command(
    model: Annotated[str, typer.Option("--model", help="Model name.")],
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset name.")],
    split: SplitOption = "test",
    errors: Annotated[bool, typer.Option("--errors", help="Only the examples the model got wrong (not exactly right).")] = False,
    gold: Annotated[Optional[str], typer.Option("--gold", help="Only examples with this gold label (a class; QA answerable|unanswerable; an entity type).")] = None,
    predicted: Annotated[Optional[str], typer.Option("--predicted", help="Only examples the model gave this label, in the values of --gold.")] = None,
    slice: Annotated[Optional[str], typer.Option("--slice", help="Only a slice, as for `leaderboard --slice` (length=10-19, label=VALUE, column=NAME:VALUE).")] = None,
    sort: Annotated[str, typer.Option("--sort", help="split (split order), confidence (the most confident first: with --errors, the most confident errors), or -confidence.")] = "split",
    limit: Annotated[Optional[int], typer.Option("--limit", help="Show at most N rows.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Instead: write the evaluation's predictions as the family's predictions file (code generation: its generations, for `benchhub execute`).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Show a model's per-example results (inputs, gold, predicted, scores) from its newest evaluation."""
    if limit is not None and limit < 1:
        raise InvalidInputError(f"--limit must be an int in the range [1, inf). Got {limit} instead.")
    if output is not None:
        with _hub() as hub:
            summary = hub.write_predictions(model=model, dataset=dataset, split=split, output=output)
        if as_json:
            _print_json(summary)
        else:
            typer.echo(f"Wrote {summary['examples']} predictions of {model} on {dataset}/{split} to {summary['output']}.")
        return
    with _hub() as hub:
        rows = hub.examples(model=model, dataset=dataset, split=split, errors=errors, gold=gold, predicted=predicted,
                            slice=slice, sort=sort)
        task_name = hub.dataset(dataset).task
    total = len(rows)
    rows = rows[:limit] if limit is not None else rows
    if as_json:
        _print_json(rows)
        return
    from benchhub.cli.render import prediction_rows, rich_table

    header, table_rows = prediction_rows(task_name, rows)
    shown = f"{len(rows)} of {total}" if len(rows) < total else str(total)
    _console().print(rich_table(f"{model} on {dataset}/{split}: {shown} examples", header, table_rows))


@app.command("predict")
@family_options("evaluation")
def predict_command(
    model: Annotated[str, typer.Argument(metavar="MODEL", help="A registered model or built-in baseline.", show_default=False)],
    dataset: Annotated[str, typer.Option("--dataset", help="The dataset whose family and labels the model predicts (and whose train split fits baselines).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Predictions file to write (the family's format).")],
    inputs: Annotated[Optional[Path], typer.Argument(metavar="[INPUTS]", help="JSON lines in the family's layout (what `benchmark inputs` writes); default: the released inputs of the dataset's --split.", show_default=False)] = None,
    split: Annotated[str, typer.Option("--split", help="Without INPUTS: the dataset's split whose inputs the model runs on.")] = "test",
    batch_size: Annotated[int, typer.Option("--batch-size", help="Examples per batch.")] = 32,
    max_length: Annotated[Optional[int], typer.Option("--max-length", help="Longest input in tokens of transformers models, as for `eval`.")] = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
    family: Optional[dict[str, Any]] = None,
) -> None:
    """Run a model on an inputs file (or a split's inputs) and write a valid predictions file, to score, to submit to
    a benchmark, or to execute elsewhere (`benchhub execute`): nothing is scored here."""
    with _hub() as hub:
        summary = hub.predict(model, inputs, dataset=dataset, output=output, batch_size=batch_size, progress=not quiet,
                              max_length=max_length, split=split, **(family or {}))
    if as_json:
        _print_json(summary)
        return
    typer.echo(f"Wrote {summary['examples']} {summary['task']} predictions of {model} to {summary['output']} "
               f"({summary['seconds']:.1f} s).")


@app.command("finetune")
def finetune_command(
    base: Annotated[str, typer.Argument(metavar="BASE", help="A registered transformers model, a checkpoint folder or hub id, or all-MiniLM-L6-v2 (bundled).", show_default=False)],
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset to fine-tune on (its family's recipe).")],
    split: Annotated[str, typer.Option("--split", help="Split to train on.")] = "train",
    evaluate_on: Annotated[Optional[str], typer.Option("--evaluate-on", help="Split to evaluate the result on; 'none' for none.")] = "test",
    name: Annotated[Optional[str], typer.Option("--name", help="Name of the new model (default BASE-DATASET).")] = None,
    epochs: Annotated[Optional[float], typer.Option("--epochs", help="Epochs (default: the family's recipe).")] = None,
    lr: Annotated[Optional[float], typer.Option("--lr", help="Peak learning rate (default: the recipe's).")] = None,
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", help="Examples (QA, tagging: windows) per step.")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed of the head's initialisation and the shuffling (default 0).")] = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Fine-tune an encoder on a dataset, register the result with its lineage and evaluate it.

    The recipe is the family's (classification, question answering, token classification); on CPU a seed
    makes the weights the same run after run, and the same recipe run again reuses its checkpoint.
    """
    echo = (lambda line: None) if as_json else (lambda line: typer.echo(line, err=True))
    with _hub() as hub:
        result = hub.finetune(base, dataset=dataset, split=split, evaluate_on=None if evaluate_on in (None, "none") else evaluate_on,
                              name=name, epochs=epochs, learning_rate=lr, batch_size=batch_size, seed=seed,
                              progress=not quiet, echo=echo)
    if as_json:
        _print_json(result.to_dict())
        return
    typer.echo(f"Registered transformers model {result.model.name!r} (fine-tuned from {result.base} on {dataset}/{split}; "
               f"fingerprint {result.model.fingerprint[:12]}).")
    if result.evaluation is not None:
        from benchhub.cli.render import evaluation_rows, rich_table

        header, rows = evaluation_rows([result.evaluation])
        _console().print(rich_table("Evaluation", header, rows))


@app.command("compare")
def compare_command(
    model_a: Annotated[str, typer.Argument(metavar="A", help="A model (evaluated first if it has no evaluation on the split).", show_default=False)],
    model_b: Annotated[str, typer.Argument(metavar="B", help="The model to compare it with.", show_default=False)],
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset name.")],
    split: SplitOption = "test",
    slice: Annotated[Optional[str], typer.Option("--slice", help="Compare on a slice, as for `leaderboard --slice`.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Disagreements to show (--json lists all).")] = 10,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Compare two models example by example: each metric's paired difference A - B with its bootstrap CI and
    p-value, how many examples each gets right (McNemar's exact test), and the examples where they disagree."""
    if limit < 0:
        raise InvalidInputError(f"--limit must be an int in the range [0, inf). Got {limit} instead.")
    with _hub() as hub:
        comparison = hub.compare(model_a, model_b, dataset=dataset, split=split, slice=slice, progress=not quiet)
    if as_json:
        _print_json(comparison.to_dict())
        return
    from benchhub.cli.render import (
        comparison_lines,
        disagreement_rows,
        metric_comparison_rows,
        rich_table,
    )

    header, rows = metric_comparison_rows(comparison)
    where = f"{dataset}/{split}" + (f", slice {comparison.slice}" if comparison.slice else "")
    _console().print(rich_table(f"{model_a} (A) vs {model_b} (B) on {where}: {comparison.examples} examples", header, rows))
    typer.echo("\n".join(comparison_lines(comparison)))
    if limit and comparison.disagreements:
        header, rows = disagreement_rows(comparison, limit)
        _console().print(rich_table(f"Disagreements: {min(limit, len(comparison.disagreements))} of {len(comparison.disagreements)}",
                                    header, rows))


@app.command("demo")
def demo_command(
    quiet: QuietOption = False,
    epochs: Annotated[Optional[float], typer.Option("--epochs", help="Training epochs of every tour run (default: each family's recipe).")] = None,
    task: Annotated[Optional[list[str]], typer.Option("--task", help="Run only this task's tour (repeatable).")] = None,
) -> None:
    """Run the offline tour: sample data, trained models next to the baselines, leaderboards, probes (one tour per family that has one)."""
    from benchhub.demo import run_demo

    with _hub() as hub:
        run_demo(hub, progress=not quiet, epochs=epochs, echo=typer.echo, show_leaderboard=_print_leaderboard,
                 tasks=tuple(task) if task else None)


def _print_leaderboard(board) -> None:
    from benchhub.cli.render import leaderboard_rows, rich_table

    header, rows = leaderboard_rows(board)
    ranked = f"Dynascore ({board.dynascore.query})" if board.dynascore is not None else board.metric
    title = f"Leaderboard: {board.dataset}/{board.split} ({board.task}), ranked by {ranked}"
    baselines = {i for i, row in enumerate(board.rows) if row.baseline}
    _console().print(rich_table(title, header, rows, dim_rows=baselines))
    typer.echo("≈ : not significantly different from the leader (paired bootstrap, p >= 0.05).")


from benchhub.cli import report_commands  # noqa: E402  (registers onto `app`, defined above)

report_commands.register(app)

from benchhub.cli.bench_command import register as register_bench  # noqa: E402

register_bench(app)

from benchhub.cli.optimize_command import register as register_optimize  # noqa: E402

register_optimize(app)

from benchhub.cli.server_commands import register as register_server  # noqa: E402

register_server(app)

from benchhub.cli.worker_command import register as register_worker  # noqa: E402

register_worker(app)


from benchhub.cli.benchmark_commands import register as register_benchmarks  # noqa: E402

register_benchmarks(app)

from benchhub.cli.probe_command import register as register_probe  # noqa: E402

register_probe(app)

def main() -> None:
    """Entry point: runs the app, turning benchhub errors into one line on stderr and exit code 1."""
    try:
        app()
    except BenchhubError as error:
        typer.echo(f"error: {error}", err=True)
        raise SystemExit(1) from None
