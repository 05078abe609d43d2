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
    # Without TAKEOVER_DB the database comes on stdin after setup (djangorun.Child).
    DATABASES = {"default": json.loads(os.environ.get("TAKEOVER_DB") or '{"ENGINE": "django.db.backends.postgresql"}')}
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
    job = json.loads(sys.argv[1])
    if job.get("db_on_stdin"):
        # Started before its database existed (djangorun.Child): the models are imported by now and no
        # connection is open, so the settings can still be completed (the connection handler keeps
        # this very dict).
        from django.conf import settings
        from django.db import connections
        assert not connections.all(initialized_only=True)
        settings.DATABASES["default"].update(json.loads(sys.stdin.readline()))
    from django.apps import apps
    from django.core.management import call_command
    if job["action"] == "inspectdb":
        if not job.get("per_table_queries"):
            import takeover_introspect
            takeover_introspect.install()
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
            # The statements go to the server in one round trip: each is the exact text the
            # PostgreSQL schema editor would send (it merges parameters client-side with
            # compose_sql and executes without parameters), in the same order (deferred FKs
            # and indexes last) and the same transaction. One round trip per statement
            # (~6,000 on 1,000 tables) cost as much as the DDL itself on a busy machine.
            with connection.schema_editor() as editor:
                statements = []
                def execute(sql, params=()):
                    sql = str(sql) if params is None else connection.ops.compose_sql(str(sql), params)
                    statements.append(sql if sql.rstrip().endswith(";") else sql + ";")
                editor.execute = execute
                for model in todo:
                    editor.create_model(model)
                for sql in editor.deferred_sql:   # what __exit__ would run, as it runs it
                    execute(sql)
                editor.deferred_sql = []
                if statements:
                    with connection.cursor() as cursor:
                        cursor.execute("\\n".join(statements))
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


