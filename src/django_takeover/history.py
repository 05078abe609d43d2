"""Retirement's hard case: the legacy app already has migrations, made while its models were unmanaged.

Such a history records ``CreateModel(..., options={"managed": False})``.
After the flip, makemigrations would only add an ``AlterModelOptions``: it
fakes nothing, creates nothing in a scratch database (so nothing can be
proved), and the history never says how the tables were built. What this
module does instead:

- ``inspect``: read the app's migrations with Django's own ``MigrationLoader``
  (in a child process with throwaway settings, as ``djangorun`` does) and
  report, per model, the migration that created it and whether it was
  created unmanaged;
- ``write``: produce a new initial migration, ``NNNN_takeover_initial``
  (NNNN = the highest existing number + 1, so it sorts after the files it
  replaces and the next makemigrations continues from there), made by
  Django's autodetector and ``MigrationWriter`` from the flipped models as if
  the app had no migrations, with ``initial = True`` and ``replaces = [every
  existing migration of the app]``. Django's loader then treats it as applied
  where all the old ones are applied (and ``migrate`` records it), and as the
  initial migration to fake with ``--fake-initial`` where none are; its
  ``CreateModel``s are the real tables, so ``prove --migrations`` can check it.

Limits (docs/retire-tools.md): the app's models must import only Django and
the app's own modules; an env where only part of the old history is applied
is not covered by ``replaces`` (Django then keeps the old migrations) and must
be brought to all-or-nothing first; data migrations (RunPython/RunSQL) of the
old history are listed, because a fresh database will not run them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from . import djangorun
from .catalog import CatalogError

SUFFIX = "takeover_initial"
MIGRATION_RE = re.compile(r"^(?P<num>\d{4})_\w+\.py$")

RUNNER = textwrap.dedent("""\
    import json, sys
    import django
    django.setup()
    from django.apps import apps
    from django.db.migrations import operations as ops
    from django.db.migrations.autodetector import MigrationAutodetector
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
    from django.db.migrations.state import ProjectState
    from django.db.migrations.writer import MigrationWriter
    from django.test.utils import override_settings

    job = json.loads(sys.argv[1])
    label = job["app_label"]
    # The history as written, without applying `replaces`.
    loader = MigrationLoader(None, ignore_no_migrations=True, replace_migrations=False)
    leaves = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes(label)
    if len(leaves) > 1:
        raise SystemExit(f"the app's migrations have {len(leaves)} leaf nodes "
                         f"({', '.join(k[1] for k in leaves)}): merge them first (makemigrations --merge)")
    order = sorted(name for app, name in loader.disk_migrations if app == label)
    models, data_ops, takeover = {}, [], None
    for name in order:
        mig = loader.disk_migrations[(label, name)]
        if name.endswith("_" + job["suffix"]) and mig.replaces:
            takeover = name
        for op in mig.operations:
            if isinstance(op, ops.CreateModel):
                models[op.name_lower] = {"model": op.name, "created_in": name,
                                         "managed_at_creation": bool(op.options.get("managed", True)),
                                         "managed_in_history": bool(op.options.get("managed", True))}
            elif isinstance(op, ops.AlterModelOptions) and op.name_lower in models:
                models[op.name_lower]["managed_in_history"] = bool(op.options.get("managed", True))
            elif isinstance(op, ops.DeleteModel):
                models.pop(op.name_lower, None)
            elif isinstance(op, (ops.RunPython, ops.RunSQL)):
                data_ops.append({"migration": name, "operation": type(op).__name__})
    for entry in models.values():
        try:
            entry["managed_in_models"] = bool(apps.get_model(label, entry["model"])._meta.managed)
        except LookupError:
            entry["managed_in_models"] = None
    out = {"migrations": order, "models": sorted(models.values(), key=lambda m: m["model"]),
           "data_operations": data_ops, "takeover_initial": takeover}
    if job.get("write"):
        # The app as if it had no migrations yet (an empty migrations package): the autodetector then
        # writes CreateModels of the models as they are now, as makemigrations does for a new app.
        with override_settings(MIGRATION_MODULES={label: "takeover_empty_migrations"}):
            fresh = MigrationLoader(None, ignore_no_migrations=True)
            detector = MigrationAutodetector(fresh.project_state(), ProjectState.from_apps(apps),
                                             NonInteractiveMigrationQuestioner(specified_apps={label}, dry_run=True))
            changes = detector.changes(graph=fresh.graph, trim_to_apps={label}, convert_apps={label},
                                       migration_name=job["suffix"])
        migs = changes.get(label, [])
        if len(migs) != 1:
            raise SystemExit(f"Django would split the initial migration of {label} into {len(migs)} migrations "
                             "(a dependency cycle with another app): write the replacing migration by hand")
        mig = migs[0]
        mig.name = job["name"]
        mig.initial = True
        mig.replaces = [(label, name) for name in order]
        out["written_source"] = MigrationWriter(mig, include_header=False).as_string()
    sys.stdout.write(json.dumps(out))
