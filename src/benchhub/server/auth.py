"""Who is asking: the user behind a request's credentials, as FastAPI dependencies.

Credentials are an API token sent as `Authorization: Bearer TOKEN`, or the web UI's signed
session cookie (see `sessions.py`); a JSON call that changes something on the strength of the
cookie must carry the CSRF token too. A request without credentials is anonymous; a request
with bad credentials is refused, even where anonymous reads are allowed (an expired or tampered
session cookie counts as none: the browser is simply signed out).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from benchhub.accounts import users as accounts_service
from benchhub.errors import AuthenticationError, PermissionDeniedError
from benchhub.server import sessions
from benchhub.server.dependencies import SessionDep
from benchhub.store.tables import UserRow

# Declared for the OpenAPI document ("Authorize" in /api/docs); `request_token` does the reading.
bearer = HTTPBearer(auto_error=False, description="An API token from `benchhub token create USER` or POST /api/tokens.")


def request_token(request: Request) -> str | None:
    """The API token the request carries, or None when it carries none."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("The Authorization header must be 'Bearer TOKEN', with an API token from `benchhub token create`.")
    return token.strip()


def optional_user(request: Request, session: SessionDep,
                  _: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]) -> UserRow | None:
    """The signed-in user, or None for an anonymous request."""
    token = request_token(request)
    if token is not None:
        return accounts_service.authenticate(session, token)
    token_id = sessions.read_session(request.app.state.secret, request.cookies.get(sessions.SESSION_COOKIE))
    if token_id is None:
        return None
    if request.method not in sessions.SAFE_METHODS and request.url.path.startswith("/api/") and not sessions.csrf_matches(
        request.cookies.get(sessions.CSRF_COOKIE), request.headers.get(sessions.CSRF_HEADER)
    ):
        raise PermissionDeniedError(
            f"A call signed in by the session cookie must send the {sessions.CSRF_HEADER} header "
            f"(the value of the {sessions.CSRF_COOKIE} cookie); or use an API token."
        )
    try:
        return accounts_service.session_user(session, token_id)
    except AuthenticationError:
        return None  # the token behind the session was revoked: the browser is signed out


def required_user(user: Annotated[UserRow | None, Depends(optional_user)]) -> UserRow:
    if user is None:
        raise AuthenticationError("Sign in first: send 'Authorization: Bearer TOKEN' with an API token from `benchhub token create`.")
    return user


def admin_user(user: Annotated[UserRow, Depends(required_user)]) -> UserRow:
    if not user.is_admin:
        raise PermissionDeniedError(f"User {user.name!r} is not an admin; this needs an admin's token.")
    return user


OptionalUser = Annotated[UserRow | None, Depends(optional_user)]
RequiredUser = Annotated[UserRow, Depends(required_user)]
AdminUser = Annotated[UserRow, Depends(admin_user)]
