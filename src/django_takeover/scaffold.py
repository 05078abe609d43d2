"""
`takeover-models scaffold`: a deployable Django project around generated models.

Step 1 for a team starting from nothing: given the models.py that
`takeover-models generate` wrote, it creates a project that the deploy role's
settings overlay accepts without edits (env-driven settings, a /healthz URL,
a pinned requirements.txt with gunicorn), with django_takeover.djangoapp
installed, legacy sign-in configured from a guess of the users table (printed,
to be confirmed), and every model the admin can address registered, read-only.

Safe to run again: a file is written only when it is missing or still exactly
what a previous run wrote (recorded by SHA-256 in .takeover-scaffold.json), so
a regenerated models.py flows in while a file a person edited is never
overwritten; an unchanged run writes nothing at all.

The templates are Python strings in this module rather than package data, so
the tool works from a source checkout and from any wheel without packaging
configuration.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from .catalog import CatalogError

MANIFEST = ".takeover-scaffold.json"

# Exact pins, transitive closure included, every one with a cp311/abi3
# manylinux x86_64 wheel or pure Python: the deploy builds the targets'
# wheelhouse from this file and targets never reach PyPI. Kept equal to the
# sample project's lab/django/requirements.txt (a unit test compares them).
PINS = [
    "Django==5.2.19",
    "asgiref==3.13.0",
    "sqlparse==0.6.1",
    "psycopg[binary]==3.3.9",
    "psycopg-binary==3.3.9",
    "typing_extensions==4.16.0",
    "bcrypt==5.0.0",
    "argon2-cffi==25.1.0",
    "argon2-cffi-bindings==21.2.0",
    "cffi==2.1.1",
    "pycparser==3.12",
    "gunicorn==27.0.1",
]

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


# -- reading models.py ---------------------------------------------------------

@dataclass
class ModelInfo:
    name: str
    table: str
    fields: dict[str, str] = field(default_factory=dict)  # attribute -> field class ("BooleanField")
    pk: str | None = None            # single-column primary key attribute
    composite_pk: bool = False
    lower_unique: set[str] = field(default_factory=set)  # fields with a UNIQUE (lower(field))

    @property
    def admin_addressable(self) -> bool:
        # The admin needs a single-column primary key: Django 5.2 refuses to
        # register a composite one, and a table without a key has none.
        return self.pk is not None and not self.composite_pk


def read_models(source: str) -> list[ModelInfo]:
    """The models of a generated models.py, read with ast (nothing is imported)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise CatalogError(f"models file is not valid Python: {exc}") from None
    found = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        if not any(ast.unparse(base) in ("models.Model", "Model") for base in node.bases):
            continue
        info = ModelInfo(name=node.name, table=node.name.lower())
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                    and isinstance(stmt.value, ast.Call):
                attr, call = stmt.targets[0].id, stmt.value
                cls = ast.unparse(call.func).rsplit(".", 1)[-1]
                if cls == "CompositePrimaryKey":
                    info.composite_pk = True
                    continue
                if not cls.endswith("Field") and cls not in ("ForeignKey", "OneToOneField"):
                    continue
                info.fields[attr] = cls
                if any(k.arg == "primary_key" and ast.unparse(k.value) == "True" for k in call.keywords):
                    info.pk = attr
            elif isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
                for meta in stmt.body:
                    if isinstance(meta, ast.Assign) and ast.unparse(meta.targets[0]) == "db_table":
                        info.table = ast.literal_eval(meta.value)
                    text = ast.unparse(meta)
                    for m in re.finditer(r"UniqueConstraint\(Lower\('(\w+)'\)", text):
                        info.lower_unique.add(m.group(1))
        found.append(info)
    if not found:
        raise CatalogError("models file holds no Django models")
    return found


# -- guessing the users table ----------------------------------------------------

_TEXT = ("CharField", "TextField", "EmailField")
_BOOL = ("BooleanField",)


def _pick(info: ModelInfo, patterns, kinds, exclude=r"(?!)"):
    """The first field (by pattern order) whose name matches, of one of ``kinds``."""
    for pattern in patterns:
        for name, cls in info.fields.items():
            if cls in kinds and re.search(pattern, name) and not re.search(exclude, name):
                return name
    return None


