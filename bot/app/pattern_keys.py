"""`stagemeld patterns rotate-key` and `retire-key`: the matching key's rotation
(docs/security.md, "Company patterns").

Rotating adds a newer key; new reports are hashed under every kept key, so they still
meet older ones. Retiring shreds an older key file and deletes the hashes made with it,
with an audit entry, so a copy of the old key confirms nothing in the live database.
"""

from __future__ import annotations

import sys

from bot.app.settings import Settings
from storage.crypto.matching_keys import MatchingKeyError, MatchingKeys


def rotate_key(settings: Settings) -> int:
    keys = MatchingKeys.load(settings.keys.dir).rotate()
    print(
        f"new matching key {keys.current.key_id}; kept: {', '.join(keys.ids)}. Restart the "
        f"service; retire an older key with `stagemeld patterns retire-key ID`"
    )
    return 0


async def retire_key(settings: Settings, key_id: str) -> int:
    from bot.app.container import build_container
    from storage.repositories import audit, patterns

    try:
        keys = MatchingKeys.load(settings.keys.dir, create=False)
        if key_id not in keys.ids or key_id == keys.current.key_id:
            raise MatchingKeyError(
                f"{key_id!r} is not an older kept key (kept: {', '.join(keys.ids)}; the "
                "newest stays)"
            )
    except MatchingKeyError as exc:
        print(f"stagemeld: {exc}", file=sys.stderr)
        return 1
    container = await build_container(settings)
    try:
        # The hashes first: if the unlink then fails, the key is kept but matches nothing.
        async with container.sessions() as session, session.begin():
            gone = await patterns.retire_tags(session, key_id)
            await audit.append(
                session,
                container.keys.server,
                at=container.reports.clock(),
                actor="operator",
                action="matching_key_retired",
                detail=f"{key_id}:{gone}",
            )
        keys.retire(key_id)
    finally:
        await container.close()
    print(f"retired matching key {key_id}: its file and {gone} hash(es) are gone")
    return 0
