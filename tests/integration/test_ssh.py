"""The lab is reached the way a team reaches its hosts: over SSH, as the
unprivileged `deploy` user, who becomes root, `postgres` or the app's user
through sudo, with every host key checked against the recorded one."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid

import pytest
import yaml

from . import lab

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(lab.CONNECTION != "ssh", reason="the lab is reached with docker exec, not SSH"),
]

LAB_HOSTS = lab.hosts("lab")


def docker_exec(host: str, script: str, *args: str) -> str:
    return subprocess.run(["docker", "exec", lab.container(host), "sh", "-euc", script, "sh", *args],
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("host", LAB_HOSTS)
def test_every_host_is_reached_over_ssh_as_deploy_who_becomes_root(host):
    who = lab.run_module(host, "ansible.builtin.shell", {"cmd": "id -un; echo $SSH_CONNECTION; umask"},
                         become=False)["stdout"].splitlines()
    assert who[0] == "deploy"
    # client address, client port, server address, server port: sshd's own port.
    assert who[1].split()[3] == "22", who
    assert who[2] == "0022"
    as_root = lab.run_module(host, "ansible.builtin.shell", {"cmd": "id -un; echo ${SSH_CONNECTION:-reset}"})
    assert as_root["stdout"].splitlines() == ["root", "reset"], "sudo kept the caller's environment"


def test_root_cannot_log_in_and_passwords_are_refused():
    config = docker_exec(lab.hosts("lab")[0], "sshd -T")
    assert "permitrootlogin no" in config
    assert "passwordauthentication no" in config
    assert "kbdinteractiveauthentication no" in config


@pytest.mark.parametrize("host", lab.hosts("db_servers"))
def test_become_postgres(host):
    assert lab.run_module(host, "ansible.builtin.command", {"argv": ["id", "-un"]},
                          become_user="postgres")["stdout"] == "postgres"


@pytest.mark.parametrize("host", lab.hosts("app_servers"))
def test_become_the_app_user_for_a_module_that_ships_a_file(host):
    # copy sends a file first: as an unprivileged become user that needs
    # more than pipelining (the file must be handed over to that user).
    user = lab.django_app().service
    if not docker_exec(host, 'getent passwd "$1" || true', user):
        pytest.skip(f"{user} does not exist yet: deploy-sidebyside has not run")
    path = f"/tmp/takeover-become-{uuid.uuid4().hex[:8]}"
    try:
        lab.run_module(host, "ansible.builtin.copy", {"content": "probe\n", "dest": path, "mode": "0600"},
                       become_user=user)
        st = lab.run_module(host, "ansible.builtin.stat", {"path": path})["stat"]
        assert (st["pw_name"], st["mode"]) == (user, "0600")
        assert lab.run_module(host, "ansible.builtin.command", {"argv": ["id", "-un"]},
                              become_user=user)["stdout"] == user
    finally:
        lab.run_module(host, "ansible.builtin.file", {"path": path, "state": "absent"})


def test_changed_host_key_is_refused_and_never_accepted():
    host = lab.db_host_of("stage")
    known_hosts = lab.SSH_DIR / "known_hosts"
    recorded = known_hosts.read_text()
    # A fresh connection: a persisted one (ControlPersist) would never see the new key.
    control_dir = tempfile.mkdtemp(prefix="cp-", dir="/tmp")
    env = {"ANSIBLE_SSH_CONTROL_PATH_DIR": control_dir}
    docker_exec(host, "mkdir /root/hostkeys.kept && cp -a /etc/ssh/ssh_host_* /root/hostkeys.kept/ "
                      "&& rm /etc/ssh/ssh_host_* && ssh-keygen -q -A && systemctl restart ssh")
    try:
        run = lab._run(host_pattern=host, module="ansible.builtin.ping", env=env)
        assert run.rc != 0
        assert set((run.stats.get("dark") or {})) == {host}, run.stdout[-2000:]
        assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in run.stdout, run.stdout[-2000:]
        assert "Host key verification failed" in run.stdout
        assert known_hosts.read_text() == recorded, "the new key was written to known_hosts"
    finally:
        docker_exec(host, "rm -f /etc/ssh/ssh_host_* && cp -a /root/hostkeys.kept/* /etc/ssh/ "
                          "&& rm -r /root/hostkeys.kept && systemctl restart ssh")
        # Back to the recorded key: reached again.
        assert lab.run_module(host, "ansible.builtin.command", {"argv": ["true"]}, env=env)["rc"] == 0
        shutil.rmtree(control_dir, ignore_errors=True)


@pytest.fixture
def user_without_sudo():
    """A second user on dev's host, who logs in with the lab key but has no sudo."""
    host, user = lab.hosts("dev")[0], "nosudo"
    docker_exec(host, """
        useradd --create-home --shell /bin/bash "$1"
        usermod --password '*' "$1"
        install -d -m 0700 -o "$1" -g "$1" "/home/$1/.ssh"
        install -m 0600 -o "$1" -g "$1" /home/deploy/.ssh/authorized_keys "/home/$1/.ssh/authorized_keys"
    """, user)
    yield host, user
    # Its persisted connection goes with it.
    docker_exec(host, 'pkill -KILL -u "$1" || true; userdel --force --remove "$1"', user)


def test_host_where_the_user_lacks_sudo_stops_at_the_first_task(tmp_path, user_without_sudo):
    host, user = user_without_sudo
    inventory = tmp_path / "inventory"
    shutil.copytree(lab.INVENTORY, inventory)
    (inventory / "host_vars").mkdir()
    (inventory / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump({"ansible_user": user}))
    before = docker_exec(host, "find /etc /srv /var/www -newer /etc/hostname -type f 2>/dev/null | sort")

    run = lab.run_playbook("deploy-sidebyside.yml", limit=f"localhost,{host}", inventory=inventory)

    assert run.rc != 0
    assert set(run.failed_hosts()) == {host}, run.stdout[-3000:]
    assert run.changed_hosts() == {}
    started = [e["event_data"]["task"] for e in run.events if e.get("event") == "runner_on_start"]
    assert started == ["Check that the connecting user becomes root"], started
    failed = [e["event_data"]["res"]["msg"] for e in run.events if e.get("event") == "runner_on_failed"]
    assert len(failed) == 1 and "\n" not in failed[0].strip(), failed
    assert "Missing sudo password" in failed[0], failed[0]
    assert docker_exec(host, "find /etc /srv /var/www -newer /etc/hostname -type f 2>/dev/null | sort") == before
