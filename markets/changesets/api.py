"""/api/v1/changesets/: zone changesets and their actions (thin: markets.changesets.services).

An edit's body is the zone layer's GeoJSON Feature (as markets.api.editing takes it) plus
``kind`` (create, update, rules, retire, reinstate), ``zone`` (its id; none for a new zone),
``base_version`` (the version the edit was drawn on; default the zone's current one) and
``edit`` (extend that new-zone edit). Only urban-management and market-supervision staff (and
admins) reach these.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.models import Department, District
from geo.roles import MARKET_SUPERVISION, URBAN_MANAGEMENT, has_role
from geo.validation import parse_polygon_geojson
from markets.api.editing import SafeGeoJSONParser, SafeJSONParser, _reference
from markets.changesets import selectors, services
from markets.changesets.models import Changeset, ChangesetState, EditKind, ZoneEdit
from markets.models import MarketZone


class ZoneEditors(BasePermission):
    """Urban management and market supervision (and admins): they draft, review and read."""

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, URBAN_MANAGEMENT, MARKET_SUPERVISION)


def _run(call) -> Response:
    """Run the service call and its answer in one transaction.

    A refusal leaves the transaction and is answered by the API's one exception handler
    (geo.api.errors: a ChangesetStateError or a zone's VersionConflict by its type, a
    PermissionDenied as 403 with its message, any other ValidationError as 400).
    """
    with transaction.atomic():
        return call()


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationError(_("Send a JSON object."), code="not_object")
    return request.data


def _text(data: dict, name: str) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(
            {name: ValidationError(_("%(field)s must be text.") % {"field": name}, code="invalid")}
        )
    return value


def _int_or_none(data: dict, name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            {name: ValidationError(_("Give a positive whole number."), code="invalid")}
        )
    return value


def _edit_args(data: object, user=None) -> dict:
    """A Feature body as changeset_add_edit's keyword arguments; ValidationError if bad."""
    if not isinstance(data, dict):
        raise ValidationError(_("Send a GeoJSON Feature (a JSON object)."), code="not_feature")
    properties = data.get("properties") or {}
    if not isinstance(properties, dict):
        raise ValidationError(
            {"properties": ValidationError(_("properties must be a JSON object."), code="invalid")}
        )
    kind = data.get("kind", EditKind.UPDATE)
    if kind not in EditKind.values:
        raise ValidationError(
            {
                "kind": ValidationError(
                    _("Choose one of: %(choices)s.") % {"choices": ", ".join(EditKind.values)},
                    code="invalid_choice",
                )
            }
        )
    boundary = None
    if data.get("geometry") is not None:
        try:
            boundary = parse_polygon_geojson(data["geometry"])
        except ValidationError as exc:
            raise ValidationError({"boundary": exc.error_list}) from None
    fields = {k: v for k, v in properties.items() if k in services.EDIT_FIELDS}
    if "department" in fields:
        fields["department"] = _reference(Department, fields["department"], "department")
    if "district" in fields:
        fields["district"] = _reference(District, fields["district"], "district")
    if kind == EditKind.CREATE and not fields.get("department") and user is not None:
        # As the zone API's create: the author's own department unless another is chosen.
        profile = getattr(user, "staff_profile", None)
        if profile is not None and profile.department is not None:
            fields["department"] = profile.department
    zone_id = _int_or_none(data, "zone")
    edit_id = _int_or_none(data, "edit")
    zone = get_object_or_404(MarketZone, pk=zone_id) if zone_id is not None else None
    return {
        "kind": kind,
        "zone": zone,
        "boundary": boundary,
        "fields": fields,
        "base_version": _int_or_none(data, "base_version"),
        "edit": get_object_or_404(ZoneEdit, pk=edit_id) if edit_id is not None else None,
    }


def _answer(changeset: Changeset, code: int = status.HTTP_200_OK) -> Response:
    changeset.refresh_from_db()
    return Response(selectors.changeset_dict(changeset), status=code)


def _schema(
    summary: str,
    *,
    body: bool = True,
    code: int = 200,
    states: bool = True,
    parameters: list | None = None,
    operation_id: str | None = None,
):
    responses = {code: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT}
    if states:
        responses[409] = OpenApiTypes.OBJECT
    return extend_schema(
        summary=summary,
        tags=["changesets"],
        request=OpenApiTypes.OBJECT if body else None,
        responses=responses,
        parameters=parameters or [],
        operation_id=operation_id,
    )


STATE_PARAMETER = OpenApiParameter(
    "state",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    enum=list(ChangesetState.values),
    description="only changesets in this state",
)


class ChangesetMixin:
    parser_classes = [SafeJSONParser, SafeGeoJSONParser]
    permission_classes = [ZoneEditors]


class ChangesetListView(ChangesetMixin, APIView):
    """GET: changesets, newest first (?state=). POST: a new draft, optionally with edits."""

    @_schema(
        "Zone changesets, newest first",
        body=False,
        states=False,
        parameters=[STATE_PARAMETER],
        operation_id="api_v1_changesets_list",
    )
    def get(self, request):
        state = request.query_params.get("state", "")
        if state and state not in ChangesetState.values:
            message = _("Choose one of: %(choices)s.") % {
                "choices": ", ".join(ChangesetState.values)
            }
            return Response({"detail": message, "errors": {"state": [message]}}, status=400)
        return Response(
            {
                "changesets": [
                    selectors.changeset_dict(c, with_edits=False)
                    for c in selectors.changeset_list(state=state)
                ]
            }
        )

    @_schema("Open a draft changeset (with edits: a list of edit Features)", code=201)
    def post(self, request):
        def create():
            data = _body(request)
            edits = data.get("edits") or []
            if not isinstance(edits, list):
                raise ValidationError(
                    {
                        "edits": ValidationError(
                            _("edits must be a list of edit Features."), code="invalid"
                        )
                    }
                )
            restore = data.get("restore")
            if restore is not None:
                return _restore(request, data, restore)
            changeset = services.changeset_create(user=request.user, comment=_text(data, "comment"))
            for edit in edits:
                services.changeset_add_edit(
                    changeset=changeset, user=request.user, **_edit_args(edit, request.user)
                )
            response = _answer(changeset, status.HTTP_201_CREATED)
            response["Location"] = f"{request.path}{changeset.pk}/"
            return response

        return _run(create)