# inspectdb asks PostgreSQL about one table at a time: five catalog queries per table, and
# get_constraints (two of them, one scanning all of pg_index) once more for the table and once per FK
# target. On 1,000 tables that was 15,000 queries and most of the live server's work in generate.
# This module answers the same questions from one query each for the whole schema: Django 5.2's own
# SQL (django/db/backends/postgresql/introspection.py), with the table name as an output column
# instead of a filter; the per-table "SELECT * ... LIMIT 1" that gives cursor.description stays.
# Tables it did not fetch (other schemas, pg_catalog) fall back to Django's per-table methods.
# tests/unit/test_models_chunks.py compares inspectdb's output with and without it.
INTROSPECT = textwrap.dedent("""\
    from django.db import connection
    from django.db.backends.postgresql.introspection import FieldInfo
    from django.db.models import Index

    VISIBLE = \"\"\"pg_catalog.pg_table_is_visible({0}.oid)
        AND {0}.relnamespace NOT IN (SELECT oid FROM pg_namespace
                                     WHERE nspname IN ('pg_catalog', 'pg_toast', 'information_schema'))\"\"\"

    def _fetch(cursor, intro):
        cache = {"tables": set(), "columns": {}, "relations": {}, "constraints": {}}
        cursor.execute("SELECT c.relname FROM pg_class c WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v') AND "
                       + VISIBLE.format("c"))
        cache["tables"] = {r[0] for r in cursor.fetchall()}
        cursor.execute(\"\"\"
            SELECT c.relname, a.attname AS column_name,
                NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) AS is_nullable,
                pg_get_expr(ad.adbin, ad.adrelid) AS column_default,
                CASE WHEN collname = 'default' THEN NULL ELSE collname END AS collation,
                a.attidentity != '' AS is_autofield,
                col_description(a.attrelid, a.attnum) AS column_comment
            FROM pg_attribute a
            LEFT JOIN pg_attrdef ad ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
            LEFT JOIN pg_collation co ON a.attcollation = co.oid
            JOIN pg_type t ON a.atttypid = t.oid
            JOIN pg_class c ON a.attrelid = c.oid
            WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v') AND \"\"\" + VISIBLE.format("c"))
        for relname, name, *rest in cursor.fetchall():
            cache["columns"].setdefault(relname, {})[name] = tuple(rest)
        cursor.execute(\"\"\"
            SELECT c1.relname, a1.attname, c2.relname, a2.attname
            FROM pg_constraint con
            LEFT JOIN pg_class c1 ON con.conrelid = c1.oid
            LEFT JOIN pg_class c2 ON con.confrelid = c2.oid
            LEFT JOIN pg_attribute a1 ON c1.oid = a1.attrelid AND a1.attnum = con.conkey[1]
            LEFT JOIN pg_attribute a2 ON c2.oid = a2.attrelid AND a2.attnum = con.confkey[1]
            WHERE con.contype = 'f' AND c1.relnamespace = c2.relnamespace AND \"\"\" + VISIBLE.format("c1"))
        for relname, column, ref_table, ref_column in cursor.fetchall():
            cache["relations"].setdefault(relname, {})[column] = (ref_column, ref_table)
        cursor.execute(\"\"\"
            SELECT cl.relname, c.conname,
                array(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY cols(colid, arridx)
                      JOIN pg_attribute AS ca ON cols.colid = ca.attnum
                      WHERE ca.attrelid = c.conrelid ORDER BY cols.arridx),
                c.contype,
                (SELECT fkc.relname || '.' || fka.attname FROM pg_attribute AS fka
                 JOIN pg_class AS fkc ON fka.attrelid = fkc.oid
                 WHERE fka.attrelid = c.confrelid AND fka.attnum = c.confkey[1]),
                cl.reloptions
            FROM pg_constraint AS c JOIN pg_class AS cl ON c.conrelid = cl.oid
            WHERE \"\"\" + VISIBLE.format("cl"))
        for relname, constraint, columns, kind, used_cols, options in cursor.fetchall():
            cache["constraints"].setdefault(relname, {})[constraint] = {
                "columns": columns, "primary_key": kind == "p", "unique": kind in ["p", "u"],
                "foreign_key": tuple(used_cols.split(".", 1)) if kind == "f" else None,
                "check": kind == "c", "index": False, "definition": None, "options": options}
        cursor.execute(\"\"\"
            SELECT relname, indexname, array_agg(attname ORDER BY arridx), indisunique, indisprimary,
                array_agg(ordering ORDER BY arridx), amname, exprdef, s2.attoptions
            FROM (
                SELECT c.relname, c2.relname as indexname, idx.*, attr.attname, am.amname,
                    CASE WHEN idx.indexprs IS NOT NULL THEN pg_get_indexdef(idx.indexrelid) END AS exprdef,
                    CASE am.amname WHEN %s THEN CASE (option & 1) WHEN 1 THEN 'DESC' ELSE 'ASC' END
                    END as ordering,
                    c2.reloptions as attoptions
                FROM (SELECT * FROM pg_index i, unnest(i.indkey, i.indoption)
                      WITH ORDINALITY koi(key, option, arridx)) idx
                LEFT JOIN pg_class c ON idx.indrelid = c.oid
                LEFT JOIN pg_class c2 ON idx.indexrelid = c2.oid
                LEFT JOIN pg_am am ON c2.relam = am.oid
                LEFT JOIN pg_attribute attr ON attr.attrelid = c.oid AND attr.attnum = idx.key
                WHERE \"\"\" + VISIBLE.format("c") + \"\"\"
            ) s2
            GROUP BY relname, indexname, indisunique, indisprimary, amname, exprdef, attoptions
        \"\"\", [intro.index_default_access_method])
        for relname, index, columns, unique, primary, orders, type_, definition, options in cursor.fetchall():
            constraints = cache["constraints"].setdefault(relname, {})
            if index not in constraints:
                basic_index = (type_ == intro.index_default_access_method and not index.endswith("_btree")
                               and options is None)
                constraints[index] = {
                    "columns": columns if columns != [None] else [],
                    "orders": orders if orders != [None] else [],
                    "primary_key": primary, "unique": unique, "foreign_key": None, "check": False,
                    "index": True, "type": Index.suffix if basic_index else type_,
                    "definition": definition, "options": options}
        return cache

    def install():
        intro = connection.introspection
        original = {n: getattr(intro, n) for n in ("get_table_description", "get_relations", "get_constraints")}
        state = {}

        def cached(cursor, table_name):
            if "cache" not in state:
                state["cache"] = _fetch(cursor, intro)
            cache = state["cache"]
            return cache if table_name in cache["tables"] else None

        def get_table_description(cursor, table_name):
            cache = cached(cursor, table_name)
            if cache is None:
                return original["get_table_description"](cursor, table_name)
            field_map = cache["columns"][table_name]
            cursor.execute("SELECT * FROM %s LIMIT 1" % connection.ops.quote_name(table_name))
            return [FieldInfo(line.name, line.type_code,
                              line.internal_size if line.display_size is None else line.display_size,
                              line.internal_size, line.precision, line.scale, *field_map[line.name])
                    for line in cursor.description]

        def get_relations(cursor, table_name):
            cache = cached(cursor, table_name)
            if cache is None:
                return original["get_relations"](cursor, table_name)
            return cache["relations"].get(table_name, {})

        def get_constraints(cursor, table_name):
            cache = cached(cursor, table_name)
            if cache is None:
                return original["get_constraints"](cursor, table_name)
            return cache["constraints"].get(table_name, {})

        intro.get_table_description = get_table_description
        intro.get_relations = get_relations
        intro.get_constraints = get_constraints
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


def _prepare(workdir: Path, apps: list[str] | None, db: dict | None) -> dict:
    """Write the child's files into ``workdir``; return its environment (the database only in it)."""
    (workdir / "takeover_settings.py").write_text(SETTINGS)
    (workdir / "takeover_runner.py").write_text(RUNNER)
    (workdir / "takeover_introspect.py").write_text(INTROSPECT)
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "TAKEOVER_DB")}
    env.update(
        DJANGO_SETTINGS_MODULE="takeover_settings",
        PYTHONPATH=os.pathsep.join([str(workdir), *filter(None, [os.environ.get("PYTHONPATH")])]),
        TAKEOVER_APPS=json.dumps(apps or []),
        PYTHONDONTWRITEBYTECODE="1",
    )
    if db is not None:
        env["TAKEOVER_DB"] = json.dumps(db)
    return env


