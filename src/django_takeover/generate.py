"""generate: inspectdb plus fix-ups, exact Django models for a legacy PostgreSQL schema, and the audit.

The steps live in their own modules: ``inspectdb`` (run and parse Django's
draft), ``fixups`` (re-derive the definition from the catalog, record audit
findings), ``fkscan`` (relations never declared as foreign keys, from live
data) and ``render`` (models.py and the audit). This module wires them up.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg

from . import catalog, djangorun, fkscan
from .catalog import CatalogError, Schema
from .fixups import Builder, Finding  # noqa: F401  (part of the public API)
from .inspectdb import parse_inspectdb
from .render import audit_json, build_audit, render_fields, render_markdown, render_models  # noqa: F401


@dataclass
class Result:
    models_source: str
    audit: dict
    audit_markdown: str
    fields_source: str | None = None   # fields.py to write beside models.py, when the models import from it



def preflight(conn: psycopg.Connection, schema: Schema, dsn: str):
    tables = [t for t in schema.tables.values() if t.kind in ("r", "p", "v", "m", "f")]
    if not tables:
        raise CatalogError(f"schema {schema.name!r} in {catalog.safe_target(dsn)} has no tables")
    unreadable = [r[0] for r in conn.execute(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND c.relkind IN ('r','p','v','m','f')
             AND NOT (has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT'))
           ORDER BY 1""", [schema.name])]
    if unreadable:
        user = conn.execute("SELECT current_user").fetchone()[0]
        more = f" and {len(unreadable) - 3} more" if len(unreadable) > 3 else ""
        raise CatalogError(
            f"role {user!r} cannot read {', '.join(unreadable[:3])}{more} in schema {schema.name!r}: generate needs "
            f"USAGE on the schema and SELECT on its tables (GRANT SELECT ON ALL TABLES IN SCHEMA {schema.name} "
            f"TO {user})")


# Below this many tables inspectdb runs once over the whole schema; above, in parallel chunks.
CHUNK_MIN = 150


def run_inspectdb(dsn: str, schema: str, names: list[str]) -> tuple[list, list[str]]:
    """inspectdb's draft, parsed. On large schemas in parallel processes, one per CPU (at most 4).

    inspectdb spends its time in per-table introspection queries and Python,
    one table after another; each table's model depends on nothing but its
    own catalog rows, so contiguous slices of the sorted table list give the
    same models in the same order.
    """
    workers = min(4, os.cpu_count() or 1, len(names) // CHUNK_MIN)
    if workers < 2:
        return parse_inspectdb(djangorun.run(dsn, {"action": "inspectdb"}, schema=schema))
    size = -(-len(names) // workers)
    chunks = [names[i:i + size] for i in range(0, len(names), size)]
    def one(chunk):   # parsing a chunk overlaps the other chunks' processes
        return parse_inspectdb(djangorun.run(dsn, {"action": "inspectdb", "tables": chunk}, schema=schema))

    models, unable = [], []
    with ThreadPoolExecutor(len(chunks)) as pool:
        for m, u in pool.map(one, chunks):
            models += m
            unable += u
    # inspectdb quotes a target model not yet written in its run ('T0072'), and writes earlier ones bare;
    # a chunk does not know the earlier chunks' models, so restore what one run would have written.
    seen: set[str] = set()
    for m in models:
        for f in m.fields:
            if f.is_rel and f.args:
                ref = f.args[0].strip("'\"")
                if ref != "self":
                    f.args[0] = ref if ref in seen else repr(ref)
        seen.add(m.name)
    return models, unable


def generate(dsn: str, schema: str = "public", app_label: str = "legacy", fields_py: bool = False,
             idiomatic_names: bool = False) -> Result:
    """Models, audit and, with ``fields_py``, the fields.py they import (custom field classes, lookups).

    ``fields_py`` is off by default for callers that only copy models.py; the
    CLI turns it on and writes fields.py beside models.py. ``idiomatic_names``
    (opt-in: existing code refers to inspectdb's names) writes singular class
    names and role-based related_names (``fixups.singular_class_names``,
    ``fixups.Builder.related_names``); tables and columns stay mapped exactly.
    """
    if not app_label.isidentifier():
        raise CatalogError(f"app label {app_label!r} is not a Python identifier")
    with catalog.connect(dsn, autocommit=True) as conn, ThreadPoolExecutor(1) as pool:
        try:
            # The tables inspectdb lists by default (Django's get_table_list: no partitions), sorted as it
            # sorts them. inspectdb runs while the catalog snapshot is read and checked.
            names = sorted(r[0] for r in conn.execute(
                """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = %s AND c.relkind IN ('r','p','v','m','f') AND NOT c.relispartition""",
                [schema]))
            draft = pool.submit(run_inspectdb, dsn, schema, names) if names else None
            snap = catalog.read_schema(conn, schema)
            preflight(conn, snap, dsn)
        except psycopg.Error as exc:
            raise CatalogError(f"cannot read the catalogs: {catalog.first_line(exc)}") from None
        models, unable = draft.result() if draft else run_inspectdb(dsn, schema, names)
        b = Builder(snap, models, unable, app_label, fields_py, idiomatic_names)
        b.run()
        conn.execute("SET statement_timeout = '60s'")
        try:
            fkscan.undeclared_fks(b, conn)
        except psycopg.Error as exc:
            raise CatalogError(f"undeclared foreign key check failed: {catalog.first_line(exc)}") from None
    audit = build_audit(b)
    return Result(render_models(b), audit, render_markdown(audit), render_fields(b))

