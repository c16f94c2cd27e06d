"""Night-economy market zones (后备箱集市, 跳蚤市场, night-food streets), closures, holidays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from geo.audit import AuditedHistory
from geo.models import Department, District, valid_geometry
from markets.calendar import HOLIDAY_KIND, WORKDAY_KIND, HolidayCalendar
from markets.schedule import ClosureSpan, HoursState, ZoneHours, local


class ZoneKind(models.TextChoices):
    TRUNK = "trunk", _("Trunk market")
    FLEA = "flea", _("Flea market")
    FOOD_STREET = "food_street", _("Night food street")
    NIGHT_MARKET = "night_market", _("Night market")


class ZoneStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    RETIRED = "retired", _("Retired")


PUBLIC_STATUSES = (ZoneStatus.ACTIVE, ZoneStatus.SUSPENDED)
# Zones whose boundaries may not overlap each other.
OCCUPYING_STATUSES = (ZoneStatus.ACTIVE, ZoneStatus.PROPOSED)


class MarketZone(models.Model):
    """A designated market zone with its boundary and operating rules."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=14, choices=ZoneKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ZoneStatus.choices, default=ZoneStatus.PROPOSED
    )
    boundary = models.MultiPolygonField(_("boundary"), srid=4326)
    address = models.CharField(_("address"), max_length=200, blank=True)
    district = models.ForeignKey(
        District, models.PROTECT, null=True, blank=True, related_name="market_zones",
        verbose_name=_("district"),
    )
    department = models.ForeignKey(
        Department, models.PROTECT, related_name="market_zones",
        verbose_name=_("managing department"),
    )
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    capacity = models.PositiveIntegerField(_("stall capacity"), null=True, blank=True)
    opening_hours = models.CharField(
        _("opening hours"), max_length=500, blank=True,
        help_text=_("OpenStreetMap opening_hours syntax, e.g. “May-Oct Fr-Su 18:00-24:00”."),
    )
    permitted_goods = models.JSONField(_("permitted goods"), default=list, blank=True)
    prohibited_goods = models.JSONField(_("prohibited goods"), default=list, blank=True)
    duties = models.JSONField(_("stallholder duties"), default=list, blank=True)
    vehicle_rules = models.TextField(_("vehicle rules"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    status_reason = models.CharField(_("reason for status"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("updated by"),
    )
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["name"]
        verbose_name = _("market zone")
        verbose_name_plural = _("market zones")
        constraints = [valid_geometry("boundary", "marketzone_boundary_valid")]

    def __str__(self) -> str:
        return self.name

    def state_at(
        self,
        moment: dt.datetime,
        *,
        calendar: HolidayCalendar,
        closures: Sequence[ClosureSpan],
    ) -> HoursState:
        """Open or not at ``moment`` (any zone; naive = Asia/Shanghai), with next change and text.

        The caller passes the holiday table and the zone's closures (``markets.selectors``
        reads them: ``load_calendar``, ``closures_by_zone``); the rule is parsed once per
        distinct string (markets.schedule caches it), closures override the hours and the
        calendar decides PH days. Layer endpoints evaluate many zones at once through
        markets.hours instead of calling this per zone.
        """
        hours = ZoneHours(
            opening_hours=self.opening_hours,
            status=self.status,
            status_reason=self.status_reason,
            closures=list(closures),
            calendar=calendar,
        )
        return hours.state_at(local(moment))


class Closure(models.Model):
    """A temporary closure that overrides the opening hours between start and end."""

    zone = models.ForeignKey(
        MarketZone, models.CASCADE, related_name="closures", verbose_name=_("zone")
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["zone", "start"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="closure_end_after_start",
                violation_error_message=_("A closure must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.zone}: {self.reason}"


class DayKind(models.TextChoices):
    HOLIDAY = HOLIDAY_KIND, _("Public holiday")
    WORKDAY = WORKDAY_KIND, _("Make-up working day")


class CalendarException(models.Model):
    """The staff-maintained holiday table: the source of truth for PH and make-up working days."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=50)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday or make-up working day")
        verbose_name_plural = _("holidays and make-up working days")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


# Registered with the markets app (issue 18); defined in their own package.
from markets.changesets.models import Changeset, ChangesetState, EditKind, ZoneEdit  # noqa: E402, F401

# Registered with the app: the reports subpackage's models live in markets/reports/models.py.
from markets.reports.models import Report  # noqa: E402, F401
