"""Which address a web request comes from, for the limits that count per address.

The connection's own address, unless it is one of `web.trusted_proxies` (loopback by
default: a reverse proxy on the same machine); then X-Forwarded-For is read from the
right, skipping trusted proxies, and the first address no trusted proxy vouches for is
the client. Anyone else's X-Forwarded-For is ignored, so a guesser cannot pick a fresh
address per request. An IPv4-mapped IPv6 peer (`::ffff:127.0.0.1`) is its IPv4 address.
The bounds then count the address by `vocabulary.addresses.bound_key` (IPv6 per /64).
Used in memory only; never stored or logged.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientAddress:
    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self.trusted: tuple[Network, ...] = tuple(
            ipaddress.ip_network(p, strict=False) for p in trusted_proxies
        )

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack socket's IPv4 peer is that IPv4 address
        return any(ip in net for net in self.trusted)

    def of(self, peer: str | None, headers: Mapping[str, str]) -> str:
        """The client's address ("" if the server does not know the peer)."""
        if not peer:
            return ""
        if not self._trusted(peer):
            return peer
        hops = [h.strip() for h in headers.get("x-forwarded-for", "").split(",") if h.strip()]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return hop
        return hops[0] if hops else peer
