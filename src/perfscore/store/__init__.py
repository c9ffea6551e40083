"""The store: what was scored, kept across years, and the bureau's review (复核) of it.

Between the batch stage and the output stage (docs/architecture.md): :mod:`.ingest` scores
files through the engine and writes every score down to the row; :mod:`.review` keeps the
append-only review log and works out reviewed scores; :mod:`.history` reads the store back
as the batch table's summaries, a unit's history and its audit trail, and :mod:`.direct`
reads a year's table through the database's own driver. :mod:`.schema` holds
the tables, :mod:`.database` the URL, engine, schema check and migrations (``migrations/``,
Alembic). docs/store.md describes the design.
"""

from __future__ import annotations

__all__: list[str] = []
