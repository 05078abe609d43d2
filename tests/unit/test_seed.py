"""Tests of lab/legacy/seed.py, loaded into a real PostgreSQL with the legacy
schema, and (when PHP is installed) one end-to-end run of the PHP helpdesk."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED = REPO_ROOT / "lab/legacy/seed.py"
SCHEMA = REPO_ROOT / "lab/legacy/schema.sql"
PHP_ROOT = REPO_ROOT / "lab/legacy/php"

PASSWORD = "x"
# password_hash("x", PASSWORD_DEFAULT), for hosts without php.
FALLBACK_HASH = "$2y$10$BcIeay0QNhq3pwaF5LJ/2.hzbHBMu5PdRRtF.BjKdJ3qNwk9.l/Nm"

USERS, TICKETS, CPT, TAGS = 30, 300, 3, 15
SEED_ARGS = ["--users", str(USERS), "--tickets", str(TICKETS), "--comments-per-ticket", str(CPT),
             "--tags", str(TAGS), "--seed", "7"]


def php_has_pgsql() -> bool:
    if shutil.which("php") is None:
        return False
    mods = subprocess.run(["php", "-m"], capture_output=True, text=True).stdout.split()
    return "pdo_pgsql" in mods


@pytest.fixture(scope="session")
def password_hash() -> str:
    if shutil.which("php"):
        out = subprocess.run(["php", "-r", f'echo password_hash("{PASSWORD}", PASSWORD_DEFAULT);'],
                             capture_output=True, text=True, check=True).stdout
        assert out.startswith("$2y$")
        return out
    return FALLBACK_HASH


def generate(args: list[str], password_hash: str) -> bytes:
    return subprocess.run([sys.executable, str(SEED), *args, "--password-hash", password_hash],
                          capture_output=True, check=True).stdout


def load(script: bytes, dsn: str) -> subprocess.CompletedProcess:
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn],
                          input=script, capture_output=True)


def counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("users", "tags", "tickets", "ticket_tags", "comments", "audit_log")}


@pytest.fixture(scope="module")
def seeded(pg_cluster, password_hash):
    """One database seeded once for the read-only checks (seeding is the slow part)."""
    dsn = pg_cluster.create_database(sql_file=SCHEMA)
    script = generate(SEED_ARGS, password_hash)
    result = load(script, dsn)
    assert result.returncode == 0, result.stderr.decode()
    return dsn, script


def test_row_counts(seeded):
    dsn, _ = seeded
    got = counts(dsn)
    assert got["users"] == USERS
    assert got["tags"] == TAGS
    assert got["tickets"] == TICKETS
    assert got["comments"] == TICKETS * CPT
    assert 0 < got["ticket_tags"] <= TICKETS * 3  # 0..3 tags per ticket
    with psycopg.connect(dsn) as conn:
        edited = conn.execute("SELECT count(*) FROM tickets WHERE status <> 'open'").fetchone()[0]
        logins = conn.execute("SELECT count(*) FROM users WHERE last_login IS NOT NULL").fetchone()[0]
    # One create per ticket, one row per comment, one update per edited ticket, one per last login.
    assert got["audit_log"] == TICKETS + TICKETS * CPT + edited + logins


def test_references_are_consistent(seeded):
    dsn, _ = seeded
    with psycopg.connect(dsn) as conn:
        def zero(sql):
            assert conn.execute(sql).fetchone()[0] == 0, sql

        # The undeclared relation: no constraint would catch this one.
        zero("SELECT count(*) FROM comments c LEFT JOIN users u ON u.id = c.author_id WHERE u.id IS NULL")
        zero("SELECT count(*) FROM tickets t LEFT JOIN users u ON u.id = t.reporter_id WHERE u.id IS NULL")
        zero("SELECT count(*) FROM tickets WHERE status NOT IN (SELECT code FROM ticket_statuses)")
        zero("SELECT count(*) FROM tickets WHERE priority NOT BETWEEN 1 AND 5")
        zero("SELECT count(*) FROM tickets WHERE updated_at < created_at")
        zero("SELECT count(*) FROM audit_log a LEFT JOIN tickets t ON t.id = a.entity_id "
             "WHERE a.entity = 'ticket' AND t.id IS NULL")
        zero("SELECT count(*) FROM audit_log a LEFT JOIN users u ON u.id = a.user_id WHERE u.id IS NULL")
        zero("SELECT count(*) FROM audit_log WHERE (entity, action) NOT IN "
             "(('ticket', 'create'), ('ticket', 'update'), ('ticket', 'comment'), ('user', 'login'))")
        zero("SELECT count(*) FROM audit_log a JOIN tickets t ON t.id = a.entity_id "
             "WHERE a.entity = 'ticket' AND a.details <> t.subject")
        # Each ticket's create row is its reporter's, at its creation time.
        zero("SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE "
             "a.action = 'create' AND a.entity_id = t.id AND a.user_id = t.reporter_id "
             "AND a.happened_at = t.created_at)")
        assert conn.execute("SELECT count(*) FROM tickets WHERE assignee_id IS NULL").fetchone()[0] > 0
        assert conn.execute("SELECT count(DISTINCT status) FROM tickets").fetchone()[0] == 4


def test_users(seeded, password_hash):
    dsn, _ = seeded
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT id, username, email, password_hash, is_admin, is_active "
                            "FROM users ORDER BY id").fetchall()
        dup_emails = conn.execute("SELECT count(*) FROM (SELECT email FROM users WHERE is_active "
                                  "GROUP BY email HAVING count(*) > 1) d").fetchone()[0]
    assert rows[0][:2] == (1, "admin") and rows[0][4] is True and rows[0][5] is True
    assert [r[1] for r in rows[1:4]] == ["user001", "user002", "user003"]
    assert not any(r[4] for r in rows[1:])
    assert {r[3] for r in rows} == {password_hash}
    assert len({r[1].lower() for r in rows}) == USERS
    assert dup_emails == 0
    # Every 25th ordinary user has left, to exercise is_active.
    assert [r[1] for r in rows if not r[5]] == ["user025"]


def test_sequences_are_past_the_seeded_ids(seeded):
    dsn, _ = seeded
    with psycopg.connect(dsn) as conn:
        uid = conn.execute("INSERT INTO users (username, email, password_hash) "
                           "VALUES ('later', 'later@example.com', 'x') RETURNING id").fetchone()[0]
        tag = conn.execute("INSERT INTO tags (name) VALUES ('later') RETURNING id").fetchone()[0]
        tid = conn.execute("INSERT INTO tickets (subject, reporter_id) VALUES ('later', 1) "
                           "RETURNING id").fetchone()[0]
        cid = conn.execute("INSERT INTO comments (ticket_id, author_id, body) VALUES (%s, 1, 'c') "
                           "RETURNING id", [tid]).fetchone()[0]
        conn.rollback()  # the other tests count rows
    assert (uid, tag, tid, cid) == (USERS + 1, TAGS + 1, TICKETS + 1, TICKETS * CPT + 1)


def test_second_seeding_is_refused_and_changes_nothing(seeded, password_hash):
    dsn, _ = seeded
    before = counts(dsn)
    result = load(generate(["--users", "3", "--tickets", "5"], password_hash), dsn)
    assert result.returncode != 0
    assert "seed refused" in result.stderr.decode()
    assert counts(dsn) == before


def test_same_seed_gives_same_bytes(seeded, password_hash):
    _, script = seeded
    assert generate(SEED_ARGS, password_hash) == script
    other = [*SEED_ARGS[:-1], "8"]
    assert generate(other, password_hash) != script


def test_empty_seed_leaves_sequences_at_one(legacy_dsn, password_hash):
    result = load(generate(["--users", "1", "--tickets", "0", "--tags", "0"], password_hash), legacy_dsn)
    assert result.returncode == 0, result.stderr.decode()
    with psycopg.connect(legacy_dsn) as conn:
        assert conn.execute("SELECT username, is_admin FROM users").fetchall() == [("admin", True)]
        assert conn.execute("INSERT INTO tickets (subject, reporter_id) VALUES ('s', 1) "
                            "RETURNING id").fetchone()[0] == 1
        assert conn.execute("INSERT INTO tags (name) VALUES ('t') RETURNING id").fetchone()[0] == 1


def test_output_is_chunked_for_large_runs(password_hash):
    # Rows are emitted per chunk of tickets rather than per table, which is
    # what keeps memory flat for a million tickets.
    script = generate(["--users", "3", "--tickets", "5001", "--comments-per-ticket", "0"], password_hash)
    assert script.count(b"COPY tickets ") == 2
    assert script.rstrip().endswith(b"ANALYZE users, tags, tickets, ticket_tags, comments, audit_log;")


@pytest.mark.parametrize("args", [
    ["--users", "0", "--tickets", "1", "--password-hash", FALLBACK_HASH],
    ["--users", "2", "--tickets", "-1", "--password-hash", FALLBACK_HASH],
    ["--users", "2", "--tickets", "1", "--password-hash", "plain-text"],
    ["--users", "2", "--tickets", "1"],
])
def test_bad_arguments_exit_2(args):
    result = subprocess.run([sys.executable, str(SEED), *args], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "error" in result.stderr


# --- the PHP app, end to end ------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the test asserts on the 302 itself


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, path: str, data: dict | None = None) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read().decode()

    def csrf(self, path: str) -> str:
        status, _, html = self.request(path)
        assert status == 200, html
        match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
        assert match, html
        return match.group(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def php_app(legacy_dsn, password_hash):
    if not php_has_pgsql():
        pytest.skip("php-cli with pdo_pgsql is not installed on this host (apt-get install php-cli php-pgsql)")
    result = load(generate(["--users", "26", "--tickets", "10", "--tags", "5"], password_hash), legacy_dsn)
    assert result.returncode == 0, result.stderr.decode()
    params = conninfo_to_dict(legacy_dsn)
    tmp = Path(tempfile.mkdtemp(prefix="helpdesk-php-"))
    config = tmp / "config.php"
    config.write_text(
        "<?php\n$HELPDESK_DB = ['dsn' => 'pgsql:host=%s;port=%s;dbname=%s', 'user' => '%s', 'password' => ''];\n"
        % (params["host"], params["port"], params["dbname"], params["user"]))
    (tmp / "sessions").mkdir()
    port = _free_port()
    log = tmp / "php-error.log"
    proc = subprocess.Popen(
        ["php", "-d", f"session.save_path={tmp / 'sessions'}", "-d", f"error_log={log}",
         "-S", f"127.0.0.1:{port}", "-t", str(PHP_ROOT)],
        env={**os.environ, "HELPDESK_CONFIG": str(config)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("php -S did not start")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", legacy_dsn, log
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        shutil.rmtree(tmp, ignore_errors=True)


def test_php_app_login_create_ticket_comment(php_app):
    base, dsn, log = php_app
    web = Browser(base)

    status, _, body = web.request("/healthz.php")
    assert (status, body.strip()) == (200, "ok")
    status, headers, _ = web.request("/index.php")
    assert status == 302 and headers["Location"] == "/login.php"

    status, _, html = web.request("/login.php", {"username": "user001", "password": "wrong",
                                                 "csrf": web.csrf("/login.php")})
    assert status == 200 and "Invalid username or password" in html
    status, _, html = web.request("/login.php", {"username": "user025", "password": PASSWORD,
                                                 "csrf": web.csrf("/login.php")})
    assert status == 200 and "Invalid username or password" in html  # user025 is inactive
    status, _, _ = web.request("/login.php", {"username": "user001", "password": PASSWORD})
    assert status == 400  # no CSRF token
    status, headers, html = web.request("/login.php", {"username": "User001", "password": PASSWORD,
                                                       "csrf": web.csrf("/login.php")})
    assert status == 302 and headers["Location"] == "/index.php", html

    status, _, html = web.request("/index.php?q=&status=&page=1")
    assert status == 200 and "user001" in html and 'href="/ticket.php?id=' in html

    token = web.csrf("/ticket_edit.php")
    form = {"csrf": token, "subject": "Printer on fire <b>", "body": "Smoke\r\neverywhere",
            "status": "pending", "priority": "2", "assignee_id": "1", "tags": "php-test, Billing, php-test"}
    status, _, html = web.request("/ticket_edit.php", {**form, "subject": "  "})
    assert status == 200 and "The subject is required." in html
    status, _, html = web.request("/ticket_edit.php", {**form, "priority": "9"})
    assert status == 200 and "priority" in html
    status, headers, html = web.request("/ticket_edit.php", form)
    assert status == 302, html
    match = re.fullmatch(r"/ticket\.php\?id=(\d+)", headers["Location"])
    assert match
    ticket_id = int(match.group(1))

    status, _, html = web.request(f"/ticket.php?id={ticket_id}")
    assert status == 200
    assert f"<h1>#{ticket_id} Printer on fire &lt;b&gt;</h1>" in html

    status, headers, _ = web.request(f"/ticket.php?id={ticket_id}", {"csrf": token, "body": "On it"})
    assert status == 302 and headers["Location"] == f"/ticket.php?id={ticket_id}"
    status, _, _ = web.request("/audit.php")
    assert status == 403  # user001 is no admin

    with psycopg.connect(dsn) as conn:
        user_id = conn.execute("SELECT id FROM users WHERE username = 'user001'").fetchone()[0]
        ticket = conn.execute("SELECT subject, body, status, priority, reporter_id, assignee_id "
                              "FROM tickets WHERE id = %s", [ticket_id]).fetchone()
        tags = [r[0] for r in conn.execute(
            "SELECT g.name FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id "
            "WHERE tt.ticket_id = %s ORDER BY g.name", [ticket_id])]
        audit = conn.execute(
            "SELECT user_id, action, entity, entity_id, details FROM audit_log "
            "WHERE happened_at > now() - interval '5 minutes' ORDER BY happened_at").fetchall()
        comment = conn.execute("SELECT author_id, body FROM comments WHERE ticket_id = %s",
                               [ticket_id]).fetchall()
        last_login_recent = conn.execute(
            "SELECT last_login > now() - interval '5 minutes' FROM users WHERE id = %s",
            [user_id]).fetchone()[0]
    assert ticket == ("Printer on fire <b>", "Smoke\neverywhere", "pending", 2, user_id, 1)
    assert tags == ["billing", "php-test"]
    assert audit == [
        (user_id, "login", "user", user_id, "user001"),
        (user_id, "create", "ticket", ticket_id, "Printer on fire <b>"),
        (user_id, "comment", "ticket", ticket_id, "Printer on fire <b>"),
    ]
    assert comment == [(user_id, "On it")]
    assert last_login_recent is True
    assert not log.exists() or log.read_text() == ""
