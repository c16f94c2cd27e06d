"""HTML pages for reports (thin): the public form and status page, the staff triage page.

The form is a page of its own (/markets/<id>/report/), linked from the market's page: its
CSRF token sets a cookie, which makes an answer private (geo/cache_headers.py), and the market
page must stay one public copy for everyone.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache

from geo import errors as refusals
from geo.roles import URBAN_MANAGEMENT, has_role
from markets import selectors as zone_selectors
from markets.models import PUBLIC_STATUSES, MarketZone
from markets.reports import selectors, services
from markets.reports.api import BODY_TOO_LARGE, MAX_BODY_BYTES
from markets.reports.forms import HONEYPOT, AssignForm, NoteForm, ReportForm, StaffFilterForm
from markets.reports.models import ReportState
from markets.reports.throttling import report_allowed

HONEYPOT_FILLED = gettext_noop("The report was not sent. Leave the last field empty.")
TOO_MANY = gettext_noop(
    "Too many reports from your connection in the last minute. Try again in %(seconds)s s."
)


def _form_errors(form, exc: ValidationError) -> None:
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _zone_feature(zone: MarketZone) -> dict:
    feature = zone_selectors.zone_feature(zone.pk, staff=False)
    return {
        "type": "Feature",
        "id": zone.pk,
        "geometry": feature["geometry"],
        "properties": {"name": zone.name},
    }


@never_cache
def report_form(request: HttpRequest, pk: int) -> HttpResponse:
    """/markets/<id>/report/: report a problem (GET the form, POST it)."""
    zone = get_object_or_404(MarketZone, pk=pk, status__in=PUBLIC_STATUSES)
    days = settings.REPORT_PERSONAL_DATA_DAYS
    status = 200
    extra_error = None
    headers = {}
    if request.method == "POST":
        allowed, wait = report_allowed(request)
        length = request.META.get("CONTENT_LENGTH") or "0"
        form = None
        if not allowed:
            status, extra_error = 429, _(TOO_MANY) % {"seconds": wait}
            headers["Retry-After"] = str(wait)
        elif not length.isdigit() or int(length) > MAX_BODY_BYTES:
            status, extra_error = 413, _(BODY_TOO_LARGE)
        else:
            form = ReportForm(request.POST, request.FILES, retention_days=days)
            if form.is_valid():
                data = form.cleaned_data
                if data[HONEYPOT]:
                    form.add_error(None, _(HONEYPOT_FILLED))
                else:
                    try:
                        report = services.report_create(
                            zone=zone,
                            category=data["category"],
                            text=data["text"],
                            point=_point(data["point"]),
                            phone=data["phone"],
                            photo=data["photo"].read() if data["photo"] else None,
                        )
                    except ValidationError as exc:
                        _form_errors(form, exc)
                    else:
                        return redirect(f"/reports/{report.code}/?new=1")
            status = 400
        if form is None:
            form = ReportForm(retention_days=days)
    else:
        form = ReportForm(retention_days=days)
    context = {
        "zone": zone,
        "form": form,
        "extra_error": extra_error,
        "zone_feature": _zone_feature(zone),
        "strings": {"tapped": _("Point set. Tap again to move it."), "cleared": _("No point set.")},
    }
    response = render(request, "markets/reports/form.html", context, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _point(text: str) -> Point | None:
    if not text:
        return None
    lon, lat = (float(v) for v in text.split(","))
    return Point(lon, lat, srid=4326)


@never_cache
def report_status(request: HttpRequest, code: str) -> HttpResponse:
    """/reports/<code>/: the state of a report for whoever holds the code."""
    report = selectors.report_by_code(code)
    if report is None:
        raise Http404(_("No report has this code."))
    if report.code != code:
        return redirect(f"/reports/{report.code}/")
    return render(
        request,
        "markets/reports/status.html",
        {
            "report": report,
            "data": selectors.public_dict(report),
            "new": request.GET.get("new") == "1",
        },
    )


@never_cache
def report_lookup(request: HttpRequest) -> HttpResponse:
    """/reports/?code=…: find a report by the code its reporter kept."""
    code = request.GET.get("code", "")
    error = None
    if code:
        report = selectors.report_by_code(code)
        if report is not None:
            return redirect(f"/reports/{report.code}/")
        error = _("No report has this code.")
    return render(
        request,
        "markets/reports/lookup.html",
        {"code": code, "error": error},
        status=404 if error else 200,
    )


def _triager_required(view):
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not has_role(request.user, URBAN_MANAGEMENT):
            raise PermissionDenied(_(services.NOT_TRIAGER))
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


ACTIONS = ("assign", "handle", "unfounded")


@never_cache
@_triager_required
def staff_reports(request: HttpRequest) -> HttpResponse:
    """/staff/reports/: every report on a map and in a list, filtered; triage actions."""
    zones = list(MarketZone.objects.order_by("name", "pk"))
    filter_form = StaffFilterForm(request.GET, zones=zones)
    status = 200
    if filter_form.is_valid():
        data = filter_form.cleaned_data
        filters = selectors.ReportFilters(
            state=[data["state"]] if data["state"] else [],
            zone=data["zone"],
            overdue=True if data["overdue"] else None,
        )
    else:
        filters, status = selectors.ReportFilters(state=[]), 400
    now = timezone.now()
    reports = list(selectors.staff_reports(filters, now=now))
    rows = [selectors.staff_dict(r, now=now) for r in reports]
    points = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": row["id"],
                "geometry": row["point"],
                "properties": {
                    "code": row["code"],
                    "category": row["category_label"],
                    "state": row["state"],
                    "state_label": row["state_label"],
                    "overdue": row["overdue"],
                    "zone": row["zone"]["name"],
                },
            }
            for row in rows
            if row["point"]
        ],
    }
    counts = selectors.counts_by_zone(now=now)
    zone_counts = [{"zone": z, **counts[z.pk]} for z in zones if z.pk in counts]
    return render(
        request,
        "markets/reports/staff_list.html",
        {
            "filter_form": filter_form,
            "rows": rows,
            "points": points,
            "zone_counts": zone_counts,
            "assign_form": AssignForm(),
            "note_form": NoteForm(),
            "response_hours": settings.REPORT_RESPONSE_HOURS,
            "done": request.GET.get("done", ""),
            "states": ReportState,
        },
        status=status,
    )


@_triager_required
def staff_report_action(request: HttpRequest, pk: int) -> HttpResponse:
    """POST /staff/reports/<id>/: assign, handle or mark unfounded; back to the list."""
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    report = selectors.staff_report(pk)
    if report is None:
        raise Http404(_("No such report."))
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return HttpResponse(_("Unknown action."), status=400, content_type="text/plain")
    user = request.user
    try:
        if action == "assign":
            form = AssignForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"assignee": form.errors.get("assignee", [])})
            services.report_assign(report=report, assignee=form.cleaned_data["assignee"], user=user)
        else:
            form = NoteForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"note": form.errors.get("note", [])})
            note = form.cleaned_data["note"]
            if action == "handle":
                services.report_handle(report=report, user=user, note=note)
            else:
                services.report_mark_unfounded(report=report, user=user, note=note)
    except ValidationError as exc:
        messages = [m for ms in exc.message_dict.values() for m in ms]
        return render(
            request,
            "markets/reports/refused.html",
            {
                "report": report,
                "messages_list": messages,
            },
            status=refusals.http_status(exc),
        )
    return redirect(f"/staff/reports/?done={report.code}#report-{report.pk}")


@never_cache
@_triager_required
def staff_report_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """The report's photo (already stripped of metadata), for staff only."""
    report = selectors.staff_report(pk)
    data = selectors.photo_bytes(report) if report is not None else None
    if data is None:
        raise Http404(_("This report has no photo."))
    return HttpResponse(data, content_type="image/jpeg")
