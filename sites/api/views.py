"""GeoJSON endpoints of the project and livelihood layers (thin: parse, select, respond)."""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from geo.api.responses import geojson_response
from geo.roles import is_staff_reader
from sites import selectors


class ProjectListView(APIView):
    """Key projects as a GeoJSON FeatureCollection (filters: bbox, stage, build_type, …)."""

    def get(self, request):
        filters = selectors.parse_site_filters(request.query_params, layer="projects")
        staff = is_staff_reader(request.user)
        return geojson_response(request, selectors.projects_geojson(filters, staff=staff))


class ProjectDetailView(APIView):
    def get(self, request, pk: int):
        text = selectors.project_feature(pk, staff=is_staff_reader(request.user))
        if text is None:
            raise NotFound()
        return geojson_response(request, text)


class LivelihoodListView(APIView):
    """People's-livelihood works as a GeoJSON FeatureCollection."""

    def get(self, request):
        filters = selectors.parse_site_filters(request.query_params, layer="livelihood")
        staff = is_staff_reader(request.user)
        return geojson_response(request, selectors.livelihood_geojson(filters, staff=staff))


class LivelihoodDetailView(APIView):
    def get(self, request, pk: int):
        text = selectors.livelihood_feature(pk, staff=is_staff_reader(request.user))
        if text is None:
            raise NotFound()
        return geojson_response(request, text)
