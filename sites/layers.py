"""The project and livelihood layers as this app publishes them (registered at ``ready()``).

The API's downloads, the OGC API and the OpenAPI document read these declarations through
``geo.exports.layers``; the map's own endpoints (``sites.api.views``), the detail pages and the
printable map read them through the writers at the end of this module.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from geo.exports.layers import Layer, register
from sites import selectors

LIGHTS_STAFF_ONLY = "Status lights are for staff; log in to filter by light."


def site_filters(params: Mapping[str, str], *, layer: str, staff: bool) -> selectors.SiteFilters:
    """The list's filters; lights are staff-only (403 otherwise), on the map's API as in files."""
    filters = selectors.parse_site_filters(params, layer=layer)
    if filters.light and not staff:
        raise PermissionDenied(gettext(LIGHTS_STAFF_ONLY))
    return filters


PROJECTS = Layer(
    name="projects",
    title=_("Key projects"),
    description=_("Key construction projects of the year's plan (重点项目)."),
    geom="geom",
    params=lambda staff: selectors.SITE_PARAMS["projects"],
    parse=lambda params, staff: site_filters(params, layer="projects", staff=staff),
    queryset=lambda filters, staff: selectors.projects_queryset(filters, staff=staff),
    properties=lambda staff: selectors.project_properties(staff=staff),
    sources=selectors.PROJECT_SOURCES,
    computed=lambda filters, staff: selectors.project_computed(filters, staff=staff),
    members=lambda staff: selectors.PROJECT_LIGHT_MEMBERS if staff else {},
)
LIVELIHOOD = Layer(
    name="livelihood",
    title=_("Livelihood works"),
    description=_("People's-livelihood works (民生实事): points, lines and areas."),
    geom="geom",
    params=lambda staff: selectors.SITE_PARAMS["livelihood"],
    parse=lambda params, staff: site_filters(params, layer="livelihood", staff=staff),
    queryset=lambda filters, staff: selectors.livelihood_queryset(filters, staff=staff),
    properties=lambda staff: selectors.livelihood_properties(staff=staff),
    sources=selectors.LIVELIHOOD_SOURCES,
    computed=lambda filters, staff: selectors.livelihood_computed(staff=staff),
    members=lambda staff: selectors.WORK_LIGHT_MEMBERS if staff else {},
)


# --- the map's features, written from the declarations above ----------------------------------


def projects_geojson(filters: selectors.SiteFilters, *, staff: bool) -> bytes:
    """The projects FeatureCollection as UTF-8 JSON, its features written by PostgreSQL.

    Projects not yet placed (待落图, geom NULL) are left out: the map layer and the printable
    map draw features, and a feature without a place has nothing to draw. They still count in
    the stats and lists (``projects_queryset``) and appear with ``"geometry": null`` (RFC 7946
    §3.2) in the file downloads and the single-feature endpoint.
    """
    return PROJECTS.prepared(filters, staff=staff).placed().collection()


def livelihood_geojson(filters: selectors.SiteFilters, *, staff: bool) -> bytes:
    return LIVELIHOOD.prepared(filters, staff=staff).collection()


def project_feature(pk: int, *, staff: bool, as_of: dt.date | None = None) -> str | None:
    """One project as the API's list writes it, its figures and light as of ``as_of``."""
    filters = selectors.SiteFilters(as_of=as_of)
    return PROJECTS.prepared(filters, staff=staff).feature(pk)


def livelihood_feature(pk: int, *, staff: bool, as_of: dt.date | None = None) -> str | None:
    filters = selectors.SiteFilters(as_of=as_of)
    return LIVELIHOOD.prepared(filters, staff=staff).feature(pk)


def project_page_feature(pk: int, *, staff: bool, as_of: dt.date | None = None) -> dict | None:
    """The project's GeoJSON feature (same fields as the API for this audience), as a dict;
    its stage, figures and light as of the month ``as_of`` (None: now)."""
    return _feature_dict(project_feature(pk, staff=staff, as_of=as_of))


def livelihood_page_feature(
    pk: int, *, staff: bool, as_of: dt.date | None = None
) -> dict | None:
    return _feature_dict(livelihood_feature(pk, staff=staff, as_of=as_of))


def _feature_dict(text: str | None) -> dict | None:
    return json.loads(text) if text is not None else None


def register_layers() -> None:
    register(PROJECTS, LIVELIHOOD)
