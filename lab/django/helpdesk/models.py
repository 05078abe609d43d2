# Stand-in for the file the model generator writes (issue 3). Named exactly as
# `inspectdb` names things from lab/legacy/schema.sql, so the views keep
# working when the generated file replaces this one. The views use only these
# class names and forward field names, never reverse accessors.
#
# Corrected by hand where inspectdb is wrong about this schema:
# * users.email is unique only WHERE is_active (a partial index), so the field
#   is not unique=True here.
# * audit_log has no primary key. Django invents an ``id`` that does not exist,
#   so the app reads and writes audit_log with raw SQL only (helpdesk.audit).
from django.db import models


class AuditLog(models.Model):
    happened_at = models.DateTimeField()
    user_id = models.IntegerField(blank=True, null=True)
    action = models.CharField(max_length=32)
    entity = models.CharField(max_length=32)
    entity_id = models.IntegerField(blank=True, null=True)
    details = models.TextField(blank=True, null=True)

    class Meta:
        managed = False
        db_table = "audit_log"


class Comments(models.Model):
    ticket = models.ForeignKey("Tickets", models.DO_NOTHING)
    # Points at users.id, but the legacy schema never declared the constraint.
    author_id = models.IntegerField()
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "comments"


class Tags(models.Model):
    name = models.CharField(unique=True, max_length=50)

    class Meta:
        managed = False
        db_table = "tags"


class TicketStatuses(models.Model):
    code = models.CharField(primary_key=True, max_length=16)
    label = models.CharField(max_length=64)
    is_closed = models.BooleanField()
    sort_order = models.IntegerField()

    class Meta:
        managed = False
        db_table = "ticket_statuses"


class TicketTags(models.Model):
    pk = models.CompositePrimaryKey("ticket_id", "tag_id")
    ticket = models.ForeignKey("Tickets", models.DO_NOTHING)
    tag = models.ForeignKey(Tags, models.DO_NOTHING)

    class Meta:
        managed = False
        db_table = "ticket_tags"


class Tickets(models.Model):
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.ForeignKey(TicketStatuses, models.DO_NOTHING, db_column="status")
    priority = models.SmallIntegerField()
    reporter = models.ForeignKey("Users", models.DO_NOTHING)
    assignee = models.ForeignKey(
        "Users", models.DO_NOTHING, related_name="tickets_assignee_set", blank=True, null=True
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "tickets"


class Users(models.Model):
    username = models.CharField(max_length=64)
    email = models.CharField(max_length=255)
    password_hash = models.CharField(max_length=255)
    full_name = models.CharField(max_length=128)
    is_admin = models.BooleanField()
    is_active = models.BooleanField()
    created_at = models.DateTimeField()
    last_login = models.DateTimeField(blank=True, null=True)

    class Meta:
        managed = False
        db_table = "users"
