"""Writes to the market-zone layer: create, replace/patch, retire, restore, history.

Bodies are GeoJSON Features: ``geometry`` is the boundary (Polygon or MultiPolygon),
``properties`` carries the rule fields (name, kind, status, address, contact, capacity,
district, department, status_reason, notes, vehicle_rules; read-only ones from a GET are
ignored, so a fetched feature can be sent back), ``reason`` (top level or in properties) says
why. PUT, PATCH and DELETE need ``If-Match: "<version>"`` (the ETag of the GET): 428 without it,
412 when someone saved in between or the tag is not the zone's (RFC 9110 §13.1.1: weak tags never
match a write; ``*`` matches whatever the version). Only urban-management staff and admins write.

Nothing an urban-management user writes here goes live (issue 18): each write is checked as a
live one would be (body, If-Match, boundary, fields) and then saved as an edit in the user's
draft changeset, answered ``202 Accepted`` with that changeset and its ``Location``; a reviewer
approves and publishes it (/api/v1/changesets/). Administrators write the live layer directly,
as /admin/ does (200/201 with the saved Feature), audited like every write.

API clients authenticate with a token: ``manage.py drf_create_token <username>``, then send
``Authorization: Token <key>``. Browser sessions must send the CSRF token (``X-CSRFToken``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from geo import geojson
from geo.api import conditional
from geo.api.responses import geojson_response
from geo.errors import PreconditionFailed, PreconditionRequired
from geo.models import Department, District
from geo.roles import URBAN_MANAGEMENT, has_role, is_staff_reader
from geo.validation import MAX_JSON_BYTES, load_json, parse_polygon_geojson
from markets import selectors, services
from markets.api.views import ZoneDetailView, ZoneListView
from markets.changesets import selectors as changeset_selectors
from markets.changesets import services as changeset_services
from markets.changesets.models import Changeset, EditKind, ZoneEdit
from markets.models import MarketZone, ZoneStatus

# gettext_noop: plain strings tests compare with, found by makemessages, translated where sent.
IF_MATCH_REQUIRED = gettext_noop(
    "Send If-Match with the version you edited (the ETag of GET {url})."
)
IF_MATCH_FORMAT = gettext_noop('If-Match must be the zone\'s ETag, a version number such as "3".')
IF_MATCH_WEAK = gettext_noop(
    'A weak ETag (W/"3") cannot guard a write; send the zone\'s ETag, such as "3".'
)
PROPOSED = gettext_noop(
    "Saved in draft changeset #{id}, not yet live: submit it for review ({submit}); the public "
    "sees the change once another urban-management user or an administrator approves and "
    "publishes it."
)


class SafeJSONParser(BaseParser):
    """JSON with a size cap, a nesting cap and no NaN/Infinity (geo.validation.load_json)."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_JSON_BYTES + 1) if stream is not None else b""
        try:
            return load_json(raw)
        except ValidationError as exc:
            raise ParseError(exc.messages[0]) from None


class SafeGeoJSONParser(SafeJSONParser):
    media_type = "application/geo+json"


class CanEditZones(BasePermission):
    """Everyone reads (visibility is the selectors' job); urban management writes."""

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or has_role(request.user, URBAN_MANAGEMENT)


class IsStaffReader(BasePermission):
    def has_permission(self, request, view) -> bool:
        return is_staff_reader(request.user)


def _reference(model, value: object, field: str):
    """A Department/District given by id, code or name (None clears an optional one)."""
    if value in (None, ""):
        return None
    lookup = Q(code=str(value)) | Q(name=str(value))
    if isinstance(value, int) and not isinstance(value, bool):
        lookup |= Q(pk=value)
    found = model.objects.filter(lookup).first()
    if found is None:
        raise ValidationError({field: ValidationError(
            _("Unknown %(field)s “%(value)s”.") % {"field": field, "value": value},
            code="unknown")})
    return found


