"""Drive the lab the way an operator would: playbooks and modules through
ansible-runner, pages over HTTP through each app host's nginx on 127.0.0.1.

The lab's identity comes from the same environment variables the inventory
reads (TAKEOVER_LAB_NAME, TAKEOVER_LAB_PORT_OFFSET), so these helpers reach
whichever lab is up: the demo one or molecule's.
"""

from __future__ import annotations

import functools
import html
import http.cookiejar
import json
import os
import re
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import ansible_runner

from django_takeover import topology
from django_takeover.topology import Topology

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "inventories" / "lab"
LAB_NAME = os.environ.get("TAKEOVER_LAB_NAME") or "takeover"
PORT_OFFSET = int(os.environ.get("TAKEOVER_LAB_PORT_OFFSET") or 0)
HTTP_TIMEOUT = 20

# ansible-runner looks the ansible commands up on PATH; use the ones installed
# beside this interpreter, whatever the caller's PATH holds.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


TOPOLOGY = Topology.load(INVENTORY, PORT_OFFSET)
ENVS = topology.ENVS
hosts = TOPOLOGY.hosts
env_of = TOPOLOGY.env_of
db_host_of = TOPOLOGY.db_host_of
http_port = TOPOLOGY.http_port
ssh_port = TOPOLOGY.ssh_port
# How playbooks reach the hosts (group_vars/lab.yml): over SSH as deploy, or
# with docker exec when TAKEOVER_LAB_CONNECTION=docker.
CONNECTION = os.environ.get("TAKEOVER_LAB_CONNECTION") or "ssh"
# The lab's key pair and recorded host keys (made by lab_containers, not in git).
SSH_DIR = REPO / ".cache" / "lab" / LAB_NAME


def container(host: str) -> str:
    """The Docker container that plays `host` (lab_container_name)."""
    return f"{LAB_NAME}-{host}"


def _envvars(overrides: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "TAKEOVER_LAB_NAME": LAB_NAME,
        "TAKEOVER_LAB_PORT_OFFSET": str(PORT_OFFSET),
        "TAKEOVER_LAB_CONNECTION": CONNECTION,
        # ansible-runner turns host key checking off unless told otherwise.
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_NOCOLOR": "1",
        **(overrides or {}),
    }


@dataclass
class Run:
    rc: int
    status: str
    stats: dict
    stdout: str
    events: list = field(repr=False, default_factory=list)

    def changed_hosts(self) -> dict[str, int]:
        return {h: n for h, n in (self.stats.get("changed") or {}).items() if n}

    def failed_hosts(self) -> dict[str, int]:
        bad = {}
        for key in ("failures", "dark"):
            bad.update({h: n for h, n in (self.stats.get(key) or {}).items() if n})
        return bad


def _run(*, env: dict[str, str] | None = None, inventory: Path = INVENTORY, **kwargs) -> Run:
    private = tempfile.mkdtemp(prefix="takeover-runner-")
    try:
        runner = ansible_runner.run(
            private_data_dir=private,
            project_dir=str(REPO),
            inventory=str(inventory),
            envvars=_envvars(env),
            quiet=True,
            suppress_env_files=True,
            **kwargs,
        )
        stdout = runner.stdout.read()
        return Run(rc=runner.rc, status=runner.status, stats=runner.stats or {},
                   stdout=stdout, events=list(runner.events))
    finally:
        shutil.rmtree(private, ignore_errors=True)


def run_playbook(playbook: str, *, check: bool = False, diff: bool = False,
                 extravars: dict | None = None, limit: str | None = None,
                 env: dict[str, str] | None = None, inventory: Path = INVENTORY) -> Run:
    cmdline = []
    if check:
        cmdline.append("--check")
    if diff:
        cmdline.append("--diff")
    return _run(playbook=str(REPO / "playbooks" / playbook), cmdline=" ".join(cmdline) or None,
                extravars=extravars or {}, limit=limit, env=env, inventory=inventory)


def run_module(host: str, module: str, args: dict, *, become_user: str | None = None,
               become: bool = True, env: dict[str, str] | None = None) -> dict:
    """Run one module on one host and return its result, failing loudly.

    As root through the inventory's become by default; `become_user` another
    user through sudo; `become=False` as the connecting user itself."""
    cmdline = []
    if become_user:
        cmdline.append(f"--become --become-user {become_user}")
    if not become:
        # An extra var, because the inventory's ansible_become outranks --become.
        cmdline.append("-e '{\"ansible_become\": false}'")
    run = _run(host_pattern=host, module=module, module_args=json.dumps(args),
               cmdline=" ".join(cmdline) or None, env=env)
    for event in run.events:
        if event.get("event") in ("runner_on_ok", "runner_on_failed", "runner_on_unreachable"):
            result = event["event_data"]["res"]
            if event["event"] != "runner_on_ok":
                raise AssertionError(f"{module} on {host} failed: {result.get('msg', result)}")
            return result
    raise AssertionError(f"{module} on {host} returned nothing:\n{run.stdout}")


def sql(host: str, query: str, db: str | None = None, **named_args) -> list[dict]:
    """Run SQL on a database host as the local superuser, through psycopg on the host."""
    args = {"db": db or legacy_db_name(), "query": query}
    if named_args:
        args["named_args"] = named_args
    return run_module(host, "community.postgresql.postgresql_query", args,
                      become_user="postgres")["query_result"]


def inventory_var(name: str, host: str = "localhost"):
    """A variable as a playbook on `host` sees it (vault values decrypted)."""
    result = run_module(host, "ansible.builtin.debug", {"var": name})
    return result[name]


def vault_value(name: str) -> str:
    return inventory_var(name)


@functools.cache
def legacy_db_name() -> str:
    return inventory_var("takeover_legacy_db_name")


@dataclass(frozen=True)
class DjangoAppPaths:
    """Where takeover_django_app puts things, from the inventory's service
    name and the role's documented defaults (root /srv/<service>, environment
    file /etc/<service>/env)."""
    service: str

    @property
    def root(self) -> str:
        return f"/srv/{self.service}"

    @property
    def config_dir(self) -> str:
        return f"/etc/{self.service}"

    @property
    def env_file(self) -> str:
        return f"{self.config_dir}/env"


@functools.cache
def django_app() -> DjangoAppPaths:
    return DjangoAppPaths(inventory_var("takeover_django_app_service"))


@functools.cache
def django_source_dir() -> Path:
    return Path(inventory_var("takeover_django_app_source_dir"))


class Browser:
    """A cookie-keeping HTTP client for one app host's nginx."""

    def __init__(self, host: str, cookies: dict[str, str] | None = None):
        self.base = f"http://127.0.0.1:{http_port(host)}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        # Into the jar, not a Cookie header: urllib sends no jar cookie at all
        # (session, CSRF) when a request already carries that header.
        for name, value in (cookies or {}).items():
            self.jar.set_cookie(http.cookiejar.Cookie(
                0, name, value, None, False, "127.0.0.1", False, False, "/", True,
                False, None, True, None, None, {}))

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body)
        try:
            with self.opener.open(req, timeout=HTTP_TIMEOUT) as resp:
                return resp.status, resp.geturl(), resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.geturl(), err.read().decode()

    @staticmethod
    def csrf(page: str, field_name: str = "csrf") -> str:
        match = re.search(rf'name="{field_name}"\s+value="([^"]+)"', page) or \
            re.search(rf'value="([^"]+)"\s+name="{field_name}"', page)
        assert match, f"no {field_name} token in the page"
        return html.unescape(match.group(1))
