"""The web view's application (top of :mod:`perfscore.web`): the routes in one table, the server's state, and serving it.

``perfscore serve`` calls :func:`serve`, which opens the store, builds the application with
:func:`create_app` and runs it under uvicorn on 127.0.0.1 unless another address is given
(then only with an access token: :func:`perfscore.web.security.access_token`). The stylesheet
is read from the package once and served from memory; no route maps a request path to a file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sqlalchemy import create_engine

from perfscore.engine import Engine
from perfscore.plugin.manager import make_host
from perfscore.store.database import BUSY_SECONDS, Store
from perfscore.web.data import Tables, Texts
from perfscore.web.documents import Documents
from perfscore.web.intake import Intake
from perfscore.web.pages import SECURITY_HEADERS, WebState, page
from perfscore.web.views import charts, login, review, table, unit, upload

#: the stylesheet, vendored with the package (plain CSS, no library)
STYLESHEET = resources.files("perfscore.web").joinpath("static", "style.css").read_bytes()


async def stylesheet(request: Request) -> Response:
    return Response(STYLESHEET, media_type="text/css; charset=utf-8", headers={**SECURITY_HEADERS, "Cache-Control": "max-age=3600"})


UNIT = "/unit/{unit:str}/{year:int}"

ROUTES = [
    Route("/", page(table.home)),
    Route("/login", page(login.login_form, public=True), methods=["GET"]),
    Route("/login", page(login.login, public=True), methods=["POST"]),
    Route("/logout", page(login.logout, public=True), methods=["POST"]),
    Route("/upload", page(upload.upload_form), methods=["GET"]),
    Route("/upload", page(upload.upload, upload=True), methods=["POST"]),
    Route("/table", page(table.table_page)),
    Route("/table.xlsx", page(table.table_xlsx_download)),
    Route("/table.csv", page(table.table_csv_download)),
    Route("/charts", page(charts.charts_page)),
    Route(UNIT, page(unit.unit_view)),
    Route(UNIT + "/report.docx", page(unit.report_docx)),
    Route(UNIT + "/opinion.docx", page(unit.opinion_docx)),
    Route(UNIT + "/review", page(review.adjust_action), methods=["POST"]),
    Route(UNIT + "/withdraw", page(review.withdraw_action), methods=["POST"]),
    Route(UNIT + "/project/{project:str}", page(unit.project_view)),
    Route(UNIT + "/project/{project:str}/row/{indicator:str}", page(unit.row_view)),
    Route("/static/style.css", stylesheet),
]


def reading(store: Store) -> Store:
    """The store for reading pages. On SQLite, an engine of its own without the store's
    write lock at the start of every transaction (``BEGIN IMMEDIATE``, right for ingest and
    review): in WAL mode readers then run side by side instead of one at a time."""
    if store.backend != "sqlite":
        return store
    return Store(store.url, create_engine(store.engine.url, connect_args={"timeout": BUSY_SECONDS}))


def create_app(store: Store, token: str | None = None, plugins_dirs: tuple[Path, ...] = ()) -> Starlette:
    """The application over an open store; ``token``: the access token sign-in asks for (None: none)."""
    host = make_host(plugins_dirs)
    reader = reading(store)
    state = WebState(store=store, reader=reader, token=token, tables=Tables(reader), documents=Documents(reader, host), intake=Intake(store, plugins_dirs), texts=Texts(Engine(host)))
    app = Starlette(routes=ROUTES)
    app.state.web = state
    return app


def serve(store: Store, host: str, port: int, token: str | None, plugins_dirs: tuple[Path, ...] = ()) -> None:
    """Run the web view until interrupted (uvicorn, one process; views run in its thread pool)."""
    import uvicorn

    uvicorn.run(create_app(store, token, plugins_dirs), host=host, port=port, log_level="warning", server_header=False, proxy_headers=False)


__all__ = ["ROUTES", "create_app", "serve"]
