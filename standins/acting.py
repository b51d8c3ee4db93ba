"""What a user does to the bot through the Bot API stand-in: sends text, a photo, a
document or a sticker, presses a button, blocks the bot; and what a test makes the
network do: fail the next calls, redeliver an update, post one to a webhook."""

from __future__ import annotations

import copy
import io
import random
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from PIL import Image

from . import updates as build
from .records import Fault
from .watching import Watching


def _tiny_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (90, 120, 200)).save(out, "JPEG")
    return out.getvalue()


TINY_JPEG = _tiny_jpeg()  # what a photo's file_id serves unless a test gives its own

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class Acting(Watching):
    """The user's side of the chats, and the faults a test plans."""

    _plans: dict[str, list[Fault]]
    _serial: int

    def push_update(self, raw: dict[str, Any]) -> int:
        """Queues an update (any `update_id` in `raw` is replaced); returns its update_id.
        A callback query in it can be answered; a user's message in a chat is kept there."""
        raw = copy.deepcopy(raw)
        if isinstance(query := raw.get("callback_query"), dict) and "id" in query:
            self.telegram.callback_queries[str(query["id"])] = query
        message = raw.get("message")
        if isinstance(message, dict) and isinstance(message.get("message_id"), int):
            chat_id = (message.get("chat") or {}).get("id")
            if isinstance(chat_id, int):
                chat = self.telegram.chats(chat_id)
                if message["message_id"] not in chat.alive:
                    chat.last_id = max(chat.last_id, message["message_id"])
                    chat.add(copy.deepcopy(message), from_bot=False)
        update_id = self.telegram.queue.push(raw)
        self._notify()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """The same update, same update_id, once more — a Telegram duplicate."""
        self.telegram.queue.redeliver(update_id)
        self._notify()

    def _user_message(
        self,
        chat_id: int,
        content: dict[str, Any],
        user_id: int | None,
        language_code: str | None,
        first_name: str,
    ) -> int:
        chat = self.telegram.chats(chat_id)
        chat.first_name = first_name
        sender = build.user(user_id if user_id is not None else chat_id, first_name, language_code)
        message = build.user_message(chat.next_id(), chat_id, sender, **content)
        chat.add(message, from_bot=False)
        return self.push_update({"message": message})

    def push_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        language_code: str = "nl",
        first_name: str = "Student",
    ) -> int:
        """The user sends `text`; a leading /command gets its bot_command entity."""
        content = build.text_content(text)
        return self._user_message(chat_id, content, user_id, language_code, first_name)

    def push_photo(
        self,
        chat_id: int,
        *,
        caption: str | None = None,
        data: bytes | None = None,
        user_id: int | None = None,
        language_code: str = "nl",
        first_name: str = "Student",
    ) -> int:
        """`data`: the photo's bytes (every size serves them); default a tiny real JPEG."""
        content = build.photo_content(self._next_serial(), caption)
        for size in content["photo"]:  # every size can be fetched, as on Telegram
            self.telegram.files[size["file_id"]] = data if data is not None else TINY_JPEG
        return self._user_message(chat_id, content, user_id, language_code, first_name)

    def push_document(
        self,
        chat_id: int,
        data: bytes,
        *,
        file_name: str = "bewijs.pdf",
        mime_type: str = "application/pdf",
        user_id: int | None = None,
        language_code: str = "nl",
        first_name: str = "Student",
    ) -> int:
        content = build.document_content(self._next_serial(), file_name, mime_type, len(data))
        self.telegram.files[content["document"]["file_id"]] = data
        return self._user_message(chat_id, content, user_id, language_code, first_name)

    def push_sticker(
        self,
        chat_id: int,
        *,
        emoji: str = "👍",
        user_id: int | None = None,
        language_code: str = "nl",
        first_name: str = "Student",
    ) -> int:
        content = build.sticker_content(self._next_serial(), emoji)
        return self._user_message(chat_id, content, user_id, language_code, first_name)

    def push_callback(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int | None = None,
        user_id: int | None = None,
        language_code: str = "nl",
        first_name: str | None = None,
    ) -> int:
        """The user presses a button carrying `data` on the bot's message `message_id`
        (default: the bot's latest message in the chat). A deleted message arrives as an
        InaccessibleMessage (date 0)."""
        chat = self.telegram.chats(chat_id)
        if message_id is None:
            mine = chat.ordered(from_bot=True)
            assert mine, f"the bot has no message in chat {chat_id} to press a button on"
            message_id = mine[-1]["message_id"]
        stored = chat.alive.get(message_id)
        if stored is not None:
            assert stored.from_bot, f"message {message_id} in chat {chat_id} is the user's"
            message = copy.deepcopy(stored.message)
        else:
            assert chat.issued(message_id), f"chat {chat_id} never had message {message_id}"
            message = build.inaccessible(chat_id, message_id)
        name = first_name or chat.first_name
        sender = build.user(user_id if user_id is not None else chat_id, name, language_code)
        query_id = str(random.getrandbits(63))
        instance = str((chat_id * 2654435761) % (1 << 63))
        query = build.callback_query(query_id, sender, message, data, instance)
        return self.push_update({"callback_query": query})

    def press(self, chat_id: int, button_text: str) -> int:
        """Presses the inline button labelled `button_text` on the bot's latest message with
        a keyboard; returns the update_id."""
        message = next(
            (m for m in reversed(self.bot_messages(chat_id)) if _buttons(m)),
            None,
        )
        assert message is not None, f"no bot message with an inline keyboard in chat {chat_id}"
        buttons = _buttons(message)
        button = next((b for b in buttons if b.get("text") == button_text), None)
        labels = [b.get("text") for b in buttons]
        assert button is not None, f"no button {button_text!r}; on offer: {labels}"
        assert "callback_data" in button, f"button {button_text!r} has no callback_data"
        return self.push_callback(
            chat_id, button["callback_data"], message_id=message["message_id"]
        )

    def block(self, chat_id: int, blocked: bool = True) -> None:
        """The user blocks the bot: sends to the chat get 403."""
        (self.telegram.blocked.add if blocked else self.telegram.blocked.discard)(chat_id)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        drop: bool = False,
        description: str | None = None,
    ) -> None:
        """The next `times` calls of `method` fail: 429 with retry_after; 502/503/504 with an
        nginx HTML page (aiogram raises ClientDecodeError); other statuses with a JSON error
        (500 → TelegramServerError); `drop` closes the connection unanswered
        (TelegramNetworkError)."""
        plan = self._plans.setdefault(method.lower(), [])
        plan.extend(Fault(method, status, retry_after, drop, description) for _ in range(times))

    async def post_update_to(
        self, url: str, update_id: int | None = None, *, secret: str | None = None
    ) -> int:
        """POSTs a pushed update (default: the latest) to a webhook on this machine, with
        X-Telegram-Bot-Api-Secret-Token when `secret` is given; returns the HTTP status.
        A 2xx answer confirms the update."""
        host = urlsplit(url).hostname
        assert host in LOCAL_HOSTS, f"webhook URL must be on 127.0.0.1, not {host}"
        history = self.telegram.queue.history
        assert history, "no update was pushed"
        update_id = update_id if update_id is not None else max(history)
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=history[update_id], headers=headers) as response,
        ):
            await response.read()
            status = response.status
        if 200 <= status < 300:
            self.telegram.queue.discard(update_id)
        self._notify()
        return status

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]
