"""Benchmark: generate + audit + prove on a synthetic schema of N tables.

    .venv/bin/python tests/bench/bench_models.py --dsn "host=127.0.0.1 port=5432 user=postgres" 100 300 1000

Without --dsn it starts a throwaway PostgreSQL cluster the way tests/conftest.py
does, and then also reports CPU seconds (wall time on a shared machine varies
with the load; CPU time much less): ours (this process and its children:
the Django child processes, initdb, pg_ctl), the live server's (its
postmaster's and exited backends' time from /proc) and prove's throwaway
cluster's (read the same way just before prove stops it). Each table has 8-12 columns of mixed types, defaults, a CHECK, an index,
and 1-3 foreign keys to earlier tables, so a 300-table schema has a few
thousand columns and several hundred FKs.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from django_takeover import scratch  # noqa: E402
from django_takeover.generate import generate  # noqa: E402
from django_takeover.prove import prove  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def server_cpu(datadir) -> float:
    """CPU seconds of a cluster: its postmaster plus every exited child (backends) it reaped."""
    pid = int((Path(datadir) / "postmaster.pid").read_text().split()[0])
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in stat[11:15]) / TICK      # utime, stime, cutime, cstime


def own_cpu() -> float:
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


SCRATCH_CPU: list[float] = []
_run = scratch.subprocess.run


def _run_and_measure(argv, *args, **kwargs):
    # prove stops its throwaway cluster with pg_ctl stop: read the cluster's CPU time just before.
    if argv[-1] == "stop" and any(str(a).endswith("pg_ctl") for a in argv):
        try:
            SCRATCH_CPU.append(server_cpu(argv[argv.index("-D") + 1]))
        except (OSError, ValueError):
            pass
    return _run(argv, *args, **kwargs)


scratch.subprocess.run = _run_and_measure


def schema_sql(n: int, seed: int = 42) -> tuple[str, int, int]:
    rnd = random.Random(seed)
    stmts, columns, fks = [], 0, 0
    for i in range(n):
        cols = ["id serial PRIMARY KEY", "name varchar(80) NOT NULL DEFAULT ''",
                "created_at timestamptz NOT NULL DEFAULT now()", "active boolean NOT NULL DEFAULT true",
                f"score integer CONSTRAINT t{i:04d}_score_check CHECK (score >= 0)"]
        for k in range(rnd.randint(2, 5)):
            cols.append(rnd.choice([f"note{k} text", f"amount{k} numeric(10,2) DEFAULT 0",
                                    f"code{k} varchar(20)", f"qty{k} bigint NOT NULL DEFAULT 0"]))
        if i:
            for k in range(rnd.randint(1, min(3, i))):
                target = rnd.randrange(i)
                action = rnd.choice(["", " ON DELETE CASCADE", " ON DELETE SET NULL"])
                cols.append(f"ref{k}_id integer REFERENCES t{target:04d} (id){action}")
                fks += 1
        columns += len(cols)
        stmts.append(f"CREATE TABLE t{i:04d} ({', '.join(cols)});")
        stmts.append(f"CREATE INDEX t{i:04d}_name_idx ON t{i:04d} (name);")
        stmts.append(f"CREATE UNIQUE INDEX t{i:04d}_lower_name ON t{i:04d} (lower(name)) WHERE active;")
    return "\n".join(stmts), columns, fks


def bench(base_dsn: str, n: int, datadir: Path | None = None) -> dict:
    ddl, columns, fks = schema_sql(n)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = make_conninfo(base_dsn, dbname=name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(ddl)
        time.sleep(1)      # the loading backend's CPU time reaches its postmaster when it is reaped
        live0 = server_cpu(datadir) if datadir else 0.0
        cpu0, SCRATCH_CPU[:] = own_cpu(), []
        t0 = time.perf_counter()
        result = generate(dsn, "public", "bench")
        t1 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "models.py"
            path.write_text(result.models_source)
            report = prove(dsn, path, "bench")
        t2 = time.perf_counter()
        cpu = {"ours": own_cpu() - cpu0, "scratch server": sum(SCRATCH_CPU)}
        if datadir:
            cpu["live server"] = server_cpu(datadir) - live0
        assert report.ok, report.render()[:2000]
        return {"tables": n, "columns": columns, "fks": fks, "generate+audit": t1 - t0, "prove": t2 - t1,
                "total": t2 - t0, "exact": len(report.by_status("exact")), "cpu": cpu}
    finally:
        with psycopg.connect(base_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[100, 300, 1000])
    ap.add_argument("--dsn", help="DSN of a maintenance database on a server where we may CREATE DATABASE")
    args = ap.parse_args()
    cluster = datadir = None
    dsn = args.dsn
    if dsn is None:
        from conftest import PostgresCluster, _pg_bindir
        cluster = PostgresCluster(_pg_bindir())
        cluster.start()
        dsn, datadir = cluster.dsn(), cluster.datadir
    try:
        print(f"{'tables':>6} {'columns':>8} {'fks':>5} {'generate+audit':>15} {'prove':>8} {'total':>8}")
        for n in args.sizes:
            r = bench(dsn, n, datadir)
            cpu = ", ".join(f"{k} {v:.1f}" for k, v in r["cpu"].items())
            print(f"{r['tables']:>6} {r['columns']:>8} {r['fks']:>5} {r['generate+audit']:>14.1f}s "
                  f"{r['prove']:>7.1f}s {r['total']:>7.1f}s   cpu s: {cpu}; load {os.getloadavg()[0]:.1f}",
                  flush=True)
    finally:
        if cluster:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