@dataclass
class SignInGuess:
    model: str
    table: str
    username: str
    password: str
    case_insensitive: bool
    active: str | dict | None
    admin: str | None
    email: str | None
    full_name: str | None
    last_login: str | None
    notes: list[str] = field(default_factory=list)


def guess_sign_in(models: list[ModelInfo]) -> SignInGuess | None:
    """The model most likely to be the PHP app's users table, and its sign-in fields."""
    best, best_score = None, 0
    for info in models:
        if not info.admin_addressable:
            continue
        password = _pick(info, [r"^(user_)?password(_?hash)?$", r"^(pw|pwd|passwd|pass)(_?hash)?$",
                                r"pass(word|wd)?(_?hash)?", r"pwd"], _TEXT,
                         exclude=r"new|reset|token|expire|time|salt|changed|hint|question")
        username = _pick(info, [r"^(user_?name|login|uname|user_login|nick(name)?)$",
                                r"(^|_)(user_?name|login|uname)$", r"^(e?mail|user_email)$", r"^name$"], _TEXT,
                         exclude=r"real|full|display|first|last")
        if not password or not username:
            continue
        score = 2
        table = info.table.lower()
        if re.search(r"user", table):
            score += 3
        if re.search(r"account|member|person|people|login|auth", table):
            score += 2
        if re.search(r"(group|pref|prop|setting|log|history|session|token|entr|label|former)", table):
            score -= 3
        if score > best_score:
            best, best_score = (info, username, password), score
    if best is None:
        return None
    info, username, password = best
    notes = []
    active = _pick(info, [r"^(is_)?(active|enabled)$"], _BOOL)
    if active is None:
        disabled = _pick(info, [r"^(is_)?(disabled|blocked|banned|locked|deleted)$"], _BOOL)
        if disabled:
            active = {disabled: False}
    if active is None:
        notes.append("no active flag found: every row can sign in. If the PHP app refuses some users "
                     "(a status column, a deleted flag), set TAKEOVER_LEGACY_ACTIVE_FIELD to a dict of lookups.")
    admin = _pick(info, [r"^(is_)?(admin|superuser|staff)$"], _BOOL)
    if admin is None:
        level = _pick(info, [r"(access_?level|^level$|role|rights|admin|privilege)"],
                      ("IntegerField", "SmallIntegerField", "PositiveSmallIntegerField", "CharField"))
        if level:
            notes.append(f"{level} may mark administrators: if so, set TAKEOVER_LEGACY_ADMIN_FIELD = "
                         f"{{'{level}__gte': N}} (or {{'{level}': 'admin'}}) as the PHP app decides it.")
        else:
            notes.append("no admin flag found: nobody is staff in Django's admin until "
                         "TAKEOVER_LEGACY_ADMIN_FIELD is set.")
    email = _pick(info, [r"^(user_)?e?mail$", r"e?mail$"], _TEXT, exclude=r"token|auth|digest")
    full_name = _pick(info, [r"^(user_)?(full_?name|real_?name|display_?name)$", r"(full|real|display)_?name"],
                      _TEXT)
    last_login = _pick(info, [r"last_?login", r"last_?(seen|access|auth)"], ("DateTimeField",),
                       exclude=r"attempt|fail")
    case_insensitive = username in info.lower_unique
    notes.append("usernames compare " + ("case-insensitively: a UNIQUE index on lower(" + username + ") exists."
                                         if case_insensitive else
                                         "case-sensitively (no unique index on lower(" + username + ")): check "
                                         "how the PHP login query compares them."))
    return SignInGuess(model=info.name, table=info.table, username=username, password=password,
                       case_insensitive=case_insensitive, active=active, admin=admin, email=email,
                       full_name=full_name, last_login=last_login, notes=notes)


# -- file contents ---------------------------------------------------------------

MANAGE_PY = '''\
#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{project}.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
'''

WSGI_PY = '''\
"""WSGI entry point: gunicorn {project}.wsgi:application"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{project}.settings")

application = get_wsgi_application()
'''

URLS_PY = '''\
from django.contrib import admin
from django.urls import path

from django_takeover.djangoapp.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    # The deploy checks it on each new release before switching to it.
    path("healthz", healthz, name="healthz"),
]
'''

