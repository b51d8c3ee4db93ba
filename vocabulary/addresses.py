"""Which client a network address counts as, for every bound that counts per address.

One home connection or one cloud machine holds a whole IPv6 /64 (2^64 addresses), so
counting each IPv6 address apart would give a guesser 2^64 fresh windows. Every
per-address bound (receipt guessing, console logins) therefore counts an IPv6 address
by its /64; an IPv4 address, and an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what
a dual-stack socket reports for an IPv4 peer), counts as itself. One function, so no
bound can come to count differently from another.
"""

from __future__ import annotations

import ipaddress

IPV6_PREFIX = 64


def bound_key(address: str) -> str:
    """The name an address is counted under: the IPv4 address, or the IPv6 /64.

    An empty or unparsable address (a test client's "testclient", a unix socket) is
    counted as written, stripped: it still bounds that one caller."""
    text = address.strip()
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])  # a zone id names no other host
    except ValueError:
        return text
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)
