"""Shared fixtures: a real, throwaway PostgreSQL 15 cluster for the unit tests.

The tests talk to a real server, never to a mock, because the model tools are
only as good as what they read out of the catalogs.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest

PG_BINDIR_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")
REPO_ROOT = Path(__file__).resolve().parents[1]


def _pg_bindir() -> Path | None:
    for candidate in PG_BINDIR_CANDIDATES:
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """A cluster in a temp dir, owned by the unprivileged ``postgres`` user when run as root."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.port = _free_port()
        self.datadir = Path(tempfile.mkdtemp(prefix="takeover-pg-"))
        self.user = "postgres"
        self._runas: list[str] = []
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root.
            owner = pwd.getpwnam("postgres")
            os.chown(self.datadir, owner.pw_uid, owner.pw_gid)
            self._runas = ["runuser", "-u", "postgres", "--"]
        else:
            self.user = pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str) -> None:
        subprocess.run([*self._runas, *args], check=True, capture_output=True)

    def start(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", self.user,
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w", "-l",
                  str(self.datadir / "server.log"), "-o",
                  f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off",
                  "start")

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.datadir, ignore_errors=True)

    def dsn(self, dbname: str = "postgres", user: str | None = None) -> str:
        return f"host=127.0.0.1 port={self.port} dbname={dbname} user={user or self.user}"

    def create_database(self, sql: str | None = None, sql_file: Path | None = None) -> str:
        """Create a fresh database, load DDL into it and return its DSN."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        dsn = self.dsn(name)
        if sql_file is not None:
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(sql_file)],
                           check=True, capture_output=True)
        if sql:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(sql)
        return dsn


@pytest.fixture(scope="session")
def pg_cluster():
    bindir = _pg_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL server binaries not found: install postgresql-15 (make deps does)")
    cluster = PostgresCluster(bindir)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def legacy_dsn(pg_cluster):
    """A fresh database holding the sample legacy helpdesk schema."""
    return pg_cluster.create_database(sql_file=REPO_ROOT / "lab/legacy/schema.sql")


# The acceptance schemas (real PHP apps' PostgreSQL schemas) live outside the
# repository. One definition of where they are and of what their absence
# means: a loud skip in a plain clone, a failure under CI=true.
ACCEPTANCE_DIR = Path(os.environ.get("TAKEOVER_ACCEPTANCE_SCHEMAS")
                      or REPO_ROOT.parent / "shared" / "acceptance" / "schemas")
ACCEPTANCE_SCHEMAS = sorted(ACCEPTANCE_DIR.glob("*.sql")) if ACCEPTANCE_DIR.is_dir() else []


def _acceptance_missing() -> None:
    message = f"acceptance schemas not found in {ACCEPTANCE_DIR} (set TAKEOVER_ACCEPTANCE_SCHEMAS)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + "; CI must run the acceptance tests")
    pytest.skip("SKIPPED LOUDLY: " + message)


def pytest_generate_tests(metafunc):
    """A test that takes `acceptance_sql` runs once per acceptance schema."""
    if "acceptance_sql" in metafunc.fixturenames:
        metafunc.parametrize("acceptance_sql", ACCEPTANCE_SCHEMAS or [None], indirect=True,
                             ids=[p.stem for p in ACCEPTANCE_SCHEMAS] or ["missing"])


@pytest.fixture
def acceptance_sql(request) -> Path:
    if request.param is None:
        _acceptance_missing()
    return request.param


@pytest.fixture(scope="session")
def acceptance_schemas() -> list[Path]:
    if not ACCEPTANCE_SCHEMAS:
        _acceptance_missing()
    return ACCEPTANCE_SCHEMAS
