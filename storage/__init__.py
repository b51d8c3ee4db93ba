"""stagemeld storage: the database, the keys, and all of the cryptography.

One job per module: `crypto` (every primitive, nothing else touches one), `keys` (the
server's key files), `models` + `migrations` (schema), `db` (engine, sessions,
migrate), and one repository per concern: `reports`, `conversations`, `attempts`,
`updates`, `advisers`, `outbox`. Imports nothing of bot, dialogues or escalation.
"""
