"""A Leaflet + Leaflet-Geoman geometry widget whose assets are all served from static/vendor."""

from __future__ import annotations

from django.contrib.gis.forms.widgets import BaseGeometryWidget
from django.contrib.gis.geometry import json_regex
from django.forms import Media, Script

from geo.context_processors import portal

LEAFLET = "vendor/leaflet-1.9.4"
GEOMAN = "vendor/leaflet-geoman-free-2.20.2"


class LeafletGeometryWidget(BaseGeometryWidget):
    """Draw and edit a geometry on a Leaflet map; the form value is GeoJSON in WGS84.

    GeoDjango's OSMWidget loads OpenLayers from a CDN; this one loads nothing off the machine
    and works without a basemap (BASEMAP=none). ``attrs={"shapes": "Point,Polygon"}`` limits
    the drawing tools of a generic geometry field to those simple types.
    """

    template_name = "geo/leaflet_widget.html"
    map_srid = 4326  # Leaflet works in WGS84 lon/lat; GeoJSON (RFC 7946) is WGS84 too.

    @property
    def media(self) -> Media:
        return Media(
            css={
                "all": (
                    f"{LEAFLET}/leaflet.css",
                    f"{GEOMAN}/leaflet-geoman.css",
                    "css/geometry_widget.css",
                )
            },
            js=(
                f"{LEAFLET}/leaflet.js",
                f"{GEOMAN}/leaflet-geoman.min.js",
                Script("js/geometry_widget.js", type="module"),
            ),
        )

    def serialize(self, value) -> str:
        return value.json if value else ""

    def deserialize(self, value):
        geom = super().deserialize(value)
        # GeoJSON has no SRID member; RFC 7946 fixes it to WGS84, which is also map_srid.
        if geom is not None and json_regex.match(value):
            geom.srid = self.map_srid
        return geom

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["map_config"] = portal(None)["map_config"]
        context["config_id"] = f"{context.get('id') or name}_map_config"
        return context
