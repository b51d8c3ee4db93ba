"""Delivers "there is news on your report" to students who asked for it at submit.

The notice says nothing else: the student sends /status with their code to read it. A
chat that blocked the bot or no longer exists is given up on (the address is deleted);
anything else is retried with growing delays.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from escalation.notify import retry_delay
from storage.nudges import Nudges

log = logging.getLogger(__name__)

# (chat id, language) -> None; raises GiveUp when retrying cannot help
ChannelSend = Callable[[str, str], Awaitable[None]]


class GiveUp(Exception):
    """The chat is gone or blocked us: drop the nudge instead of retrying for ever."""


async def deliver_nudges(
    nudges: Nudges, channels: Mapping[str, ChannelSend], now: Callable[[], datetime]
) -> int:
    sent = 0
    for nudge in await nudges.due():
        channel, _, rest = nudge.target.partition(":")
        chat, _, lang = rest.rpartition(":")
        send = channels.get(channel)
        if send is None or not chat:
            await nudges.sent(nudge.id)  # nowhere to deliver: nothing to keep it for
            continue
        try:
            await send(chat, lang or "nl")
        except GiveUp:
            log.info("a nudge was given up: the chat is gone or blocked the bot")
            await nudges.sent(nudge.id)
            continue
        except Exception as exc:
            await nudges.failed(nudge.id, type(exc).__name__, now() + retry_delay(nudge.attempts))
            continue
        await nudges.sent(nudge.id)
        sent += 1
    return sent
