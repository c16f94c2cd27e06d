"""Supervision orders (督办单, issue #17): a leader or the project office orders the lead
department of a key project or livelihood work to act by a deadline.

Contract (read by the dashboard and the monthly briefing; keep it stable)
-------------------------------------------------------------------------
``SupervisionOrder``: its number is its pk (shown "#N"). Exactly one of ``project`` / ``work``
is set (CheckConstraint ``order_one_subject``). ``department`` is the addressed lead department
(the subject's lead department when issued). ``blocker`` (optional, projects only): closing the
order resolves it. ``leader`` is the issuing leader (NULL when the project office issues);
``escalated_to`` the responsible leader (包抓领导) it was escalated to, at ``escalated_at``.

States (``OrderState``): issued → signed (签收) → in_progress (after the first reply) →
submitted (for closure) → closed (销号); or submitted → returned (sent back), which goes back to
in_progress on the next reply. Open = every state but closed (``OPEN_STATES``).

Times: ``issued_at``, ``signed_at``, ``submitted_at``, ``closed_at``, ``escalated_at`` are aware
datetimes; dates are taken in Asia/Shanghai (``timezone.localdate(value)``). ``deadline`` is a
date (the last day to close on).

"On time" definitions (sites/orders/workdays.py counts working days from the holiday table,
``markets.models.CalendarException``; ``sites.orders.selectors.holiday_sets`` loads it):
- signed on time  = signed_at is not NULL and local date(signed_at) <=
                    add_working_days(local date(issued_at), 1)
                    (within 1 working day of issue);
- closed on time  = closed_at is not NULL and local date(closed_at) <= deadline;
- overdue now     = state != closed and today > deadline;
- days overdue    = (today - deadline) in calendar days (the light's reason "逾期 N 天");
- colour          = red when overdue, yellow when not closed and
                    working_days_between(today, deadline) <= 3, else green
                    (``sites.orders.selectors.order_colour``).
Escalation: an open order overdue by ``settings.ORDER_ESCALATE_AFTER_WORKING_DAYS`` working days
or more is escalated once (``escalated_at`` set) to its subject's responsible leader.

``OrderReply``: the thread (``kind``: reply / submit / send_back / close). ``OrderAttachment``:
a reply's file (image or PDF, at most 10 MB, checked by its first bytes), with the photo's EXIF
place (``exif_lon``/``exif_lat``, WGS84 as the camera wrote it) and time (``exif_taken_at``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from geo.audit import AuditedHistory
from geo.models import Department, Leader


class Severity(models.TextChoices):
    GENERAL = "general", _("General")
    URGENT = "urgent", _("Urgent")
    CRITICAL = "critical", _("Critical")


class OrderState(models.TextChoices):
    ISSUED = "issued", _("Issued")
    SIGNED = "signed", _("Signed for")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted for closure")
    CLOSED = "closed", _("Closed (销号)")
    RETURNED = "returned", _("Sent back")


OPEN_STATES = tuple(s.value for s in OrderState if s != OrderState.CLOSED)


class SupervisionOrder(models.Model):
    """A supervision order (督办单) to a project's or work's lead department."""

    project = models.ForeignKey(
        "sites.Project", models.CASCADE, null=True, blank=True, related_name="orders",
        verbose_name=_("project"),
    )
    work = models.ForeignKey(
        "sites.LivelihoodWork", models.CASCADE, null=True, blank=True, related_name="orders",
        verbose_name=_("livelihood work"),
    )
    blocker = models.ForeignKey(
        "sites.Blocker", models.SET_NULL, null=True, blank=True, related_name="orders",
        verbose_name=_("blocker"),
    )
    department = models.ForeignKey(
        Department, models.PROTECT, related_name="orders", verbose_name=_("addressed department")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="orders_issued",
        verbose_name=_("issued by"),
    )
    leader = models.ForeignKey(
        Leader, models.PROTECT, null=True, blank=True, related_name="orders_issued",
        verbose_name=_("issuing leader"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    requirement = models.TextField(_("requirement"))
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.GENERAL
    )
    deadline = models.DateField(_("deadline"))
    state = models.CharField(
        _("state"), max_length=12, choices=OrderState.choices, default=OrderState.ISSUED
    )
    # The subject's light when the order was issued: "a light that went red stays at least
    # yellow until its orders are closed" (sites/lights.py).
    light_at_issue = models.CharField(_("light when issued"), max_length=6, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        Leader, models.PROTECT, null=True, blank=True, related_name="orders_escalated",
        verbose_name=_("escalated to"),
    )
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        app_label = "sites"
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        indexes = [
            models.Index(fields=["state", "deadline"], name="order_state_deadline"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(project__isnull=False) & Q(work__isnull=True))
                | (Q(project__isnull=True) & Q(work__isnull=False)),
                name="order_one_subject",
                violation_error_message=_(
                    "An order concerns exactly one project or livelihood work."
                ),
            ),
            models.CheckConstraint(
                condition=Q(blocker__isnull=True) | Q(project__isnull=False),
                name="order_blocker_needs_project",
                violation_error_message=_("Only a project's order can carry a blocker."),
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(state="closed"),
                name="order_closed_at_when_closed",
                violation_error_message=_("Only a closed order has a closing time."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def number(self) -> str:
        return f"#{self.pk}"

    @property
    def subject_object(self):
        return self.project if self.project_id else self.work

    @property
    def is_open(self) -> bool:
        return self.state != OrderState.CLOSED


class ReplyKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    SUBMIT = "submit", _("Submitted for closure")
    SEND_BACK = "send_back", _("Sent back")
    CLOSE = "close", _("Closing note")


class OrderReply(models.Model):
    order = models.ForeignKey(
        SupervisionOrder, models.CASCADE, related_name="replies",
        verbose_name=_("supervision order"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="order_replies",
        verbose_name=_("author"),
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=ReplyKind.choices, default=ReplyKind.REPLY
    )
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        app_label = "sites"
        ordering = ["order", "created_at", "pk"]
        verbose_name = _("order reply")
        verbose_name_plural = _("order replies")

    def __str__(self) -> str:
        return f"#{self.order_id} {self.get_kind_display()}"


class OrderAttachment(models.Model):
    reply = models.ForeignKey(
        OrderReply, models.CASCADE, related_name="attachments", verbose_name=_("reply")
    )
    file = models.FileField(_("file"), upload_to="orders/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    exif_lon = models.FloatField(_("photo longitude"), null=True, blank=True)
    exif_lat = models.FloatField(_("photo latitude"), null=True, blank=True)
    exif_taken_at = models.DateTimeField(_("photo taken at"), null=True, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        app_label = "sites"
        ordering = ["reply", "pk"]
        verbose_name = _("order attachment")
        verbose_name_plural = _("order attachments")

    def __str__(self) -> str:
        return self.original_name or self.file.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
