"""The project office's placement queue: projects not yet placed (待落图), placed by a map click
or by typed coordinates (WGS84, GCJ-02 or CGCS2000). Thin: sites.services.project_place writes.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from geo.models import CityBoundary
from sites import selectors, services
from sites.models import Project

NOT_NUMBERS = gettext_lazy(
    "Longitude and latitude must be numbers in decimal degrees, e.g. 98.2830 and 39.7910."
)
# "98.283,39.791" pasted from a picker into the longitude box: split it (Amap writes lon,lat).
_PAIR = re.compile(r"^\s*([^,，\s]+)\s*[,，\s]\s*([^,，\s]+)\s*$")


def _crs_choices() -> list[tuple[str, str]]:
    return [("wgs84", _("WGS84 (GPS, Tianditu, this map)")),
            ("gcj02", _("GCJ-02 (Amap, Tencent)")),
            ("cgcs2000", _("CGCS2000 (taken as WGS84)"))]


def _queue_context(request: HttpRequest, *, errors: dict[int, str] | None = None,
                   typed: dict | None = None) -> dict:
    boundary = CityBoundary.objects.first()
    return {
        "projects": selectors.unplaced_projects(),
        "crs_choices": _crs_choices(),
        "errors": errors or {},
        "typed": typed or {},
        "placement": {
            "city": boundary.geom.json if boundary else None,
            "strings": {
                "picked": _("Point picked for %(name)s: %(lon)s, %(lat)s (WGS84). "
                            "Press “Place” to save it."),
                "choose": _("Click the map where %(name)s is."),
            },
        },
    }


def _check_office(request: HttpRequest) -> None:
    if not services.can_place(request.user):
        raise PermissionDenied(str(services.ONLY_OFFICE_PLACES))


@require_safe
def unplaced_queue(request: HttpRequest) -> HttpResponse:
    """The queue: every project not yet placed, each with its own placing form."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    _check_office(request)
    return render(request, "sites/unplaced.html", _queue_context(request))


def _typed_point(lon_text: str, lat_text: str) -> Point:
    match = _PAIR.match(lon_text) if not lat_text.strip() else None
    if match:
        lon_text, lat_text = match.groups()
    try:
        lon, lat = (float(t.strip()) for t in (lon_text, lat_text))
    except ValueError:
        raise ValidationError(NOT_NUMBERS, code="not_numbers") from None
    return Point(lon, lat)


@require_POST
def project_place(request: HttpRequest, pk: int) -> HttpResponse:
    """Place one project (form fields lon, lat, crs); back to the queue, or 400 with why."""
    _check_office(request)  # anonymous users too: a refused write is a 403, not a login page
    project = get_object_or_404(Project, pk=pk)
    lon, lat = request.POST.get("lon", ""), request.POST.get("lat", "")
    crs = request.POST.get("crs", "wgs84")
    try:
        point = _typed_point(lon, lat)
        services.project_place(project=project, geom=point, user=request.user,
                               source_crs=crs)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        context = _queue_context(request, errors={project.pk: message},
                                 typed={"pk": project.pk, "lon": lon, "lat": lat, "crs": crs})
        context["error"] = _("%(project)s was not placed: %(reason)s") % {
            "project": project, "reason": message}
        return render(request, "sites/unplaced.html", context, status=400)
    messages.success(request, _("%(project)s is now on the map.") % {"project": project})
    return redirect("projects-unplaced")
