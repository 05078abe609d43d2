"""The legacy app already has migrations, made while its models were unmanaged (issue 13's first hard case).

Everything is checked with Django itself on a real PostgreSQL database: the
takeover initial migration that `history --write` adds is treated as applied
where the old history was applied, and is faked by `migrate --fake-initial`
where none was; the schema is untouched in both cases; `prove --migrations`
accepts the rewritten history and names a difference it should catch.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from django_takeover import djangorun
from django_takeover.cli import main

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "lab/legacy/schema.sql"
LAB_MODELS = REPO / "lab/django/helpdesk/models.py"
LABEL = "helpdesk"
MANAGED_TABLES = ["comments", "tags", "ticket_statuses", "ticket_tags", "tickets", "users"]


def manage(app_dir: Path, dsn: str | None, *args: str, check: bool = True):
    """Run a Django management command for the app at ``app_dir`` (importable by its parent) on ``dsn``."""
    work = app_dir.parent
    (work / "takeover_settings.py").write_text(djangorun.SETTINGS)
    db = djangorun.django_db_settings(dsn) if dsn else {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")}
    env.update(DJANGO_SETTINGS_MODULE="takeover_settings", PYTHONPATH=str(work), PYTHONDONTWRITEBYTECODE="1",
               TAKEOVER_DB=json.dumps(db), TAKEOVER_APPS=json.dumps([app_dir.name]))
    proc = subprocess.run([sys.executable, "-m", "django", *args], cwd=work, env=env, capture_output=True, text=True)
    if not check:
        return proc
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def make_app(root: Path) -> Path:
    app = root / LABEL
    (app / "migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    shutil.copy(LAB_MODELS, app / "models.py")
    return app


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def schema_dump(dsn: str) -> str:
    proc = subprocess.run(["pg_dump", "--schema-only", "--no-owner", "--no-privileges",
                           "--exclude-table=django_migrations*", "-d", dsn],
                          capture_output=True, text=True, check=True)
    # pg_dump's \restrict lines carry a random key per run.
    return "\n".join(ln for ln in proc.stdout.splitlines()
                     if not ln.startswith(("-- Dumped", "\\restrict", "\\unrestrict")))


def applied(dsn: str) -> list[tuple[str, str]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT app, name FROM django_migrations WHERE app = %s ORDER BY id",
                            (LABEL,)).fetchall()


@pytest.fixture(scope="module")
def old_history(tmp_path_factory):
    """The team's app: unmanaged models and the history makemigrations made of them (0001, 0002)."""
    root = tmp_path_factory.mktemp("old")
    app = make_app(root)
    manage(app, None, "makemigrations", LABEL, "--no-header")
    # A later change made while still unmanaged: a second migration of the history.
    source = (app / "models.py").read_text()
    # (Django tracks only options of unmanaged models, not their fields.)
    (app / "models.py").write_text(source.replace("        db_table = 'ticket_statuses'\n",
                                                  "        db_table = 'ticket_statuses'\n"
                                                  "        verbose_name = 'status'\n", 1))
    manage(app, None, "makemigrations", LABEL, "--no-header", "--name", "label_help")
    (app / "models.py").write_text(source)
    manage(app, None, "makemigrations", LABEL, "--no-header", "--name", "label_help_back")
    return app


@pytest.fixture(scope="module")
def rewritten(old_history, tmp_path_factory):
    """The flipped app with the takeover initial migration written by `history --write`."""
    app = tmp_path_factory.mktemp("new") / LABEL
    shutil.copytree(old_history, app)
    assert main(["flip", "--app-dir", str(app)]) == 0
    assert main(["history", "--app-dir", str(app), "--write", "--json", str(app.parent / "h.json")]) == 0
    return app


def test_history_detects_models_created_unmanaged(old_history, tmp_path, capsys):
    app = tmp_path / LABEL
    shutil.copytree(old_history, app)
    assert main(["flip", "--app-dir", str(app)]) == 0
    capsys.readouterr()
    rc, out, err = run(capsys, "history", "--app-dir", str(app), "--json", str(tmp_path / "h.json"))
    assert rc == 1, out + err
    report = json.loads((tmp_path / "h.json").read_text())
    assert report["status"] == "needs-new-history"
    assert report["migrations"] == ["0001_initial", "0002_label_help", "0003_label_help_back"]
    assert report["created_unmanaged"] == ["Comments", "Tags", "TicketStatuses", "TicketTags", "Tickets", "Users"]
    by_model = {m["model"]: m for m in report["models"]}
    assert by_model["Tickets"] == {"model": "Tickets", "created_in": "0001_initial", "managed_at_creation": False,
                                   "managed_in_history": False, "managed_in_models": True}
    # The keep-unmanaged model stays unmanaged: its unmanaged CreateModel is right.
    assert by_model["AuditLog"]["managed_in_models"] is False
    assert "6 models were created unmanaged" in out
    assert not (app / "migrations" / "0004_takeover_initial.py").exists()


