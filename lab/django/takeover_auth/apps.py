from django.apps import AppConfig


class TakeoverAuthConfig(AppConfig):
    """
    What is left of the sample's own takeover app: its migrations.

    Its LegacyLink table predates the reusable app. Migration 0002 copies the
    links into takeover.LegacyLink and drops the model from Django's state but
    not the table, so a rollback to a release from before the move still
    finds its links. Keep the app installed, and migrated after "takeover".
    """

    name = "takeover_auth"
    verbose_name = "Takeover (sample, pre-app links)"
    default_auto_field = "django.db.models.AutoField"