APPS_PY = '''\
from django.apps import AppConfig


class {cls}Config(AppConfig):
    name = "{label}"
    verbose_name = "Legacy tables"
    default_auto_field = "django.db.models.AutoField"
'''

MIGRATIONS_README = '''\
# Empty on purpose while the PHP app is in service: every model is
# managed = False, and at retirement the flip generates one real
# 0001_initial that `migrate --fake-initial` checks against the tables.
'''

GITIGNORE = '''\
__pycache__/
*.pyc
.venv/
staticfiles/
'''

SETTINGS_PY = '''\
"""
Settings for {project}, generated by `takeover-models scaffold`.

Every value comes from the environment with a development default. In
production the deploy role renders an overlay that does
``from {project}.settings import *`` and replaces DATABASES, SECRET_KEY,
ALLOWED_HOSTS, STATIC_ROOT and LOGGING, so nothing below derives another
setting from one of those at import time.
"""

from email.utils import getaddresses
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {{"1", "true", "yes", "on"}}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless asked for: a deploy that forgets the variable must not leak tracebacks.
DEBUG = env_bool("DJANGO_DEBUG", False)

# The "django-insecure-" prefix makes `check --deploy` flag this default.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-dev-only-key-do-not-use-in-production")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_takeover.djangoapp",
    "{label}",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "{project}.urls"

TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }},
]

WSGI_APPLICATION = "{project}.wsgi.application"

# Django's own tables live in their own schema, first on the search_path; the
# legacy tables stay in theirs behind it. The takeover app refuses to migrate
# (takeover.E010) and /healthz answers 503 when the first schema is not this one.
DJANGO_DB_SCHEMA = os.environ.get("DJANGO_DB_SCHEMA", "django")
LEGACY_DB_SCHEMA = os.environ.get("LEGACY_DB_SCHEMA", "{legacy_schema}")
TAKEOVER_DJANGO_DB_SCHEMA = DJANGO_DB_SCHEMA

DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("DJANGO_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("DJANGO_DB_PORT", "5432"),
        "NAME": os.environ.get("DJANGO_DB_NAME", "{project}"),
        "USER": os.environ.get("DJANGO_DB_USER", "{project}_django"),
        "PASSWORD": os.environ.get("DJANGO_DB_PASSWORD", ""),
        "ATOMIC_REQUESTS": True,
        "CONN_MAX_AGE": int(os.environ.get("DJANGO_DB_CONN_MAX_AGE", "60")),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {{
            "options": f"-c search_path={{DJANGO_DB_SCHEMA}},{{LEGACY_DB_SCHEMA}}",
        }},
    }}
}}

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

{sign_in}
# "never" while the PHP app is in service: a hash PHP cannot verify would lock
# the user out of PHP. Retirement sets "on-login".
TAKEOVER_PASSWORD_REHASH = os.environ.get("TAKEOVER_PASSWORD_REHASH", "never")

LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles"))

# HTTPS. Behind a plain-HTTP nginx everything that only makes sense over TLS
# is off, and switched on by DJANGO_HTTPS=1 (DJANGO_HSTS_SECONDS for HSTS).
HTTPS = env_bool("DJANGO_HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
if HTTPS:
    # nginx sets this header; without it SECURE_SSL_REDIRECT would loop.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The generated models keep the legacy schema's own index names, which
# PostgreSQL allows (up to 63 characters, any first character); Django's
# stricter limits (models.E033, E034) exist for other databases.
SILENCED_SYSTEM_CHECKS = ["models.E033", "models.E034"]
if not HTTPS:
    # Plain HTTP: a redirect to https would point at a port nobody listens
    # on, and Secure cookies would never come back. DJANGO_HTTPS=1 turns all on.
    SILENCED_SYSTEM_CHECKS += ["security.W004", "security.W008", "security.W012", "security.W016"]
elif SECURE_HSTS_SECONDS == 0:
    # HSTS is a promise browsers cache; turned on deliberately with DJANGO_HSTS_SECONDS.
    SILENCED_SYSTEM_CHECKS.append("security.W004")
else:
    if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
        SILENCED_SYSTEM_CHECKS.append("security.W005")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")

# Every HTTP 500 reaches mail_admins (through "django.request").
ADMINS = getaddresses(env_list("DJANGO_ADMINS"))
SERVER_EMAIL = os.environ.get("DJANGO_SERVER_EMAIL", "{project}@localhost")
DEFAULT_FROM_EMAIL = SERVER_EMAIL
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))

# An overlay that replaces LOGGING should start from this dict (the deploy
# role's does), or the error e-mails are silently lost.
LOGGING = {{
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {{"require_debug_false": {{"()": "django.utils.log.RequireDebugFalse"}}}},
    "formatters": {{"plain": {{"format": "{{asctime}} {{levelname}} {{name}} {{message}}", "style": "{{"}}}},
    "handlers": {{
        "console": {{"class": "logging.StreamHandler", "formatter": "plain"}},
        "mail_admins": {{
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        }},
    }},
    "root": {{"handlers": ["console"], "level": "WARNING"}},
    "loggers": {{
        "django": {{"handlers": ["console"], "level": "INFO", "propagate": False}},
        "django.request": {{"handlers": ["console", "mail_admins"], "level": "ERROR", "propagate": False}},
        "django_takeover": {{"handlers": ["console"], "level": "INFO", "propagate": False}},
    }},
}}
'''


