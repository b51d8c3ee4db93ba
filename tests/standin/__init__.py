"""A Bot API stand-in on 127.0.0.1 that checks every call against the published spec."""

from tests.standin.server import BotAPIStandIn, Call

__all__ = ["BotAPIStandIn", "Call"]
