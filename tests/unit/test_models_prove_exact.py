"""prove compares what the database stores, not how it is spelled, and misses nothing it claims to compare."""

import psycopg
import pytest

from django_takeover import prove as prove_mod
from django_takeover.cli import main
from django_takeover.generate import generate

SPELLINGS = """
    CREATE TABLE spell (
        id serial PRIMARY KEY,
        s smallint NOT NULL DEFAULT '0'::smallint,
        n numeric(8,2) NOT NULL DEFAULT '0'::numeric,
        d double precision NOT NULL DEFAULT 0,
        r numeric(6,3) DEFAULT '-1.5',
        v varchar(20) NOT NULL DEFAULT ''::text,
        t text NOT NULL DEFAULT ''::character varying,
        b boolean DEFAULT 'f',
        big bigint DEFAULT (-7));
    COMMENT ON TABLE spell IS 'How PHP apps spell their defaults';
    COMMENT ON COLUMN spell.s IS 'a smallint';
"""


def prove_cli(capsys, dsn, models, *extra):
    rc = main(["prove", "--dsn", dsn, "--models", str(models), "--app-label", "app", *extra])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def spelled(pg_cluster, tmp_path):
    dsn = pg_cluster.create_database(sql=SPELLINGS)
    models = tmp_path / "models.py"
    models.write_text(generate(dsn, "public", "app").models_source)
    return dsn, models


def test_constant_defaults_compare_by_value_not_spelling(spelled, capsys):
    dsn, models = spelled
    rc, out, err = prove_cli(capsys, dsn, models)
    assert rc == 0, out + err
    assert out.startswith("models and database agree: 1 tables")


@pytest.mark.parametrize("change, expected", [
    ("ALTER TABLE spell ALTER COLUMN s SET DEFAULT 1", "column s: default 1 in database, 0 in models"),
    ("ALTER TABLE spell ALTER COLUMN n SET DEFAULT 0.01", "column n: default 0.01 in database, 0 in models"),
    ("ALTER TABLE spell ALTER COLUMN d SET DEFAULT 0.1", "column d: default 0.1 in database, 0.0 in models"),
    ("ALTER TABLE spell ALTER COLUMN v SET DEFAULT ' '",
     "column v: default ' '::character varying in database, ''::character varying in models"),
    ("ALTER TABLE spell ALTER COLUMN b SET DEFAULT true", "column b: default true in database, false in models"),
    ("COMMENT ON TABLE spell IS 'changed'",
     "table comment: changed in database, How PHP apps spell their defaults in models"),
    ("COMMENT ON TABLE spell IS NULL", "table comment: none in database, How PHP apps spell their defaults in models"),
    ("COMMENT ON COLUMN spell.s IS 'edited'", "column s: comment edited in database, a smallint in models"),
    ("COMMENT ON COLUMN spell.t IS 'new'", "column t: comment new in database, none in models"),
])
def test_real_default_and_comment_changes_are_reported(spelled, capsys, change, expected):
    dsn, models = spelled
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(change)
    rc, out, err = prove_cli(capsys, dsn, models)
    assert rc == 1, out + err
    assert f"spell:\n  {expected}\n" in out, out


def test_report_says_what_is_and_is_not_compared(spelled, capsys):
    dsn, models = spelled
    rc, out, _ = prove_cli(capsys, dsn, models)
    assert "\ncompared: columns (type, NOT NULL, default value, auto-increment, generated, comment)" in out
    for item in ("constraint and index names", "column order", "sequence names", "ownership", "grants"):
        assert item in out.split("\nnot compared: ")[1]


def test_a_models_file_without_models_is_an_error(spelled, tmp_path, capsys):
    dsn, _ = spelled
    empty = tmp_path / "empty.py"
    empty.write_text("from django.db import models\n")
    rc, out, err = prove_cli(capsys, dsn, empty)
    assert rc == 2 and "defines no models" in err and err.count("\n") == 1


def test_compare_api_normalises_through_the_server(pg_cluster):
    a = pg_cluster.create_database(sql="CREATE TABLE t (id int PRIMARY KEY, x smallint DEFAULT '0'::smallint)")
    b = pg_cluster.create_database(sql="CREATE TABLE t (id int PRIMARY KEY, x smallint DEFAULT 0)")
    assert prove_mod.compare(a, b, ["t"])["t"].status == "exact"