def _sign_in_settings(guess: SignInGuess | None, label: str) -> str:
    if guess is None:
        return (
            "# Legacy sign-in is NOT configured: `takeover-models scaffold` found no table\n"
            "# that looks like the PHP app's users (a username and a password hash column).\n"
            "# Set TAKEOVER_LEGACY_USER_MODEL and the TAKEOVER_LEGACY_*_FIELD settings\n"
            "# (docs/django-app.md), then use the legacy backend instead:\n"
            "# AUTHENTICATION_BACKENDS = [\"django_takeover.djangoapp.auth.LegacyUserBackend\"]\n"
            "AUTHENTICATION_BACKENDS = [\"django.contrib.auth.backends.ModelBackend\"]\n"
        )
    lines = [
        "# Legacy sign-in, GUESSED by `takeover-models scaffold` from models.py: the",
        f"# users table looks like {guess.table!r}. Confirm every value against the PHP",
        "# app's login code before the first deploy (docs/django-app.md lists them all).",
    ]
    lines += [f"#   - {note}" for note in guess.notes]
    lines += [
        "# ModelBackend is deliberately absent: a Django-only password would be a second",
        "# way in that the PHP app knows nothing about.",
        'AUTHENTICATION_BACKENDS = ["django_takeover.djangoapp.auth.LegacyUserBackend"]',
        f"TAKEOVER_LEGACY_USER_MODEL = {f'{label}.{guess.model}'!r}",
        f"TAKEOVER_LEGACY_USERNAME_FIELD = {guess.username!r}",
        f"TAKEOVER_LEGACY_PASSWORD_FIELD = {guess.password!r}",
        f"TAKEOVER_LEGACY_USERNAME_CASE_INSENSITIVE = {guess.case_insensitive!r}",
        f"TAKEOVER_LEGACY_ACTIVE_FIELD = {guess.active!r}",
        f"TAKEOVER_LEGACY_ADMIN_FIELD = {guess.admin!r}",
        f"TAKEOVER_LEGACY_EMAIL_FIELD = {guess.email!r}",
        f"TAKEOVER_LEGACY_FULL_NAME_FIELD = {guess.full_name!r}",
        # Not guessed: writing to a legacy column is the team's decision.
        "# Set to the column PHP stamps at login to have Django stamp it too.",
        "TAKEOVER_LEGACY_LAST_LOGIN_FIELD = None" + (f"  # {guess.last_login!r}?" if guess.last_login else ""),
        "# Dotted path of a callable(request, user, legacy_user) writing your own audit row.",
        "TAKEOVER_LOGIN_HOOK = None",
    ]
    return "\n".join(lines) + "\n"


