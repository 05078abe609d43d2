"""Where prove builds its scratch schema: a throwaway cluster (default) or a database on the live server.

``tempcluster`` (the default) touches nothing on the live cluster: it runs
``initdb`` into a fresh directory under the temporary directory, with the
server binaries of the live server's major version found on this host, and
starts it listening on a unix socket in that directory only
(``listen_addresses=''``, directory mode 0700, so nobody else can connect).
It is stopped and removed in every case. The directory is on ``/dev/shm``
when that is a writable memory file system with room to spare (creating a
thousand tables creates thousands of relation files: on a disk file system
that file-system work was most of the build's time, fsync off or not), else
under the temporary directory. A run killed before it could clean
up leaves a directory with an owner file; the next run stops and removes
every such cluster whose owner process is gone.

``server`` creates ``takeover_prove_<unix time>_<random>`` on the live server
(needs CREATEDB) and drops it in every case; the next run drops leftovers
older than six hours, so a killed run's database cannot stay forever.

Both give the same comparison: the catalogs are deparsed by the same
PostgreSQL major version.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from . import catalog
from .catalog import CatalogError

MODES = ("tempcluster", "server")
DIR_PREFIX = "takeover-prove-"
OWNER_FILE = "takeover-owner"
SERVER_DB_RE = re.compile(r"^takeover_prove_(\d{10})_[0-9a-f]{8}$")
SERVER_LEFTOVER_AGE = 6 * 3600
SHM = Path("/dev/shm")
SHM_MIN_FREE = 1 << 30      # a throwaway cluster of 1,000 tables takes under 100 MB


def base_dirs() -> list[Path]:
    """Where throwaway clusters go, best first: memory (when usable), then the temporary directory."""
    bases = []
    try:
        st = os.statvfs(SHM)
        if SHM.is_dir() and os.access(SHM, os.W_OK | os.X_OK) and st.f_bavail * st.f_frsize >= SHM_MIN_FREE:
            bases.append(SHM)
    except OSError:
        pass
    return [*bases, Path(tempfile.gettempdir())]


def find_bindir(major: int, override: str | None = None) -> Path:
    """The directory holding initdb/pg_ctl/postgres of the given major version on this host."""
    candidates = [Path(override)] if override else []
    candidates += [Path(f"/usr/lib/postgresql/{major}/bin"), Path(f"/usr/pgsql-{major}/bin")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            candidates.append(Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                                  check=True).stdout.strip()))
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)
    for d in candidates:
        if not all((d / b).is_file() for b in ("initdb", "pg_ctl", "postgres")):
            continue
        try:
            out = subprocess.run([str(d / "postgres"), "-V"], capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        m = re.search(r"(\d+)(?:\.\d+)?", out)
        if m and int(m.group(1)) == major:
            return d
    raise CatalogError(
        f"no PostgreSQL {major} server binaries (initdb, pg_ctl) on this host for prove's throwaway cluster: "
        f"install postgresql-{major}, pass --pg-bindir, or use --scratch server")


def _runas() -> tuple[list[str], pwd.struct_passwd | None]:
    """PostgreSQL refuses to run as root: as root, run the cluster as the postgres OS user."""
    if os.geteuid() != 0:
        return [], None
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        raise CatalogError("prove's throwaway cluster cannot run as root and there is no postgres OS user: "
                           "run as an unprivileged user or use --scratch server") from None
    return ["runuser", "-u", "postgres", "--"], owner


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cleanup_stale_clusters(base: Path | None = None) -> list[Path]:
    """Stop and remove throwaway clusters whose owner process is gone (a killed run); return them."""
    removed = []
    for d in sorted(p for b in ([Path(base)] if base else base_dirs()) for p in b.glob(DIR_PREFIX + "*")):
        owner = d / OWNER_FILE
        try:
            pid = int(owner.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue          # not ours, or still being set up
        if _pid_alive(pid):
            continue
        pidfile = d / "data" / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError, ProcessLookupError, PermissionError):
            os.kill(int(pidfile.read_text().split()[0]), signal.SIGQUIT)   # immediate shutdown
            for _ in range(50):
                if not pidfile.exists():
                    break
                time.sleep(0.1)
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


@contextlib.contextmanager
def temp_cluster(major: int, encoding: str, collate: str, ctype: str, bindir: str | None = None):
    """Yield the DSN of a throwaway cluster's ``postgres`` database; always stopped and removed."""
    cleanup_stale_clusters()
    bin_path = find_bindir(major, bindir)
    runas, owner = _runas()
    root = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=base_dirs()[0]))
    (root / OWNER_FILE).write_text(f"{os.getpid()}\n")
    data = root / "data"
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)

    def run(*args: str) -> None:
        proc = subprocess.run([*runas, *args], capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
            raise CatalogError(f"throwaway cluster: {Path(args[0]).name} failed: "
                               f"{lines[-1].strip() if lines else proc.returncode}")

    started = False
    try:
        base = [str(bin_path / "initdb"), "-D", str(data), "-U", "takeover", "--auth=trust", "--no-sync",
                f"--encoding={encoding}"]
        try:
            run(*base, f"--lc-collate={collate}", f"--lc-ctype={ctype}")
        except CatalogError:
            # The live database's locale may not exist for this user/host; C changes no definition we compare.
            shutil.rmtree(data, ignore_errors=True)
            run(*base, "--locale=C")
        run(str(bin_path / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l", str(root / "server.log"), "-o",
            f"-c listen_addresses='' -k {root} -p 5432 -c fsync=off -c full_page_writes=off "
            "-c synchronous_commit=off -c max_connections=20 -c max_locks_per_transaction=1024", "start")
        started = True
        yield f"host={root} port=5432 dbname=postgres user=takeover"
    finally:
        if started:
            with contextlib.suppress(CatalogError):
                run(str(bin_path / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def server_database(conn: psycopg.Connection, live_dsn: str):
    """Yield the DSN of a new database on the live server; always dropped."""
    row = conn.execute("SELECT rolcreatedb OR rolsuper, current_user FROM pg_roles "
                       "WHERE rolname = current_user").fetchone()
    if not row or not row[0]:
        raise CatalogError(f"role {row[1] if row else '?'!r} may not create databases: --scratch server needs "
                           "CREATEDB (ALTER ROLE ... CREATEDB) or a superuser; the default --scratch tempcluster "
                           "does not")
    now = int(time.time())
    for (name,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'takeover\\_prove\\_%'"):
        m = SERVER_DB_RE.match(name)
        if m and now - int(m.group(1)) > SERVER_LEFTOVER_AGE:
            with contextlib.suppress(psycopg.Error):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    encoding = conn.execute("SELECT pg_encoding_to_char(encoding) FROM pg_database "
                            "WHERE datname = current_database()").fetchone()[0]
    name = f"takeover_prove_{now}_{uuid.uuid4().hex[:8]}"
    try:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING {}").format(
            sql.Identifier(name), sql.Literal(encoding)))
    except psycopg.Error as exc:
        raise CatalogError(f"cannot create scratch database: {catalog.first_line(exc)}") from None
    try:
        yield make_conninfo(live_dsn, dbname=name)
    finally:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def scratch(mode: str, conn: psycopg.Connection, live_dsn: str, bindir: str | None = None):
    """The scratch place prove builds the models' tables in, by mode (see the module docstring)."""
    if mode == "server":
        with server_database(conn, live_dsn) as dsn:
            yield dsn
        return
    if mode != "tempcluster":
        raise CatalogError(f"unknown scratch mode {mode!r} (choose from {', '.join(MODES)})")
    major = conn.info.server_version // 10000
    encoding, collate, ctype = conn.execute(
        "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database "
        "WHERE datname = current_database()").fetchone()
    with temp_cluster(major, encoding, collate, ctype, bindir) as dsn:
        yield dsn
