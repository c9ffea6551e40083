"""The review form's actions (:mod:`perfscore.web.views`): adjust a row, level or project with a reason, or withdraw an adjustment.

Both append to the store's review log (:mod:`perfscore.store.review`), exactly as
``perfscore review`` does; nothing is changed or deleted. The reviewer is the name signed in
with the access token, or, on a server that asks for none (the loopback address), the name
typed in the form. After the entry is kept the browser is sent back to the page it came from
(303), which now shows the reviewed score.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from perfscore.errors import PerfscoreError, Problem
from perfscore.store.review import adjust, parse_adjustment, withdraw
from perfscore.web.data import unit_page
from perfscore.web.pages import Page, unit_url


def _reviewer(page: Page) -> str | None:
    if page.state.token is not None:
        return page.session.name
    name = page.field("reviewer")
    if name and name != page.session.name:
        page.session.name, page.session.changed = name[:100], True  # filled in next time
    return name


def _back(page: Page, unit_id: str, year: int, target: str | None) -> str:
    project, _, part = (target or "").partition("/")
    back = page.field("back")
    if back == "row" and part:
        return unit_url(unit_id, year, project, part)
    if back in ("project", "row") and project:
        return unit_url(unit_id, year, project)
    return unit_url(unit_id, year)


def adjust_action(page: Page) -> Response:
    unit_id, year = str(page.request.path_params["unit"]), int(page.request.path_params["year"])
    unit_page(page.state.reader, unit_id, year)  # an unknown unit or year: 404
    target, points = page.field("target"), page.field("points")
    if not target or not points:
        raise PerfscoreError(Problem(page.msg("review_needs_target")))
    adjustment = parse_adjustment(f"{target}={points}")
    adjust(page.state.store, unit_id, year, adjustment, page.field("reason"), _reviewer(page))
    page.state.tables.changed()
    return RedirectResponse(_back(page, unit_id, year, target), status_code=303)


def withdraw_action(page: Page) -> Response:
    unit_id, year = str(page.request.path_params["unit"]), int(page.request.path_params["year"])
    unit_page(page.state.reader, unit_id, year)
    entry = page.field("entry")
    if entry is None or not entry.isdigit() or len(entry) > 12:
        raise PerfscoreError(Problem(page.msg("review_needs_entry")))
    withdraw(page.state.store, unit_id, year, int(entry), page.field("reason"), _reviewer(page))
    page.state.tables.changed()
    return RedirectResponse(_back(page, unit_id, year, page.field("target")), status_code=303)
