"""Limits for anonymous clients, counted in the shared (database) cache across workers.

Rates are settings (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``), read from the environment:
``ANON_THROTTLE_RATE`` for every API request, ``ANON_DOWNLOAD_THROTTLE_RATE`` for whole-layer
file downloads, ``ANON_ITEMS_THROTTLE_RATE`` for OGC API item pages (GIS clients page through a
layer, so they need more requests, each smaller).
"""

from __future__ import annotations

from rest_framework.throttling import AnonRateThrottle

from geo.client_address import client_ip


class ClientAddressThrottle(AnonRateThrottle):
    """Counts per client address taken as the login lockout takes it (geo.client_address)."""

    def get_ident(self, request) -> str:
        return client_ip(request)


class AnonBurstThrottle(ClientAddressThrottle):
    """Anonymous request rate over the whole API."""

    scope = "anon_burst"


class AnonDownloadThrottle(ClientAddressThrottle):
    """Anonymous downloads (whole layers in a file) per client address."""

    scope = "anon_download"


class AnonItemsThrottle(ClientAddressThrottle):
    """Anonymous OGC API – Features item pages per client address."""

    scope = "anon_items"
