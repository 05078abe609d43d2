from django.apps import AppConfig


class TakeoverAuthConfig(AppConfig):
    """
    Django-side state of the takeover, kept apart from the legacy models.

    A separate app so that `migrate takeover_auth` can run with Django's own
    apps while the legacy app (helpdesk) is never migrated during side by side.
    """

    name = "takeover_auth"
    verbose_name = "Takeover: legacy user links"
    default_auto_field = "django.db.models.AutoField"
