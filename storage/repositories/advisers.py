"""Advisers' key pairs: the public half seals reports to them; the private half is
stored only under their passphrase (Argon2id), so the server cannot read reports."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto.aead import KEY_LEN
from storage.crypto.sealed_keys import authentic_adviser_keys
from storage.crypto.server_key import ServerKey
from storage.db.clock import Clock, utcnow
from storage.db.models import AdviserKey


class AdviserAlreadyRegistered(Exception):
    """That adviser has a key already; replacing it would orphan reports sealed to it."""


class AdviserKeys:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], server: ServerKey, clock: Clock = utcnow
    ) -> None:
        self.sessions = sessions
        self.server = server
        self.clock = clock

    async def register(
        self, adviser_id: str, org_id: str, public_key: bytes, protected_private: bytes
    ) -> None:
        """Store a new adviser's key pair. Raises AdviserAlreadyRegistered if one exists."""
        if len(public_key) != KEY_LEN:
            raise ValueError("an X25519 public key is 32 bytes")
        try:
            async with self.sessions() as session, session.begin():
                session.add(
                    AdviserKey(
                        adviser_id=adviser_id,
                        org_id=org_id,
                        public_key=public_key,
                        key_mac=self.server.adviser_key_mac(adviser_id, org_id, public_key),
                        protected_private_key=protected_private,
                        created_at=self.clock(),
                    )
                )
        except IntegrityError as exc:
            raise AdviserAlreadyRegistered(adviser_id) from exc

    async def public_keys(self, adviser_ids: Iterable[str]) -> dict[str, bytes]:
        """The keys of those advisers that have one that checks out (its MAC); the others
        are absent, and one whose MAC fails is logged (`KeyNotAuthentic`)."""
        async with self.sessions() as session:
            return await authentic_adviser_keys(session, self.server, adviser_ids)

    async def has_key(self, adviser_id: str) -> bool:
        return adviser_id in await self.public_keys([adviser_id])
