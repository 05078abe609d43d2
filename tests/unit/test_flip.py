"""`takeover-models flip`: every unmanaged model becomes managed, and nothing else in the files changes."""

import json
import textwrap
from pathlib import Path

import pytest

from django_takeover import modelsfile
from django_takeover.cli import main
from test_retire_history import manage

REPO = Path(__file__).resolve().parents[2]
LAB_MODELS = REPO / "lab/django/helpdesk/models.py"

HAND_EDITED = textwrap.dedent('''\
    # Hand-edited over the years.  Odd   spacing, comments and quotes must survive.
    from django.db import models


    def audited(cls):  # a class decorator
        return cls


    class Users(models.Model):
        name = models.TextField( )   # keep this   comment

        class Meta:
            managed=False
            db_table = "users"


    class Tickets(models.Model):
        title = models.TextField()

        class Meta:
            # why: PHP owns it
            managed = False  # until retirement
            db_table = 'tickets'
            ordering = ["-id"]


    class Tags(models.Model):
        class Meta: managed = 0; db_table = 'tags'


    @audited
    class Comments(models.Model):
        class Meta:
            db_table = 'comments'; managed = False


    class Notes(models.Model):
        class Meta:
            managed: bool = None
            db_table = 'notes'


    # takeover: keep-unmanaged (a view)
    @audited
    class OpenTickets(models.Model):
        class Meta:
            managed = False
            db_table = 'open_tickets'


    class AlreadyManaged(models.Model):
        class Meta:
            db_table = 'already'
''')

HAND_EDITED_FLIPPED = HAND_EDITED \
    .replace("managed=False\n", "managed=True\n") \
    .replace("managed = False  # until retirement", "managed = True  # until retirement") \
    .replace("managed = 0;", "managed = True;") \
    .replace("'comments'; managed = False", "'comments'; managed = True") \
    .replace("managed: bool = None", "managed: bool = True")


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def write_app(root: Path, files: dict[str, str]) -> Path:
    app = root / "legacy"
    for rel, text in files.items():
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_text(text)
    return app


def snapshot(app: Path) -> dict[str, bytes]:
    return {str(p.relative_to(app)): p.read_bytes() for p in sorted(app.rglob("*")) if p.is_file()}


def test_hand_edited_models_py(tmp_path, capsys):
    app = write_app(tmp_path, {"__init__.py": "", "models.py": HAND_EDITED})
    rc, out, err = run(capsys, "flip", "--app-dir", str(app), "--json", str(tmp_path / "flip.json"))
    assert rc == 0, err
    assert (app / "models.py").read_text() == HAND_EDITED_FLIPPED
    assert out.splitlines() == ["flipped: 5 models managed, 1 kept unmanaged, 1 files changed",
                                "kept unmanaged: OpenTickets (models.py:44): a view"]
    report = json.loads((tmp_path / "flip.json").read_text())
    assert report["changed"] is True and report["files_changed"] == ["models.py"]
    assert [(f["model"], f["file"], f["managed_line"]) for f in report["flipped"]] == [
        ("Users", "models.py", 13), ("Tickets", "models.py", 22), ("Tags", "models.py", 28),
        ("Comments", "models.py", 34), ("Notes", "models.py", 39)]
    assert report["kept_unmanaged"] == [{"model": "OpenTickets", "file": "models.py", "line": 44,
                                         "reason": "a view"}]
    assert report["pinned"] == []
    # Idempotent: the flipped app has nothing left to flip, and the file is not rewritten.
    mtime = (app / "models.py").stat().st_mtime_ns
    rc, out, _ = run(capsys, "flip", "--app-dir", str(app), "--check")
    assert rc == 0 and out.startswith("nothing to flip: 0 models managed, 1 kept unmanaged, 0 files changed")
    assert run(capsys, "flip", "--app-dir", str(app))[0] == 0
    assert (app / "models.py").stat().st_mtime_ns == mtime
    assert (app / "models.py").read_text() == HAND_EDITED_FLIPPED


def test_check_and_diff_write_nothing(tmp_path, capsys):
    app = write_app(tmp_path, {"models.py": HAND_EDITED})
    rc, out, err = run(capsys, "flip", "--app-dir", str(app), "--check", "--diff")
    assert rc == 1
    assert (app / "models.py").read_text() == HAND_EDITED
    assert out.startswith("--- a/legacy/models.py\n+++ b/legacy/models.py\n")
    assert "-        managed=False\n+        managed=True\n" in out
    assert ("-    class Meta: managed = 0; db_table = 'tags'\n"
            "+    class Meta: managed = True; db_table = 'tags'\n") in out
    assert sum(1 for ln in out.splitlines() if ln.startswith("+") and not ln.startswith("+++")) == 5
    assert err.startswith("flipped: 5 models managed")       # the summary leaves stdout to the diff


