"""The three published layers, declared once for the downloads and OGC API – Features.

Each layer only points at its app's selectors (filters, queryset, properties); nothing here
repeats a field list, so a field added to a selector shows up in every format.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from markets import hours as market_hours
from markets import selectors as market_selectors
from sites import selectors as site_selectors
from sites.api.views import LIGHTS_STAFF_ONLY

NUL_MESSAGE = "This parameter contains a NUL character; remove it."


@dataclass(frozen=True)
class Layer:
    """A published layer: how to parse its filters, select its rows and name its properties."""

    name: str
    title: str
    description: str
    geom: str
    parse: Callable[[Mapping[str, str], bool], object]
    queryset: Callable[[object, bool], QuerySet]
    properties: Callable[[bool], dict]
    # The tables the layer is written from: their version is the ETag's (geo.api.conditional).
    sources: tuple = ()
    # True when these list filters depend on the current time (no stable representation).
    time_dependent: Callable[[Mapping[str, str]], bool] = lambda params: False

    def select(self, params: Mapping[str, str], *, staff: bool) -> QuerySet:
        """The layer's rows for these list filters (ValidationError on a bad filter)."""
        # PostgreSQL text cannot hold NUL; refused here rather than failing in the driver.
        nul = sorted(name for name, value in params.items() if "\x00" in value)
        if nul:
            raise ValidationError(
                {name: gettext(NUL_MESSAGE) for name in nul}, code="nul_character"
            )
        return self.queryset(self.parse(params, staff), staff)


def _site_filters(params: Mapping[str, str], staff: bool, *, layer: str):
    """The list's filters; lights are staff-only, as on the map's API (403 otherwise)."""
    filters = site_selectors.parse_site_filters(params, layer=layer)
    if filters.light and not staff:
        raise PermissionDenied(gettext(LIGHTS_STAFF_ONLY))
    return filters


@dataclass(frozen=True)
class _ZoneQuery:
    zones: market_selectors.ZoneFilters
    hours: market_hours.HoursFilters


def _zone_filters(params: Mapping[str, str], staff: bool) -> _ZoneQuery:
    # Parse both before raising, so one 400 names every bad parameter.
    errors: dict[str, list[str]] = {}
    parsed = []
    for parse in (lambda: market_selectors.parse_zone_filters(params, staff=staff),
                  lambda: market_hours.parse_hours_filters(params)):
        try:
            parsed.append(parse())
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return _ZoneQuery(*parsed)


def _zones(q: _ZoneQuery, staff: bool) -> QuerySet:
    """Zones of the list; ``open_now``/``open_tonight`` are evaluated as the map does, in Python."""
    queryset = market_selectors.zones_queryset(q.zones, staff=staff)
    if q.hours.open_now is None and q.hours.open_tonight is None:
        return queryset
    kept = market_hours.with_hours(market_selectors.zone_features(q.zones, staff=staff), q.hours)
    return queryset.filter(pk__in=[feature["id"] for feature in kept])


def _open_at_request_time(params: Mapping[str, str]) -> bool:
    """open_now/open_tonight without ``at`` are evaluated at the request's moment."""
    return bool(params.get("open_now") or params.get("open_tonight")) and not params.get("at")


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            name="projects",
            title=_("Key projects"),
            description=_("Key construction projects of the year's plan (重点项目)."),
            geom="geom",
            parse=lambda params, staff: _site_filters(params, staff, layer="projects"),
            queryset=lambda f, staff: site_selectors.projects_queryset(f, staff=staff),
            properties=lambda staff: site_selectors.project_properties(staff=staff),
            sources=site_selectors.PROJECT_SOURCES,
        ),
        Layer(
            name="livelihood",
            title=_("Livelihood works"),
            description=_("People's-livelihood works (民生实事): points, lines and areas."),
            geom="geom",
            parse=lambda params, staff: _site_filters(params, staff, layer="livelihood"),
            queryset=lambda f, staff: site_selectors.livelihood_queryset(f, staff=staff),
            properties=lambda staff: site_selectors.livelihood_properties(staff=staff),
            sources=site_selectors.LIVELIHOOD_SOURCES,
        ),
        Layer(
            name="markets",
            title=_("Market zones"),
            description=_("Designated night-market zones (夜间经济) with their rules."),
            geom="boundary",
            parse=_zone_filters,
            queryset=_zones,
            properties=lambda staff: market_selectors.zone_properties(staff=staff),
            sources=market_selectors.ZONE_SOURCES,
            time_dependent=_open_at_request_time,
        ),
    )
}


def get_layer(name: str) -> Layer:
    """The layer called ``name``, or Http404."""
    try:
        return LAYERS[name]
    except KeyError:
        raise Http404(_("No layer %(name)s.") % {"name": name}) from None
