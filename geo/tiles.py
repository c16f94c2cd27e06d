"""``/tiles/{z}/{x}/{y}.{ext}``: the loaded basemap pack's tiles (geo.basemap_pack).

Bad coordinates (a zoom past 24, x or y outside 0…2^z−1) are a 400 that says why; a pack that
has no such tile, a tile type other than the pack's, or no pack at all are 404s. Tiles are
served with their type's Content-Type and may be cached for a day: the ETag names the pack's
hash, so a new ``load_basemap`` changes every tag.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from geo.basemap_pack import MAX_ZOOM, get_tile

CACHE_CONTROL = "public, max-age=86400"


def _problem(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


@require_safe
def tile(request: HttpRequest, z: int, x: int, y: int, ext: str) -> HttpResponse:
    if z > MAX_ZOOM:
        return _problem(400, f"Zoom {z} is past the largest, {MAX_ZOOM}.")
    if x >= 1 << z or y >= 1 << z:
        return _problem(400, f"At zoom {z} tile x and y run from 0 to {(1 << z) - 1}.")
    found = get_tile(z, x, y)
    if found is None:
        return _problem(404, "No basemap pack is loaded (manage.py load_basemap).")
    pack, data = found
    if ext != pack.ext:
        return _problem(404, f"The basemap pack's tiles are .{pack.ext}.")
    if data is None:
        return _problem(404, f"The basemap pack has no tile {z}/{x}/{y}.")
    etag = f'"{pack.sha256[:16]}-{z}-{x}-{y}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        not_modified["Cache-Control"] = CACHE_CONTROL
        return not_modified
    response = HttpResponse(data, content_type=pack.content_type)
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response
