"""Errors as JSON: `{"error": {"type": ..., "message": ...}}`, with the status the error's class implies.

    NotFoundError                   404
    InvalidInputError               422   (also FastAPI's request validation)
    NameTakenError, ConflictError   409
    AuthenticationError             401   (with WWW-Authenticate: Bearer)
    PermissionDeniedError           403
    LimitExceededError              429
    UnsafeModelError                400
    any other BenchhubError         400
    anything unexpected             500   (a generic message; the traceback goes to the server's log)

A message that names a task's settings or columns names them as the request's fields (`BenchhubError.in_fields`:
settings.doc_stride, columns.text), not as the command line's options.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from benchhub.errors import (
    AuthenticationError,
    BenchhubError,
    ConflictError,
    InvalidInputError,
    LimitExceededError,
    NameTakenError,
    NotFoundError,
    PermissionDeniedError,
    UnsafeModelError,
)

STATUSES: tuple[tuple[type[BenchhubError], int], ...] = (
    (NotFoundError, 404),
    (InvalidInputError, 422),
    (NameTakenError, 409),
    (ConflictError, 409),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (LimitExceededError, 429),
    (UnsafeModelError, 400),
)


class ErrorDetail(BaseModel):
    type: str
    message: str


class ErrorBody(BaseModel):
    """Every error the API answers: `{"error": {"type": ..., "message": ...}}`."""

    error: ErrorDetail


REASONS = {
    400: "The body cannot be parsed, or the request cannot be carried out (e.g. a stored file is missing).",
    401: "The credentials are missing or not valid: send 'Authorization: Bearer TOKEN'.",
    403: "The user may not do this (or a session-cookie call lacks its X-CSRF-Token header).",
    404: "No such dataset, model, evaluation, benchmark, phase, submission, user or token.",
    409: "The name is taken, or the request conflicts with the current state.",
    413: "The request body is over its limit.",
    422: "A parameter or the body is not valid.",
    429: "A submission limit or an evaluation-time quota is reached.",
}
_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route that may answer these error statuses."""
    return {status: {"model": ErrorBody, "description": REASONS[status],
                     **({"headers": _UNAUTHORIZED_HEADERS} if status == 401 else {})} for status in statuses}


def status_of(error: BenchhubError) -> int:
    return next((status for cls, status in STATUSES if isinstance(error, cls)), 400)


def error_response(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message}}, status_code=status, headers=headers)


def wants_page(request: Request) -> bool:
    """Browser routes answer errors as pages; everything under /api answers JSON."""
    return not request.url.path.startswith(("/api/", "/openapi.json", "/static/"))


def page_response(request: Request, status: int, message: str) -> Response:
    from benchhub.server.web import error_page

    return error_page(request, status, message)


async def benchhub_error(request: Request, error: BenchhubError) -> Response:
    status = status_of(error)
    if wants_page(request):
        return page_response(request, status, error.in_fields)
    headers = {"WWW-Authenticate": 'Bearer realm="benchhub"'} if status == 401 else None
    return error_response(status, type(error).__name__, error.in_fields, headers)


async def validation_error(request: Request, error: RequestValidationError) -> Response:
    problems = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body") or "request"
        problems.append(f"{where}: {problem.get('msg', 'invalid')}")
    if wants_page(request):
        return page_response(request, 422, "; ".join(problems) or "The request is not valid.")
    return error_response(422, "InvalidInputError", "; ".join(problems) or "The request is not valid.")


async def http_error(request: Request, error: StarletteHTTPException) -> Response:
    if wants_page(request):
        return page_response(request, error.status_code, "There is no such page." if error.status_code == 404 else str(error.detail))
    return error_response(error.status_code, "HTTPError", str(error.detail), dict(error.headers or {}))


async def unexpected_error(request: Request, error: Exception) -> Response:
    # Starlette re-raises the exception after this response, so the ASGI server logs its traceback.
    if wants_page(request):
        return page_response(request, 500, "Internal server error; the server's log has the details.")
    return error_response(500, "InternalError", "Internal server error; the server's log has the details.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(BenchhubError, benchhub_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
