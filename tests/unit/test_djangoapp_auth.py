"""django_takeover.djangoapp: legacy sign-in on a real PostgreSQL, with hashes made by PHP.

Django settings are never configured in the pytest process (other tests run
Django tools in subprocesses), so each scenario runs in a subprocess against
a small project written to a temp dir: a legacy users table nobody designed
for Django ("people": login, pw, active, level, ...), its unmanaged model, and
the app configured by TAKEOVER_* settings. Scenarios assert inside the
subprocess; a failure shows its traceback here.

Hashes come from php-cli (password_hash, crypt), so the test proves the app
verifies what PHP really writes, and PHP's password_verify checks the result.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

LEGACY_SQL = """
CREATE TABLE people (
    id     serial PRIMARY KEY,
    login  varchar(64) NOT NULL,
    pw     varchar(255),
    active boolean NOT NULL DEFAULT true,
    level  integer NOT NULL DEFAULT 0,
    mail   text,
    name   text NOT NULL DEFAULT '',
    seen   timestamptz
);
CREATE TABLE login_events (people_id integer, at timestamptz NOT NULL DEFAULT now());
"""

MODELS = '''
from django.db import models


class People(models.Model):
    login = models.CharField(max_length=64)
    pw = models.CharField(max_length=255, blank=True, null=True)
    active = models.BooleanField(db_default=True)
    level = models.IntegerField(db_default=0)
    mail = models.TextField(blank=True, null=True)
    name = models.TextField(db_default="")
    seen = models.DateTimeField(blank=True, null=True)

    class Meta:
        managed = False
        db_table = "people"
'''

HOOKS = '''
from django.db import connection


def record(request, user, legacy_user):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO login_events (people_id) VALUES (%s)", [legacy_user.pk])


not_callable = 42
'''

URLS = '''
from django.http import HttpResponse
from django.urls import path


def whoami(request):
    return HttpResponse(request.user.get_username() if request.user.is_authenticated else "-")


urlpatterns = [path("whoami", whoami)]
'''

SETTINGS = '''
import json
import os

SECRET_KEY = "test-only-" + "x" * 50
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_takeover.djangoapp",
    "legacy",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "urls"
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql",
    "HOST": "127.0.0.1", "PORT": os.environ["T_PORT"], "NAME": os.environ["T_DB"],
    "USER": os.environ["T_USER"], "ATOMIC_REQUESTS": True,
    "OPTIONS": {"options": "-c search_path=django,public"},
}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
# Fast test hashing for the "on-login" rehash.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                    "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
AUTHENTICATION_BACKENDS = ["django_takeover.djangoapp.auth.LegacyUserBackend"]
TAKEOVER_LEGACY_USER_MODEL = "legacy.People"
TAKEOVER_LEGACY_USERNAME_FIELD = "login"
TAKEOVER_LEGACY_PASSWORD_FIELD = "pw"
TAKEOVER_LEGACY_ACTIVE_FIELD = "active"
TAKEOVER_LEGACY_ADMIN_FIELD = {"level__gte": 10}
TAKEOVER_LEGACY_EMAIL_FIELD = "mail"
TAKEOVER_LEGACY_FULL_NAME_FIELD = "name"
TAKEOVER_LEGACY_LAST_LOGIN_FIELD = "seen"
TAKEOVER_LOGIN_HOOK = "hooks.record"
LOGGING = {
    "version": 1,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django_takeover": {"handlers": ["stderr"], "level": "INFO"}},
}
# Per-scenario overrides.
globals().update(json.loads(os.environ.get("T_SETTINGS", "{}")))
'''

PRELUDE = '''
import django
django.setup()
from django.contrib.auth import authenticate, get_user_model
from django.db import connection
from django.test import Client
from django_takeover.djangoapp.models import LegacyLink
from legacy.models import People
User = get_user_model()

def sql(query, params=None):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else None

def logged_in(username, password):
    client = Client()
    assert client.login(username=username, password=password), f"login of {username} failed"
    assert client.get("/whoami").content.decode() != "-"
    return client

def whoami(client):
    return client.get("/whoami").content.decode()

def shadow(legacy_id):
    return LegacyLink.objects.select_related("user").get(legacy_user_id=str(legacy_id)).user
'''


def php(code: str, *args: str, stdin: str = "") -> str:
    """Run PHP code with php-cli; the password goes through stdin, never argv."""
    if shutil.which("php") is None:
        pytest.fail("php-cli is not installed (the lab machine has it: apt-get install php-cli)")
    return subprocess.run(["php", "-r", code, "--", *args], input=stdin, capture_output=True,
                          text=True, check=True, timeout=60).stdout


def php_hash(password: str, algo: str) -> str:
    """A hash exactly as the PHP app would store it."""
    if algo == "2y":
        return php('echo password_hash(stream_get_contents(STDIN), PASSWORD_BCRYPT, ["cost" => 4]);',
                   stdin=password)
    if algo in ("2a", "2b"):
        # password_hash() always writes $2y$; older PHP code (crypt()) wrote these.
        return php('echo crypt(stream_get_contents(STDIN), "$" . $argv[1] . "$04$" . $argv[2]);',
                   algo, os.urandom(11).hex()[:22], stdin=password)
    if algo in ("argon2i", "argon2id"):
        const = "PASSWORD_ARGON2I" if algo == "argon2i" else "PASSWORD_ARGON2ID"
        return php(f'echo password_hash(stream_get_contents(STDIN), {const}, '
                   '["memory_cost" => 1024, "time_cost" => 1, "threads" => 1]);', stdin=password)
    raise ValueError(algo)


def php_verify(password: str, hashed: str) -> bool:
    return php('echo password_verify(stream_get_contents(STDIN), $argv[1]) ? "yes" : "no";',
               hashed, stdin=password) == "yes"


class Project:
    def __init__(self, root: Path, dsn: str, env: dict):
        self.root, self.dsn, self.env = root, dsn, env

    def sql(self, query, params=None):
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else None

    def add_user(self, login, password=None, algo="2y", pw=None, **columns):
        columns = {"login": login, "pw": pw if pw is not None else php_hash(password, algo), **columns}
        names = ", ".join(columns)
        marks = ", ".join(["%s"] * len(columns))
        return self.sql(f"INSERT INTO people ({names}) VALUES ({marks}) RETURNING id",
                        list(columns.values()))[0][0]

    def pw(self, user_id):
        return self.sql("SELECT pw FROM people WHERE id = %s", [user_id])[0][0]

    def run(self, code: str, settings: dict | None = None, check=True):
        env = dict(self.env, T_SETTINGS=json.dumps(settings or {}))
        result = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code)], cwd=self.root,
                                env=env, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            pytest.fail(f"scenario failed:\n{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture(scope="module")
def project(pg_cluster, tmp_path_factory):
    root = tmp_path_factory.mktemp("takeover-app")
    (root / "legacy").mkdir()
    (root / "legacy/__init__.py").write_text("")
    (root / "legacy/models.py").write_text(MODELS)
    (root / "hooks.py").write_text(HOOKS)
    (root / "urls.py").write_text(URLS)
    (root / "tsettings.py").write_text(SETTINGS)
    dsn = pg_cluster.create_database(sql=LEGACY_SQL)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA django")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TAKEOVER_"))}
    env.update(PYTHONPATH=str(root), DJANGO_SETTINGS_MODULE="tsettings", T_PORT=str(pg_cluster.port),
               T_DB=psycopg.conninfo.conninfo_to_dict(dsn)["dbname"], T_USER=pg_cluster.user)
    p = Project(root, dsn, env)
    for app in ("contenttypes", "auth", "sessions", "takeover"):
        subprocess.run([sys.executable, "-m", "django", "migrate", "--no-input", app], cwd=root, env=env,
                       check=True, capture_output=True, timeout=120)
    return p


@pytest.mark.parametrize("algo", ["2y", "2a", "2b", "argon2i", "argon2id"])
def test_php_hashes_sign_in_and_stay_verifiable_by_php(project, algo):
    password = f"pässwörd-{algo}"
    hashed = php_hash(password, algo)
    assert hashed.startswith(f"${algo}$"), hashed
    uid = project.add_user(f"user-{algo}", pw=hashed, mail=f"{algo}@example.invalid", name="Some One")
    project.run(f"""
        assert authenticate(username="user-{algo}", password="wrong") is None
        user = authenticate(username="user-{algo}", password={password!r})
        assert user is not None and user.get_username() == "user-{algo}"
        assert (user.email, user.first_name, user.is_staff) == ("{algo}@example.invalid", "Some One", False)
        assert not user.has_usable_password()
    """)
    # "never" (the default): the hash PHP wrote is untouched, and PHP still accepts it.
    assert project.pw(uid) == hashed
    assert php_verify(password, project.pw(uid))


def test_bcrypt_follows_phps_72_byte_rule(project):
    password = "é" * 36 + "tail that PHP ignores"  # 72 bytes before the tail
    hashed = php_hash(password, "2y")
    other = "é" * 36 + "a different tail"
    assert php_verify(other, hashed)  # PHP's own rule
    project.add_user("long", pw=hashed)
    project.run(f"""
        assert authenticate(username="long", password={other!r}) is not None
        assert authenticate(username="long", password={"é" * 35!r}) is None
    """)


@pytest.mark.parametrize("stored, scheme, advice", [
    ("5f4dcc3b5aa765d61d8327deb882cf99", "md5-hex", "md5($password)"),
    ("SHA1:5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", "sha1-hex", "sha1($password)"),
    (":pbkdf2:sha512:30000:64:c2FsdA==:aGFzaA==", "unknown", "not one of PHP password_hash()'s"),
    ("", "empty", "no password hash"),
])
def test_other_schemes_are_refused_and_logged_with_advice(project, stored, scheme, advice):
    project.add_user(f"old-{scheme}", pw=stored)
    result = project.run(f"""
        assert authenticate(username="old-{scheme}", password="password") is None
        assert not LegacyLink.objects.filter(user__username="old-{scheme}").exists()
    """)
    assert f"password hash scheme {scheme!r}" in result.stderr, result.stderr
    assert advice in result.stderr


def test_usernames_compare_as_configured(project):
    project.add_user("Mixed", "mixed-pw")
    project.run("""
        assert authenticate(username="mixed", password="mixed-pw") is None
        assert authenticate(username="Mixed", password="mixed-pw") is not None
    """)
    insensitive = {"TAKEOVER_LEGACY_USERNAME_CASE_INSENSITIVE": True}
    project.run("""
        user = authenticate(username="MIXED", password="mixed-pw")
        assert user.get_username() == "Mixed"  # the shadow user keeps the name as stored
    """, insensitive)
    # Two rows that compare equal: refused rather than picking one.
    project.add_user("mixed", "mixed-pw")
    result = project.run("""assert authenticate(username="MIXED", password="mixed-pw") is None""",
                         insensitive)
    assert "2 active users match" in result.stderr


def test_active_and_admin_flags(project):
    admin = project.add_user("boss", "boss-pw", level=10)
    project.add_user("gone", "gone-pw", active=False)
    project.run(f"""
        user = authenticate(username="boss", password="boss-pw")
        assert user.is_staff and user.is_superuser
        assert authenticate(username="gone", password="gone-pw") is None
        client = logged_in("boss", "boss-pw")
        # Demoted in PHP: no longer staff on the next request.
        sql("UPDATE people SET level = 1 WHERE id = %s", [{admin}])
        assert whoami(client) == "boss"
        assert not User.objects.get(username="boss").is_staff
        # Deactivated in PHP: signed out on the next request.
        sql("UPDATE people SET active = false WHERE id = %s", [{admin}])
        assert whoami(client) == "-"
    """)


def test_login_hook_and_last_login(project):
    uid = project.add_user("hooked", "hooked-pw")
    project.run("""
        logged_in("hooked", "hooked-pw")
        # authenticate() alone is not a login: no trace.
        authenticate(username="hooked", password="hooked-pw")
    """)
    assert project.sql("SELECT count(*) FROM login_events WHERE people_id = %s", [uid]) == [(1,)]
    assert project.sql("SELECT seen IS NOT NULL FROM people WHERE id = %s", [uid]) == [(True,)]


def test_shadow_user_follows_renames(project):
    dave = project.add_user("dave", "dave-pw")
    project.run("logged_in('dave', 'dave-pw')")
    project.sql("UPDATE people SET login = 'david' WHERE id = %s", [dave])
    newdave = project.add_user("dave", "new-pw")
    project.run(f"""
        first = shadow({dave}).pk
        logged_in("dave", "new-pw")   # the new dave takes the name; the old shadow moves aside
        assert shadow({newdave}).pk != first and shadow({newdave}).username == "dave"
        assert shadow({dave}).username == "dave~{dave}"
        logged_in("david", "dave-pw")  # the renamed user keeps their shadow user, under the new name
        assert shadow({dave}).pk == first and shadow({dave}).username == "david"
        # A local user holding the name is adopted, not duplicated.
        local = User.objects.create(username="erin")
    """)
    erin = project.add_user("erin", "erin-pw")
    project.run(f"""
        logged_in("erin", "erin-pw")
        assert shadow({erin}) == User.objects.get(username="erin")
        assert User.objects.filter(username__startswith="erin").count() == 1
    """)


def test_session_ends_when_the_legacy_hash_changes(project):
    uid = project.add_user("frank", "frank-pw")
    new_hash = php_hash("frank-new", "argon2id")
    project.run(f"""
        client = logged_in("frank", "frank-pw")
        other = logged_in("frank", "frank-pw")
        # A change to anything but the hash keeps the session.
        sql("UPDATE people SET mail = 'f@example.invalid', name = 'Frank' WHERE id = %s", [{uid}])
        assert whoami(client) == "frank"
        # PHP changes the password: every Django session of the user ends.
        sql("UPDATE people SET pw = %s WHERE id = %s", [{new_hash!r}, {uid}])
        assert whoami(client) == "-" and whoami(other) == "-"
        assert authenticate(username="frank", password="frank-pw") is None
        client = logged_in("frank", "frank-new")
        assert whoami(client) == "frank"
    """)


def test_rehash_policy_never_leaves_the_php_hash(project):
    uid = project.add_user("gina", "gina-pw", algo="argon2i")
    before = project.pw(uid)
    project.run("""
        for _ in range(2):
            logged_in("gina", "gina-pw")
    """, {"TAKEOVER_PASSWORD_REHASH": "never"})
    assert project.pw(uid) == before


def test_rehash_policy_on_login_moves_to_djangos_hasher(project):
    uid = project.add_user("hank", "hank-pw", algo="2y")
    result = project.run(f"""
        client = logged_in("hank", "hank-pw")
        stored = People.objects.get(pk={uid}).pw
        assert stored.startswith("md5$"), stored          # PASSWORD_HASHERS[0] of the test project
        assert whoami(client) == "hank"                   # the rehash did not end this login
        assert authenticate(username="hank", password="hank-pw") is not None
        assert authenticate(username="hank", password="wrong") is None
        assert People.objects.get(pk={uid}).pw == stored  # already Django's preferred: left alone
        # A Django hash with an outdated hasher is upgraded too.
        from django.contrib.auth.hashers import make_password
        sql("UPDATE people SET pw = %s WHERE id = %s", [make_password("hank-pw", hasher="pbkdf2_sha256"), {uid}])
        assert authenticate(username="hank", password="hank-pw") is not None
        assert People.objects.get(pk={uid}).pw.startswith("md5$")
    """, {"TAKEOVER_PASSWORD_REHASH": "on-login"})
    assert "password rehashed with Django's md5 hasher" in result.stderr
    assert not php_verify("hank-pw", project.pw(uid))  # what "never" protects PHP from


def test_dummy_hash_cost_follows_the_real_hashes(project):
    project.run("""
        from django_takeover.djangoapp import passwords
        dummy = passwords.DummyHash(ttl=0)
        assert dummy.get(lambda n: []).startswith("md5$")  # nothing to follow: Django's hasher
        bcrypt5 = ["$2y$05$" + "a" * 53] * 3 + ["$2y$10$" + "a" * 53]
        assert dummy.get(lambda n: bcrypt5).startswith("$2b$05$")
        argon = ["$argon2id$v=19$m=2048,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"]
        assert dummy.get(lambda n: argon).startswith("$argon2id$v=19$m=2048,t=2,p=1$")
    """)


@pytest.mark.parametrize("settings, code", [
    ({"TAKEOVER_LEGACY_USER_MODEL": None}, "takeover.E001"),
    ({"TAKEOVER_LEGACY_USER_MODEL": "legacy.Nope"}, "takeover.E002"),
    ({"TAKEOVER_LEGACY_PASSWORD_FIELD": "password"}, "takeover.E003"),
    ({"TAKEOVER_LEGACY_ADMIN_FIELD": "level"}, "takeover.E004"),
    ({"TAKEOVER_PASSWORD_REHASH": "always"}, "takeover.E005"),
    ({"TAKEOVER_LOGIN_HOOK": "hooks.not_callable"}, "takeover.E006"),
    ({"AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend"]}, "takeover.W001"),
    ({"AUTHENTICATION_BACKENDS": ["django_takeover.djangoapp.auth.LegacyUserBackend",
                                  "django.contrib.auth.backends.ModelBackend"]}, "takeover.W002"),
])
def test_system_checks_name_the_misconfiguration(project, settings, code):
    result = project.run("""
        from django.core.management import call_command
        call_command("check", "--fail-level", "WARNING")
    """, settings, check=False)
    assert result.returncode != 0
    assert code in result.stderr, result.stderr


def test_system_checks_pass_as_configured(project):
    project.run("""
        from django.core.management import call_command
        call_command("check", "--fail-level", "WARNING", "--database", "default")
    """)
