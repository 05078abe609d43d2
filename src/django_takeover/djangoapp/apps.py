from django.apps import AppConfig


class TakeoverConfig(AppConfig):
    """
    Django-side state and behaviour of a takeover.

    Its only table (LegacyLink) is Django's own and lives in Django's schema,
    first on the search_path; this app never writes DDL into the legacy
    schema, which belongs to PHP until retirement.
    """

    name = "django_takeover.djangoapp"
    label = "takeover"
    verbose_name = "Takeover"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        # Registers the system checks and the login signal receiver.
        from . import auth, checks  # noqa: F401
