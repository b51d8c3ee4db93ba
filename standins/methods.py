"""What the simulated Telegram does with a valid call.

Simulated: getMe, getUpdates (long poll), setWebhook, deleteWebhook, getWebhookInfo,
setMyCommands, deleteMyCommands, getMyCommands, sendMessage, editMessageText,
editMessageReplyMarkup, deleteMessage, deleteMessages, answerCallbackQuery, sendChatAction,
copyMessage. Any other method of the spec is validated, recorded and answered `true`,
except that one documented to return a Message and given a numeric chat_id (sendPhoto,
sendDocument, …) gets a minimal Message (caption only, no media) so aiogram can parse it.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Awaitable, Callable
from typing import Any

from . import updates as build
from .chats import Chat, Chats
from .html_check import parse_html
from .records import ApiError
from .spec import Spec
from .update_queue import UpdateQueue

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
Handler = Callable[[dict[str, Any]], Awaitable[Any]]


def formatted(text: str, parse_mode: Any, entities: Any) -> dict[str, Any]:
    """`{"text": visible, "entities": [...]}` as Telegram stores a formatted text."""
    if isinstance(parse_mode, str) and parse_mode.lower() == "html":
        parsed = parse_html(text)
        text, found = parsed.text, parsed.entities
    else:
        found = list(entities) if isinstance(entities, list) else []
    return {"text": text, "entities": found} if found else {"text": text}


def inline_markup(markup: Any) -> dict[str, Any] | None:
    """Message.reply_markup only ever holds an inline keyboard."""
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return copy.deepcopy(markup)
    return None


class Telegram:
    def __init__(self, spec: Spec, token: str, bot_username: str) -> None:
        self.spec = spec
        bot_id = token.split(":", 1)[0]
        self.bot_user: dict[str, Any] = {
            "id": int(bot_id) if bot_id.isdigit() else 123456,
            "is_bot": True,
            "first_name": "Stagemeld (test)",
            "username": bot_username,
        }
        self.chats = Chats()
        self.files: dict[str, bytes] = {}  # file_id -> what the user sent
        self.queue = UpdateQueue()
        self.webhook: dict[str, Any] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.stopping = False
        self._handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getMyCommands": self.get_my_commands,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
            "copyMessage": self.copy_message,
            "getFile": self.get_file,
        }

    async def get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        """A file a user sent; its bytes are served at /file/bot<token>/<file_path>."""
        file_id = params.get("file_id")
        data = self.files.get(file_id) if isinstance(file_id, str) else None
        if data is None:
            raise ApiError.bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"U{abs(hash(file_id)) % 10**10}",
            "file_size": len(data),
            "file_path": f"documents/{file_id}",
        }

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        handler = self._handlers.get(method)
        if handler is not None:
            return await handler(params)
        spec = self.spec.methods[method]
        if spec.returns == ("Message",) and isinstance(params.get("chat_id"), int):
            return self._generic_message(params)
        return True

    # --- chats ---------------------------------------------------------------------------

    def _chat(self, chat_id: Any) -> Chat:
        if not isinstance(chat_id, int):
            raise ApiError.bad_request("chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return self.chats(chat_id)

    def bot_message(
        self, chat: Chat, content: dict[str, Any], params: dict[str, Any]
    ) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            target = chat.alive.get(reply["message_id"])
            if target is not None:
                extra["reply_to_message"] = copy.deepcopy(target.message)
                extra["reply_to_message"].pop("reply_to_message", None)
            elif not reply.get("allow_sending_without_reply"):
                raise ApiError.bad_request("message to be replied not found")
        message: dict[str, Any] = {
            "message_id": chat.next_id(),
            "from": dict(self.bot_user),
            "chat": build.chat(chat.chat_id, chat.first_name),
            "date": int(time.time()),
            **content,
            **extra,
        }
        if params.get("protect_content"):
            message["has_protected_content"] = True
        if markup := inline_markup(params.get("reply_markup")):
            message["reply_markup"] = markup
        chat.add(message, from_bot=True)
        return copy.deepcopy(message)

    def _generic_message(self, params: dict[str, Any]) -> dict[str, Any]:
        content: dict[str, Any] = {}
        if isinstance(params.get("caption"), str):
            caption = formatted(params["caption"], params.get("parse_mode"), None)
            content["caption"] = caption["text"]
            if "entities" in caption:
                content["caption_entities"] = caption["entities"]
        return self.bot_message(self._chat(params["chat_id"]), content, params)

    def _target(self, params: dict[str, Any]) -> tuple[Chat, int] | None:
        """(chat, message_id) of an edit, or None for an inline message."""
        if "inline_message_id" in params:
            return None
        if "chat_id" not in params or "message_id" not in params:
            raise ApiError.bad_request(
                "chat_id and message_id are required if inline_message_id is not specified",
                violation=True,
            )
        return self._chat(params["chat_id"]), int(params["message_id"])

    # --- bot, updates, webhook, commands -------------------------------------------------

    async def get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        queue = self.queue
        queue.supersede()
        if "offset" in params:
            queue.confirm(params["offset"])
        if "allowed_updates" in params:
            queue.allowed = list(params["allowed_updates"])
        limit = min(max(params.get("limit", 100), 1), 100)
        timeout = min(max(params.get("timeout", 0), 0), 50)
        batch = queue.available(limit)
        if not batch and timeout and not self.stopping:
            woken = await queue.wait(timeout)
            if woken == "conflict":
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            batch = queue.available(limit)
        return [p.update for p in batch]

    async def set_webhook(self, params: dict[str, Any]) -> bool:
        url = params["url"]
        if url and not url.lower().startswith("https://"):
            raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {k: v for k, v in params.items() if k != "certificate"} if url else {}
        if "allowed_updates" in params:
            self.queue.allowed = list(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self.queue.clear()
        return True

    async def delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self.queue.clear()
        return True

    async def get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.queue.pending),
        }
        for key in ("max_connections", "allowed_updates", "ip_address"):
            if key in self.webhook:
                info[key] = self.webhook[key]
        return info

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return (repr(sorted(scope.items())), params.get("language_code", ""))

    async def set_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands[self._scope_key(params)] = copy.deepcopy(params["commands"])
        return True

    async def delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    async def get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self.commands.get(self._scope_key(params), []))

    # --- messages ----------------------------------------------------------------------------

    async def send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        content = formatted(params["text"], params.get("parse_mode"), params.get("entities"))
        return self.bot_message(chat, content, params)

    async def send_chat_action(self, params: dict[str, Any]) -> bool:
        self._chat(params["chat_id"])
        return True

    async def edit_message_text(self, params: dict[str, Any]) -> Any:
        target = self._target(params)
        if target is None:
            return True
        chat, message_id = target
        stored = chat.get(message_id, "message to edit not found")
        if not stored.from_bot:
            raise ApiError.bad_request("message can't be edited")
        message = stored.message
        if "text" not in message:
            raise ApiError.bad_request("there is no text in the message to edit")
        content = formatted(params["text"], params.get("parse_mode"), params.get("entities"))
        markup = inline_markup(params.get("reply_markup"))
        if (content["text"], content.get("entities"), markup) == (
            message["text"],
            message.get("entities"),
            message.get("reply_markup"),
        ):
            raise ApiError.bad_request(NOT_MODIFIED)
        message.pop("entities", None)
        message.update(content)
        return self._edited(message, markup)

    async def edit_message_reply_markup(self, params: dict[str, Any]) -> Any:
        target = self._target(params)
        if target is None:
            return True
        chat, message_id = target
        stored = chat.get(message_id, "message to edit not found")
        if not stored.from_bot:
            raise ApiError.bad_request("message can't be edited")
        markup = inline_markup(params.get("reply_markup"))
        if markup == stored.message.get("reply_markup"):
            raise ApiError.bad_request(NOT_MODIFIED)
        return self._edited(stored.message, markup)

    @staticmethod
    def _edited(message: dict[str, Any], markup: dict[str, Any] | None) -> dict[str, Any]:
        """Telegram drops an inline keyboard an edit does not repeat."""
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params["chat_id"])
        message_id = params["message_id"]
        if message_id not in chat.alive:
            raise ApiError.bad_request("message to delete not found")
        chat.delete(message_id)
        return True

    async def delete_messages(self, params: dict[str, Any]) -> bool:
        """Ids deleted before are skipped (as Telegram does); an id this chat never had is
        a 400, like deleteMessage's."""
        chat = self._chat(params["chat_id"])
        ids = params["message_ids"]
        if any(not chat.issued(i) for i in ids):
            raise ApiError.bad_request("message to delete not found")
        for message_id in ids:
            if message_id in chat.alive:
                chat.delete(message_id)
        return True

    async def copy_message(self, params: dict[str, Any]) -> dict[str, int]:
        source = self._chat(params["from_chat_id"])
        original = source.get(params["message_id"], "message to copy not found").message
        content = {
            k: copy.deepcopy(v)
            for k, v in original.items()
            if k in ("text", "entities", "photo", "sticker", "document", "caption")
        }
        if "caption" in params:
            caption = formatted(params["caption"], params.get("parse_mode"), None)
            content["caption"] = caption["text"]
        message = self.bot_message(self._chat(params["chat_id"]), content, params)
        return {"message_id": message["message_id"]}

    async def answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self.callback_queries or query_id in self.callback_answers:
            raise ApiError.bad_request(QUERY_INVALID)
        self.callback_answers[query_id] = dict(params)
        return True
