"""Faults: the service killed, its database or Telegram failing, a flood."""