def _result(job: dict, returncode: int, stdout: str, stderr: str, db: dict) -> str:
    if returncode != 0:
        lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
        last = lines[-1] if lines else f"exit code {returncode}"
        password = db.get("PASSWORD")
        if password:
            last = last.replace(password, "***")
        raise CatalogError(f"Django {job['action']} failed: {last.strip()}")
    return stdout


class Child:
    """A RUNNER job started before its database exists, told the database when it does.

    prove starts the child (Django setup, importing 1,000 models: seconds) while
    the throwaway cluster is created; ``finish`` sends the database settings
    on the child's stdin (the password never in a file or an argument) and
    returns what ``run`` returns. ``kill`` ends a child that is not needed.
    """

    def __init__(self, job: dict, *, workdir: Path, apps: list[str] | None = None, timeout: int = 1800):
        self.job = {**job, "db_on_stdin": True}
        self.timeout = timeout
        self.proc = subprocess.Popen(
            [sys.executable, str(workdir / "takeover_runner.py"), json.dumps(self.job)],
            cwd=workdir, env=_prepare(workdir, apps, None), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)

    def finish(self, dsn: str, schema: str | None) -> str:
        db = django_db_settings(dsn, schema)
        try:
            out, err = self.proc.communicate(json.dumps(db) + "\n", timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise CatalogError(f"Django {self.job['action']} timed out after {self.timeout} s") from None
        return _result(self.job, self.proc.returncode, out, err, db)

    def kill(self) -> None:
        if self.proc.returncode is None:      # not finished (an error elsewhere in prove)
            self.proc.kill()
            self.proc.communicate()


def run(dsn: str, job: dict, *, schema: str | None, workdir: Path | None = None,
        apps: list[str] | None = None, timeout: int = 1800) -> str:
    """Run one RUNNER job; return its stdout or raise CatalogError with Django's last error line."""
    own_tmp = None
    if workdir is None:
        own_tmp = tempfile.TemporaryDirectory(prefix="takeover-django-")
        workdir = Path(own_tmp.name)
    try:
        db = django_db_settings(dsn, schema)
        proc = subprocess.run(
            [sys.executable, str(workdir / "takeover_runner.py"), json.dumps(job)],
            cwd=workdir, env=_prepare(workdir, apps, db), capture_output=True, text=True, timeout=timeout)
        return _result(job, proc.returncode, proc.stdout, proc.stderr, db)
    finally:
        if own_tmp is not None:
            own_tmp.cleanup()
