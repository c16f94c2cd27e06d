"""HTML pages of the sites app (thin: data comes from the GeoJSON API)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from geo import roles, security_headers
from geo.models import Department, District, Leader
from geo.roles import is_staff_reader
from markets.models import ZoneKind, ZoneStatus
from sites import kpis, layers, lights, selectors, services
from sites.briefing import ranking
from sites.forms import BlockerForm, ProgressReportForm
from sites.models import (
    Blocker,
    BuildType,
    LivelihoodCategory,
    LivelihoodWork,
    Programme,
    Project,
    ProjectCategory,
    Stage,
    WorkStatus,
)
from sites.orders import selectors as order_selectors
from sites.orders import services as order_services


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def map_strings() -> dict:
    """The translated names the map's script shows: layers, legend labels, popup fields."""
    return {
        "layers": {
            "projects": _("Key projects"),
            "livelihood": _("Livelihood works"),
            "markets": _("Market zones"),
        },
        "labels": {
            "stage": _labels(Stage.choices),
            "programme": _labels(Programme.choices),
            "category": _labels(LivelihoodCategory.choices),
            "workStatus": _labels(WorkStatus.choices),
            "kind": _labels(ZoneKind.choices),
            "zoneStatus": _labels(ZoneStatus.choices),
            # Only labels: the lights themselves reach staff only, through the API.
            "milestoneLight": selectors.milestone_light_labels(),
        },
        "fields": {
            "code": _("Code"),
            "stage": _("Stage"),
            "lead_department": _("Lead department"),
            "programme": _("Programme"),
            "category": _("Category"),
            "status": _("Status"),
            "kind": _("Kind"),
            "opening_hours": _("Opening hours"),
            "next_change": _("Next change"),
            "percent_complete": _("Physical progress"),
            "total_investment": _("Total investment"),
            "completed_investment_year": _("Investment completed this year"),
            "next_milestone_date": _("Next milestone date"),
            "milestone_light": _("Milestone progress"),
        },
        "messages": {
            "legend": _("Legend"),
            "loaded": _("Map layers loaded."),
            "failed": _("Could not load:"),
            "details": _("Details"),
            "livelihoodLights": _("Livelihood works: milestone progress"),
        },
    }


def map_page(request: HttpRequest) -> HttpResponse:
    """The citywide map of projects, livelihood works and market zones."""
    return render(request, "sites/map.html", {
        "map_strings": map_strings(),
        "map_filters": map_filter_options(staff=is_staff_reader(request.user)),
        "map_user": map_user_config(request.user),
        "feature_list_strings": {
            "layers": map_strings()["layers"],
            # %(n)s: how many features the map shows (the table follows the filters).
            "count": _("(%(n)s)"),
        },
    })


# An id that stands for "the feature's id" in URL templates the map's script fills in.
URL_ID = 999999999999999999


def map_user_config(user) -> dict:
    """What the map's popups offer this user: report links (own department's projects, or
    every project for the project office) and zone edit links (urban management), with the
    URL templates (``URL_ID`` stands for the feature's id)."""
    department = roles.user_department_id(user)
    code = (
        Department.objects.filter(pk=department).values_list("code", flat=True).first()
        if department is not None and roles.has_role(user, roles.DEPARTMENT_STAFF) else None
    )
    return {
        "department": code,
        "reportAll": roles.has_role(user, roles.PROJECT_OFFICE),
        "editZones": roles.has_role(user, roles.URBAN_MANAGEMENT),
        "issueOrders": order_services.can_issue(user),
        "urlId": str(URL_ID),
        "urls": {
            "projectReport": reverse("project-detail", kwargs={"pk": URL_ID}) + "#report-form",
            "orderIssue": f"{reverse('order-new')}?project={URL_ID}",
            "orderIssueWork": f"{reverse('order-new')}?work={URL_ID}",
            "marketEdit": reverse("market-edit", kwargs={"pk": URL_ID}),
        },
        "strings": {"report": _("Report progress"), "edit": _("Edit"),
                    "issueOrder": _("Issue a supervision order"),
                    "openOrders": _("Open supervision orders"),
                    "overdueOrders": _("overdue")},
    }


