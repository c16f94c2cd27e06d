"""HTML pages of the markets app: the public market hours and the staff rule editor (thin)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.contrib.gis.db.models.functions import PointOnSurface
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from geo.page_cache import anonymous_page
from geo.roles import MARKET_SUPERVISION, URBAN_MANAGEMENT, has_role, is_staff_reader
from geo.security_headers import allow_geolocation
from markets import hours, schedule, selectors, services
from markets.changesets import services as changeset_services
from markets.forms import ClosureCancelForm, ClosureForm, GoodsForm, HoursForm, PublicFilterForm
from markets.models import Changeset, Closure, EditKind, MarketZone, ZoneEdit, ZoneKind

RULE_EDITORS = (URBAN_MANAGEMENT, MARKET_SUPERVISION)


def _public_strings() -> dict:
    """The translated words the public pages' scripts show."""
    return {
        "openNow": _("Open now"),
        "closed": _("Closed"),
        "metres": _("%(n)s m"),
        "locating": _("Finding your location…"),
        "located": _("Sorted by distance from you."),
        "denied": _("Your location is not available; the list stays in alphabetical order."),
        "unsupported": _(
            "This browser cannot share its location; the list stays in alphabetical order."
        ),
        # %(time)s is when the page was loaded (HH:MM, Beijing time).
        "offline": _("Offline: the list and hours as updated at %(time)s."),
        "offlineDetail": _("Offline: this page as updated at %(time)s."),
    }


@allow_geolocation  # "near me" (static/js/markets.js) asks for the visitor's position
# Anonymous visitors: once per minute of the clock and version of the data in each worker.
@anonymous_page("markets", selectors.ZONE_SOURCES, per_minute=True)
def public_list(request: HttpRequest) -> HttpResponse:
    """/markets/: every public market with its state now (or at ``at=``), list and map."""
    # Every filter is optional, so an empty query is a valid form; a bad one lists everything
    # (now) with the errors next to the fields, and a 400.
    form = PublicFilterForm(request.GET)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    kind, when = data.get("kind") or "", data.get("when") or ""
    status = 200 if valid else 400
    filters = selectors.ZoneFilters(kind=[kind] if kind else [])
    hours_filters = hours.HoursFilters(
        at=data.get("at_moment") or hours.parse_at(None),
        open_now=True if when == "now" else None,
        open_tonight=True if when == "tonight" else None,
    )
    # The page's JSON is public: words, not the raw OSM string.
    features = hours.hours_for(
        selectors.zone_features(filters, staff=False), hours_filters, staff=False
    )
    at_param = request.GET.get("at", "") if status == 200 else ""
    query = {"at": at_param} if at_param else {}
    for feature in features:
        feature["properties"]["url"] = reverse("market", args=[feature["id"]]) + (
            "?" + urlencode(query) if query else ""
        )
    context = {
        "form": form,
        "features": features,
        "collection": {"type": "FeatureCollection", "features": features},
        "evaluated_at": hours_filters.at,
        "loaded_at": timezone.localtime(),  # when this list was made: shown when offline
        "at_param": at_param,
        "strings": _public_strings(),
        "kinds": ZoneKind.choices,
    }
    return render(request, "markets/public_list.html", context, status=status)


def _zone_point(pk: int) -> tuple[float, float] | None:
    """A point inside the zone (WGS84 lon, lat), for directions."""
    row = (
        MarketZone.objects.filter(pk=pk)
        .annotate(p=PointOnSurface("boundary"))
        .values_list("p", flat=True)
        .first()
    )
    return (round(row.x, 6), round(row.y, 6)) if row is not None else None


def directions(name: str, point: tuple[float, float]) -> dict[str, str]:
    """Links to directions in Amap, Tencent and Baidu maps, and a geo: URI (RFC 5870).

    The coordinates stay WGS84: each app is told so (Amap ``coordinate=wgs84``, Tencent
    ``coord_type=1`` = GPS, Baidu ``coord_type=wgs84``) and shifts them to its own datum itself
    (GCJ-02, BD-09). Converting here with geo/gcj02.py as well would shift them twice.
    """
    lon, lat = point
    amap = "https://uri.amap.com/marker?" + urlencode(
        {"position": f"{lon},{lat}", "name": name, "coordinate": "wgs84", "callnative": "0"}
    )
    tencent = "https://apis.map.qq.com/uri/v1/marker?" + urlencode(
        {
            "marker": f"coord:{lat},{lon};title:{name};addr:",
            "coord_type": "1",
            "referer": "city-map-portal",
        }
    )
    baidu = "https://api.map.baidu.com/marker?" + urlencode(
        {
            "location": f"{lat},{lon}",
            "title": name,
            "content": name,
            "output": "html",
            "coord_type": "wgs84",
            "src": "webapp.city.map-portal",
        }
    )
    return {"amap": amap, "tencent": tencent, "baidu": baidu, "geo": f"geo:{lat},{lon}"}


