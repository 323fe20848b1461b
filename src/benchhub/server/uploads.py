"""Predictions uploads stay within their benchmark's size limit from the first byte on.

Form parsing would spool any request body to disk before a route could look at the file, so
`UploadLimit` refuses a submission whose body is bigger than the benchmark takes (plus room for the
form's other fields) with 413: at once when Content-Length says so, or as soon as a body sent
without one grows past it. Routes then read the spooled file with `read_upload`, which checks its
size before reading it into memory.
"""

from __future__ import annotations

import os
import re

import anyio.to_thread
from fastapi import Request, UploadFile
from sqlalchemy import select
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from benchhub.data.submission_files import check_size
from benchhub.hub import Hub
from benchhub.server.errors import error_response, page_response, wants_page
from benchhub.store.tables import BenchmarkRow

# Multipart boundaries, part headers, the CSRF token and the phase name: far below this.
FORM_ALLOWANCE = 64 * 1024
_SUBMISSION_PATHS = re.compile(r"^/(?:api/benchmarks/(?P<api>[^/]+)/submissions|benchmarks/(?P<web>[^/]+)/submit)$")


def read_upload(file: UploadFile, max_bytes: int) -> bytes:
    """The uploaded file's bytes, after checking (without reading it) that it is neither empty nor over `max_bytes`."""
    file.file.seek(0, os.SEEK_END)
    check_size(file.filename or "the file", file.file.tell(), max_bytes)
    file.file.seek(0)
    return file.file.read(max_bytes + 1)


class UploadLimit:
    """ASGI middleware: refuses a submission body larger than its benchmark's `max_bytes` allows (413)."""

    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app = app
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _SUBMISSION_PATHS.match(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        name = match["api"] or match["web"]  # ASGI paths arrive percent-decoded
        max_bytes = await anyio.to_thread.run_sync(self._max_bytes, name)
        if max_bytes is None:  # no such benchmark: the route says so
            await self.app(scope, receive, send)
            return
        allowed = max_bytes + FORM_ALLOWANCE
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > allowed:
            await self._refuse(scope, receive, send, name, max_bytes, f"The upload is {int(declared):,} bytes")
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
                await self._refuse(scope, receive, send, name, max_bytes, f"The upload is over {allowed:,} bytes")

        await self.app(scope, counted, answer)

    def _max_bytes(self, name: str) -> int | None:
        with self.hub.session() as session:
            settings = session.scalar(select(BenchmarkRow.settings).where(BenchmarkRow.name == name))
        return None if settings is None else int(settings["max_bytes"])

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, name: str, max_bytes: int, size: str) -> None:
        message = f"{size}; benchmark {name!r} takes predictions files of up to {max_bytes:,} bytes."
        request = Request(scope, receive)
        if wants_page(request):
            response = page_response(request, 413, message)
        else:
            response = error_response(413, "PredictionsFormatError", message)
        await response(scope, receive, send)
