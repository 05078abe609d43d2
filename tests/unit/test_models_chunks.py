"""generate's parallel inspectdb (large schemas) writes exactly what one inspectdb run writes."""

from django_takeover import generate as gen_mod

SQL = """
    CREATE TABLE a (id serial PRIMARY KEY, z_id integer);
    CREATE TABLE b (id serial PRIMARY KEY, a_id integer REFERENCES a (id), self_id integer REFERENCES b (id));
    CREATE TABLE c (id serial PRIMARY KEY, b_id integer REFERENCES b (id) ON DELETE CASCADE);
    CREATE TABLE d (id serial PRIMARY KEY, a_id integer REFERENCES a (id), c_id integer REFERENCES c (id));
    CREATE TABLE z (id serial PRIMARY KEY, d_id integer REFERENCES d (id));
    ALTER TABLE a ADD FOREIGN KEY (z_id) REFERENCES z (id);
    CREATE VIEW v AS SELECT id FROM a;
    CREATE TABLE nokey (code varchar(5) NOT NULL UNIQUE);
"""


def test_chunked_inspectdb_is_byte_identical(pg_cluster, monkeypatch):
    dsn = pg_cluster.create_database(sql=SQL)
    one = gen_mod.generate(dsn, "public", "app")
    monkeypatch.setattr(gen_mod, "CHUNK_MIN", 2)
    monkeypatch.setattr(gen_mod.os, "cpu_count", lambda: 4)
    calls = []
    real = gen_mod.djangorun.run
    monkeypatch.setattr(gen_mod.djangorun, "run", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    chunked = gen_mod.generate(dsn, "public", "app")
    assert len(calls) == 3 and all(c.get("tables") for c in calls)
    assert chunked.models_source == one.models_source
    assert chunked.audit == one.audit


EDGE_SQL = SQL + """
    CREATE SCHEMA other;
    CREATE TABLE other.o (id serial PRIMARY KEY);
    CREATE TABLE e (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, o_id integer REFERENCES other.o (id),
                    name varchar(30) COLLATE "C" NOT NULL DEFAULT '', n numeric(8,2), t text[],
                    UNIQUE (name, n), CHECK (n > 0));
    COMMENT ON COLUMN e.name IS 'shown';
    CREATE INDEX e_lower ON e (lower(name) DESC) WHERE n IS NOT NULL;
    CREATE INDEX e_hash ON e USING hash (name);
    CREATE MATERIALIZED VIEW mv AS SELECT id FROM a;
    CREATE TABLE part (id integer NOT NULL, PRIMARY KEY (id)) PARTITION BY RANGE (id);
    CREATE TABLE part_1 PARTITION OF part FOR VALUES FROM (0) TO (10);
    CREATE TABLE "Mixed Case" ("Some Col" integer PRIMARY KEY);
"""


def test_schema_wide_introspection_answers_as_django_per_table(pg_cluster):
    """inspectdb with the schema-wide introspection (djangorun.INTROSPECT) writes what Django's own per-table
    queries write, on keys, FKs (also into another schema), collations, comments, expression, partial and
    hash indexes, views, materialized views and partitions."""
    dsn = pg_cluster.create_database(sql=EDGE_SQL)
    fast = gen_mod.djangorun.run(dsn, {"action": "inspectdb"}, schema="public")
    slow = gen_mod.djangorun.run(dsn, {"action": "inspectdb", "per_table_queries": True}, schema="public")
    assert "class E(models.Model)" in fast and "class MixedCase(models.Model)" in fast
    assert fast == slow