def _admin_py(models: list[ModelInfo], guess: SignInGuess | None) -> str:
    addressable = [m for m in models if m.admin_addressable]
    skipped = [m for m in models if not m.admin_addressable]
    out = [
        '"""',
        "Every legacy model the admin can address, registered read-only.",
        "",
        "Read-only because, while the PHP app is in service, a change made here",
        "skips whatever PHP does around its own writes (audit rows, timestamps,",
        "caches); open a model up deliberately by overriding the has_*_permission",
        "methods in its own ModelAdmin.",
    ]
    if skipped:
        out += ["", "Not registered: the admin needs a single-column primary key (Django 5.2",
                "refuses composite ones, and a table without a key has no way to address a row):"]
        out += [f"    {m.name} ({m.table}): {'composite primary key' if m.composite_pk else 'no primary key'}"
                for m in skipped]
    out += ['"""', "", "from django.contrib import admin", ""]
    if addressable:
        names = ", ".join(m.name for m in addressable)
        out += [f"from .models import {names}" if len(names) < 80 else
                "from .models import (\n" + "".join(f"    {m.name},\n" for m in addressable) + ")"]
    out += ["", "", "class ReadOnlyAdmin(admin.ModelAdmin):",
            "    def has_add_permission(self, request):", "        return False", "",
            "    def has_change_permission(self, request, obj=None):", "        return False", "",
            "    def has_delete_permission(self, request, obj=None):", "        return False", ""]
    for m in addressable:
        out += ["", f"@admin.register({m.name})", f"class {m.name}Admin(ReadOnlyAdmin):"]
        if guess is not None and m.name == guess.model:
            out += ["    # Password hashes are never shown.",
                    f"    exclude = [{guess.password!r}]",
                    f"    search_fields = [{guess.username!r}]"]
        else:
            out += ["    pass"]
        out += [""]
    return "\n".join(out).rstrip("\n") + "\n"


def _readme(project: str, label: str, guess: SignInGuess | None, models: list[ModelInfo]) -> str:
    confirm = ("The legacy sign-in settings in `{p}/settings.py` are a guess (users table `{t}`): "
               "confirm them against the PHP login code.").format(p=project, t=guess.table) if guess else \
        "No users table was recognised: legacy sign-in is not configured (see `{p}/settings.py`).".format(p=project)
    return f"""# {project}

Generated by `takeover-models scaffold` around the models `takeover-models
generate` wrote. Re-running the scaffold never overwrites a file you edited.

- {confirm}
- `{label}/models.py`: {len(models)} legacy models, all `managed = False`.
- `{label}/admin.py`: every model with a single-column key, read-only.
- `/healthz`: 200 when the database answers and Django's tables are in Django's schema.
- `requirements.txt`: exact pins, gunicorn included; the deploy builds its wheelhouse from it.

Deploy with `takeover_django_app_source_dir` = this directory and
`takeover_django_app_project: {project}`. Django's own apps to migrate:
`contenttypes auth admin sessions takeover`. The legacy app `{label}` is never
migrated while PHP is in service.

Run locally (Django's schema must exist and be first on the search_path):

    python -m venv .venv && .venv/bin/pip install -r requirements.txt
    export DJANGO_DEBUG=1 DJANGO_DB_NAME=... DJANGO_DB_USER=... DJANGO_DB_PASSWORD=...
    for app in contenttypes auth admin sessions takeover; do .venv/bin/python manage.py migrate "$app"; done
    .venv/bin/python manage.py runserver
"""


def _requirements(version: str) -> str:
    return ("# Exact pins, transitive dependencies included: the deploy builds its\n"
            "# wheelhouse from this file and every host gets the same versions.\n"
            + "\n".join(PINS) + f"\ndjango-takeover=={version}\n")


def own_version() -> str:
    try:
        return metadata.version("django-takeover")
    except metadata.PackageNotFoundError:
        raise CatalogError("django-takeover is not installed; cannot pin it in requirements.txt") from None


# -- writing, without clobbering -------------------------------------------------

