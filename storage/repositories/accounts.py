"""Advisers' console accounts: one-time enrolment links, login, lock-out, recovery.

The private key is unlocked only by the adviser's passphrase (or their recovery code),
in memory, for the caller to keep for the session; nothing here writes it anywhere.
The TOTP secret is sealed with the server key because the server has to check codes.
Errors an adviser can cause are values (`LoginRefused` with a code), never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import aead, hpke_seal, kdf, private_keys, second_factor, tokens
from storage.crypto.kdf_thread import in_kdf_thread
from storage.crypto.keys import KeyStore
from storage.crypto.private_keys import X25519PrivateKey
from storage.db.clock import Clock, utcnow
from storage.db.models import AdviserAccount, AdviserKey, Enrolment
from storage.db.rows import rowcount
from storage.repositories import audit

TOTP_PURPOSE = "adviser-totp"
MIN_PASSPHRASE = 12


def _totp_purpose(adviser_id: str) -> str:
    return f"{TOTP_PURPOSE}:{adviser_id}"


@dataclass(frozen=True)
class LoginRefused:
    """Why not, as a message key for the console: bad_link, wrong, locked, exists, …"""

    code: str
    failures: int = 0  # failed attempts so far, so the caller can slow down
    locked_until: datetime | None = None


@dataclass(frozen=True)
class NewCredentials:
    """Made before the adviser confirms a TOTP code; nothing is stored until then.

    Holds protected key blobs and the new secrets the adviser must see once; never the
    passphrase and never the unprotected private key.
    """

    public_key: bytes
    protected_private_key: bytes
    recovery_protected_key: bytes
    totp_secret: str
    recovery_code: str


@dataclass(frozen=True)
class LoggedIn:
    adviser_id: str
    private_key: X25519PrivateKey


def make_credentials(
    passphrase: str, params: kdf.KdfParams, private: X25519PrivateKey | None = None
) -> NewCredentials:
    """Blocking (two Argon2id runs): call it from a thread. A new key pair unless one is
    given (recovery keeps the old pair, because reports are sealed to it)."""
    if private is None:
        private, _ = hpke_seal.generate_keypair()
    recovery_code = second_factor.new_recovery_code()
    return NewCredentials(
        public_key=hpke_seal.public_bytes(private),
        protected_private_key=private_keys.protect_private_key(private, passphrase, params),
        recovery_protected_key=private_keys.protect_private_key(private, recovery_code, params),
        totp_secret=second_factor.new_totp_secret(),
        recovery_code=recovery_code,
    )


class Accounts:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        keys: KeyStore,
        clock: Clock = utcnow,
        *,
        max_failures: int = 5,
        lock: timedelta = timedelta(minutes=15),
        link_valid: timedelta = timedelta(hours=72),
    ) -> None:
        self.sessions = sessions
        self.keys = keys
        self.clock = clock
        self.max_failures = max_failures
        self.lock = lock
        self.link_valid = link_valid
        self._decoy: bytes | None = None

    # --- enrolment ----------------------------------------------------------------------

    async def create_link(self, adviser_id: str) -> str | LoginRefused:
        """A one-time token for the enrolment page; only its hash is stored. Also for an
        adviser keyed by the operator whose account is not set up yet (a new link)."""
        async with self.sessions() as session, session.begin():
            if await session.get(AdviserAccount, adviser_id) is not None:
                return LoginRefused("exists")
            now = self.clock()
            token = self._add_link(session, adviser_id, now)
            await audit.append(
                session,
                self.keys.server,
                at=now,
                actor="system",
                action="enrol_link",
                detail=adviser_id,
            )
        return token

    async def link_adviser(self, token: str) -> str | None:
        """Whose link this is, if it is unused and unexpired."""
        async with self.sessions() as session:
            row = await session.get(Enrolment, tokens.token_hash(token))
            return row.adviser_id if row is not None and self._usable(row) else None

    def _usable(self, row: Enrolment) -> bool:
        return row.used_at is None and row.expires_at > self.clock()

    async def prepare(
        self, passphrase: str, *, current: str | None = None, adviser_id: str = ""
    ) -> NewCredentials | LoginRefused:
        """New credentials for the enrolment page. `current`: the adviser already has a
        key (the operator made it with `adviser add --passphrase-stdin`); the passphrase
        they were given opens it, and the new one, TOTP and recovery code protect it."""
        if len(passphrase) < MIN_PASSPHRASE:
            return LoginRefused("short_passphrase")
        if current is None:
            return await in_kdf_thread(make_credentials, passphrase, self.keys.kdf)
        async with self.sessions() as session:
            key = await session.get(AdviserKey, adviser_id)
        private = await self._unlock(key.protected_private_key, current) if key else None
        if private is None:
            return LoginRefused("wrong_current")
        return await in_kdf_thread(make_credentials, passphrase, self.keys.kdf, private)

    async def key_without_account(self, adviser_id: str) -> bool:
        """Keyed by the operator, the account (TOTP, recovery code) still to be set up."""
        async with self.sessions() as session:
            key = await session.get(AdviserKey, adviser_id)
            return key is not None and await session.get(AdviserAccount, adviser_id) is None

    async def key_with_link(
        self, adviser_id: str, org_id: str, public_key: bytes, protected_private_key: bytes
    ) -> str | LoginRefused:
        """`adviser add --passphrase-stdin`: the key pair now (reports are sealed to it from
        this moment), and a one-time link where the adviser alone sets up the account.
        The TOTP secret and the recovery code are made on that page and shown there only:
        the operator, who chose the passphrase, never holds a second factor."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            if await session.get(AdviserKey, adviser_id) is not None:
                return LoginRefused("exists")
            self._store_key(session, adviser_id, org_id, public_key, protected_private_key, now)
            token = self._add_link(session, adviser_id, now)
            await audit.append(
                session,
                self.keys.server,
                at=now,
                actor="system",
                action="enrol_key",
                org_id=org_id,
                detail=adviser_id,
            )
        return token

    def _add_link(self, session: AsyncSession, adviser_id: str, now: datetime) -> str:
        """A new one-time enrolment link in the caller's transaction: only its hash is
        stored; the token goes to whoever hands the link to the adviser."""
        token = tokens.new_token()
        session.add(
            Enrolment(
                token_hash=tokens.token_hash(token),
                adviser_id=adviser_id,
                expires_at=now + self.link_valid,
            )
        )
        return token

    async def enrol(
        self, token: str, org_id: str, new: NewCredentials, code: str
    ) -> str | LoginRefused:
        """Uses the link, stores key pair and account; returns the adviser id."""
        now = self.clock()
        step = second_factor.totp_step(new.totp_secret, code, now)
        if step is None:
            return LoginRefused("wrong_code")
        async with self.sessions() as session, session.begin():
            link = await session.get(Enrolment, tokens.token_hash(token), with_for_update=True)
            if link is None or not self._usable(link):
                return LoginRefused("bad_link")
            key = await session.get(AdviserKey, link.adviser_id, with_for_update=True)
            if key is not None:
                # Keyed by the operator: only the account is new, for the same key pair.
                account = await session.get(AdviserAccount, link.adviser_id)
                if account is not None or key.public_key != new.public_key:
                    return LoginRefused("exists")
                key.protected_private_key = new.protected_private_key
                self._store_account(session, link.adviser_id, new, step, now)
            else:
                self._store(session, link.adviser_id, org_id, new, step, now)
            link.used_at = now
            await audit.append(
                session,
                self.keys.server,
                at=now,
                actor=link.adviser_id,
                action="enrol",
                org_id=org_id,
            )
            return link.adviser_id

    async def enrol_directly(
        self, adviser_id: str, org_id: str, new: NewCredentials
    ) -> LoginRefused | None:
        """Without a link, for the operator's command line and the demo."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            if await session.get(AdviserKey, adviser_id) is not None:
                return LoginRefused("exists")
            self._store(session, adviser_id, org_id, new, 0, now)
            await audit.append(
                session,
                self.keys.server,
                at=now,
                actor="system",
                action="enrol",
                org_id=org_id,
                detail=adviser_id,
            )
        return None

    def _store(
        self,
        session: AsyncSession,
        adviser_id: str,
        org_id: str,
        new: NewCredentials,
        step: int,
        now: datetime,
    ) -> None:
        self._store_key(session, adviser_id, org_id, new.public_key, new.protected_private_key, now)
        self._store_account(session, adviser_id, new, step, now)

    def _store_key(
        self,
        session: AsyncSession,
        adviser_id: str,
        org_id: str,
        public_key: bytes,
        protected_private_key: bytes,
        now: datetime,
    ) -> None:
        session.add(
            AdviserKey(
                adviser_id=adviser_id,
                org_id=org_id,
                public_key=public_key,
                key_mac=self.keys.server.adviser_key_mac(adviser_id, org_id, public_key),
                protected_private_key=protected_private_key,
                created_at=now,
            )
        )

    def _store_account(
        self, session: AsyncSession, adviser_id: str, new: NewCredentials, step: int, now: datetime
    ) -> None:
        session.add(
            AdviserAccount(
                adviser_id=adviser_id,
                totp_sealed=self._seal_totp(adviser_id, new.totp_secret),
                totp_last_step=step,
                recovery_protected_key=new.recovery_protected_key,
                failed_logins=0,
                enrolled_at=now,
            )
        )

    def _seal_totp(self, adviser_id: str, secret: str) -> bytes:
        return self.keys.server.seal_value(secret.encode(), purpose=_totp_purpose(adviser_id))

    def _open_totp(self, account: AdviserAccount) -> str:
        purpose = _totp_purpose(account.adviser_id)
        return self.keys.server.open_value(account.totp_sealed, purpose=purpose).decode()

    # --- login --------------------------------------------------------------------------

    async def login(self, adviser_id: str, passphrase: str, code: str) -> LoggedIn | LoginRefused:
        """Passphrase and a TOTP code of a step not used before; both or nothing."""
        now = self.clock()
        async with self.sessions() as session:
            account = await session.get(AdviserAccount, adviser_id)
            key = await session.get(AdviserKey, adviser_id)
        if account is None or key is None:
            await self._decoy_unlock(passphrase)
            return LoginRefused("wrong")
        refused = await self._claim(adviser_id, now)
        if refused is not None:
            return refused
        step = second_factor.totp_step(self._open_totp(account), code, now)
        private = await self._unlock(key.protected_private_key, passphrase)
        if step is None or step <= account.totp_last_step or private is None:
            return await self._failed(adviser_id, now)
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(AdviserAccount)
                .where(
                    AdviserAccount.adviser_id == adviser_id,
                    AdviserAccount.totp_last_step < step,
                )
                .values(totp_last_step=step, failed_logins=0, locked_until=None, last_login_at=now)
            )
            if rowcount(result) != 1:  # the same code used at the same moment elsewhere
                return LoginRefused("wrong")
            await audit.append(
                session,
                self.keys.server,
                at=now,
                actor=adviser_id,
                action="login",
                org_id=key.org_id,
            )
        return LoggedIn(adviser_id, private)

    async def _decoy_unlock(self, secret: str) -> None:
        """The same Argon2id work as a real login, so a wrong e-mail address takes as long
        as a wrong passphrase: response times must not tell who is an adviser."""
        if self._decoy is None:
            self._decoy = await in_kdf_thread(
                private_keys.protect_private_key,
                hpke_seal.generate_keypair()[0],
                tokens.new_token(),
                self.keys.kdf,
            )
        await self._unlock(self._decoy, secret)

    async def _unlock(self, blob: bytes, secret: str) -> X25519PrivateKey | None:
        try:
            return await in_kdf_thread(private_keys.unprotect_private_key, blob, secret)
        except aead.CryptoError:
            return None

    async def _claim(self, adviser_id: str, now: datetime) -> LoginRefused | None:
        """Count this attempt as a failure *before* its Argon2id work, in one statement:
        of any number of parallel attempts at most `max_failures` are evaluated (a
        success takes its count back). The attempt that finds the count full starts the
        lock, so a crash between claim and answer cannot leave an account stuck."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(AdviserAccount)
                .where(
                    AdviserAccount.adviser_id == adviser_id,
                    or_(AdviserAccount.locked_until.is_(None), AdviserAccount.locked_until <= now),
                    AdviserAccount.failed_logins < self.max_failures,
                )
                .values(failed_logins=AdviserAccount.failed_logins + 1)
            )
            if rowcount(result) == 1:
                return None
            account = await session.get(AdviserAccount, adviser_id, with_for_update=True)
            if account is None:  # an unknown id (the decoy path) or removed meanwhile
                return LoginRefused("wrong")
            if account.locked_until is None or account.locked_until <= now:
                account.locked_until, account.failed_logins = now + self.lock, 0
                await audit.append(
                    session, self.keys.server, at=now, actor=adviser_id, action="login_locked"
                )
            return LoginRefused("locked", self.max_failures, account.locked_until)

    async def _failed(self, adviser_id: str, now: datetime) -> LoginRefused:
        """The attempt was counted by `_claim`; the last allowed failure locks the
        account for a while."""
        async with self.sessions() as session, session.begin():
            account = await session.get(AdviserAccount, adviser_id, with_for_update=True)
            if account is None:  # removed since the attempt began: as for an unknown one
                return LoginRefused("wrong")
            failures = account.failed_logins  # this attempt was counted by `_claim`
            locked_until = None
            unlocked = account.locked_until is None or account.locked_until <= now
            if failures >= self.max_failures and unlocked:
                locked_until, account.locked_until, account.failed_logins = (
                    now + self.lock,
                    now + self.lock,
                    0,
                )
            action = "login_locked" if locked_until else "login_failed"
            await audit.append(session, self.keys.server, at=now, actor=adviser_id, action=action)
        if locked_until is not None:
            return LoginRefused("locked", self.max_failures, locked_until)
        return LoginRefused("wrong", failures)

    async def logout(self, adviser_id: str, org_id: str | None) -> None:
        async with self.sessions() as session, session.begin():
            await audit.append(
                session,
                self.keys.server,
                at=self.clock(),
                actor=adviser_id,
                action="logout",
                org_id=org_id,
            )

    # --- recovery -----------------------------------------------------------------------

    async def begin_recovery(
        self, adviser_id: str, recovery_code: str, new_passphrase: str
    ) -> NewCredentials | LoginRefused:
        """The recovery code opens the key; new passphrase, TOTP and recovery code are
        made for it (the key pair stays: reports are sealed to it). A wrong code counts
        as a failed login."""
        if len(new_passphrase) < MIN_PASSPHRASE:
            return LoginRefused("short_passphrase")
        now = self.clock()
        async with self.sessions() as session:
            account = await session.get(AdviserAccount, adviser_id)
        if account is None:
            await self._decoy_unlock(recovery_code)
            return LoginRefused("wrong")
        refused = await self._claim(adviser_id, now)
        if refused is not None:
            return refused
        code = second_factor.normalize_recovery_code(recovery_code)
        private = await self._unlock(account.recovery_protected_key, code)
        if private is None:
            return await self._failed(adviser_id, now)
        return await in_kdf_thread(make_credentials, new_passphrase, self.keys.kdf, private)

    async def complete_recovery(
        self, adviser_id: str, new: NewCredentials, code: str
    ) -> LoginRefused | None:
        now = self.clock()
        step = second_factor.totp_step(new.totp_secret, code, now)
        if step is None:
            return LoginRefused("wrong_code")
        async with self.sessions() as session, session.begin():
            account = await session.get(AdviserAccount, adviser_id, with_for_update=True)
            key = await session.get(AdviserKey, adviser_id, with_for_update=True)
            if account is None or key is None or key.public_key != new.public_key:
                return LoginRefused("wrong")
            key.protected_private_key = new.protected_private_key
            account.totp_sealed = self._seal_totp(adviser_id, new.totp_secret)
            account.totp_last_step = step
            account.recovery_protected_key = new.recovery_protected_key
            account.failed_logins = 0
            account.locked_until = None
            await audit.append(
                session,
                self.keys.server,
                at=now,
                actor=adviser_id,
                action="recovered",
                org_id=key.org_id,
            )
        return None
