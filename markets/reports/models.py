"""A problem report from the public on a market zone, and its triage state."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from geo.audit import AuditedHistory

# Crockford's base32 (no I, L, O, U): read aloud or typed from a phone without ambiguity.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10  # 32**10 = 2**50 codes: guessing one of 10^5 live codes takes ~10^10 tries
MAX_TEXT_LENGTH = 500
MAX_PHONE_LENGTH = 20


def new_code() -> str:
    """A fresh ticket code: 10 Crockford base32 characters from the OS's CSPRNG."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class ReportCategory(models.TextChoices):
    BLOCKED_ROAD = "blocked_road", _("Blocked road or fire lane")
    LITTER = "litter", _("Litter")
    NOISE = "noise", _("Noise after hours")
    HAWKERS = "hawkers", _("Unlicensed hawkers")
    FOOD_SAFETY = "food_safety", _("Food safety")
    OTHER = "other", _("Other")


class ReportState(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    HANDLED = "handled", _("Handled")
    UNFOUNDED = "unfounded", _("Unfounded")


OPEN_STATES = (ReportState.NEW, ReportState.ASSIGNED)
CLOSED_STATES = (ReportState.HANDLED, ReportState.UNFOUNDED)


class Report(models.Model):
    """One report: what, where, optional photo and phone; who handles it and how it ended."""

    code = models.CharField(_("ticket code"), max_length=CODE_LENGTH, unique=True)
    zone = models.ForeignKey(
        "markets.MarketZone", models.PROTECT, related_name="reports", verbose_name=_("zone")
    )
    category = models.CharField(_("category"), max_length=14, choices=ReportCategory.choices)
    text = models.TextField(_("text"), max_length=MAX_TEXT_LENGTH, blank=True)
    point = models.PointField(_("location"), srid=4326, null=True, blank=True)
    # A re-encoded JPEG (no metadata); kept in the database so backups carry it.
    photo = models.BinaryField(_("photo"), null=True, blank=True, editable=False)
    # Personal data: staff only, blanked after settings.REPORT_PERSONAL_DATA_DAYS.
    phone = models.CharField(_("phone number"), max_length=MAX_PHONE_LENGTH, blank=True)
    personal_data_purged_at = models.DateTimeField(
        _("personal data deleted at"), null=True, blank=True
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ReportState.choices, default=ReportState.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    note = models.TextField(_("staff note"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("reported at"))
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The phone never enters the history tables (the purge could not reach it there), nor
    # the photo bytes (every state change would copy them).
    history = HistoricalRecords(bases=[AuditedHistory], excluded_fields=["phone", "photo"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("problem report")
        verbose_name_plural = _("problem reports")
        indexes = [models.Index(fields=["state", "created_at"], name="report_state_created")]

    def __str__(self) -> str:
        return self.code

    def due_at(self) -> dt.datetime:
        """When staff should have answered (settings.REPORT_RESPONSE_HOURS after reporting)."""
        return self.created_at + dt.timedelta(hours=settings.REPORT_RESPONSE_HOURS)

    def is_overdue(self, now: dt.datetime) -> bool:
        """Still open past its response time."""
        return self.state in OPEN_STATES and now > self.due_at()
