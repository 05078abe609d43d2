"""inventories/example is proved, not just written: a copy of it whose only
changes are host addresses, ports and a test vault deploys Django beside PHP
on dev, over SSH as `deploy` with sudo, and a re-run changes nothing.

Its host is a one-host lab of its own (dev's host, with the legacy app a team
already has), so the shared lab is left exactly as it was.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from . import lab

# Over SSH whatever the lab's own connection: the example describes SSH hosts.
pytestmark = pytest.mark.integration

EXAMPLE = lab.REPO / "inventories" / "example"
LAB_HOST = lab.hosts("dev")[0]
# Beside the lab under test, on ports of its own.
ENV = {"TAKEOVER_LAB_NAME": f"{lab.LAB_NAME}-example",
       "TAKEOVER_LAB_PORT_OFFSET": str(lab.PORT_OFFSET + 100)}
SSH_DIR = lab.REPO / ".cache" / "lab" / ENV["TAKEOVER_LAB_NAME"]
SSH_PORT = lab.TOPOLOGY.ssh_port(LAB_HOST) + 100
HTTP_PORT = lab.http_port(LAB_HOST) + 100


@pytest.fixture(scope="module")
def dev_host():
    """dev's host as a team has it before the takeover: PostgreSQL with the
    legacy database and the PHP app behind nginx."""
    try:
        up = lab.run_playbook("lab-up.yml", env=ENV, extravars={"lab_containers_hosts": [LAB_HOST]})
        assert up.rc == 0, up.stdout[-3000:]
        legacy = lab.run_playbook("lab-legacy.yml", env=ENV, limit=LAB_HOST)
        assert legacy.rc == 0, legacy.stdout[-3000:]
        yield LAB_HOST
    finally:
        lab.run_playbook("lab-down.yml", env=ENV)


def example_copy(dest, host: str, vault_password_file) -> None:
    """The example inventory with only host addresses, ports and the vault changed."""
    shutil.copytree(EXAMPLE, dest)
    dev_name = next(iter(yaml.safe_load((EXAMPLE / "hosts.yml").read_text())["all"]["children"]["dev"]["hosts"]))
    # The host is known by its lab name: the name its peers resolve it by.
    for path in [dest / "hosts.yml", *sorted((dest / "group_vars").glob("*.yml"))]:
        path.write_text(path.read_text().replace(dev_name, host))
    (dest / "host_vars").mkdir()
    (dest / "host_vars" / f"{host}.yml").write_text(
        yaml.safe_dump({"ansible_host": "127.0.0.1", "ansible_port": SSH_PORT}))
    vault = yaml.safe_load((EXAMPLE / "group_vars" / "all" / "vault.yml").read_text())
    # As the example says to make them: secrets.token_urlsafe(50).
    values = {name: secrets.token_urlsafe(50) for name in vault}
    # The legacy database exists already, with the password the team has.
    values["vault_takeover_legacy_db_password"] = lab.vault_value("vault_takeover_legacy_db_password")
    vault_file = dest / "group_vars" / "all" / "vault.yml"
    vault_file.write_text(yaml.safe_dump(values))
    # The test password replaces the lab's (ansible.cfg), as a team's own would.
    subprocess.run([str(Path(sys.executable).parent / "ansible-vault"), "encrypt", str(vault_file)],
                   env={**os.environ, "ANSIBLE_CONFIG": str(lab.REPO / "ansible.cfg"),
                        "ANSIBLE_VAULT_PASSWORD_FILE": str(vault_password_file)},
                   check=True, capture_output=True)


def test_example_inventory_deploys_dev_over_ssh(dev_host, tmp_path):
    password_file = tmp_path / "vault-password"
    password_file.write_text(secrets.token_urlsafe(24))
    inventory = tmp_path / "example"
    example_copy(inventory, dev_host, password_file)
    assert "$ANSIBLE_VAULT" in (inventory / "group_vars" / "all" / "vault.yml").read_text()
    # What a team keeps in its ssh config: which key, which known hosts.
    env = {**ENV,
           "ANSIBLE_VAULT_PASSWORD_FILE": str(password_file),
           "ANSIBLE_PRIVATE_KEY_FILE": str(SSH_DIR / "id_ed25519"),
           "ANSIBLE_SSH_COMMON_ARGS": f"-o UserKnownHostsFile={SSH_DIR / 'known_hosts'} "
                                      "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes"}

    first = lab.run_playbook("deploy-sidebyside.yml", inventory=inventory, limit="localhost,dev", env=env)
    assert first.rc == 0 and not first.failed_hosts(), first.stdout[-4000:]
    assert dev_host in first.changed_hosts()
    again = lab.run_playbook("deploy-sidebyside.yml", inventory=inventory, limit="localhost,dev", env=env)
    assert again.rc == 0 and again.changed_hosts() == {}, again.stdout[-4000:]

    server_name = yaml.safe_load((EXAMPLE / "group_vars" / "all" / "django.yml").read_text())[
        "takeover_edge_nginx_server_name"]
    for cookie, expect in ((None, "name=\"csrf\""), ("takeover_app=django", "/_takeover/")):
        req = urllib.request.Request(f"http://127.0.0.1:{HTTP_PORT}/_takeover/django/healthz"
                                     if cookie else f"http://127.0.0.1:{HTTP_PORT}/login.php",
                                     headers={"Host": server_name, **({"Cookie": cookie} if cookie else {})})
        with urllib.request.urlopen(req, timeout=lab.HTTP_TIMEOUT) as resp:
            assert resp.status == 200
            if not cookie:
                assert expect in resp.read().decode()
