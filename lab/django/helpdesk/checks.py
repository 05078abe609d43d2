from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import connections


@register(Tags.database)
def check_django_schema_first(app_configs, databases=None, **kwargs):
    """
    Refuse to run when Django's own tables would land in the legacy schema.

    `migrate` runs the database checks before it touches anything, so a
    missing schema or a wrong search_path stops it instead of creating
    auth_user and friends next to the PHP app's tables.
    """
    errors = []
    for alias in databases or []:
        expected = getattr(settings, "DJANGO_DB_SCHEMA", "django")
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            actual = cursor.fetchone()[0]
        if actual != expected:
            errors.append(
                Error(
                    f"Database {alias!r}: the first schema on the search_path is "
                    f"{actual!r}, not {expected!r}.",
                    hint=(
                        f"Create schema {expected!r} (owned by the Django role) and put it "
                        "first on the role's search_path; Django's own tables must never "
                        "go into the legacy schema."
                    ),
                    id="helpdesk.E001",
                )
            )
    return errors
