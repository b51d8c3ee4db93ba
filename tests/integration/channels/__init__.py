"""The channels (Telegram, web chat, WhatsApp, terminal) against the stand-ins, in-process."""
