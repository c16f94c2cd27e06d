"""GeoJSON endpoints of the market-zone layer."""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from geo.api.responses import geojson_response
from geo.geojson import dumps
from geo.roles import is_staff_reader
from markets import selectors


class ZoneListView(APIView):
    """Market zones as a GeoJSON FeatureCollection (filters: bbox, kind, status)."""

    def get(self, request):
        staff = is_staff_reader(request.user)
        filters = selectors.parse_zone_filters(request.query_params, staff=staff)
        features = selectors.zone_features(filters, staff=staff)
        return geojson_response(request, dumps({"type": "FeatureCollection", "features": features}))


class ZoneDetailView(APIView):
    def get(self, request, pk: int):
        feature = selectors.zone_feature(pk, staff=is_staff_reader(request.user))
        if feature is None:
            raise NotFound()
        return geojson_response(
            request, dumps(feature), etag=str(feature["properties"]["version"])
        )
