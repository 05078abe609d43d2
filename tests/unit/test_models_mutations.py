"""Mutation tests: change one property of the live database after generate; prove must name that difference.

Over the acceptance schemas, each retirable table gets one mutation (cycling
through the kinds below, the first that applies to the table), then one prove
run per schema checks that every mutated table is reported with the expected
difference, by name. caught/total is printed for docs/model-tools.md.
"""

import re
import subprocess

import psycopg
from psycopg import sql

from django_takeover import catalog
from django_takeover.generate import generate
from django_takeover.prove import prove



def q(name):
    return sql.Identifier(name).as_string(None)


def mutations(t):
    """(kind, DDL, expected substring of the difference) candidates for one table, in kind order."""
    cols = [c for c in t.columns if not c.generated]
    pk = set(t.primary_key.columns) if t.primary_key else set()
    out = []
    for c in cols:
        if c.default and re.fullmatch(r"'?-?\d+'?(::\w+)?", c.default) and c.type in ("integer", "smallint", "bigint"):
            out.append(("default", f"ALTER TABLE {q(t.name)} ALTER COLUMN {q(c.name)} SET DEFAULT 4242",
                        f"column {c.name}: default 4242 in database"))
            break
    out.append(("table comment", f"COMMENT ON TABLE {q(t.name)} IS 'mutated'", "table comment: mutated in database"))
    for c in cols:
        m = re.fullmatch(r"character varying\((\d+)\)", c.type)
        if m:
            out.append(("length", f"ALTER TABLE {q(t.name)} ALTER COLUMN {q(c.name)} TYPE varchar({int(m[1]) + 1})",
                        f"column {c.name}: type character varying({int(m[1]) + 1}) in database"))
            break
    for c in cols:
        if not c.notnull and c.name not in pk:
            out.append(("nullability", f"ALTER TABLE {q(t.name)} ALTER COLUMN {q(c.name)} SET NOT NULL",
                        f"column {c.name}: not null yes in database"))
            break
    for ix in t.indexes:
        if not ix.constraint and not ix.primary:
            out.append(("index", f"DROP INDEX {q(ix.name)}", "index only in models"))
            break
    for con in t.constraints:
        if con.type == "u":
            out.append(("uniqueness", f"ALTER TABLE {q(t.name)} DROP CONSTRAINT {q(con.name)}",
                        "unique constraint only in models"))
            break
    for con in t.fks():
        if len(con.columns) == 1 and con.on_delete in ("a", "r"):
            out.append(("fk action", f"ALTER TABLE {q(t.name)} DROP CONSTRAINT {q(con.name)}, ADD CONSTRAINT "
                                     f"{q(con.name)} FOREIGN KEY ({q(con.columns[0])}) REFERENCES "
                                     f"{q(con.ref_table)} ({q(con.ref_columns[0])}) ON DELETE CASCADE",
                        "ON DELETE CASCADE"))
            break
    for c in cols:
        m = re.fullmatch(r"numeric\((\d+),(\d+)\)", c.type)
        if m:
            out.append(("precision", f"ALTER TABLE {q(t.name)} ALTER COLUMN {q(c.name)} TYPE "
                                     f"numeric({int(m[1]) + 1},{m[2]})", f"column {c.name}: type numeric("))
            break
    for c in cols:
        out.append(("column comment", f"COMMENT ON COLUMN {q(t.name)}.{q(c.name)} IS 'mutated'",
                    f"column {c.name}: comment mutated in database"))
        break
    return out


def generate_models(dsn: str, directory) -> tuple:
    """generate into `directory` (models.py, fields.py when needed); the live catalog and the retirable tables."""
    r = generate(dsn, "public", "legacy", fields_py=True)
    (directory / "models.py").write_text(r.models_source)
    if r.fields_source:
        (directory / "fields.py").write_text(r.fields_source)
    retirable = sorted(t for t, info in r.audit["tables"].items() if info["status"] == "retirable")
    return catalog.load(dsn), retirable


