"""The sample Django app (lab/django) on the legacy schema, over real HTTP.

Django settings are never configured in this process: other tests in the same
pytest run use Django tools in subprocesses. So the app runs in a subprocess
(runserver, against a throwaway database), configured the way the deploy role
configures it: through the settings overlay the deploy role renders
(roles/takeover_django_app/templates/takeover_settings.py.j2, rendered here
with Jinja2), which star-imports the project's settings and replaces
DATABASES, SECRET_KEY, ALLOWED_HOSTS, STATIC_ROOT and LOGGING.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import bcrypt
import jinja2
import psycopg
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT_DIR = REPO_ROOT / "lab/django"
SCHEMA_SQL = REPO_ROOT / "lab/legacy/schema.sql"
# Every app Django may migrate; the legacy app "helpdesk" is never among them.
OWN_APPS = ["contenttypes", "auth", "admin", "sessions", "takeover", "takeover_auth"]

PASSWORDS = {"alice": "alice-Secret-1", "bob": "bob-Secret-2", "carol": "carol-Secret-3"}

ROLE_DIR = REPO_ROOT / "roles/takeover_django_app"
OVERLAY_TEMPLATE = ROLE_DIR / "templates/takeover_settings.py.j2"

# Test-only hooks on top of the overlay the deploy role renders.
TEST_OVERLAY = """\
from takeover_settings import *  # noqa: F401,F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = {mail_dir!r}
ADMINS = [("Ops", "ops@example.invalid")]
ROOT_URLCONF = "test_urls"
"""

TEST_URLS = """\
from django.urls import include, path


def boom(request):
    raise RuntimeError("boom for the error-report test")


urlpatterns = [path("boom/", boom), path("", include("helpdesk_site.urls"))]
"""


def php_bcrypt(password: str) -> str:
    """A hash as PHP's password_hash(PASSWORD_BCRYPT) writes it: "$2y$" prefix."""
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    assert hashed.startswith("$2b$")
    return "$2y$" + hashed[4:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dump_public_schema(dsn: str) -> str:
    dump = subprocess.run(
        ["pg_dump", "--schema-only", "--schema=public", "--no-owner", "-d", dsn],
        check=True, capture_output=True, text=True,
    ).stdout
    # Recent pg_dump wraps its output in \restrict <random key> ... \unrestrict <key>.
    return re.sub(r"^\\(un)?restrict .*$", "", dump, flags=re.MULTILINE)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A browser in miniature: cookies, CSRF tokens, redirects left to the test."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)

    def request(self, method, path, data=None):
        body = None
        if data is not None:
            data = {**data, "csrfmiddlewaretoken": self.cookie("csrftoken") or ""}
            body = urllib.parse.urlencode(data, doseq=True).encode()
        req = urllib.request.Request(self.base + path, data=body, method=method)
        try:
            with self.opener.open(req, timeout=15) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read().decode()

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data):
        return self.request("POST", path, data)

    def login(self, username, password):
        self.get("/accounts/login/")
        return self.post("/accounts/login/", {"username": username, "password": password})


class App:
    def __init__(self, dsn, base, env, log_path, mail_dir, public_before, users):
        self.dsn, self.base, self.env = dsn, base, env
        self.log_path, self.mail_dir = log_path, mail_dir
        self.public_before, self.users = public_before, users

    def manage(self, *args, check=True):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=PROJECT_DIR, env=self.env,
            capture_output=True, text=True, timeout=60, check=check,
        )

    def sql(self, query, params=None):
        with psycopg.connect(self.dsn) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else None

    def client(self):
        return Client(self.base)

    def logged_in(self, username):
        client = self.client()
        status, headers, _ = client.login(username, PASSWORDS[username])
        assert status == 302, f"login of {username} failed"
        return client


