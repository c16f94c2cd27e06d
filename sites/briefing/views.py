"""The briefing's page and downloads (staff; thin: figures, prose and documents do the work)."""

from __future__ import annotations

import base64

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from geo.roles import is_staff_reader
from sites.briefing import figures, mapimage, prose

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _check_staff(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_staff_reader(request.user):
        raise PermissionDenied(_("The monthly briefing is for staff."))
    return None


def _briefing(request: HttpRequest):
    """The month's briefing and its map, read in Chinese (the document's language)."""
    month = figures.parse_month(request.GET)
    with translation.override("zh-hans"):  # the lights' reasons are written by the database
        briefing = figures.briefing_for(month)
        png = mapimage.red_projects_png(mapimage.briefing_points(briefing.red_projects))
    return briefing, png


def _bad_month(exc: ValidationError) -> HttpResponse:
    return HttpResponse(
        " ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8"
    )


@require_safe
def briefing_page(request: HttpRequest) -> HttpResponse:
    """``/briefing/?month=YYYY-MM``: the month's briefing with its Word and PDF downloads."""
    if response := _check_staff(request):
        return response
    try:
        briefing, png = _briefing(request)
    except ValidationError as exc:
        return render(
            request,
            "sites/briefing.html",
            {
                "error": " ".join(exc.messages),
                "month_value": request.GET.get("month", "")[:7],
            },
            status=400,
        )
    query = urlencode({"month": briefing.month.strftime("%Y-%m")})
    with translation.override("zh-hans"):
        sections, title = prose.sections(briefing), prose.title(briefing)
    return render(
        request,
        "sites/briefing.html",
        {
            "briefing": briefing,
            "title": title,
            "sections": sections,
            "month_value": briefing.month.strftime("%Y-%m"),
            "map_src": "data:image/png;base64," + base64.b64encode(png).decode(),
            "map_caption": prose.MAP_CAPTION,
            "docx_url": f"{reverse('briefing-docx')}?{query}",
            "pdf_url": f"{reverse('briefing-pdf')}?{query}",
        },
    )


def _download(request: HttpRequest, *, kind: str) -> HttpResponse:
    if response := _check_staff(request):
        return response
    try:
        briefing, png = _briefing(request)
    except ValidationError as exc:
        return _bad_month(exc)
    with translation.override("zh-hans"):
        if kind == "docx":
            from sites.briefing.word import briefing_docx  # python-docx only here

            body, content_type = briefing_docx(briefing, map_png=png), DOCX
        else:
            from sites.briefing.pdf import briefing_pdf  # WeasyPrint only here

            body, content_type = briefing_pdf(briefing, map_png=png), "application/pdf"
    response = HttpResponse(body, content_type=content_type)
    name = f"briefing-{briefing.month:%Y-%m}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
def briefing_docx(request: HttpRequest) -> HttpResponse:
    return _download(request, kind="docx")


@require_safe
def briefing_pdf(request: HttpRequest) -> HttpResponse:
    return _download(request, kind="pdf")
