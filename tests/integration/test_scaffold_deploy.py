"""A project made by `takeover-models scaffold` deploys on the lab.

A real PHP app's schema (Roundcube, from the acceptance schemas) is loaded
into a database of its own on dev's server. generate-models models it on the
lab, `scaffold` starts a project around the models on the controller, and
deploy-sidebyside puts that project on dev as a second Django app: its own
service, release tree and nginx site (port 8090 inside the host), beside the
sample app, which must not notice. Everything the test made is removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from django_takeover import scaffold

from . import lab

pytestmark = pytest.mark.integration

SCHEMA_NAME = "roundcube-postgres.sql"
HOST = lab.hosts("dev")[0]
DATABASE = "takeover_scaffold"
SERVICE = "scaffold-django"
SITE = "scaffold"
PORT = 8090


@pytest.fixture(scope="module")
def schema_file(acceptance_schemas) -> Path:
    """From tests/conftest.py: a loud skip without the schemas, a failure under CI=true."""
    found = [p for p in acceptance_schemas if p.name == SCHEMA_NAME]
    if not found:
        pytest.fail(f"{SCHEMA_NAME} is not among the acceptance schemas: {acceptance_schemas}")
    return found[0]


def _cleanup(db_host: str) -> None:
    app = lab.DjangoAppPaths(SERVICE)
    lab.run_module(HOST, "ansible.builtin.shell", {"cmd": (
        f"systemctl disable --now {SERVICE}.socket {SERVICE}.service 2>/dev/null;"
        f" rm -rf {app.root} {app.config_dir} /etc/systemd/system/{SERVICE}.socket"
        f" /etc/systemd/system/{SERVICE}.service /etc/nginx/sites-enabled/{SITE} /etc/nginx/sites-available/{SITE};"
        " systemctl daemon-reload && nginx -t -q && systemctl reload nginx")})
    _psql(db_host, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def _psql(db_host: str, statement: str, db: str = "postgres") -> None:
    # CREATE and DROP DATABASE cannot run in a transaction: plain psql.
    lab.run_module(db_host, "ansible.builtin.command", {"argv": [
        "psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", statement]}, become_user="postgres")


@pytest.fixture(scope="module")
def deployed(schema_file, tmp_path_factory):
    db_host = lab.db_host_of("dev")
    work = tmp_path_factory.mktemp("scaffold")
    _cleanup(db_host)
    try:
        _psql(db_host, f"CREATE DATABASE {DATABASE}")
        lab.run_module(db_host, "ansible.builtin.copy", {"src": str(schema_file), "dest": "/tmp/scaffold-schema.sql",
                                                         "mode": "0644"})
        lab.run_module(db_host, "ansible.builtin.command", {"argv": [
            "psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", DATABASE, "-f", "/tmp/scaffold-schema.sql"]},
            become_user="postgres")

        generated = lab.run_playbook("generate-models.yml", limit=db_host, extravars={
            "takeover_legacy_db_name": DATABASE, "takeover_models_app_label": "legacy",
            "takeover_models_output_dir": str(work / "models")})
        assert generated.rc == 0, generated.stdout[-3000:]
        result = scaffold.scaffold(work / "models" / "models.py", work / "project",
                                   project="takeover_site", app_label="legacy")

        deploy = lab.run_playbook("deploy-sidebyside.yml", limit="localhost,dev", extravars={
            "takeover_legacy_db_name": DATABASE,
            "takeover_django_app_source_dir": str(work / "project"),
            "takeover_django_app_project": "takeover_site",
            "takeover_django_app_service": SERVICE,
            "takeover_django_app_migrate_apps": ["contenttypes", "auth", "admin", "sessions", "takeover"],
            "takeover_edge_nginx_site": SITE,
            "takeover_edge_nginx_listen": str(PORT),
            "takeover_edge_nginx_check_url": f"http://127.0.0.1:{PORT}",
        })
        yield {"deploy": deploy, "scaffold": result, "models": work / "models"}
    finally:
        _cleanup(db_host)


def _get(path: str) -> dict:
    return lab.run_module(HOST, "ansible.builtin.uri", {
        "url": f"http://127.0.0.1:{PORT}{path}", "headers": {"Cookie": "takeover_app=django"},
        "return_content": True, "status_code": [200, 302, 404, 500]})


def test_scaffolded_project_deploys_beside_the_sample_app(deployed):
    deploy = deployed["deploy"]
    assert deploy.rc == 0 and not deploy.failed_hosts(), deploy.stdout[-3000:]
    health = _get("/healthz")
    assert health["status"] == 200, health
    login = _get("/admin/login/")
    assert login["status"] == 200 and "Django administration" in login["content"], login["status"]
    # The sample app on the same host still answers as before.
    assert lab.Browser(HOST).request("/_takeover/django/healthz")[0] == 200


def test_scaffolded_models_cover_every_table_of_the_schema(deployed, schema_file):
    models = scaffold.read_models((deployed["models"] / "models.py").read_text())
    tables = {m.table for m in models}
    assert len(tables) == schema_file.read_text().count("CREATE TABLE")
