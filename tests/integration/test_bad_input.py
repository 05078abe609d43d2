"""Bad input gets a clear error and loses nothing."""

import shutil
import socket
import subprocess
import urllib.request

import pytest
import yaml

from . import lab

pytestmark = pytest.mark.integration


def test_missing_inventory_variable_is_named_and_nothing_changes(tmp_path):
    inventory = tmp_path / "inventory"
    shutil.copytree(lab.INVENTORY, inventory)
    stage_vars = inventory / "group_vars" / "stage.yml"
    data = yaml.safe_load(stage_vars.read_text())
    del data["takeover_legacy_db_host"]
    stage_vars.write_text(yaml.safe_dump(data))

    run = lab.run_playbook("lab-legacy.yml", limit="stage", inventory=inventory)

    assert run.rc != 0
    assert "takeover_legacy_db_host" in run.stdout
    assert run.changed_hosts() == {}, run.stdout[-3000:]


def test_database_down_gives_a_one_line_error_and_php_reports_it():
    db_host = lab.db_host_of("stage")
    app_host = lab.hosts("stage")[0]
    service = {"name": "postgresql@15-main"}
    lab.run_module(db_host, "ansible.builtin.systemd_service", {**service, "state": "stopped"})
    try:
        run = lab.run_playbook("generate-models.yml", limit=db_host)
        assert run.rc != 0
        assert "takeover-models generate: error:" in run.stdout, run.stdout[-3000:]

        status = None
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{lab.http_port(app_host)}/healthz.php",
                                        timeout=lab.HTTP_TIMEOUT) as resp:
                status = resp.status
        except urllib.error.HTTPError as err:
            status = err.code
        assert status == 503
    finally:
        lab.run_module(db_host, "ansible.builtin.systemd_service", {**service, "state": "started"})


def _free_run_of_ports(count: int) -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    pytest.fail("no run of free ports on 127.0.0.1")


def _lab_objects(name: str) -> str:
    containers = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=django-takeover.lab={name}"],
        capture_output=True, text=True, check=True).stdout
    networks = subprocess.run(
        ["docker", "network", "ls", "-q", "--filter", f"name=^{name}$"],
        capture_output=True, text=True, check=True).stdout
    return (containers + networks).strip()


def test_taken_port_stops_lab_up_before_it_creates_anything():
    name = "takeover-porttest"
    first_app_port = min(lab.http_port(h) for h in lab.hosts("app_servers")) - lab.PORT_OFFSET
    taken = _free_run_of_ports(4)
    env = {"TAKEOVER_LAB_NAME": name, "TAKEOVER_LAB_PORT_OFFSET": str(taken - first_app_port)}
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        try:
            run = lab.run_playbook("lab-up.yml", env=env)
            assert run.rc != 0
            assert f"127.0.0.1:{taken}" in run.stdout and "already in use" in run.stdout
            assert _lab_objects(name) == ""
        finally:
            lab.run_playbook("lab-down.yml", env=env)
