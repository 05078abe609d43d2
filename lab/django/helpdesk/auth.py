"""
Sign-in against the legacy users table, with PHP's password_hash() hashes.

The legacy hash is only ever read: Django never rehashes or upgrades it,
because a hash PHP cannot verify would lock that user out of the PHP app,
which stays in service until retirement.
"""

import logging

import bcrypt
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower, Now

from takeover_auth.models import LegacyLink

from . import audit
from .models import Users

logger = logging.getLogger("helpdesk.auth")

BACKEND_PATH = "helpdesk.auth.LegacyUserBackend"

# PHP's bcrypt looks only at the first 72 bytes of a password and ignores the
# rest; bcrypt>=5 raises instead, so cut the same way PHP does.
BCRYPT_MAX_BYTES = 72
BCRYPT_PREFIXES = (b"$2y$", b"$2b$", b"$2a$")
# Checked when the username is unknown, so a miss costs as long as a hit and
# response times do not reveal which usernames exist.
_DUMMY_HASH = bcrypt.hashpw(b"timing equaliser", bcrypt.gensalt(rounds=10))


def check_php_password(password, stored_hash):
    """True if `password` matches a PHP password_hash() bcrypt hash."""
    if password is None or not stored_hash:
        return False
    hashed = stored_hash.encode("ascii", "replace")
    # PHP writes "$2y$"; bcrypt (the library) verifies "$2y$" as is, since it
    # is the same algorithm as "$2b$". Other algorithms (argon2 after a PHP
    # default change) are not accepted here: failing closed beats guessing.
    if not hashed.startswith(BCRYPT_PREFIXES):
        logger.warning("Unsupported password hash scheme %r", stored_hash[:4])
        return False
    try:
        return bcrypt.checkpw(password.encode("utf-8")[:BCRYPT_MAX_BYTES], hashed)
    except ValueError:
        logger.warning("Malformed bcrypt hash in the legacy users table")
        return False


def find_legacy_user(username):
    """The active legacy user, found the way PHP finds it: by lower(username)."""
    return (
        Users.objects.alias(username_lower=Lower("username"))
        .filter(username_lower=Lower(Value(username)), is_active=True)
        .first()
    )


class LegacyUserBackend(ModelBackend):
    """
    Authenticate against the legacy users table and map each legacy user to a
    shadow django.contrib.auth user in Django's own schema, so sessions, the
    admin and permissions work unchanged. The shadow user has an unusable
    password and its staff/superuser flags follow users.is_admin.

    It extends ModelBackend only for its permission lookups (groups and user
    permissions of the shadow user); authentication is entirely its own.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        legacy = find_legacy_user(username)
        if legacy is None:
            check_php_password(password, _DUMMY_HASH.decode())
            return None
        if not check_php_password(password, legacy.password_hash):
            return None
        return self._sync_shadow_user(legacy)

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("legacy_link").get(pk=user_id)
            link = user.legacy_link
        except (User.DoesNotExist, LegacyLink.DoesNotExist):
            return None
        # A user deactivated or demoted in PHP loses access on the next
        # request, not at the next login.
        row = (
            Users.objects.filter(pk=link.legacy_user_id, is_active=True)
            .values_list("is_admin", flat=True)
            .first()
        )
        if row is None or not user.is_active:
            return None
        if user.is_staff != row or user.is_superuser != row:
            user.is_staff = user.is_superuser = row
            user.save(update_fields=["is_staff", "is_superuser"])
        return user

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
        link = (
            LegacyLink.objects.select_related("user")
            .filter(legacy_user_id=legacy.pk)
            .first()
        )
        if link is None or link.user.username != legacy.username:
            # The name may be held by another shadow user: one whose legacy
            # user was renamed in PHP since, or a local one (createsuperuser).
            holder = (
                User._default_manager.filter(username=legacy.username)
                .select_related("legacy_link")
                .first()
            )
            if holder is not None and (link is None or holder.pk != link.user_id):
                holder_link = getattr(holder, "legacy_link", None)
                if holder_link is None and link is None:
                    # Adopt the unlinked local user rather than fail the login.
                    link = LegacyLink.objects.create(user=holder, legacy_user_id=legacy.pk)
                else:
                    # Move it aside; a linked one takes its legacy user's
                    # current name at that user's next login.
                    suffix = holder_link.legacy_user_id if holder_link else "local"
                    holder.username = f"{holder.username}~{suffix}"
                    holder.save(update_fields=["username"])
        if link is None:
            user = User(username=legacy.username)
            user.set_unusable_password()
            user.save()
            link = LegacyLink.objects.create(user=user, legacy_user_id=legacy.pk)
        user = link.user
        changed = {
            "username": legacy.username,
            "email": legacy.email,
            "first_name": legacy.full_name[:150],
            "is_staff": legacy.is_admin,
            "is_superuser": legacy.is_admin,
            "is_active": True,
        }
        fields = [name for name, value in changed.items() if getattr(user, name) != value]
        for name in fields:
            setattr(user, name, changed[name])
        if user.has_usable_password():
            user.set_unusable_password()
            fields.append("password")
        if fields:
            user.save(update_fields=fields)
        return user


def legacy_user_id(user):
    """The legacy users.id of a signed-in shadow user."""
    return user.legacy_link.legacy_user_id


def _record_login(sender, request, user, **kwargs):
    # On the login signal rather than in authenticate(): a login the form
    # still rejects must leave no trace in the legacy tables.
    if getattr(user, "backend", None) != BACKEND_PATH:
        return
    legacy_id = legacy_user_id(user)
    Users.objects.filter(pk=legacy_id).update(last_login=Now())
    username = Users.objects.values_list("username", flat=True).get(pk=legacy_id)
    audit.write(
        user_id=legacy_id, action=audit.LOGIN, entity="user", entity_id=legacy_id, details=username
    )


user_logged_in.connect(_record_login, dispatch_uid="helpdesk.auth.record_login")
