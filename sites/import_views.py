"""The staff page that imports projects and livelihood works: check (dry run), then import."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from geo import roles, uploads
from sites import importers

# The checked file waits in the shared (database) cache for the confirming POST, so any
# worker can finish the import; the token is bound to the user who checked it.
PENDING_SECONDS = 30 * 60
EXPIRED = gettext_lazy(
    "The checked file has expired or belongs to someone else; choose it and check it again."
)
NO_FILE = gettext_lazy("Choose a file to check.")


def _pending_key(user_id: int, token: str) -> str:
    return f"sites-import:{user_id}:{token}"


@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST action=check: a dry-run report. POST action=commit: the import."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not roles.has_role(request.user, roles.PROJECT_OFFICE):
        raise PermissionDenied(str(importers.ONLY_PROJECT_OFFICE))
    layers = [("projects", _("Key projects")), ("livelihood", _("Livelihood works"))]
    layer = request.POST.get("layer") or request.GET.get("layer") or "projects"
    context = {"layers": layers, "layer": layer,
               "max_mb": settings.IMPORT_MAX_UPLOAD_BYTES // 2**20,
               "column_tables": [{"layer": value, "title": title,
                                  "columns": importers.COLUMNS[value]}
                                 for value, title in layers]}
    if request.method == "GET":
        return render(request, "sites/import.html", context)
    try:
        if request.POST.get("action") == "commit":
            context |= _commit(request)
        else:
            context |= _check(request)
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, "sites/import.html", context, status=400)
    return render(request, "sites/import.html", context)


def _check(request: HttpRequest) -> dict:
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationError(NO_FILE, code="no_file")
    if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise ValidationError(
            importers.TOO_LARGE % {"max": settings.IMPORT_MAX_UPLOAD_BYTES // 2**20},
            code="too_large",
        )
    data = upload.read()
    # The importer goes by the bytes; a name that says otherwise is refused here.
    uploads.check_extension(data, upload.name)
    report = importers.sites_import(
        data=data, filename=upload.name, layer=request.POST.get("layer", ""),
        user=request.user, commit=False,
    )
    context = {"report": report}
    if report.ok:
        token = secrets.token_urlsafe(16)
        cache.set(_pending_key(request.user.pk, token), (report.layer, upload.name, data),
                  PENDING_SECONDS)
        context["token"] = token
    return context


def _commit(request: HttpRequest) -> dict:
    key = _pending_key(request.user.pk, request.POST.get("token", ""))
    pending = cache.get(key)
    if pending is None:
        raise ValidationError(EXPIRED, code="expired")
    layer, filename, data = pending
    report = importers.sites_import(
        data=data, filename=filename, layer=layer, user=request.user, commit=True
    )
    cache.delete(key)
    return {"report": report}
