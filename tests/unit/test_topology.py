"""The lab topology is read from the lab inventory, and scales from it."""

from __future__ import annotations

from django_takeover.topology import Topology, scaled

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

LAB = REPO_ROOT / "inventories" / "lab"


def test_lab_topology_matches_the_inventory():
    lab = Topology.load(LAB, port_offset=0)
    assert lab.hosts("dev") == ["dev-app"]
    assert lab.app_hosts("prod") == ["prod-app1", "prod-app2"]
    assert lab.db_host_of("stage") == "stage-db"
    assert lab.env_of("prod-db") == "prod"
    assert lab.http_port("dev-app") == 8081
    assert Topology.load(LAB, port_offset=10000).http_port("dev-app") == 18081
    # Every host publishes its sshd on its own port; database hosts have no HTTP port.
    ssh_ports = [lab.ssh_port(h) for h in lab.hosts("lab")]
    assert len(set(ssh_ports)) == len(ssh_ports) == 6
    assert Topology.load(LAB, port_offset=10000).ssh_port("prod-db") == lab.ssh_port("prod-db") + 10000
    assert not set(ssh_ports) & {lab.http_port(h) for h in lab.hosts("app_servers")}


def test_scaled_inventory_adds_prod_app_hosts_and_keeps_group_vars(tmp_path):
    out = scaled(LAB, tmp_path / "inv", 5)
    big = Topology.load(out, port_offset=0)
    assert big.app_hosts("prod") == [f"prod-app{i}" for i in range(1, 6)]
    ports = [big.http_port(h) for h in big.hosts("app_servers")]
    assert len(set(ports)) == len(ports)
    ssh_ports = [big.ssh_port(h) for h in big.hosts("lab")]
    assert len(set(ssh_ports)) == len(ssh_ports) == 9
    assert (out / "group_vars").resolve() == (LAB / "group_vars").resolve()
    assert big.db_host_of("prod") == "prod-db"
    # The source is untouched.
    assert Topology.load(LAB).app_hosts("prod") == ["prod-app1", "prod-app2"]


def test_scaled_inventory_can_shrink_prod(tmp_path):
    small = Topology.load(scaled(LAB, tmp_path / "inv", 1), port_offset=0)
    assert small.app_hosts("prod") == ["prod-app1"]
    assert "prod-app2" not in small.hosts("app_servers")
