"""The web view's guards (bottom of :mod:`perfscore.web`): who may use it, signed sessions, CSRF, upload limits.

Rules, as docs/security.md states them for the web part of the threat model:

- the server binds 127.0.0.1 unless told otherwise; on any other address it refuses to start
  without an access token (``--token`` or ``$PERFSCORE_WEB_TOKEN``), so that nobody on the
  network reaches it unasked, and every review is signed by the name given at sign-in;
- the session is a cookie signed with HMAC-SHA256 under a key made at start (so a restart
  signs everybody out); it carries the reviewer's name and the CSRF token, nothing else, and
  is HttpOnly and SameSite=Lax;
- every form carries the session's CSRF token and every POST is refused (403) without it;
- an upload is at most ``limit("upload_files")`` files of at most ``limit("file_bytes")``
  each and ``limit("upload_bytes")`` in all; a request that declares more, or no length, is
  refused (413, 411) before it is read, and one that sends more than it declared is cut off;
- nothing a request says becomes a path: uploads are read into memory and written to a
  temporary folder under names the server makes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from perfscore.errors import PerfscoreError, Problem
from perfscore.limits import limit
from perfscore.messages import message
from perfscore.numbers import whole

#: the environment variable holding the access token when --token does not
TOKEN_VARIABLE = "PERFSCORE_WEB_TOKEN"
SESSION_COOKIE = "perfscore_session"
LANG_COOKIE = "perfscore_lang"
#: the shortest token accepted: a guessable token is no guard
SHORTEST_TOKEN = 16
#: bytes a form's fields other than files may hold in all (a review form is well under this)
FORM_FIELD_BYTES = 64 * 1024
#: file suffixes an upload may have: submissions as TOML, or 自评表 workbooks
UPLOAD_SUFFIXES = (".toml", ".xlsx", ".xls", ".ods")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only: localhost, 127.0.0.0/8 or ::1."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def access_token(option: str | None, host: str, lang: str, environ: dict[str, str] | None = None) -> str | None:
    """The token the server asks for (None: none needed, on the loopback address only);
    a clear error, in ``lang``, for a short token or a wider address without one."""
    environ = dict(os.environ) if environ is None else environ
    token = option if option is not None else environ.get(TOKEN_VARIABLE) or None
    if token is not None and len(token) < SHORTEST_TOKEN:
        raise PerfscoreError(Problem(
            message("web.short_token", lang, length=whole(len(token))), location="--token",
            expected=message("web.expected_token", lang, shortest=whole(SHORTEST_TOKEN)),
        ))
    if token is None and not is_loopback(host):
        raise PerfscoreError(Problem(
            message("web.needs_token", lang, host=host), location="--host",
            expected=message("web.expected_needs_token", lang, variable=TOKEN_VARIABLE),
        ))
    return token


@dataclass(slots=True)
class Session:
    """What the session cookie holds: the CSRF token, and the name of whoever signed in."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    name: str | None = None
    #: whether this session gave the access token (always True where none is needed)
    signed_in: bool = False
    changed: bool = True


class Signer:
    """Signs and checks session cookies with a key made when the server starts."""

    def __init__(self, key: bytes | None = None):
        self.key = key or secrets.token_bytes(32)

    def _mac(self, payload: bytes) -> str:
        return hmac.new(self.key, payload, hashlib.sha256).hexdigest()

    def dump(self, session: Session) -> str:
        payload = base64.urlsafe_b64encode(json.dumps({"csrf": session.csrf, "name": session.name, "in": session.signed_in}, ensure_ascii=True).encode()).decode()
        return f"{payload}.{self._mac(payload.encode())}"

    def load(self, cookie: str | None) -> Session | None:
        """The session of a cookie this server signed; None for anything else."""
        if not cookie or "." not in cookie or len(cookie) > 4096:
            return None
        payload, _, mac = cookie.rpartition(".")
        if not hmac.compare_digest(mac, self._mac(payload.encode())):
            return None
        try:
            data: Any = json.loads(base64.urlsafe_b64decode(payload.encode()))
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        name = data.get("name")
        return Session(csrf=data["csrf"], name=name if isinstance(name, str) else None, signed_in=data.get("in") is True, changed=False)


def same_secret(given: str | None, expected: str) -> bool:
    """A token or CSRF value compared in constant time."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def upload_limits() -> tuple[int, int]:
    """(files, bytes a file) an upload may hold, from perfscore.limits."""
    return int(limit("upload_files")), int(limit("file_bytes"))


def largest_upload() -> int:
    """The most bytes an upload request may declare (``limit("upload_bytes")``)."""
    return int(limit("upload_bytes"))


__all__ = [
    "FORM_FIELD_BYTES", "LANG_COOKIE", "SESSION_COOKIE", "SHORTEST_TOKEN", "TOKEN_VARIABLE", "UPLOAD_SUFFIXES",
    "Session", "Signer", "access_token", "is_loopback", "largest_upload", "same_secret", "upload_limits",
]  # fmt: skip
