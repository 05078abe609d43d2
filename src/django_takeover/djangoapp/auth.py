"""
Sign-in against the legacy users table, configured by the TAKEOVER_* settings.

Each legacy user gets a shadow django.contrib.auth user in Django's schema,
tied to the legacy row by primary key (LegacyLink), so sessions, the admin,
groups and permissions work unchanged. The shadow user's password is never
usable: the legacy hash is the only one, and ModelBackend would otherwise be
a second way in that PHP knows nothing about.

The shadow user's (unusable) password field holds a fingerprint of the legacy
hash. Django stores an HMAC of that field in every session and compares it on
each request, so when the legacy hash changes (a password change or reset in
PHP) every Django session of that user ends, exactly as Django ends sessions
after its own password changes.
"""

from __future__ import annotations

import hashlib
import logging

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.contrib.auth.signals import user_logged_in
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.db.models.functions import Lower, Now
from django.utils.module_loading import import_string

from . import conf, passwords
from .models import LegacyLink

logger = logging.getLogger("django_takeover.auth")

BACKEND_PATH = "django_takeover.djangoapp.auth.LegacyUserBackend"
_ADMIN = "_takeover_is_admin"

_dummy_hash = passwords.DummyHash()


def legacy_model():
    """The model class named by TAKEOVER_LEGACY_USER_MODEL."""
    return apps.get_model(conf.get("TAKEOVER_LEGACY_USER_MODEL"), require_ready=False)


def flag_q(spec) -> Q:
    """A Q for an active/admin flag setting: a BooleanField name or a dict of lookups."""
    if isinstance(spec, str):
        return Q(**{spec: True})
    return Q(**spec)


def legacy_queryset():
    """Legacy users as the backend sees them: active ones, with their admin flag."""
    model = legacy_model()
    qs = model._default_manager.all()
    active = conf.get("TAKEOVER_LEGACY_ACTIVE_FIELD")
    if active:
        qs = qs.filter(flag_q(active))
    admin = conf.get("TAKEOVER_LEGACY_ADMIN_FIELD")
    if admin:
        qs = qs.annotate(**{_ADMIN: ExpressionWrapper(flag_q(admin), output_field=BooleanField())})
    return qs


def find_legacy_users(username):
    """At most two active legacy users matching ``username`` the way PHP matches it."""
    field = conf.get("TAKEOVER_LEGACY_USERNAME_FIELD")
    qs = legacy_queryset()
    if conf.get("TAKEOVER_LEGACY_USERNAME_CASE_INSENSITIVE"):
        # lower() on both sides in SQL, as PHP's query does, rather than
        # __iexact (UPPER() LIKE): same collation rules, and the functional
        # index PHP apps keep on lower(username) can serve it.
        qs = qs.alias(_takeover_username=Lower(field)).filter(_takeover_username=Lower(Value(username)))
    else:
        qs = qs.filter(**{field: username})
    return list(qs.order_by("pk")[:2])


def password_fingerprint(legacy_hash) -> str:
    """
    The unusable password of a shadow user, derived from its legacy hash.

    Unkeyed on purpose: a key (SECRET_KEY) would end every session on a key
    rotation that SECRET_KEY_FALLBACKS is meant to make seamless. It reveals
    nothing: it is a one-way digest of a hash, and it starts with Django's
    unusable prefix, so no password ever matches it.
    """
    digest = hashlib.sha256(b"django-takeover:" + (legacy_hash or "").encode("utf-8", "replace"))
    return UNUSABLE_PASSWORD_PREFIX + digest.hexdigest()


def legacy_user_id(user):
    """The legacy primary key of a signed-in shadow user, as the legacy model's type."""
    return legacy_model()._meta.pk.to_python(user.legacy_link.legacy_user_id)


def legacy_user(user):
    """The legacy row of a shadow user (None if it is gone), active or not."""
    model = legacy_model()
    return model._default_manager.filter(pk=legacy_user_id(user)).first()