def map_filter_options(*, staff: bool) -> dict:
    """Choices and labels of the map's filter panel and month slider (static/js/map_filters.js).

    Leaders and status lights are staff fields in the API, so their filters are staff-only:
    ``light`` (projects: green / yellow / red) and ``milestone_light`` (livelihood works: on
    time / late / done, sent to the livelihood API as its ``light``).
    """
    today = timezone.localdate()
    options = {
        "staff": staff,
        "months": [f"{today.year}-{m:02d}" for m in range(1, today.month + 1)],
        "choices": {
            "stage": _labels(Stage.choices),
            "build_type": _labels(BuildType.choices),
            "category": _labels(ProjectCategory.choices),
            "programme": _labels(Programme.choices),
            "department": dict(Department.objects.values_list("code", "name")),
            "district": dict(District.objects.values_list("code", "name")),
        },
        "strings": {
            "filters": _("Filters"), "all": _("All"), "search": _("Search name or code"),
            "code": _("Code"),
            "stage": _("Stage"), "build_type": _("New or continuing"),
            "category": _("Project category"), "programme": _("Livelihood programme"),
            "department": _("Lead department"), "district": _("District"),
            "leader": _("Responsible leader"), "light": _("Status light"),
            "month": _("Progress as of"), "now": _("Now"), "apply": _("Apply"),
            "reset": _("Clear filters"), "export": _("Printable battle map of this view"),
            "plannedStart": _("Planned start"), "actualStart": _("Actual start"),
            "plannedEnd": _("Planned end"), "actualEnd": _("Actual end"),
            "progress": _("Physical progress"), "investment": _("Investment this year"),
            "light_reasons": _("Why"), "nextMilestone": _("Next milestone"),
            "details": _("Details"), "onTrack": _("On track"), "report": _("Report progress"),
            "milestone": _("Milestone progress"), "milestone_light": _("Milestone progress"),
        },
    }
    if staff:
        options["choices"]["leader"] = {
            str(pk): name for pk, name in Leader.objects.values_list("pk", "name")
        }
        options["choices"]["light"] = {k: str(v) for k, v in lights.LIGHT_LABELS.items()}
        options["choices"]["milestone_light"] = selectors.milestone_light_labels()
        options["choices"]["orders"] = {"open": _("With open orders"),
                                        "overdue": _("With overdue orders")}
        options["strings"]["orders"] = _("Supervision orders")
    return options


# --- detail pages, progress reporting, dashboard, printable battle map -----------------------


def _page_strings() -> dict:
    """Labels the detail and dashboard scripts draw into charts and maps."""
    return {
        "plan": _("Plan (even monthly schedule)"),
        "actual": _("Reported cumulative investment"),
        "wan": _("10,000 yuan (万元)"),
        "startRate": _("Start rate (%)"),
        "completionRate": _("Investment completion rate (%)"),
        "green": _("Green"),
        "yellow": _("Yellow"),
        "red": _("Red"),
        "lights": _("Status lights"),
    }


def _attach_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError back on the form, field by field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _map_state(request: HttpRequest, *, quiet: bool = False) -> tuple[dt.date | None, str, bool]:
    """The map view a detail page was opened from: its month (``as_of``), the query string
    that leads back to that view, and whether ``as_of`` was refused (then it is dropped)."""
    kept = QueryDict(mutable=True)
    for key in selectors.MAP_STATE_KEYS:
        value = request.GET.get(key, "").strip()
        if value:
            kept[key] = value[:100]
    try:
        return selectors.parse_as_of(kept.get("as_of", "")), kept.urlencode(), False
    except ValidationError as exc:
        if not quiet:
            messages.error(request, " ".join(exc.messages))
        kept.pop("as_of")
        return None, kept.urlencode(), True


