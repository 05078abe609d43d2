#!/usr/bin/python
# Copyright: django-takeover contributors. MIT license.
"""Count what the edge served, per app, over a recent window of its JSON access log."""

from __future__ import annotations

DOCUMENTATION = r"""
module: takeover_access_log
short_description: Count requests, 5xx and users per app in the edge's JSON access log over a window
description:
  - Reads the JSON-lines access log that takeover_edge_nginx writes (one object per request with C(time),
    C(uri), C(status), C(app), C(uid)) and counts, for the requests of the last I(minutes), how many each app
    served, how many of those were 5xx, and how many distinct identities each app saw.
  - Only the newest I(max_bytes) of the file are read, so a large log costs a bounded read. Lines that are
    not JSON are counted in C(unparsed) and otherwise ignored. Changes nothing; the same in check mode.
options:
  path:
    description: The access log.
    type: path
    required: true
  minutes:
    description: Length of the window, ending now.
    type: int
    default: 60
  exclude_uris:
    description: URIs never counted (health checks).
    type: list
    elements: str
    default: []
  max_bytes:
    description: How much of the end of the file is read at most.
    type: int
    default: 67108864
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

RETURN = r"""
requests:
  description: Requests per app in the window.
  type: dict
  returned: always
errors:
  description: 5xx responses per app in the window.
  type: dict
  returned: always
users:
  description: Distinct non-empty identities per app in the window.
  type: dict
  returned: always
unparsed:
  description: Lines in the read part that were not JSON objects with a time.
  type: int
  returned: always
exists:
  description: Whether the log file exists (a missing log counts nothing).
  type: bool
  returned: always
"""

EXAMPLES = r"""
- name: Count what PHP served in the last 30 minutes
  takeover_access_log:
    path: /var/log/nginx/helpdesk-takeover.log
    minutes: 30
    exclude_uris: [/healthz.php]
  register: served
"""

import json
import os
from datetime import datetime, timedelta, timezone

from ansible.module_utils.basic import AnsibleModule


def count(path, minutes, exclude, max_bytes, now=None):
    now = now or datetime.now(timezone.utc)
    since = now - timedelta(minutes=minutes)
    requests, errors, users, unparsed = {}, {}, {}, 0
    if not os.path.exists(path):
        return {"requests": {}, "errors": {}, "users": {}, "unparsed": 0, "exists": False}
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - max_bytes))
        if size > max_bytes:
            fh.readline()  # a partial first line
        data = fh.read()
    for raw in data.splitlines():
        try:
            entry = json.loads(raw)
            when = datetime.fromisoformat(entry["time"])
        except (ValueError, KeyError, TypeError):
            unparsed += 1
            continue
        if when < since or entry.get("uri") in exclude:
            continue
        app = entry.get("app") or "unknown"
        requests[app] = requests.get(app, 0) + 1
        if str(entry.get("status", "")).startswith("5"):
            errors[app] = errors.get(app, 0) + 1
        if entry.get("uid"):
            users.setdefault(app, set()).add(entry["uid"])
    return {"requests": requests, "errors": errors, "users": {k: len(v) for k, v in users.items()},
            "unparsed": unparsed, "exists": True}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            minutes=dict(type="int", default=60),
            exclude_uris=dict(type="list", elements="str", default=[]),
            max_bytes=dict(type="int", default=64 * 1024 * 1024),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        result = count(p["path"], p["minutes"], set(p["exclude_uris"]), p["max_bytes"])
    except OSError as exc:
        module.fail_json(msg=f"cannot read {p['path']}: {exc}")
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
