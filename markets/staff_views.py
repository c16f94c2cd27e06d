"""Staff pages for market zones: the zone list, the map editor, version history, bulk import (thin).

The editor and history pages talk to the zone API (markets.api.editing) from the browser; the
import page calls markets.importers. Only urban-management staff and admins reach them; the
zone list is also market supervision's way to each zone's rules.
"""

from __future__ import annotations

import base64
import json
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from geo import geojson
from geo.models import Department, District
from geo.page_urls import url_pattern
from geo.roles import MARKET_SUPERVISION, URBAN_MANAGEMENT, has_role
from markets import selectors
from markets.models import Changeset, ChangesetState, MarketZone, ZoneKind, ZoneStatus
from markets.reports import selectors as report_selectors

# Shown when Geoman (allowSelfIntersection: false) refuses a point while drawing, or puts a
# dragged vertex back while editing.
SELF_INTERSECTION = gettext_noop(
    "The boundary may not cross itself: that point was not added. Choose a point that keeps "
    "the edges from crossing."
)
SELF_INTERSECTION_EDIT = gettext_noop(
    "The boundary may not cross itself: the vertex went back to where it was."
)
# The import page's answer to "apply" when a row is rejected (the importer then writes nothing).
APPLY_REFUSED = gettext_noop(
    "Not applied: %(count)s row(s) were rejected, so nothing was written. Fix them in the file "
    "and run a dry run again."
)
NOTHING_TO_IMPORT = gettext_noop(
    "Nothing to apply: every row equals its zone, so no changeset was drafted."
)
# The largest file the import page keeps between the dry run and "apply" (in the session).
IMPORT_MAX_BYTES = 5 * 1024 * 1024


def urban_staff_required(view):
    """Log in first; then only urban-management staff (and superusers) may pass."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not has_role(request.user, URBAN_MANAGEMENT):
            raise PermissionDenied(_("Only urban-management staff may edit market zones."))
        return view(request, *args, **kwargs)

    return wrapped


def zone_staff_required(view):
    """Log in first; then urban-management and market-supervision staff (and superusers)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not has_role(request.user, URBAN_MANAGEMENT, MARKET_SUPERVISION):
            raise PermissionDenied(
                _("Only urban-management and market-supervision staff see the zone list.")
            )
        return view(request, *args, **kwargs)

    return wrapped


@zone_staff_required
def zone_staff_list(request: HttpRequest) -> HttpResponse:
    """/staff/markets/: every zone (retired ones under their filter) with each role's links."""
    status = request.GET.get("status", "")
    error = None
    if status and status not in selectors.staff_list_statuses():
        error = _("Unknown status “%(value)s”: choose one from the list.") % {"value": status}
        status = ""
    zones = list(selectors.staff_zone_list(status))
    counts = report_selectors.counts_by_zone()
    for zone in zones:
        zone.report_counts = counts.get(zone.pk, {"open": 0, "overdue": 0, "total": 0})
    return render(request, "markets/staff_list.html", {
        "zones": zones,
        "status": status,
        "statuses": ZoneStatus.choices,
        "all_value": selectors.STAFF_LIST_ALL,
        "error": error,
        "can_edit": has_role(request.user, URBAN_MANAGEMENT),
    }, status=400 if error else 200)


def _districts_geojson() -> dict:
    text = geojson.feature_collection(
        District.objects.order_by("code"), geom="geom", properties={"name": "name"}
    )
    return json.loads(text)


def _editor_strings() -> dict:
    """The translated words editor.js and history.js show."""
    return {
        "area": _("Area"),
        "perStall": _("Area per stall"),
        "noShape": _("No boundary drawn yet: draw a polygon on the map."),
        "tooDense": _("Fewer than %(min)s m² per stall: the capacity looks too dense."),
        "saving": _("Saving…"),
        "saved": _("Saved as version %(version)s."),
        "created": _("Zone created."),
        "failed": _("Not saved: %(detail)s"),
        "network": _("Not saved: the server could not be reached. Try again."),
        "conflictShort": _(
            "Not saved: someone else saved this zone first. Reload the page to see their version."
        ),
        "conflict": _(
            "%(user)s saved this zone at %(when)s (now version %(version)s) after you opened it."
        ),
        "someone": _("Someone"),
        "reloaded": _(
            "Reloaded version %(version)s. Your shape is shown dashed grey: redraw from it "
            "and save again."
        ),
        "loading": _("Loading…"),
        "loadFailed": _("Could not load the zone."),
        "otherZones": _("Other zones"),
        # %(n)s: how many other zones and project sites the map shows in its view.
        "nearbyCount": _("(%(n)s)"),
        "sites": _("Project sites"),
        "districts": _("Districts"),
        "ghost": _("Your unsaved shape"),
        "versionA": _("Version A"),
        "versionB": _("Version B"),
        "restored": _("Restored as version %(version)s."),
        "restoreConfirm": _("Restore version %(version)s as a new version?"),
        "reasonFirst": _("Write the reason for this change first."),
        "noChanges": _("No field changes."),
        "created_type": _("created"),
        "changed_type": _("changed"),
        "deleted_type": _("deleted"),
        "boundary": _("boundary"),
        "restoreThis": _("Restore this version"),
        "version": _("Version %(version)s"),
        "editTitle": _("Edit %(name)s"),
        "selfIntersection": _(SELF_INTERSECTION),
        "selfIntersectionEdit": _(SELF_INTERSECTION_EDIT),
        "savedDraft": _("Saved into draft changeset #%(id)s. Submit it for review when it is "
                        "complete; the public sees nothing before it is published."),
        "draftLink": _("Review and submit changeset #%(id)s"),
        "changesetEntry": _(
            "changeset #%(id)s “%(comment)s”, drafted by %(author)s, approved by %(reviewer)s"
        ),
    }


