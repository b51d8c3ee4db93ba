"""A Bot API stand-in on 127.0.0.1 that checks every call against the published spec."""

from .records import ApiError, Call, Fault, Upload
from .standin import BotAPIStandIn

__all__ = ["ApiError", "BotAPIStandIn", "Call", "Fault", "Upload"]
