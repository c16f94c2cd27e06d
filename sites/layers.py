"""The project and livelihood layers as this app publishes them (registered at ``ready()``).

The API's downloads, the OGC API and the OpenAPI document read these declarations through
``geo.exports.layers``; the map's own endpoints (``sites.api.views``) use the same selectors.
"""

from __future__ import annotations

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


def register_layers() -> None:
    register(PROJECTS, LIVELIHOOD)
