"""Which client a request comes from, for counting attempts (limits and locks).

An IPv4 address counts on its own. An IPv6 client usually holds a whole /64 (one
home or one server), so it counts as that network: otherwise changing the last bits
of the address would escape every per-client limit. Behind a reverse proxy the
address is the one ``ProxyFix`` (``TRUSTED_PROXIES``) took from X-Forwarded-For.
"""

from __future__ import annotations

import ipaddress

from flask import request

IPV6_CLIENT_PREFIX = 64


def client_key() -> str:
    """The key this request's client is counted under."""
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # an IPv4 client on a dual-stack socket
            return str(parsed.ipv4_mapped)
        network = ipaddress.ip_network(f"{parsed}/{IPV6_CLIENT_PREFIX}", strict=False)
        return str(network)
    return str(parsed)
