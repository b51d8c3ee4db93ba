"""The feedback token (issue 12) and the reply token are sealed under different
purposes with the same ephemeral key: neither opens as the other, so a token kept for
the feedback questions can never be used to answer or withdraw, nor the reverse."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.intake.reply_token import FEEDBACK, TTL, make_token, read_token
from storage.crypto.ephemeral import EphemeralKey

NOW = datetime(2026, 3, 17, 14, 0, tzinfo=UTC)
REPORT = "a" * 32


def test_a_feedback_token_opens_only_as_a_feedback_token() -> None:
    key = EphemeralKey()
    feedback = make_token(key, REPORT, NOW, purpose=FEEDBACK)
    reply = make_token(key, REPORT, NOW)
    assert read_token(key, feedback, NOW, purpose=FEEDBACK) == REPORT
    assert read_token(key, feedback, NOW) is None
    assert read_token(key, reply, NOW, purpose=FEEDBACK) is None
    assert read_token(key, feedback, NOW + TTL * 2, purpose=FEEDBACK) is None  # expired
    assert read_token(EphemeralKey(), feedback, NOW, purpose=FEEDBACK) is None  # after a restart
