"""Accounts over HTTP: who am I, users (admins), API tokens (shown once, when created)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from benchhub.accounts import users as accounts_service
from benchhub.errors import PermissionDeniedError
from benchhub.server.auth import AdminUser, RequiredUser
from benchhub.server.dependencies import SessionDep
from benchhub.server.errors import error_responses
from benchhub.server.params import USER_PATTERN, declared
from benchhub.store.tables import UserRow

router = APIRouter(prefix="/api", tags=["accounts"])

SHOWN_ONCE = "Shown only now: the hub stores only its hash. Send it as 'Authorization: Bearer TOKEN'."


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="1-100 letters, digits, '_', '-' or '.'; unique ignoring case.", **declared(pattern=USER_PATTERN))
    admin: bool = False


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field("", max_length=accounts_service.MAX_LABEL, description="What the token is for.")
    user: str | None = Field(None, description="Whose token (admins only; default: yours).", **declared(pattern=USER_PATTERN))


@router.get("/users/me", responses=error_responses(401))
def get_me(user: RequiredUser) -> dict[str, Any]:
    """The signed-in user."""
    return accounts_service.user_record(user).to_dict()


@router.get("/users", responses=error_responses(401, 403))
def list_users(session: SessionDep, admin: AdminUser) -> list[dict[str, Any]]:
    """Every user (admins only)."""
    return [record.to_dict() for record in accounts_service.list_users(session)]


@router.post("/users", status_code=201, responses=error_responses(400, 401, 403, 409, 413, 422))
def create_user(body: NewUser, session: SessionDep, admin: AdminUser, response: Response) -> dict[str, Any]:
    """Creates a user with a first API token, which this response shows once (admins only)."""
    record = accounts_service.create_user(session, body.name, admin=body.admin)
    created = _new_token(session, accounts_service.get_user(session, record.name), "created with the user", response)
    return {"user": record.to_dict(), "token": created}


@router.get("/tokens", responses=error_responses(401))
def list_tokens(session: SessionDep, user: RequiredUser) -> list[dict[str, Any]]:
    """Your API tokens: prefixes, labels and dates, never the tokens."""
    return [record.to_dict() for record in accounts_service.list_tokens(session, user)]


@router.post("/tokens", status_code=201, responses=error_responses(400, 401, 403, 404, 413, 422))
def create_token(body: NewToken, session: SessionDep, user: RequiredUser, response: Response) -> dict[str, Any]:
    """Creates an API token for yourself (admins: for anyone); this response is the only time it is shown."""
    owner = user
    if body.user is not None and body.user != user.name:
        if not user.is_admin:
            raise PermissionDeniedError(f"User {user.name!r} may create tokens only for their own account; leave out 'user'.")
        owner = accounts_service.get_user(session, body.user)
    return _new_token(session, owner, body.label, response)


@router.delete("/tokens/{prefix}", responses=error_responses(401, 403, 404, 422))
def revoke_token(prefix: str, session: SessionDep, user: RequiredUser) -> dict[str, Any]:
    """Revokes one of your tokens (admins: anyone's) by its prefix."""
    return accounts_service.revoke_token(session, prefix, by=user).to_dict()


def _new_token(session: Session, owner: UserRow, label: str, response: Response) -> dict[str, Any]:
    record, token = accounts_service.create_token(session, owner, label)
    response.headers["Cache-Control"] = "no-store"
    return {**record.to_dict(), "token": token, "note": SHOWN_ONCE}
