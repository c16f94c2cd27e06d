"""A changeset: zone edits proposed together, reviewed by someone else, published atomically."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from geo.audit import AuditedHistory


class ChangesetState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for review")
    APPROVED = "approved", _("Approved")
    SENT_BACK = "sent_back", _("Sent back")
    PUBLISHED = "published", _("Published")


# Changesets still on their way to the public: two of them may not touch one zone at submit.
OPEN_STATES = (
    ChangesetState.DRAFT,
    ChangesetState.SUBMITTED,
    ChangesetState.APPROVED,
    ChangesetState.SENT_BACK,
)


class EditKind(models.TextChoices):
    CREATE = "create", _("New zone")
    UPDATE = "update", _("Reshape or change fields")
    RULES = "rules", _("Hours, goods or duties")
    RETIRE = "retire", _("Retirement")
    REINSTATE = "reinstate", _("Reinstatement of a retired zone")


class Changeset(models.Model):
    """One or more zone edits with a comment; the public sees none of them until published."""

    comment = models.CharField(_("comment"), max_length=500, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ChangesetState.choices, default=ChangesetState.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="changesets",
        verbose_name=_("author"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    publisher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    review_note = models.CharField(_("reason for sending back"), max_length=500, blank=True)
    # Aware; shown in Asia/Shanghai. Set when the publisher schedules instead of publishing now.
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    # Why the last scheduled publish did not happen (a stale base version, an overlap).
    publish_error = models.CharField(_("publish error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("zone changeset")
        verbose_name_plural = _("zone changesets")
        indexes = [models.Index(fields=["state", "publish_at"], name="changeset_due_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.comment}"


class ZoneEdit(models.Model):
    """One zone's proposed change: its base version and the new values, kept as data."""

    changeset = models.ForeignKey(
        Changeset, models.CASCADE, related_name="edits", verbose_name=_("changeset")
    )
    # Null for a new zone until the changeset is published (then the zone it created).
    zone = models.ForeignKey(
        "markets.MarketZone",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="edits",
        verbose_name=_("zone"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EditKind.choices)
    # The zone's version when the edit was drawn: publish refuses if the zone moved on.
    base_version = models.PositiveIntegerField(_("base version"), null=True, blank=True)
    # Proposed field values by name (department and district as ids), only those that change.
    fields = models.JSONField(_("proposed fields"), default=dict, blank=True)
    boundary = models.MultiPolygonField(_("proposed boundary"), srid=4326, null=True, blank=True)
    # The zone's version after publish (the history row this edit became).
    result_version = models.PositiveIntegerField(_("published version"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("zone edit")
        verbose_name_plural = _("zone edits")
        constraints = [
            models.UniqueConstraint(
                fields=["changeset", "zone"],
                condition=Q(zone__isnull=False),
                name="zoneedit_one_per_zone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.zone or self.fields.get('name', '')}"
