"""stagemeld storage: the database, the keys, and all of the cryptography.

Imports nothing of bot, dialogues or escalation (only the shared words in `vocabulary`).
Three rooms, one job per module:

`crypto/`: the key material and all of the cryptography (its `__init__` lists every
module's job)
- the primitives, one module each: `aead`, `padding`, `sealed_content`, `hpke_seal`,
  `kdf`, `receipt_keys`, `private_keys`, `tokens`, `console_session`, `server_key`,
  `webhook_signature`, `sealed_drafts`, `ephemeral`, `second_factor`, `matching`; no
  module outside this room touches a primitive (tests/unit/storage/test_primitives.py).
- `kdf_thread`: the bounded pool of threads Argon2id derivations run on, off the event loop.
- `keys`: the server's key files (server secret, recovery public key, receipt salt).
- `draft_keys`: one shreddable key file per live conversation (its end destroys every
  older copy of the draft).
- `audit_anchor`: the audit chain's head, anchored in keys.dir outside the database.
- `matching_keys`: the matching keys (keys.dir/matching) for company patterns, rotated.
- `files`: durable steps on those files (flushing a directory, times set to the hour).
- `sealed_keys`: copies of a report's data key sealed to its readers, and opening one.
- `thread`: how a report's messages and files are sealed, for both sides.

`db/`: the schema and its plumbing
- `models/` (one module per concern: reports, thread, advisers, chats, audit, patterns)
  + `migrations`: the schema (Alembic).
- `engine`: engine, sessions and migrating, for SQLite and PostgreSQL alike.
- `private_files`: the service's files 0600, its directories 0700, whatever the umask.
- `upsert`: insert-or-update in one statement, in the session's dialect.
- `clock`: time as a parameter; `rows`: small helpers over results.

`repositories/`, one per concern
- `reports`: filing a report sealed, and finding it by its receipt.
- `report_recovery`: the operator's `stagemeld recover`: where a report may go, and
  sealing it to one more adviser with the recovery key.
- `student`: the student's side after filing (thread, answer, file, withdraw).
- `evaluations`: the student's evaluation of the follow-up after closing (score; text
  sealed to the network's coordinators; the quotable texts for the reflection report).
- `cases`: the advisers' side (reading and acting on the reports sealed to them).
- `console_sessions`: signed-in console sessions, the key sealed under the cookie's token.
- `accounts`: advisers' console accounts (`links`, `enrolment`, `login`, `recovery`, and
  the `lockout` and `credentials` they share).
- `advisers`: advisers' key pairs as the bot's routing sees them.
- `audit`: the append-only, MAC-chained audit log.
- `audit_enrolments`: what the audit log says of enrolments (who ever held a key; every
  enrolment follows an issued link).
- `proofs`: proving, once at the first start, the rows written before proofs existed.
- `deadlines`: overdue deadlines and their escalation steps.
- `retention`: warning about and erasing ended reports.
- `conversations`: unfinished conversations, sealed with their draft key, by chat hash.
- `attempts`: wrong receipt codes per chat, and the lock-out.
- `outbox`: notifications to advisers, sent at least once and claimed with a lease.
- `updates`: which Telegram updates were handled already.
- `patterns`: company patterns: consenting reports' keyed hashes, the release in the
  filing's transaction, the coordinators' figures and the names shared with them.
"""
