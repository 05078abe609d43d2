from django.conf import settings
from django.db import models


class LegacyLink(models.Model):
    """
    Ties a shadow django.contrib.auth user to its row in the legacy users table.

    Keyed by the legacy id rather than by username because usernames can be
    changed in the PHP app: a rename must not orphan the shadow user (and its
    admin log entries and permissions), and a new legacy user who takes a
    freed name must not inherit someone else's shadow user.

    legacy_user_id is a plain integer, not a ForeignKey to helpdesk.Users: a
    real constraint would add triggers to the legacy users table, need
    REFERENCES rights the Django role does not have, and block PHP from
    deleting a user.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="legacy_link"
    )
    legacy_user_id = models.IntegerField(unique=True)

    class Meta:
        verbose_name = "legacy user link"

    def __str__(self):
        return f"{self.user} -> users.id={self.legacy_user_id}"
