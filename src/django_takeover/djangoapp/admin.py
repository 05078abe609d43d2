from django.contrib import admin

from .models import LegacyLink


@admin.register(LegacyLink)
class LegacyLinkAdmin(admin.ModelAdmin):
    list_display = ["user", "legacy_user_id"]
    search_fields = ["user__username", "legacy_user_id"]
    readonly_fields = ["user", "legacy_user_id"]

    def has_add_permission(self, request):
        # Links are made by the login backend only.
        return False
