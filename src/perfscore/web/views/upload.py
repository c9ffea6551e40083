"""The upload page (:mod:`perfscore.web.views`): submissions and workbooks into the store, each file's outcome shown."""

from __future__ import annotations

from starlette.responses import Response

from perfscore.web.pages import Page
from perfscore.web.security import UPLOAD_SUFFIXES, upload_limits


def upload_form(page: Page) -> Response:
    files, each = upload_limits()
    return page.render("upload.html", outcomes=None, most_files=files, most_bytes=each, suffixes=" ".join(UPLOAD_SUFFIXES))


def upload(page: Page) -> Response:
    files, each = upload_limits()
    uploads = [item for item in page.uploads("files") if item.filename]
    if not uploads:
        return page.render("upload.html", 400, outcomes=[], most_files=files, most_bytes=each, suffixes=" ".join(UPLOAD_SUFFIXES), empty=True)
    received: list[tuple[str | None, bytes]] = []
    for item in uploads:
        item.file.seek(0)
        received.append((item.filename, item.file.read(each + 1)))  # one byte past the limit says "too large"
    try:
        outcomes = page.state.intake.take(received, page.lang)
    finally:
        page.state.tables.changed()
    failed = any(outcome.status == "failed" for outcome in outcomes)
    return page.render("upload.html", 200, outcomes=outcomes, most_files=files, most_bytes=each, suffixes=" ".join(UPLOAD_SUFFIXES), failed=failed)
