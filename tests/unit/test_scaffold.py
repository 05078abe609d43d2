"""takeover-models scaffold: a deployable Django project around generated models.

The acceptance test scaffolds projects from real legacy schemas
(../shared/acceptance, read in place, never copied), renders the deploy
role's real settings overlay around each, and runs the project in
subprocesses on a real PostgreSQL: migrate of Django's own apps, `check
--deploy`, /healthz and the admin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from django_takeover import scaffold
from django_takeover.cli import main
from django_takeover.generate import generate
from test_django_app import render_overlay

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_MODELS = REPO_ROOT / "lab/django/helpdesk/models.py"
OWN_APPS = ["contenttypes", "auth", "admin", "sessions", "takeover"]


def tree(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_guesses_the_sample_users_table():
    guess = scaffold.guess_sign_in(scaffold.read_models(SAMPLE_MODELS.read_text()))
    assert (guess.model, guess.username, guess.password) == ("Users", "username", "password_hash")
    assert guess.case_insensitive  # UniqueConstraint(Lower('username')) in the models
    assert (guess.active, guess.admin, guess.email, guess.full_name, guess.last_login) == (
        "is_active", "is_admin", "email", "full_name", "last_login")


def test_rerun_changes_nothing_and_never_overwrites_an_edit(tmp_path, capsys):
    models = tmp_path / "models.py"
    models.write_text(SAMPLE_MODELS.read_text())
    out = tmp_path / "project"
    argv = ["scaffold", "--models", str(models), "--out", str(out), "--project", "mysite"]
    assert main(argv) == 0
    report = capsys.readouterr().out
    assert "legacy sign-in GUESSED, please confirm" in report and "table users" in report
    assert "not registered (no single-column primary key): AuditLog, TicketTags" in report
    first = tree(out)
    assert {"manage.py", "requirements.txt", "mysite/settings.py", "mysite/urls.py", "mysite/wsgi.py",
            "legacy/models.py", "legacy/admin.py", "legacy/apps.py", ".takeover-scaffold.json"} <= set(first)
    assert os.access(out / "manage.py", os.X_OK)

    assert main(argv) == 0
    assert tree(out) == first  # not one byte, not one mtime
    assert "0 written" in capsys.readouterr().out

    # A person edits settings.py; then the models are regenerated.
    settings = out / "mysite/settings.py"
    settings.write_text(settings.read_text() + "\nTAKEOVER_LOGIN_HOOK = 'legacy.hooks.record'\n")
    edited = settings.read_bytes()
    models.write_text(SAMPLE_MODELS.read_text().replace("class Tags(", "class Labels(")
                      .replace("db_table = 'tags'", "db_table = 'labels'").replace("(Tags,", "(Labels,"))
    assert main(argv) == 0
    report = capsys.readouterr().out
    assert settings.read_bytes() == edited
    assert "kept  mysite/settings.py" in report
    assert "class Labels(" in (out / "legacy/models.py").read_text()  # untouched since written: updated
    assert "@admin.register(Labels)" in (out / "legacy/admin.py").read_text()
    # And once more: nothing left to do, the edit still kept.
    before = tree(out)
    assert main(argv) == 0
    assert tree(out) == before


def test_refuses_bad_names(tmp_path, capsys):
    assert main(["scaffold", "--models", str(SAMPLE_MODELS), "--out", str(tmp_path),
                 "--project", "My-Site"]) == 2
    assert "must be a lower-case Python identifier" in capsys.readouterr().err
    assert main(["scaffold", "--models", str(tmp_path / "nope.py"), "--out", str(tmp_path)]) == 2


def test_requirements_pin_what_the_sample_pins():
    """The scaffold's pins are the sample project's, which the lab deploys."""
    def pins(text):
        return sorted(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))

    version = scaffold.own_version()
    assert pins(scaffold._requirements(version)) == pins((REPO_ROOT / "lab/django/requirements.txt").read_text())
    assert f"django-takeover=={version}" in scaffold._requirements(version)


ADMIN_PROBE = """
import json
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