def _project_context(
    request: HttpRequest, pk: int, *, as_of: dt.date | None = None, map_query: str = "",
    **forms,
) -> dict:
    staff = is_staff_reader(request.user)
    feature = layers.project_page_feature(pk, staff=staff, as_of=as_of)
    if feature is None:
        raise Http404(_("No such project."))
    context = {"feature": feature, "props": feature["properties"], "staff": staff,
               "page_strings": _page_strings() if staff else {},
               "as_of": as_of, "map_query": map_query}
    page_data = {"geometry": feature["geometry"]}
    if staff:
        project = get_object_or_404(
            Project.objects.select_related("lead_department", "leader", "district"), pk=pk
        )
        can_report = services.can_report(request.user, project)
        chart = selectors.project_investment_chart(project)
        page_data["chart"] = chart
        context |= {
            "project": project,
            "can_report": can_report,
            "reports": selectors.project_reports(project),
            "blockers": selectors.project_blockers(project),
            "history": selectors.project_history(project),
            "report_form": forms.get("report_form") or ProgressReportForm(initial={
                "month": timezone.localdate().replace(day=1),
                "stage": project.stage,
                "completed_investment": project.completed_investment_year,
                "percent_complete": project.percent_complete,
                "actual_start": project.actual_start,
                "actual_end": project.actual_end,
            }),
            "blocker_form": forms.get("blocker_form") or BlockerForm(),
            **order_selectors.project_orders_context(request.user, project),
        }
    context["page_data"] = page_data
    return context


@require_safe
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A key project: figures, light and reasons, chart, blockers, reports, history, map.

    ``as_of=YYYY-MM`` (kept from the map) shows the stage, figures and light as of that month.
    """
    as_of, map_query, refused = _map_state(request)
    context = _project_context(request, pk, as_of=as_of, map_query=map_query)
    return render(request, "sites/project_detail.html", context, status=400 if refused else 200)


def _project_for_write(request: HttpRequest, pk: int) -> Project:
    if not request.user.is_authenticated:
        raise PermissionDenied(_("Log in to report progress."))
    return get_object_or_404(Project.objects.select_related("lead_department"), pk=pk)


@require_http_methods(["GET", "POST"])
def project_report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save a monthly report; a refusal re-renders the page with a banner, landing on the form.

    GET (a reload of the refused page, a bookmarked URL) goes to the project page's form. A user
    who may not report on this project (another department's) gets 403 before the form is read.
    """
    if request.method == "GET":
        return redirect(reverse("project-detail", kwargs={"pk": pk}) + "#report-form")
    project = _project_for_write(request, pk)
    services.check_can_report(request.user, project)
    form = ProgressReportForm(request.POST)
    if form.is_valid():
        try:
            report = services.progress_report_submit(project=project, user=request.user,
                                                     **form.cleaned_data)
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("Progress report for %(month)s saved.")
                             % {"month": report.month.strftime("%Y-%m")})
            return redirect("project-detail", pk=pk)
    messages.error(request, _("The report was not saved: correct the marked fields in the "
                              "report form below."))
    context = _project_context(request, pk, report_form=form)
    return render(request, "sites/project_detail.html", context, status=400)


@require_POST
def project_blocker_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project_for_write(request, pk)
    services.check_can_report(request.user, project)
    form = BlockerForm(request.POST)
    if form.is_valid():
        try:
            services.blocker_add(project=project, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("Blocker recorded."))
            return redirect("project-detail", pk=pk)
    context = _project_context(request, pk, blocker_form=form)
    return render(request, "sites/project_detail.html", context, status=400)


