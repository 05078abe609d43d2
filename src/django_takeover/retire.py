"""Prepare the retirement release on the controller: flip, makemigrations, patch.

``python -m django_takeover.retire prepare`` copies the team's Django source
into a work directory, flips the legacy app's models to managed there, runs
``makemigrations`` once for that app, and writes the difference as a patch the
team commits. The team's checkout is never written. The same inputs give the
same bytes (``makemigrations --no-header``: no timestamp), so a re-run builds
the same release and changes nothing.

Exit codes: 0 done (``changed`` in the JSON says whether the work directory
changed), 2 bad input (one line on stderr, nothing written).
"""

from __future__ import annotations

import argparse
import difflib
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import flip as flip_mod
from . import history as history_mod
from .catalog import CatalogError
from .djangorun import SETTINGS

# Never part of a release, so never copied (build.py applies the deploy's own excludes later).
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "venv", "__pycache__", "*.pyc", "node_modules")

MAKEMIGRATIONS = """\
import sys
import django
django.setup()
from django.core.management import call_command
call_command("makemigrations", sys.argv[1], include_header=False, interactive=False, verbosity=1)
"""


class RetireError(Exception):
    """Bad input: reported as one line, exit 2."""


def _tree_files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def patch_between(before: Path, after: Path, prefix: str) -> str:
    """A git-style unified diff of two app directories (new files from /dev/null), for `git apply`."""
    old, new = _tree_files(before), _tree_files(after)
    out = []
    for rel in sorted(set(old) | set(new)):
        a = old[rel].read_text().splitlines(keepends=True) if rel in old else []
        b = new[rel].read_text().splitlines(keepends=True) if rel in new else []
        if a == b:
            continue
        path = f"{prefix}/{rel}" if prefix else rel
        out.append(f"diff --git a/{path} b/{path}\n")
        if rel not in old:
            out.append("new file mode 100644\n")
        out.extend(difflib.unified_diff(a, b, f"a/{path}" if rel in old else "/dev/null",
                                        f"b/{path}" if rel in new else "/dev/null"))
    return "".join(out)


def makemigrations(project_root: Path, app_label: str) -> str:
    """Run makemigrations for one app in a child process with throwaway settings (djangorun's, no database).

    The app must import from `project_root`; the team's own settings are not used, so the controller
    does not need the project's other dependencies. Each env later checks with its real settings
    (`makemigrations --check --dry-run`) that it would generate nothing different.
    """
    with tempfile.TemporaryDirectory(prefix="takeover-retire-") as tmp:
        work = Path(tmp)
        (work / "takeover_settings.py").write_text(SETTINGS)
        (work / "takeover_makemigrations.py").write_text(MAKEMIGRATIONS)
        env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")}
        env.update(
            DJANGO_SETTINGS_MODULE="takeover_settings",
            PYTHONPATH=os.pathsep.join([str(work), str(project_root)]),
            # A dummy database: makemigrations reads no history from it.
            TAKEOVER_DB=json.dumps({"ENGINE": "django.db.backends.dummy"}),
            TAKEOVER_APPS=json.dumps(["django.contrib.contenttypes", "django.contrib.auth", app_label]),
            PYTHONDONTWRITEBYTECODE="1",
        )
        proc = subprocess.run([sys.executable, str(work / "takeover_makemigrations.py"), app_label],
                              cwd=project_root, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        raise RetireError(f"makemigrations {app_label} failed: {lines[-1] if lines else proc.returncode}")
    return proc.stdout


def _sync(src: Path, dst: Path) -> bool:
    """Make `dst` a copy of `src`; True when anything had to change."""
    if dst.exists():
        cmp = filecmp.dircmp(src, dst, ignore=["__pycache__"])
        if _same(cmp):
            return False
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=COPY_IGNORE)
    return True


def _same(cmp: filecmp.dircmp) -> bool:
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
    return not mismatch and not errors and all(_same(sub) for sub in cmp.subdirs.values())


def prepare(source: Path, app_label: str, app_dir: str, out: Path) -> dict:
    """Build `out`/source (the team's source, flipped and with migrations) and `out`/<label>.patch."""
    source = source.resolve()
    if not (source / "manage.py").is_file():
        raise RetireError(f"{source} is not a Django project directory (no manage.py)")
    if not app_label.isidentifier():
        raise RetireError(f"app label {app_label!r} is not a Python identifier")
    app_rel = app_dir or app_label
    if not (source / app_rel).is_dir():
        raise RetireError(f"the legacy app's directory {source / app_rel} does not exist")

    with tempfile.TemporaryDirectory(prefix="takeover-retire-build-") as tmp:
        build = Path(tmp) / "source"
        shutil.copytree(source, build, ignore=COPY_IGNORE)
        try:
            flipped = flip_mod.flip_app(build / app_rel)
        except CatalogError as exc:
            raise RetireError(str(exc)) from None
        flip_mod.write(flipped)
        report = flipped.as_dict()
        try:
            # Migrations made while the models were unmanaged created no real tables, keys or indexes;
            # flipped, they would only yield AlterModelOptions. history writes a takeover initial that
            # replaces them (history.py), which the proof and --fake-initial then check like any initial.
            past = history_mod.history(build / app_rel, app_label, write=True)
        except CatalogError as exc:
            raise RetireError(str(exc)) from None
        (build / app_rel / "migrations").mkdir(exist_ok=True)
        init = build / app_rel / "migrations" / "__init__.py"
        if not init.exists():
            init.write_text("")
        made = makemigrations(build, app_label)
        patch = patch_between(source / app_rel, build / app_rel, app_rel)
        out.mkdir(parents=True, exist_ok=True)
        changed = _sync(build, out / "source")
    patch_file = out / f"{app_label}.patch"
    if not patch_file.exists() or patch_file.read_text() != patch:
        patch_file.write_text(patch)
        changed = True
    new_migrations = sorted(p.relative_to(out / "source").as_posix()
                            for p in (out / "source" / app_rel / "migrations").glob("*.py")
                            if p.name != "__init__.py" and not (source / app_rel / "migrations" / p.name).exists())
    return {
        "changed": changed,
        "source": str(out / "source"),
        "patch": str(patch_file) if patch else None,
        "flipped": report["flipped"],
        "kept_unmanaged": report["kept_unmanaged"],
        "new_migrations": new_migrations,
        "migrations_dir": str(out / "source" / app_rel / "migrations"),
        "app_dir": str(out / "source" / app_rel),
        "makemigrations": made.strip().splitlines(),
        "history": past.as_dict(),
        "diff": patch,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m django_takeover.retire", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="flip the legacy app, make its migrations once, write the patch")
    p.add_argument("--source", required=True, type=Path, help="the team's Django project (with manage.py)")
    p.add_argument("--app-label", required=True)
    p.add_argument("--app-dir", default="", help="the app's directory relative to --source (default: the label)")
    p.add_argument("--out", required=True, type=Path, help="work directory: receives source/ and <label>.patch")
    p.add_argument("--json", type=Path, help="write the report here too")
    args = parser.parse_args(argv)
    try:
        report = prepare(args.source, args.app_label, args.app_dir, args.out)
    except (RetireError, OSError) as exc:
        print(f"retire prepare: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(report, indent=2, sort_keys=True)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