@dataclass
class Result:
    written: list[str] = field(default_factory=list)     # created or updated
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)        # differs, but a person edited it
    guess: SignInGuess | None = None
    models: list[ModelInfo] = field(default_factory=list)

    def render(self, out: Path) -> str:
        lines = [f"scaffold in {out}: {len(self.written)} written, {len(self.unchanged)} unchanged, "
                 f"{len(self.kept)} kept (edited by hand)"]
        lines += [f"  wrote {p}" for p in self.written]
        lines += [f"  kept  {p} (edited since the scaffold wrote it; delete it to get the new version)"
                  for p in self.kept]
        skipped = [m.name for m in self.models if not m.admin_addressable]
        if skipped:
            lines.append(f"admin: {len(self.models) - len(skipped)} models registered; not registered "
                         f"(no single-column primary key): {', '.join(skipped)}")
        g = self.guess
        if g is None:
            lines.append("legacy sign-in: NOT configured, no users table recognised (see settings.py)")
        else:
            lines.append(f"legacy sign-in GUESSED, please confirm in settings.py: table {g.table} "
                         f"(model {g.model}), username={g.username}, password={g.password}, "
                         f"case-insensitive={g.case_insensitive}, active={g.active!r}, admin={g.admin!r}, "
                         f"email={g.email!r}, full name={g.full_name!r}")
            lines += [f"  - {note}" for note in g.notes]
        return "\n".join(lines)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scaffold(models_file: Path, out: Path, *, project: str = "takeover_site", app_label: str = "legacy",
             legacy_schema: str = "public", version: str | None = None) -> Result:
    for what, name in (("project", project), ("app label", app_label)):
        if not _IDENT.match(name):
            raise CatalogError(f"{what} {name!r} must be a lower-case Python identifier")
    if project == app_label:
        raise CatalogError("project and app label must differ")
    if not models_file.is_file():
        raise CatalogError(f"models file {models_file} does not exist")
    models_source = models_file.read_text()
    models = read_models(models_source)
    guess = guess_sign_in(models)
    version = version or own_version()
    cls = "".join(part.capitalize() for part in app_label.split("_"))
    fmt = {"project": project, "label": app_label, "legacy_schema": legacy_schema, "cls": cls}
    files = {
        "manage.py": MANAGE_PY.format(**fmt),
        "requirements.txt": _requirements(version),
        "README.md": _readme(project, app_label, guess, models),
        ".gitignore": GITIGNORE,
        f"{project}/__init__.py": "",
        f"{project}/settings.py": SETTINGS_PY.format(**fmt, sign_in=_sign_in_settings(guess, app_label)),
        f"{project}/urls.py": URLS_PY,
        f"{project}/wsgi.py": WSGI_PY.format(**fmt),
        f"{app_label}/__init__.py": "",
        f"{app_label}/apps.py": APPS_PY.format(**fmt),
        f"{app_label}/models.py": models_source,
        f"{app_label}/admin.py": _admin_py(models, guess),
        f"{app_label}/migrations/__init__.py": MIGRATIONS_README,
    }
    # generate writes the custom field classes and lookups the models import
    # (`from .fields import ...`) beside models.py; they travel together.
    fields_file = models_file.with_name("fields.py")
    if fields_file.is_file():
        files[f"{app_label}/fields.py"] = fields_file.read_text()

    manifest_path = out / MANIFEST
    try:
        recorded = json.loads(manifest_path.read_text())["files"] if manifest_path.exists() else {}
    except (ValueError, KeyError):
        raise CatalogError(f"{manifest_path} is not a scaffold manifest; remove it to start over") from None
    result = Result(guess=guess, models=models)
    manifest = {}
    for rel, text in files.items():
        path = out / rel
        new_sha = _sha(text)
        if path.exists():
            current = _sha(path.read_text())
            if current == new_sha:
                result.unchanged.append(rel)
                manifest[rel] = new_sha
                continue
            if recorded.get(rel) != current:
                # Edited by a person (or never ours): theirs now.
                result.kept.append(rel)
                if rel in recorded:
                    manifest[rel] = recorded[rel]
                continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        result.written.append(rel)
        manifest[rel] = new_sha
    manifest_text = json.dumps({"generator": "takeover-models scaffold", "files": manifest},
                               indent=2, sort_keys=True) + "\n"
    if not manifest_path.exists() or manifest_path.read_text() != manifest_text:
        out.mkdir(parents=True, exist_ok=True)
        manifest_path.write_text(manifest_text)
    if "manage.py" in result.written:
        (out / "manage.py").chmod(0o755)
    return result
