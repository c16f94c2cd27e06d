"""``/api/v1/context/``: the context layers drawn under every map (geo.context_layers).

Public and read-only: the same reference data for everyone, in every language (names are
data, not UI text), so shared caches may keep it for a few minutes; the ETag is a hash of the
body, and a revalidation answers 304.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from geo.api.responses import geojson_response
from geo.context_layers import context_geojson

CACHE_CONTROL = "public, max-age=300"


@require_safe
def context_layers(request: HttpRequest) -> HttpResponse:
    response = geojson_response(request, context_geojson())
    response["Cache-Control"] = CACHE_CONTROL
    # The body depends on nothing the client sends.
    response["Vary"] = "Accept-Encoding"
    return response
