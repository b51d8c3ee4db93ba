"""One router per feature; the order of inclusion is the order of precedence.

Routers are made fresh for each dispatcher (aiogram attaches a router to one parent),
so the service can be restarted in the same process.
"""

from aiogram import Router

from bot.channels.telegram.routers import buttons, commands, edits, media, text


def all_routers() -> list[Router]:
    return [m.make_router() for m in (commands, buttons, text, media, edits)]
