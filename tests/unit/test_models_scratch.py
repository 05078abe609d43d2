"""prove's scratch place: a throwaway cluster that touches nothing live, and cleanup after a killed run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from django_takeover import scratch
from django_takeover.catalog import CatalogError
from django_takeover.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_temp_cluster_is_unix_socket_only_and_removed(pg_cluster):
    with psycopg.connect(pg_cluster.dsn()) as conn:
        major = conn.info.server_version // 10000
    with scratch.temp_cluster(major, "UTF8", "C", "C") as dsn:
        root = Path(dsn.split("host=")[1].split()[0])
        # In memory when /dev/shm can take it (file creation on disk was most of the build's time).
        assert root.parent == scratch.base_dirs()[0]
        assert root.is_dir() and (root / scratch.OWNER_FILE).read_text().strip() == str(os.getpid())
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SHOW listen_addresses").fetchone()[0] == ""
            assert conn.info.server_version // 10000 == major
        assert oct(root.stat().st_mode & 0o777) == "0o700"
    assert not root.exists()


def test_a_killed_run_is_cleaned_up_by_the_next(pg_cluster, tmp_path):
    with psycopg.connect(pg_cluster.dsn()) as conn:
        major = conn.info.server_version // 10000
    code = ("import sys, time; from django_takeover import scratch\n"
            f"with scratch.temp_cluster({major}, 'UTF8', 'C', 'C') as dsn:\n"
            "    print(dsn, flush=True); time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    dsn = proc.stdout.readline().strip()
    root = Path(dsn.split("host=")[1].split()[0])
    postmaster = int((root / "data" / "postmaster.pid").read_text().split()[0])
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert root.exists()                               # the killed run could not clean up
    assert root in scratch.cleanup_stale_clusters()
    assert not root.exists()
    for _ in range(50):
        try:
            os.kill(postmaster, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the killed run's postmaster is still running")


def test_server_mode_drops_old_leftovers(pg_cluster, legacy_dsn, tmp_path, capsys):
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as conn:
        conn.execute('CREATE DATABASE "takeover_prove_1000000000_deadbeef"')
    gen = tmp_path / "models.py"
    assert main(["generate", "--dsn", legacy_dsn, "--app-label", "helpdesk", "--out-models", str(gen)]) == 0
    assert main(["prove", "--dsn", legacy_dsn, "--app-label", "helpdesk", "--models", str(gen),
                 "--scratch", "server"]) == 0
    capsys.readouterr()
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'takeover_prove_%'").fetchall()
    assert left == []


def test_missing_binaries_are_a_clear_error():
    with pytest.raises(CatalogError, match="no PostgreSQL 99 server binaries"):
        scratch.find_bindir(99)
