"""HTTP responses for GeoJSON text produced by the database."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse

from geo.api import conditional

GEOJSON = "application/geo+json; charset=utf-8"


def geojson_response(
    request: HttpRequest,
    text: str | bytes,
    *,
    etag: str | None = None,
    tag: str | None = None,
    status: int = 200,
    allow_not_modified: bool = True,
) -> HttpResponse:
    """Serve GeoJSON text with a strong ETag; 304 when the client's copy is current.

    ``tag`` is a whole ETag value (``geo.api.conditional.representation_etag``, checked by the
    view before rendering); ``etag`` an opaque version to quote (a zone's ``"3"``); without
    either the ETag is a hash of the body. ``allow_not_modified=False`` where the ETag names
    the stored version (for If-Match) but the body also holds values computed at request time
    (a market's "open now").
    """
    body = text.encode("utf-8") if isinstance(text, str) else text
    if tag is None:
        tag = conditional.quoted(etag or hashlib.sha1(body).hexdigest())
    if allow_not_modified and (response := conditional.not_modified(request, tag)):
        return response
    response = HttpResponse(body, content_type=GEOJSON, status=status)
    conditional.tag_headers(response, tag)
    return response
