"""`scripts/lab down` removes every container and network the lab made, and
nothing else."""

import subprocess

import pytest

from . import lab

pytestmark = pytest.mark.integration

NAME = "takeover-downtest"
LABEL = "django-takeover.lab"


def _docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout.strip()


def _labelled_containers() -> str:
    return _docker("ps", "-aq", "--filter", f"label={LABEL}={NAME}")


def _network_exists(name: str) -> bool:
    return bool(_docker("network", "ls", "-q", "--filter", f"name=^{name}$"))


@pytest.fixture
def bystander():
    """A container that merely shares the lab's name prefix; down must leave it."""
    name = f"{NAME}-bystander"
    image = _docker("image", "ls", "-q", "django-takeover-lab:latest")
    assert image, "the lab base image is missing"
    _docker("create", "--name", name, "django-takeover-lab:latest", "/bin/true")
    yield name
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def test_down_removes_what_up_made_and_nothing_else(bystander):
    # Ports of its own: every host publishes its sshd, so the lab under test's
    # ports are taken.
    env = {"TAKEOVER_LAB_NAME": NAME, "TAKEOVER_LAB_PORT_OFFSET": str(lab.PORT_OFFSET + 200)}
    one_host = {"lab_containers_hosts": [lab.db_host_of("stage")]}
    try:
        up = lab.run_playbook("lab-up.yml", env=env, extravars=one_host)
        assert up.rc == 0, up.stdout[-3000:]
        assert _labelled_containers(), "lab-up made no labelled container"
        assert _network_exists(NAME)

        down = lab.run_playbook("lab-down.yml", env=env)
        assert down.rc == 0, down.stdout[-3000:]
        assert _labelled_containers() == ""
        assert not _network_exists(NAME)
        assert not (lab.REPO / ".cache" / "lab" / NAME).exists(), "down left the lab's key pair behind"
        assert _docker("ps", "-aq", "--filter", f"name=^{bystander}$"), "down removed a container it did not make"
    finally:
        lab.run_playbook("lab-down.yml", env=env)