def test_out_dir_leaves_the_source_alone(tmp_path, capsys):
    app = write_app(tmp_path / "src", {"__init__.py": "# app\n", "models.py": HAND_EDITED, "views.py": "x = 1\n",
                                       "migrations/__init__.py": ""})
    before = snapshot(app)
    out_dir = tmp_path / "release" / "legacy"
    rc, _, err = run(capsys, "flip", "--app-dir", str(app), "--out-dir", str(out_dir))
    assert rc == 0, err
    assert snapshot(app) == before
    after = snapshot(out_dir)
    assert after.keys() == before.keys()
    assert after["models.py"] == HAND_EDITED_FLIPPED.encode()
    assert all(after[k] == before[k] for k in before if k != "models.py")


BASE = textwrap.dedent('''\
    from django.db import models


    class LegacyBase(models.Model):
        """PHP's tables."""
        created = models.DateTimeField()

        class Meta:
            abstract = True
            managed = False
''')

TICKETS = textwrap.dedent('''\
    from django.db import models

    from .base import LegacyBase


    class Tickets(LegacyBase):
        title = models.TextField()


    class Users(LegacyBase):
        class Meta(LegacyBase.Meta):
            db_table = 'users'


    # takeover: keep-unmanaged (no primary key)
    class AuditLog(LegacyBase):
        action = models.TextField()


    # takeover: keep-unmanaged (a view)
    class OpenTickets(LegacyBase):
        class Meta(LegacyBase.Meta):
            db_table = 'open_tickets'
''')

OTHER = textwrap.dedent('''\
    from django.db import models


    class Tags(models.Model):
        class Meta:
            managed = False
''')


def test_models_package_with_an_abstract_base(tmp_path, capsys):
    app = write_app(tmp_path, {"__init__.py": "",
                               "models/__init__.py": "from .tickets import *  # noqa\nfrom .tags import *  # noqa\n",
                               "models/base.py": BASE, "models/tickets.py": TICKETS, "models/tags.py": OTHER})
    rc, out, err = run(capsys, "flip", "--app-dir", str(app), "--json", str(tmp_path / "flip.json"))
    assert rc == 0, err
    # The base says True once; the keep-unmanaged children keep False, now explicitly in their own Meta.
    assert (app / "models/base.py").read_text() == BASE.replace("managed = False", "managed = True")
    assert (app / "models/tickets.py").read_text() == TICKETS.replace(
        "    action = models.TextField()\n",
        "    action = models.TextField()\n\n    class Meta(LegacyBase.Meta):\n        managed = False\n").replace(
        "    class Meta(LegacyBase.Meta):\n        db_table = 'open_tickets'\n",
        "    class Meta(LegacyBase.Meta):\n        managed = False\n        db_table = 'open_tickets'\n")
    assert (app / "models/tags.py").read_text() == OTHER.replace("managed = False", "managed = True")
    report = json.loads((tmp_path / "flip.json").read_text())
    assert report["files_changed"] == ["models/base.py", "models/tags.py", "models/tickets.py"]
    assert [(f["model"], f["file"], f["inherited_from"], f["managed_file"], f["managed_line"])
            for f in report["flipped"]] == [
        ("Tags", "models/tags.py", None, "models/tags.py", 6),
        ("Tickets", "models/tickets.py", "LegacyBase", "models/base.py", 10),
        ("Users", "models/tickets.py", "LegacyBase", "models/base.py", 10)]
    assert [(k["model"], k["reason"]) for k in report["kept_unmanaged"]] == [
        ("AuditLog", "no primary key"), ("OpenTickets", "a view")]
    assert [p["model"] for p in report["pinned"]] == ["AuditLog", "OpenTickets"]
    # What Django itself makes of the flipped package.
    out = manage(app, None, "shell", "-c", "from django.apps import apps; print(sorted((m.__name__, m._meta.managed) "
                                           "for m in apps.get_app_config('legacy').get_models()))")
    assert out.strip().splitlines()[-1] == (
        "[('AuditLog', False), ('OpenTickets', False), ('Tags', True), ('Tickets', True), ('Users', True)]")
    # Idempotent: the pinned children are kept, the base is managed.
    rc, out, _ = run(capsys, "flip", "--app-dir", str(app), "--check", "--json", str(tmp_path / "again.json"))
    assert rc == 0, out
    again = json.loads((tmp_path / "again.json").read_text())
    assert again["changed"] is False and again["flipped"] == [] and again["pinned"] == []
    assert [k["model"] for k in again["kept_unmanaged"]] == ["AuditLog", "OpenTickets"]


