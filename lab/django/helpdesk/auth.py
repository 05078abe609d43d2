"""
Legacy sign-in is django_takeover.djangoapp's LegacyUserBackend, configured
by the TAKEOVER_* settings in helpdesk_site/settings.py. What is left here is
the helpdesk's own part: the login row in audit_log (TAKEOVER_LOGIN_HOOK).
"""

from django_takeover.djangoapp.auth import legacy_user_id  # noqa: F401  (used by the views)

from . import audit


def record_login(request, user, legacy_user):
    """The login audit row, as lab/legacy/php/login.php writes it."""
    audit.write(
        user_id=legacy_user.pk, action=audit.LOGIN, entity="user", entity_id=legacy_user.pk,
        details=legacy_user.username,
    )