def _parse_body(data: object, *, need_geometry: bool) -> tuple[object, dict, str]:
    """(boundary or None, editable fields, reason) from a Feature body; ValidationError if bad."""
    if not isinstance(data, dict):
        raise ValidationError(_("Send a GeoJSON Feature (a JSON object)."), code="not_feature")
    properties = data.get("properties") or {}
    if not isinstance(properties, dict):
        raise ValidationError({"properties": ValidationError(
            _("properties must be a JSON object."), code="invalid")})
    boundary = None
    if "geometry" in data and data["geometry"] is not None:
        try:
            boundary = parse_polygon_geojson(data["geometry"])
        except ValidationError as exc:
            raise ValidationError({"boundary": exc.error_list}) from None
    elif need_geometry:
        raise ValidationError({"boundary": ValidationError(
            _("The boundary (geometry) is required."), code="required")})
    fields = {k: v for k, v in properties.items() if k in services.EDITABLE_FIELDS}
    if "department" in fields:
        fields["department"] = _reference(Department, fields["department"], "department")
    if "district" in fields:
        fields["district"] = _reference(District, fields["district"], "district")
    reason = data.get("reason", properties.get("reason", ""))
    if not isinstance(reason, str):
        raise ValidationError({"reason": ValidationError(_("reason must be text."),
                                                         code="invalid")})
    return boundary, fields, reason


def _if_match(request, *, required: bool) -> list[int] | None:
    """The versions a write may go over, from If-Match (RFC 9110 §13.1.1).

    ``*`` matches the existing zone whatever its version (None: the service checks none); a
    list matches when any of its tags does, which the service decides under its row lock;
    comparison is strong, so weak tags (``W/"3"``) never match a write. Missing:
    PreconditionRequired (428) when required. No version number or unparseable:
    PreconditionFailed (412).
    """
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        if required:
            raise PreconditionRequired(
                _(IF_MATCH_REQUIRED).format(url=request.path), _("This header is required.")
            )
        return None
    try:
        tags = conditional.parse_tags(raw)
    except ValueError:
        tags = []
    if tags == conditional.ANY:
        return None
    strong = [tag.opaque.strip('"') for tag in tags if not tag.weak]
    versions = [int(value) for value in strong if value.isascii() and value.isdigit()]
    if versions:
        return versions
    all_weak = bool(tags) and all(tag.weak for tag in tags)
    raise PreconditionFailed(_(IF_MATCH_WEAK) if all_weak else _(IF_MATCH_FORMAT))


def zone_feature_any_status(pk: int) -> dict:
    """The staff view of one zone, retired or not."""
    rows = geojson.feature_dicts(
        MarketZone.objects.filter(pk=pk), geom="boundary",
        properties=selectors.zone_properties(staff=True),
    )
    return rows[0]


def _written(result: services.ZoneWriteResult, code: int = status.HTTP_200_OK) -> Response:
    feature = zone_feature_any_status(result.zone.pk)
    feature["warnings"] = result.warnings
    response = Response(feature, status=code)
    response["ETag"] = f'"{result.zone.version}"'
    return response


def goes_live(user) -> bool:
    """Administrators write the live layer (as /admin/ does); everyone else proposes."""
    return bool(getattr(user, "is_superuser", False))


def _proposed(changeset: Changeset, edit: ZoneEdit | None = None) -> Response:
    """202: the write was kept as a changeset edit; the body is the changeset (as its API)."""
    body = changeset_selectors.changeset_dict(Changeset.objects.get(pk=changeset.pk))
    if edit is not None:
        body["edit"] = edit.pk
    body["detail"] = _(PROPOSED).format(
        id=changeset.pk, submit=reverse("api-changeset-submit", args=[changeset.pk])
    )
    response = Response(body, status=status.HTTP_202_ACCEPTED)
    response["Location"] = reverse("api-changeset", args=[changeset.pk])
    return response


