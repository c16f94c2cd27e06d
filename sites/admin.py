"""Admin for key projects, their reports and blockers, and livelihood works."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from geo.admin import LabelledTabularInline, MapHistoryAdmin
from sites.models import Blocker, LivelihoodWork, Milestone, ProgressReport, Project
from sites.orders.models import OrderAttachment, OrderReply, SupervisionOrder


class ProgressReportInline(LabelledTabularInline):
    model = ProgressReport
    extra = 0
    fields = [
        "month",
        "stage",
        "completed_investment",
        "percent_complete",
        "note",
        "reporter",
        "reported_at",
    ]
    autocomplete_fields = ["reporter"]
    ordering = ["-month"]


class BlockerInline(LabelledTabularInline):
    model = Blocker
    extra = 0
    fields = ["kind", "description", "raised_on", "resolved", "resolved_on"]


@admin.register(Project)
class ProjectAdmin(MapHistoryAdmin):
    # A project is a point or a building footprint (the project_geom_type constraint).
    gis_widget_kwargs = {"attrs": {"shapes": "Point,Polygon"}}
    list_display = [
        "code",
        "name",
        "build_type",
        "stage",
        "lead_department",
        "leader",
        "percent_complete",
        "stats_status",
        "bond_status",
        "published",
    ]
    list_filter = [
        "plan_year",
        "stage",
        "build_type",
        "category",
        "stats_status",
        "bond_status",
        "published",
        "lead_department",
        "leader",
        "district",
    ]
    list_select_related = ["lead_department", "leader"]
    search_fields = ["code", "name", "description"]
    autocomplete_fields = ["lead_department", "leader", "district"]
    date_hierarchy = "planned_start"
    inlines = [ProgressReportInline, BlockerInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "code",
                    "name",
                    "plan_year",
                    "category",
                    "build_type",
                    "stage",
                    "description",
                    "published",
                ]
            },
        ),
        (_("Responsibility"), {"fields": ["lead_department", "leader", "district"]}),
        (
            _("Schedule"),
            {"fields": [("planned_start", "planned_end"), ("actual_start", "actual_end")]},
        ),
        (
            _("Investment (万元)"),
            {
                "fields": [
                    "total_investment",
                    "planned_investment_year",
                    "completed_investment_year",
                    "percent_complete",
                ]
            },
        ),
        (
            _("Statistical registration"),
            {"fields": ["stats_status", "stats_applied_on", "stats_registered_on"]},
        ),
        (
            _("Special-purpose bonds"),
            {"fields": ["bond_status", "bond_requested", "bond_approved"]},
        ),
        (_("Location"), {"fields": ["geom"]}),
    ]


@admin.register(ProgressReport)
class ProgressReportAdmin(MapHistoryAdmin):
    list_display = [
        "project",
        "month",
        "stage",
        "completed_investment",
        "percent_complete",
        "reporter",
        "reported_at",
    ]
    list_filter = ["stage", "month", "project__lead_department"]
    list_select_related = ["project", "reporter"]
    search_fields = ["project__code", "project__name", "note"]
    autocomplete_fields = ["project", "reporter"]
    date_hierarchy = "month"


@admin.register(Blocker)
class BlockerAdmin(MapHistoryAdmin):
    list_display = ["project", "kind", "description", "raised_on", "resolved", "resolved_on"]
    list_filter = ["kind", "resolved", "project__lead_department"]
    list_select_related = ["project"]
    search_fields = ["project__code", "project__name", "description"]
    autocomplete_fields = ["project"]


class MilestoneInline(LabelledTabularInline):
    model = Milestone
    extra = 0
    fields = ["seq", "name", "planned_date", "actual_date"]


@admin.register(LivelihoodWork)
class LivelihoodWorkAdmin(MapHistoryAdmin):
    list_display = [
        "code",
        "name",
        "programme",
        "category",
        "status",
        "lead_department",
        "leader",
        "percent_complete",
        "published",
    ]
    list_filter = [
        "programme",
        "category",
        "status",
        "published",
        "lead_department",
        "leader",
        "district",
    ]
    list_select_related = ["lead_department", "leader"]
    search_fields = ["code", "name", "description"]
    autocomplete_fields = ["lead_department", "leader", "district"]
    inlines = [MilestoneInline]


@admin.register(Milestone)
class MilestoneAdmin(MapHistoryAdmin):
    list_display = ["work", "seq", "name", "planned_date", "actual_date"]
    list_filter = ["work__programme", "work__category"]
    list_select_related = ["work"]
    search_fields = ["name", "work__code", "work__name"]
    autocomplete_fields = ["work"]
    date_hierarchy = "planned_date"


# Supervision orders (issue 17): worked on in /orders/; here to look up and read their history.
@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(MapHistoryAdmin):
    list_display = ["id", "subject", "department", "state", "deadline", "issued_at"]
    list_filter = ["state", "department"]
    search_fields = ["subject", "requirement"]
    date_hierarchy = "deadline"


@admin.register(OrderReply)
class OrderReplyAdmin(MapHistoryAdmin):
    list_display = ["order", "kind", "author", "created_at"]
    list_filter = ["kind"]
    search_fields = ["text"]


@admin.register(OrderAttachment)
class OrderAttachmentAdmin(MapHistoryAdmin):
    list_display = ["reply", "content_type", "size"]
