"""The market-zone layer as this app publishes it (registered at ``ready()``).

The API's downloads, the OGC API and the OpenAPI document read this declaration through
``geo.exports.layers``; ``markets.api.views`` uses the same selectors and hours.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from geo.api.params import QueryParam, validate_query
from geo.exports.layers import Layer, register
from markets import hours, selectors


@dataclasses.dataclass(frozen=True)
class ZoneQuery:
    zones: selectors.ZoneFilters
    hours: hours.HoursFilters


def zone_layer_params(staff: bool) -> tuple[QueryParam, ...]:
    """The zone list's filters and the hours' (``at``, ``open_now``, ``open_tonight``)."""
    return (*selectors.zone_params(staff=staff), *hours.HOURS_PARAMS)


def _split(values: Mapping[str, object], into: type) -> object:
    names = {f.name for f in dataclasses.fields(into)}
    return into(**{key: value for key, value in values.items() if key in names})


def zone_query(params: Mapping[str, str], staff: bool) -> ZoneQuery:
    """Both sets of filters, validated together: one 400 names every bad parameter."""
    values = validate_query(params, zone_layer_params(staff))
    return ZoneQuery(_split(values, selectors.ZoneFilters), _split(values, hours.HoursFilters))


def _zones(q: ZoneQuery, staff: bool) -> QuerySet:
    """Zones of the list; ``open_now``/``open_tonight`` are evaluated as the map does, in Python."""
    queryset = selectors.zones_queryset(q.zones, staff=staff)
    if q.hours.open_now is None and q.hours.open_tonight is None:
        return queryset
    kept = hours.with_hours(selectors.zone_features(q.zones, staff=staff), q.hours)
    return queryset.filter(pk__in=[feature["id"] for feature in kept])


# What the hours add to each zone (markets.hours.with_hours), as the API list carries them.
HOURS_MEMBERS = {
    "open_now": "bool", "next_change": "str", "status_text": "str", "open_tonight": "bool",
    "hours_text": "str", "season_text": "str", "next_change_text": "str", "evaluated_at": "str",
}


def _with_hours(features: list[dict], q: ZoneQuery, staff: bool) -> list[dict]:
    """Each zone's hours at the asked moment, in words; the public does not get the raw rule.

    ``open_now``/``open_tonight`` have already chosen the rows (``_zones``): not again here.
    """
    at_moment = dataclasses.replace(q.hours, open_now=None, open_tonight=None)
    return hours.hours_for(features, at_moment, staff=staff)


def _open_at_request_time(params: Mapping[str, str]) -> bool:
    """open_now/open_tonight without ``at`` are evaluated at the request's moment."""
    return bool(params.get("open_now") or params.get("open_tonight")) and not params.get("at")


MARKETS = Layer(
    name="markets",
    title=_("Market zones"),
    description=_("Designated night-market zones (夜间经济) with their rules."),
    geom="boundary",
    params=zone_layer_params,
    parse=zone_query,
    queryset=_zones,
    properties=lambda staff: selectors.zone_properties(staff=staff),
    sources=selectors.ZONE_SOURCES,
    time_dependent=_open_at_request_time,
    complete=_with_hours,
    members=lambda staff: HOURS_MEMBERS,
    hidden=lambda staff: () if staff else ("opening_hours",),
    # Open now and the next change, when no moment is asked for, hold for the minute.
    per_minute=lambda params: not params.get("at"),
)


def register_layers() -> None:
    register(MARKETS)
