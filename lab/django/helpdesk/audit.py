"""
The audit_log rows, written exactly as the PHP app writes them.

audit_log has no primary key, so the ORM cannot address its rows; it is
written and read with plain SQL. happened_at is left to the column's
DEFAULT now(), the transaction's start time, as in PHP.
"""

from django.db import connection

LOGIN = "login"
CREATE = "create"
UPDATE = "update"
COMMENT = "comment"


def write(*, user_id, action, entity, entity_id, details=None):
    """
    One row, as lab/legacy/php/lib.php's audit() writes it. details: the
    username as stored for login, the ticket's subject (after the change) for
    create, update and comment.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_log (user_id, action, entity, entity_id, details) "
            "VALUES (%s, %s, %s, %s, %s)",
            [user_id, action, entity, entity_id, details],
        )


def for_entity(entity, entity_id, limit=50):
    """Newest first, as dicts, for the ticket page's history."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.happened_at, a.user_id, u.username, a.action, a.details "
            "FROM audit_log a LEFT JOIN users u ON u.id = a.user_id "
            "WHERE a.entity = %s AND a.entity_id = %s "
            "ORDER BY a.happened_at DESC LIMIT %s",
            [entity, entity_id, limit],
        )
        columns = [col.name for col in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]
