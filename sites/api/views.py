"""Endpoints of the project and livelihood layers, stats, reports, blockers (thin)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.api import body_cache, conditional
from geo.api.responses import geojson_response
from geo.roles import is_staff_reader
from sites import kpis, layers, selectors, services
from sites.api.serializers import (
    BlockerInput,
    BlockerOutput,
    BlockerResolveInput,
    ProgressReportInput,
    ProgressReportOutput,
)
from sites.layers import site_filters
from sites.models import Blocker, Project
from sites.orders import services as order_services


def _filters(request, *, layer: str, staff: bool) -> selectors.SiteFilters:
    return site_filters(request.query_params, layer=layer, staff=staff)


def _layer_response(request, *, resource: str, sources, staff: bool, render):
    """304 from the data's version before ``render()`` runs; else the rendered GeoJSON.

    Staff's layers carry the order reasons ("escalated to ..."): overdue orders are escalated
    first (no query when none is due), so the version and the body include it.
    """
    if staff:
        order_services.escalate_lazily()
    tag = conditional.representation_etag(
        request, resource=resource, sources=sources, staff=staff
    )
    if response := conditional.not_modified(request, tag):
        return response
    text = body_cache.body_for(tag, render)
    if text is None:
        raise NotFound()
    return geojson_response(request, text, tag=tag, allow_not_modified=False)


class ProjectListView(APIView):
    """Key projects as a GeoJSON FeatureCollection (filters: bbox, stage, light, as_of, …)."""

    def get(self, request):
        staff = is_staff_reader(request.user)
        filters = _filters(request, layer="projects", staff=staff)
        return _layer_response(
            request, resource="projects", sources=selectors.PROJECT_SOURCES, staff=staff,
            render=lambda: layers.projects_geojson(filters, staff=staff),
        )


class ProjectDetailView(APIView):
    def get(self, request, pk: int):
        as_of = selectors.parse_site_filters(
            {"as_of": request.query_params.get("as_of", "")}, layer="projects"
        ).as_of
        staff = is_staff_reader(request.user)
        if _wants_any(request) and not selectors.projects_queryset(
            selectors.SiteFilters(), staff=staff
        ).filter(pk=pk).exists():
            raise NotFound()
        return _layer_response(
            request, resource=f"projects/{pk}", sources=selectors.PROJECT_SOURCES, staff=staff,
            render=lambda: layers.project_feature(pk, staff=staff, as_of=as_of),
        )


class LivelihoodListView(APIView):
    """People's-livelihood works as a GeoJSON FeatureCollection."""

    def get(self, request):
        staff = is_staff_reader(request.user)
        filters = _filters(request, layer="livelihood", staff=staff)
        return _layer_response(
            request, resource="livelihood", sources=selectors.LIVELIHOOD_SOURCES, staff=staff,
            render=lambda: layers.livelihood_geojson(filters, staff=staff),
        )


class LivelihoodDetailView(APIView):
    def get(self, request, pk: int):
        staff = is_staff_reader(request.user)
        if _wants_any(request) and not selectors.livelihood_queryset(
            selectors.SiteFilters(), staff=staff
        ).filter(pk=pk).exists():
            raise NotFound()
        return _layer_response(
            request, resource=f"livelihood/{pk}", sources=selectors.LIVELIHOOD_SOURCES,
            staff=staff, render=lambda: layers.livelihood_feature(pk, staff=staff),
        )


def _wants_any(request) -> bool:
    """``If-None-Match: *`` matches only a feature that exists, so that one costs a lookup.

    Any other matching tag was issued for this id at this version, so the feature still exists.
    """
    return request.headers.get("If-None-Match", "").strip() == conditional.ANY


class StatsView(APIView):
    """KPI figures with the projects list's filters and ``as_of=YYYY-MM``.

    Open to everyone: anonymous users get counts and start rates of published projects only
    (see ``sites.kpis``); money, registration, bonds, lights and leaders need a staff role.
    """

    @extend_schema(responses={200: OpenApiResponse(
        description="as_of, reference_date, year_elapsed_percent, overall, by_department "
                    "and, for staff, by_leader and bond_bank_target"
    )})
    def get(self, request):
        staff = is_staff_reader(request.user)
        filters = _filters(request, layer="projects", staff=staff)
        if type(request.accepted_renderer) is not JSONRenderer:  # the browsable API's HTML
            return Response(kpis.stats(filters, staff=staff))
        # The figures are a function of the projects' data version, the query, the audience,
        # the language and today's date — exactly what the layers' ETag names — so the same
        # tag answers 304 and each worker renders a set of figures once per version.
        tag = conditional.representation_etag(
            request, resource="stats", sources=selectors.PROJECT_SOURCES, staff=staff
        )
        if response := conditional.not_modified(request, tag):
            return response
        body = body_cache.body_for(
            tag, lambda: JSONRenderer().render(kpis.stats(filters, staff=staff))
        )
        response = HttpResponse(body, content_type="application/json")
        conditional.tag_headers(response, tag)
        return response


def _project_for_staff(request, pk: int) -> Project:
    if not is_staff_reader(request.user):
        raise PermissionDenied(_("Progress reports and blockers are for staff."))
    return get_object_or_404(Project.objects.select_related("lead_department"), pk=pk)


class ProjectReportsView(APIView):
    """GET: the project's monthly reports (staff). POST: submit a month's report."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ProgressReportOutput(many=True))
    def get(self, request, pk: int):
        project = _project_for_staff(request, pk)
        reports = project.reports.select_related("reporter").order_by("month")
        return Response(ProgressReportOutput(reports, many=True).data)

    @extend_schema(request=ProgressReportInput, responses={
        201: ProgressReportOutput, 400: OpenApiResponse(description="invalid report"),
        403: OpenApiResponse(description="not your department's project"),
    })
    def post(self, request, pk: int):
        project = get_object_or_404(Project.objects.select_related("lead_department"), pk=pk)
        data = ProgressReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.progress_report_submit(
            project=project, user=request.user, **data.validated_data
        )
        return Response(ProgressReportOutput(report).data, status=status.HTTP_201_CREATED)


class ProjectBlockersView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BlockerOutput(many=True))
    def get(self, request, pk: int):
        project = _project_for_staff(request, pk)
        return Response(BlockerOutput(project.blockers.all(), many=True).data)

    @extend_schema(request=BlockerInput, responses={201: BlockerOutput})
    def post(self, request, pk: int):
        project = get_object_or_404(Project.objects.select_related("lead_department"), pk=pk)
        data = BlockerInput(data=request.data)
        data.is_valid(raise_exception=True)
        blocker = services.blocker_add(project=project, user=request.user, **data.validated_data)
        return Response(BlockerOutput(blocker).data, status=status.HTTP_201_CREATED)


class BlockerResolveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=BlockerResolveInput, responses={200: BlockerOutput})
    def post(self, request, pk: int):
        blocker = get_object_or_404(Blocker, pk=pk)
        data = BlockerResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        blocker = services.blocker_resolve(blocker=blocker, user=request.user,
                                           **data.validated_data)
        return Response(BlockerOutput(blocker).data)
