"""Admin for the reference data, and the map-enabled admin bases every app uses."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.utils.translation import gettext_noop
from simple_history.admin import SimpleHistoryAdmin

from geo.models import CityBoundary, Department, District, Leader, StaffProfile
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


@admin.register(Department)
class DepartmentAdmin(AuditedHistoryAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Leader)
class LeaderAdmin(AuditedHistoryAdmin):
    list_display = ["name", "title"]
    search_fields = ["name", "title"]


@admin.register(District)
class DistrictAdmin(MapHistoryAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(CityBoundary)
class CityBoundaryAdmin(MapHistoryAdmin):
    list_display = ["name"]


@admin.register(StaffProfile)
class StaffProfileAdmin(AuditedHistoryAdmin):
    list_display = ["user", "department"]
    list_filter = ["department"]
    list_select_related = ["user", "department"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "department__name"]
    autocomplete_fields = ["user", "department"]
