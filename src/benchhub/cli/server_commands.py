"""`benchhub serve`, `benchhub user ...` and `benchhub token ...`: the hub server and its accounts."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from benchhub.errors import InvalidInputError
from benchhub.results import TokenRecord

SHOWN_ONCE = "Shown only now: benchhub stores only its hash. Send it as 'Authorization: Bearer TOKEN'."

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]

user_app = typer.Typer(help="Manage hub accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens (shown once, stored hashed).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Adds `serve`, `user` and `token` to `app`."""
    app.command("serve")(serve_command)
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Score nothing here: `benchhub worker` processes score "
                                            "submissions (also BENCHHUB_IN_PROCESS_SCORING=0).")] = False,
    poll_seconds: Annotated[float, typer.Option("--poll-seconds", help="Seconds between the server worker's looks at the "
                                                "queue (a submission wakes it at once).")] = 5.0,
    lease_seconds: Annotated[float, typer.Option("--lease-seconds", help="Seconds a job the server worker claimed stays "
                                                 "its own without a renewal (see `benchhub worker --help`).")] = 60.0,
) -> None:
    """Serve the hub: the JSON API under /api (OpenAPI at /openapi.json, docs at /api/docs).

    Unless --no-worker, the server scores benchmark submissions in a thread of its own, from the moment it
    starts: jobs a stopped server or worker left queued, or running under an expired lease, are resumed.
    """
    import uvicorn

    from benchhub.cli.shell import state as _state
    from benchhub.config import HubConfig
    from benchhub.errors import InvalidInputError
    from benchhub.server import create_app
    from benchhub.server.in_process_scoring import WorkerSettings

    if not 0 < poll_seconds < float("inf") or not 0 < lease_seconds < float("inf"):
        raise InvalidInputError("--poll-seconds and --lease-seconds must be numbers in the range (0, inf).")
    if not 0 <= port <= 65535:
        raise InvalidInputError(f"--port must be an int in the range [0, 65535]. Got {port} instead.")
    config = HubConfig.from_env(_state["home"])
    app = create_app(config, scoring=WorkerSettings(enabled=False if no_worker else None, poll_seconds=poll_seconds,
                                                    lease_seconds=lease_seconds))
    typer.echo(f"Serving the hub at {config.home} on http://{host}:{port} (API docs: /api/docs).", err=True)
    uvicorn.run(app, host=host, port=port)


@user_app.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="User name: letters, digits, '_', '-', '.'.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an admin.")] = False,
    role: Annotated[str, typer.Option("--role", help="On the hub's catalog: member (registers and evaluates through "
                                      "the server) or reader (reads).")] = "member",
    no_token: Annotated[bool, typer.Option("--no-token", help="Do not create a first API token.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a user and, unless --no-token, a first API token (printed once)."""
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    with _hub() as hub:
        user = hub.create_user(name, admin=admin, role=role)
        created = None if no_token else hub.create_token(name, label="created with the user")
    if as_json:
        _print_json({"user": user.to_dict(), "token": _token_document(*created) if created else None})
        return
    typer.echo(f"Created {'admin' if user.is_admin else user.role} {user.name!r}.")
    if created:
        _echo_token(*created)


@user_app.command("set")
def user_set(
    name: Annotated[str, typer.Argument(help="The user to change.")],
    role: Annotated[Optional[str], typer.Option("--role", help="member or reader.")] = None,
    evaluation_quota_hours: Annotated[Optional[float], typer.Option(
        "--evaluation-quota-hours", help="Evaluation time the user's jobs may take per 7 days (default 24).")] = None,
    storage_quota_gb: Annotated[Optional[float], typer.Option(
        "--storage-quota-gb", help="Storage the models and datasets the user uploads may take (default 20).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a user's role on the catalog or their quotas."""
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    if role is None and evaluation_quota_hours is None and storage_quota_gb is None:
        raise InvalidInputError("Nothing to change: give --role, --evaluation-quota-hours and/or --storage-quota-gb.")
    with _hub() as hub:
        user = hub.set_user(name, role=role, evaluation_quota_hours=evaluation_quota_hours, storage_quota_gb=storage_quota_gb)
    if as_json:
        _print_json(user.to_dict())
        return
    typer.echo(f"{user.name}: {user.role}, {user.evaluation_quota_hours:g} hours of evaluation per 7 days, "
               f"{user.storage_quota_gb:g} GB of storage.")


@user_app.command("list")
def user_list(as_json: JsonOption = False) -> None:
    """List users."""
    from benchhub.cli.shell import console as _console
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    with _hub() as hub:
        users = hub.users()
        tokens = hub.tokens()
    if as_json:
        _print_json([u.to_dict() for u in users])
        return
    from benchhub.cli.render import rich_table

    active = {u.name: sum(t.user == u.name and t.revoked_at is None for t in tokens) for u in users}
    rows = [[u.name, u.role, f"{u.evaluation_quota_hours:g} h", f"{u.storage_quota_gb:g} GB", str(active[u.name]),
             u.created_at.strftime("%Y-%m-%d %H:%M")] for u in users]
    _console().print(rich_table("Users", ["name", "role", "evaluation / 7 days", "storage", "active tokens", "created"], rows))


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Argument(help="Whose token.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Create an API token for USER and print it once."""
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    with _hub() as hub:
        record, token = hub.create_token(user, label=label)
    if as_json:
        _print_json(_token_document(record, token))
        return
    _echo_token(record, token)


@token_app.command("list")
def token_list(
    user: Annotated[Optional[str], typer.Argument(help="Only this user's tokens.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List API tokens by prefix (the tokens themselves are not stored)."""
    from benchhub.cli.shell import console as _console
    from benchhub.cli.shell import open_hub as _hub
    from benchhub.cli.shell import print_json as _print_json

    with _hub() as hub:
        tokens = hub.tokens(user)
    if as_json:
        _print_json([t.to_dict() for t in tokens])
        return
    from benchhub.cli.render import rich_table

    def when(moment) -> str:
        return moment.strftime("%Y-%m-%d %H:%M") if moment else ""

    rows = [[t.prefix, t.user, t.label, when(t.created_at), when(t.last_used_at), when(t.revoked_at)] for t in tokens]
    _console().print(rich_table("API tokens", ["prefix", "user", "label", "created", "last used", "revoked"], rows))


@token_app.command("revoke")
def token_revoke(prefix: Annotated[str, typer.Argument(help="The token's prefix (as `token list` shows it) or the whole token.")]) -> None:
    """Revoke an API token; requests with it are refused from now on."""
    from benchhub.cli.shell import open_hub as _hub

    with _hub() as hub:
        record = hub.revoke_token(prefix)
    typer.echo(f"Revoked token {record.prefix} of {record.user!r}.")


def _token_document(record: TokenRecord, token: str) -> dict:
    return {**record.to_dict(), "token": token, "note": SHOWN_ONCE}


def _echo_token(record: TokenRecord, token: str) -> None:
    typer.echo(f"API token for {record.user!r} (prefix {record.prefix}):")
    typer.echo(token)
    typer.echo(SHOWN_ONCE)
