"""Limits for anonymous clients, counted atomically across workers (geo.api.rate_counter).

Rates are settings (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``), read from the environment:
``ANON_THROTTLE_RATE`` for every API request, ``ANON_DOWNLOAD_THROTTLE_RATE`` for whole-layer
file downloads, ``ANON_ITEMS_THROTTLE_RATE`` for OGC API item pages (GIS clients page through a
layer, so they need more requests, each smaller).

Staff (any portal role, superusers; by session or API token) are not limited. Everyone else —
anonymous clients and signed-in accounts without a role — is counted by client address. A refused
request gets 429 with ``Retry-After`` (DRF's exception handler sets it from ``wait()``).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from geo.api.rate_counter import Hit, counter
from geo.client_address import client_ip
from geo.roles import is_staff_reader


class ClientAddressThrottle(SimpleRateThrottle):
    """Counts per client address taken as the login lockout takes it (geo.client_address)."""

    hit: Hit | None = None

    def get_rate(self) -> str | None:
        # Read at each request, not once at import as DRF's THROTTLE_RATES class attribute is,
        # so a changed REST_FRAMEWORK setting (override_settings reloads api_settings) applies.
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(
                f"No rate for throttle scope {self.scope!r}: add it to "
                'REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] in geo/settings.py.'
            ) from None

    def get_ident(self, request) -> str:
        return client_ip(request)

    def allow_request(self, request, view) -> bool:
        if self.rate is None or is_staff_reader(request.user):
            return True
        self.hit = counter().hit(scope=self.scope, ident=self.get_ident(request),
                                 duration=self.duration, now=self.timer())
        return self.hit.allowed(self.num_requests)

    def wait(self) -> int | None:
        return self.hit.retry_after(self.num_requests) if self.hit else None


class AnonBurstThrottle(ClientAddressThrottle):
    """Anonymous request rate over the whole API."""

    scope = "anon_burst"


class AnonDownloadThrottle(ClientAddressThrottle):
    """Anonymous downloads (whole layers in a file) per client address."""

    scope = "anon_download"


class AnonItemsThrottle(ClientAddressThrottle):
    """Anonymous OGC API – Features item pages per client address."""

    scope = "anon_items"
