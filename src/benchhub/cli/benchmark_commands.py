"""`benchhub benchmark ...` (host and run a benchmark on this hub) and `benchhub submit` (locally or to a server)."""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from benchhub.errors import BenchhubError, InvalidInputError

PHASE_SYNTAX = "NAME=SPLIT[:public|:models][,opens=ISO][,closes=ISO][,time=S][,memory=MB][,size=MB]"
LIMIT_OPTIONS = {"time": "time_limit_seconds", "memory": "memory_limit_mb", "size": "model_size_mb"}

benchmark_app = typer.Typer(help="Host benchmarks: phases, hidden test labels, limits, boards.", no_args_is_help=True)
TOKEN_VARIABLE = "BENCHHUB_TOKEN"
UserOption = Annotated[str, typer.Option("--user", help="Act as this user (on this hub, without a server).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
MethodNameOption = Annotated[Optional[str], typer.Option(
    "--method-name", help="What the predictions come from, shown on the board (1-120 printable characters).")]
MethodDescriptionOption = Annotated[Optional[str], typer.Option(
    "--method-description", help="How the method works, shown with it (up to 2,000 characters).")]
MethodUrlOption = Annotated[Optional[str], typer.Option(
    "--method-url", help="The method's project or paper page, linked from the board (http:// or https://, up to 500 characters).")]
METHOD_FIELDS = ("method_name", "method_description", "method_url")


def register(app: typer.Typer) -> None:
    app.add_typer(benchmark_app, name="benchmark")
    app.command("submit")(submit_command)


@benchmark_app.command("create")
def create_command(
    name: Annotated[str, typer.Argument(help="Benchmark name (used in URLs).")],
    dataset: Annotated[str, typer.Option("--dataset", help="A registered dataset.")],
    phase: Annotated[list[str], typer.Option("--phase", help=f"{PHASE_SYNTAX}; repeat per phase. :models takes model archives, run by the hub under the limits.")],
    user: UserOption,
    title: Annotated[Optional[str], typer.Option("--title", help="What the benchmark page shows as its title (default: its name).")] = None,
    description: Annotated[str, typer.Option("--description", help="Its rules and what it measures, shown on its page.")] = "",
    metric: Annotated[Optional[str], typer.Option("--metric", help="Primary metric (default: the task's).")] = None,
    setting: Annotated[list[str], typer.Option("--setting", help="KEY=VALUE, e.g. max_per_day=3, max_total=20, final_selections=2.")] = [],
    as_json: JsonOption = False,
) -> None:
    """Host a benchmark over a registered dataset (admins); phases whose labels are not :public stay hidden."""
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    phases = [parse_phase(value) for value in phase]
    settings = parse_settings(setting)
    with _hub() as hub:
        record = hub.create_benchmark(name, dataset=dataset, phases=phases, user=user, title=title, description=description,
                                      primary_metric=metric, settings=settings)
    if as_json:
        _print_json(record.to_dict())
        return
    typer.echo(f"Hosting benchmark {record.name!r} on {record.dataset} ({record.task}, ranked by {record.primary_metric}); "
               f"phases: {', '.join(p.name + _phase_note(p) for p in record.phases)}.")


@benchmark_app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """List the benchmarks this hub hosts: name, title, task, dataset and phases."""
    from benchhub.cli.shell import console as _console
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    with _hub() as hub, hub.session() as session:
        from benchhub.competitions.benchmarks import list_benchmarks

        found = list_benchmarks(session)
    if as_json:
        _print_json([b.to_dict() for b in found])
        return
    from benchhub.cli.render import rich_table

    rows = [[b.name, b.title, b.task, b.dataset, ", ".join(p.name for p in b.phases)] for b in found]
    _console().print(rich_table("Benchmarks", ["name", "title", "task", "dataset", "phases"], rows))


@benchmark_app.command("board")
def board_command(
    name: Annotated[str, typer.Argument(help="The benchmark's name.")],
    phase: Annotated[Optional[str], typer.Option("--phase", help="Default: the phase that is open now (else the last).")] = None,
    private: Annotated[bool, typer.Option("--private", help="The private ranking (after the phase closes).")] = False,
    user: Annotated[Optional[str], typer.Option("--user", help="View as this user (maintainers see private boards early).")] = None,
    server: Annotated[Optional[str], typer.Option("--server", help="A benchhub server's URL; without it, this hub.")] = None,
    token: Annotated[Optional[str], typer.Option("--token", help=f"API token for --server (default: ${TOKEN_VARIABLE}; public boards need none).")] = None,
    weights: Annotated[Optional[str], typer.Option("--weights", help=(
        "Rank by a Dynascore: COLUMN:WEIGHT pairs, e.g. metric:1,accuracy:0.5 (metric = the primary metric, the task's "
        "other board metrics by name); default: the maintainers' weights, if they set any."))] = None,
    as_json: JsonOption = False,
) -> None:
    """A phase's ranking: best public score per participant, or the private ranking of final selections."""
    from benchhub.cli.render import rich_table
    from benchhub.cli.shell import console as _console
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    kind = "private" if private else "public"
    if server is not None:
        from urllib.parse import urlencode

        check_path_names(name, phase)
        query = urlencode({"kind": kind, **({"phase": phase} if phase else {}), **({"weights": weights} if weights is not None else {})},
                          safe=":,")
        document = benchhub_reply(_get(server, f"/api/benchmarks/{name}/board?{query}", token or os.environ.get(TOKEN_VARIABLE)),
                                  server, ("benchmark", "phase", "kind", "metric", "rows"))
    else:
        from benchhub.ranking.benchmark_boards import weigh_board

        with _hub() as hub:
            board = hub.benchmark_board(name, phase=phase, kind=kind, user=user)
            with hub.session() as session:
                document = weigh_board(session, board, weights).to_dict()
    if as_json:
        _print_json(document)
        return
    from benchhub.competitions.boards import measured_columns

    summary = document.get("dynascore")
    shown = [n for n in (summary or {}).get("weights", {}) if n != "metric"]
    # Submitted models' speed and memory, measured by the host; a board of predictions files has none.
    measured = measured_columns(r.get("measurements") for r in document["rows"])
    rows = [[str(r["rank"]), method_and_user(r), *([_number(r.get("dynascore"))] if summary else []), f"{r['score']:.4f}",
             *(_number((r["metrics"].get(n) or {}).get("value", (r.get("measurements") or {}).get(n))) for n in shown),
             *(_number((r.get("measurements") or {}).get(key)) for key, _ in measured), str(r["submission_id"]),
             str(r["submitted_at"])[:16].replace("T", " ")] for r in document["rows"]]
    ranked = f"Dynascore ({summary['query']})" if summary else document["metric"]
    for flag in document.get("contamination", []):
        typer.echo(flag["note"], err=True)  # above the table: it qualifies every number in it
    _console().print(rich_table(f"{document['benchmark']} / {document['phase']}: {document['kind']} ranking by {ranked}",
                                ["#", "method (participant)", *(["Dynascore"] if summary else []), document["metric"], *shown,
                                 *(heading for _, heading in measured), "submission", "submitted (UTC)"], rows))
    if summary:
        source = "the maintainers' default weights" if summary["source"] == "maintainers" else "your weights"
        typer.echo(f"Dynascore with {source}: " + "; ".join(
            f"{share:.0%} {document['metric'] if n == 'metric' else n}" for n, share in summary["normalized"].items()) + ".", err=True)
        for note in summary["notes"]:
            typer.echo(note, err=True)


def _number(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "-"


@benchmark_app.command("board-weights")
def board_weights_command(
    name: Annotated[str, typer.Argument(help="The benchmark's name.")],
    weights: Annotated[Optional[str], typer.Argument(help="COLUMN:WEIGHT pairs, e.g. metric:1,accuracy:0.5; without it, show the current ones.")] = None,
    user: Annotated[Optional[str], typer.Option("--user", help="Act as this maintainer (on this hub, without a server).")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the default weights: boards rank by the primary metric.")] = False,
) -> None:
    """Set the default weights of the benchmark's boards' Dynascore (maintainers), used when a viewer gives none."""
    from benchhub.accounts.users import get_user
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.competitions.benchmarks import get_benchmark_row
    from benchhub.ranking.benchmark_boards import default_weights, set_default_weights
    from benchhub.ranking.dynascore import weights_query

    if clear and weights is not None:
        raise InvalidInputError("Give WEIGHTS or --clear, not both.")
    with _hub() as hub, hub.session() as session:
        if weights is None and not clear:
            current = default_weights(get_benchmark_row(session, name))
            typer.echo(weights_query(current) if current else f"Benchmark {name!r} has no default weights; its boards rank by the primary metric.")
            return
        if user is None:
            raise InvalidInputError("Setting default weights is a maintainer's action; name yourself with --user NAME.")
        chosen = set_default_weights(session, name, actor_id=get_user(session, user).id, weights=None if clear else weights)
    typer.echo(f"Boards of {name!r} now rank by a Dynascore of {weights_query(chosen)} unless a viewer gives weights." if chosen
               else f"Boards of {name!r} now rank by the primary metric unless a viewer gives weights.")


@benchmark_app.command("phase-limits")
def phase_limits_command(
    name: Annotated[str, typer.Argument(help="The benchmark's name.")],
    phase: Annotated[str, typer.Argument(help="A phase that takes models.")],
    time_limit_seconds: Annotated[Optional[int], typer.Option(
        "--time-limit-seconds", metavar="N", help="Seconds from the start of the model's process until its predictions are written.")] = None,
    memory_limit_mb: Annotated[Optional[int], typer.Option(
        "--memory-limit-mb", metavar="N", help="MB of memory the model's process (and all it starts) may hold.")] = None,
    model_size_mb: Annotated[Optional[int], typer.Option(
        "--model-size-mb", metavar="N", help="MB a submitted model may take, as an archive and extracted.")] = None,
    user: Annotated[Optional[str], typer.Option("--user", help="Act as this maintainer (on this hub, without a server).")] = None,
) -> None:
    """Change a models phase's limits (maintainers); limits not given stay. Without options, show them.
    Model runs that start afterwards use the new limits, queued and rescored submissions included."""
    from benchhub.accounts.users import get_user
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.competitions.benchmarks import (
        MODELS,
        get_benchmark_row,
        get_phase_row,
        limits_text,
        set_phase_limits,
    )

    given = {key: value for key, value in (("time_limit_seconds", time_limit_seconds), ("memory_limit_mb", memory_limit_mb),
                                           ("model_size_mb", model_size_mb)) if value is not None}
    with _hub() as hub, hub.session() as session:
        if not given:
            current = get_phase_row(get_benchmark_row(session, name), phase)
            typer.echo(f"Phase {phase!r} of {name!r} takes models: {limits_text(current.limits)}." if current.takes == MODELS
                       else f"Phase {phase!r} of {name!r} takes predictions files, so it has no model limits.")
            return
        if user is None:
            raise InvalidInputError("Changing a phase's limits is a maintainer's action; name yourself with --user NAME.")
        changed = set_phase_limits(session, name, phase, actor_id=get_user(session, user).id, limits=given)
    typer.echo(f"Phase {phase!r} of {name!r} now takes models: {limits_text(changed.limits)}; model runs that start "
               f"from now on use these limits.")


def method_and_user(row: dict[str, Any]) -> str:
    """A board row's method with its participant, or the participant alone where no method is named."""
    return f"{row['method_name']} ({row['user']})" if row.get("method_name") else row["user"]


@benchmark_app.command("close")
def close_command(name: Annotated[str, typer.Argument(help="The benchmark's name.")],
                  phase: Annotated[str, typer.Argument(help="The phase to close.")], user: UserOption) -> None:
    """Close a phase now (maintainers): submissions stop and its private ranking appears."""
    from benchhub.cli.shell import open_hub as _hub

    with _hub() as hub:
        hub.close_phase(name, phase, user=user)
    typer.echo(f"Closed phase {phase!r} of {name!r}.")


@benchmark_app.command("remove")
def remove_command(name: Annotated[str, typer.Argument(help="The benchmark's name.")], user: UserOption,
                   release_labels: Annotated[bool, typer.Option(
                       "--release-labels", help="Remove it even though the labels it hides are then no longer hidden.")] = False,
                   ) -> None:
    """Remove a benchmark with its phases, submissions, scores, members and audit log (admins); the dataset stays."""
    from benchhub.cli.shell import open_hub as _hub

    with _hub() as hub:
        removed = hub.remove_benchmark(name, user=user, release_labels=release_labels)
    typer.echo(removed.summary())


@benchmark_app.command("member")
def member_command(name: Annotated[str, typer.Argument(help="The benchmark's name.")],
                   member: Annotated[str, typer.Argument(help="The user to give the role to.")], user: UserOption,
                   role: Annotated[str, typer.Option("--role", help="participant | maintainer")] = "participant") -> None:
    """Give a user a role in the benchmark (maintainers)."""
    from benchhub.cli.shell import open_hub as _hub

    with _hub() as hub:
        hub.add_member(name, member, user=user, role=role)
    typer.echo(f"{member} is a {role} of {name!r}.")


@benchmark_app.command("rescore")
def rescore_command(name: Annotated[str, typer.Argument(help="The benchmark's name.")], user: UserOption,
                    phase: Annotated[Optional[str], typer.Option("--phase", help="Only this phase (default: every phase).")] = None) -> None:
    """Queue every submission for scoring again (maintainers; after a metric fix). Old scores stay in history."""
    from benchhub.cli.shell import open_hub as _hub

    with _hub() as hub:
        queued = hub.rescore(name, user=user, phase=phase)
    typer.echo(f"Queued {queued} submission(s); `benchhub worker` (or the server) scores them.")


@benchmark_app.command("inputs")
def inputs_command(
    benchmark: Annotated[str, typer.Argument(help="The benchmark's name.")],
    phase: Annotated[Optional[str], typer.Option("--phase", help="Default: the phase that is open now.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write JSON lines here (default: stdout).")] = None,
    server: Annotated[Optional[str], typer.Option("--server", help="A benchhub server's URL; without it, this hub.")] = None,
    token: Annotated[Optional[str], typer.Option("--token", help=f"API token for --server (default: ${TOKEN_VARIABLE}; optional).")] = None,
    user: Annotated[Optional[str], typer.Option("--user", help="Without --server: as this user of this hub (maintainers get upcoming phases).")] = None,
) -> None:
    """Download what to predict on: one JSON line per example (id and text, or id, question and context);
    labels only on phases that publish them."""
    if server is not None:
        text = inputs_over_http(server, benchmark, phase, token=token or os.environ.get(TOKEN_VARIABLE))
        count = text.count("\n")
    else:
        from benchhub.accounts.users import get_user
        from benchhub.cli.shell import open_hub as _hub
        from benchhub.competitions.inputs import phase_inputs

        with _hub() as hub, hub.session() as session:
            viewer = get_user(session, user) if user else None
            _, rows = phase_inputs(session, hub.artifacts, benchmark, phase, user=viewer)
        text, count = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), len(rows)
    if output is None:
        typer.echo(text, nl=False)
        return
    from benchhub.report.files import write_atomically

    write_atomically(output, text, example="inputs.jsonl")
    typer.echo(f"Wrote {count} inputs to {output}.", err=True)


def inputs_over_http(server: str, benchmark: str, phase: str | None, *, token: str | None) -> str:
    check_path_names(benchmark, phase)
    if phase is None:
        document = benchhub_reply(_get(server, f"/api/benchmarks/{benchmark}", token), server, ("phases",))
        try:
            open_phases = [p["name"] for p in document["phases"] if p["is_open"]]
        except (KeyError, TypeError):
            raise BenchhubError(f"{server} did not answer as a benchhub server does (phases without names); "
                                "check --server.") from None
        if len(open_phases) != 1:
            raise InvalidInputError(f"Benchmark {benchmark!r} has {len(open_phases)} open phases; name one with --phase.")
        phase = open_phases[0]
    return _get(server, f"/api/benchmarks/{benchmark}/phases/{phase}/inputs", token).text


def _get(server: str, path: str, token: str | None) -> Any:
    import httpx

    url, headers = server_url(server) + path, bearer(token) if token else {}
    try:
        response = httpx.get(url, headers=headers, timeout=120)
    except httpx.TransportError as error:
        raise BenchhubError(f"Cannot reach {server}: {error}.") from error
    if response.status_code >= 400:
        raise BenchhubError(f"The server refused ({response.status_code}): {_message(response)}")
    return response


def server_url(server: str) -> str:
    """`server` without a trailing slash, if it is an http(s) URL with a host; else a one-line error."""
    import httpx

    try:
        url = httpx.URL(server)
    except (httpx.InvalidURL, TypeError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise InvalidInputError(f"--server {server!r} is not an http(s) URL; write e.g. --server http://127.0.0.1:8000.")
    return server.rstrip("/")


def check_path_names(benchmark: str, phase: str | None) -> None:
    """Names that go into a URL path: '/', '?' or '..' would send the token to another route."""
    from benchhub.naming import check_name

    check_name(benchmark, "Benchmark")
    if phase is not None:
        check_name(phase, "Phase")


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for an API token; a token with spaces, controls or non-ASCII is refused."""
    if not re.fullmatch(r"[!-~]+", token):
        # Not echoed: a secret belongs on no screen or log.
        raise InvalidInputError(f"The API token given is not one: tokens are printable ASCII without spaces, as "
                                f"`benchhub token create` prints them; check --token or ${TOKEN_VARIABLE}.")
    return {"Authorization": f"Bearer {token}"}


def _message(response: Any) -> str:
    try:
        return response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return response.text.strip()[:200] or response.reason_phrase


def submit_command(
    benchmark: Annotated[str, typer.Argument(help="The benchmark's name.")],
    file: Annotated[Path, typer.Argument(help="Predictions: JSONL {id, label} or CSV (classification), SQuAD JSON (QA).")],
    phase: Annotated[Optional[str], typer.Option("--phase", help="Default: the phase that is open now.")] = None,
    server: Annotated[Optional[str], typer.Option("--server", help="A benchhub server's URL; without it, this hub.")] = None,
    token: Annotated[Optional[str], typer.Option("--token", help=f"API token for --server (default: ${TOKEN_VARIABLE}).")] = None,
    user: Annotated[Optional[str], typer.Option("--user", help="Without --server: submit as this user of this hub.")] = None,
    key: Annotated[Optional[str], typer.Option("--idempotency-key", help="Retries with the same key are charged once (default: a new one).")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until it is scored (or fails) and print its public score.")] = False,
    wait_timeout: Annotated[float, typer.Option("--wait-timeout", help="With --wait: give up waiting after this many seconds (the submission stays queued).")] = 600.0,
    method_name: MethodNameOption = None,
    method_description: MethodDescriptionOption = None,
    method_url: MethodUrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Submit a predictions file to a benchmark phase (or, to a phase that takes models, a .zip or .tar.gz of a
    transformers safetensors or ONNX folder), optionally naming its method; it is validated first (a bad file or
    model costs nothing), then scored."""
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    if file.is_dir():
        raise InvalidInputError(f"{file} is a folder; give the predictions file itself (or, for a phase that takes models, "
                                f"an archive of the folder: `zip -r model.zip {file.name}/`).")
    if not file.is_file():
        what = "is not a regular file (a pipe, a device or a socket)" if file.exists() else "does not exist"
        raise InvalidInputError(f"{file} {what}; give the predictions file itself.")
    if wait_timeout <= 0:
        raise InvalidInputError(f"--wait-timeout must be above 0 seconds; got {wait_timeout:g}.")
    token = token or os.environ.get(TOKEN_VARIABLE)
    method = {"method_name": method_name, "method_description": method_description, "method_url": method_url}
    if server is not None:
        document = submit_over_http(server, benchmark, file, phase=phase, token=token, key=key or uuid.uuid4().hex, method=method)
    else:
        if user is None:
            raise InvalidInputError("Say who submits: --user NAME on this hub, or --server URL --token T for a server.")
        with _hub() as hub:
            document = hub.submit(benchmark, file, user=user, phase=phase, idempotency_key=key, **method).to_dict()
    if wait:
        document = wait_for_score(document, benchmark, server=server, token=token, user=user, timeout=wait_timeout,
                                  echo=(lambda line: None) if as_json else (lambda line: typer.echo(line, err=True)))
    if as_json:
        _print_json(document)
        return
    typer.echo(f"Submission {document['id']} to {document['benchmark']}/{document['phase']}: {document['status']}.")
    if document["status"] == SCORED:
        scores = ", ".join(f"{name} {metric['value']:.4g}" for name, metric in (document.get("public_metrics") or {}).items()
                           if isinstance(metric, dict) and "value" in metric)
        typer.echo(f"public score: {scores or '-'}")
        measured = document.get("measurements")
        if measured:  # a submitted model, measured by the host
            typer.echo(f"measured by the host: {measured['latency_ms']:.2f} ms at batch 1, {measured['throughput']:.1f} examples/s "
                       f"at batch 32, peak memory {measured['peak_memory_mb']:,.0f} MB"
                       + (f", probe flip rate {measured['flip_rate']:.3f}" if measured.get("flip_rate") is not None else ""))
    elif document.get("error"):
        typer.echo(f"error: {document['error']}")


# Statuses after which a submission changes no more (until a maintainer rescores it): competitions.queue's.
SCORED, SCORING_FAILED = "scored", "failed"
DONE = (SCORED, SCORING_FAILED)


def wait_for_score(document: dict[str, Any], benchmark: str, *, server: str | None, token: str | None, user: str | None,
                   timeout: float, echo: Any, poll: float = 0.5) -> dict[str, Any]:
    """Polls a submission (on the server, or in this hub) until it is scored or failed; after `timeout` seconds
    one line says it is still waiting and where to look (the submission itself stays queued)."""
    import time

    started, delay = time.monotonic(), poll
    echo(f"Waiting for submission {document['id']} to be scored ...")
    while document["status"] not in DONE:
        if time.monotonic() - started > timeout:
            raise BenchhubError(f"Submission {document['id']} is still {document['status']} after {timeout:g} s; it stays queued. "
                                f"Look again with `benchhub benchmark submissions {benchmark}`"
                                f"{' --server ' + server if server else ''} (is a worker running?).")
        time.sleep(delay)
        delay = min(delay * 1.5, 5.0)
        if server is not None:
            check_path_names(benchmark, None)
            document = benchhub_reply(_get(server, f"/api/benchmarks/{benchmark}/submissions/{int(document['id'])}", token),
                                      server, ("id", "status"))
        else:
            from benchhub.cli.shell import open_hub as _hub

            with _hub() as hub:
                found = [s for s in hub.submissions(benchmark, user=user or "") if s.id == document["id"]]
            if found:
                document = found[0].to_dict()
    return document


@benchmark_app.command("submissions")
def submissions_command(
    benchmark: Annotated[str, typer.Argument(help="The benchmark's name.")],
    phase: Annotated[Optional[str], typer.Option("--phase", help="Only this phase's submissions.")] = None,
    server: Annotated[Optional[str], typer.Option("--server", help="A benchhub server's URL; without it, this hub.")] = None,
    token: Annotated[Optional[str], typer.Option("--token", help=f"API token for --server (default: ${TOKEN_VARIABLE}).")] = None,
    user: Annotated[Optional[str], typer.Option("--user", help="Without --server: this user's submissions (maintainers see everyone's).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Your submissions to a benchmark, newest first: status, public score, error; on this hub or on a server."""
    from benchhub.cli.render import rich_table
    from benchhub.cli.shell import console as _console
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    if server is not None:
        token = token or os.environ.get(TOKEN_VARIABLE)
        if not token:
            raise InvalidInputError(f"Listing submissions on a server needs an API token: --token T or ${TOKEN_VARIABLE}.")
        check_path_names(benchmark, phase)
        from urllib.parse import urlencode

        query = f"?{urlencode({'phase': phase})}" if phase else ""
        documents = _get(server, f"/api/benchmarks/{benchmark}/submissions{query}", token).json()
        if not isinstance(documents, list):
            raise BenchhubError(f"{server} did not answer as a benchhub server does; check --server.")
    else:
        if user is None:
            raise InvalidInputError("Say whose submissions: --user NAME on this hub, or --server URL --token T for a server.")
        with _hub() as hub:
            documents = [s.to_dict() for s in hub.submissions(benchmark, user=user, phase=phase)]
    if as_json:
        _print_json(documents)
        return
    rows = []
    for d in documents:
        metrics = d.get("public_metrics") or {}
        score = ", ".join(f"{name} {m['value']:.4g}" for name, m in metrics.items() if isinstance(m, dict) and "value" in m)
        rows.append([str(d["id"]), d["phase"], d["user"], d.get("method_name") or "-", d["status"], score or "-",
                     str(d.get("created_at", ""))[:16], (d.get("error") or "")[:60]])
    _console().print(rich_table(f"Submissions to {benchmark}", ["id", "phase", "user", "method", "status", "public score",
                                                                "submitted (UTC)", "error"], rows))


@benchmark_app.command("edit-submission")
def edit_submission_command(
    benchmark: Annotated[str, typer.Argument(help="The benchmark's name.")],
    submission: Annotated[int, typer.Argument(help="The submission's id (see `benchhub benchmark submissions`).")],
    method_name: MethodNameOption = None,
    method_description: MethodDescriptionOption = None,
    method_url: MethodUrlOption = None,
    server: Annotated[Optional[str], typer.Option("--server", help="A benchhub server's URL; without it, this hub.")] = None,
    token: Annotated[Optional[str], typer.Option("--token", help=f"API token for --server (default: ${TOKEN_VARIABLE}).")] = None,
    user: Annotated[Optional[str], typer.Option("--user", help="Without --server: as this user of this hub.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Set, change or clear the method of your submission (maintainers: anyone's); an option left out keeps its value,
    an empty one ("") clears it."""
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    changes = {field: value for field, value in zip(METHOD_FIELDS, (method_name, method_description, method_url)) if value is not None}
    if not changes:
        raise InvalidInputError("Nothing to change: give --method-name, --method-description or --method-url (\"\" clears one).")
    if server is not None:
        document = edit_over_http(server, benchmark, submission, changes, token=token or os.environ.get(TOKEN_VARIABLE))
    else:
        if user is None:
            raise InvalidInputError("Say who edits: --user NAME on this hub, or --server URL --token T for a server.")
        with _hub() as hub:
            document = hub.edit_submission(submission, user=user, benchmark=benchmark, **changes).to_dict()
    if as_json:
        _print_json(document)
        return
    name = document.get("method_name")
    typer.echo(f"Submission {document['id']} to {document['benchmark']}/{document['phase']}: "
               + (f"method {name!r}{' (' + document['method_url'] + ')' if document.get('method_url') else ''}." if name else "no method."))


def edit_over_http(server: str, benchmark: str, submission: int, changes: dict[str, str], *, token: str | None) -> dict[str, Any]:
    """PATCHes a submission's method fields ("" clears one)."""
    import httpx

    if not token:
        raise InvalidInputError(f"Editing a submission on a server needs an API token: --token T or ${TOKEN_VARIABLE}.")
    check_path_names(benchmark, None)
    url = f"{server_url(server)}/api/benchmarks/{benchmark}/submissions/{int(submission)}"
    try:
        response = httpx.patch(url, headers=bearer(token), json=changes, timeout=120)
    except httpx.TransportError as error:
        raise BenchhubError(f"Cannot reach {server}: {error}.") from error
    if response.status_code >= 400:
        raise BenchhubError(f"The server refused the change ({response.status_code}): {_message(response)}")
    return benchhub_reply(response, server, ("id", "benchmark", "phase"))


def submit_over_http(server: str, benchmark: str, file: Path, *, phase: str | None, token: str | None, key: str,
                     method: dict[str, str | None] | None = None, attempts: int = 3) -> dict[str, Any]:
    """POSTs the file; network failures are retried with the same Idempotency-Key, so nothing is charged twice."""
    import httpx

    if not token:
        raise InvalidInputError(f"Submitting to a server needs an API token: --token T or ${TOKEN_VARIABLE}.")
    check_path_names(benchmark, phase)
    url = f"{server_url(server)}/api/benchmarks/{benchmark}/submissions"
    headers = {**bearer(token), "Idempotency-Key": key}
    fields = {field: value for field, value in {"phase": phase, **(method or {})}.items() if value is not None}
    for attempt in range(1, attempts + 1):
        try:
            with file.open("rb") as handle:
                response = httpx.post(url, headers=headers, files={"file": (file.name, handle)}, data=fields, timeout=120)
            break
        except httpx.TransportError as error:
            if attempt == attempts:
                raise BenchhubError(f"Cannot reach {server}: {error}.") from error
    if response.status_code >= 400:
        raise BenchhubError(f"The server refused the submission ({response.status_code}): {_message(response)}")
    return benchhub_reply(response, server, ("id", "benchmark", "phase", "status"))


def benchhub_reply(response: Any, server: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """The JSON object a benchhub server answers with; anything else (an HTML page, a proxy's reply) is one line."""
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict) or not all(key in document for key in keys):
        raise BenchhubError(f"{server} did not answer as a benchhub server does ({response.status_code}, "
                            f"{response.headers.get('content-type', 'no content type')}); check --server.")
    return document


def _phase_note(phase: Any) -> str:
    if phase.takes == "models":
        from benchhub.competitions.benchmarks import limits_text

        return f" (takes models: {limits_text(phase.limits)})"
    return " (public labels)" if phase.labels_public else " (hidden labels)"


def parse_phase(value: str) -> Any:
    """NAME=SPLIT[:public|:models][,opens=ISO][,closes=ISO][,time=S][,memory=MB][,size=MB] -> PhaseSpec.

    `:models`: participants submit models, which the hub runs on the hidden split (whose inputs are never
    released) under the phase's limits: time in seconds, memory and model size in MB."""
    from benchhub.competitions.benchmarks import MODELS, PREDICTIONS, PhaseSpec

    head, *options = value.split(",")
    name, sep, split = head.partition("=")
    if not sep or not name or not split:
        raise InvalidInputError(f"--phase {value!r} is not {PHASE_SYNTAX}; e.g. --phase test=test.")
    split, _, kind = split.partition(":")
    if kind not in ("", "public", "models"):
        raise InvalidInputError(f"--phase {value!r}: after the split only ':public' (labels released) or ':models' "
                                f"(participants submit models) may follow.")
    times: dict[str, datetime] = {}
    limits: dict[str, int] = {}
    for option in options:
        key, _, text = option.partition("=")
        if key not in ("opens", "closes", *LIMIT_OPTIONS):
            raise InvalidInputError(f"--phase {value!r}: {key!r} is not opens, closes, time, memory or size.")
        if f"{key}_at" in times or LIMIT_OPTIONS.get(key) in limits:
            raise InvalidInputError(f"--phase {value!r}: {key} is given twice; give it once.")
        if key in LIMIT_OPTIONS:
            if kind != "models":
                raise InvalidInputError(f"--phase {value!r}: {key}= is a limit of a models phase; write {name}={split}:models,{option}.")
            if not text.isdigit():
                raise InvalidInputError(f"--phase {value!r}: {key}={text!r} is not a whole number "
                                        f"({'seconds' if key == 'time' else 'MB'}).")
            limits[LIMIT_OPTIONS[key]] = int(text)
            continue
        try:
            times[f"{key}_at"] = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInputError(f"--phase {value!r}: {text!r} is not an ISO time such as 2026-12-01T00:00Z.") from None
    return PhaseSpec(name, split, labels_public=kind == "public", takes=MODELS if kind == "models" else PREDICTIONS,
                     limits=limits or None, **times)


def parse_settings(values: list[str]) -> dict[str, Any]:
    """Every --setting KEY=VALUE; a key given twice is refused rather than silently overridden."""
    settings: dict[str, Any] = {}
    for value in values:
        key, parsed = parse_setting(value)
        if key in settings:
            raise InvalidInputError(f"--setting {key} is given twice; give each setting once.")
        settings[key] = parsed
    return settings


def parse_setting(value: str) -> tuple[str, Any]:
    key, sep, text = value.partition("=")
    if not sep or not key:
        raise InvalidInputError(f"--setting {value!r} is not KEY=VALUE.")
    try:
        return key, json.loads(text)
    except ValueError:
        return key, text
