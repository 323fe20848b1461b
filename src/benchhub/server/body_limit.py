"""One request-body limit for every route, enforced before a route reads the body.

Form parsing spools uploaded files to the temp folder before a route (or its authentication)
runs, so `BodyLimit` refuses a body over the limit with 413: at once when Content-Length says so,
or as soon as a body sent without one grows past it. Every request may send `REQUEST_LIMIT`
bytes, which form parsing keeps in memory; only a submission route of an existing benchmark,
asked with valid credentials (an API token or a signed-in session), takes the benchmark's
`max_bytes` plus room for the form's other fields, so an anonymous client writes nothing to disk.
Likewise the catalog's upload routes (`POST /api/models`, `POST /api/datasets`) take, from a member or
an admin, up to `UPLOAD_LIMIT` or what is left of their storage quota, whichever is less.
"""

from __future__ import annotations

import re
from typing import Any

import anyio.to_thread
from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from benchhub.accounts import users as accounts_service
from benchhub.competitions.benchmarks import upload_limit
from benchhub.errors import AuthenticationError
from benchhub.hub import Hub
from benchhub.server import sessions
from benchhub.server.errors import error_response, page_response, wants_page
from benchhub.store.tables import BenchmarkRow

# Starlette keeps an uploaded file of up to 1 MiB in memory: a body within this limit writes nothing to disk.
REQUEST_LIMIT = 1024 * 1024
# Multipart boundaries, part headers, the CSRF token and the phase name: far below this.
FORM_ALLOWANCE = 64 * 1024
_SUBMISSION_PATHS = re.compile(r"^/(?:api/benchmarks/(?P<api>[^/]+)/submissions|benchmarks/(?P<web>[^/]+)/submit)$")
_UPLOAD_PATHS = re.compile(r"^/(?:api/(?:models|datasets)|upload/(?:model|dataset))$")
UPLOAD_LIMIT = 4 * 1024**3  # one model or dataset upload


class BodyLimit:
    """ASGI middleware: refuses a request body larger than its route takes (413), before the route reads it."""

    def __init__(self, app: ASGIApp, hub: Hub, secret: bytes) -> None:
        self.app = app
        self.hub = hub
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        allowed, explain = REQUEST_LIMIT, _general
        match = _SUBMISSION_PATHS.match(scope["path"]) if scope["method"] == "POST" else None
        if scope["method"] == "POST" and _UPLOAD_PATHS.match(scope["path"]):
            room = await anyio.to_thread.run_sync(self._catalog_limit, Request(scope))
            if room is not None:
                allowed = room + FORM_ALLOWANCE

                def explain(size: str) -> tuple[str, str]:
                    return "LimitExceededError", (f"{size}; an upload may be up to {room:,} bytes (at most {UPLOAD_LIMIT:,}, "
                                                  "and no more than is left of your storage quota).")
        elif match is not None:
            name = match["api"] or match["web"]  # ASGI paths arrive percent-decoded
            max_bytes = await anyio.to_thread.run_sync(self._upload_limit, name, Request(scope))
            if max_bytes is not None:
                allowed = max_bytes + FORM_ALLOWANCE

                def explain(size: str) -> tuple[str, str]:
                    return "PredictionsFormatError", f"{size}; benchmark {name!r} takes predictions files of up to {max_bytes:,} bytes."
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > allowed:
            await _refuse(scope, receive, send, *explain(f"The upload is {int(declared):,} bytes"))
            return
        received, refused = 0, False

        async def counted() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > allowed:
                    refused = True
                    return {"type": "http.disconnect"}  # the route stops reading; its answer is replaced below
            return message

        async def answer(message: Message) -> None:
            if not refused:
                await send(message)
            elif message["type"] == "http.response.start":
                await _refuse(scope, receive, send, *explain(f"The upload is over {allowed:,} bytes"))

        await self.app(scope, counted, answer)

    def _upload_limit(self, name: str, request: Request) -> int | None:
        """The benchmark's `max_bytes` (or its models phases' largest model size) for a request with valid credentials; None without them or without the benchmark."""
        with self.hub.session() as session:
            benchmark = session.scalar(select(BenchmarkRow).where(BenchmarkRow.name == name))
            if benchmark is None or self._signed_in(session, request) is None:
                return None
            return upload_limit(benchmark)

    def _catalog_limit(self, request: Request) -> int | None:
        """What a catalog upload of this request's user may send: None without credentials or the right to upload."""
        from benchhub.catalog.uploads import storage_used_bytes

        with self.hub.session() as session:
            user = self._signed_in(session, request)
            if user is None or not accounts_service.may_write_catalog(user):
                return None
            room = accounts_service.storage_quota_bytes(user) - storage_used_bytes(session, self.hub.artifacts, user.id)
            return max(0, min(UPLOAD_LIMIT, room))

    def _signed_in(self, session: Session, request: Request) -> Any:
        """The user of a valid API token or session cookie in the request, else None (the route checks the rest: CSRF,
        roles)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            if scheme.lower() == "bearer" and token.strip():
                return accounts_service.authenticate(session, token.strip())
            token_id = sessions.read_session(self.secret, request.cookies.get(sessions.SESSION_COOKIE))
            if token_id is None:
                return None
            return accounts_service.session_user(session, token_id)
        except AuthenticationError:
            return None


def _general(size: str) -> tuple[str, str]:
    return "RequestTooLargeError", (
        f"{size}; requests take bodies of up to {REQUEST_LIMIT:,} bytes, except predictions files sent signed in "
        f"to an existing benchmark's submission route (up to its max_bytes)."
    )


async def _refuse(scope: Scope, receive: Receive, send: Send, kind: str, message: str) -> None:
    request = Request(scope, receive)
    response = page_response(request, 413, message) if wants_page(request) else error_response(413, kind, message)
    await response(scope, receive, send)