def test_every_mutation_is_reported_by_name(pg_cluster, acceptance_sql, tmp_path, capsys):
    sql_file = acceptance_sql
    dsn = pg_cluster.create_database()
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(sql_file)],
                   check=True, capture_output=True)
    live, retirable = generate_models(dsn, tmp_path)
    applied, kinds = {}, []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for i, name in enumerate(retirable):
            cands = mutations(live.tables[name])
            cands = cands[i % len(cands):] + cands[:i % len(cands)]
            for kind, ddl, expected in cands:
                try:
                    conn.execute(ddl)
                except psycopg.Error:
                    continue
                applied[name] = (kind, ddl, expected)
                kinds.append(kind)
                break
    report = prove(dsn, tmp_path / "models.py", "legacy")
    missed = []
    for name, (kind, ddl, expected) in applied.items():
        res = report.results[name]
        if not (res.status == "differs" and any(expected in d for d in res.differences)):
            missed.append((name, kind, ddl, res.differences))
    with capsys.disabled():
        print(f"\n[mutations] {sql_file.stem}: caught {len(applied) - len(missed)}/{len(applied)} "
              f"({', '.join(f'{k} {kinds.count(k)}' for k in sorted(set(kinds)))})")
    assert not missed, missed
    assert len(applied) >= 10


NUMERIC = ("integer", "smallint", "bigint", "real", "double precision")


def seed_checks(conn, live) -> int:
    """The acceptance schemas have no CHECKs: give each keyed table with a number column one, before generate."""
    seeded = 0
    for name, t in sorted(live.tables.items()):
        pk = set(t.primary_key.columns) if t.primary_key else set()
        col = next((c for c in t.columns if not c.generated and c.name not in pk
                    and (c.type in NUMERIC or c.type.startswith("numeric"))), None)
        if t.kind == "r" and pk and col is not None:
            conn.execute(f"ALTER TABLE {q(name)} ADD CONSTRAINT {q(name[:40] + '_seeded_check')} "
                         f"CHECK ({q(col.name)} >= 0)")
            seeded += 1
    return seeded


def condition_mutations(conn, t):
    """(kind, DDL, expected substrings) changing a check's constant or an index's condition."""
    out = []
    for con in t.constraints:
        m = re.fullmatch(r"CHECK \(\((.+) >= (-?\d+)\)\)", con.definition)
        if con.type == "c" and m:
            out.append(("check constant", f"ALTER TABLE {q(t.name)} DROP CONSTRAINT {q(con.name)}, ADD CONSTRAINT "
                                          f"{q(con.name)} CHECK ({m[1]} >= {int(m[2]) + 1})",
                        [f"check constraint only in database: CHECK (({m[1]} >= {int(m[2]) + 1}))",
                         f"check constraint only in models: CHECK (({m[1]} >= {m[2]}))"]))
            break
    for ix in t.indexes:
        if ix.constraint or ix.primary or not ix.key_columns or ix.key_columns[0] is None:
            continue
        full = conn.execute("SELECT pg_get_indexdef(%s::regclass)", [q(ix.name)]).fetchone()[0]
        cond = f"{q(ix.key_columns[0])} IS NOT NULL"
        new = (full.replace(f" WHERE {ix.predicate}", f" WHERE ({ix.predicate}) AND {cond}") if ix.predicate
               else f"{full} WHERE {cond}")
        out.append(("index condition", f"DROP INDEX {q(ix.name)}; {new}",
                    ["index only in database: ", " WHERE ", "index only in models: "]))
        break
    return out


def test_check_constants_and_index_conditions_are_reported(pg_cluster, acceptance_sql, tmp_path, capsys):
    """The two kinds the acceptance schemas lack as written: a CHECK's constant (CHECKs seeded before
    generate) and an index's condition (a plain index made partial, a partial one's condition changed)."""
    dsn = pg_cluster.create_database(sql_file=acceptance_sql)
    with psycopg.connect(dsn, autocommit=True) as conn:
        seeded = seed_checks(conn, catalog.load(dsn))
    live, retirable = generate_models(dsn, tmp_path)
    applied, kinds = {}, []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for i, name in enumerate(retirable):
            cands = condition_mutations(conn, live.tables[name])
            for kind, ddl, expected in cands[i % 2:] + cands[:i % 2]:
                conn.execute(ddl)
                applied[name] = (kind, ddl, expected)
                kinds.append(kind)
                break
    report = prove(dsn, tmp_path / "models.py", "legacy")
    missed = []
    for name, (kind, ddl, expected) in applied.items():
        res = report.results[name]
        if not (res.status == "differs" and all(any(e in d for d in res.differences) for e in expected)):
            missed.append((name, kind, ddl, res.differences))
    with capsys.disabled():
        print(f"\n[mutations] {acceptance_sql.stem}: check constant / index condition: caught "
              f"{len(applied) - len(missed)}/{len(applied)} ({', '.join(f'{k} {kinds.count(k)}' for k in sorted(set(kinds)))}; "
              f"{seeded} CHECKs seeded)")
    assert not missed, missed
    assert kinds.count("check constant") >= 3 and "index condition" in kinds
