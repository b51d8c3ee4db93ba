"""Load benchmarks: many students at once through the real `stagemeld run` process.

`make bench` (or `python -m bench`) plays students against the Bot API stand-in of the
tests (every call still validated against the spec) on 127.0.0.1, measures the service
on SQLite and PostgreSQL and a minimal aiogram echo bot as the floor, then the Argon2id
storm (bench/kdf_storm.py) and one replica against two (bench/replicas.py), and writes
one targets table and a history row into docs/performance.md. See docs/performance.md
for what each number means.
"""
