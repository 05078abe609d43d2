"""Tools that let Django take over a legacy PHP application's PostgreSQL database."""