@require_POST
def blocker_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        raise PermissionDenied(_("Log in to resolve blockers."))
    blocker = get_object_or_404(Blocker, pk=pk)
    try:
        services.blocker_resolve(blocker=blocker, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Blocker resolved."))
    return redirect("project-detail", pk=blocker.project_id)


@require_safe
def my_projects(request: HttpRequest) -> HttpResponse:
    """Department staff: their department's projects, each with a link to its report form.

    The project office, leaders and admins see every department, with a department filter.
    """
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    sees_all = roles.has_role(user, roles.PROJECT_OFFICE, roles.LEADERS)
    if not sees_all and not roles.has_role(user, roles.DEPARTMENT_STAFF):
        raise PermissionDenied(
            _("This list is for department staff, the project office and leaders.")
        )
    departments = dict(Department.objects.order_by("code").values_list("code", "name"))
    own_code = None
    if not sees_all:
        own_id = roles.user_department_id(user)
        own_code = Department.objects.filter(pk=own_id).values_list("code", flat=True).first()
    chosen = request.GET.get("department", "").strip() if sees_all else own_code
    status = 200
    if sees_all and chosen and chosen not in departments:
        messages.error(request, _("Unknown department code: %(code)s.") % {"code": chosen[:30]})
        chosen, status = "", 400
    rows = [] if not sees_all and own_code is None else (
        selectors.department_project_rows(department_code=chosen or None)
    )
    may_report = roles.has_role(user, roles.PROJECT_OFFICE) or own_code is not None
    return render(request, "sites/my_projects.html", {
        "rows": rows, "sees_all": sees_all, "departments": departments, "chosen": chosen,
        "department_name": departments.get(own_code or chosen or "", ""),
        "no_department": not sees_all and own_code is None, "may_report": may_report,
    }, status=status)


@require_safe
def livelihood_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A livelihood work: figures, milestones (on time / late / done), map."""
    staff = is_staff_reader(request.user)
    as_of, map_query, refused = _map_state(request)
    feature = layers.livelihood_page_feature(pk, staff=staff, as_of=as_of)
    if feature is None:
        raise Http404(_("No such livelihood work."))
    work = get_object_or_404(LivelihoodWork, pk=pk)
    ref = lights.reference_date(as_of)  # the milestones' state on that month's last day
    milestones = []
    for m in work.milestones.all():
        reached = m.actual_date is not None and m.actual_date <= ref
        state = "done" if reached else ("late" if m.planned_date < ref else "on_time")
        milestones.append({"m": m, "state": state})
    return render(request, "sites/livelihood_detail.html", {
        "feature": feature, "props": feature["properties"], "staff": staff,
        "milestones": milestones, "page_data": {"geometry": feature["geometry"]},
        "milestone_labels": selectors.milestone_light_labels(),
        "as_of": as_of, "map_query": map_query, "work": work,
        **(order_selectors.work_orders_context(request.user, work) if staff else {}),
    }, status=400 if refused else 200)


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """KPI cards and tables by department and leader (staff; filters as on the map)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_staff_reader(request.user):
        raise PermissionDenied(_("The dashboard is for staff."))
    try:
        filters = selectors.parse_site_filters(request.GET, layer="projects")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        filters = selectors.SiteFilters()
    data = kpis.stats(filters, staff=True)
    # Narrowed to some projects, the ranking keeps to their departments.
    narrowed = filters != selectors.SiteFilters(as_of=filters.as_of)
    departments = ranking.ranked_departments(
        data["by_department"], month=filters.as_of, include_order_only=not narrowed
    )
    best, worst = ranking.best_and_worst(departments)
    _as_of, map_query, _refused = _map_state(request, quiet=True)
    kept = [(k, v) for k, v in QueryDict(map_query).items() if k != "as_of"]
    month = filters.as_of or timezone.localdate().replace(day=1)
    return render(request, "sites/dashboard.html", {
        "departments": departments, "best": best, "worst": worst,
        "briefing_month": month.strftime("%Y-%m"),
        "stats": data, "overall": data["overall"], "page_strings": _page_strings(),
        "as_of": request.GET.get("as_of", ""), "map_query": map_query, "kept_filters": kept,
        "light_labels": {k: str(v) for k, v in lights.LIGHT_LABELS.items()},
        "unplaced_count": selectors.unplaced_projects().count(),
    })


@require_safe
def battle_map_export(request: HttpRequest) -> HttpResponse:
    """The filtered projects and livelihood works as one self-contained folium HTML file."""
    from sites import printmap  # folium is heavy: imported only here (HOUSE_STYLE 5)

    staff = is_staff_reader(request.user)
    try:
        filters = selectors.parse_site_filters(request.GET, layer="projects")
        works_filter = selectors.parse_site_filters(
            printmap.livelihood_params(request.GET), layer="livelihood")
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400,
                            content_type="text/plain; charset=utf-8")
    if (filters.light or works_filter.light) and not staff:
        raise PermissionDenied(_("Status lights are for staff; log in to filter by light."))
    html = printmap.battle_map_html(filters, staff=staff, works_filter=works_filter)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'inline; filename="battle-map-{stamp}.html"'
    # Its Leaflet and scripts are inline by design (it is opened from file://): the portal's
    # policy would block them, so this response gets its own, allowing exactly those by hash.
    response["Content-Security-Policy"] = security_headers.self_contained_policy(html)
    return response
