"""takeover-models: generate exact Django models from a legacy schema, audit them, prove them.

Exit codes (the Ansible roles rely on them): 0 ok, 1 the models and the
database differ, 2 bad input or environment (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .catalog import CatalogError


def _write(path: str, text: str) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    # Only rewrite when the bytes change, so re-runs leave mtimes (and Ansible's "changed") alone.
    if not p.exists() or p.read_text() != text:
        p.write_text(text)


def _check_output(path: str | None, what: str) -> None:
    """Fail before any work when an output file could not be written (exit 2, never a traceback)."""
    if not path:
        return
    p = Path(path)
    if p.is_dir():
        raise CatalogError(f"{what} {path} is a directory, not a file")
    if p.exists():
        if not os.access(p, os.W_OK):
            raise CatalogError(f"{what} {path} is not writable")
        return
    parent = p.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise CatalogError(f"{what} {path} cannot be created: {parent} is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CatalogError(f"{what} {path} cannot be created: {parent} is not writable")


def cmd_generate(args) -> int:
    from . import generate
    for path, what in ((args.out_models, "--out-models"), (args.out_audit_md, "--out-audit-md"),
                       (args.out_audit_json, "--out-audit-json"),
                       (str(Path(args.out_models).parent / "fields.py"), "fields.py beside --out-models")):
        _check_output(path, what)
    result = generate.generate(args.dsn, args.schema, args.app_label, fields_py=not args.no_fields_py,
                               idiomatic_names=args.idiomatic_names)
    _write(args.out_models, result.models_source)
    if result.fields_source is not None:
        # The models import their custom fields and lookups from here (`from .fields import ...`).
        _write(str(Path(args.out_models).parent / "fields.py"), result.fields_source)
    if args.out_audit_md:
        _write(args.out_audit_md, result.audit_markdown)
    if args.out_audit_json:
        _write(args.out_audit_json, generate.audit_json(result.audit))
    s = result.audit["summary"]
    print(f"wrote {args.out_models}: {s['tables']} tables, {s['retirable']} retirable "
          f"({s['fixed_up']} fixed up), {s['keep_unmanaged']} keep-unmanaged; "
          f"{s['blocker']} blocker, {s['warning']} warning, {s['info']} info findings")
    return 0


def cmd_prove(args) -> int:
    from . import prove
    migrations_dir = None
    if args.migrations:
        # Prove the app's own migrations (retirement): the models and migrations/ come from --app-dir.
        if not args.app_dir or args.models:
            raise CatalogError("--migrations needs --app-dir (and no --models)")
        app_dir = Path(args.app_dir)
        if (app_dir / "models").is_dir() and not (app_dir / "models.py").is_file():
            raise CatalogError(f"{app_dir} has a models/ package: prove --migrations reads models.py only")
        migrations_dir = app_dir / "migrations"
        if not migrations_dir.is_dir():
            raise CatalogError(f"{app_dir} has no migrations/ directory")
        args.models = str(app_dir / "models.py")
    elif not args.models:
        raise CatalogError("--models is required (or --app-dir with --migrations)")
    if not Path(args.models).is_file():
        raise CatalogError(f"models file {args.models} does not exist")
    _check_output(args.json, "--json")
    report = prove.prove(args.dsn, Path(args.models), args.app_label, args.schema,
                         via_migrations=args.via_migrations, scratch=args.scratch, pg_bindir=args.pg_bindir,
                         migrations_dir=migrations_dir)
    if args.json:
        _write(args.json, json.dumps(report.as_dict(), indent=2, sort_keys=True) + "\n")
    print(report.render())
    return 0 if report.ok else 1


def cmd_scaffold(args) -> int:
    from . import scaffold
    out = Path(args.out)
    result = scaffold.scaffold(Path(args.models), out, project=args.project, app_label=args.app_label,
                               legacy_schema=args.schema)
    print(result.render(out))
    return 0


def cmd_flip(args) -> int:
    from . import flip
    _check_output(args.json, "--json")
    if args.out_dir:
        out_dir, app_dir = Path(args.out_dir).resolve(), Path(args.app_dir).resolve()
        if out_dir.exists() and not out_dir.is_dir():
            raise CatalogError(f"--out-dir {args.out_dir} is a file, not a directory")
        if out_dir != app_dir and out_dir.is_relative_to(app_dir):
            raise CatalogError(f"--out-dir {args.out_dir} is inside --app-dir {args.app_dir}")
    # Every file is parsed and edited in memory first: a file that does not parse stops the run
    # before anything is written.
    result = flip.flip_app(Path(args.app_dir))
    if args.diff:
        sys.stdout.write(result.diff())
    if not args.check:
        flip.write(result, Path(args.out_dir) if args.out_dir else None)
    if args.json:
        _write(args.json, json.dumps(result.as_dict(), indent=2, sort_keys=True) + "\n")
    print(result.render(), file=sys.stderr if args.diff else sys.stdout)
    return 1 if args.check and result.changed else 0


def cmd_history(args) -> int:
    from . import history
    _check_output(args.json, "--json")
    report = history.history(Path(args.app_dir), args.app_label, write=args.write)
    if args.json:
        _write(args.json, json.dumps(report.as_dict(), indent=2, sort_keys=True) + "\n")
    print(report.render())
    return 1 if report.status == "needs-new-history" else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="takeover-models", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--dsn", required=True, help="libpq DSN or postgresql:// URL of the live database")
        p.add_argument("--schema", default="public", help="schema holding the legacy tables (default: public)")
        p.add_argument("--app-label", required=True, help="Django app label of the models")

    # `audit` is an alias: the audit is produced together with the models.
    for name, help_text in (
        ("generate", "run inspectdb, apply fix-ups, write models.py and the audit"),
        ("audit", "same as generate (the audit is produced together with the models)"),
    ):
        g = sub.add_parser(name, help=help_text)
        common(g)
        g.add_argument("--out-models", required=True)
        g.add_argument("--out-audit-md")
        g.add_argument("--out-audit-json")
        g.add_argument("--no-fields-py", action="store_true",
                       help="do not use a fields.py beside models.py (custom field classes for char(n), real, "
                            "timestamp, domains; lookups Django lacks): those tables then stay keep-unmanaged")
        g.add_argument("--idiomatic-names", action="store_true",
                       help="singular class names (Ticket, not Tickets) and role-based related_names "
                            "(tickets_reported); db_table and db_column stay exact. Off by default: code written "
                            "against inspectdb's names keeps working")
        g.set_defaults(func=cmd_generate)

    p = sub.add_parser("prove", help="migrate the models into a scratch database and compare with the live one")
    common(p)
    p.add_argument("--models", help="path of the models.py to prove")
    p.add_argument("--app-dir", help="with --migrations: the app package (models.py, fields.py, migrations/)")
    p.add_argument("--migrations", action="store_true",
                   help="apply the app's own migrations/ (from --app-dir) in the scratch place with migrate and "
                        "compare the result with the live schema (docs/retire-tools.md)")
    p.add_argument("--json", help="also write the per-table result as JSON here")
    p.add_argument("--via-migrations", action="store_true",
                   help="build the scratch tables with makemigrations + migrate instead of the schema editor (what migrate --run-syncdb does) "
                        "(exercises migration files too; minutes on schemas of several hundred tables)")
    p.add_argument("--scratch", choices=("tempcluster", "server"), default="tempcluster",
                   help="where to build the scratch tables: tempcluster (default) = a throwaway cluster of the live "
                        "server's version under a temporary directory on this host, unix socket only, always "
                        "removed; server = a temporary database on the live server (needs CREATEDB)")
    p.add_argument("--pg-bindir", help="directory of initdb/pg_ctl for --scratch tempcluster "
                                       "(default: found from the live server's major version)")
    p.set_defaults(func=cmd_prove)

    s = sub.add_parser("scaffold", help="create a deployable Django project around a generated models.py "
                                        "(re-runnable; never overwrites a file edited by hand)")
    s.add_argument("--models", required=True, help="the models.py written by generate")
    s.add_argument("--out", required=True, help="directory of the project (created if missing)")
    s.add_argument("--project", default="takeover_site", help="package holding settings.py (default: takeover_site)")
    s.add_argument("--app-label", default="legacy", help="app label of the legacy models (default: legacy)")
    s.add_argument("--schema", default="public", help="schema holding the legacy tables (default: public)")
    s.set_defaults(func=cmd_scaffold)
    f = sub.add_parser("flip", help="make every unmanaged model of an app managed (retirement), "
                                    "changing nothing else in the files")
    f.add_argument("--app-dir", required=True, help="the app package holding models.py or a models/ package")
    f.add_argument("--out-dir", help="write a flipped copy of the whole app here instead of editing in place")
    f.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything would change")
    f.add_argument("--diff", action="store_true", help="print a unified diff of the change on stdout")
    f.add_argument("--json", help="write the report (flipped, kept unmanaged, files changed) here")
    f.set_defaults(func=cmd_flip)

    h = sub.add_parser("history", help="report whether the app's existing migrations created its models unmanaged; "
                                       "with --write, add the replacing takeover initial migration")
    h.add_argument("--app-dir", required=True, help="the (flipped) app package holding migrations/")
    h.add_argument("--app-label", help="Django app label (default: the directory's name)")
    h.add_argument("--write", action="store_true",
                   help="when needed, write migrations/NNNN_takeover_initial.py (replaces the old history)")
    h.add_argument("--json", help="write the report here")
    h.set_defaults(func=cmd_history)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CatalogError as exc:
        print(f"takeover-models {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
