"""`prove --migrations`: apply the app's own migrations in a scratch place and compare with the live schema."""

import json
import shutil

import psycopg
import pytest

from django_takeover.cli import main
from test_retire_history import LABEL, MANAGED_TABLES, make_app, manage


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def flipped_app(tmp_path_factory):
    """The lab app after retirement's flip and its one makemigrations."""
    app = make_app(tmp_path_factory.mktemp("prove"))
    assert main(["flip", "--app-dir", str(app)]) == 0
    manage(app, None, "makemigrations", LABEL, "--no-header")
    return app


def prove(capsys, dsn, app, *extra):
    return run(capsys, "prove", "--dsn", dsn, "--app-label", LABEL, "--app-dir", str(app), "--migrations", *extra)


def test_migrations_of_the_lab_app_are_exact(legacy_dsn, flipped_app, tmp_path, capsys):
    rc, out, err = prove(capsys, legacy_dsn, flipped_app, "--json", str(tmp_path / "p.json"))
    assert rc == 0, out + err
    assert out.startswith("models and database agree: 6 tables")
    assert "not compared (keep-unmanaged): 1 tables: audit_log" in out
    report = json.loads((tmp_path / "p.json").read_text())
    assert report["ok"] is True
    assert sorted(t for t, r in report["tables"].items() if r["status"] == "exact") == MANAGED_TABLES
    # The scratch run wrote nothing into the app.
    assert sorted(p.name for p in (flipped_app / "migrations").glob("0*.py")) == ["0001_initial.py"]


def test_a_changed_default_on_the_live_database_is_named(legacy_dsn, flipped_app, capsys):
    with psycopg.connect(legacy_dsn, autocommit=True) as conn:
        conn.execute("ALTER TABLE ticket_statuses ALTER COLUMN sort_order SET DEFAULT 5")
        conn.execute("ALTER TABLE tags ADD COLUMN colour text")
    rc, out, err = prove(capsys, legacy_dsn, flipped_app)
    assert rc == 1, out + err
    assert out.startswith("models and database differ: 2 of 6 tables")
    assert "ticket_statuses:\n  column sort_order: default 5 in database, 0 in models" in out
    assert "tags:\n  column colour: only in database (text)" in out


def test_migrations_that_lag_behind_the_models_are_refused(legacy_dsn, flipped_app, tmp_path, capsys):
    app = tmp_path / LABEL
    shutil.copytree(flipped_app, app)
    models = app / "models.py"
    models.write_text(models.read_text().replace("    name = models.CharField(max_length=50)\n",
                                                 "    name = models.CharField(max_length=60)\n", 1))
    rc, out, err = prove(capsys, legacy_dsn, app)
    assert rc == 2 and out == ""
    assert err.startswith("takeover-models prove: error: the models have changes that ")
    assert "makemigrations would write 0002_alter_tags_name.py" in err


def test_bad_input_is_one_line(legacy_dsn, tmp_path, capsys):
    app = make_app(tmp_path)
    shutil.rmtree(app / "migrations")
    rc, out, err = prove(capsys, legacy_dsn, app)
    assert rc == 2 and err.strip() == f"takeover-models prove: error: {app} has no migrations/ directory"
    rc, _, err = run(capsys, "prove", "--dsn", legacy_dsn, "--app-label", LABEL, "--migrations")
    assert rc == 2 and err.strip() == "takeover-models prove: error: --migrations needs --app-dir (and no --models)"