""")

HEADER = ("# Made by `takeover-models history --write` (Django's autodetector and MigrationWriter) at retirement:\n"
          "# the app's tables as Django's initial migration. It replaces the migrations made while the models\n"
          "# were unmanaged; once every environment has applied it, those files and `replaces` can be deleted\n"
          "# (Django's squashed-migration workflow).\n")


@dataclass
class HistoryReport:
    app_label: str
    migrations: list[str]
    models: list[dict]
    data_operations: list[dict]
    takeover_initial: str | None
    written: str | None = None
    status: str = ""
    created_unmanaged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"app_label": self.app_label, "status": self.status, "migrations": self.migrations,
                "models": self.models, "created_unmanaged": self.created_unmanaged,
                "data_operations": self.data_operations, "takeover_initial": self.takeover_initial,
                "written": self.written}

    def render(self) -> str:
        text = {
            "no-migrations": "no migrations: makemigrations writes the initial migration",
            "ok": "the history creates every managed model's table: nothing to rewrite",
            "rewritten": f"history rewritten: {self.takeover_initial} replaces {len(self.migrations) - 1} "
                         "migrations",
            "needs-new-history": f"{len(self.created_unmanaged)} models were created unmanaged by the history "
                                 f"({', '.join(self.created_unmanaged)}): run with --write",
        }[self.status]
        lines = [f"{self.app_label}: {text}"]
        lines += [f"data migration not replayed on a fresh database: {d['migration']} ({d['operation']})"
                  for d in self.data_operations]
        return "\n".join(lines)


def _project(app_dir: Path, label: str, work: Path) -> None:
    """A copy of the app under ``work/label``: its modules, models package and migrations, not its
    __init__/apps (which may import the rest of the project)."""
    app = work / label
    app.mkdir()
    (app / "__init__.py").write_text("")
    for p in app_dir.iterdir():
        if p.is_file() and p.suffix == ".py" and p.name not in ("__init__.py", "apps.py"):
            shutil.copy(p, app / p.name)
    for sub in ("models", "migrations"):
        if (app_dir / sub).is_dir():
            shutil.copytree(app_dir / sub, app / sub, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (work / "takeover_empty_migrations").mkdir()
    (work / "takeover_empty_migrations" / "__init__.py").write_text("")


def _run(work: Path, label: str, job: dict) -> dict:
    (work / "takeover_settings.py").write_text(djangorun.SETTINGS)
    (work / "takeover_history.py").write_text(RUNNER)
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")}
    # No database is opened: the loader and the autodetector read files and models only.
    env.update(DJANGO_SETTINGS_MODULE="takeover_settings", PYTHONPATH=str(work), PYTHONDONTWRITEBYTECODE="1",
               TAKEOVER_DB=json.dumps({"ENGINE": "django.db.backends.postgresql", "NAME": "unused"}),
               TAKEOVER_APPS=json.dumps([label]))
    proc = subprocess.run([sys.executable, str(work / "takeover_history.py"), json.dumps(job)],
                          cwd=work, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        last = lines[-1].strip() if lines else f"exit code {proc.returncode}"
        raise CatalogError(f"Django could not read the app's migrations: {last}")
    return json.loads(proc.stdout)


def history(app_dir: Path, app_label: str | None = None, write: bool = False) -> HistoryReport:
    """Inspect the app's migration history; with ``write``, add the takeover initial migration when needed."""
    app_dir = Path(app_dir)
    label = app_label or app_dir.name
    if not label.isidentifier():
        raise CatalogError(f"app label {label!r} is not a Python identifier (pass --app-label)")
    if not app_dir.is_dir():
        raise CatalogError(f"app directory {app_dir} does not exist")
    if not (app_dir / "models.py").is_file() and not (app_dir / "models").is_dir():
        raise CatalogError(f"app directory {app_dir} has neither models.py nor a models/ package")
    mig_dir = app_dir / "migrations"
    files = sorted(p.name for p in mig_dir.glob("*.py") if MIGRATION_RE.match(p.name)) if mig_dir.is_dir() else []
    if not files:
        return HistoryReport(label, [], [], [], None, status="no-migrations")
    number = max(int(MIGRATION_RE.match(f).group("num")) for f in files) + 1
    name = f"{number:04d}_{SUFFIX}"
    with tempfile.TemporaryDirectory(prefix="takeover-history-") as tmp:
        work = Path(tmp)
        _project(app_dir, label, work)
        out = _run(work, label, {"app_label": label, "suffix": SUFFIX, "name": name, "write": False})
        report = HistoryReport(label, out["migrations"], out["models"], out["data_operations"],
                               out["takeover_initial"])
        report.created_unmanaged = [m["model"] for m in report.models
                                    if not m["managed_at_creation"] and m["managed_in_models"]]
        if report.takeover_initial:
            report.status = "rewritten"
        elif not report.created_unmanaged:
            report.status = "ok"
        elif not write:
            report.status = "needs-new-history"
        else:
            out = _run(work, label, {"app_label": label, "suffix": SUFFIX, "name": name, "write": True})
            target = mig_dir / f"{name}.py"
            target.write_text(HEADER + out["written_source"])
            report.written = str(target)
            report.takeover_initial = name
            report.migrations.append(name)
            report.status = "rewritten"
    return report
