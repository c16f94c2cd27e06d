"""The portal's security headers: the Content-Security-Policy's sources and Permissions-Policy.

django-csp (settings ``CONTENT_SECURITY_POLICY``) writes the CSP of every page; this module's
middleware adds the basemap's tile origins, read from the settings, to its ``img-src``. The
module also builds the separate policy of the self-contained printable map (its inline scripts
allowed by hash, nothing else) and sets ``Permissions-Policy``, which Django does not:
geolocation is off except on the views marked with ``allow_geolocation`` (the public market
list's "near me").
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

from geo.basemap_pack import effective_basemap

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

# Tianditu's WMTS hosts t0…t7 (static/js/basemap.js, subdomains "01234567").
TIANDITU_ORIGINS = tuple(f"https://t{n}.tianditu.gov.cn" for n in range(8))
# Every feature the portal never uses stays off; geolocation is granted per view.
# (Only features Chromium knows: an unknown one is a console error there.)
PERMISSIONS_OFF = ("camera", "microphone", "payment", "usb")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def tile_origins(basemap: str, url: str) -> list[str]:
    """The origins the configured basemap loads tiles from, for the CSP's img-src.

    An XYZ template's ``{s}`` subdomain becomes a ``*.`` wildcard (CSP allows it only as the
    leftmost label, which is where Leaflet puts it).
    """
    if basemap == "tianditu":
        return list(TIANDITU_ORIGINS)
    if basemap != "osm" or not url:
        return []
    parts = urlsplit(url.replace("{s}", "__s__"))
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return []
    host = parts.netloc.replace("__s__", "*")
    if "{" in host or "}" in host:  # another placeholder in the host: allow the parent domain
        host = "*." + host.split(".", 1)[1]
    return [f"{parts.scheme}://{host}"]


class PortalCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the configured basemap's tile origins added to img-src.

    Read per response, not frozen at start-up, so the policy always matches the basemap the
    pages are configured with (geo.context_processors.portal).
    """

    def get_policy_parts(self, request: HttpRequest, response: HttpResponseBase,
                         report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        # The basemap in use (a loaded pack is served by the portal itself: 'self').
        tiles = tile_origins(effective_basemap(), settings.BASEMAP_URL)
        if tiles and not report_only:
            parts.update = {**(parts.update or {}),
                            "img-src": [*(parts.update or {}).get("img-src", []), *tiles]}
        return parts


def script_hashes(html: str) -> list[str]:
    """CSP ``'sha256-…'`` sources for each inline ``<script>`` of ``html``, in order."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in INLINE_SCRIPT.findall(html)
    ]


def self_contained_policy(html: str) -> str:
    """The CSP of a self-contained HTML file (inline scripts, styles and data-URI images).

    Only the scripts it was served with may run (by hash, so an injected one may not), it loads
    nothing from anywhere, and ``sandbox`` gives it an opaque origin: its scripts cannot read
    the portal's cookies or call the API as the signed-in user.
    """
    return "; ".join([
        "default-src 'none'",
        "script-src " + " ".join(script_hashes(html) or ["'none'"]),
        "style-src 'unsafe-inline'",  # Leaflet and folium set style attributes
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "sandbox allow-scripts",
    ])


def allow_geolocation(view: Callable) -> Callable:
    """Mark a view whose page asks for the visitor's position (same origin only)."""
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response.permissions_geolocation = True
        return response

    return wrapped


def permissions_policy(*, geolocation: bool) -> str:
    """The Permissions-Policy header value (geolocation for this origin, or for none)."""
    items = ["geolocation=(self)" if geolocation else "geolocation=()"]
    items += [f"{feature}=()" for feature in PERMISSIONS_OFF]
    return ", ".join(items)


class PermissionsPolicyMiddleware:
    """Set Permissions-Policy on every response that has none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if "Permissions-Policy" not in response:
            allowed = getattr(response, "permissions_geolocation", False)
            response["Permissions-Policy"] = permissions_policy(geolocation=allowed)
        return response