def test_history_without_migrations_or_with_managed_ones_needs_nothing(tmp_path, capsys):
    app = make_app(tmp_path)
    rc, out, _ = run(capsys, "history", "--app-dir", str(app))
    assert rc == 0 and "no migrations" in out
    assert main(["flip", "--app-dir", str(app)]) == 0
    manage(app, None, "makemigrations", LABEL, "--no-header")
    capsys.readouterr()
    rc, out, _ = run(capsys, "history", "--app-dir", str(app), "--write")
    assert rc == 0 and "nothing to rewrite" in out
    assert sorted(p.name for p in (app / "migrations").glob("0*.py")) == ["0001_initial.py"]


def test_written_initial_replaces_the_old_history(rewritten, capsys):
    text = (rewritten / "migrations" / "0004_takeover_initial.py").read_text()
    assert "    initial = True\n" in text
    assert ("replaces = [('helpdesk', '0001_initial'), ('helpdesk', '0002_label_help'), "
            "('helpdesk', '0003_label_help_back')]") in text
    assert "'managed': False" in text and text.count("migrations.CreateModel(") == 7   # AuditLog stays unmanaged
    report = json.loads((rewritten.parent / "h.json").read_text())
    assert report["status"] == "rewritten" and report["takeover_initial"] == "0004_takeover_initial"
    # Re-running changes nothing, and the models and the new history agree.
    capsys.readouterr()
    rc, out, _ = run(capsys, "history", "--app-dir", str(rewritten), "--write")
    assert rc == 0 and "0004_takeover_initial replaces 3 migrations" in out
    assert sorted(p.name for p in (rewritten / "migrations").glob("0*.py")) == [
        "0001_initial.py", "0002_label_help.py", "0003_label_help_back.py", "0004_takeover_initial.py"]
    manage(rewritten, None, "makemigrations", LABEL, "--check", "--dry-run")


def test_env_with_the_old_history_applied(pg_cluster, old_history, rewritten, tmp_path):
    dsn = pg_cluster.create_database(sql_file=SCHEMA)
    manage(old_history, dsn, "migrate", LABEL)          # what the team's deploys did: records only
    before = schema_dump(dsn)
    out = manage(rewritten, dsn, "migrate", LABEL, "--fake-initial")
    assert "No migrations to apply." in out
    assert applied(dsn)[-1] == (LABEL, "0004_takeover_initial")      # recorded as applied, not run
    assert "[X] 0004_takeover_initial" in manage(rewritten, dsn, "showmigrations", LABEL)
    manage(rewritten, dsn, "migrate", LABEL, "--check")
    assert schema_dump(dsn) == before
    # From now on a model change is an ordinary migration that Django applies for real.
    app = tmp_path / LABEL
    shutil.copytree(rewritten, app)
    models = app / "models.py"
    models.write_text(models.read_text().replace("    name = models.CharField(max_length=50)\n",
                                                 "    name = models.CharField(max_length=50)\n"
                                                 "    colour = models.TextField(null=True)\n", 1))
    manage(app, None, "makemigrations", LABEL, "--no-header", "--name", "tags_colour")
    assert "Applying helpdesk.0005_tags_colour... OK" in manage(app, dsn, "migrate", LABEL)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT data_type FROM information_schema.columns "
                            "WHERE table_name = 'tags' AND column_name = 'colour'").fetchone() == ("text",)


def test_env_without_history_fakes_the_takeover_initial(pg_cluster, rewritten):
    dsn = pg_cluster.create_database(sql_file=SCHEMA)
    before = schema_dump(dsn)
    out = manage(rewritten, dsn, "migrate", LABEL, "--fake-initial")
    assert "Applying helpdesk.0004_takeover_initial... FAKED" in out
    # Django records a replacing migration as its replaced ones plus itself, as for any squashed migration.
    assert sorted(applied(dsn)) == [(LABEL, "0001_initial"), (LABEL, "0002_label_help"),
                                    (LABEL, "0003_label_help_back"), (LABEL, "0004_takeover_initial")]
    manage(rewritten, dsn, "migrate", LABEL, "--check")
    assert schema_dump(dsn) == before


def test_prove_accepts_the_rewritten_history(legacy_dsn, rewritten, capsys):
    rc, out, err = run(capsys, "prove", "--dsn", legacy_dsn, "--app-label", LABEL, "--app-dir", str(rewritten),
                       "--migrations")
    assert rc == 0, out + err
    assert out.startswith("models and database agree: 6 tables")


def test_a_plain_flip_of_the_old_history_is_wrong(legacy_dsn, old_history, tmp_path, capsys):
    """Why the rewrite is needed: the unmanaged CreateModels lack the FK fields (Django leaves relational
    fields out of an unmanaged model's migration), so after the flip's AlterModelOptions Django still wants
    to add them, and the migrations cannot be proved."""
    app = tmp_path / LABEL
    shutil.copytree(old_history, app)
    assert main(["flip", "--app-dir", str(app)]) == 0
    manage(app, None, "makemigrations", LABEL, "--no-header")     # the AlterModelOptions of a plain flip
    proc = manage(app, None, "makemigrations", LABEL, "--check", "--dry-run", "--no-input", check=False)
    assert proc.returncode == 3
    assert "Field 'ticket' on model 'comments' not migrated" in proc.stdout
    capsys.readouterr()
    rc, out, err = run(capsys, "prove", "--dsn", legacy_dsn, "--app-label", LABEL, "--app-dir", str(app),
                       "--migrations")
    assert rc == 2 and err.startswith("takeover-models prove: error: Django migrate failed"), out + err
