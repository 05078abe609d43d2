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
