"""Every per-address bound counts an IPv6 home connection (its /64) as one address, and
an IPv4-mapped IPv6 address as its IPv4 address (`vocabulary/addresses.py`). The
bounds' tests play a guesser with many addresses of one /64; each fails on the code
that counted every IPv6 address apart.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.channels.http.clients import ClientAddress
from bot.intake.guessing import GuessLimits, Refused
from escalation.console.throttle import LoginThrottle, Throttled
from vocabulary.addresses import bound_key

ONE_HOME = ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2:aa::5"]


def test_one_ipv6_home_connection_is_one_address_for_receipt_guessing() -> None:
    limits = GuessLimits(per_client=2, overall=1000, clock=lambda: 0.0)
    claims = [limits.claim(address) for address in ONE_HOME]
    assert isinstance(claims[-1], Refused) and claims[-1].why == "client"
    assert not isinstance(limits.claim("2001:db8:1:3::1"), Refused)  # the next /64


def test_one_ipv6_home_connection_is_one_source_for_console_logins() -> None:
    throttle = LoginThrottle(per_pair=5, per_source=2, window=timedelta(minutes=15))
    now = datetime(2026, 12, 8, tzinfo=UTC)
    tries = [throttle.claim(f"a{n}@school.nl", a, now) for n, a in enumerate(ONE_HOME)]
    assert isinstance(tries[-1], Throttled)


def test_addresses_are_counted_by_ipv4_or_ipv6_slash_64() -> None:
    assert bound_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert bound_key("2001:DB8:1:2::9%eth0") == "2001:db8:1:2::/64"
    assert bound_key("::ffff:192.0.2.7") == "192.0.2.7"  # a dual-stack socket's IPv4 peer
    assert bound_key(" 192.0.2.7 ") == "192.0.2.7"
    assert bound_key("testclient") == "testclient"
    assert bound_key("") == ""


def test_a_proxy_on_a_dual_stack_socket_is_still_trusted() -> None:
    """`::ffff:127.0.0.1` is the loopback proxy: its X-Forwarded-For names the client."""
    clients = ClientAddress(["127.0.0.1"])
    hops = {"x-forwarded-for": "203.0.113.9"}
    assert clients.of("::ffff:127.0.0.1", hops) == "203.0.113.9"
    assert clients.of("::ffff:203.0.113.5", hops) == "::ffff:203.0.113.5"
    assert bound_key(clients.of("::ffff:203.0.113.5", hops)) == "203.0.113.5"