def test_lab_models_flip_like_generate_expects(tmp_path, capsys):
    source = LAB_MODELS.read_text()
    app = write_app(tmp_path, {"models.py": source})
    rc, out, _ = run(capsys, "flip", "--app-dir", str(app))
    assert rc == 0
    assert (app / "models.py").read_text() == modelsfile.flip_managed(source)
    assert out.splitlines() == ["flipped: 6 models managed, 1 kept unmanaged, 1 files changed",
                                "kept unmanaged: AuditLog (models.py:12): no primary key"]
    managed = {m.class_name: m.managed for m in modelsfile.read_models((app / "models.py").read_text())}
    assert managed == {"AuditLog": False, "Comments": True, "Tags": True, "TicketStatuses": True,
                       "TicketTags": True, "Tickets": True, "Users": True}


@pytest.mark.parametrize("bad, message", [
    ("class Broken(:\n", "cannot parse {app}/models/zz.py: "),
    ("from django.conf import settings\n\nclass X:\n    class Meta:\n        managed = settings.LEGACY\n",
     "{app}/models/zz.py:5: cannot decide `managed = settings.LEGACY` without running the project"),
])
def test_bad_file_stops_before_anything_is_written(tmp_path, capsys, bad, message):
    app = write_app(tmp_path, {"models/__init__.py": "", "models/tags.py": OTHER, "models/zz.py": bad})
    before = snapshot(app)
    for extra in ([], ["--check"], ["--out-dir", str(tmp_path / "out")]):
        rc, out, err = run(capsys, "flip", "--app-dir", str(app), "--json", str(tmp_path / "r.json"), *extra)
        assert rc == 2 and out == ""
        assert len(err.strip().splitlines()) == 1
        assert err.startswith("takeover-models flip: error: " + message.format(app=app))
    assert snapshot(app) == before
    assert not (tmp_path / "out").exists() and not (tmp_path / "r.json").exists()


def test_app_without_models_is_bad_input(tmp_path, capsys):
    app = write_app(tmp_path, {"views.py": ""})
    rc, _, err = run(capsys, "flip", "--app-dir", str(app))
    assert rc == 2
    assert err.strip() == (f"takeover-models flip: error: app directory {app} has neither models.py "
                           "nor a models/ package")
    rc, _, err = run(capsys, "flip", "--app-dir", str(tmp_path / "nope"))
    assert rc == 2 and "does not exist" in err


def test_out_dir_inside_the_app_is_refused(tmp_path, capsys):
    app = write_app(tmp_path, {"models.py": HAND_EDITED})
    rc, _, err = run(capsys, "flip", "--app-dir", str(app), "--out-dir", str(app / "flipped"))
    assert rc == 2 and "is inside --app-dir" in err
    assert sorted(p.name for p in app.iterdir()) == ["models.py"]


SHARED_META = textwrap.dedent('''\
    from django.db import models


    class LegacyMeta:
        managed = False  # PHP owns these


    class Settings:
        managed = "by PHP"   # not a Meta: never read as one


    class Tickets(models.Model):
        class Meta(LegacyMeta):
            db_table = 'tickets'


    # takeover: keep-unmanaged (a view)
    class OpenTickets(models.Model):
        class Meta(LegacyMeta):
            db_table = 'open_tickets'
''')


def test_meta_inherited_from_a_plain_class(tmp_path, capsys):
    app = write_app(tmp_path, {"models.py": SHARED_META})
    rc, _, err = run(capsys, "flip", "--app-dir", str(app), "--json", str(tmp_path / "flip.json"))
    assert rc == 0, err
    assert (app / "models.py").read_text() == SHARED_META.replace(
        "managed = False  # PHP owns these", "managed = True  # PHP owns these").replace(
        "    class Meta(LegacyMeta):\n        db_table = 'open_tickets'",
        "    class Meta(LegacyMeta):\n        managed = False\n        db_table = 'open_tickets'")
    report = json.loads((tmp_path / "flip.json").read_text())
    assert [(f["model"], f["inherited_from"], f["managed_line"]) for f in report["flipped"]] == [
        ("Tickets", "LegacyMeta", 5)]
    assert [p["model"] for p in report["pinned"]] == ["OpenTickets"]
    assert run(capsys, "flip", "--app-dir", str(app), "--check")[0] == 0
