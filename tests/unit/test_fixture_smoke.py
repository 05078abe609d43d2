import psycopg


def test_legacy_schema_loads_with_its_quirks(legacy_dsn):
    with psycopg.connect(legacy_dsn) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        partial = conn.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%WHERE%'").fetchone()[0]
    assert {"users", "tickets", "comments", "tags", "ticket_tags", "audit_log", "ticket_statuses"} <= tables
    assert partial == 1
