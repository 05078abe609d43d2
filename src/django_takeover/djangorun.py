"""Run Django management work in a child process with throwaway settings.

Django's settings are process-global: configuring them here would break any
caller (Ansible module, the test process, a Django project importing this
package) that uses Django itself. So every Django step runs in a subprocess
whose settings module is generated into a temporary directory. The database
password travels only through the child's environment, never through a file
or the command line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from .catalog import CatalogError

SETTINGS = textwrap.dedent("""\
    import json, os
    SECRET_KEY = "takeover-throwaway-settings"
    DATABASES = {"default": json.loads(os.environ["TAKEOVER_DB"])}
    INSTALLED_APPS = json.loads(os.environ["TAKEOVER_APPS"])
    USE_TZ = True
    DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
    # Real legacy index names are kept; Django's 30-character limit exists for Oracle.
    SILENCED_SYSTEM_CHECKS = ["models.E033", "models.E034"]
""")

RUNNER = textwrap.dedent("""\
    import io, json, sys
    import django
    django.setup()
    from django.apps import apps
    from django.core.management import call_command
    job = json.loads(sys.argv[1])
    if job["action"] == "inspectdb":
        out = io.StringIO()
        # Named tables (generate runs chunks in parallel processes); none means every table.
        call_command("inspectdb", *job.get("tables", []), include_views=True, stdout=out)
        sys.stdout.write(out.getvalue())
    elif job["action"] == "migrate":
        label = job["app_label"]
        if job.get("via_migrations"):
            call_command("makemigrations", label, verbosity=0, interactive=False)
            call_command("migrate", label, verbosity=0, interactive=False)
        else:
            # The app has no migrations package: create its tables with the
            # schema editor from the model classes, as `migrate --run-syncdb`
            # does (sync_apps: same models, same order, one transaction), and
            # as each CreateModel does. Calling the editor directly skips
            # migrate's project-state rendering (every model rendered three
            # times: half of migrate's time on 1,000 models).
            from django.db import connection, router
            existing = set(connection.introspection.table_names())
            todo = [m for m in router.get_migratable_models(apps.get_app_config(label), connection.alias,
                                                            include_auto_created=False)
                    if m._meta.can_migrate(connection) and m._meta.db_table not in existing]
            with connection.schema_editor() as editor:
                for model in todo:
                    editor.create_model(model)
        info = {}
        for model in apps.get_app_config(label).get_models():
            if not model._meta.managed:
                continue
            fks = {}
            for f in model._meta.local_fields:
                if f.is_relation and (f.many_to_one or f.one_to_one):
                    fks[f.column] = f.remote_field.on_delete.__name__
            info[model._meta.db_table] = fks
        sys.stdout.write(json.dumps(info, sort_keys=True))
""")


def django_db_settings(dsn: str, schema: str | None = None) -> dict:
    """Translate a libpq DSN/URL into a Django DATABASES entry."""
    params = {k: v for k, v in conninfo_to_dict(dsn).items() if v is not None}
    db = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": params.pop("dbname", ""),
        "USER": params.pop("user", ""),
        "PASSWORD": params.pop("password", ""),
        "HOST": params.pop("host", ""),
        "PORT": params.pop("port", ""),
        "OPTIONS": params,
    }
    if schema:
        # libpq's options are space-separated; a backslash escapes a literal space.
        ident = '"' + schema.replace('"', '""') + '"'
        opt = "-c search_path=" + ident.replace("\\", "\\\\").replace(" ", "\\ ")
        db["OPTIONS"]["options"] = (params.get("options", "") + " " + opt).strip()
    return db


def run(dsn: str, job: dict, *, schema: str | None, workdir: Path | None = None,
        apps: list[str] | None = None, timeout: int = 1800) -> str:
    """Run one RUNNER job; return its stdout or raise CatalogError with Django's last error line."""
    own_tmp = None
    if workdir is None:
        own_tmp = tempfile.TemporaryDirectory(prefix="takeover-django-")
        workdir = Path(own_tmp.name)
    try:
        (workdir / "takeover_settings.py").write_text(SETTINGS)
        (workdir / "takeover_runner.py").write_text(RUNNER)
        db = django_db_settings(dsn, schema)
        env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")}
        env.update(
            DJANGO_SETTINGS_MODULE="takeover_settings",
            PYTHONPATH=os.pathsep.join([str(workdir), *filter(None, [os.environ.get("PYTHONPATH")])]),
            TAKEOVER_DB=json.dumps(db),
            TAKEOVER_APPS=json.dumps(apps or []),
            PYTHONDONTWRITEBYTECODE="1",
        )
        proc = subprocess.run(
            [sys.executable, str(workdir / "takeover_runner.py"), json.dumps(job)],
            cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
            last = lines[-1] if lines else f"exit code {proc.returncode}"
            password = db.get("PASSWORD")
            if password:
                last = last.replace(password, "***")
            raise CatalogError(f"Django {job['action']} failed: {last.strip()}")
        return proc.stdout
    finally:
        if own_tmp is not None:
            own_tmp.cleanup()
