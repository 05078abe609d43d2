from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Helpdesk (legacy tables)"
    default_auto_field = "django.db.models.AutoField"
