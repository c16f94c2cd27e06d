from __future__ import annotations

from django.conf import settings


def portal(request) -> dict:
    """Map configuration every page may pass to its script (via json_script)."""
    return {
        "map_config": {
            "basemap": settings.BASEMAP,
            "basemapUrl": settings.BASEMAP_URL,
            "basemapAttribution": settings.BASEMAP_ATTRIBUTION,
            "tiandituKey": settings.TIANDITU_KEY,
            "center": list(settings.MAP_CENTER),
            "bbox": list(settings.CITY_BBOX),
        }
    }