def _propose(request, *, kind: str, zone: MarketZone | None = None, expected=None,
             boundary=None, fields=None, reason: str = "") -> Response:
    edit = changeset_services.changeset_propose(
        user=request.user, zone=zone, kind=kind, base_version=expected,
        comment=reason, fields=fields, boundary=boundary,
    )
    return _proposed(edit.changeset, edit)


def _edit_kind(boundary, fields: dict) -> str:
    """Hours-only changes are a rules edit (as the rules page's), anything else an update."""
    rules_only = boundary is None and fields and set(fields) <= set(services.HOURS_FIELDS)
    return EditKind.RULES if rules_only else EditKind.UPDATE


def _run(call) -> Response:
    """Run a write and the read of its answer in one transaction.

    A refusal (geo.errors: 428, 412, 409; any ValidationError: 400) leaves the transaction
    and is answered by the API's one exception handler (geo.api.errors). A database failure
    while answering (geo.db_errors: 503, "nothing was changed") also undoes the write, instead
    of leaving an edit committed that its client was told to send again.
    """
    with transaction.atomic():
        return call()


def _write_schema(summary: str, *, if_match: bool | None, body: bool = True, code: int = 200):
    """OpenAPI for a zone write: a GeoJSON Feature (or {"reason"}) in, the saved Feature out."""
    # 202: an urban-management write kept in the author's draft changeset (the changeset).
    responses = {code: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT,
                 403: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT}
    parameters = []
    if if_match is not None:
        parameters.append(OpenApiParameter(
            "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=if_match,
            description=(
                'The version you edited, as the ETag of GET (e.g. "3"); a list matches if any '
                'of its tags does; "*" matches the existing zone whatever its version. Strong '
                'comparison (RFC 9110 §13.1.1): a weak tag (W/"3"), a stale or an unparseable '
                "one gets 412" + ("; a missing one 428." if if_match else ".")
            ),
        ))
        responses.update({409: OpenApiTypes.OBJECT, 412: OpenApiTypes.OBJECT})
        if if_match:
            responses[428] = OpenApiTypes.OBJECT
    return extend_schema(summary=summary, tags=["markets"], parameters=parameters,
                         request=OpenApiTypes.OBJECT if body else None, responses=responses)


class WriteMixin:
    parser_classes = [SafeJSONParser, SafeGeoJSONParser]
    permission_classes = [CanEditZones]


class ZoneCollectionView(WriteMixin, ZoneListView):
    """GET: the layer (see ZoneListView). POST: create a zone from a GeoJSON Feature."""

    @_write_schema("Create a market zone (GeoJSON Feature)", if_match=None, code=201)
    def post(self, request):
        def create():
            boundary, fields, reason = _parse_body(request.data, need_geometry=True)
            if "department" not in fields:
                # The author's own department unless another is chosen (the service says when
                # there is none).
                profile = getattr(request.user, "staff_profile", None)
                fields["department"] = getattr(profile, "department", None)
            if not goes_live(request.user):
                # The kind a live create defaults to, so the draft's new zone is complete.
                fields.setdefault("kind", MarketZone._meta.get_field("kind").get_default())
                return _propose(request, kind=EditKind.CREATE, boundary=boundary,
                                fields=fields, reason=reason)
            result = services.zone_create(
                boundary=boundary, fields=fields, user=request.user, reason=reason
            )
            response = _written(result, status.HTTP_201_CREATED)
            response["Location"] = f"{request.path}{result.zone.pk}/"
            return response

        return _run(create)


