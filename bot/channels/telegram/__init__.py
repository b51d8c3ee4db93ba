"""The Telegram channel (aiogram 3)."""