class LegacyUserBackend(ModelBackend):
    """
    Authenticate against the legacy users table (TAKEOVER_LEGACY_*) and map
    each legacy user to its shadow auth user.

    It extends ModelBackend only for its permission lookups (groups and
    permissions of the shadow user, superuser from the legacy admin flag);
    authentication is entirely its own.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        matches = find_legacy_users(username)
        if len(matches) != 1:
            if matches:
                logger.warning("Legacy sign-in refused: %d active users match %r; make usernames unique "
                               "or compare them case-sensitively", len(matches), username)
            passwords.check(password, self._dummy(), who="(no such user)")
            return None
        legacy = matches[0]
        pw_field = conf.get("TAKEOVER_LEGACY_PASSWORD_FIELD")
        stored = getattr(legacy, pw_field)
        if passwords.identify(stored) not in (passwords.BCRYPT, passwords.ARGON2, passwords.DJANGO):
            # Same cost as a real check, so an unsupported hash does not
            # stand out either; check() logs the refusal and its advice.
            passwords.check(password, self._dummy())
        if not passwords.check(password, stored, who=f"legacy user pk={legacy.pk}"):
            return None
        if conf.get("TAKEOVER_PASSWORD_REHASH") == conf.REHASH_ON_LOGIN and passwords.needs_rehash(stored):
            setattr(legacy, pw_field, self._rehash(legacy, stored, password))
        user = self._sync_shadow_user(legacy)
        # For the login signal (last login, the team's hook) in this request.
        user._takeover_legacy_user = legacy
        return user

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("legacy_link").get(pk=user_id)
            link = user.legacy_link
        except (User.DoesNotExist, LegacyLink.DoesNotExist):
            return None
        # A user deactivated, demoted or given a new password in PHP loses
        # access on the next request, not at the next login.
        legacy = legacy_queryset().filter(pk=link.legacy_user_id).first()
        if legacy is None or not user.is_active:
            return None
        changed = self._flags(user, legacy)
        fingerprint = password_fingerprint(getattr(legacy, conf.get("TAKEOVER_LEGACY_PASSWORD_FIELD")))
        if user.password != fingerprint:
            # Saved, and also what django.contrib.auth.get_user() compares
            # with the session's hash right after this returns: mismatch,
            # session flushed.
            user.password = fingerprint
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
        return user

    # -- internals ---------------------------------------------------------

    def _dummy(self):
        field = conf.get("TAKEOVER_LEGACY_PASSWORD_FIELD")
        model = legacy_model()

        def sample(n):
            return list(model._default_manager.order_by("-pk").values_list(field, flat=True)[:n])

        return _dummy_hash.get(sample)

    def _rehash(self, legacy, stored, password):
        new = make_password(password)
        field = conf.get("TAKEOVER_LEGACY_PASSWORD_FIELD")
        # Only if nobody changed the hash since it was read.
        updated = type(legacy)._default_manager.filter(pk=legacy.pk, **{field: stored}).update(**{field: new})
        if not updated:
            return stored
        logger.info("Legacy user pk=%s: password rehashed with Django's %s hasher",
                    legacy.pk, new.split("$", 1)[0])
        return new

    @staticmethod
    def _flags(user, legacy):
        changed = []
        if conf.get("TAKEOVER_LEGACY_ADMIN_FIELD"):
            is_admin = bool(getattr(legacy, _ADMIN))
            for name in ("is_staff", "is_superuser"):
                if getattr(user, name) != is_admin:
                    setattr(user, name, is_admin)
                    changed.append(name)
        return changed

    def _sync_shadow_user(self, legacy):
        try:
            with transaction.atomic():
                return self._sync_shadow_user_once(legacy)
        except IntegrityError:
            # Two first logins of the same user raced; the other one won.
            with transaction.atomic():
                return self._sync_shadow_user_once(legacy)

    def _sync_shadow_user_once(self, legacy):
        User = get_user_model()
        username = str(getattr(legacy, conf.get("TAKEOVER_LEGACY_USERNAME_FIELD")))
        legacy_id = str(legacy.pk)
        link = LegacyLink.objects.select_related("user").filter(legacy_user_id=legacy_id).first()
        if link is None or link.user.get_username() != username:
            # The name may be held by another shadow user: one whose legacy
            # user was renamed in PHP since, or a local one (createsuperuser).
            holder = (
                User._default_manager.filter(**{User.USERNAME_FIELD: username})
                .select_related("legacy_link")
                .first()
            )
            if holder is not None and (link is None or holder.pk != link.user_id):
                holder_link = getattr(holder, "legacy_link", None)
                if holder_link is None and link is None:
                    # Adopt the unlinked local user rather than fail the login.
                    link = LegacyLink.objects.create(user=holder, legacy_user_id=legacy_id)
                else:
                    # Move it aside; a linked one takes its legacy user's
                    # current name at that user's next login.
                    suffix = holder_link.legacy_user_id if holder_link else "local"
                    setattr(holder, User.USERNAME_FIELD, f"{username}~{suffix}")
                    holder.save(update_fields=[User.USERNAME_FIELD])
        if link is None:
            user = User(**{User.USERNAME_FIELD: username})
            user.password = password_fingerprint(None)
            user.save()
            link = LegacyLink.objects.create(user=user, legacy_user_id=legacy_id)
        user = link.user
        wanted = {User.USERNAME_FIELD: username, "is_active": True,
                  "password": password_fingerprint(getattr(legacy, conf.get("TAKEOVER_LEGACY_PASSWORD_FIELD")))}
        email_field = conf.get("TAKEOVER_LEGACY_EMAIL_FIELD")
        if email_field:
            wanted["email"] = getattr(legacy, email_field) or ""
        name_field = conf.get("TAKEOVER_LEGACY_FULL_NAME_FIELD")
        if name_field:
            wanted["first_name"] = (getattr(legacy, name_field) or "")[:150]
        fields = [name for name, value in wanted.items() if getattr(user, name) != value]
        for name in fields:
            setattr(user, name, wanted[name])
        fields += self._flags(user, legacy)
        if fields:
            user.save(update_fields=fields)
        return user


def _on_login(sender, request, user, **kwargs):
    # On the login signal rather than in authenticate(): a login the form
    # still rejects must leave no trace in the legacy tables.
    if getattr(user, "backend", None) != BACKEND_PATH:
        return
    legacy = getattr(user, "_takeover_legacy_user", None) or legacy_user(user)
    field = conf.get("TAKEOVER_LEGACY_LAST_LOGIN_FIELD")
    if field and legacy is not None:
        type(legacy)._default_manager.filter(pk=legacy.pk).update(**{field: Now()})
    hook = conf.get("TAKEOVER_LOGIN_HOOK")
    if hook:
        import_string(hook)(request=request, user=user, legacy_user=legacy)


user_logged_in.connect(_on_login, dispatch_uid="django_takeover.djangoapp.auth.on_login")
