#!/usr/bin/python
# Copyright: django-takeover contributors. MIT license.
"""Compare a host with the state a run would give it, in one round trip."""

from __future__ import annotations

DOCUMENTATION = r"""
module: takeover_host_state
short_description: Tell in one round trip whether a host already is what a run would make it
description:
  - Reads files (content checksum, mode, owner, group), symlinks, systemd units and HTTP answers on the
    host and compares them with what the caller expects. Changes nothing; the same in check mode.
  - "The roles use it for their fast path: when everything matches, the run skips the work, and any drift
    (a hand-edited file, a stopped service, a changed inventory value, a failing health URL) sends it
    down the full path that heals it."
options:
  files:
    description: Path to the expected C(sha1) of its content and, optionally, its C(mode), C(owner), C(group).
    type: dict
    default: {}
  exists:
    description: Paths that must exist.
    type: list
    elements: path
    default: []
  links:
    description: Symlink path to the target it must point at (as written, not resolved).
    type: dict
    default: {}
  units:
    description: systemd units that must be active and enabled.
    type: list
    elements: str
    default: []
  urls:
    description: HTTP checks from the host itself, each with C(url), C(status) (default 200) and C(headers).
    type: list
    elements: dict
    default: []
  timeout:
    description: Seconds each HTTP check may take.
    type: int
    default: 5
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

RETURN = r"""
in_sync:
  description: True when every expectation holds.
  type: bool
  returned: always
drift:
  description: One line per expectation that does not hold.
  type: list
  elements: str
  returned: always
"""

import grp
import hashlib
import os
import pwd
import stat
import subprocess
import urllib.error
import urllib.request

from ansible.module_utils.basic import AnsibleModule


def _file_drift(path, want):
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return f"{path}: missing"
    except PermissionError:
        return f"{path}: not readable"
    if not stat.S_ISREG(info.st_mode):
        return f"{path}: not a regular file"
    problems = []
    if "mode" in want and stat.S_IMODE(info.st_mode) != int(str(want["mode"]), 8):
        problems.append(f"mode {stat.S_IMODE(info.st_mode):04o}, want {want['mode']}")
    if "owner" in want and _name(pwd.getpwuid, info.st_uid) != want["owner"]:
        problems.append(f"owner {_name(pwd.getpwuid, info.st_uid)}, want {want['owner']}")
    if "group" in want and _name(grp.getgrgid, info.st_gid) != want["group"]:
        problems.append(f"group {_name(grp.getgrgid, info.st_gid)}, want {want['group']}")
    if "sha1" in want:
        digest = hashlib.sha1()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                digest.update(chunk)
        if digest.hexdigest() != want["sha1"]:
            problems.append("content differs")
    return f"{path}: {', '.join(problems)}" if problems else None


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def _unit_drift(unit):
    out = subprocess.run(["systemctl", "show", unit, "--property=ActiveState,UnitFileState"],
                         capture_output=True, text=True, check=False).stdout
    props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    problems = []
    if props.get("ActiveState") != "active":
        problems.append(f"{props.get('ActiveState', 'unknown')}, want active")
    if props.get("UnitFileState") != "enabled":
        problems.append(f"{props.get('UnitFileState', 'unknown')}, want enabled")
    return f"{unit}: {', '.join(problems)}" if problems else None


def _url_drift(check, timeout):
    want = int(check.get("status", 200))
    request = urllib.request.Request(check["url"], headers=check.get("headers") or {})
    # No redirects followed: a redirect is an answer of its own to compare.
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as err:
        status = err.code
    except (urllib.error.URLError, OSError) as err:
        return f"{check['url']}: {getattr(err, 'reason', err)}"
    return None if status == want else f"{check['url']}: HTTP {status}, want {want}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main():
    module = AnsibleModule(
        argument_spec={
            "files": {"type": "dict", "default": {}},
            "exists": {"type": "list", "elements": "path", "default": []},
            "links": {"type": "dict", "default": {}},
            "units": {"type": "list", "elements": "str", "default": []},
            "urls": {"type": "list", "elements": "dict", "default": []},
            "timeout": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
    )
    params = module.params
    drift = []
    for path, want in params["files"].items():
        drift.append(_file_drift(path, want or {}))
    for path in params["exists"]:
        drift.append(None if os.path.exists(path) else f"{path}: missing")
    for path, target in params["links"].items():
        try:
            actual = os.readlink(path)
        except OSError:
            actual = None
        drift.append(None if actual == target else f"{path}: points at {actual}, want {target}")
    for unit in params["units"]:
        drift.append(_unit_drift(unit))
    # HTTP last: only worth asking when the files and services are right.
    if not any(drift):
        for check in params["urls"]:
            drift.append(_url_drift(check, params["timeout"]))
    drift = [line for line in drift if line]
    module.exit_json(changed=False, in_sync=not drift, drift=drift)


if __name__ == "__main__":
    main()
