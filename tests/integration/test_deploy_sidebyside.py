"""deploy-sidebyside on the running lab: Django beside PHP on every app host.

One deploy (plus its re-run and a --check --diff run) is shared by every
test through a session fixture. Tests that deploy something else (a broken
release, a second release to roll back from) put the lab back as they found
it, so they can run in any order.
"""

from __future__ import annotations

import http.cookiejar
import re
import shutil
import time
import uuid

import pytest

from . import lab

pytestmark = pytest.mark.integration

APP_HOSTS = lab.hosts("app_servers")
DB_HOSTS = lab.hosts("db_servers")
COOKIE = {"takeover_app": "django"}
SECRET_VARS = ("vault_takeover_django_db_password", "vault_takeover_django_secret_key",
               "vault_takeover_legacy_db_password")


def legacy_schema(host: str, privileges: bool) -> str:
    """pg_dump of the legacy schema; \\restrict lines carry a random key per dump."""
    argv = ["pg_dump", "--schema-only", "--schema=public", lab.legacy_db_name()]
    if not privileges:
        argv.insert(1, "--no-privileges")
    out = lab.run_module(host, "ansible.builtin.command", {"argv": argv}, become_user="postgres")["stdout"]
    return "\n".join(line for line in out.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


@pytest.fixture(scope="session")
def secrets() -> dict[str, str]:
    return {name: lab.vault_value(name) for name in SECRET_VARS}


@pytest.fixture(scope="session")
def admin_password() -> str:
    return lab.vault_value("vault_lab_legacy_app_admin_password")


@pytest.fixture(scope="session")
def deployed():
    before = {h: (legacy_schema(h, False), legacy_schema(h, True)) for h in DB_HOSTS}
    started = time.monotonic()
    first = lab.run_playbook("deploy-sidebyside.yml")
    timed = time.monotonic()
    assert first.rc == 0 and not first.failed_hosts(), first.stdout[-3000:]
    second = lab.run_playbook("deploy-sidebyside.yml")
    print(f"\ndeploy-sidebyside wall time: first run {timed - started:.0f} s, "
          f"re-run {time.monotonic() - timed:.0f} s")
    check = lab.run_playbook("deploy-sidebyside.yml", check=True, diff=True)
    after = {h: (legacy_schema(h, False), legacy_schema(h, True)) for h in DB_HOSTS}
    return {"first": first, "second": second, "check": check, "before": before, "after": after}


def test_second_run_changes_nothing(deployed):
    run = deployed["second"]
    assert run.rc == 0 and not run.failed_hosts(), run.stdout[-3000:]
    assert run.changed_hosts() == {}, run.stdout[-3000:]


def test_check_diff_reports_no_change_and_no_error(deployed):
    run = deployed["check"]
    assert run.rc == 0 and not run.failed_hosts(), run.stdout[-3000:]
    assert run.changed_hosts() == {}, run.stdout[-3000:]


@pytest.mark.parametrize("host", DB_HOSTS)
def test_legacy_schema_is_unchanged(deployed, host):
    before, after = deployed["before"][host], deployed["after"][host]
    assert after[0] == before[0], "the legacy schema's definition changed"
    # The only allowed difference with privileges: GRANTs to the Django role.
    added = set(after[1].splitlines()) - set(before[1].splitlines())
    removed = set(before[1].splitlines()) - set(after[1].splitlines())
    assert not removed
    assert all(line.startswith("--") or line == "" or line.endswith(" TO helpdesk_django;")
               for line in added), added


@pytest.mark.parametrize("host", APP_HOSTS)
def test_django_role_cannot_alter_a_legacy_table(deployed, host):
    code = ("from django.db import connection\n"
            "try:\n"
            "    connection.cursor().execute('ALTER TABLE tickets ADD COLUMN takeover_probe integer')\n"
            "except Exception as exc:\n"
            "    print('REFUSED', getattr(exc.__cause__, 'sqlstate', ''), exc)\n"
            "else:\n"
            "    print('ALLOWED')\n")
    root = lab.django_app().root
    result = lab.run_module(host, "ansible.builtin.command", {"argv": [
        f"{root}/bin/run-in-release", f"{root}/current",
        f"{root}/current/venv/bin/python", "manage.py", "shell", "-c", code]})
    out = result["stdout"]
    # 42501 insufficient_privilege: "must be owner of table" for ALTER.
    assert "REFUSED 42501" in out, out
    assert re.search(r"permission denied|must be owner", out), out


@pytest.mark.parametrize("host", APP_HOSTS)
def test_both_apps_answer_through_nginx(deployed, host):
    status, url, page = lab.Browser(host).request("/login.php")
    assert status == 200 and 'name="csrf"' in page, "legacy is not the default"
    status, url, page = lab.Browser(host, COOKIE).request("/login.php")
    assert status == 200 and "/accounts/login/" in url
    assert "csrfmiddlewaretoken" in page, "the cookie did not reach Django"
    assert lab.Browser(host).request("/_takeover/django/healthz")[:1] == (200,)
    assert lab.Browser(host).request("/static/helpdesk/style.css")[0] == 200


def php_login(host: str, password: str) -> lab.Browser:
    browser = lab.Browser(host)
    _, _, page = browser.request("/login.php")
    status, url, _ = browser.request("/login.php", {
        "username": "admin", "password": password, "csrf": browser.csrf(page)})
    assert status == 200 and url.endswith("/index.php"), f"PHP login on {host} failed"
    return browser


def opted_in(host: str) -> lab.Browser:
    """A browser with the opt-in cookie in its jar: lab.Browser's `cookies=`
    header would hide the jar's session and CSRF cookies from urllib."""
    browser = lab.Browser(host)
    for name, value in COOKIE.items():
        browser.jar.set_cookie(http.cookiejar.Cookie(
            0, name, value, None, False, "127.0.0.1", False, False, "/", True, False,
            None, False, None, None, {}))
    return browser


def django_login(host: str, password: str) -> lab.Browser:
    browser = opted_in(host)
    _, _, page = browser.request("/accounts/login/")
    status, url, _ = browser.request("/accounts/login/", {
        "username": "admin", "password": password,
        "csrfmiddlewaretoken": browser.csrf(page, "csrfmiddlewaretoken")})
    assert status == 200 and url.endswith("/tickets/"), f"Django login on {host} failed"
    return browser


def audit_rows(host: str, action: str, ticket_id: int) -> list[dict]:
    return lab.sql(lab.db_host_of(lab.env_of(host)), """
        SELECT a.details, u.username FROM audit_log a JOIN users u ON u.id = a.user_id
         WHERE a.action = %(action)s AND a.entity = 'ticket' AND a.entity_id = %(id)s""",
                   action=action, id=ticket_id)


@pytest.mark.parametrize("host", APP_HOSTS)
def test_tickets_and_logins_cross_between_the_apps(deployed, host, admin_password):
    db_host = lab.db_host_of(lab.env_of(host))
    hash_before = lab.sql(db_host, "SELECT password_hash FROM users WHERE username = 'admin'")

    php = php_login(host, admin_password)
    subject = f"from PHP {host} {uuid.uuid4().hex[:8]}"
    _, _, form = php.request("/ticket_edit.php")
    status, url, _ = php.request("/ticket_edit.php", {
        "subject": subject, "body": "written by PHP", "status": "open", "priority": "2",
        "assignee_id": "", "tags": "takeover", "csrf": php.csrf(form)})
    php_ticket = int(url.rsplit("=", 1)[1])

    # The password PHP set (its bcrypt hash) lets the same user into Django.
    django = django_login(host, admin_password)
    status, _, page = django.request(f"/tickets/{php_ticket}/")
    assert status == 200 and subject in page

    subject2 = f"from Django {host} {uuid.uuid4().hex[:8]}"
    _, _, form = django.request("/tickets/new/")
    status, url, page = django.request("/tickets/new/", {
        "subject": subject2, "body": "written by Django", "status": "open", "priority": "3",
        "assignee": "", "tags": "takeover",
        "csrfmiddlewaretoken": django.csrf(form, "csrfmiddlewaretoken")})
    match = re.search(r"/tickets/(\d+)/$", url)
    assert status == 200 and match, (url, page[:300])
    django_ticket = int(match.group(1))

    # ... and PHP still lets them in afterwards, and reads Django's ticket.
    php_again = php_login(host, admin_password)
    status, _, page = php_again.request(f"/ticket.php?id={django_ticket}")
    assert status == 200 and subject2 in page

    assert audit_rows(host, "create", php_ticket) == [{"details": subject, "username": "admin"}]
    assert audit_rows(host, "create", django_ticket) == [{"details": subject2, "username": "admin"}]
    assert lab.sql(db_host, "SELECT password_hash FROM users WHERE username = 'admin'") == hash_before


def test_no_secret_in_the_ansible_output(deployed, secrets):
    for name in ("first", "second", "check"):
        for var, value in secrets.items():
            assert value not in deployed[name].stdout, f"{var} appears in the {name} run's output"


@pytest.mark.parametrize("host", APP_HOSTS)
def test_no_secret_in_a_wide_file_or_in_ps(deployed, host, secrets):
    app = lab.django_app()
    files = lab.run_module(host, "ansible.builtin.shell", {
        "cmd": f"grep -rlsF -f - {app.root} {app.config_dir} /etc/systemd/system /etc/nginx /var/www /tmp "
               "| xargs -r stat -c '%a %n'",
        "stdin": "\n".join(secrets.values())})["stdout"].splitlines()
    for line in files:
        mode, path = line.split(" ", 1)
        assert int(mode, 8) & ~0o640 == 0, f"{path} holds a secret with mode {mode}"
    assert any(line.endswith(app.env_file) for line in files), "the secrets are not in the environment file"
    ps = lab.run_module(host, "ansible.builtin.command", {"argv": ["ps", "-eww", "-o", "args"]})["stdout"]
    assert "gunicorn" in ps
    for var, value in secrets.items():
        assert value not in ps, f"{var} is on a command line on {host}"


def current_target(host: str) -> str:
    return lab.run_module(host, "ansible.builtin.stat", {"path": f"{lab.django_app().root}/current"})["stat"]["lnk_source"]


def releases(host: str) -> set[str]:
    found = lab.run_module(host, "ansible.builtin.find", {
        "paths": f"{lab.django_app().root}/releases", "file_type": "directory"})["files"]
    return {f["path"] for f in found}


def test_unhealthy_release_never_goes_live_and_stops_the_run(deployed, tmp_path):
    # The WSGI module raises: check --deploy, migrate and collectstatic pass,
    # only the health check of the new release (a real gunicorn) catches it.
    broken = tmp_path / "app"
    shutil.copytree(lab.django_source_dir(), broken,
                    ignore=shutil.ignore_patterns("__pycache__", "staticfiles", ".venv"))
    wsgi = broken / lab.inventory_var("takeover_django_app_project") / "wsgi.py"
    wsgi.write_text(wsgi.read_text() + "\nraise RuntimeError('deliberately broken release')\n")
    host = "dev-app"
    live, kept = current_target(host), releases(host)

    run = lab.run_playbook("deploy-sidebyside.yml", limit="localhost,dev,stage",
                           extravars={"takeover_django_app_source_dir": str(broken)})
    assert run.rc != 0
    assert set(run.failed_hosts()) == {host}
    assert current_target(host) == live
    assert releases(host) == kept, "the release that never went live was left behind"
    # The first failure stops everything after it: stage was not touched.
    touched = {e["event_data"].get("host") for e in run.events
               if e.get("event") == "runner_on_ok" and e["event_data"].get("role")}
    assert host in touched, "the filter sees no role event at all, so it cannot tell what was touched"
    assert not touched & set(lab.hosts("stage")), touched
    assert lab.Browser(host).request("/_takeover/django/healthz")[0] == 200


def test_rollback_returns_to_the_previous_release(deployed):
    host = "dev-app"
    release_a = current_target(host)
    deploy_b = lab.run_playbook("deploy-sidebyside.yml", limit="localhost,dev",
                                extravars={"takeover_django_app_release_salt": uuid.uuid4().hex})
    assert deploy_b.rc == 0, deploy_b.stdout[-3000:]
    release_b = current_target(host)
    assert release_b != release_a

    rollback = lab.run_playbook("rollback-django.yml", limit=host)
    assert rollback.rc == 0 and not rollback.failed_hosts(), rollback.stdout[-3000:]
    assert current_target(host) == release_a
    assert lab.Browser(host).request("/_takeover/django/healthz")[0] == 200
    status, url, _ = lab.Browser(host, COOKIE).request("/tickets/")
    assert status == 200 and "/accounts/login/" in url
    # The lab is as the shared deploy left it: the same release is live, so
    # a deploy of the same code finds nothing to do.
    again = lab.run_playbook("deploy-sidebyside.yml", limit="localhost,dev")
    assert again.rc == 0 and again.changed_hosts() == {}, again.stdout[-3000:]
