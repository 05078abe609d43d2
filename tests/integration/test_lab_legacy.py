"""The legacy PHP app on every lab environment behaves as its users expect."""

import uuid

import pytest

from . import lab

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def admin_password():
    return lab.vault_value("vault_lab_legacy_app_admin_password")


@pytest.mark.parametrize("host", lab.hosts("app_servers"))
def test_php_ticket_lands_in_postgres_with_reporter_and_audit_row(host, admin_password):
    browser = lab.Browser(host)
    status, _, page = browser.request("/login.php")
    assert status == 200
    status, url, _ = browser.request("/login.php", {
        "username": "admin", "password": admin_password, "csrf": browser.csrf(page)})
    assert status == 200 and url.endswith("/index.php"), f"login through nginx on {host} failed"

    subject = f"molecule {host} {uuid.uuid4().hex[:8]}"
    _, _, form = browser.request("/ticket_edit.php")
    status, url, page = browser.request("/ticket_edit.php", {
        "subject": subject, "body": "written through PHP", "status": "open", "priority": "2",
        "assignee_id": "", "tags": "lab, molecule", "csrf": browser.csrf(form)})
    assert status == 200 and "/ticket.php?id=" in url, page[:500]
    ticket_id = int(url.rsplit("=", 1)[1])

    db_host = lab.db_host_of(lab.env_of(host))
    rows = lab.sql(db_host, """
        SELECT t.subject, u.username AS reporter
          FROM tickets t JOIN users u ON u.id = t.reporter_id
         WHERE t.id = %(id)s""", id=ticket_id)
    assert rows == [{"subject": subject, "reporter": "admin"}]
    audit = lab.sql(db_host, """
        SELECT count(*) AS n FROM audit_log a JOIN users u ON u.id = a.user_id
         WHERE a.action = 'create' AND a.entity = 'ticket' AND a.entity_id = %(id)s
           AND u.username = 'admin'""", id=ticket_id)
    assert audit == [{"n": 1}]


@pytest.mark.parametrize("host", lab.hosts("app_servers"))
def test_wrong_password_is_refused(host):
    browser = lab.Browser(host)
    _, _, page = browser.request("/login.php")
    status, url, page = browser.request("/login.php", {
        "username": "admin", "password": "not-the-password", "csrf": browser.csrf(page)})
    assert status == 200 and url.endswith("/login.php")
    assert "Invalid username or password" in page


QUIRKS = {
    "serial integer key": "SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'tickets' AND column_name = 'id' AND column_default LIKE 'nextval(%%'",
    "varchar key": "SELECT count(*) AS n FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage k USING (constraint_name) JOIN information_schema.columns c ON c.table_name = k.table_name AND c.column_name = k.column_name WHERE tc.table_name = 'ticket_statuses' AND tc.constraint_type = 'PRIMARY KEY' AND c.data_type = 'character varying'",
    "two foreign keys to users": "SELECT (count(*) = 2)::int AS n FROM pg_constraint WHERE conrelid = 'tickets'::regclass AND confrelid = 'users'::regclass AND contype = 'f'",
    "undeclared relation": "SELECT (count(*) = 0)::int AS n FROM pg_constraint WHERE conrelid = 'comments'::regclass AND confrelid = 'users'::regclass",
    "composite-key join table": "SELECT (array_length(conkey, 1) = 2)::int AS n FROM pg_constraint WHERE conrelid = 'ticket_tags'::regclass AND contype = 'p'",
    "table without a key": "SELECT (count(*) = 0)::int AS n FROM pg_constraint WHERE conrelid = 'audit_log'::regclass AND contype = 'p'",
    "DEFAULT now()": "SELECT (count(*) >= 1)::int AS n FROM information_schema.columns WHERE column_default = 'now()'",
    "CHECK constraint": "SELECT count(*) AS n FROM pg_constraint WHERE conrelid = 'tickets'::regclass AND contype = 'c'",
    "partial unique index": "SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'users' AND indexdef LIKE 'CREATE UNIQUE INDEX%%WHERE%%'",
}


@pytest.mark.parametrize("db_host", lab.hosts("db_servers"))
def test_legacy_schema_carries_every_quirk(db_host):
    missing = [name for name, query in QUIRKS.items() if lab.sql(db_host, query) != [{"n": 1}]]
    assert not missing, f"{db_host} lacks: {missing}"


def test_lab_playbook_check_mode_reports_no_change():
    run = lab.run_playbook("lab-legacy.yml", check=True, diff=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert set(run.stats.get("ok", {})) == set(lab.hosts("lab"))
    assert run.changed_hosts() == {}, run.stdout[-3000:]
