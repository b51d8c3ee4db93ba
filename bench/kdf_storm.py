"""A storm of status checks against a filing student and an adviser logging in.

    .venv/bin/python -m bench.kdf_storm [--rounds 5] [--storm 20]

In one process, with the real service objects and the default Argon2id cost (the one
`config.yaml` ships): first a student files and an adviser logs in with nothing else
going on; then the same while `--storm` status checks with wrong codes (each its own
chat, as from many web sessions) are queued at the same moment. Prints the median
delay of each and the ratio storm / quiet (target: under 2×: wrong codes must not starve the
students and advisers who derive a key).
The guessing bounds are lifted for the run, so every status check reaches Argon2id.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.app.container import Container, build_container
from bot.app.settings import load_settings
from bot.app.wiring import follow_up
from storage.crypto import kdf, kdf_thread, receipt_keys, second_factor
from storage.crypto.kdf_thread import in_kdf_thread
from storage.repositories.accounts.credentials import LoggedIn, make_credentials
from storage.repositories.reports import NewReport, Recipient

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASE = "correct horse battery staple"


@dataclass(frozen=True)
class StormResult:
    storm: int
    rounds: int
    file_quiet: float
    file_storm: float
    login_quiet: float
    login_storm: float
    one_derivation: float  # seconds, alone
    per_second: float  # derivations/s through the pool, all of it busy: the bound
    workers: int

    @property
    def file_ratio(self) -> float:
        return self.file_storm / self.file_quiet

    @property
    def login_ratio(self) -> float:
        return self.login_storm / self.login_quiet


async def _container(tmp: Path) -> Container:
    data: dict[str, Any] = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = f"sqlite+aiosqlite:///{tmp / 'storm.db'}"
    data["network"] = str(ROOT / "network.yaml")  # the shipped directory, as it is
    data["keys"] = {"dir": str(tmp / "keys")}  # the default Argon2id cost
    data["logging"] = {"level": "WARNING", "file": str(tmp / "storm.log")}
    data["web"] = {"enabled": False}
    data["status"] = {
        "per_address_per_hour": 1_000_000,
        "overall_per_hour": 1_000_000,
        "max_queued_checks": 1000,
    }
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return await build_container(load_settings(path))


async def _timed(work: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await work()
    return time.perf_counter() - start


async def argon2_bound(rounds: int = 3) -> tuple[float, float]:
    """(seconds for one derivation alone, derivations/s with the pool full): what the
    machine's cores derive at the shipped cost, the bound on filing and status checks."""
    params, salt = kdf.KdfParams(), kdf.new_salt()
    alone = [
        await _timed(
            lambda: in_kdf_thread(receipt_keys.derive_receipt_keys, "0" * 16, salt, params)
        )
        for _ in range(rounds)
    ]
    batch = kdf_thread.workers() * rounds * 2
    jobs = [(f"{i:016d}", salt, params) for i in range(batch)]
    took = await _timed(
        lambda: asyncio.gather(*(in_kdf_thread(receipt_keys.derive_receipt_keys, *j) for j in jobs))
    )
    return statistics.median(alone), batch / took


async def measure(rounds: int = 5, storm: int = 20) -> StormResult:
    with tempfile.TemporaryDirectory() as tmp:
        c = await _container(Path(tmp))
        try:
            adviser = next(a for o in c.directory.organizations for a in o.advisers)
            new = await in_kdf_thread(make_credentials, PASSPHRASE, c.keys.kdf)
            await c.accounts.enrol_directly(adviser.id, adviser.org_id, new)
            actions = follow_up(c)
            step = [0]

            async def file() -> None:
                await c.reports.file(
                    NewReport(
                        org_id=adviser.org_id,
                        phase="interview",
                        grounds=("religion",),
                        when_bucket="month",
                        wants="talk",
                        visibility="school",
                        urgent=False,
                        content={"story": "storm"},
                        recipients=(Recipient(adviser.id, new.public_key),),
                    )
                )

            async def login() -> None:
                step[0] += 1  # a fresh TOTP step each time: no replay refusal
                at = datetime.now(UTC).timestamp() + 30 * step[0]
                code = second_factor.totp_code(new.totp_secret, datetime.fromtimestamp(at, UTC))
                c.accounts.clock = lambda: datetime.fromtimestamp(at, UTC)
                result = await c.accounts.login(adviser.id, PASSPHRASE, code)
                assert isinstance(result, LoggedIn), result

            async def with_storm(work: Callable[[], Awaitable[None]], n: int) -> float:
                checks = [
                    asyncio.ensure_future(actions.status(f"storm-{n}-{i}", f"{i:016d}", ""))
                    for i in range(storm)
                ]
                deriving = min(storm, kdf_thread.workers())
                while kdf_thread.queued_low() < storm - deriving:  # noqa: ASYNC110 (a counter)
                    await asyncio.sleep(0.005)  # the storm queued first, `workers` of it deriving
                taken = await _timed(work)
                await asyncio.gather(*checks)
                return taken

            quiet_f = [await _timed(file) for _ in range(rounds)]
            quiet_l = [await _timed(login) for _ in range(rounds)]
            storm_f = [await with_storm(file, n) for n in range(rounds)]
            storm_l = [await with_storm(login, rounds + n) for n in range(rounds)]
            one, per_second = await argon2_bound()
        finally:
            await c.close()
    return StormResult(
        storm,
        rounds,
        statistics.median(quiet_f),
        statistics.median(storm_f),
        statistics.median(quiet_l),
        statistics.median(storm_l),
        one,
        per_second,
        kdf_thread.workers(),
    )


def as_dict(r: StormResult) -> dict[str, Any]:
    """For the bench's results JSON (bench/report.py renders it)."""
    return {**asdict(r), "file_ratio": r.file_ratio, "login_ratio": r.login_ratio}


def from_dict(data: dict[str, Any]) -> StormResult:
    """`as_dict` read back (its ratios are properties again)."""
    return StormResult(**{f.name: data[f.name] for f in fields(StormResult)})


def table(r: StormResult) -> str:
    return "\n".join(
        [
            f"| {r.storm} status checks at once, {r.rounds} rounds | quiet | storm | ratio |",
            "|---|---|---|---|",
            f"| student files | {r.file_quiet:.2f} s | {r.file_storm:.2f} s "
            f"| {r.file_ratio:.2f}× |",
            f"| adviser logs in | {r.login_quiet:.2f} s | {r.login_storm:.2f} s "
            f"| {r.login_ratio:.2f}× |",
            "",
            f"Argon2id at the shipped cost: {r.one_derivation * 1000:.0f} ms alone; "
            f"{r.per_second:.1f} derivations/s with {r.workers} at once (the pool's bound).",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--storm", type=int, default=20)
    args = parser.parse_args()
    print(table(asyncio.run(measure(args.rounds, args.storm))))


if __name__ == "__main__":
    main()
