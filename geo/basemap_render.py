"""Render the stored context layers into a small raster PMTiles: the proof that the basemap-pack
path works with no network (``manage.py make_demo_basemap OUT.pmtiles``).

Tiles are 256 px PNGs in web mercator (the XYZ scheme Leaflet asks for), drawn with Pillow from
the city boundary, districts, river and main roads in the database, with the district names
when a CJK font is installed (Debian's fonts-wqy-microhei or fonts-noto-cjk). Only tiles that
touch the city's extent are written. A real city loads its approved map instead; this pack
says so in its attribution.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from pathlib import Path

from django.contrib.gis.db.models import Extent
from PIL import Image, ImageDraw, ImageFont
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from geo.models import CityBoundary, ContextFeature, ContextKind, District

TILE = 256
BACKGROUND = (238, 240, 243)  # the maps' no-basemap grey (static/css/portal.css)
LAND = (247, 245, 239)
DISTRICT_LINE = (150, 154, 162)
CITY_LINE = (95, 99, 108)
RIVER = (127, 178, 229)
ROAD = (255, 255, 255)
ROAD_CASING = (168, 172, 180)
LABEL = (80, 84, 92)
FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
DEMO_ATTRIBUTION = "示范市演示底图（由上下文图层生成，非正式地图，无审图号）"


def world_pixel(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Web-mercator pixel of a WGS84 point at zoom z (256 px tiles)."""
    size = TILE * (1 << z)
    x = (lon + 180.0) / 360.0 * size
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * size
    return x, y


def tile_range(bbox: tuple[float, float, float, float], z: int) -> Iterator[tuple[int, int]]:
    minx, miny, maxx, maxy = bbox
    x0, y0 = (int(v // TILE) for v in world_pixel(minx, maxy, z))
    x1, y1 = (int(v // TILE) for v in world_pixel(maxx, miny, z))
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            yield x, y


def _rings(geojson: dict) -> Iterator[list]:
    kind, coords = geojson["type"], geojson["coordinates"]
    if kind == "Polygon":
        yield from coords
    elif kind == "MultiPolygon":
        for polygon in coords:
            yield from polygon
    elif kind == "LineString":
        yield coords
    elif kind == "MultiLineString":
        yield from coords


def _font(size: int):
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return None


class Renderer:
    def __init__(self):
        city = CityBoundary.objects.first()
        self.city = [json.loads(city.geom.geojson)] if city else []
        self.districts = [
            (d.name, json.loads(d.geom.geojson), d.geom.point_on_surface.coords)
            for d in District.objects.all()
        ]
        features = ContextFeature.objects.all()
        self.rivers = [json.loads(f.geom.geojson) for f in features if f.kind == ContextKind.RIVER]
        self.roads = [
            json.loads(f.geom.geojson) for f in features if f.kind == ContextKind.MAIN_ROAD
        ]
        extent = CityBoundary.objects.aggregate(e=Extent("geom"))["e"]
        self.bbox = tuple(extent) if extent else None

    def render(self, z: int, x: int, y: int) -> bytes:
        image = Image.new("RGB", (TILE, TILE), BACKGROUND)
        self.draw(image, z, x * TILE, y * TILE)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()

    def draw(self, image: Image.Image, z: int, ox: float, oy: float) -> None:
        """Draw the context onto ``image`` whose top-left is world pixel (ox, oy) at zoom z.

        A tile is a 256 px window; the briefing's map (sites/briefing/mapimage.py) is one
        window of any size, drawn once instead of stitched from tiles.
        """
        draw = ImageDraw.Draw(image)

        def pixels(ring):
            points = (world_pixel(lon, lat, z) for lon, lat in ring)
            return [(px - ox, py - oy) for px, py in points]

        scale = max(1, 2 ** (z - 12))  # line widths grow with the zoom
        for geometry in self.city:
            for ring in _rings(geometry):
                draw.polygon(pixels(ring), fill=LAND)
        for geometry in self.rivers:
            for ring in _rings(geometry):
                if geometry["type"].endswith("Polygon"):
                    draw.polygon(pixels(ring), fill=RIVER)
                else:
                    draw.line(pixels(ring), fill=RIVER, width=min(3 * scale, 24), joint="curve")
        for geometry in self.roads:
            for ring in _rings(geometry):
                draw.line(pixels(ring), fill=ROAD_CASING, width=min(4 * scale, 28), joint="curve")
        for geometry in self.roads:
            for ring in _rings(geometry):
                draw.line(pixels(ring), fill=ROAD, width=min(2 * scale, 22), joint="curve")
        for _name, geometry, _label in self.districts:
            for ring in _rings(geometry):
                draw.line(pixels(ring), fill=DISTRICT_LINE, width=1)
        for geometry in self.city:
            for ring in _rings(geometry):
                draw.line(pixels(ring), fill=CITY_LINE, width=2)
        font = _font(11 + 2 * min(z - 11, 3)) if z >= 12 else None
        if font is not None:
            for name, _geometry, (lon, lat) in self.districts:
                px, py = world_pixel(lon, lat, z)
                draw.text(
                    (px - ox, py - oy),
                    name,
                    fill=LABEL,
                    font=font,
                    anchor="mm",
                    stroke_width=2,
                    stroke_fill=LAND,
                )


def write_demo_pmtiles(path: Path, *, min_zoom: int = 11, max_zoom: int = 15) -> int:
    """Write the pack to ``path``; returns the number of tiles."""
    renderer = Renderer()
    if renderer.bbox is None:
        raise ValueError("no city boundary is stored: load the demo city or import_context first")
    tiles = []
    for z in range(min_zoom, max_zoom + 1):
        for x, y in tile_range(renderer.bbox, z):
            tiles.append((zxy_to_tileid(z, x, y), z, x, y))
    tiles.sort()
    minx, miny, maxx, maxy = renderer.bbox
    with path.open("wb") as handle:
        writer = Writer(handle)
        for tile_id, z, x, y in tiles:
            writer.write_tile(tile_id, renderer.render(z, x, y))
        writer.finalize(
            {
                "tile_type": TileType.PNG,
                "tile_compression": Compression.NONE,
                "min_lon_e7": int(minx * 1e7),
                "min_lat_e7": int(miny * 1e7),
                "max_lon_e7": int(maxx * 1e7),
                "max_lat_e7": int(maxy * 1e7),
                "center_zoom": min_zoom + 2,
                "center_lon_e7": int((minx + maxx) / 2 * 1e7),
                "center_lat_e7": int((miny + maxy) / 2 * 1e7),
            },
            {"name": "示范市演示底图", "attribution": DEMO_ATTRIBUTION, "format": "png"},
        )
    return len(tiles)