def render_overlay(directory: Path, cluster, dsn: str, project: str, **overrides) -> dict:
    """
    Render the deploy role's real settings overlay into ``directory`` as
    takeover_settings.py, with the role's defaults and this test's database.
    Returns the environment the role's service file would provide.
    """
    defaults = yaml.safe_load((ROLE_DIR / "defaults/main.yml").read_text())
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["to_json"] = json.dumps  # Ansible's filter of the same name
    variables = {
        "ansible_managed": "Rendered by tests/unit/test_django_app.py",
        "takeover_django_app_project": project,
        "takeover_django_app_allowed_hosts": ["127.0.0.1", "localhost"],
        "takeover_django_app_db_host": "127.0.0.1",
        "takeover_django_app_db_port": cluster.port,
        "takeover_django_app_db_name": re.search(r"dbname=(\S+)", dsn).group(1),
        "takeover_django_app_db_user": cluster.user,
        "takeover_django_app_db_schema": "django",
        "takeover_django_app_legacy_db_schema": defaults["takeover_django_app_legacy_db_schema"],
        "takeover_django_app_db_conn_max_age": defaults["takeover_django_app_db_conn_max_age"],
        "takeover_django_app_log_level": defaults["takeover_django_app_log_level"],
        "takeover_django_app_password_rehash": defaults["takeover_django_app_password_rehash"],
        **overrides,
    }
    directory.mkdir(parents=True, exist_ok=True)
    text = env.from_string(OVERLAY_TEMPLATE.read_text()).render(variables)
    (directory / "takeover_settings.py").write_text(text)
    return {"TAKEOVER_DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "TAKEOVER_DJANGO_DB_PASSWORD": ""}


def app_env(overlay_dir: Path, project_dir: Path = PROJECT_DIR, **extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "HELPDESK_", "TAKEOVER_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(overlay_dir), str(project_dir)]),
        DJANGO_SETTINGS_MODULE="test_overlay",
        PYTHONUNBUFFERED="1",
        **json.loads((overlay_dir / "service_env.json").read_text()),
        **extra,
    )
    return env


def write_overlay(directory: Path, cluster, dsn: str, **overrides) -> None:
    service_env = render_overlay(directory, cluster, dsn, "helpdesk_site", **overrides)
    (directory / "service_env.json").write_text(json.dumps(service_env))
    (directory / "test_overlay.py").write_text(TEST_OVERLAY.format(mail_dir=str(directory / "mail")))
    (directory / "test_urls.py").write_text(TEST_URLS)


@pytest.fixture(scope="module")
def app(pg_cluster, tmp_path_factory):
    dsn = pg_cluster.create_database(sql_file=SCHEMA_SQL)
    public_before = dump_public_schema(dsn)
    users = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        # What the database-access role does: Django's schema, first on the path.
        dbname = conn.info.dbname
        conn.execute("CREATE SCHEMA django")
        conn.execute(f'ALTER DATABASE "{dbname}" SET search_path = django, public')
        for name, is_admin, is_active in [("alice", True, True), ("bob", False, True),
                                          ("carol", False, False)]:
            users[name] = conn.execute(
                "INSERT INTO users (username, email, password_hash, full_name, is_admin, is_active)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                [name.capitalize() if name == "alice" else name, f"{name}@example.invalid",
                 php_bcrypt(PASSWORDS[name]), f"{name.capitalize()} Example", is_admin, is_active],
            ).fetchone()[0]

    overlay_dir = tmp_path_factory.mktemp("django-overlay")
    write_overlay(overlay_dir, pg_cluster, dsn)
    port = free_port()
    env = app_env(overlay_dir)
    app = App(dsn, f"http://127.0.0.1:{port}", env, overlay_dir / "server.log",
              overlay_dir / "mail", public_before, users)

    for label in OWN_APPS:
        app.manage("migrate", "--no-input", label)

    with running_server(env, port, app.log_path) as status:
        if status != 200:
            pytest.fail(f"/healthz answered {status}:\n" + app.log_path.read_text())
        yield app


@contextlib.contextmanager
def running_server(env, port, log_path, plain_wsgi=False):
    """
    runserver on 127.0.0.1:port; yields the first /healthz status it answers.

    plain_wsgi serves helpdesk_site.wsgi:application, as gunicorn would, with
    the standard library's server instead: runserver itself refuses to start
    without a database.
    """
    if plain_wsgi:
        command = ["-c", "from wsgiref.simple_server import make_server; "
                   "from helpdesk_site.wsgi import application; "
                   f"make_server('127.0.0.1', {port}, application).serve_forever()"]
    else:
        command = ["manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"]
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, *command],
            cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                pytest.fail("runserver exited:\n" + log_path.read_text())
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
                    status = resp.status
                break
            except urllib.error.HTTPError as err:
                status = err.code
                break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("runserver did not answer in 30 s:\n" + log_path.read_text())
            time.sleep(0.2)
        yield status
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def audit_rows(app, action, entity_id=None):
    query = "SELECT user_id, action, entity, entity_id, details FROM audit_log WHERE action = %s"
    params = [action]
    if entity_id is not None:
        query += " AND entity_id = %s"
        params.append(entity_id)
    return app.sql(query + " ORDER BY happened_at", params)


