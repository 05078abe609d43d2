"""
The controller's one build path: reproducible archives and target wheelhouses.

Every artifact the roles ship to a host is made here, once per content, and
cached under a name that is a hash of what went into it. The same inputs give
the same name and the same bytes, so a re-run ships nothing and a host can
tell "already have it" from the file name alone.

    python -m django_takeover.build pack --source DIR --cache DIR --name NAME [--exclude GLOB]... [--mix FILE|TEXT]...
    python -m django_takeover.build wheelhouse --cache DIR (--requirements FILE | --self-extra EXTRA)
           [--python-version 3.11] [--abi cp311] [--glibc 2.36] [--arch x86_64]

Each prints one JSON object: {"id": ..., "archive": ...}. Errors are one line
on stderr and exit 2.

Archives are written with Python's tarfile rather than GNU tar's
--sort/--mtime flags so that the normalisation (names sorted, mtime 0, owner
root, modes u=rwX,go=rX) is the same on every controller, macOS included.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import importlib.metadata
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

SELF_DISTRIBUTION = "django-takeover"
ID_LENGTH = 12


class BuildError(Exception):
    """A build input is wrong; the message is meant for the operator as is."""


def _excluded(relpath: str, patterns: list[str]) -> bool:
    # tar --exclude semantics: a pattern matches the whole relative path or
    # any single component of it.
    parts = relpath.split("/")
    return any(fnmatch.fnmatch(relpath, p) or any(fnmatch.fnmatch(part, p) for part in parts) for p in patterns)


def _normalised(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    executable = info.isdir() or info.mode & 0o111
    info.mode = 0o755 if executable else 0o644
    return info


def pack_bytes(source: Path, excludes: list[str]) -> bytes:
    """The tree under `source` as a reproducible, uncompressed tar."""
    if not source.is_dir():
        raise BuildError(f"source directory {source} does not exist")
    paths = []
    for root, dirs, files in os.walk(source):
        rel_root = os.path.relpath(root, source)
        dirs[:] = [d for d in dirs if not _excluded(os.path.normpath(os.path.join(rel_root, d)), excludes)]
        for name in [*dirs, *files]:
            rel = os.path.normpath(os.path.join(rel_root, name))
            if not _excluded(rel, excludes):
                paths.append(rel)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in sorted(paths):
            full = source / rel
            info = _normalised(tar.gettarinfo(str(full), arcname=f"./{rel}"))
            if info.isreg():
                with open(full, "rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    return buffer.getvalue()


def _digest(*chunks: bytes) -> str:
    outer = hashlib.sha256()
    for chunk in chunks:
        outer.update(hashlib.sha256(chunk).digest())
    return outer.hexdigest()[:ID_LENGTH]


def _store(cache: Path, name: str, artifact_id: str, data: bytes) -> Path:
    """Write data as <name>-<id>.tar unless it is already there (mode 0644)."""
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{name}-{artifact_id}.tar"
    if not target.exists():
        with tempfile.NamedTemporaryFile(dir=cache, prefix=f".{name}.", delete=False) as tmp:
            tmp.write(data)
        os.chmod(tmp.name, 0o644)
        os.replace(tmp.name, target)
    return target


def _mix_bytes(mix: list[str]) -> list[bytes]:
    # A --mix value that names a file stands for its content (a requirements
    # file); anything else (a salt) for itself.
    return [Path(m).read_bytes() if os.path.isfile(m) else m.encode() for m in mix]


def pack(source: Path, cache: Path, name: str, excludes: list[str], mix: list[str]) -> dict:
    data = pack_bytes(source, excludes)
    artifact_id = _digest(data, *_mix_bytes(mix))
    return {"id": artifact_id, "archive": str(_store(cache, name, artifact_id, data))}


def self_source_root() -> Path:
    """The source tree of this distribution (an editable or in-tree install)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise BuildError(
            f"{SELF_DISTRIBUTION} is not installed from its source tree, so no wheel of it can be built: "
            "install it with 'pip install -e .' from a checkout"
        )
    return root


def self_version() -> str:
    return importlib.metadata.version(SELF_DISTRIBUTION)


def _installed_closure(extra: str) -> list[str]:
    """Exact pins, from this controller's environment, of everything
    `django-takeover[extra]` needs: the targets run what was tested here."""
    pins: dict[str, str] = {}
    walked: set[tuple[str, str]] = set()
    pending = [(SELF_DISTRIBUTION, extra)]
    while pending:
        name, wanted_extra = pending.pop()
        key = canonicalize_name(name)
        if (key, wanted_extra) in walked:
            continue
        walked.add((key, wanted_extra))
        dist = importlib.metadata.distribution(name)
        if key != canonicalize_name(SELF_DISTRIBUTION):
            pins[key] = f"{dist.metadata['Name']}=={dist.version}"
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker and not req.marker.evaluate({"extra": wanted_extra}):
                continue
            pending += [(req.name, e) for e in (req.extras or {""})]
    pins.pop(canonicalize_name(SELF_DISTRIBUTION), None)
    return [f"{SELF_DISTRIBUTION}[{extra}]=={self_version()}", *sorted(pins.values(), key=str.lower)]


def _names_self(requirements: str) -> bool:
    for line in requirements.splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-") and canonicalize_name(Requirement(line).name) == SELF_DISTRIBUTION:
            return True
    return False