# Anonymous visitors: as the list, once per minute of the clock and version of the data.
@anonymous_page("market", selectors.ZONE_SOURCES, per_minute=True)
def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """/markets/<id>/: hours for the next 7 days, closures, goods, duties, contact, directions."""
    try:
        at = hours.parse_at(request.GET.get("at"))
        at_error = None
    except ValidationError as exc:
        at = hours.parse_at(None)
        at_error = exc.message_dict["at"][0]
    feature = selectors.zone_feature(pk, staff=False)
    if feature is None:
        raise Http404(_("No such market."))
    calendar = selectors.load_calendar()
    start = at.date()
    closures = selectors.closures_by_zone([pk], since=schedule.midnight(start) - schedule.DAY)
    zone_hours = hours.hours_of(
        feature["properties"], closures=closures.get(pk, []), calendar=calendar
    )
    hours.with_hours([feature], hours.HoursFilters(at=at), calendar=calendar)
    props = feature["properties"]
    rule_text = props.pop("opening_hours", "")  # staff only; the page's JSON never carries it
    days = schedule.schedule_days(zone_hours, start, 7)
    point = _zone_point(pk)
    upcoming = [c for c in zone_hours.closures if c.end > at]
    context = {
        "feature": feature,
        "props": props,
        "days": days,
        "closures": upcoming,
        "links": directions(props["name"], point) if point else None,
        "point": point,
        "evaluated_at": at,
        "loaded_at": timezone.localtime(),
        "at_error": at_error,
        "at_param": request.GET.get("at", "") if at_error is None else "",
        "updated_at": dt.datetime.fromisoformat(props["updated_at"]),
        "show_rule": is_staff_reader(request.user),
        "rule_text": rule_text,
        "can_edit": has_role(request.user, *RULE_EDITORS),
        "can_edit_boundary": has_role(request.user, URBAN_MANAGEMENT),
        "strings": _public_strings(),
    }
    return render(request, "markets/public_detail.html", context, status=400 if at_error else 200)


# --- staff rule editing --------------------------------------------------------------------


def _editor_zone(request: HttpRequest, pk: int) -> MarketZone:
    if not has_role(request.user, *RULE_EDITORS):
        raise PermissionDenied(_("Only urban-management and market-supervision staff edit rules."))
    return get_object_or_404(MarketZone.objects.select_related("department", "updated_by"), pk=pk)


def _history(zone: MarketZone, limit: int = 20) -> list[dict]:
    """The zone's recent versions: when, who, why and which fields changed (the history
    page's differ, ``markets.selectors.zone_history``)."""
    return [
        {
            "version": version["version"],
            "date": dt.datetime.fromisoformat(version["date"]),
            "user": version["user"],
            "reason": version["reason"],
            "changed": [change["field"] for change in version["changes"]],
        }
        for version in selectors.zone_history(zone.pk)[:limit]
    ]


def _closure_history(zone: MarketZone, limit: int = 20) -> list:
    return list(
        Closure.history.filter(zone_id=zone.pk)
        .select_related("history_user")
        .order_by("-history_date")[:limit]
    )