class ZoneItemView(WriteMixin, ZoneDetailView):
    """GET: one zone with its ETag. PUT/PATCH: edit (If-Match). DELETE: retire (If-Match)."""

    def get(self, request, pk: int):
        # Editors also see a retired zone (to restore it); everyone else gets ZoneDetailView's.
        if has_role(request.user, URBAN_MANAGEMENT) and MarketZone.objects.filter(
            pk=pk, status=ZoneStatus.RETIRED
        ).exists():
            feature = zone_feature_any_status(pk)
            return geojson_response(request, geojson.dumps(feature),
                                    etag=str(feature["properties"]["version"]),
                                    allow_not_modified=False)
        return super().get(request, pk)

    def _edit(self, request, pk: int, *, partial: bool) -> Response:
        def edit():
            expected = _if_match(request, required=True)
            boundary, fields, reason = _parse_body(request.data, need_geometry=not partial)
            if not goes_live(request.user):
                return _propose(request, kind=_edit_kind(boundary, fields),
                                zone=MarketZone(pk=pk), expected=expected, boundary=boundary,
                                fields=fields, reason=reason)
            return _written(services.zone_update(
                zone=MarketZone(pk=pk), expected_version=expected, user=request.user, reason=reason,
                boundary=boundary, fields=fields,
            ))

        return _run(edit)

    @_write_schema("Replace a zone's boundary and rules", if_match=True)
    def put(self, request, pk: int):
        return self._edit(request, pk, partial=False)

    @_write_schema("Change a zone's boundary and/or rules", if_match=True)
    def patch(self, request, pk: int):
        return self._edit(request, pk, partial=True)

    @_write_schema("Retire a zone (soft delete)", if_match=True)
    def delete(self, request, pk: int):
        def retire():
            expected = _if_match(request, required=True)
            reason = _reason_only(request)
            if not goes_live(request.user):
                return _propose(request, kind=EditKind.RETIRE, zone=MarketZone(pk=pk),
                                expected=expected, reason=reason)
            return _written(services.zone_retire(
                zone=MarketZone(pk=pk), expected_version=expected, user=request.user, reason=reason
            ))

        return _run(retire)


def _reason_only(request) -> str:
    data = request.data if isinstance(request.data, dict) else {}
    reason = data.get("reason") or request.query_params.get("reason", "")
    return reason if isinstance(reason, str) else ""


class ZoneRestoreView(WriteMixin, APIView):
    """POST: bring a retired zone back (If-Match optional)."""

    @_write_schema("Bring a retired zone back", if_match=False)
    def post(self, request, pk: int):
        def restore():
            expected = _if_match(request, required=False)
            if not goes_live(request.user):
                return _propose(request, kind=EditKind.REINSTATE, zone=MarketZone(pk=pk),
                                expected=expected, reason=_reason_only(request))
            return _written(services.zone_restore(
                zone=MarketZone(pk=pk), expected_version=expected, user=request.user,
                reason=_reason_only(request),
            ))

        return _run(restore)


class ZoneVersionRestoreView(WriteMixin, APIView):
    """POST: copy a past version into a new version (If-Match optional)."""

    @_write_schema("Restore a past version as a new version", if_match=False)
    def post(self, request, pk: int, history_id: int):
        def restore():
            # A version that is not this zone's (or a zone that does not exist) is a 404.
            get_object_or_404(MarketZone.history.model, id=pk, history_id=history_id)
            expected = _if_match(request, required=False)
            if not goes_live(request.user):
                zone = services._lock(MarketZone(pk=pk), expected)  # If-Match: 412 if stale
                return _proposed(changeset_services.changeset_for_restore(
                    zone=zone, history_id=history_id, user=request.user,
                    comment=_reason_only(request)))
            return _written(services.zone_restore_version(
                zone=MarketZone(pk=pk), history_id=history_id, expected_version=expected,
                user=request.user,
                reason=_reason_only(request),
            ))

        return _run(restore)


class ZoneHistoryView(APIView):
    """GET: who changed what and when, with the boundary of every version (staff only)."""

    permission_classes = [IsStaffReader]

    @extend_schema(summary="A zone's versions: who, when, why, changes, geometry",
                   tags=["markets"], responses={200: OpenApiTypes.OBJECT,
                                                403: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        zone = get_object_or_404(MarketZone, pk=pk)
        return Response({"id": zone.pk, "name": zone.name, "version": zone.version,
                         "status": zone.status, "versions": selectors.zone_history(pk)})
