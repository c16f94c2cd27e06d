"""Report endpoints (thin): the public POST on a zone, the public status by code, the staff list
and the staff's triage steps (assign, handle, unfounded) by code.

CSRF: the JSON/multipart POST takes no session (``authentication_classes = []``), so there is
no cookie for a forging page to ride on and DRF's CSRF check does not apply; what guards it is
the per-client limit (markets.reports.throttling, 20 a minute), the body size cap and the
checks of every field. The HTML form (markets.reports.views) keeps Django's CSRF token.
"""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from geo import errors as refusals
from geo.api.errors import refusal_body
from geo.api.params import NO_NUL, openapi_parameters
from geo.api.schema import Error
from geo.api.throttling import AnonBurstThrottle
from geo.roles import URBAN_MANAGEMENT, has_role
from markets.api.editing import SafeJSONParser
from markets.models import PUBLIC_STATUSES, MarketZone
from markets.reports import selectors, services
from markets.reports.forms import urban_staff
from markets.reports.models import MAX_PHONE_LENGTH, MAX_TEXT_LENGTH, ReportCategory
from markets.reports.photos import MAX_PHOTO_BYTES
from markets.reports.throttling import report_allowed

# A whole report request: the 5 MB photo, the form's fields and multipart framing.
MAX_BODY_BYTES = MAX_PHOTO_BYTES + 256 * 1024
BODY_TOO_LARGE = gettext_noop("The request is larger than 5 MB plus the form's fields.")
STAFF_ONLY = gettext_noop("The report list is for urban-management staff.")
# The text must hold a visible character and no NUL (PostgreSQL cannot store one).
TEXT_PATTERN = r"^[^\x00]*[^\x00\s][^\x00]*$"
POINT_PATTERN = r"^-?\d{1,3}(\.\d{1,9})?,-?\d{1,2}(\.\d{1,9})?$"
PHONE_SCHEMA_PATTERN = services.PHONE_PATTERN.pattern


class ReportInput(serializers.Serializer):
    category = serializers.ChoiceField(choices=ReportCategory.choices)
    text = serializers.RegexField(
        TEXT_PATTERN,
        max_length=MAX_TEXT_LENGTH,
        trim_whitespace=False,
        help_text="What is wrong, plain text (shown as text, never as HTML)",
    )
    point = serializers.RegexField(
        POINT_PATTERN,
        required=False,
        help_text="lon,lat in WGS84 degrees; must lie inside the city boundary and at most "
        "REPORT_MAX_DISTANCE_M (300 m) outside the market zone's boundary (else 400)",
    )
    phone = serializers.RegexField(
        PHONE_SCHEMA_PATTERN,
        max_length=MAX_PHONE_LENGTH,
        required=False,
        help_text="Optional; seen by urban-management staff only, deleted after the "
        "retention period",
    )


class ReportMultipartInput(ReportInput):
    photo = serializers.FileField(
        required=False,
        help_text="Optional JPEG, PNG, WebP or GIF up to 5 MB; re-encoded without metadata "
        "(a file that is not an image is a 400)",
    )


class ReportPublic(serializers.Serializer):
    code = serializers.CharField(help_text="Ticket code: 10 Crockford base32 characters")
    zone = inline_serializer(
        "ReportZone",
        fields={
            "id": serializers.IntegerField(),
            "name": serializers.CharField(),
        },
    )
    category = serializers.ChoiceField(choices=ReportCategory.choices)
    category_label = serializers.CharField()
    text = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class ReportStaff(ReportPublic):
    id = serializers.IntegerField()
    point = serializers.DictField(allow_null=True, help_text="GeoJSON Point, WGS84")
    phone = serializers.CharField(allow_blank=True)
    has_photo = serializers.BooleanField()
    assignee = serializers.CharField(allow_null=True)
    assigned_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    due_at = serializers.DateTimeField()
    overdue = serializers.BooleanField()


def _point(text: str | None) -> Point | None:
    if not text:
        return None
    lon, lat = (float(v) for v in text.split(","))
    return Point(lon, lat, srid=4326)