def _form_error(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def rules_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """/staff/markets/<id>/rules/: hours, status and closures; goods and duties; history."""
    zone = _editor_zone(request, pk)
    can_hours = has_role(request.user, URBAN_MANAGEMENT)
    can_goods = has_role(request.user, MARKET_SUPERVISION)
    hours_form = HoursForm(zone=zone, prefix="hours")
    goods_form = GoodsForm(zone=zone, prefix="goods")
    closure_form = ClosureForm(prefix="closure")
    status = 200
    action = request.POST.get("action") if request.method == "POST" else None
    if action:
        form, call = _rules_action(request, zone, action)
        if form is None:
            return HttpResponse(status=400)
        if form.is_valid():
            try:
                result = call(form.cleaned_data)
            except services.VersionConflict as exc:
                form.add_error(None, exc.messages[0])
                status = 412
            except ValidationError as exc:
                _form_error(form, exc)
                status = 400
            else:
                # Hours and goods wait in a draft changeset (issue 18); closures act at once.
                draft = f"&changeset={result.changeset_id}" if isinstance(result, ZoneEdit) else ""
                return redirect(request.path + "?saved=" + action + draft)
        else:
            status = 400
        if action == "hours":
            hours_form = form
        elif action == "goods":
            goods_form = form
        elif action == "closure":
            closure_form = form
    zone.refresh_from_db()
    now = hours.parse_at(None)
    context = {
        "zone": zone,
        "can_hours": can_hours,
        "can_goods": can_goods,
        "hours_form": hours_form,
        "goods_form": goods_form,
        "closure_form": closure_form,
        "closures": zone.closures.filter(end__gt=now).order_by("start"),
        "cancel_form": ClosureCancelForm(),
        "history": _history(zone),
        "closure_history": _closure_history(zone),
        "saved": request.GET.get("saved", ""),
        "saved_changeset": _own_changeset(request),
        "editor_config": {
            "previewUrl": reverse("api-markets-preview"),
            "from": now.date().isoformat(),
            "strings": {
                "checking": _("Checking…"),
                "valid": _("The hours read correctly. The next 7 days:"),
                "closedDay": _("closed"),
                "error": _("Not understood"),
                "failed": _("The preview could not be loaded."),
                "holiday": _("holiday"),
                "workday": _("make-up working day"),
                "empty": _("No hours: the market will show “opening hours not published”."),
            },
        },
    }
    return render(request, "markets/rules_edit.html", context, status=status)


def _own_changeset(request: HttpRequest) -> int | None:
    raw = request.GET.get("changeset", "")
    if raw.isdigit() and Changeset.objects.filter(pk=int(raw), author=request.user).exists():
        return int(raw)
    return None


def _rules_action(request: HttpRequest, zone: MarketZone, action: str):
    """The bound form for ``action`` and the service call that applies it."""
    user = request.user
    if action == "hours":
        if not has_role(user, URBAN_MANAGEMENT):
            raise PermissionDenied(_(services.NOT_YOUR_FIELD) % {"field": _("hours")})
        form = HoursForm(request.POST, zone=zone, prefix="hours")
        return form, lambda d: changeset_services.changeset_propose(
            user=user,
            zone=zone,
            kind=EditKind.RULES,
            base_version=d["version"],
            comment=d["reason"],
            fields={k: d[k] for k in ("opening_hours", "status", "status_reason", "capacity")},
        )
    if action == "goods":
        if not has_role(user, MARKET_SUPERVISION):
            raise PermissionDenied(_(services.NOT_YOUR_FIELD) % {"field": _("goods")})
        form = GoodsForm(request.POST, zone=zone, prefix="goods")
        return form, lambda d: changeset_services.changeset_propose(
            user=user,
            zone=zone,
            kind=EditKind.RULES,
            base_version=d["version"],
            comment=d["reason"],
            fields={k: d[k] for k in ("permitted_goods", "prohibited_goods", "duties")},
        )
    if action == "closure":
        form = ClosureForm(request.POST, prefix="closure")
        return form, lambda d: services.closure_create(
            zone=zone, start=d["start"], end=d["end"], reason=d["reason"], user=user
        )
    if action == "cancel-closure":
        form = ClosureCancelForm(request.POST)

        def cancel(d: dict) -> None:
            closure = get_object_or_404(Closure, pk=d["closure"], zone=zone)
            services.closure_delete(closure=closure, user=user, reason=d["reason"])

        return form, cancel
    return None, None


def staff_index(request: HttpRequest) -> HttpResponse:
    """/staff/markets/rules/: the zones a rule editor may open."""
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={request.path}")
    if not has_role(request.user, *RULE_EDITORS):
        raise PermissionDenied
    zones = (
        selectors.visible_zones(staff=is_staff_reader(request.user))
        .select_related("department")
        .order_by("name")
    )
    return render(
        request,
        "markets/rules_index.html",
        {
            "zones": zones,
            "now": timezone.now(),
            "can_edit_boundary": has_role(request.user, URBAN_MANAGEMENT),
        },
    )
