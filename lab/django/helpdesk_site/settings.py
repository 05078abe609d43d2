"""
Settings for the helpdesk Django project.

Every value comes from the environment with a development default, so the
project runs as is on a developer's machine. In production the deploy role
renders a settings overlay that does ``from helpdesk_site.settings import *``
and then replaces DATABASES, SECRET_KEY, ALLOWED_HOSTS, STATIC_ROOT and
LOGGING. Nothing below may therefore derive one setting from another of those
at import time: whatever reads them does so at run time, through
``django.conf.settings``.
"""

from email.utils import getaddresses
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless asked for: a deploy that forgets the variable must not leak
# tracebacks. Developers export DJANGO_DEBUG=1.
DEBUG = env_bool("DJANGO_DEBUG", False)

# The "django-insecure-" prefix makes `check --deploy` flag this default.
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "django-insecure-dev-only-key-do-not-use-in-production"
)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # The reusable takeover app (label "takeover"): legacy sign-in, shadow
    # user links, health view, checks. takeover_auth only keeps the
    # migrations that moved its old links into it.
    "django_takeover.djangoapp",
    "takeover_auth",
    "helpdesk",
]

MIDDLEWARE = [
    # Outermost, so it sees the final status of every response.
    "helpdesk.middleware.ErrorReportingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "helpdesk_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "helpdesk_site.wsgi.application"

# Django's own tables (auth, contenttypes, sessions, admin, django_migrations,
# takeover) live in their own PostgreSQL schema, first on the
# search_path; the legacy tables stay in the legacy schema behind it. In
# production the database role also has this search_path set server-side,
# so an overlay that drops OPTIONS still lands in the right schema.
# The takeover app's check (takeover.E010) refuses to migrate when the first
# schema is not this one, and its /healthz answers 503.
DJANGO_DB_SCHEMA = os.environ.get("DJANGO_DB_SCHEMA", "django")
LEGACY_DB_SCHEMA = os.environ.get("LEGACY_DB_SCHEMA", "public")

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("HELPDESK_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("HELPDESK_DB_PORT", "5432"),
        "NAME": os.environ.get("HELPDESK_DB_NAME", "helpdesk"),
        "USER": os.environ.get("HELPDESK_DB_USER", "helpdesk_django"),
        "PASSWORD": os.environ.get("HELPDESK_DB_PASSWORD", ""),
        # Every write of one request commits or rolls back as a whole. The
        # write views are atomic themselves as well, for overlays that
        # replace DATABASES without this key.
        "ATOMIC_REQUESTS": True,
        "CONN_MAX_AGE": int(os.environ.get("HELPDESK_DB_CONN_MAX_AGE", "60")),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "options": f"-c search_path={DJANGO_DB_SCHEMA},{LEGACY_DB_SCHEMA}",
        },
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# Legacy users sign in against the legacy users table (docs/django-app.md in
# django-takeover lists every TAKEOVER_* setting). ModelBackend is
# deliberately absent: shadow users have unusable passwords, and a local
# password must never become a second way in that PHP does not know about.
AUTHENTICATION_BACKENDS = ["django_takeover.djangoapp.auth.LegacyUserBackend"]

TAKEOVER_DJANGO_DB_SCHEMA = DJANGO_DB_SCHEMA
TAKEOVER_LEGACY_USER_MODEL = "helpdesk.Users"
TAKEOVER_LEGACY_USERNAME_FIELD = "username"
TAKEOVER_LEGACY_PASSWORD_FIELD = "password_hash"
# PHP's login.php: WHERE lower(username) = lower(?) AND is_active.
TAKEOVER_LEGACY_USERNAME_CASE_INSENSITIVE = True
TAKEOVER_LEGACY_ACTIVE_FIELD = "is_active"
TAKEOVER_LEGACY_ADMIN_FIELD = "is_admin"
TAKEOVER_LEGACY_EMAIL_FIELD = "email"
TAKEOVER_LEGACY_FULL_NAME_FIELD = "full_name"
TAKEOVER_LEGACY_LAST_LOGIN_FIELD = "last_login"
TAKEOVER_LOGIN_HOOK = "helpdesk.auth.record_login"
# "never" while PHP is in service: a hash PHP cannot verify would lock the
# user out of PHP. Retirement sets "on-login".
TAKEOVER_PASSWORD_REHASH = os.environ.get("TAKEOVER_PASSWORD_REHASH", "never")

AUTH_PASSWORD_VALIDATORS = []

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "ticket-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles"))

# HTTPS. In the lab nginx terminates plain HTTP, so everything that only makes
# sense over TLS is off by default and switched on by DJANGO_HTTPS=1 (with
# DJANGO_HSTS_SECONDS for HSTS) on hosts that serve HTTPS.
HTTPS = env_bool("DJANGO_HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
if HTTPS:
    # nginx sets this header; without it Django cannot tell the request came
    # in over TLS and SECURE_SSL_REDIRECT would loop.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SILENCED_SYSTEM_CHECKS = []
if not HTTPS:
    SILENCED_SYSTEM_CHECKS += [
        # Plain HTTP behind nginx (the lab): a redirect to https would point
        # at a port nobody listens on, and Secure cookies would never be sent
        # back, so nobody could log in. DJANGO_HTTPS=1 turns all four on.
        "security.W008",  # SECURE_SSL_REDIRECT
        "security.W012",  # SESSION_COOKIE_SECURE
        "security.W016",  # CSRF_COOKIE_SECURE
        # HSTS over plain HTTP is ignored by browsers anyway.
        "security.W004",  # SECURE_HSTS_SECONDS
    ]
elif SECURE_HSTS_SECONDS == 0:
    # HSTS is a promise browsers cache for its whole max-age; a team turns it
    # on deliberately with DJANGO_HSTS_SECONDS once HTTPS is there to stay.
    SILENCED_SYSTEM_CHECKS.append("security.W004")
else:
    # Subdomains and the preload list are decisions about the whole domain,
    # not about this app: each is opt-in by its own variable.
    if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
        SILENCED_SYSTEM_CHECKS.append("security.W005")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")

# Error reports. Every HTTP 500 reaches Django's mail_admins handler (through
# the "django.request" logger, as Django does by default) and the
# "helpdesk.errors" logger (through helpdesk.middleware). The cut-over alerts
# (Slack, e-mail list) hang their handlers off "helpdesk.errors".
ADMINS = getaddresses(env_list("DJANGO_ADMINS"))
SERVER_EMAIL = os.environ.get("DJANGO_SERVER_EMAIL", "helpdesk-django@localhost")
DEFAULT_FROM_EMAIL = SERVER_EMAIL
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_FILE_PATH = os.environ.get("DJANGO_EMAIL_FILE_PATH", "")
EMAIL_SUBJECT_PREFIX = os.environ.get("DJANGO_EMAIL_SUBJECT_PREFIX", "[helpdesk-django] ")

# An overlay that replaces LOGGING should start from this dict
# (``LOGGING = {**LOGGING, ...}``) or keep both "mail_admins" on
# "django.request" and a handler on "helpdesk.errors": a plain replacement
# silently drops the error e-mails.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name} {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {
            "handlers": ["console", "mail_admins"],
            "level": "ERROR",
            "propagate": False,
        },
        "helpdesk.errors": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "helpdesk": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
