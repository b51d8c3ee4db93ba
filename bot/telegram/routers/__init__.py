"""One router per feature; the order of inclusion is the order of precedence."""

from aiogram import Router

from bot.telegram.routers import buttons, commands, media, text


def all_routers() -> list[Router]:
    return [commands.router, buttons.router, text.router, media.router]
