"""The controller's build path: reproducible archives named by their content."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pytest

from django_takeover import build


def _tree(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "app.py").write_text("print('hi')\n")
    (root / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(root / "run.sh", 0o700)
    (root / "pkg" / "__pycache__").mkdir()
    (root / "pkg" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    (root / ".env").write_text("SECRET=1\n")
    return root


def test_pack_is_reproducible_and_normalised(tmp_path):
    source = _tree(tmp_path / "src")
    first = build.pack(source, tmp_path / "cache", "release", ["__pycache__", ".env"], [])
    os.utime(source / "pkg" / "app.py", (1, 1))  # a touched file is not a changed file
    os.chmod(source / "pkg" / "app.py", 0o600)
    second = build.pack(source, tmp_path / "cache2", "release", ["__pycache__", ".env"], [])
    assert first["id"] == second["id"]
    assert Path(first["archive"]).read_bytes() == Path(second["archive"]).read_bytes()
    assert Path(first["archive"]).name == f"release-{first['id']}.tar"
    assert oct(Path(first["archive"]).stat().st_mode & 0o777) == "0o644"
    with tarfile.open(first["archive"]) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert sorted(members) == ["./pkg", "./pkg/app.py", "./run.sh"]
    assert {(m.uid, m.gid, m.mtime) for m in members.values()} == {(0, 0, 0)}
    assert members["./run.sh"].mode == 0o755 and members["./pkg/app.py"].mode == 0o644


def test_pack_id_follows_content_and_mixed_inputs(tmp_path):
    source = _tree(tmp_path / "src")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Django==5.2.19\n")
    base = build.pack(source, tmp_path / "c", "r", [], [str(requirements)])
    requirements.write_text("Django==5.2.18\n")
    assert build.pack(source, tmp_path / "c", "r", [], [str(requirements)])["id"] != base["id"]
    assert build.pack(source, tmp_path / "c", "r", [], [str(requirements), "salt"])["id"] != base["id"]
    (source / "pkg" / "app.py").write_text("print('changed')\n")
    assert build.pack(source, tmp_path / "c", "r", [], [])["id"] != base["id"]


def test_platform_tags_cover_every_manylinux_up_to_the_targets_glibc():
    tags = build.platform_tags("2.36", "x86_64")
    assert tags[0] == "manylinux_2_36_x86_64"
    assert "manylinux_2_17_x86_64" in tags and "manylinux2014_x86_64" in tags
    assert "manylinux_2_37_x86_64" not in tags
    assert tags[-2:] == ["linux_x86_64", "any"]


def test_tools_closure_is_pinned_to_this_controller():
    closure = build._installed_closure("tools")
    assert closure[0] == f"django-takeover[tools]=={build.self_version()}"
    names = {line.split("==")[0].lower() for line in closure[1:]}
    assert {"django", "psycopg", "psycopg-binary", "asgiref", "sqlparse"} <= names
    assert all("==" in line for line in closure)


def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys):
    assert build.main(["pack", "--source", str(tmp_path / "missing"), "--cache", str(tmp_path), "--name", "x"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("takeover build: error:") and "does not exist" in err and "\n" not in err
    assert build.main(["wheelhouse", "--cache", str(tmp_path), "--requirements", str(tmp_path / "nope.txt")]) == 2


def test_cli_prints_the_artifact(tmp_path, capsys):
    source = _tree(tmp_path / "src")
    assert build.main(["pack", "--source", str(source), "--cache", str(tmp_path / "c"), "--name", "app",
                       "--exclude", "__pycache__"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert Path(result["archive"]).is_file()


@pytest.mark.parametrize("pattern,path,excluded", [
    ("__pycache__", "a/__pycache__/x.pyc", True),
    ("*.pyc", "a/b.pyc", True),
    ("local_settings.py", "site/local_settings.py", True),
    ("static", "staticfiles/x", False),
])
def test_excludes_match_like_tar(pattern, path, excluded):
    assert build._excluded(path, [pattern]) is excluded
