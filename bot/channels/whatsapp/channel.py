"""One WhatsApp message in, one turn, the replies out; status callbacks; nudges.

The sender's number is turned into the chat hash at the door (`Turns.chat_key`) and is
otherwise only the address of the answer: it is never logged or stored, except sealed
inside a report as its push address when the student asks to hear about news.

Each message is handled once (its id, keyed-hashed, in `processed_updates` under
"whatsapp"), one at a time per chat; Meta's redeliveries are dropped there. A message
that arrives after a newer one is still handled; a button from an older question is
stale to the engine (its id carries the turn), so a late tap changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.channels.whatsapp.client import GraphClient
from bot.channels.whatsapp.errors import THROTTLED, TRANSIENT, UNDELIVERABLE, GraphError
from bot.channels.whatsapp.inbound import Incoming, StatusUpdate, read_delivery
from bot.channels.whatsapp.render import Renderer, text_messages
from bot.channels.whatsapp.sent import SentMessages
from bot.intake.limits import Flood, OneAtATime
from bot.intake.nudging import GiveUp
from bot.intake.ports import ChatKeys
from bot.intake.turns import Channel, TurnResult, Turns
from dialogues import MAX_ATTACHMENT
from storage.repositories.conversations import ChatRef
from storage.repositories.updates import UpdateLog

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
RESENDS = 3  # a message a status callback reports as failed is sent at most this often more
WINDOW_SECONDS = 23 * 3600.0  # inside WhatsApp's 24 hours (with a margin): free text allowed
# Older messages are not handled: `processed_updates` forgets ids after two days, while
# Meta retries an unanswered delivery for up to seven; an answer that late would only
# confuse (the conversation itself expires after 72 hours).
TOO_OLD_SECONDS = 36 * 3600


@dataclass(frozen=True)
class WhatsAppRules:
    """The settings the channel keeps to (`whatsapp.*`, `conversation.*`)."""

    messages_per_minute: int  # the flood bound per chat
    # The approved template for "there is news" outside the 24-hour window; None: no
    # nudges are offered on WhatsApp.
    nudge_template: str | None = None
    retry_base_seconds: float = 1.0  # the first wait before a failed message is resent


class WhatsAppChannel:
    def __init__(
        self,
        turns: Turns,
        updates: UpdateLog,
        message_keys: ChatKeys,
        client: GraphClient,
        rules: WhatsAppRules,
        *,
        clock: Any = time.monotonic,
        wall: Any = time.time,
    ) -> None:
        """`message_keys`: the server key, which hashes a message id before it is stored."""
        self.updates = updates
        self.message_keys = message_keys
        self.client = client
        self.turns = turns
        self.settings = rules
        self.clock = clock
        self.wall = wall
        self.flood = Flood(rules.messages_per_minute, clock)
        self.one = OneAtATime()
        self.sent = SentMessages(clock)
        self.last_seen: dict[str, float] = {}  # chat hash -> when it last wrote (memory)
        # chat hash -> the language it spoke: WhatsApp sends no language, and a filed
        # report leaves no conversation to remember it by (memory only; Dutch after a restart)
        self.langs: dict[str, str] = {}
        self.counts: Counter[str] = Counter()
        self.renderers = {lang: Renderer(self.turns.texts(lang)) for lang in ("nl", "en")}
        self.tasks: set[asyncio.Task[None]] = set()

    # --- in --------------------------------------------------------------------------------

    async def delivery(self, payload: object) -> None:
        messages, statuses = read_delivery(payload, self.client.phone_number_id)
        for message in messages:
            await self.message(message)
        for status in statuses:
            self.status(status)

    async def message(self, m: Incoming) -> None:
        if m.input is None:
            return
        if m.timestamp and self.wall() - m.timestamp > TOO_OLD_SECONDS:
            log.info(
                "a WhatsApp message over %d hours old was not handled", TOO_OLD_SECONDS // 3600
            )
            return
        chat = self.turns.chat_key(CHANNEL, m.sender)
        async with self.one.hold(chat.key):
            if not await self.updates.first_time(CHANNEL, self._update_id(m)):
                self.counts["duplicate"] += 1
                return
            self.last_seen[chat.key] = self.clock()
            lang = self.langs.get(chat.key, "nl")
            if not self.flood.allow(chat.key):
                if self.flood.first_refusal(chat.key):
                    await self._say(m.sender, lang, "rate_limited")
                return
            result = await self._turn(chat, m, lang)
            if result is None:
                await self._say(m.sender, lang, "error_try_again")
                return
            self.langs[chat.key] = result.lang
            await self.show(m.sender, result)

    def _update_id(self, m: Incoming) -> int:
        """A wamid encodes the sender's number: only its keyed hash is stored."""
        return int(self.message_keys.chat_key("whatsapp-message", m.message_id)[:15], 16)

    async def _turn(self, chat: ChatRef, m: Incoming, lang: str) -> TurnResult | None:
        if m.input is None:
            return None
        push = f"{CHANNEL}:{m.sender}" if self.settings.nudge_template else ""
        try:
            return await self.turns.run(
                chat,
                m.input,
                lang_hint=lang,
                channel=Channel(push_address=push, fetch_file=self._fetch, name="whatsapp"),
            )
        except Exception:
            log.exception("a WhatsApp turn failed")  # no number, no content
            return None

    async def _fetch(self, media_id: str) -> bytes:
        url, _size = await self.client.media(media_id)
        return await self.client.download(url, MAX_ATTACHMENT)

    # --- out -------------------------------------------------------------------------------

    async def show(self, to: str, result: TurnResult) -> None:
        texts = self.turns.texts(result.lang)
        if result.erase_chat:  # a bot cannot delete a WhatsApp chat: say how to
            await self._say(to, result.lang, "wa_erase_howto")
            return
        renderer = self.renderers.get(result.lang, self.renderers["nl"])
        for reply in result.replies:
            messages = renderer.messages(reply)
            if reply.key == "privacy":
                messages += text_messages(texts.get("wa_privacy"))
            for message in messages:
                await self.send(to, message)
        if result.hide_input:
            await self._say(to, result.lang, "wa_delete_code")

    async def _say(self, to: str, lang: str, key: str) -> None:
        for message in text_messages(self.turns.texts(lang).get(key)):
            await self.send(to, message)

    async def send(self, to: str, message: dict[str, Any], attempts: int = 1) -> bool:
        """False: Meta refused it for good (logged by code); the conversation is saved
        already, so the student's next message brings the question back."""
        try:
            message_id = await self.client.send(to, message)
        except GraphError as exc:
            log.warning("a WhatsApp message was not accepted: %s", exc)
            return False
        except (aiohttp.ClientError, TimeoutError) as exc:
            # The request may have reached Meta: not sent again (it would say it twice).
            log.warning("a WhatsApp message may not have arrived: %s", type(exc).__name__)
            return False
        self.sent.remember(message_id, to, message, attempts)
        return True

    # --- status callbacks ------------------------------------------------------------------

    def status(self, update: StatusUpdate) -> None:
        if update.status in ("delivered", "read"):
            self.sent.take(update.message_id)
            return
        if update.status != "failed":
            return
        sent = self.sent.take(update.message_id)  # once: a repeated callback finds nothing
        retry = any(c in THROTTLED or c in TRANSIENT for c in update.codes)
        if sent is None or not retry or sent.attempts > RESENDS:
            log.info("a WhatsApp message failed for good (codes %s)", list(update.codes))
            return
        self.counts["resent"] += 1
        delay = self.settings.retry_base_seconds * 2.0 ** (sent.attempts - 1)
        task = asyncio.create_task(self._resend(sent.to, sent.message, sent.attempts + 1, delay))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _resend(self, to: str, message: dict[str, Any], attempts: int, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.send(to, message, attempts)

    async def drain(self, within: float) -> None:
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=within)

    # --- nudges ----------------------------------------------------------------------------

    async def nudge(self, number: str, lang: str) -> None:
        """ "There is news": free text inside the 24-hour window, else the content-free
        template. Raises GiveUp when neither can reach the student."""
        chat = self.turns.chat_key(CHANNEL, number)
        seen = self.last_seen.get(chat.key)
        if seen is not None and self.clock() - seen < WINDOW_SECONDS:
            text = text_messages(self.turns.texts(lang).get("nudge_news"))[0]
            try:
                await self._nudge_with(number, text)
                return
            except GraphError as exc:
                if not exc.outside_window:
                    raise
        if not self.settings.nudge_template:
            raise GiveUp("no template for a nudge outside the 24-hour window")
        template = {
            "type": "template",
            "template": {
                "name": self.settings.nudge_template,
                "language": {"policy": "deterministic", "code": lang},
            },
        }
        await self._nudge_with(number, template)

    async def _nudge_with(self, number: str, message: dict[str, Any]) -> None:
        try:
            message_id = await self.client.send(number, message)
        except GraphError as exc:
            if exc.code in UNDELIVERABLE:
                raise GiveUp(str(exc)) from exc
            raise
        self.sent.remember(message_id, number, message, 1)
