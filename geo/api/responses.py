"""HTTP responses for GeoJSON text produced by the database."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

GEOJSON = "application/geo+json; charset=utf-8"


def geojson_response(
    request: HttpRequest, text: str, *, etag: str | None = None, status: int = 200
) -> HttpResponse:
    """Serve GeoJSON text with a strong ETag; 304 when the client's copy is current."""
    body = text.encode("utf-8")
    tag = f'"{etag}"' if etag else f'"{hashlib.sha1(body).hexdigest()}"'
    if request.method == "GET" and tag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=GEOJSON, status=status)
    response["ETag"] = tag
    response["Vary"] = "Cookie, Authorization, Accept-Language"
    return response
