"""
The app's settings, each a plain ``TAKEOVER_*`` name in the project settings.

Flat names rather than one dict so that a deploy overlay (or retirement) can
change one of them with a single assignment after ``from project.settings
import *``. Read at call time, never cached at import, so overlays and
``override_settings`` apply.
"""

from django.conf import settings

REHASH_NEVER = "never"
REHASH_ON_LOGIN = "on-login"
REHASH_POLICIES = (REHASH_NEVER, REHASH_ON_LOGIN)

DEFAULTS = {
    # "app_label.ModelName" of the legacy users table's (unmanaged) model.
    "TAKEOVER_LEGACY_USER_MODEL": None,
    "TAKEOVER_LEGACY_USERNAME_FIELD": "username",
    "TAKEOVER_LEGACY_PASSWORD_FIELD": "password",
    # True when PHP finds users by lower(username) = lower(?).
    "TAKEOVER_LEGACY_USERNAME_CASE_INSENSITIVE": False,
    # A BooleanField name, or a dict of ORM lookups for other columns
    # ({"access_level__gte": 10}); None: every row is active / no row is admin.
    "TAKEOVER_LEGACY_ACTIVE_FIELD": None,
    "TAKEOVER_LEGACY_ADMIN_FIELD": None,
    # Copied onto the shadow auth.User when set.
    "TAKEOVER_LEGACY_EMAIL_FIELD": None,
    "TAKEOVER_LEGACY_FULL_NAME_FIELD": None,
    # Set to now() on each Django login, as PHP apps usually do.
    "TAKEOVER_LEGACY_LAST_LOGIN_FIELD": None,
    # "never" while PHP lives (a hash PHP cannot verify locks the user out of
    # PHP); "on-login" once PHP is retired: the legacy hash is replaced by
    # one of Django's PASSWORD_HASHERS at the user's next login.
    "TAKEOVER_PASSWORD_REHASH": REHASH_NEVER,
    # Dotted path of a callable(request, user, legacy_user) run on each
    # login through the legacy backend, in the login's transaction.
    "TAKEOVER_LOGIN_HOOK": None,
    # Django's own PostgreSQL schema, which must be first on the search_path.
    "TAKEOVER_DJANGO_DB_SCHEMA": "django",
}


def get(name):
    return getattr(settings, name, DEFAULTS[name])
