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


class MapHistoryAdmin(SimpleHistoryAdmin, MapAdmin):
    """MapAdmin with django-simple-history's history and revert views."""

    # Beside simple-history's date, user, kind and reason: the address (geo.audit). Its
    # template heads the column with {% trans column %}, so the column's name is a msgid.
    history_list_display = [gettext_noop("client_address")]

    def client_address(self, record) -> str:
        return record.history_client_ip or "—"


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Leader)
class LeaderAdmin(admin.ModelAdmin):
    list_display = ["name", "title"]
    search_fields = ["name", "title"]


@admin.register(District)
class DistrictAdmin(MapAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(CityBoundary)
class CityBoundaryAdmin(MapAdmin):
    list_display = ["name"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "department"]
    list_filter = ["department"]
    list_select_related = ["user", "department"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "department__name"]
    autocomplete_fields = ["user", "department"]
