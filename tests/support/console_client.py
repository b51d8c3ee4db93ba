"""An in-process console for HTTP tests: the real service objects, the console app
behind the real security headers, a controllable clock, and a logged-in client."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from starlette.routing import Mount

from bot.app.container import Container, build_container
from bot.app.settings import load_settings
from bot.channels.http.server import make_app
from escalation.console import Console, ConsoleConfig, console_app
from storage.crypto import second_factor
from storage.repositories.accounts import Accounts
from storage.repositories.cases import Cases
from storage.repositories.console_sessions import ConsoleSessions
from storage.repositories.evaluations import EvaluationStore
from tests.conftest import base_config, save_config
from tests.support.case_helpers import PASSPHRASE, Enrolled, enrol
from tests.support.storage_backends import Clock

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
BASE = "http://127.0.0.1"


def now_clock() -> Clock:
    # Real time (TOTP codes) rounded to the start of a step, moved by hand from there.
    now = datetime.now(UTC)
    return Clock(now.replace(second=0, microsecond=0))


@dataclass
class ConsoleWorld:
    container: Container
    clock: Clock
    console: Console
    app: object

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)  # type: ignore[arg-type]
        return httpx.AsyncClient(transport=transport, base_url=BASE)

    async def enrol(self, adviser_id: str) -> Enrolled:
        adviser = self.container.directory.adviser(adviser_id)
        assert adviser is not None
        return await enrol(self.console.accounts, adviser_id, adviser.org_id)

    async def login(
        self, client: httpx.AsyncClient, who: Enrolled, **changes: str
    ) -> httpx.Response:
        form = await self.csrf_form(client, "/console/login")
        adviser = self.container.directory.adviser(who.adviser_id)
        assert adviser is not None and adviser.email
        form |= {
            "email": adviser.email,
            "passphrase": PASSPHRASE,
            "code": second_factor.totp_code(who.totp_secret, self.clock()),
        }
        form |= changes
        return await client.post("/console/login", data=form)

    async def csrf_form(self, client: httpx.AsyncClient, path: str) -> dict[str, str]:
        page = await client.get(path)
        match = CSRF.search(page.text)
        assert match, page.text
        return {"csrf": match.group(1)}

    def step(self) -> None:
        """Next TOTP step, so the same adviser can log in again without a replay."""
        self.clock.advance(timedelta(seconds=30))


@contextlib.asynccontextmanager
async def console_container(tmp_path: Path) -> AsyncIterator[Container]:
    """The test config with a second adviser at De Haagse Hogeschool (hhs-vp2)."""
    data = base_config(tmp_path)
    hhs = next(o for o in data["organizations"] if o["id"] == "hhs")
    hhs["advisers"].append(
        {"id": "hhs-vp2", "name": "Tweede VP HHS", "email": "vp2@hhs.example.nl"}
    )
    path = tmp_path / "config.yaml"
    save_config(path, data)
    container = await build_container(load_settings(path))
    try:
        yield container
    finally:
        await container.close()


def make_world(container: Container, clock: Clock | None = None) -> ConsoleWorld:
    """One console app (one replica) over the container's database; two worlds made with
    the same container and clock are two replicas sharing its console sessions."""
    clock = clock or now_clock()
    idle = ConsoleConfig().idle
    console = Console(
        accounts=Accounts(container.sessions, container.keys, clock, max_failures=10),
        cases=Cases(container.sessions, container.keys.server, clock, news=container.nudges.put),
        advisers=container.advisers,
        directory=container.directory,
        config=ConsoleConfig(failure_delay=lambda _: 0.0, lock_minutes=15, login_max_failures=3),
        clock=clock,
        evaluations=EvaluationStore(container.sessions, container.keys, clock),
        sessions=ConsoleSessions(container.sessions, idle),
    )
    app = make_app([Mount("/console", app=console_app(console))])
    return ConsoleWorld(container, clock, console, app)