def _page_config(zone: MarketZone | None, draft: int | None = None) -> dict:
    return {
        "apiChangesets": reverse("api-changesets"),
        "changesetEditsUrlPattern": url_pattern("api-changeset-edits"),
        "reviewUrlPattern": url_pattern("changeset-review"),
        "draft": draft,
        "zoneId": zone.pk if zone else None,
        "apiList": reverse("api-markets"),
        "apiItem": reverse("api-market", args=[zone.pk]) if zone else None,
        "editUrl": url_pattern("market-edit"),
        "historyUrlPattern": url_pattern("market-history"),
        "rulesUrlPattern": url_pattern("market-rules"),
        "historyUrl": reverse("market-history", args=[zone.pk]) if zone else None,
        "projectsUrl": reverse("api-projects"),
        "projectUrlPattern": url_pattern("project-detail"),
        "minM2PerStall": settings.MARKET_MIN_M2_PER_STALL,
        "districts": _districts_geojson(),
        "strings": _editor_strings(),
    }


@urban_staff_required
def zone_editor(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """/staff/markets/<id>/edit/ and /staff/markets/new/: draw and reshape a zone on a map."""
    zone = get_object_or_404(MarketZone, pk=pk) if pk is not None else None
    context = {
        "zone": zone,
        "kinds": ZoneKind.choices,
        # Retired is listed (disabled: the retire button sets it) so a retired zone shows it.
        "statuses": ZoneStatus.choices,
        "departments": Department.objects.order_by("code"),
        "districts": District.objects.order_by("code"),
        "user_department": getattr(getattr(request.user, "staff_profile", None),
                                   "department_id", None),
        "editor_config": _page_config(zone, _draft_for(request)),
    }
    return render(request, "markets/editor.html", context)


def _draft_for(request: HttpRequest) -> int | None:
    """The draft the editor saves into: ?changeset=<id> if it is the user's, else the newest."""
    drafts = Changeset.objects.filter(
        author=request.user, state__in=(ChangesetState.DRAFT, ChangesetState.SENT_BACK))
    asked = request.GET.get("changeset", "")
    if asked.isdigit() and drafts.filter(pk=int(asked)).exists():
        return int(asked)
    return drafts.filter(state=ChangesetState.DRAFT).order_by("-pk").values_list(
        "pk", flat=True).first()


@urban_staff_required
def zone_history_page(request: HttpRequest, pk: int) -> HttpResponse:
    """/staff/markets/<id>/history/: two versions overlaid on the map, changes, restore."""
    zone = get_object_or_404(MarketZone, pk=pk)
    config = _page_config(zone)
    config["apiHistory"] = reverse("api-market-history", args=[zone.pk])
    return render(request, "markets/history.html", {"zone": zone, "editor_config": config})


@urban_staff_required
def zone_import_page(request: HttpRequest) -> HttpResponse:
    """/staff/markets/import/: upload, dry run, then apply in one transaction."""
    from markets import importers

    report = None
    error = None
    applied = False
    encoding = request.POST.get("encoding", "auto")
    if encoding not in importers.ENCODINGS:
        encoding = "auto"
    if request.method == "POST":
        action = request.POST.get("action", "dry_run")
        upload = request.FILES.get("file")
        try:
            if upload is not None:
                # The file waits in the session between dry run and apply: at most 5 MB.
                limit = min(IMPORT_MAX_BYTES, settings.IMPORT_MAX_UPLOAD_BYTES)
                if upload.size > limit:
                    raise ValidationError(
                        _("The file is larger than %(max)d MB.")
                        % {"max": max(limit // (1024 * 1024), 1)}, code="too_large")
                data, name = upload.read(), upload.name
                request.session["zone_import"] = {
                    "name": name, "data": base64.b64encode(data).decode("ascii"),
                }
            elif action == "apply" and "zone_import" in request.session:
                stored = request.session["zone_import"]
                data, name = base64.b64decode(stored["data"]), stored["name"]
            else:
                raise ValidationError(_("Choose a file to import."), code="required")
            report = importers.import_zones(
                data=data, filename=name, encoding=encoding, user=request.user,
                apply=action == "apply", reason=request.POST.get("reason", ""),
                into_changeset=True,  # staff imports are reviewed like every zone edit
            )
            applied = report.applied
            if applied:
                request.session.pop("zone_import", None)
            else:
                # Remember the verdict: "apply" is offered only for a file with no rejected row.
                request.session["zone_import"] = {
                    **request.session["zone_import"], "rejected": report.rejected}
            if action == "apply" and report.rejected:
                raise ValidationError(_(APPLY_REFUSED) % {"count": report.rejected},
                                      code="rejected_rows")
            if action == "apply" and not applied:
                raise ValidationError(_(NOTHING_TO_IMPORT), code="rejected_rows")
        except ValidationError as exc:
            error = " ".join(exc.messages)
            if getattr(exc, "code", None) not in ("rejected_rows", "required"):
                # An unreadable file is not kept for "apply".
                request.session.pop("zone_import", None)
    pending = None if applied else request.session.get("zone_import")
    return render(request, "markets/import.html", {
        "report": report, "error": error, "applied": applied, "encoding": encoding,
        "encodings": importers.ENCODINGS,
        "pending": pending["name"] if pending else None,
        # Rows the last dry run of the pending file rejected: apply is withheld while any are.
        "pending_rejected": pending.get("rejected", 0) if pending else 0,
    }, status=400 if error else 200)
