"""The repositories, migrations and what lies at rest, on SQLite and PostgreSQL."""
