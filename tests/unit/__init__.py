"""Unit tier: pure code in one process, no database, server, socket or child process."""
