"""Accounts: users and their API tokens.

A token is `bh_` plus 32 random bytes (URL-safe base64). The hub stores only its SHA-256 and its
first characters (the prefix that listings show and `token revoke` takes); the token itself is
returned once, by `create_token`. Looking a token up by its hash keeps the comparison independent
of how many leading characters a guess gets right.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benchhub.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NameTakenError,
    NotFoundError,
)
from benchhub.naming import check_text, quoted
from benchhub.results import TokenRecord, UserRecord
from benchhub.store.database import commit_or_undo, immediate_transaction
from benchhub.store.tables import ApiTokenRow, UserRow, utcnow

TOKEN_PREFIX = "bh_"
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
MAX_LABEL = 200
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
# Recording every use would turn each authenticated read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


# On the hub's catalog: members register models and datasets and evaluate through the server; readers read.
# (Admins have every right; rights on a hosted benchmark are its own roles.)
ROLES = ("member", "reader")
# The evaluation time a user's jobs may take in any window of this length (`evaluation.jobs`).
QUOTA_WINDOW = timedelta(days=7)
DEFAULT_EVALUATION_QUOTA_SECONDS = 24 * 3600
DEFAULT_STORAGE_QUOTA_BYTES = 20 * 10**9  # decimal GB, as sizes are shown (units.human_bytes)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInputError(f"Role {quoted(role)} is not one of {', '.join(ROLES)} (admins are made with --admin).")
    return role


def may_write_catalog(user: UserRow) -> bool:
    """Whether `user` may register models and datasets and start evaluations on the hub."""
    return bool(user.is_admin) or user.role == "member"


def evaluation_quota_seconds(user: UserRow) -> int:
    return DEFAULT_EVALUATION_QUOTA_SECONDS if user.evaluation_quota_seconds is None else int(user.evaluation_quota_seconds)


def storage_quota_bytes(user: UserRow) -> int:
    return DEFAULT_STORAGE_QUOTA_BYTES if user.storage_quota_bytes is None else int(user.storage_quota_bytes)


def lock_user(session: Session, user: UserRow) -> UserRow:
    """Begins a writing transaction that holds `user` locked until the session commits or rolls back, so that a check
    of what the user may still use (their storage quota) and the write it allows run alone, as a participant's
    submissions do; returns the user read afresh (an admin may have just changed their quota).

    SQLite takes the database's write lock (`BEGIN IMMEDIATE`), PostgreSQL the user's row (`FOR UPDATE`). What the
    session read before is committed first: the lock must start the transaction that writes.
    """
    session.commit()
    immediate_transaction(session)
    return session.scalars(select(UserRow).where(UserRow.id == user.id).with_for_update()
                           .execution_options(populate_existing=True)).one()


def set_user(session: Session, name: str, *, role: str | None = None, evaluation_quota_hours: float | None = None,
             storage_quota_gb: float | None = None) -> UserRecord:
    """Changes a user's catalog role, evaluation-time quota (hours per `QUOTA_WINDOW`) and storage quota (GB)."""
    row = get_user(session, name)
    if role is not None:
        row.role = check_role(role)
    if storage_quota_gb is not None:
        if not 0 <= storage_quota_gb <= 1024 * 1024:
            raise InvalidInputError(f"--storage-quota-gb must be in the range [0, 1048576]. Got {storage_quota_gb} instead.")
        row.storage_quota_bytes = int(round(storage_quota_gb * 1e9))
    if evaluation_quota_hours is not None:
        if not 0 <= evaluation_quota_hours <= 24 * 365:
            raise InvalidInputError(f"--evaluation-quota-hours must be in the range [0, 8760]. Got {evaluation_quota_hours} instead.")
        row.evaluation_quota_seconds = int(round(evaluation_quota_hours * 3600))
    commit_or_undo(session, row)
    return user_record(row)


def create_user(session: Session, name: str, *, admin: bool = False, role: str = "member") -> UserRecord:
    """Creates a user; names are unique ignoring case, so 'Alice' cannot pose as 'alice'."""
    check_role(role)
    if not USER_NAME.fullmatch(name):
        raise InvalidInputError(
            f"User name {quoted(name)} is not allowed; use 1-100 letters, digits, '_', '-' or '.', starting with a letter or digit."
        )
    existing = session.scalar(select(UserRow.name).where(func.lower(UserRow.name) == name.lower()))
    if existing is not None:
        raise NameTakenError(f"User name {name!r} is taken by {existing!r} (names are compared ignoring case); choose another name.")
    row = UserRow(name=name, is_admin=admin, role=role)
    try:
        commit_or_undo(session, row)
    except IntegrityError as exc:  # created concurrently
        raise NameTakenError(f"A user named {name!r} already exists; choose another name.") from exc
    return user_record(row)


