"""GeoJSON endpoints of the market-zone layer."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.api import body_cache, conditional
from geo.api.responses import geojson_response
from geo.page_cache import clock_minute
from geo.roles import is_staff_reader
from markets import hours, hours_text, schedule, selectors
from markets.layers import MARKETS


class ZoneListView(APIView):
    """Market zones as a GeoJSON FeatureCollection.

    Filters: bbox, kind, status; at (ISO 8601, naive = Asia/Shanghai), open_now, open_tonight.
    """

    def get(self, request):
        staff = is_staff_reader(request.user)
        # The layer's declaration (markets.layers): its filters, rows and hours, as in files.
        parsed = MARKETS.check(request.query_params, staff=staff)

        # Never a 304 (DESIGN.md): open_now and the next change are computed at request time.
        # But they change only on the minute (rules, closures and the calendar are in whole
        # minutes), so within one minute of the clock and one version of the data each worker
        # renders the list once; ``evaluated_at`` in the body says when.
        tag = conditional.representation_etag(
            request, resource="markets", sources=selectors.ZONE_SOURCES, staff=staff,
            extra=[_minute(request)],
        )
        body = body_cache.body_for(
            tag, lambda: MARKETS.prepared(parsed, staff=staff).collection()
        )
        return geojson_response(request, body, allow_not_modified=False)


def _minute(request) -> str:
    """The clock's minute when the answer is "now" (no ``at=``); nothing when it is fixed."""
    return "" if request.query_params.get("at") else clock_minute()


class ZoneDetailView(APIView):
    def get(self, request, pk: int):
        staff = is_staff_reader(request.user)
        prepared = MARKETS.prepare({"at": request.query_params.get("at", "")}, staff=staff)
        text = prepared.feature(pk)
        if text is None:
            raise NotFound()
        version = json.loads(text)["properties"]["version"]
        return geojson_response(request, text, etag=str(version), allow_not_modified=False)


class ZoneScheduleView(APIView):
    """Opening intervals day by day: ?from=YYYY-MM-DD (default today) &days=1..31 (default 7).

    Each interval is a scheduled session (a session belongs to the day its evening starts) with
    the closures that cut it and the parts that stay open.
    """

    def get(self, request, pk: int):
        today = hours.parse_at(None).date()
        start, days = hours.parse_from_days(request.query_params, today=today)
        staff = is_staff_reader(request.user)
        feature = selectors.zone_feature(pk, staff=staff)
        if feature is None:
            raise NotFound()
        props = feature["properties"]
        since = schedule.midnight(start) - schedule.DAY
        zone_hours = hours.hours_of(
            props,
            closures=selectors.closures_by_zone([pk], since=since).get(pk, []),
            calendar=selectors.load_calendar(),
        )
        body = {
            "id": pk,
            "name": props["name"],
            "opening_hours": props["opening_hours"],
            "hours_text": hours_text.describe(zone_hours.rule, english=hours.english()),
            "status": props["status"],
            "status_reason": props["status_reason"],
            "from": start.isoformat(),
            "days": schedule.schedule_days(zone_hours, start, days),
        }
        if not staff:  # the raw OSM string is for staff; the public reads hours_text
            del body["opening_hours"]
        return Response(body)


class HoursPreviewView(APIView):
    """The next days of an opening_hours string being typed (rule-editing staff).

    200 with the days when it parses; 400 with the parser's message, line and column if not.
    """

    def get(self, request):
        if not is_staff_reader(request.user):
            raise PermissionDenied()
        text = request.query_params.get("opening_hours", "")
        if len(text) > schedule.MAX_RULE_LENGTH:
            raise ValidationError(
                {"opening_hours": ValidationError(schedule.too_long_message(), code="max_length")}
            )
        today = hours.parse_at(None).date()
        start, days = hours.parse_from_days(request.query_params, today=today)
        rule, problem = schedule.check(text, cache=False)
        if problem is not None:
            message = schedule.syntax_error(problem).messages[0]
            return Response(
                {
                    "detail": message,
                    "errors": {"opening_hours": [message]},
                    "problem": problem.as_dict(),
                },
                status=400,
            )
        # Parsed without the shared cache: typing produces many strings that are never saved.
        zone_hours = schedule.ZoneHours(
            opening_hours=text, calendar=selectors.load_calendar(), rule=rule
        )
        return Response(
            {
                "opening_hours": text.strip(),
                "from": start.isoformat(),
                "days": schedule.schedule_days(zone_hours, start, days),
            }
        )
