"""Admin for the reference data, and the map-enabled admin bases every app uses."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.gis.admin import GISModelAdmin
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from simple_history.admin import SimpleHistoryAdmin

from geo.models import (
    CityBoundary,
    ContextFeature,
    Department,
    District,
    Leader,
    RateCounter,
    StaffProfile,
)
from geo.widgets import LeafletGeometryWidget


class MapAdmin(GISModelAdmin):
    """A ModelAdmin whose geometry fields use the local Leaflet widget (no CDN)."""

    gis_widget = LeafletGeometryWidget


class AuditedHistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's history and revert views, with the client address (geo.audit)."""

    # simple-history's template heads the column with {% trans column %}: the name is a msgid.
    history_list_display = [gettext_noop("client_address")]

    def client_address(self, record) -> str:
        return record.history_client_ip or "—"


class MapHistoryAdmin(AuditedHistoryAdmin, MapAdmin):
    """MapAdmin with the history views."""


def _name_widget(widget, name) -> None:
    """Give ``widget`` (and the inputs inside it) the accessible name ``name``."""
    widget = getattr(widget, "widget", widget)  # inside a RelatedFieldWidgetWrapper
    if isinstance(widget, AdminSplitDateTime):
        date, time = widget.widgets
        date.attrs["aria-label"] = format_lazy("{} · {}", name, _("Date"))
        time.attrs["aria-label"] = format_lazy("{} · {}", name, _("Time"))
    else:  # a MultiWidget hands its attrs to each of its inputs
        widget.attrs["aria-label"] = name


class LabelledInlineFormSet(BaseInlineFormSet):
    """An inline formset whose "delete" boxes carry their name (the column heads them only)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            _name_widget(form.fields["DELETE"].widget, capfirst(form.fields["DELETE"].label))


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs carry their column's name.

    Django's tabular rows have no <label>: the column heading names a cell for the eye only,
    and a screen reader hears "edit text" in each (axe-core: label, select-name). Each input
    gets its column's name as aria-label; a date and time pair says which half it is.
    """

    formset = LabelledInlineFormSet

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            _name_widget(field.widget, capfirst(field.label))
        return field


@admin.register(Department)
class DepartmentAdmin(AuditedHistoryAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Leader)
class LeaderAdmin(AuditedHistoryAdmin):
    list_display = ["name", "title", "account"]
    list_select_related = ["account"]
    search_fields = ["name", "title", "account__username"]
    # The sign-in whose inbox receives this leader's escalated orders.
    autocomplete_fields = ["account"]


@admin.register(District)
class DistrictAdmin(MapHistoryAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(CityBoundary)
class CityBoundaryAdmin(MapHistoryAdmin):
    list_display = ["name"]


@admin.register(ContextFeature)
class ContextFeatureAdmin(MapHistoryAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(StaffProfile)
class StaffProfileAdmin(AuditedHistoryAdmin):
    list_display = ["user", "department"]
    list_filter = ["department"]
    list_select_related = ["user", "department"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "department__name"]
    autocomplete_fields = ["user", "department"]


@admin.register(RateCounter)
class RateCounterAdmin(admin.ModelAdmin):
    """Who is being rate-limited now: read-only; deleting a client's rows lifts its limit."""

    list_display = ["scope", "ident", "window_started", "hits"]
    list_filter = ["scope"]
    search_fields = ["ident"]
    ordering = ["-window_start", "-hits"]

    @admin.display(description=_("window start"), ordering="window_start")
    def window_started(self, counter: RateCounter) -> str:
        moment = dt.datetime.fromtimestamp(counter.window_start, tz=dt.UTC)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
