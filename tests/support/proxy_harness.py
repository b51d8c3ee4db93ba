"""Replicas behind a real proxy: HAProxy from Debian on loopback, and Telegram's side of
webhook delivery (tests/system/replicas/test_replicas_proxy.py, bench/replicas.py).

`haproxy_config` writes what docs/deploy.md describes, minus TLS: one front door, the
webhook path to the replicas' webhook ports, everything else (web chat, console) to
their web ports, health checks on /healthz, failed connections re-dispatched to the
other replica. `Deliverer` plays Telegram: it POSTs every pending update to the public
webhook URL, in order, and retries a delivery that got no 2xx, as Telegram does.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from standins import BotAPIStandIn
from tests.conftest import base_config, save_config
from tests.support.harness import TOKEN

HAPROXY = "/usr/sbin/haproxy"
HOOK = "/telegram/webhook"


def haproxy_or_skip() -> str:
    found = shutil.which("haproxy") or (HAPROXY if Path(HAPROXY).exists() else None)
    if found is None:
        pytest.skip("HAProxy is not installed (`make test` installs it from Debian with apt-get)")
    return found


@dataclass(frozen=True)
class Replica:
    web_port: int
    webhook_port: int


def replica_config(
    tmp_path: Path, url: str, api: BotAPIStandIn, replica: Replica, secret: str
) -> Path:
    """A replica's config: the shared database and keys.dir (they are one service), its
    own web and webhook ports, webhook mode towards the stand-in."""
    data = base_config(tmp_path)
    data["database"]["url"] = url
    data["web"] = {"enabled": True, "host": "127.0.0.1", "port": replica.web_port}
    data["telegram"] = {
        "token": TOKEN,
        "api_base": api.base_url,
        "mode": "webhook",
        "webhook_url": f"https://bot.example.nl{HOOK}",
        "webhook_secret": secret,
        "webhook_host": "127.0.0.1",
        "webhook_port": replica.webhook_port,
    }
    path = tmp_path / f"replica-{replica.web_port}.yaml"
    save_config(path, data)
    return path


def haproxy_config(front: int, replicas: list[Replica], webhook_path: str) -> str:
    web = "\n".join(
        f"    server r{i} 127.0.0.1:{r.web_port} check inter 500ms fall 1 rise 2"
        for i, r in enumerate(replicas)
    )
    hooks = "\n".join(
        f"    server r{i} 127.0.0.1:{r.webhook_port} check port {r.web_port} inter 500ms "
        "fall 1 rise 2"
        for i, r in enumerate(replicas)
    )
    return f"""global
    maxconn 2000
    log stdout format raw local0

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout 502 503
    option http-buffer-request

frontend front
    bind 127.0.0.1:{front}
    acl webhook path {webhook_path}
    use_backend webhook if webhook
    default_backend web

backend web
    balance roundrobin
    option httpchk GET /healthz
{web}

backend webhook
    balance roundrobin
    option httpchk GET /healthz
{hooks}
"""


class HAProxy:
    def __init__(self, workdir: Path, config: str) -> None:
        self.path = workdir / "haproxy.cfg"
        self.path.write_text(config, encoding="utf-8")
        self.log = workdir / "haproxy.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = haproxy_or_skip()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [binary, "-db", "-f", str(self.path)], stdout=out, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def served_by(self, backend: str) -> Counter[str]:
        """Requests per server of a backend, from the log (`option httplog`)."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return Counter(re.findall(rf" {backend}/(r\d+) ", text))


async def wait_until_up(url: str, timeout: float = 20) -> None:
    """Until `url` answers 200 (the proxy's health checks have found a replica)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            if loop.time() > deadline:
                raise TimeoutError(f"{url} did not come up")
            await asyncio.sleep(0.1)


@dataclass
class Deliverer:
    """Telegram's webhook delivery: each pending update POSTed until it gets a 2xx."""

    api: BotAPIStandIn
    url: str
    secret: str
    retries: Counter[int] = field(default_factory=Counter)  # by update id
    delivered: list[int] = field(default_factory=list)
    in_flight: int = 0
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            pending = [p.update_id for p in self.api.telegram.queue.pending]
            if not pending:
                await asyncio.sleep(0.01)
                continue
            await asyncio.gather(*(self._deliver(u) for u in pending))

    async def _deliver(self, update_id: int) -> None:
        self.in_flight += 1
        try:
            status = await self.api.post_update_to(self.url, update_id, secret=self.secret)
        except aiohttp.ClientError:
            status = 0
        finally:
            self.in_flight -= 1
        if 200 <= status < 300:
            self.delivered.append(update_id)
        else:
            self.retries[update_id] += 1
            await asyncio.sleep(0.2)
