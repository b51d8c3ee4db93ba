"""Argon2id derivations from several threads at once — as the service runs them (status
checks, filing, passphrases via asyncio.to_thread) — all finish with the right keys.

Found by the receipt-guessing measurement: with cryptography 50, two concurrent
derivations with lanes > 1 hung for ever, or failed with MemoryError at small costs.
The join timeout only detects a hang; no speed is asserted.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait

from storage.crypto import KdfParams, derive_receipt_keys

MULTI_LANE = KdfParams(iterations=1, lanes=4, memory_kib=1024)


def test_concurrent_multi_lane_derivations_finish_and_agree() -> None:
    codes = [f"{n:016d}" for n in range(12)]
    alone = [derive_receipt_keys(c, b"s" * 16, MULTI_LANE) for c in codes]
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(derive_receipt_keys, c, b"s" * 16, MULTI_LANE) for c in codes]
        _, pending = wait(futures, timeout=60)
    assert not pending, "Argon2id derivations deadlocked"
    assert [f.result() for f in futures] == alone
