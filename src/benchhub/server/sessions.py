"""Web sessions and CSRF protection for the browser UI.

Signing in with an API token sets `benchhub_session`: the token's row id and an expiry, signed
with HMAC-SHA256 under a secret kept in the hub home (`server-secret`, created 0600 on first
use). The cookie is HttpOnly and SameSite=Lax, and never holds the token itself; revoking the
token ends every session opened with it. Form posts carry a CSRF token that must equal the
`benchhub_csrf` cookie (double submit; SameSite=Strict); JSON API calls authenticated by the
session cookie must send it as `X-CSRF-Token`. Requests with `Authorization: Bearer` need neither.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import time
from pathlib import Path

SESSION_COOKIE = "benchhub_session"
CSRF_COOKIE = "benchhub_csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 14 * 24 * 3600
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# token id . expiry . HMAC-SHA256 in hex; anything else (non-ASCII, Unicode digits, stray dots) is no session.
_SESSION = re.compile(r"([0-9]{1,18})\.([0-9]{1,12})\.([0-9a-f]{64})")
_CSRF = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


FLASH_COOKIE = "benchhub_flash"
FLASH_SECONDS = 60
FLASH_MAX = 500
FLASH_KINDS = ("ok", "error")


def sign_flash(secret: bytes, message: str, kind: str = "ok") -> str:
    """A one-time message for the next page, signed so that only the server can set one (a link cannot)."""
    import base64

    payload = base64.urlsafe_b64encode(f"{kind}\n{message[:FLASH_MAX]}".encode("utf-8")).decode("ascii")
    return f"{payload}.{_mac(secret, 'flash.' + payload)}"


def read_flash(secret: bytes, value: str | None) -> tuple[str, str] | None:
    """(kind, message) of a flash cookie this server signed, else None."""
    import base64
    import binascii

    if not value or value.count(".") != 1:
        return None
    payload, mac = value.split(".")
    if not hmac.compare_digest(mac.encode("ascii", "replace"), _mac(secret, "flash." + payload).encode("ascii")):
        return None
    try:
        kind, _, message = base64.urlsafe_b64decode(payload.encode("ascii")).decode("utf-8").partition("\n")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    return (kind, message) if kind in FLASH_KINDS else None


def load_secret(home: Path) -> bytes:
    """The server's signing secret, created on first use (readable by its owner only)."""
    path = home / "server-secret"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def sign_session(secret: bytes, token_id: int, *, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + SESSION_SECONDS)
    payload = f"{token_id}.{expires}"
    return f"{payload}.{_mac(secret, payload)}"


def read_session(secret: bytes, value: str | None, *, now: float | None = None) -> int | None:
    """The token id of a valid, unexpired session cookie; None for anything else."""
    match = _SESSION.fullmatch(value or "")
    if match is None:
        return None
    token_id, expires, mac = match.groups()
    if not hmac.compare_digest(mac, _mac(secret, f"{token_id}.{expires}")):
        return None
    if int(expires) < (now if now is not None else time.time()):
        return None
    return int(token_id)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_cookie(value: str | None) -> str | None:
    """The CSRF cookie's value if it is one this server could have set; None for a missing or malformed one."""
    return value if value is not None and _CSRF.fullmatch(value) else None


def csrf_matches(cookie: str | None, submitted: str | None) -> bool:
    """Whether a submitted CSRF token equals the cookie's; a missing or malformed one (never ours) does not."""
    if csrf_cookie(cookie) is None or not submitted or not submitted.isascii():
        return False
    return hmac.compare_digest(cookie, submitted)


def _mac(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode("ascii"), hashlib.sha256).hexdigest()
