"""The CLI end to end on the sample schema: generate, prove, prove after the live schema moves, bad input."""

from pathlib import Path

import psycopg
import pytest

from django_takeover import prove as prove_mod
from django_takeover import scratch as scratch_mod
from django_takeover.cli import main

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "lab/legacy/schema.sql"
LAB_MODELS = REPO / "lab/django/helpdesk/models.py"


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def legacy_models(pg_cluster, tmp_path_factory):
    """models.py generated once from a pristine sample schema."""
    dsn = pg_cluster.create_database(sql_file=SCHEMA)
    out = tmp_path_factory.mktemp("gen")
    assert main(["generate", "--dsn", dsn, "--app-label", "helpdesk", "--out-models", str(out / "models.py"),
                 "--out-audit-md", str(out / "audit.md"), "--out-audit-json", str(out / "audit.json")]) == 0
    return out


def test_generate_then_prove_passes_on_the_sample_schema(legacy_dsn, legacy_models, capsys):
    rc, out, err = run(capsys, "prove", "--dsn", legacy_dsn, "--models", str(legacy_models / "models.py"),
                       "--app-label", "helpdesk")
    assert rc == 0, out + err
    assert out.startswith("models and database agree: 6 tables")
    assert "not compared (keep-unmanaged): 1 tables: audit_log" in out


def test_generate_is_byte_identical_on_rerun(legacy_dsn, legacy_models, tmp_path, capsys):
    for name in ("a", "b"):
        rc, _, _ = run(capsys, "generate", "--dsn", legacy_dsn, "--app-label", "helpdesk",
                       "--out-models", str(tmp_path / name / "models.py"),
                       "--out-audit-md", str(tmp_path / name / "audit.md"),
                       "--out-audit-json", str(tmp_path / name / "audit.json"))
        assert rc == 0
    for f in ("models.py", "audit.md", "audit.json"):
        first = (tmp_path / "a" / f).read_bytes()
        assert first == (tmp_path / "b" / f).read_bytes()
        # Another database with the same schema gives the same bytes too.
        assert first == (legacy_models / f).read_bytes()


def test_lab_models_are_the_tools_output(legacy_dsn, tmp_path, capsys):
    rc, _, _ = run(capsys, "generate", "--dsn", legacy_dsn, "--app-label", "helpdesk",
                   "--out-models", str(tmp_path / "models.py"))
    assert rc == 0
    assert (tmp_path / "models.py").read_bytes() == LAB_MODELS.read_bytes(), \
        "lab/django/helpdesk/models.py is stale: regenerate it with takeover-models generate"
    for name in ("class Users(", "class TicketStatuses(", "class Tickets(", "class Comments(", "class Tags(",
                 "class TicketTags(", "class AuditLog(", "    reporter = ", "    assignee = ", "    status = ",
                 "    ticket = ", "    tag = "):
        assert name in LAB_MODELS.read_text()


def test_password_never_reaches_the_output(pg_cluster, tmp_path, capsys):
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS secretive")
        conn.execute("CREATE ROLE secretive LOGIN SUPERUSER PASSWORD 'Sup3r-S3cret'")
    dsn = pg_cluster.create_database(sql_file=SCHEMA) + " user=secretive password=Sup3r-S3cret"
    rc, out, err = run(capsys, "generate", "--dsn", dsn, "--app-label", "helpdesk",
                       "--out-models", str(tmp_path / "m.py"), "--out-audit-md", str(tmp_path / "a.md"),
                       "--out-audit-json", str(tmp_path / "a.json"))
    assert rc == 0
    text = out + err + "".join(p.read_text() for p in tmp_path.iterdir())
    assert "Sup3r-S3cret" not in text
    rc, out, err = run(capsys, "generate", "--dsn", dsn.replace("dbname=", "port=1 dbname="), "--app-label", "x",
                       "--out-models", str(tmp_path / "n.py"))
    assert rc == 2 and "Sup3r-S3cret" not in out + err


