"""HTTP responses for GeoJSON text produced by the database."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

GEOJSON = "application/geo+json; charset=utf-8"


def geojson_response(
    request: HttpRequest,
    text: str | bytes,
    *,
    etag: str | None = None,
    status: int = 200,
    allow_not_modified: bool = True,
) -> HttpResponse:
    """Serve GeoJSON text with a strong ETag; 304 when the client's copy is current.

    ``allow_not_modified=False`` where the ETag names the stored version (for If-Match) but
    the body also holds values computed at request time (a market's "open now").
    """
    body = text.encode("utf-8") if isinstance(text, str) else text
    tag = f'"{etag}"' if etag else f'"{hashlib.sha1(body).hexdigest()}"'
    if (
        allow_not_modified
        and request.method == "GET"
        and tag in request.headers.get("If-None-Match", "")
    ):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=GEOJSON, status=status)
    response["ETag"] = tag
    response["Vary"] = "Cookie, Authorization, Accept-Language"
    return response
