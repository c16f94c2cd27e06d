"""The client's address, taken one way for every limit, log line and history record.

django-axes (``AXES_CLIENT_IP_CALLABLE``), the API throttles (``geo.api.throttling``), the log
format (``ClientAddressLogFilter``) and the history records (``geo.audit``) all call
``client_ip``, so a lockout, a throttle bucket and an audit row name the same address.

``X-Forwarded-For`` is read only when the direct peer is a proxy named in ``TRUSTED_PROXIES``:
any client can send the header, so trusting it from anyone would let a client pick its own
address and reset its own limits.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

TRUSTED_PROXIES_HELP = (
    "TRUSTED_PROXIES must be empty (no proxy in front), a number of proxy hops in front "
    '(e.g. "1" for one nginx), or a comma-separated list of the proxies\' CIDRs '
    '(e.g. "127.0.0.1/32,10.0.0.0/8")'
)
MAX_PROXY_HOPS = 10  # more hops than this is a typo, not a deployment


@dataclass(frozen=True)
class TrustedProxies:
    """The proxies in front: ``count`` hops, or the ``networks`` they connect from (not both)."""

    count: int = 0
    networks: tuple[IPNetwork, ...] = ()

    def trusts(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


@lru_cache(maxsize=8)
def parse_trusted_proxies(value: str | int | None) -> TrustedProxies:
    """Read the ``TRUSTED_PROXIES`` setting; raise ImproperlyConfigured with the fix if bad."""
    text = "" if value is None else str(value).strip()
    if not text:
        return TrustedProxies()
    if text.isdigit():
        count = int(text)
        if count > MAX_PROXY_HOPS:
            raise ImproperlyConfigured(
                f"{TRUSTED_PROXIES_HELP}; {count} hops is more than {MAX_PROXY_HOPS}."
            )
        return TrustedProxies(count=count)
    networks = []
    for item in (part.strip() for part in text.split(",")):
        try:
            # strict: "10.0.0.1/8" has host bits set, almost certainly a typo for 10.0.0.0/8.
            networks.append(ipaddress.ip_network(item, strict=True))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"{TRUSTED_PROXIES_HELP}; {item!r} is not a CIDR ({error})."
            ) from error
    return TrustedProxies(networks=tuple(networks))


def _parse_address(text: str) -> IPAddress | None:
    """An address, IPv4-mapped IPv6 (``::ffff:a.b.c.d``) as IPv4; None if malformed."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def forwarded_hops(header: str) -> list[IPAddress]:
    """The well-formed addresses of an ``X-Forwarded-For`` value, left (client) to right."""
    hops = (_parse_address(part) for part in header.split(","))
    return [hop for hop in hops if hop is not None]


def resolve_client_address(
    *, peer: str, forwarded_for: str, proxies: TrustedProxies
) -> str:
    """The client's address given the peer, the X-Forwarded-For value and the trusted proxies.

    With a count N, the peer is the nearest proxy and the client is the N-th hop from the right
    (each proxy appends the address it received the request from). With CIDRs, walk from the
    right past trusted addresses to the first untrusted one. Malformed entries are skipped.
    """
    peer_address = _parse_address(peer)
    if proxies.count:
        # The peer is taken to be the nearest proxy whatever its address, so a count also
        # works over a unix socket (nginx to gunicorn), where there is no peer address.
        hops = forwarded_hops(forwarded_for)
        if not hops:
            return str(peer_address) if peer_address else ""
        # Fewer hops than proxies: the request skipped the outer ones; the left-most entry was
        # still written by a trusted proxy (the header's left part is never read beyond N).
        return str(hops[-min(proxies.count, len(hops))])
    if peer_address is None:
        return ""
    if not proxies.trusts(peer_address):
        return str(peer_address)
    hops = forwarded_hops(forwarded_for)
    for hop in reversed(hops):
        if not proxies.trusts(hop):
            return str(hop)
    # Every hop is one of ours (an internal client): the furthest one is the client.
    return str(hops[0]) if hops else str(peer_address)


def client_ip(request: HttpRequest) -> str:
    """The address the request came from, by the ``TRUSTED_PROXIES`` rule; "" if unknown."""
    from django.conf import settings

    return resolve_client_address(
        peer=request.META.get("REMOTE_ADDR", "") or "",
        forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR", "") or "",
        proxies=parse_trusted_proxies(getattr(settings, "TRUSTED_PROXIES", "")),
    )


class ClientAddressLogFilter(logging.Filter):
    """Give every log record a ``client_ip`` (``-`` when it carries no Django request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from django.http import HttpRequest

        request = getattr(record, "request", None)
        if not hasattr(record, "client_ip"):
            record.client_ip = client_ip(request) if isinstance(request, HttpRequest) else "-"
        return True