class ZoneReportsView(APIView):
    """POST /api/v1/markets/<id>/reports/: anyone reports a problem (JSON or multipart)."""

    authentication_classes: list = []  # no session, so no CSRF to forge (see the module)
    parser_classes = [SafeJSONParser, MultiPartParser]
    throttle_classes = [AnonBurstThrottle]

    @extend_schema(
        summary="Report a problem on a market zone (public)",
        tags=["reports"],
        request={
            "application/json": ReportInput,
            "multipart/form-data": ReportMultipartInput,
        },
        responses={
            201: OpenApiResponse(ReportPublic, description="Saved; keep the code to follow it"),
            413: OpenApiResponse(
                inline_serializer(
                    "TooLarge",
                    fields={"detail": serializers.CharField(), "errors": serializers.DictField()},
                ),
                description="The body is larger than 5 MB plus the form's fields",
            ),
        },
    )
    def post(self, request, pk: int):
        # Checked before the body is read: a refused request costs no parsing and saves nothing.
        allowed, wait = report_allowed(request)
        if not allowed:
            raise Throttled(wait=wait)
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            message = _(BODY_TOO_LARGE)
            return Response(
                {"detail": message, "errors": {"body": [message]}},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        zone = get_object_or_404(MarketZone, pk=pk, status__in=PUBLIC_STATUSES)
        multipart = request.content_type.startswith("multipart/")
        data = (ReportMultipartInput if multipart else ReportInput)(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        photo = values.get("photo")
        report = services.report_create(
            zone=zone,
            category=values["category"],
            text=values["text"],
            point=_point(values.get("point")),
            phone=values.get("phone", ""),
            photo=photo.read() if photo is not None else None,
        )
        report.zone = zone
        return Response(selectors.public_dict(report), status=status.HTTP_201_CREATED)


class ReportStatusView(APIView):
    """GET /api/v1/reports/<code>/: a report's state for whoever holds its code (public)."""

    @extend_schema(
        summary="A report's status by its ticket code (public)",
        tags=["reports"],
        parameters=[
            OpenApiParameter(
                "code",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The ticket code (case and O/0, I/L/1 are read alike)",
            )
        ],
        responses={200: ReportPublic},
    )
    def get(self, request, code: str):
        report = selectors.report_by_code(code)
        if report is None:
            raise NotFound(_("No report has this code."))
        return Response(selectors.public_dict(report))


class ReportListView(APIView):
    """GET /api/v1/reports/: every report with its personal data (urban management)."""

    @extend_schema(
        summary="Problem reports for triage (urban-management staff)",
        tags=["reports"],
        parameters=openapi_parameters(selectors.REPORT_PARAMS),
        responses={200: ReportStaff(many=True)},
    )
    def get(self, request):
        if not has_role(request.user, URBAN_MANAGEMENT):
            raise PermissionDenied(_(STAFF_ONLY))
        filters = selectors.parse_report_filters(request.query_params)
        reports = selectors.staff_reports(filters)
        return Response([selectors.staff_dict(r) for r in reports])


# --- triage (urban management) -------------------------------------------------------------

# A step that does not apply to the report's state now is a conflict, not a bad body.
NOTE_REQUIRED = gettext_lazy(services.NOTE_REQUIRED)
TRIAGE_CONFLICT = OpenApiResponse(
    Error,
    description="The step does not apply to the report's state now (closed, or not yet "
    "assigned for handled)",
)
CODE_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The report's ticket code (case and O/0, I/L/1 are read alike)",
)


class UrbanManagement(BasePermission):
    """Urban-management staff (and admins), as the /staff/reports/ page."""

    message = gettext_lazy(services.NOT_TRIAGER)

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, URBAN_MANAGEMENT)


class AssignInput(serializers.Serializer):
    assignee = serializers.RegexField(
        r"^[\w.@+-]{1,150}$",
        help_text="The username of an active urban-management account",
    )


class HandleInput(serializers.Serializer):
    note = serializers.RegexField(
        NO_NUL,
        max_length=services.NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="Optional: what was done",
    )


class UnfoundedInput(serializers.Serializer):
    note = serializers.RegexField(
        TEXT_PATTERN,
        max_length=services.NOTE_MAX_LENGTH,
        error_messages={
            "required": NOTE_REQUIRED,
            "blank": NOTE_REQUIRED,
            "invalid": NOTE_REQUIRED,
        },
        help_text="Why the report is unfounded (required, not blank)",
    )


class TriageView(APIView):
    """POST /api/v1/reports/<code>/<step>/: one triage step; the report as staff see it."""

    parser_classes = [SafeJSONParser]
    permission_classes = [UrbanManagement]
    input_class: type[serializers.Serializer] = HandleInput

    def perform(self, report, user, values: dict) -> None:
        raise NotImplementedError

    def post(self, request, code: str):
        report = selectors.report_by_code(code)
        if report is None:
            raise NotFound(_("No report has this code."))
        data = self.input_class(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                self.perform(report, request.user, data.validated_data)
        except ValidationError as exc:
            return _refused(exc)
        return Response(selectors.staff_dict(selectors.staff_report(report.pk)))


def _refused(exc: ValidationError) -> Response:
    """400 naming the field; 409 when the report's state forbids the step (nothing changed)."""
    return Response(refusal_body(exc), status=refusals.http_status(exc))


def _schema(summary: str, body: type[serializers.Serializer]):
    return extend_schema(
        summary=summary,
        tags=["reports"],
        parameters=[CODE_PARAMETER],
        request=body,
        responses={200: ReportStaff, 409: TRIAGE_CONFLICT},
    )


class AssignView(TriageView):
    """new or assigned → assigned to an urban-management account."""

    input_class = AssignInput

    def perform(self, report, user, values: dict) -> None:
        assignee = urban_staff().filter(username=values["assignee"]).first()
        if assignee is None:
            raise ValidationError(
                {"assignee": ValidationError(_(services.BAD_ASSIGNEE), code="invalid")}
            )
        services.report_assign(report=report, assignee=assignee, user=user)

    @_schema("Assign a report to an urban-management account (staff)", AssignInput)
    def post(self, request, code: str):
        return super().post(request, code)


class HandleView(TriageView):
    """assigned → handled, with an optional note."""

    input_class = HandleInput

    def perform(self, report, user, values: dict) -> None:
        services.report_handle(report=report, user=user, note=values.get("note", ""))

    @_schema("Mark an assigned report handled (staff)", HandleInput)
    def post(self, request, code: str):
        return super().post(request, code)


class UnfoundedView(TriageView):
    """new or assigned → unfounded; the note says why."""

    input_class = UnfoundedInput

    def perform(self, report, user, values: dict) -> None:
        services.report_mark_unfounded(report=report, user=user, note=values["note"])

    @_schema("Mark a report unfounded, saying why (staff)", UnfoundedInput)
    def post(self, request, code: str):
        return super().post(request, code)
