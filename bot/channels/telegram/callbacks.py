"""Callback data for every inline button the bot shows.

The turn number travels with the button, so a button from an earlier question is
recognised as stale, and data that does not parse at all is answered just as kindly.
"""

from aiogram.filters.callback_data import CallbackData


class FlowButton(CallbackData, prefix="b"):
    turn: int
    value: str
