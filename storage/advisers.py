"""Advisers' key pairs: the public half seals reports to them; the private half is
stored only under their passphrase (Argon2id), so the server cannot read reports."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.clock import Clock, utcnow
from storage.crypto import KEY_LEN
from storage.models import AdviserKey


class AdviserAlreadyRegistered(Exception):
    """That adviser has a key already; replacing it would orphan reports sealed to it."""


class AdviserKeys:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow) -> None:
        self.sessions = sessions
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
                        protected_private_key=protected_private,
                        created_at=self.clock(),
                    )
                )
        except IntegrityError as exc:
            raise AdviserAlreadyRegistered(adviser_id) from exc

    async def public_keys(self, adviser_ids: Iterable[str]) -> dict[str, bytes]:
        """The keys of those advisers that have one; the others are simply absent."""
        ids = list(adviser_ids)
        if not ids:
            return {}
        async with self.sessions() as session:
            rows = await session.execute(
                select(AdviserKey.adviser_id, AdviserKey.public_key).where(
                    AdviserKey.adviser_id.in_(ids)
                )
            )
            return {adviser_id: key for adviser_id, key in rows}

    async def has_key(self, adviser_id: str) -> bool:
        return adviser_id in await self.public_keys([adviser_id])
