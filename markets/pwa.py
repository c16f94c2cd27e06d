"""The public market pages as an installable web app: manifest and service worker (issue 16).

Both are served by Django, not as static files: the worker must live under /markets/ for its
scope to cover the market pages (a worker's default scope is its own folder), and both name the
static files by their collected (hashed) URLs. The worker's version is a hash of those URLs and
its own text, so a deployment with changed files installs a new worker and drops the old caches.
"""

from __future__ import annotations

import hashlib
import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

MANIFEST_TYPE = "application/manifest+json"
WORKER_TYPE = "text/javascript; charset=utf-8"
THEME = "#0b6b2e"  # the "open" green of static/css/markets.css
ICON_SIZES = (192, 512)
# The shell: what /markets/ and /markets/<id>/ need besides the page (their imports follow at
# run time, listed by the page itself).
SHELL_FILES = (
    "css/portal.css",
    "css/markets.css",
    "vendor/leaflet-1.9.4/leaflet.css",
    "vendor/leaflet-1.9.4/leaflet.js",
    "js/markets.js",
    "js/market_detail.js",
    "js/basemap.js",
    "js/pwa.js",
    "js/urls.js",
    "js/popups.js",
    "js/numbers.js",
    "js/text.js",
    *(f"icons/markets-{size}.png" for size in ICON_SIZES),
)


@require_safe
def manifest(request: HttpRequest) -> JsonResponse:
    """/markets/manifest.webmanifest (W3C Web App Manifest), in the active language."""
    scope = reverse("markets")
    body = {
        "name": _("Night markets"),
        "short_name": _("Night markets"),
        "description": _("Where the city's night markets are, and whether they are open."),
        "lang": request.LANGUAGE_CODE,
        "start_url": scope,
        "scope": scope,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": [
            {
                "src": static(f"icons/markets-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in ICON_SIZES
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = MANIFEST_TYPE
    return response


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """/markets/sw.js: the worker, with scope /markets/."""
    urls = [static(name) for name in SHELL_FILES]
    text = render_to_string(
        "markets/sw.js",
        {
            "shell_urls": json.dumps(urls),
            "static_url": static(""),
            "version": "",
        },
    )
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    text = text.replace('const VERSION = "";', f'const VERSION = "{version}";', 1)
    response = HttpResponse(text, content_type=WORKER_TYPE)
    response["Service-Worker-Allowed"] = reverse("markets")
    # Browsers re-check a worker at most daily; no-cache makes every check reach the server.
    response["Cache-Control"] = "no-cache"
    return response
