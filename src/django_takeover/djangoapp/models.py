from django.conf import settings
from django.db import models


class LegacyLink(models.Model):
    """
    Ties a shadow django.contrib.auth user to its row in the legacy users table.

    Keyed by the legacy primary key rather than by username because PHP apps
    let usernames change: a rename must not orphan the shadow user (and its
    admin log entries, groups and permissions), and a new legacy user who
    takes a freed name must not inherit someone else's shadow user.

    legacy_user_id is a plain value, not a ForeignKey to the legacy model: a
    real constraint would add triggers to the legacy users table, need
    REFERENCES rights the Django role does not have during side by side, and
    block PHP from deleting a user. It is text so that any single-column
    legacy key (serial, bigint, varchar) fits; lookups convert with str().
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="legacy_link"
    )
    legacy_user_id = models.CharField(max_length=255, unique=True)

    class Meta:
        verbose_name = "legacy user link"

    def __str__(self):
        return f"{self.user} -> legacy user {self.legacy_user_id}"
