"""
The legacy tables in the admin, read-mostly.

Tickets, comments and users are view-only: a change made here would skip the
audit_log row and updated_at that every change through either app writes, and
users belong to the PHP app (password hashes are never shown). Only reference
data (statuses, tags) can be edited, and nothing can be deleted, since PHP
may hold references Django cannot see (comments.author_id has no constraint).

ticket_tags (composite primary key) and audit_log (no primary key) are not
registered: the admin cannot address their rows.
"""

from django.contrib import admin

from .models import Comments, Tags, Tickets, TicketStatuses, Users


class ReadMostlyAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnlyAdmin(ReadMostlyAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Users)
class UsersAdmin(ViewOnlyAdmin):
    list_display = ["id", "username", "full_name", "email", "is_admin", "is_active", "last_login"]
    list_filter = ["is_admin", "is_active"]
    search_fields = ["username", "full_name", "email"]
    exclude = ["password_hash"]
    ordering = ["username"]


@admin.register(TicketStatuses)
class TicketStatusesAdmin(ReadMostlyAdmin):
    list_display = ["code", "label", "is_closed", "sort_order"]
    ordering = ["sort_order"]

    def get_readonly_fields(self, request, obj=None):
        # The code is the key tickets.status points at.
        return ["code"] if obj else []


@admin.register(Tags)
class TagsAdmin(ReadMostlyAdmin):
    list_display = ["id", "name"]
    search_fields = ["name"]
    ordering = ["name"]


@admin.register(Tickets)
class TicketsAdmin(ViewOnlyAdmin):
    list_display = ["id", "subject", "status", "priority", "reporter_name", "assignee_name", "updated_at"]
    list_filter = ["status__label", "priority"]
    search_fields = ["subject"]
    list_select_related = ["status", "reporter", "assignee"]
    ordering = ["-updated_at"]

    @admin.display(description="reporter", ordering="reporter__username")
    def reporter_name(self, obj):
        return obj.reporter.username

    @admin.display(description="assignee", ordering="assignee__username")
    def assignee_name(self, obj):
        return obj.assignee.username if obj.assignee_id else ""


@admin.register(Comments)
class CommentsAdmin(ViewOnlyAdmin):
    list_display = ["id", "ticket_id", "author_id", "created_at"]
    search_fields = ["body"]
    ordering = ["-created_at"]