@pytest.mark.parametrize("table, change, expected", [
    ("tickets", "ALTER TABLE tickets ALTER COLUMN subject TYPE text",
     "column subject: type text in database, character varying(200) in models"),
    ("users", "ALTER TABLE users ALTER COLUMN full_name DROP DEFAULT",
     "column full_name: default none in database, ''::character varying in models"),
    ("tickets", "CREATE INDEX tickets_subject_idx ON tickets (subject)",
     "index only in database: CREATE INDEX ON tickets USING btree (subject)"),
    ("tickets", "ALTER TABLE tickets DROP CONSTRAINT tickets_assignee_id_fkey, ADD CONSTRAINT tickets_assignee_id_fkey "
     "FOREIGN KEY (assignee_id) REFERENCES users (id) ON DELETE CASCADE",
     "foreign key only in database: FOREIGN KEY (assignee_id) REFERENCES users(id) ON DELETE CASCADE"),
])
def test_prove_fails_with_a_precise_diff_when_live_changes(legacy_dsn, legacy_models, capsys, table, change, expected):
    with psycopg.connect(legacy_dsn, autocommit=True) as conn:
        conn.execute(change)
    rc, out, err = run(capsys, "prove", "--dsn", legacy_dsn, "--models", str(legacy_models / "models.py"),
                       "--app-label", "helpdesk")
    assert rc == 1, out + err
    assert out.startswith("models and database differ: 1 of 6 tables")
    assert f"  {expected}\n" in out
    assert f"\n{table}:\n  {expected}" in out


def test_prove_always_drops_its_scratch_database(pg_cluster, legacy_dsn, tmp_path, capsys):
    bad = tmp_path / "models.py"
    bad.write_text("from django.db import models\n\nclass Broken(models.Model):\n"
                   "    x = models.CharField()\n    y = models.ForeignKey('Nope', models.CASCADE)\n\n"
                   "    class Meta:\n        managed = False\n        db_table = 'users'\n")
    for scratch in ("server", "tempcluster"):
        before = {p for b in scratch_mod.base_dirs() for p in b.glob("takeover-prove-*")}
        rc, out, err = run(capsys, "prove", "--dsn", legacy_dsn, "--models", str(bad), "--app-label", "helpdesk",
                           "--scratch", scratch)
        assert rc == 2 and err.count("\n") == 1 and "error:" in err
        with psycopg.connect(pg_cluster.dsn(), autocommit=True) as conn:
            left = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'takeover_prove_%'").fetchall()
        assert left == []
        assert {p for b in scratch_mod.base_dirs() for p in b.glob("takeover-prove-*")} <= before


def test_compare_api_reports_per_table(legacy_dsn, pg_cluster):
    other = pg_cluster.create_database(sql_file=SCHEMA)
    with psycopg.connect(other, autocommit=True) as conn:
        conn.execute("ALTER TABLE tags ALTER COLUMN name TYPE varchar(80)")
    res = prove_mod.compare(legacy_dsn, other, ["tags", "users"])
    assert res["users"].status == "exact"
    assert res["tags"].status == "differs"
    assert res["tags"].differences == [
        "column name: type character varying(50) in database, character varying(80) in models"]


# ---------------------------------------------------------------- bad input: one line on stderr, exit 2

def _one_line_error(capsys, *argv):
    rc, out, err = run(capsys, *argv)
    assert rc == 2, out + err
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("command", ["generate", "prove"])
def test_unreachable_database(command, tmp_path, capsys):
    models = tmp_path / "m.py"
    models.write_text("from django.db import models\n\nclass T(models.Model):\n    class Meta:\n"
                      "        managed = False\n        db_table = 't'\n")
    extra = ["--out-models", str(models)] if command == "generate" else ["--models", str(models)]
    err = _one_line_error(capsys, command, "--dsn", "host=127.0.0.1 port=1 dbname=x user=x connect_timeout=3",
                          "--app-label", "a", *extra)
    assert "cannot connect to database x at 127.0.0.1:1" in err


