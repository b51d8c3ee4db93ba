"""The channel a report was filed through (`reports.channel`): counted in the network's
figures, so a network sees whether students use WhatsApp, Telegram or the web chat. The
word only, never the chat: which app, not which account."""

from __future__ import annotations

CHANNELS = ("telegram", "web", "whatsapp", "terminal")
