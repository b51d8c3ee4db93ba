"""The disk-copy attacker: someone who copies the server's disk (database files with
SQLite's -wal/-shm, or PostgreSQL's row versions, and keys.dir) at any moment and uses
every key in the copy with the project's own code.

- `scenario` drives students through the real service (a subprocess, so it can be
  SIGKILLed) and copies the disk at the moments the issue names;
- `sqlite_versions` / `pg_versions` reconstruct every row version a copy still holds;
- `attacker` loads the keys, brute-forces chat hashes, runs every decryptor on every
  value and searches for the students' markers, receipts and chat ids;
- `test_seizure_*` assert the issue's "What must hold".
"""