def test_healthz_needs_no_login(app):
    status, headers, body = app.client().get("/healthz")
    assert (status, body) == (200, "ok")


def test_pages_need_login(app):
    status, headers, _ = app.client().get("/tickets/")
    assert status == 302
    assert headers["Location"].startswith("/accounts/login/?next=")


def test_wrong_password_unknown_or_inactive_user_does_not_log_in(app):
    before = len(audit_rows(app, "login"))
    for username, password in [("alice", "wrong"), ("nobody", "x"), ("carol", PASSWORDS["carol"])]:
        client = app.client()
        status, _, body = client.login(username, password)
        assert status == 200 and "Invalid username or password" in body
        assert client.cookie("sessionid") is None
    # PHP ignores bytes past 72; bcrypt 5 would raise on them. Either way, no 500.
    assert app.client().login("alice", "x" * 100)[0] == 200
    assert len(audit_rows(app, "login")) == before
    assert app.sql("SELECT last_login FROM users WHERE username = 'carol'") == [(None,)]


def test_login_verifies_php_hash_without_rewriting_it(app):
    alice = app.users["alice"]
    (hash_before,) = app.sql("SELECT password_hash FROM users WHERE id = %s", [alice])[0]
    assert hash_before.startswith("$2y$")

    # Case-insensitive, as PHP finds users by lower(username); stored as "Alice".
    client = app.client()
    status, headers, _ = client.login("alice", PASSWORDS["alice"])
    assert status == 302 and headers["Location"] == "/tickets/"
    status, _, body = client.get("/tickets/")
    assert status == 200 and "Alice Example" in body

    hash_after, last_login = app.sql(
        "SELECT password_hash, last_login FROM users WHERE id = %s", [alice])[0]
    assert hash_after == hash_before
    assert last_login is not None
    assert (alice, "login", "user", alice, "Alice") in audit_rows(app, "login")
    # The shadow user lives in Django's schema, linked by legacy id, flags from is_admin.
    assert app.sql(
        "SELECT u.username, u.is_staff, u.is_superuser, u.password LIKE '!%%', l.legacy_user_id "
        "FROM django.auth_user u JOIN django.takeover_legacylink l ON l.user_id = u.id"
        " WHERE u.username = 'Alice'"
    ) == [("Alice", True, True, True, str(alice))]


