"""Integration tier: real databases (SQLite and PostgreSQL), the console over ASGI, and
the service in-process against the stand-ins, all inside the test's own process."""
