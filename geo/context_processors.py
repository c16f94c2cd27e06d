from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db.models import Extent

from geo.models import CityBoundary


def city_bbox() -> tuple[float, float, float, float]:
    """The stored city boundary's extent (minx, miny, maxx, maxy); settings.CITY_BBOX without."""
    extent = CityBoundary.objects.aggregate(extent=Extent("geom"))["extent"]
    return tuple(extent) if extent else tuple(settings.CITY_BBOX)


def portal(request) -> dict:
    """Map configuration every page may pass to its script (via json_script)."""
    return {
        "map_config": {
            "basemap": settings.BASEMAP,
            "basemapUrl": settings.BASEMAP_URL,
            "basemapAttribution": settings.BASEMAP_ATTRIBUTION,
            "tiandituKey": settings.TIANDITU_KEY,
            "center": list(settings.MAP_CENTER),
            "bbox": list(city_bbox()),
        }
    }
