"""The admin's page of the latest changes across the portal (/admin/audit/), superusers only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geo.recent_changes import Change, audited_models, recent_changes

PAGE_SIZE = 50
KIND_NAMES = {"+": gettext_lazy("created"), "~": gettext_lazy("changed"),
              "-": gettext_lazy("deleted")}


class ChangeFilterForm(forms.Form):
    model = forms.ChoiceField(label=gettext_lazy("Kind of record"), required=False)
    user = forms.CharField(label=gettext_lazy("User name"), required=False, max_length=150)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("All"))] + [
            (model._meta.label_lower, f"{model._meta.app_config.verbose_name} · "
                                      f"{capfirst(model._meta.verbose_name)}")
            for model in audited_models()
        ]


def _admin_url(change: Change, view: str) -> str | None:
    app_label, model_name = change.model_label.split(".")
    try:
        return reverse(f"admin:{app_label}_{model_name}_{view}", args=[change.object_id])
    except NoReverseMatch:
        return None


def _row(change: Change, model_names: dict[str, str]) -> dict:
    return {
        "change": change,
        "kind_name": KIND_NAMES.get(change.kind, change.kind),
        "model_name": model_names[change.model_label],
        # A deleted row has no change page left; its history page still lists every version.
        "change_url": None if change.kind == "-" else _admin_url(change, "change"),
        "history_url": _admin_url(change, "history"),
    }


def _model_names() -> dict[str, str]:
    return {model._meta.label_lower: capfirst(model._meta.verbose_name)
            for model in audited_models()}


def _latest_changes(request: HttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise PermissionDenied(_("Only administrators can read the latest changes."))
    form = ChangeFilterForm(request.GET)
    if not form.is_valid():
        context = {**admin.site.each_context(request), "title": _("Latest changes"),
                   "form": form, "page": None, "rows": []}
        return render(request, "geo/admin_audit.html", context, status=400)
    filters = {key: form.cleaned_data[key] for key in ("model", "user") if form.cleaned_data[key]}
    page = recent_changes(
        model_label=filters.get("model"), username=filters.get("user"),
        page=form.cleaned_data["page"] or 1, page_size=PAGE_SIZE,
    )
    query = urlencode(filters)
    model_names = _model_names()
    context = {
        **admin.site.each_context(request),
        "title": _("Latest changes"),
        "form": form,
        "page": page,
        "rows": [_row(change, model_names) for change in page.changes],
        "filter_query": f"{query}&" if query else "",
    }
    return render(request, "geo/admin_audit.html", context)


# admin_view: the admin's own sign-in redirect, never_cache and CSRF for the page.
latest_changes = admin.site.admin_view(_latest_changes)
