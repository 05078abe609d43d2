"""retire-legacy on the running lab: PHP off, models managed, migrations proved and faked.

Retirement changes the lab for good, so this module is marked `retire` and
runs after every other integration test (tests/integration/conftest.py).
Its tests run in file order: first the refusals, each of which must leave
every env as it was, then one real retirement shared by the checks after it,
then a follow-up migration through deploy-sidebyside.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from django_takeover import retire

from . import lab

pytestmark = [pytest.mark.integration, pytest.mark.retire]

APP_HOSTS = lab.hosts("app_servers")
DB_HOSTS = lab.hosts("db_servers")
ENVS = ["dev", "stage", "prod"]
PHP_SERVICE = "php8.2-fpm"
# The cut-over finished: every user on Django (the plan's shape, as cutover.yml reads it).
CUTOVER_DONE = {"takeover_cutover_cohorts": [{"name": "everyone", "percent": 100}],
                "takeover_cutover_live": ["everyone"]}


def php_states() -> dict[str, str]:
    # is-active exits 3 for an inactive unit, which run_module treats as a failure.
    states = {}
    for host in APP_HOSTS:
        result = lab.run_module(host, "ansible.builtin.shell",
                                {"cmd": f"systemctl is-active {PHP_SERVICE} || true"})
        states[host] = result["stdout"].strip()
    return states


def state_rows(host: str, table: str, columns: str) -> list[dict]:
    """Rows of one of retirement's tables in Django's schema; none before a first run made it."""
    schema = lab.inventory_var("takeover_django_db_schema")
    exists = lab.sql(host, "SELECT to_regclass(%(t)s) IS NOT NULL AS present", t=f"{schema}.{table}")
    if not exists[0]["present"]:
        return []
    return lab.sql(host, f"SELECT {columns} FROM {schema}.{table}")


def progress(host: str) -> list[dict]:
    return state_rows(host, "takeover_retire_progress", "env, state, details")


def locks(host: str) -> list[dict]:
    return state_rows(host, "takeover_retire_lock", "name, holder")


def assert_nothing_changed():
    assert php_states() == {h: "active" for h in APP_HOSTS}, "PHP stopped on a refused run"
    for host in DB_HOSTS:
        assert not [r for r in progress(host) if r["state"] == "retired"], f"{host} recorded a retirement"
        assert not locks(host), f"{host} kept a lock after a refused run"


def legacy_schema(host: str) -> str:
    argv = ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "--schema=public", lab.legacy_db_name()]
    out = lab.run_module(host, "ansible.builtin.command", {"argv": argv}, become_user="postgres")["stdout"]
    return "\n".join(line for line in out.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def legacy_data(host: str) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent checksum of every legacy table."""
    tables = [r["t"] for r in lab.sql(host, """
        SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1""")]
    data = {}
    for table in tables:
        row = lab.sql(host, f'SELECT count(*) AS n, coalesce(md5(string_agg(md5(t::text), \'\' ORDER BY md5(t::text))), \'\') AS sum FROM public."{table}" t')[0]
        data[table] = (row["n"], row["sum"])
    return data


def failure_text(run: lab.Run) -> str:
    return run.stdout[-6000:]


# ----------------------------------------------------------------- refusals

