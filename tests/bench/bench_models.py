"""Benchmark: generate + audit + prove on a synthetic schema of N tables.

    .venv/bin/python tests/bench/bench_models.py --dsn "host=127.0.0.1 port=5432 user=postgres" 100 300 1000

Without --dsn it starts a throwaway PostgreSQL cluster the way tests/conftest.py
does. Each table has 8-12 columns of mixed types, defaults, a CHECK, an index,
and 1-3 foreign keys to earlier tables, so a 300-table schema has a few
thousand columns and several hundred FKs.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from django_takeover.generate import generate  # noqa: E402
from django_takeover.prove import prove  # noqa: E402


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


def bench(base_dsn: str, n: int) -> dict:
    ddl, columns, fks = schema_sql(n)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = make_conninfo(base_dsn, dbname=name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(ddl)
        t0 = time.perf_counter()
        result = generate(dsn, "public", "bench")
        t1 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "models.py"
            path.write_text(result.models_source)
            report = prove(dsn, path, "bench")
        t2 = time.perf_counter()
        assert report.ok, report.render()[:2000]
        return {"tables": n, "columns": columns, "fks": fks, "generate+audit": t1 - t0, "prove": t2 - t1,
                "total": t2 - t0, "exact": len(report.by_status("exact"))}
    finally:
        with psycopg.connect(base_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[100, 300, 1000])
    ap.add_argument("--dsn", help="DSN of a maintenance database on a server where we may CREATE DATABASE")
    args = ap.parse_args()
    cluster = None
    dsn = args.dsn
    if dsn is None:
        from conftest import PostgresCluster, _pg_bindir
        cluster = PostgresCluster(_pg_bindir())
        cluster.start()
        dsn = cluster.dsn()
    try:
        print(f"{'tables':>6} {'columns':>8} {'fks':>5} {'generate+audit':>15} {'prove':>8} {'total':>8}")
        for n in args.sizes:
            r = bench(dsn, n)
            print(f"{r['tables']:>6} {r['columns']:>8} {r['fks']:>5} {r['generate+audit']:>14.1f}s "
                  f"{r['prove']:>7.1f}s {r['total']:>7.1f}s", flush=True)
    finally:
        if cluster:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