def test_database_without_tables(pg_cluster, tmp_path, capsys):
    dsn = pg_cluster.create_database()
    err = _one_line_error(capsys, "generate", "--dsn", dsn, "--app-label", "a", "--out-models", str(tmp_path / "m"))
    assert "schema 'public'" in err and "has no tables" in err


def test_schema_that_does_not_exist(legacy_dsn, tmp_path, capsys):
    err = _one_line_error(capsys, "generate", "--dsn", legacy_dsn, "--schema", "nope", "--app-label", "a",
                          "--out-models", str(tmp_path / "m"))
    assert "schema 'nope' does not exist" in err


def test_role_without_rights(pg_cluster, legacy_dsn, legacy_models, tmp_path, capsys):
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS nobody_here")
        conn.execute("CREATE ROLE nobody_here LOGIN")
    dsn = legacy_dsn.replace("user=postgres", "user=nobody_here")
    err = _one_line_error(capsys, "generate", "--dsn", dsn, "--app-label", "a", "--out-models", str(tmp_path / "m"))
    assert "role 'nobody_here' cannot read audit_log, comments, tags and 4 more" in err
    err = _one_line_error(capsys, "prove", "--dsn", dsn, "--models", str(legacy_models / "models.py"),
                          "--app-label", "helpdesk", "--scratch", "server")
    assert "may not create databases" in err
    # The default scratch place needs no rights on the live server beyond reading its catalogs.
    rc, out, err = run(capsys, "prove", "--dsn", dsn, "--models", str(legacy_models / "models.py"),
                       "--app-label", "helpdesk")
    assert rc == 0, out + err


def test_role_that_cannot_log_in(pg_cluster, legacy_dsn, tmp_path, capsys):
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS no_login")
        conn.execute("CREATE ROLE no_login NOLOGIN")
    dsn = legacy_dsn.replace("user=postgres", "user=no_login")
    err = _one_line_error(capsys, "generate", "--dsn", dsn, "--app-label", "a", "--out-models", str(tmp_path / "m"))
    assert "not permitted to log in" in err


def test_prove_via_real_migrations_agrees_too(legacy_dsn, legacy_models, capsys):
    rc, out, err = run(capsys, "prove", "--dsn", legacy_dsn, "--models", str(legacy_models / "models.py"),
                       "--app-label", "helpdesk", "--via-migrations")
    assert rc == 0, out + err
    assert out.startswith("models and database agree: 6 tables")


# ---------------------------------------------------------------- outputs checked before the work starts

@pytest.mark.parametrize("where", ["directory", "under-a-file"])
def test_generate_output_that_cannot_be_written(legacy_dsn, tmp_path, capsys, where):
    (tmp_path / "file").write_text("x")
    out = {"directory": tmp_path, "under-a-file": tmp_path / "file" / "models.py"}[where]
    err = _one_line_error(capsys, "generate", "--dsn", legacy_dsn, "--app-label", "helpdesk",
                          "--out-models", str(out))
    assert "--out-models" in err and ("is a directory" in err or "is a file" in err)


def test_prove_json_that_cannot_be_written(legacy_dsn, legacy_models, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    err = _one_line_error(capsys, "prove", "--dsn", legacy_dsn, "--models", str(legacy_models / "models.py"),
                          "--app-label", "helpdesk", "--json", str(tmp_path / "file" / "prove.json"))
    assert "--json" in err and "is a file" in err


def test_generate_rejects_an_app_label_that_is_not_an_identifier(legacy_dsn, tmp_path, capsys):
    err = _one_line_error(capsys, "generate", "--dsn", legacy_dsn, "--app-label", "help-desk",
                          "--out-models", str(tmp_path / "m.py"))
    assert "not a Python identifier" in err


def test_connection_errors_keep_their_cause(tmp_path, capsys):
    err = _one_line_error(capsys, "generate", "--dsn", "host=127.0.0.1 port=1 dbname=x user=x connect_timeout=3",
                          "--app-label", "a", "--out-models", str(tmp_path / "m.py"))
    assert "Connection refused" in err
