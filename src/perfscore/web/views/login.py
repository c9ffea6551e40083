"""Signing in (:mod:`perfscore.web.views`): the access token and the reviewer's name, when the server asks for a token."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from perfscore.web.pages import Page
from perfscore.web.security import Session, same_secret

#: the longest reviewer name kept
LONGEST_NAME = 100


def login_form(page: Page) -> Response:
    return page.render("login.html", failed=False)


def login(page: Page) -> Response:
    token, name = page.state.token, page.field("name")
    if token is not None and not same_secret(page.field("token"), token):
        return page.render("login.html", 403, failed=True)
    if not name:
        return page.render("login.html", 400, failed=True)
    # a new session on sign-in (a new CSRF token too): nothing from before carries over
    fresh = Session(name=name[:LONGEST_NAME], signed_in=True)
    page.session.csrf, page.session.name, page.session.signed_in, page.session.changed = fresh.csrf, fresh.name, True, True
    return RedirectResponse("/table", status_code=303)


def logout(page: Page) -> Response:
    fresh = Session()
    page.session.csrf, page.session.name, page.session.signed_in, page.session.changed = fresh.csrf, None, page.state.token is None, True
    return RedirectResponse("/login" if page.state.token is not None else "/table", status_code=303)