def get_user(session: Session, name: str) -> UserRow:
    row = session.scalar(select(UserRow).where(UserRow.name == name))
    if row is None:
        raise NotFoundError(f"No user named {name!r}; create one with `benchhub user create {name}`.")
    return row


def list_users(session: Session) -> list[UserRecord]:
    return [user_record(row) for row in session.scalars(select(UserRow).order_by(UserRow.name))]


def create_token(session: Session, user: UserRow, label: str = "") -> tuple[TokenRecord, str]:
    """Creates an API token for `user`; returns its record and the token, which is never available again."""
    if len(label) > MAX_LABEL:
        raise InvalidInputError(f"A token label must be at most {MAX_LABEL} characters. Got {len(label)} instead.")
    check_text(label, "A token label", max_length=MAX_LABEL)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiTokenRow(user_id=user.id, token_hash=token_hash(token), prefix=token[:PREFIX_LENGTH], label=label)
    row.user = user
    commit_or_undo(session, row)
    return token_record(row), token


def authenticate(session: Session, token: str) -> UserRow:
    """The user a token belongs to; unknown and revoked tokens raise `AuthenticationError`."""
    return authenticated_token(session, token).user


def authenticated_token(session: Session, token: str) -> ApiTokenRow:
    """The row of a valid token (recording its use); unknown and revoked tokens raise `AuthenticationError`."""
    digest = token_hash(token)
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise AuthenticationError("Unknown API token; create one with `benchhub token create USER`.")
    return _in_use(session, row)


def session_user(session: Session, token_id: int) -> UserRow:
    """The user of a web session, which names the token it was signed in with: revoking the token ends the session."""
    row = session.get(ApiTokenRow, token_id)
    if row is None:
        raise AuthenticationError("Your session's API token no longer exists; sign in again.")
    return _in_use(session, row).user


def _in_use(session: Session, row: ApiTokenRow) -> ApiTokenRow:
    if row.revoked_at is not None:
        raise AuthenticationError(f"API token {row.prefix}… was revoked; create a new one with `benchhub token create USER`.")
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.commit()
    return row


def list_tokens(session: Session, user: UserRow | None = None) -> list[TokenRecord]:
    """Every token (of `user`, if given), oldest first."""
    statement = select(ApiTokenRow).order_by(ApiTokenRow.id)
    if user is not None:
        statement = statement.where(ApiTokenRow.user_id == user.id)
    return [token_record(row) for row in session.scalars(statement)]


def revoke_token(session: Session, prefix: str, *, by: UserRow | None = None) -> TokenRecord:
    """Revokes the token with this prefix (or this whole token); revoking twice changes nothing.

    With `by`, only that user's own tokens are found, unless `by` is an admin.
    """
    if prefix.startswith(TOKEN_PREFIX) and len(prefix) > PREFIX_LENGTH:
        statement = select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash(prefix))
    else:
        statement = select(ApiTokenRow).where(ApiTokenRow.prefix == prefix)
    if by is not None and not by.is_admin:
        statement = statement.where(ApiTokenRow.user_id == by.id)
    rows = session.scalars(statement).all()
    if not rows:
        raise NotFoundError(f"No API token with prefix {quoted(prefix)}; `benchhub token list` shows the prefixes.")
    if len(rows) > 1:
        raise ConflictError(f"{len(rows)} API tokens share the prefix {prefix!r}; give the whole token to revoke one.")
    row = rows[0]
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.commit()
    return token_record(row)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_record(row: UserRow) -> UserRecord:
    return UserRecord(id=row.id, name=row.name, is_admin=bool(row.is_admin), created_at=row.created_at,
                      role="admin" if row.is_admin else row.role, evaluation_quota_hours=evaluation_quota_seconds(row) / 3600,
                      storage_quota_gb=storage_quota_bytes(row) / 1e9)


def token_record(row: ApiTokenRow) -> TokenRecord:
    return TokenRecord(
        id=row.id, user=row.user.name, prefix=row.prefix, label=row.label, created_at=row.created_at,
        last_used_at=row.last_used_at, revoked_at=row.revoked_at,
    )
