"""A WhatsApp Cloud API stand-in on 127.0.0.1 that checks every request against Meta's
own OpenAPI description (spec/, trimmed, MIT) and signs its webhook deliveries like Meta."""

from .standin import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    TOKEN,
    VERIFY_TOKEN,
    CloudAPIStandIn,
    options_of,
    shown_text,
    sign,
)

__all__ = [
    "APP_SECRET",
    "PHONE_NUMBER_ID",
    "TOKEN",
    "VERIFY_TOKEN",
    "CloudAPIStandIn",
    "options_of",
    "shown_text",
    "sign",
]
