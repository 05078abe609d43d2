"""
System checks: a misconfigured takeover fails `manage.py check` (and so the
deploy's `check --deploy`) with a message that says what to change, instead
of failing every login at run time.
"""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import connections, models
from django.utils.module_loading import import_string

from . import conf, passwords

BACKEND_PATH = "django_takeover.djangoapp.auth.LegacyUserBackend"

FIELD_SETTINGS = (
    "TAKEOVER_LEGACY_USERNAME_FIELD",
    "TAKEOVER_LEGACY_PASSWORD_FIELD",
    "TAKEOVER_LEGACY_EMAIL_FIELD",
    "TAKEOVER_LEGACY_FULL_NAME_FIELD",
    "TAKEOVER_LEGACY_LAST_LOGIN_FIELD",
)
FLAG_SETTINGS = ("TAKEOVER_LEGACY_ACTIVE_FIELD", "TAKEOVER_LEGACY_ADMIN_FIELD")


def _backend_enabled():
    return BACKEND_PATH in settings.AUTHENTICATION_BACKENDS


@register(Tags.security)
def check_legacy_sign_in(app_configs, **kwargs):
    from django.apps import apps

    errors = []
    label = conf.get("TAKEOVER_LEGACY_USER_MODEL")
    policy = conf.get("TAKEOVER_PASSWORD_REHASH")
    if policy not in conf.REHASH_POLICIES:
        errors.append(Error(
            f"TAKEOVER_PASSWORD_REHASH is {policy!r}.",
            hint=f"Use one of {', '.join(map(repr, conf.REHASH_POLICIES))}: 'never' while the PHP app "
                 "is in service, 'on-login' only once it is retired.",
            id="takeover.E005",
        ))
    hook = conf.get("TAKEOVER_LOGIN_HOOK")
    if hook:
        try:
            func = import_string(hook)
        except ImportError as exc:
            errors.append(Error(f"TAKEOVER_LOGIN_HOOK {hook!r} cannot be imported: {exc}",
                                hint="Give the dotted path of a callable(request, user, legacy_user).",
                                id="takeover.E006"))
        else:
            if not callable(func):
                errors.append(Error(f"TAKEOVER_LOGIN_HOOK {hook!r} is not callable.", id="takeover.E006"))

    if not label:
        if _backend_enabled():
            errors.append(Error(
                f"{BACKEND_PATH} is in AUTHENTICATION_BACKENDS but TAKEOVER_LEGACY_USER_MODEL is not set.",
                hint="Set TAKEOVER_LEGACY_USER_MODEL = 'app_label.ModelName' of the legacy users table.",
                id="takeover.E001",
            ))
        return errors
    if not _backend_enabled():
        errors.append(Warning(
            "TAKEOVER_LEGACY_USER_MODEL is set but the legacy backend is not in AUTHENTICATION_BACKENDS, "
            "so legacy users cannot sign in.",
            hint=f"AUTHENTICATION_BACKENDS = [{BACKEND_PATH!r}]",
            id="takeover.W001",
        ))
    elif "django.contrib.auth.backends.ModelBackend" in settings.AUTHENTICATION_BACKENDS:
        errors.append(Warning(
            "ModelBackend is enabled beside the legacy backend: a Django-only password would be "
            "a second way in that the PHP app knows nothing about.",
            hint="Remove django.contrib.auth.backends.ModelBackend from AUTHENTICATION_BACKENDS.",
            id="takeover.W002",
        ))
    if passwords.bcrypt is None:
        errors.append(Warning(
            "bcrypt is not installed, so PHP's default password_hash() hashes ($2y$) cannot be verified.",
            hint="pip install 'django-takeover[bcrypt]' (and [argon2] for PASSWORD_ARGON2I/ARGON2ID).",
            id="takeover.W003",
        ))
    try:
        model = apps.get_model(label)
    except (ValueError, LookupError) as exc:
        errors.append(Error(
            f"TAKEOVER_LEGACY_USER_MODEL {label!r} is not an installed model: {exc}",
            hint="Use 'app_label.ModelName' of the legacy users table's model, with its app in INSTALLED_APPS.",
            id="takeover.E002",
        ))
        return errors
    if isinstance(model._meta.pk, models.CompositePrimaryKey):
        errors.append(Error(
            f"{label} has a composite primary key; shadow users are linked by a single-column key.",
            id="takeover.E007",
        ))

    for name in FIELD_SETTINGS:
        field = conf.get(name)
        if field and not _has_field(model, field):
            errors.append(_no_field(name, label, field, model))
    for name in FLAG_SETTINGS:
        spec = conf.get(name)
        if not spec:
            continue
        if isinstance(spec, str):
            if not _has_field(model, spec):
                errors.append(_no_field(name, label, spec, model))
            elif not isinstance(model._meta.get_field(spec), models.BooleanField):
                errors.append(Error(
                    f"{name} names {label}.{spec}, which is not a BooleanField.",
                    hint=f"For another column type give a dict of lookups, e.g. {name} = {{{spec + '__gte'!r}: 10}} "
                         f"or {{{spec!r}: 1}}.",
                    id="takeover.E004",
                ))
        elif isinstance(spec, dict) and spec:
            for lookup in spec:
                if not _has_field(model, lookup.split("__", 1)[0]):
                    errors.append(_no_field(name, label, lookup, model))
        else:
            errors.append(Error(f"{name} must be a field name or a non-empty dict of lookups, not {spec!r}.",
                                id="takeover.E004"))
    return errors


def _has_field(model, name):
    try:
        model._meta.get_field(name)
    except Exception:
        return False
    return True


def _no_field(setting, label, field, model):
    names = sorted(f.name for f in model._meta.concrete_fields)
    return Error(f"{setting}: {label} has no field {field!r}.",
                 hint=f"Its fields are: {', '.join(names)}.", id="takeover.E003")


@register(Tags.database)
def check_django_schema_first(app_configs, databases=None, **kwargs):
    """
    Refuse to run when Django's own tables would land in the legacy schema.

    `migrate` runs the database checks before it touches anything, so a
    missing schema or a wrong search_path stops it instead of creating
    auth_user and friends next to the PHP app's tables.
    """
    errors = []
    expected = conf.get("TAKEOVER_DJANGO_DB_SCHEMA")
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            actual = cursor.fetchone()[0]
        if actual != expected:
            errors.append(Error(
                f"Database {alias!r}: the first schema on the search_path is {actual!r}, not {expected!r}.",
                hint=(f"Create schema {expected!r} (owned by the Django role) and put it first on the "
                      "role's search_path; Django's own tables must never go into the legacy schema."),
                id="takeover.E010",
            ))
    return errors
