"""The audit chain: appends link up; a deleted, edited or reordered row, or a cut-off
tail, is found and named by the first seq that fails."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from storage.crypto.keys import KeyStore
from storage.db.models import AuditEntry, AuditHead
from storage.repositories import audit
from tests.support import storage_backends
from tests.support.storage_backends import Backend, Clock

backend = storage_backends.backend
keys = storage_backends.keys


async def _five(backend: Backend, keys: KeyStore) -> None:
    clock = Clock()
    for i in range(5):
        async with backend.sessions() as session, session.begin():
            await audit.append(
                session, keys.server, at=clock(), actor="hhs-vp", action="view",
                report_id=f"r{i}", org_id="hhs", detail="",
            )  # fmt: skip


async def _verify(backend: Backend, keys: KeyStore) -> audit.Verdict:
    async with backend.sessions() as session:
        return await audit.verify(session, keys.server)


async def test_an_untouched_chain_verifies(backend: Backend, keys: tuple[KeyStore, str]) -> None:
    assert await _verify(backend, keys[0]) == audit.Verdict(True, 0)
    await _five(backend, keys[0])
    assert await _verify(backend, keys[0]) == audit.Verdict(True, 5)
    async with backend.sessions() as session:
        seqs = list(await session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
    assert seqs == [1, 2, 3, 4, 5]


async def test_a_deleted_row_is_detected(backend: Backend, keys: tuple[KeyStore, str]) -> None:
    await _five(backend, keys[0])
    async with backend.sessions() as session, session.begin():
        await session.execute(delete(AuditEntry).where(AuditEntry.seq == 3))
    verdict = await _verify(backend, keys[0])
    assert (verdict.ok, verdict.broken_seq) == (False, 3)


async def test_an_edited_row_is_detected(backend: Backend, keys: tuple[KeyStore, str]) -> None:
    await _five(backend, keys[0])
    async with backend.sessions() as session, session.begin():
        await session.execute(
            update(AuditEntry).where(AuditEntry.seq == 2).values(actor="someone-else")
        )
    verdict = await _verify(backend, keys[0])
    assert (verdict.ok, verdict.broken_seq, verdict.reason) == (False, 2, "mac")


async def test_swapped_rows_are_detected(backend: Backend, keys: tuple[KeyStore, str]) -> None:
    await _five(backend, keys[0])
    async with backend.sessions() as session, session.begin():
        rows = {
            r.seq: r for r in await session.scalars(select(AuditEntry).where(AuditEntry.seq < 3))
        }
        rows[1].report_id, rows[2].report_id = rows[2].report_id, rows[1].report_id
    verdict = await _verify(backend, keys[0])
    assert (verdict.ok, verdict.broken_seq) == (False, 1)


async def test_a_cut_off_tail_is_detected(backend: Backend, keys: tuple[KeyStore, str]) -> None:
    await _five(backend, keys[0])
    async with backend.sessions() as session, session.begin():
        await session.execute(delete(AuditEntry).where(AuditEntry.seq >= 4))
    verdict = await _verify(backend, keys[0])
    assert (verdict.ok, verdict.broken_seq, verdict.reason) == (False, 4, "tail")


async def test_a_rewritten_chain_without_the_server_key_fails(
    backend: Backend, keys: tuple[KeyStore, str], tmp_path: object
) -> None:
    """Someone with only the database recomputes nothing: another key gives other MACs."""
    await _five(backend, keys[0])
    from storage.crypto.server_key import ServerKey

    assert not (await _verify_with(backend, ServerKey(bytes(32)))).ok
    async with backend.sessions() as session:
        head = await session.get(AuditHead, 1)
    assert head is not None and head.seq == 5


async def _verify_with(backend: Backend, server: object) -> audit.Verdict:
    async with backend.sessions() as session:
        return await audit.verify(session, server)  # type: ignore[arg-type]


async def test_concurrent_appends_keep_one_unbroken_chain(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """As two replicas would: many writers at once, each in its own transaction."""
    import asyncio

    clock = Clock()

    async def one(i: int) -> None:
        async with backend.sessions() as session, session.begin():
            await audit.append(session, keys[0].server, at=clock(), actor=f"a{i}", action="view")

    await asyncio.gather(*(one(i) for i in range(12)))
    assert await _verify(backend, keys[0]) == audit.Verdict(True, 12)