def _self_wheel(cache: Path) -> tuple[Path, str]:
    """A wheel of this distribution, built once per source content."""
    root = self_source_root()
    sources = pack_bytes(root / "src", ["__pycache__", "*.pyc", "*.egg-info"])
    source_id = _digest(sources, (root / "pyproject.toml").read_bytes())
    wheel_dir = cache / f"self-wheel-{source_id}"
    if not wheel_dir.is_dir():
        work = Path(tempfile.mkdtemp(dir=cache, prefix=".self-wheel."))
        try:
            # Build from a copy: setuptools writes build/ and *.egg-info into
            # the tree it builds, and the checkout must stay clean.
            tree = work / "tree"
            shutil.copytree(root, tree, ignore=shutil.ignore_patterns(
                ".git", ".venv", ".cache", "artifacts", "build", "*.egg-info", "__pycache__", "lab", "tests",
                "molecule", "roles", "inventories", ".ansible"))
            _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                  "--no-deps", "--wheel-dir", str(work / "wheels"), str(tree)], f"building the {SELF_DISTRIBUTION} wheel")
            os.replace(work / "wheels", wheel_dir)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return wheel_dir, source_id


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BuildError(f"{what} failed: {detail[-1] if detail else f'exit {done.returncode}'}")


def platform_tags(glibc: str, arch: str) -> list[str]:
    """Every wheel platform tag a glibc `glibc` host of `arch` can run."""
    major, minor = (int(x) for x in glibc.split("."))
    legacy = {"2.17": "manylinux2014", "2.12": "manylinux2010", "2.5": "manylinux1"}
    tags = [f"manylinux_{major}_{m}_{arch}" for m in range(minor, 4, -1)]
    tags += [f"{alias}_{arch}" for version, alias in legacy.items() if int(version.split(".")[1]) <= minor]
    return [*tags, f"linux_{arch}", "any"]


def wheelhouse(cache: Path, requirements_text: str, python_version: str, abi: str, glibc: str, arch: str) -> dict:
    """Wheels for the targets' interpreter and platform, never the controller's.

    --only-binary makes a package without a fitting wheel fail here, on the
    controller, instead of on a host with no compiler or network.
    """
    platform_args = ["--implementation", "cp", "--python-version", python_version,
                     "--abi", abi, "--abi", "abi3", "--abi", "none"]
    for tag in platform_tags(glibc, arch):
        platform_args += ["--platform", tag]
    inputs = [requirements_text.encode(), " ".join(platform_args).encode()]
    find_links: list[str] = []
    if _names_self(requirements_text):
        wheel_dir, source_id = _self_wheel(cache)
        inputs.append(source_id.encode())
        find_links = ["--find-links", str(wheel_dir)]
    artifact_id = _digest(*inputs)
    target = cache / f"wheelhouse-{artifact_id}.tar"
    if not target.exists():
        work = Path(tempfile.mkdtemp(dir=cache, prefix=".wheelhouse."))
        try:
            wheels = work / "wheels"
            wheels.mkdir()
            (wheels / "requirements.txt").write_text(requirements_text)
            _run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                  "--only-binary=:all:", "--dest", str(wheels), *find_links,
                  "--requirement", str(wheels / "requirements.txt"), *platform_args],
                 "downloading the wheels for the targets")
            _store(cache, "wheelhouse", artifact_id, pack_bytes(wheels, []))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return {"id": artifact_id, "archive": str(target)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m django_takeover.build", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_pack = sub.add_parser("pack", help="a reproducible tar of a directory, named by its content hash")
    p_pack.add_argument("--source", type=Path, required=True)
    p_pack.add_argument("--cache", type=Path, required=True)
    p_pack.add_argument("--name", required=True, help="archive name prefix (<name>-<id>.tar)")
    p_pack.add_argument("--exclude", action="append", default=[], help="glob, as tar --exclude")
    p_pack.add_argument("--mix", action="append", default=[],
                        help="also hashed into the id: a file's content, or a literal string")
    p_wheels = sub.add_parser("wheelhouse", help="wheels for the targets, named by their inputs' hash")
    p_wheels.add_argument("--cache", type=Path, required=True)
    source = p_wheels.add_mutually_exclusive_group(required=True)
    source.add_argument("--requirements", type=Path, help="an exactly pinned requirements file")
    source.add_argument("--self-extra", metavar="EXTRA",
                        help=f"{SELF_DISTRIBUTION}[EXTRA], pinned to the versions installed here")
    p_wheels.add_argument("--python-version", default="3.11")
    p_wheels.add_argument("--abi", default="cp311")
    p_wheels.add_argument("--glibc", default="2.36", help="the targets' glibc (Debian 12: 2.36)")
    p_wheels.add_argument("--arch", default="x86_64")
    args = parser.parse_args(argv)
    try:
        if args.command == "pack":
            result = pack(args.source, args.cache, args.name, args.exclude, args.mix)
        else:
            if args.requirements is not None:
                if not args.requirements.is_file():
                    raise BuildError(f"requirements file {args.requirements} does not exist")
                text = args.requirements.read_text()
            else:
                text = "\n".join(_installed_closure(args.self_extra)) + "\n"
            if not re.fullmatch(r"\d+\.\d+", args.glibc):
                raise BuildError(f"--glibc must look like 2.36, not {args.glibc!r}")
            result = wheelhouse(args.cache, text, args.python_version, args.abi, args.glibc, args.arch)
    except (BuildError, OSError, importlib.metadata.PackageNotFoundError) as exc:
        print(f"takeover build: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
