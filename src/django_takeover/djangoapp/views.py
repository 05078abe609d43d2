import logging

from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import conf

logger = logging.getLogger("django_takeover.health")


@never_cache
@require_safe
@transaction.non_atomic_requests
def healthz(request):
    """
    200 "ok" when the database answers and Django's migrations table is in
    Django's own schema (TAKEOVER_DJANGO_DB_SCHEMA); 503 otherwise. No login:
    the deploy's health-gated switch calls it on each new release.
    """
    # Not atomic: ATOMIC_REQUESTS would open the connection before the view
    # runs, turning a database outage into a 500 instead of this 503.
    expected = conf.get("TAKEOVER_DJANGO_DB_SCHEMA")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.oid = to_regclass('django_migrations')"
            )
            row = cursor.fetchone()
            if row is None or row[0] != expected:
                raise DatabaseError(f"django_migrations is not in schema {expected!r}: {row!r}")
            cursor.execute("SELECT count(*) FROM django_migrations")
    except DatabaseError as exc:
        logger.warning("Health check failed: %s", exc)
        return HttpResponse("unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