def test_create_edit_comment_write_legacy_rows_and_audit(app):
    bob, alice = app.users["bob"], app.users["alice"]
    client = app.logged_in("bob")
    status, _, body = client.get("/tickets/new/")
    assert status == 200 and 'name="csrfmiddlewaretoken"' in body

    status, headers, _ = client.post("/tickets/new/", {
        "subject": "Printer on fire", "body": "Third floor.", "status": "open",
        "priority": "2", "assignee": "", "tags": " Hardware,urgent \t now,, hardware ",
    })
    assert status == 302, body
    ticket_id = int(re.fullmatch(r"/tickets/(\d+)/", headers["Location"]).group(1))
    assert app.sql(
        "SELECT subject, status, priority, reporter_id, assignee_id, created_at = updated_at "
        "FROM tickets WHERE id = %s", [ticket_id]
    ) == [("Printer on fire", "open", 2, bob, None, True)]
    assert audit_rows(app, "create", ticket_id) == [
        (bob, "create", "ticket", ticket_id, "Printer on fire")]

    def tags():
        return sorted(r[0] for r in app.sql(
            "SELECT t.name FROM ticket_tags tt JOIN tags t ON t.id = tt.tag_id "
            "WHERE tt.ticket_id = %s", [ticket_id]))

    # Parsed as PHP parses them: whitespace collapsed, ASCII lowered, no repeats.
    assert tags() == ["hardware", "urgent now"]

    status, _, body = client.get(f"/tickets/{ticket_id}/edit/")
    assert status == 200 and "hardware, urgent now" in body
    status, headers, body = client.post(f"/tickets/{ticket_id}/edit/", {
        "subject": "Printer on fire (again)", "body": "Third floor.", "status": "pending",
        "priority": "1", "assignee": str(alice), "tags": "hardware, facilities",
    })
    assert status == 302, body
    assert tags() == ["facilities", "hardware"]
    assert app.sql(
        "SELECT subject, status, priority, reporter_id, assignee_id, updated_at > created_at "
        "FROM tickets WHERE id = %s", [ticket_id]
    ) == [("Printer on fire (again)", "pending", 1, bob, alice, True)]
    assert audit_rows(app, "update", ticket_id) == [
        (bob, "update", "ticket", ticket_id, "Printer on fire (again)")]

    status, headers, _ = client.post(f"/tickets/{ticket_id}/", {"body": "Extinguisher used."})
    assert status == 302
    assert app.sql("SELECT author_id, body FROM comments WHERE ticket_id = %s", [ticket_id]) == [
        (bob, "Extinguisher used.")]
    assert audit_rows(app, "comment", ticket_id) == [
        (bob, "comment", "ticket", ticket_id, "Printer on fire (again)")]

    status, _, body = client.get(f"/tickets/{ticket_id}/")
    assert status == 200
    assert "Extinguisher used." in body and "Bob Example" in body and "facilities" in body

    # Without a CSRF token the same POST is refused.
    client.jar.clear()
    client = app.logged_in("bob")
    req = urllib.request.Request(
        client.base + f"/tickets/{ticket_id}/", data=b"body=forged", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        client.opener.open(req, timeout=10)
    assert err.value.code == 403


def test_list_search_status_filter_and_paging(app):
    alice = app.users["alice"]
    with psycopg.connect(app.dsn) as conn:
        for n in range(30):
            conn.execute(
                "INSERT INTO tickets (subject, body, status, reporter_id, updated_at) VALUES "
                "(%s, %s, %s, %s, now() + make_interval(mins => %s))",
                [f"Paging {n:02d}", "haystack NEEDLE" if n % 3 == 0 else "hay",
                 "resolved" if n % 2 else "open", alice, 1000 + n],
            )
    client = app.logged_in("alice")
    _, _, page1 = client.get("/tickets/")
    subjects = re.findall(r'<a href="/tickets/\d+/">([^<]+)</a>', page1)
    assert len(subjects) == 25
    assert subjects[:3] == ["Paging 29", "Paging 28", "Paging 27"]  # newest updated_at first
    _, _, page2 = client.get("/tickets/?page=2")
    assert "Paging 04" in page2 and "Paging 05" not in page2

    _, _, found = client.get("/tickets/?q=needle")  # body, case-insensitive
    found_subjects = re.findall(r'<a href="/tickets/\d+/">([^<]+)</a>', found)
    assert sorted(found_subjects) == [f"Paging {n:02d}" for n in range(0, 30, 3)]
    _, _, found = client.get("/tickets/?q=paging+2&status=resolved")  # subject + status
    assert sorted(re.findall(r'<a href="/tickets/\d+/">([^<]+)</a>', found)) == [
        f"Paging {n}" for n in (21, 23, 25, 27, 29)]


def test_legacy_urls_redirect_temporarily(app):
    client = app.logged_in("bob")
    for path, target in [
        ("/", "/tickets/"),
        ("/index.php", "/tickets/"),
        ("/index.php?q=printer", "/tickets/?q=printer"),
        ("/ticket.php?id=7", "/tickets/7/"),
        ("/ticket_edit.php?id=7", "/tickets/7/edit/"),
        ("/ticket_edit.php", "/tickets/new/"),
        ("/login.php", "/accounts/login/"),
    ]:
        status, headers, _ = client.get(path)
        # Never 301: a user moved back to PHP must not be sent here by a cached redirect.
        assert (status, headers.get("Location")) == (302, target), path
    assert client.get("/ticket.php")[0] == 404


def test_admin_for_legacy_admins_only(app):
    alice = app.logged_in("alice")
    for path in ["/admin/", "/admin/helpdesk/tickets/", "/admin/helpdesk/users/",
                 f"/admin/helpdesk/users/{app.users['bob']}/change/"]:
        status, _, body = alice.get(path)
        assert status == 200, path
        assert "$2y$" not in body
    status, _, _ = app.logged_in("bob").get("/admin/")
    assert status == 302


def test_shadow_user_follows_renames_in_php(app):
    def shadow(legacy_id):
        return app.sql(
            "SELECT u.id, u.username FROM django.auth_user u "
            "JOIN django.takeover_legacylink l ON l.user_id = u.id "
            "WHERE l.legacy_user_id = %s", [str(legacy_id)])

    (dave,) = app.sql(
        "INSERT INTO users (username, email, password_hash) VALUES ('dave', 'd@example.invalid', %s)"
        " RETURNING id", [php_bcrypt("dave-pw")])[0]
    assert app.client().login("dave", "dave-pw")[0] == 302
    [(dave_shadow, _)] = shadow(dave)
    # PHP renames dave, and a new user takes the freed name.
    app.sql("UPDATE users SET username = 'david' WHERE id = %s", [dave])
    (newdave,) = app.sql(
        "INSERT INTO users (username, email, password_hash) VALUES ('dave', 'n@example.invalid', %s)"
        " RETURNING id", [php_bcrypt("new-pw")])[0]
    assert app.client().login("dave", "new-pw")[0] == 302
    assert shadow(newdave)[0][0] != dave_shadow
    assert app.client().login("david", "dave-pw")[0] == 302
    assert shadow(dave) == [(dave_shadow, "david")]
    assert shadow(newdave)[0][1] == "dave"


def test_user_deactivated_in_php_loses_session_at_once(app):
    client = app.logged_in("bob")
    assert client.get("/tickets/")[0] == 200
    app.sql("UPDATE users SET is_active = false WHERE id = %s", [app.users["bob"]])
    try:
        assert client.get("/tickets/")[0] == 302
    finally:
        app.sql("UPDATE users SET is_active = true WHERE id = %s", [app.users["bob"]])


def test_logout_is_post_only(app):
    client = app.logged_in("bob")
    assert client.get("/accounts/logout/")[0] == 405
    status, headers, _ = client.post("/accounts/logout/", {})
    assert status == 302
    assert client.get("/tickets/")[0] == 302


def test_http_500_reaches_mail_admins_and_helpdesk_errors(app):
    status, _, body = app.client().get("/boom/")
    assert status == 500
    assert "boom for the error-report test" not in body  # DEBUG off: no traceback leaks
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "helpdesk.errors" not in app.log_path.read_text():
        time.sleep(0.1)
    log = app.log_path.read_text()
    assert re.search(r"ERROR helpdesk\.errors HTTP 500 on GET /boom/", log)
    mails = "".join(p.read_text() for p in app.mail_dir.glob("*.log"))
    assert "ops@example.invalid" in mails and "RuntimeError" in mails


def test_check_deploy_passes_with_overlay(app):
    result = app.manage("check", "--deploy", "--fail-level", "WARNING", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # Behind TLS, with HSTS: nothing left silenced.
    https = dict(app.env, DJANGO_HTTPS="1", DJANGO_HSTS_SECONDS="31536000")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR, env=https, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_collectstatic_and_wsgi_entry_point(app):
    subprocess.run(
        [sys.executable, "-c", "import helpdesk_site.wsgi as w; assert callable(w.application)"],
        cwd=PROJECT_DIR, env=app.env, check=True, capture_output=True, timeout=60,
    )
    assert "static files copied" in app.manage("collectstatic", "--no-input").stdout
    static_root = app.log_path.parent / "static"  # the overlay's STATIC_ROOT
    assert (static_root / "helpdesk/style.css").is_file()
    assert (static_root / "admin/css/base.css").is_file()


def test_legacy_app_has_no_migrations(app):
    assert "(no migrations)" in app.manage("showmigrations", "helpdesk").stdout
    # Everything is applied; nothing is left for any app, helpdesk included.
    assert "No planned migration operations" in app.manage("migrate", "--plan").stdout
    # The link model's migration is complete (exit 1 would mean changes).
    app.manage("makemigrations", "--check", "--dry-run", "takeover", "takeover_auth")
    tables = {r[0] for r in app.sql(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_schema IN ('django', 'public')")}
    assert "django.django_migrations" in tables and "django.takeover_legacylink" in tables
    assert not {t for t in tables if t.startswith("public.") and ("django" in t or "auth" in t)}


def test_migrate_refuses_without_django_schema(pg_cluster, tmp_path):
    dsn = pg_cluster.create_database(sql_file=SCHEMA_SQL)
    before = dump_public_schema(dsn)
    write_overlay(tmp_path, pg_cluster, dsn)
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "auth"], cwd=PROJECT_DIR,
        env=app_env(tmp_path), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "takeover.E010" in result.stderr
    assert dump_public_schema(dsn) == before
    # Nor does such a release pass its health check.
    with running_server(app_env(tmp_path), free_port(), tmp_path / "server.log") as status:
        assert status == 503


def test_healthz_503_when_database_is_down(pg_cluster, tmp_path):
    write_overlay(tmp_path, pg_cluster, pg_cluster.dsn(), takeover_django_app_db_port=free_port())
    with running_server(app_env(tmp_path), free_port(), tmp_path / "server.log",
                        plain_wsgi=True) as status:
        assert status == 503


def test_public_schema_unchanged_by_migrate_and_traffic(app):
    # Runs last in this module: after migrate and every request above.
    assert dump_public_schema(app.dsn) == app.public_before
