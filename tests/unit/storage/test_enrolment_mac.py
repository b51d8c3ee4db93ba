"""The enrolment link's MAC: its own sub-key, and every bound field changes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from storage.crypto import tokens
from storage.crypto.server_key import ServerKey, new_server_secret

WHEN = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def test_each_bound_field_changes_the_mac_and_only_the_server_key_makes_it() -> None:
    server = ServerKey(new_server_secret())
    digest = tokens.token_hash(tokens.new_token())
    mac = server.enrolment_mac(digest, "hhs-vp", WHEN, False)
    assert len(mac) == 32 and mac == server.enrolment_mac(digest, "hhs-vp", WHEN, False)
    others = {
        server.enrolment_mac(tokens.token_hash("other"), "hhs-vp", WHEN, False),
        server.enrolment_mac(digest, "mondriaan-vp", WHEN, False),
        server.enrolment_mac(digest, "hhs-vp", WHEN + timedelta(microseconds=1), False),
        server.enrolment_mac(digest, "hhs-vp", WHEN, True),
        ServerKey(new_server_secret()).enrolment_mac(digest, "hhs-vp", WHEN, False),
    }
    assert mac not in others and len(others) == 5
    # The same moment in another zone (as a backend may hand it back) is the same MAC.
    amsterdam = WHEN.astimezone(timezone(timedelta(hours=1)))
    assert server.enrolment_mac(digest, "hhs-vp", amsterdam, False) == mac
