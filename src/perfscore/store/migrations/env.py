"""Alembic's environment for the store's migrations (run by ``perfscore db upgrade``).

:func:`perfscore.store.database.upgrade` hands Alembic an open connection in
``config.attributes["connection"]``; this script runs the migrations of ``versions/`` on it,
in one transaction. No alembic.ini is needed: the script location comes from the package.
"""

from __future__ import annotations

from alembic import context

from perfscore.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through perfscore.store.database
    raise RuntimeError("run the store's migrations with `perfscore db upgrade`, which passes the connection")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
