"""The evaluation token and the reply token are sealed under different purposes with
the same ephemeral key: neither opens as the other, so a token kept for the evaluation
questions can never be used to answer or withdraw, nor the reverse."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.intake.reply_token import EVALUATION, TTL, make_token, read_token
from storage.crypto.ephemeral import EphemeralKey

NOW = datetime(2026, 3, 17, 14, 0, tzinfo=UTC)
REPORT = "a" * 32


def test_an_evaluation_token_opens_only_as_an_evaluation_token() -> None:
    key = EphemeralKey()
    evaluation = make_token(key, REPORT, NOW, purpose=EVALUATION)
    reply = make_token(key, REPORT, NOW)
    assert read_token(key, evaluation, NOW, purpose=EVALUATION) == REPORT
    assert read_token(key, evaluation, NOW) is None
    assert read_token(key, reply, NOW, purpose=EVALUATION) is None
    assert read_token(key, evaluation, NOW + TTL * 2, purpose=EVALUATION) is None  # expired
    assert (
        read_token(EphemeralKey(), evaluation, NOW, purpose=EVALUATION) is None
    )  # after a restart
