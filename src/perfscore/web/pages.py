"""How every page of the web view is served (:mod:`perfscore.web`): language, session, sign-in, CSRF, errors.

A view is a plain function from a :class:`Page` (the request, its language, its session and
its form) to a response; :func:`page` wraps it into a Starlette endpoint that

- picks the language: ``?lang=en`` (remembered in a cookie), else the cookie, else Chinese;
- reads the signed session cookie, or starts a session with a fresh CSRF token;
- sends a visitor who has not signed in to ``/login`` when the server asks for a token;
- parses a POST's form within the upload limits and refuses it (403) without the session's
  CSRF token;
- runs the view in a worker thread (the store and scoring are blocking code), and turns a
  missing unit, project or indicator into a 404 page and bad input into a 400 page that says
  what was wrong, in the page's language.

Templates are Jinja2 with autoescaping on for every template; their texts are the catalogue's
``web.*`` entries (messages/web.toml), given to them as ``t``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from perfscore.errors import PerfscoreError
from perfscore.messages import DEFAULT_LANGUAGE, LANGUAGES, message, messages, render_problem
from perfscore.numbers import whole
from perfscore.store.database import Store
from perfscore.web.data import NotFound, Tables, Texts
from perfscore.web.documents import Documents
from perfscore.web.intake import Intake
from perfscore.web.security import FORM_FIELD_BYTES, LANG_COOKIE, SESSION_COOKIE, Session, Signer, largest_upload, same_secret, upload_limits

#: headers on every page: no sniffing, no framing, scripts from nowhere, styles and forms from here
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


@dataclass(slots=True)
class WebState:
    """What the running server holds: the store, its caches and helpers, the sign-in key."""

    #: the store written by uploads and reviews, and the same store opened for reading pages
    store: Store
    reader: Store
    token: str | None
    tables: Tables
    documents: Documents
    intake: Intake
    #: a stored unit's explanation and findings' wording, made when first shown (ingest keeps no text)
    texts: Texts
    signer: Signer = field(default_factory=Signer)
    templates: Environment = field(default_factory=lambda: _environment())


def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("perfscore.web", "templates"), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.globals.update(unit_url=unit_url, whole=whole)
    return environment


def unit_url(unit_id: str, year: int, project: str | None = None, indicator: str | None = None, tail: str | None = None) -> str:
    """The path of a unit's page (or a project's, an indicator's, or a document of it)."""
    path = f"/unit/{quote(unit_id, safe='')}/{year}"
    if project is not None:
        path += f"/project/{quote(project, safe='')}"
        if indicator is not None:
            path += f"/row/{quote(indicator, safe='')}"
    if tail is not None:
        path += f"/{tail}"
    return path


@dataclass(slots=True)
class Page:
    """One request as a view sees it."""

    request: Request
    state: WebState
    lang: str
    session: Session
    form: FormData | None = None

    @property
    def t(self) -> dict[str, str]:
        return messages("web", self.lang)

    def msg(self, key: str, **fields: object) -> str:
        return message(f"web.{key}", self.lang, **fields)

    def param(self, name: str) -> str | None:
        value = self.request.query_params.get(name)
        return value.strip() if value and value.strip() else None

    def field(self, name: str) -> str | None:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) and value.strip() else None

    def uploads(self, name: str) -> list[UploadFile]:
        return [item for item in self.form.getlist(name) if isinstance(item, UploadFile)] if self.form is not None else []

    def query(self, **changes: object) -> str:
        """The current query string with some parameters changed (None removes one)."""
        params = {key: value for key, value in self.request.query_params.items() if key != "lang"}
        for key, value in changes.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = str(value)
        return "?" + urlencode(sorted(params.items())) if params else "?"

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        other = LANGUAGES[(LANGUAGES.index(self.lang) + 1) % len(LANGUAGES)]
        values = {
            "t": self.t, "msg": self.msg, "lang": self.lang, "other_lang": other, "page": self,
            "csrf": self.session.csrf, "signed_name": self.session.name, "needs_token": self.state.token is not None,
            "statuses": messages("status", self.lang),
        }  # fmt: skip
        values.update(context)
        return HTMLResponse(self.state.templates.get_template(template).render(values), status_code=status)

    def error(self, status: int, lines: list[str]) -> HTMLResponse:
        return self.render("error.html", status, code=status, lines=lines)


View = Callable[[Page], Response]


def page(view: View, *, public: bool = False, upload: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint serving ``view`` with the language, session, sign-in and CSRF checks."""

    async def endpoint(request: Request) -> Response:
        state: WebState = request.app.state.web
        chosen = request.query_params.get("lang")
        lang = chosen if chosen in LANGUAGES else request.cookies.get(LANG_COOKIE, DEFAULT_LANGUAGE)
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        session = state.signer.load(request.cookies.get(SESSION_COOKIE)) or Session()
        if state.token is None and not session.signed_in:
            session.signed_in = session.changed = True  # no token asked for: on the loopback address only
        current = Page(request, state, lang, session)
        response = await _respond(current, view, public, upload)
        if session.changed:
            response.set_cookie(SESSION_COOKIE, state.signer.dump(session), httponly=True, samesite="lax", path="/")
        if chosen in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax", path="/")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return endpoint


async def _respond(current: Page, view: View, public: bool, upload: bool) -> Response:
    request = current.request
    if not public and not current.session.signed_in:
        return RedirectResponse("/login", status_code=303)
    if request.method == "POST":
        refused = await _read_form(current, upload)
        if refused is not None:
            return refused
        if not same_secret(current.field("csrf"), current.session.csrf):
            return current.error(403, [current.msg("csrf_missing")])
    try:
        return await run_in_threadpool(view, current)
    except NotFound as missing:
        return current.error(404, [message(f"web.{missing.key}", current.lang, **missing.fields)])
    except PerfscoreError as error:
        return current.error(400, [render_problem(problem, current.lang) for problem in error.problems])


async def _read_form(current: Page, upload: bool) -> Response | None:
    """Parse the POST's form within the limits; a response that refuses it, or None."""
    request = current.request
    declared = request.headers.get("content-length")
    most = largest_upload() if upload else FORM_FIELD_BYTES
    if declared is None or not declared.isdigit():
        return current.error(411, [current.msg("length_required")])
    if int(declared) > most:
        return current.error(413, [current.msg("request_too_large", size=whole(int(declared)), most=whole(most))])
    files, _ = upload_limits()
    try:
        current.form = await request.form(max_files=files if upload else 0, max_fields=64, max_part_size=FORM_FIELD_BYTES)
    except (MultiPartException, HTTPException) as error:
        detail = str(getattr(error, "detail", None) or getattr(error, "message", None) or error)
        if "Too many files" in detail:
            return current.error(413, [current.msg("too_many_files", count="", most=whole(files))])
        return current.error(400, [current.msg("bad_form")])
    return None


__all__ = ["SECURITY_HEADERS", "Page", "View", "WebState", "page", "unit_url"]
