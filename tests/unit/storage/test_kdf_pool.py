"""Argon2id on argon2-cffi, derived by a bounded pool.

The keys of existing reports and advisers were made by `cryptography`'s Argon2id; the
fixtures in tests/support/data/argon2id_cryptography.json were written by that code (commit
b321c58, before the switch). The new code must reproduce them byte for byte, or no
existing receipt or passphrase would open anything again.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storage.crypto import aead, kdf, kdf_thread, private_keys, receipt_keys
from storage.crypto.kdf import KdfParams
from storage.crypto.kdf_thread import KdfBusy, KdfQueue, Priority

FIXTURES = json.loads(
    (Path(__file__).parents[2] / "support/data/argon2id_cryptography.json").read_text("utf-8")
)
SHIPPED = KdfParams()


def _b(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.mark.parametrize("case", FIXTURES["receipts"], ids=lambda c: str(c["kdf"]))
def test_receipt_keys_are_those_the_old_code_made(case: dict[str, Any]) -> None:
    keys = receipt_keys.derive_receipt_keys(
        case["code"], _b(case["salt"]), KdfParams(**case["kdf"])
    )
    assert keys.lookup == _b(case["lookup"])
    assert keys.wrap_key == _b(case["wrap_key"])


def test_the_fixtures_include_the_shipped_cost() -> None:
    shipped = [c for c in FIXTURES["receipts"] if KdfParams(**c["kdf"]) == SHIPPED]
    assert len(shipped) == 3


@pytest.mark.parametrize("case", FIXTURES["protected_keys"], ids=lambda c: c["passphrase"])
def test_advisers_keys_protected_by_the_old_code_still_open(case: dict[str, Any]) -> None:
    private = private_keys.unprotect_private_key(case["blob"].encode(), case["passphrase"])
    assert private.private_bytes_raw() == _b(case["private_raw"])
    with pytest.raises(aead.CryptoError):
        private_keys.unprotect_private_key(case["blob"].encode(), case["passphrase"] + "x")


async def test_many_concurrent_derivations_all_finish_with_the_right_keys() -> None:
    """The old note: two `cryptography` derivations at once deadlocked in OpenSSL's thread
    pool, so they ran one at a time behind a lock. The lock is gone; 24 at once through the
    pool (and 8 more on bare threads) all finish, each with its sequential result."""
    params = KdfParams(iterations=1, lanes=4, memory_kib=2048)
    codes = [f"{i:016d}" for i in range(24)]
    salt = bytes(16)
    expected = [receipt_keys.derive_receipt_keys(c, salt, params) for c in codes]
    pooled = asyncio.gather(
        *(
            kdf_thread.in_kdf_thread(receipt_keys.derive_receipt_keys, c, salt, params)
            for c in codes
        )
    )
    bare: dict[int, receipt_keys.ReceiptKeys] = {}

    def derive(i: int) -> None:
        bare[i] = receipt_keys.derive_receipt_keys(codes[i], salt, params)

    threads = [threading.Thread(target=derive, args=(i,), daemon=True) for i in range(8)]
    for t in threads:
        t.start()
    assert await asyncio.wait_for(pooled, 120) == expected
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "Argon2id derivations deadlocked"
    assert [bare[i] for i in range(8)] == expected[:8]


def test_at_most_workers_derive_at_once() -> None:
    queue = KdfQueue(workers=3)
    running, peak, lock = 0, 0, threading.Lock()
    release = threading.Event()

    def job() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        release.wait(30)
        with lock:
            running -= 1

    futures = [queue.submit(Priority.HIGH, job) for _ in range(10)]
    _until(lambda: running == 3)  # the pool is full
    assert sum(f.running() for f in futures) == 3
    release.set()
    for f in futures:
        f.result(timeout=30)
    assert peak == 3


def test_a_high_priority_job_overtakes_every_queued_low_one() -> None:
    """Filing and logins before status checks: with the pool busy, a HIGH job submitted
    after 5 LOW ones runs first when the pool frees; beyond max_low a LOW job is refused."""
    queue = KdfQueue(max_low=5, workers=2)
    order: list[str] = []
    gate = threading.Event()
    blockers = [queue.submit(Priority.HIGH, gate.wait, 30) for _ in range(2)]
    _until(lambda: sum(b.running() for b in blockers) == 2)
    lows = [queue.submit(Priority.LOW, order.append, f"low{i}") for i in range(5)]
    with pytest.raises(KdfBusy):
        queue.submit(Priority.LOW, order.append, "refused")
    high = queue.submit(Priority.HIGH, order.append, "high")
    gate.set()
    for f in [*blockers, *lows, high]:
        f.result(timeout=30)  # type: ignore[attr-defined]
    assert order == ["high", *(f"low{i}" for i in range(5))]
    assert queue.low_waiting == 0


def test_status_checks_leave_a_slot_free_for_filing() -> None:
    """A storm of status checks takes at most workers - 1 slots: a filing student's
    derivation starts at once, not after one of the storm's."""
    queue = KdfQueue(max_low=20, workers=2)
    gate = threading.Event()
    storm = [queue.submit(Priority.LOW, gate.wait, 30) for _ in range(10)]
    _until(lambda: any(f.running() for f in storm))
    filed = queue.submit(Priority.HIGH, lambda: "filed")
    assert filed.result(timeout=30) == "filed"
    assert sum(f.running() for f in storm) == 1  # the storm still holds just its one slot
    gate.set()
    for f in storm:
        f.result(timeout=30)


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are Linux's")
def test_status_checks_derive_at_a_lower_priority_than_filing() -> None:
    def my_nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    queue = KdfQueue(workers=2)
    assert queue.submit(Priority.HIGH, my_nice).result(30) == kdf_thread.KDF_NICENESS
    assert queue.submit(Priority.LOW, my_nice).result(30) == kdf_thread.LOW_NICENESS


def _until(condition: Callable[[], bool]) -> None:
    """Spin until another thread has got there (no clock involved; the jobs block)."""
    while not condition():
        time.sleep(0.001)


def test_the_pool_is_sized_by_the_cores_by_default() -> None:
    assert KdfQueue().workers == kdf_thread.default_workers() >= 1


@pytest.mark.parametrize("case", FIXTURES["receipts"], ids=lambda c: str(c["kdf"]))
def test_status_checks_lanes_on_one_thread_give_the_same_keys(
    case: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Status checks' threads compute their lanes one after another (a storm of
    them keeps to one core); the keys must be exactly those of all lanes at once."""
    found: list[receipt_keys.ReceiptKeys] = []
    threads_asked: list[int] = []
    real = kdf._argon2_on_threads

    def spy(secret: bytes, salt: bytes, params: KdfParams, threads: int) -> bytes:
        threads_asked.append(threads)
        return real(secret, salt, params, threads)

    monkeypatch.setattr(kdf, "_argon2_on_threads", spy)

    def on_one_thread() -> None:
        kdf.argon2_on_one_thread()
        found.append(
            receipt_keys.derive_receipt_keys(
                case["code"], _b(case["salt"]), KdfParams(**case["kdf"])
            )
        )

    worker = threading.Thread(target=on_one_thread)
    worker.start()
    worker.join()
    assert found[0].lookup == _b(case["lookup"])
    assert found[0].wrap_key == _b(case["wrap_key"])
    assert threads_asked == [1]
