"""The briefing's map of the red projects: a PNG drawn offline with Pillow.

The context (city boundary, districts, river, main roads) is drawn by the demo basemap's
renderer (geo.basemap_render) in one window in web mercator; each red project is a numbered
red dot at a point on its geometry (WGS84 lon/lat), numbered as in the briefing's list.
No tile server and no network: a leader's printout looks the same offline.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from geo.basemap_render import BACKGROUND, Renderer, _font, world_pixel

MAX_WIDTH, MAX_HEIGHT = 1000, 840  # px: the demo city at zoom 13, ~16 cm wide at 150 dpi
MARGIN = 28  # px around the extent, so edge dots are whole
RED = (200, 30, 30)
WHITE = (255, 255, 255)
DOT = 11  # px radius
# With no city boundary stored, the demo frame (DOMAIN.md) frames the dots.
FALLBACK_BBOX = (98.20, 39.74, 98.36, 39.84)


def _extent(renderer: Renderer, points: list[tuple[int, float, float]]):
    minx, miny, maxx, maxy = renderer.bbox or FALLBACK_BBOX
    for _n, lon, lat in points:
        minx, miny, maxx, maxy = min(minx, lon), min(miny, lat), max(maxx, lon), max(maxy, lat)
    return minx, miny, maxx, maxy


def _zoom(bbox) -> int:
    """The largest zoom (10-16) at which the extent fits MAX_WIDTH x MAX_HEIGHT."""
    minx, miny, maxx, maxy = bbox
    for z in range(16, 9, -1):
        x0, y0 = world_pixel(minx, maxy, z)
        x1, y1 = world_pixel(maxx, miny, z)
        if x1 - x0 + 2 * MARGIN <= MAX_WIDTH and y1 - y0 + 2 * MARGIN <= MAX_HEIGHT:
            return z
    return 10


def red_projects_png(points: list[tuple[int, float, float]]) -> bytes:
    """PNG of the city with the numbered ``points`` (number, lon, lat)."""
    renderer = Renderer()
    bbox = _extent(renderer, points)
    z = _zoom(bbox)
    x0, y0 = world_pixel(bbox[0], bbox[3], z)
    x1, y1 = world_pixel(bbox[2], bbox[1], z)
    width, height = int(x1 - x0) + 2 * MARGIN, int(y1 - y0) + 2 * MARGIN
    # The caption is the document's (prose.MAP_CAPTION), under the image, not in it.
    image = Image.new("RGB", (width, height), BACKGROUND)
    renderer.draw(image, z, x0 - MARGIN, y0 - MARGIN)
    draw = ImageDraw.Draw(image)
    label_font = _font(12)
    for number, lon, lat in points:
        px, py = world_pixel(lon, lat, z)
        cx, cy = px - x0 + MARGIN, py - y0 + MARGIN
        draw.ellipse((cx - DOT, cy - DOT, cx + DOT, cy + DOT), fill=RED, outline=WHITE, width=2)
        draw.text((cx, cy), str(number), fill=WHITE, font=label_font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def briefing_points(red_projects: list[dict]) -> list[tuple[int, float, float]]:
    """The red projects' dots, numbered as listed (projects not yet placed have none)."""
    return [
        (n, row["lonlat"][0], row["lonlat"][1])
        for n, row in enumerate(red_projects, start=1)
        if row.get("lonlat")
    ]
