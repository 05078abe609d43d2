"""Relations the PHP app uses but never declared: suggest foreign keys from names and live data.

This is the only part of generate that reads table data (never writes). Each
query runs under the caller's statement_timeout. Suggestions are audit
findings only: a foreign key is never invented in the models.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from .fixups import INT_FOR_TYPE, Builder


def undeclared_fks(b: Builder, conn: psycopg.Connection) -> None:
    """Add an info finding for each ``*_id`` integer column that looks like an undeclared reference."""
    key_tables = {}
    for t in b.schema.tables.values():
        pk = t.primary_key
        if t.kind in ("r", "p") and pk and len(pk.columns) == 1:
            col = t.column(pk.columns[0])
            if col and col.type in INT_FOR_TYPE:
                key_tables[t.name] = col.name
    for t in b.schema.tables.values():
        if t.kind not in ("r", "p") or t.name not in b.by_table:
            continue
        declared = {c for con in t.fks() for c in con.columns}
        pk_cols = set(t.primary_key.columns) if t.primary_key else set()
        for col in t.columns:
            if (not col.name.endswith("_id") or col.type not in INT_FOR_TYPE
                    or col.name in declared or col.name in pk_cols):
                continue
            base = col.name[:-3]
            names = {base, base + "s", base + "es", base[:-1] + "ies" if base.endswith("y") else base}
            by_name = sorted(n for n in key_tables if n in names or any(n.endswith("_" + x) for x in names))
            has_data = _query(b, conn, "SELECT EXISTS (SELECT 1 FROM {t} WHERE {c} IS NOT NULL)",
                                   t.name, col.name)
            if not has_data:
                if by_name:
                    tgt = by_name[0]
                    _suggest(b, t.name, col.name, tgt, key_tables[tgt], "by name only: no data to check")
                else:
                    b.add(t.name, col.name, "info", "undeclared-fk",
                             f"{col.name} looks like a reference, but no table matches by name and it has no data",
                             "check the PHP code; if it is a reference, declare the foreign key")
                continue
            candidates = by_name + sorted(n for n in key_tables if n not in by_name)
            matched = []
            for tgt in candidates[:50]:
                if _query(b, conn, "SELECT NOT EXISTS (SELECT 1 FROM {t} s WHERE s.{c} IS NOT NULL AND NOT "
                               "EXISTS (SELECT 1 FROM {r} x WHERE x.{k} = s.{c}))", t.name, col.name,
                               tgt, key_tables[tgt]):
                    matched.append(tgt)
                    if tgt in by_name or len(matched) >= 3:
                        break
            if matched:
                _suggest(b, t.name, col.name, matched[0], key_tables[matched[0]],
                              "every non-null value matches" + (
                                  f" (also matches {', '.join(matched[1:])})" if len(matched) > 1 else ""))

def _suggest(b: Builder, table, column, target, key, evidence):
    b.add(table, column, "info", "undeclared-fk",
             f"{column} is never declared as a foreign key; it looks like a reference to {target}.{key} "
             f"({evidence}). The model keeps it an IntegerField",
             f"declare it in the database (ALTER TABLE {table} ADD FOREIGN KEY ({column}) REFERENCES "
             f"{target} ({key}) NOT VALID, then VALIDATE CONSTRAINT) and regenerate")

def _query(b: Builder, conn, template, t, c, r=None, k=None):
    from psycopg import sql
    q = sql.SQL(template).format(t=sql.Identifier(b.schema.name, t), c=sql.Identifier(c),
                                 r=sql.Identifier(b.schema.name, r or t), k=sql.Identifier(k or c))
    return conn.execute(q).fetchone()[0]

