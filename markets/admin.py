"""Admin for market zones, their closures, and the holiday table."""

from __future__ import annotations

from django.contrib import admin

from geo.admin import MapHistoryAdmin
from markets.models import CalendarException, Closure, MarketZone


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0
    fields = ["start", "end", "reason", "created_by"]
    autocomplete_fields = ["created_by"]


@admin.register(MarketZone)
class MarketZoneAdmin(MapHistoryAdmin):
    list_display = [
        "name",
        "kind",
        "status",
        "district",
        "department",
        "capacity",
        "opening_hours",
        "version",
        "updated_at",
    ]
    list_filter = ["kind", "status", "district", "department"]
    list_select_related = ["district", "department"]
    search_fields = ["name", "address", "contact", "notes"]
    autocomplete_fields = ["district", "department"]
    readonly_fields = ["version", "updated_at", "updated_by"]
    inlines = [ClosureInline]

    def save_model(self, request, obj, form, change):
        """Save a zone edited in the admin.

        The hook where boundary saves are to go through the markets validation service
        (overlap, size, version, history reason) once it exists.
        """
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Closure)
class ClosureAdmin(MapHistoryAdmin):
    list_display = ["zone", "start", "end", "reason", "created_by"]
    list_filter = ["zone__kind", "zone"]
    list_select_related = ["zone", "created_by"]
    search_fields = ["zone__name", "reason"]
    autocomplete_fields = ["zone", "created_by"]
    date_hierarchy = "start"

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CalendarException)
class CalendarExceptionAdmin(MapHistoryAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "date"
