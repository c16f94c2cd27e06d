"""Admin for market zones, their closures, and the holiday table."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geo.admin import LabelledTabularInline, MapHistoryAdmin
from markets import services
from markets.models import (
    CalendarException,
    Changeset,
    Closure,
    MarketZone,
    Report,
    ZoneEdit,
    ZoneStatus,
)

# Rule fields the admin form edits that go through zone_update_rules (role-checked there);
# everything else goes through zone_update / zone_create with the boundary.
ADMIN_RULE_FIELDS = ("opening_hours", *services.GOODS_FIELDS)


def zone_admin_write(
    *, zone_pk: int | None, data: dict, user, reason: str, expected_version: int | None,
) -> services.ZoneWriteResult | None:
    """Save an admin form's values through the zone services (same checks as the API).

    Only values that differ from the stored row are written, so the form's unchanged fields
    (and django-simple-history's "revert" form, whose initial values are an old version)
    never trip the role checks of fields the user did not touch.
    """
    if zone_pk is None:
        fields = {n: data[n] for n in services.EDITABLE_FIELDS if n in data}
        rules = {n: data[n] for n in ADMIN_RULE_FIELDS if n in data}
        return services.zone_create(boundary=data.get("boundary"), fields=fields, rules=rules,
                                    user=user, reason=reason or _("Created in the admin"))
    current = MarketZone.objects.get(pk=zone_pk)
    fields = {n: data[n] for n in services.EDITABLE_FIELDS
              if n in data and data[n] != getattr(current, n)}
    boundary = data.get("boundary")
    if boundary is not None and boundary.equals_exact(current.boundary, tolerance=0):
        boundary = None
    rules = {n: data[n] for n in ADMIN_RULE_FIELDS
             if n in data and data[n] != getattr(current, n)}
    result = None
    if fields or boundary is not None:
        result = services.zone_update(zone=current, expected_version=expected_version,
                                      user=user, reason=reason, boundary=boundary, fields=fields)
        expected_version = None  # the rules write below follows in the same transaction
    if rules:
        result = services.zone_update_rules(zone=current, data=rules,
                                            expected_version=expected_version, user=user,
                                            reason=reason)
    return result


class MarketZoneAdminForm(forms.ModelForm):
    """The zone form, validated by a rolled-back run of the real write (errors on the fields)."""

    change_reason = forms.CharField(
        label=gettext_lazy("Reason for this change"), max_length=services.REASON_MAX_LENGTH,
        required=False, help_text=gettext_lazy("Kept in the zone's history with your name."),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    request = None  # set by MarketZoneAdmin.get_form
    reverting = False

    class Meta:
        model = MarketZone
        fields = [
            "name", "kind", "status", "status_reason", "boundary", "address", "district",
            "department", "contact", "capacity", "opening_hours", "permitted_goods",
            "prohibited_goods", "duties", "vehicle_rules", "notes",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.reverting:
            self.fields["expected_version"].initial = self.instance.version

    def write(self) -> services.ZoneWriteResult | None:
        data = self.cleaned_data
        return zone_admin_write(
            zone_pk=self.instance.pk, data=data, user=self.request.user,
            reason=data.get("change_reason", ""),
            expected_version=None if self.reverting else data.get("expected_version"),
        )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if self.instance.pk and transaction.get_connection().in_atomic_block:
            # Hold the zone's row until the request's transaction ends (the admin's views
            # are atomic), so no one can change it between this trial write and save_model's
            # real one: a colleague's save waits instead of turning ours into an error page.
            list(MarketZone.objects.select_for_update().filter(pk=self.instance.pk)
                 .values_list("pk", flat=True))
        try:
            with transaction.atomic():
                self.write()
                transaction.set_rollback(True)  # a dry run: save_model writes for real
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                self.add_error(None, exc)
            else:
                for name, errors in exc.error_dict.items():
                    name = {"reason": "change_reason"}.get(name, name)
                    self.add_error(name if name in self.fields else None, errors)
        except PermissionDenied as exc:
            self.add_error(None, str(exc))
        return cleaned


class ClosureInline(LabelledTabularInline):
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

    form = MarketZoneAdminForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        match = getattr(request, "resolver_match", None)
        reverting = bool(match and (match.url_name or "").endswith("_simple_history"))
        return type(form.__name__, (form,), {"request": request, "reverting": reverting})

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Reverting to a version: atomic like the change form, so its row lock holds."""
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        """Save through markets.services (validated, versioned, audited), as the API does."""
        result = form.write()
        if result is not None:
            obj.pk = result.zone.pk
            obj._state.adding = False
            obj.refresh_from_db()
            for warning in result.warnings:
                messages.warning(request, warning)

    def delete_model(self, request, obj):
        """Deleting retires the zone (soft delete); it can be restored from its history."""
        if obj.status == ZoneStatus.RETIRED:
            messages.info(request, _("%(name)s was already retired.") % {"name": obj.name})
            return
        services.zone_retire(zone=obj, expected_version=None, user=request.user,
                             reason=_("Retired in the admin"))
        messages.info(request, _("%(name)s was retired, not deleted; it can be restored.")
                      % {"name": obj.name})

    def delete_queryset(self, request, queryset):
        for zone in queryset:
            self.delete_model(request, zone)


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


# Changesets, their edits (issue 18) and public reports: worked on in /staff/changesets/ and
# /staff/reports/; here to look up and read their history.
@admin.register(Changeset)
class ChangesetAdmin(MapHistoryAdmin):
    list_display = ["id", "comment", "state", "author", "reviewer", "publish_at"]
    list_filter = ["state"]
    search_fields = ["comment"]


@admin.register(ZoneEdit)
class ZoneEditAdmin(admin.ModelAdmin):
    list_display = ["changeset", "zone", "kind", "base_version", "result_version"]
    list_filter = ["kind"]


@admin.register(Report)
class ReportAdmin(MapHistoryAdmin):
    list_display = ["code", "zone", "category", "state", "created_at"]
    list_filter = ["state", "category"]
    search_fields = ["code", "text"]
