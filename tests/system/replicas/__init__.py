"""Two replicas behind HAProxy on one PostgreSQL database."""