User = get_user_model()
root = User.objects.create_superuser("probe-admin", "p@example.invalid", "probe-pw")
client = Client(HTTP_HOST="localhost")
client.force_login(root, backend="django.contrib.auth.backends.ModelBackend")
index = client.get("/admin/")
assert index.status_code == 200, index.status_code
page = index.content.decode()
registered, statuses = [], {}
for model in apps.get_app_config("legacy").get_models():
    if model in admin.site._registry:
        url = reverse(f"admin:legacy_{model._meta.model_name}_changelist")
        assert url in page, url
        registered.append(model.__name__)
        statuses[model.__name__] = client.get(url).status_code
print(json.dumps({"registered": registered, "statuses": statuses,
                  "health": Client(HTTP_HOST="localhost").get("/healthz").status_code}))
"""


@pytest.mark.parametrize("name", ["ttrss", "roundcube", "mediawiki"])
def test_scaffolded_project_from_a_real_schema_deploys(pg_cluster, tmp_path, acceptance_schemas, name, capsys):
    sql_file = next((p for p in acceptance_schemas if p.name.startswith(name)), None)
    if sql_file is None:
        pytest.fail(f"{name} schema missing from the acceptance schemas: {acceptance_schemas}")
    dsn = pg_cluster.create_database(sql_file=sql_file)
    # As `takeover-models generate` writes them: models.py and, when the
    # models need custom fields, fields.py beside it.
    generated = generate(dsn, "public", "legacy", fields_py=True)
    models = tmp_path / "models.py"
    models.write_text(generated.models_source)
    if generated.fields_source is not None:
        (tmp_path / "fields.py").write_text(generated.fields_source)
    out = tmp_path / "project"
    result = scaffold.scaffold(models, out, project="takeover_site", app_label="legacy")
    infos = scaffold.read_models(models.read_text())
    addressable = sorted(m.name for m in infos if m.admin_addressable)

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA django")
        conn.execute(f'ALTER DATABASE "{conn.info.dbname}" SET search_path = django, public')
    overlay = tmp_path / "overlay"
    service_env = render_overlay(overlay, pg_cluster, dsn, "takeover_site")
    # Test-only: a local superuser to look at the admin with.
    (overlay / "probe_settings.py").write_text(
        "from takeover_settings import *  # noqa: F401,F403\n"
        "AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, 'django.contrib.auth.backends.ModelBackend']\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TAKEOVER_"))}
    env.update(service_env, PYTHONPATH=os.pathsep.join([str(overlay), str(out)]),
               DJANGO_SETTINGS_MODULE="takeover_settings", PYTHONUNBUFFERED="1")

    def manage(*args, settings="takeover_settings"):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=out,
                              env=dict(env, DJANGO_SETTINGS_MODULE=settings),
                              capture_output=True, text=True, timeout=300)

    for app in OWN_APPS:
        r = manage("migrate", "--no-input", app)
        assert r.returncode == 0, r.stdout + r.stderr
    r = manage("check", "--deploy", "--fail-level", "WARNING")
    assert r.returncode == 0, r.stdout + r.stderr
    r = manage("shell", "-c", ADMIN_PROBE, settings="probe_settings")
    assert r.returncode == 0, r.stdout + r.stderr
    probe = json.loads(r.stdout.strip().splitlines()[-1])
    assert probe["health"] == 200
    assert sorted(probe["registered"]) == addressable
    assert probe["statuses"] == {m: 200 for m in addressable}
    with capsys.disabled():
        print(f"\n[scaffold] {name}: {len(infos)} models, {len(addressable)} in the admin; "
              f"sign-in: {result.guess.table if result.guess else 'not configured'}")
    if name == "ttrss":
        g = result.guess
        assert (g.table, g.username, g.password, g.admin) == ("ttrss_users", "login", "pwd_hash", None)
        assert any("access_level" in note for note in g.notes)
    if name == "roundcube":
        assert result.guess is None  # users has no password column: IMAP signs them in