def test_unparsable_models_fail_before_any_change(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(lab.django_source_dir(), source, ignore=shutil.ignore_patterns("__pycache__"))
    label = lab.inventory_var("takeover_retire_app_label")
    (source / label / "models.py").write_text("class Broken(:\n")
    run = lab.run_playbook("retire-legacy.yml", extravars={**CUTOVER_DONE, "takeover_retire_source_dir": str(source)})
    assert run.rc != 0
    assert "cannot parse" in run.stdout, failure_text(run)
    assert_nothing_changed()


def test_an_unfinished_cutover_is_refused_before_any_change():
    run = lab.run_playbook("retire-legacy.yml")
    assert run.rc != 0
    assert "no live cohort of 100 %" in run.stdout, failure_text(run)
    assert_nothing_changed()


def test_drift_on_stage_is_named_and_nothing_changes_anywhere():
    stage_db = lab.db_host_of("stage")
    lab.sql(stage_db, "ALTER TABLE tickets ADD COLUMN drift_probe integer")
    try:
        run = lab.run_playbook("retire-legacy.yml", extravars=CUTOVER_DONE)
    finally:
        lab.sql(stage_db, "ALTER TABLE tickets DROP COLUMN drift_probe")
    assert run.rc != 0
    assert "stage" in run.stdout and "drift_probe" in run.stdout, failure_text(run)
    assert_nothing_changed()


def test_a_second_retirement_is_refused_while_one_holds_the_lock():
    prod_db = lab.db_host_of("prod")
    schema = lab.inventory_var("takeover_django_db_schema")
    holder = "someone@other-controller 2026-01-01T00:00:00Z 42"
    lab.sql(prod_db, f"""INSERT INTO {schema}.takeover_retire_lock (name, holder, acquired_at, expires_at)
                         VALUES ('retire-legacy', %(h)s, now(), now() + interval '10 minutes')""", h=holder)
    try:
        run = lab.run_playbook("retire-legacy.yml", extravars=CUTOVER_DONE)
    finally:
        lab.sql(prod_db, f"DELETE FROM {schema}.takeover_retire_lock WHERE holder = %(h)s", h=holder)
    assert run.rc != 0
    assert "Another retirement holds the lock" in run.stdout and holder in run.stdout, failure_text(run)
    assert_nothing_changed()


def test_check_diff_shows_the_change_and_changes_nothing():
    run = lab.run_playbook("retire-legacy.yml", check=True, diff=True, extravars=CUTOVER_DONE)
    assert run.rc == 0 and not run.failed_hosts(), failure_text(run)
    assert "+        managed = True" in run.stdout and "-        managed = False" in run.stdout
    assert "0001_initial.py" in run.stdout
    assert PHP_SERVICE in run.stdout
    positions = [run.stdout.find(f"before PHP stops, on {env}]") for env in ENVS]
    assert -1 not in positions and positions == sorted(positions), "envs not shown in dev, stage, prod order"
    assert_nothing_changed()


# ----------------------------------------------------------------- one real retirement

@pytest.fixture(scope="module")
def retired(admin_password_for_retire):
    before = {h: (legacy_schema(h), legacy_data(h)) for h in DB_HOSTS}
    first = lab.run_playbook("retire-legacy.yml", extravars=CUTOVER_DONE)
    assert first.rc == 0 and not first.failed_hosts(), failure_text(first)
    again = lab.run_playbook("retire-legacy.yml", extravars=CUTOVER_DONE)
    after = {h: (legacy_schema(h), legacy_data(h)) for h in DB_HOSTS}
    return {"first": first, "again": again, "before": before, "after": after}


@pytest.fixture(scope="module")
def admin_password_for_retire() -> str:
    return lab.vault_value("vault_lab_legacy_app_admin_password")


def test_a_rerun_after_success_changes_nothing(retired):
    run = retired["again"]
    assert run.rc == 0 and not run.failed_hosts(), failure_text(run)
    assert run.changed_hosts() == {}, failure_text(run)


@pytest.mark.parametrize("host", APP_HOSTS)
def test_php_is_off_and_its_urls_land_on_django(retired, host):
    assert php_states()[host] in ("inactive", "failed", "unknown")
    status, url, _ = lab.Browser(host).request("/ticket.php?id=1")
    assert status == 200 and "/accounts/login/" in url and "next=/tickets/1/" in url, (status, url)


@pytest.mark.parametrize("host", APP_HOSTS)
def test_django_serves_every_page_logged_in(retired, host, admin_password_for_retire):
    browser = lab.Browser(host)
    _, _, page = browser.request("/accounts/login/")
    status, url, _ = browser.request("/accounts/login/", {
        "username": "admin", "password": admin_password_for_retire,
        "csrfmiddlewaretoken": browser.csrf(page, "csrfmiddlewaretoken")})
    assert status == 200 and url.endswith("/tickets/"), (status, url)
    ticket = lab.sql(lab.db_host_of(lab.env_of(host)), "SELECT min(id) AS id FROM tickets")[0]["id"]
    for path in ("/tickets/", f"/tickets/{ticket}/", f"/tickets/{ticket}/edit/", "/tickets/new/"):
        status, url, _ = browser.request(path)
        assert status == 200 and url.endswith(path), (path, status, url)


@pytest.mark.parametrize("host", DB_HOSTS)
def test_schema_and_data_are_untouched(retired, host):
    (schema_before, data_before), (schema_after, data_after) = retired["before"][host], retired["after"][host]
    assert schema_after == schema_before, "the legacy schema changed"
    assert data_after == data_before, "legacy rows changed"


@pytest.mark.parametrize("host", DB_HOSTS)
def test_django_owns_the_schema_and_the_env_is_recorded(retired, host):
    user = lab.inventory_var("takeover_django_db_user")
    owners = {r["owner"] for r in lab.sql(host, """
        SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S', 'v')""")}
    assert owners == {user}
    env = lab.env_of(host)
    records = {r["env"]: r for r in progress(host)}
    assert records[env]["state"] == "retired"
    assert records[env]["details"]["backup"].endswith(".dump")
    assert not locks(host)


@pytest.mark.parametrize("env", ENVS)
def test_the_initial_migration_is_recorded_as_applied(retired, env):
    host = next(h for h in APP_HOSTS if lab.env_of(h) == env)
    paths = lab.django_app()
    label = lab.inventory_var("takeover_retire_app_label")
    out = lab.run_module(host, "ansible.builtin.command", {"argv": [
        f"{paths.root}/bin/run-in-release", f"{paths.root}/current", f"{paths.root}/current/venv/bin/python",
        "manage.py", "showmigrations", label]})["stdout"]
    assert "[X] 0001_initial" in out, out


# ----------------------------------------------------------------- after retirement

def test_an_unpatched_source_is_refused_on_a_retired_env(retired):
    run = lab.run_playbook("deploy-sidebyside.yml")
    assert run.rc != 0
    label = lab.inventory_var("takeover_retire_app_label")
    assert f"{label}.patch" in run.stdout and "managed = False" in run.stdout, failure_text(run)


def test_a_follow_up_migration_goes_through_deploy_sidebyside(retired, tmp_path):
    label = lab.inventory_var("takeover_retire_app_label")
    source = tmp_path / "source"
    shutil.copytree(lab.django_source_dir(), source, ignore=shutil.ignore_patterns("__pycache__"))
    patch = lab.REPO / "artifacts" / "retire" / f"{label}.patch"
    # What the team does with the patch (outside a repository, git apply works like patch -p1).
    subprocess.run(["git", "apply", str(patch)], cwd=source, check=True)
    models = source / label / "models.py"
    text = models.read_text()
    anchor = "    subject = models.CharField(max_length=200)\n"
    assert anchor in text
    models.write_text(text.replace(anchor, anchor + "    due_on = models.DateField(blank=True, null=True)\n"))
    retire.makemigrations(source, label)
    assert list((source / label / "migrations").glob("0002_*.py")), "makemigrations wrote no follow-up migration"
    run = lab.run_playbook("deploy-sidebyside.yml", extravars={"takeover_django_app_source_dir": str(source)})
    assert run.rc == 0 and not run.failed_hosts(), failure_text(run)
    for host in DB_HOSTS:
        columns = lab.sql(host, """SELECT column_name FROM information_schema.columns
                                    WHERE table_schema = 'public' AND table_name = 'tickets'""")
        assert "due_on" in {c["column_name"] for c in columns}, host
