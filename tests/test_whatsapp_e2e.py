"""WhatsApp end to end: the real service, its webhook signed like Meta's, and the Cloud
API stand-in checking every message against Meta's spec and documented limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.config import Settings
from tests.standin.whatsapp import CloudAPIStandIn
from tests.whatsapp_harness import RunningWhatsApp, WaStudent, file_report_wa, whatsapp_settings

NUMBER = "31612345678"


@pytest.fixture
async def api() -> AsyncIterator[CloudAPIStandIn]:
    async with CloudAPIStandIn() as standin:
        yield standin
    assert standin.violations == [], standin.violations


@pytest.fixture
def settings(make_settings: Callable[..., Settings], api: CloudAPIStandIn) -> Settings:
    return whatsapp_settings(make_settings, api, nudge_template="stagemeld_news")


async def test_a_full_report_in_dutch(api: CloudAPIStandIn, settings: Settings) -> None:
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings):
        code = await file_report_wa(student)
        assert student.inputs <= 15
        assert len(code) == 16
