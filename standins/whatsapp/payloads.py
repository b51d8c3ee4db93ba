"""Webhook payloads as Meta sends them (built from the structure of Meta's examples: the
spec's own incoming schema points at the outgoing one, SOURCE.md)."""

from __future__ import annotations

import base64
import os
import time
from typing import Any

WABA_ID = "102290129340398"


def new_wamid(number: str) -> str:
    """Like Meta's: base64 that carries the number, so a stored wamid would leak it."""
    raw = f"\x15\x02\x00\x12\x18{number}\x15\x02\x00\x12\x18{os.urandom(10).hex().upper()}"
    return "wamid." + base64.b64encode(raw.encode()).decode()


def _envelope(phone_number_id: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def message(
    phone_number_id: str,
    number: str,
    kind: str,
    content: dict[str, Any],
    *,
    name: str = "Test Student",
    timestamp: int | None = None,
    wamid: str | None = None,
) -> dict[str, Any]:
    stamp = timestamp if timestamp is not None else int(time.time())
    return _envelope(
        phone_number_id,
        {
            "contacts": [{"profile": {"name": name}, "wa_id": number}],
            "messages": [
                {
                    "from": number,
                    "id": wamid or new_wamid(number),
                    "timestamp": str(stamp),
                    "type": kind,
                    kind: content,
                }
            ],
        },
    )


def status(
    phone_number_id: str, number: str, wamid: str, state: str, code: int | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": wamid,
        "status": state,
        "timestamp": str(int(time.time())),
        "recipient_id": number,
    }
    if code is not None:
        entry["errors"] = [
            {
                "code": code,
                "title": "Message failed to send",
                "message": "Message failed to send",
                "error_data": {"details": "injected by the stand-in"},
            }
        ]
    return _envelope(phone_number_id, {"statuses": [entry]})
