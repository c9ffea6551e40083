"""The web view (top of the flow, beside :mod:`perfscore.cli`): the store in a browser.

``perfscore serve`` shows the store as server-rendered pages (Starlette, Jinja2, uvicorn; no
JavaScript): upload submissions and workbooks, the ranked table of a year (sorted, filtered,
downloaded as xlsx or csv), a unit down to a project and an indicator with its three scores,
the explanation of every point, its findings, report and opinion as Word, the review form and
its log, and charts drawn as SVG on the server. It reads and writes the store only through
:mod:`perfscore.store`, and renders through :mod:`perfscore.output` and :mod:`perfscore.narrate`.

Inside, from the top: :mod:`.app` (the routes) → :mod:`.views` (one module a page kind) →
:mod:`.pages` (language, session, sign-in, CSRF, errors) → :mod:`.data`, :mod:`.documents`,
:mod:`.intake` (the store read, scored again for documents, written by uploads) →
:mod:`.security` (tokens, signed sessions, limits). docs/web.md describes the pages,
docs/security.md the threat model.
"""

from __future__ import annotations

from perfscore.web.app import create_app, serve

__all__ = ["create_app", "serve"]