def _restore(request, data: dict, restore: object) -> Response:
    """{"restore": {"zone", "history_id"}}: a draft proposing that past version of the zone."""
    if not isinstance(restore, dict):
        raise ValidationError(
            {
                "restore": ValidationError(
                    _("restore must name the zone and the history_id."), code="invalid"
                )
            }
        )
    zone_id = _int_or_none(restore, "zone")
    history_id = _int_or_none(restore, "history_id")
    if zone_id is None or history_id is None:
        raise ValidationError(
            {
                "restore": ValidationError(
                    _("restore must name the zone and the history_id."), code="required"
                )
            }
        )
    zone = get_object_or_404(MarketZone, pk=zone_id)
    changeset = services.changeset_for_restore(
        zone=zone, history_id=history_id, user=request.user, comment=_text(data, "comment")
    )
    return _answer(changeset, status.HTTP_201_CREATED)


class ChangesetDetailView(ChangesetMixin, APIView):
    """GET: a changeset with its edits. PATCH: change a draft's comment."""

    @_schema("A changeset and its edits", body=False, states=False)
    def get(self, request, pk: int):
        return Response(selectors.changeset_dict(get_object_or_404(Changeset, pk=pk)))

    @_schema("Change a draft's comment")
    def patch(self, request, pk: int):
        def update():
            changeset = get_object_or_404(Changeset, pk=pk)
            data = _body(request)
            services.changeset_update_comment(
                changeset=changeset, user=request.user, comment=_text(data, "comment")
            )
            return _answer(changeset)

        return _run(update)


class ChangesetEditsView(ChangesetMixin, APIView):
    """POST: add a zone edit to a draft (or extend the edit of the same zone)."""

    @_schema("Add or extend a zone edit in a draft", code=201)
    def post(self, request, pk: int):
        def add():
            changeset = get_object_or_404(Changeset, pk=pk)
            edit = services.changeset_add_edit(
                changeset=changeset, user=request.user, **_edit_args(request.data, request.user)
            )
            body = selectors.changeset_dict(Changeset.objects.get(pk=pk))
            body["edit"] = edit.pk
            return Response(body, status=status.HTTP_201_CREATED)

        return _run(add)


class ChangesetActionView(ChangesetMixin, APIView):
    action = ""

    def post(self, request, pk: int):
        def act():
            changeset = get_object_or_404(Changeset, pk=pk)
            data = _body(request)
            self.perform(changeset, request.user, data)
            return _answer(changeset)

        return _run(act)


class SubmitView(ChangesetActionView):
    """POST: send the draft for review (its comment may be given here)."""

    def perform(self, changeset, user, data):
        comment = data.get("comment")
        services.changeset_submit(
            changeset=changeset,
            user=user,
            comment=_text(data, "comment") if comment is not None else None,
        )

    @_schema("Submit a draft for review")
    def post(self, request, pk: int):
        return super().post(request, pk)


class ApproveView(ChangesetActionView):
    """POST: approve a submitted changeset (another user than its author)."""

    def perform(self, changeset, user, data):
        services.changeset_approve(changeset=changeset, user=user)

    @_schema("Approve a submitted changeset (not your own)")
    def post(self, request, pk: int):
        return super().post(request, pk)


class SendBackView(ChangesetActionView):
    """POST {"reason"}: return the changeset to its author."""

    def perform(self, changeset, user, data):
        services.changeset_send_back(changeset=changeset, user=user, reason=_text(data, "reason"))

    @_schema("Send a changeset back to its author with a reason")
    def post(self, request, pk: int):
        return super().post(request, pk)


def _publish_at(data: dict) -> dt.datetime | None:
    raw = data.get("publish_at")
    if raw in (None, ""):
        return None
    moment = parse_datetime(raw) if isinstance(raw, str) else None
    if moment is None or moment.tzinfo is None:
        raise ValidationError(
            {
                "publish_at": ValidationError(
                    _(
                        "Give an ISO 8601 date and time with its offset, "
                        "e.g. 2027-07-01T00:00:00+08:00."
                    ),
                    code="invalid",
                )
            }
        )
    return moment


class PublishView(ChangesetActionView):
    """POST: publish an approved changeset now, or {"publish_at": ISO 8601} at that time."""

    def perform(self, changeset, user, data):
        moment = _publish_at(data)
        if moment is None:
            services.changeset_publish(changeset=changeset, user=user)
        else:
            services.changeset_schedule(changeset=changeset, user=user, publish_at=moment)

    @_schema("Publish an approved changeset now or at publish_at (Asia/Shanghai)")
    def post(self, request, pk: int):
        return super().post(request, pk)


class PreviewView(ChangesetMixin, APIView):
    """GET: the zone layer as it will look when this changeset is published (staff)."""

    @_schema(
        "The zones as they will look once the changeset is published", body=False, states=False
    )
    def get(self, request, pk: int):
        changeset = get_object_or_404(Changeset, pk=pk)
        features = selectors.preview_features(changeset)
        return Response(
            {
                "type": "FeatureCollection",
                "features": features,
                "publish_at": selectors._iso(changeset.publish_at),
            }
        )
