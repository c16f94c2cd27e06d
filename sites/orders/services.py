"""Writes of supervision orders: one function per step, each checking its own permission,
atomic and audited (django-simple-history records the user; geo.audit adds the address).

Who may do what (the permission matrix, tests/sites/test_orders_permissions.py):
- issue: leaders and the project office;
- sign, reply, submit: department staff of the addressed department;
- send back, close: the issuer or the project office;
superusers may do everything. Bad input raises ValidationError (400), a wrong role
PermissionDenied (403); neither changes anything.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Min
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo import errors as refusals
from geo import roles
from geo.models import Department, Leader
from sites.models import Blocker, LivelihoodWork, Project
from sites.orders import attachments
from sites.orders.models import (
    OPEN_STATES,
    OrderAttachment,
    OrderReply,
    OrderState,
    ReplyKind,
    Severity,
    SupervisionOrder,
)
from sites.orders.selectors import HolidaySets, current_light, current_work_light, holiday_sets

NO_ISSUE_ROLE = _("Only city leaders and the project office can issue supervision orders.")
NOT_ADDRESSEE = _("Only staff of %(department)s, the addressed department, can do this.")
NOT_ISSUER = _("Only the issuer of the order or the project office can do this.")
NOT_LEAD_DEPARTMENT = _(
    "An order goes to the lead department, %(department)s; %(other)s does not lead this."
)
DEADLINE_PAST = _("The deadline cannot be in the past.")
ONE_SUBJECT = _("An order concerns exactly one project or livelihood work.")
BLOCKER_OTHER_PROJECT = _("This blocker belongs to another project.")
BLOCKER_RESOLVED = _("This blocker is already resolved.")
BAD_STATE = _("This cannot be done to an order that is “%(state)s”.")
TEXT_REQUIRED = _("Write what was done (or why it is sent back).")
SUBJECT_REQUIRED = _("Give the order a subject.")
REQUIREMENT_REQUIRED = _("Say what the department must do.")
TOO_MANY_FILES = _("At most %(max)d attachments per reply.")
MAX_FILES = 10


def now() -> dt.datetime:
    """The clock (tests replace it)."""
    return timezone.now()


def _local(value: dt.datetime) -> dt.date:
    return timezone.localdate(value)


# --- permission questions (also used by the pages to show buttons) ---------------------------

def can_issue(user) -> bool:
    return roles.has_role(user, roles.LEADERS, roles.PROJECT_OFFICE)


def is_addressee(user, order: SupervisionOrder) -> bool:
    if user.is_authenticated and user.is_superuser and user.is_active:
        return True
    return (
        roles.has_role(user, roles.DEPARTMENT_STAFF)
        and roles.user_department_id(user) == order.department_id
    )


def is_reviewer(user, order: SupervisionOrder) -> bool:
    if roles.has_role(user, roles.PROJECT_OFFICE):
        return True
    return (
        user.is_authenticated and user.is_active and order.issued_by_id == user.pk
        and can_issue(user)
    )


def allowed_actions(user, order: SupervisionOrder) -> list[str]:
    """The actions ``user`` may take on ``order`` now (sign, reply, submit, send_back, close)."""
    acts = []
    if is_addressee(user, order):
        if order.state == OrderState.ISSUED:
            acts.append("sign")
        if order.state in REPLY_STATES:
            acts += ["reply", "submit"]
    if is_reviewer(user, order):
        if order.state == OrderState.SUBMITTED:
            acts.append("send_back")
        if order.state in CLOSE_STATES:
            acts.append("close")
    return acts


REPLY_STATES = (OrderState.SIGNED, OrderState.IN_PROGRESS, OrderState.RETURNED)
CLOSE_STATES = (OrderState.IN_PROGRESS, OrderState.SUBMITTED, OrderState.RETURNED)


def _check_addressee(user, order):
    if not is_addressee(user, order):
        raise PermissionDenied(NOT_ADDRESSEE % {"department": order.department})


def _check_reviewer(user, order):
    if not is_reviewer(user, order):
        raise PermissionDenied(NOT_ISSUER)


class StateConflict(refusals.StateConflict):
    """The step does not apply to the order's state now (the API answers 409)."""


def _check_state(order, allowed):
    if order.state not in allowed:
        raise StateConflict(BAD_STATE, code="bad_state",
                            params={"state": order.get_state_display()})


def _save(obj, user, reason: str) -> None:
    obj.full_clean()
    obj._history_user = user
    obj._change_reason = reason
    obj.save()


def default_deadline(severity: str, issued_on: dt.date, cal: HolidaySets | None = None) -> dt.date:
    """``settings.ORDER_DEADLINE_WORKING_DAYS[severity]`` working days after the issue date."""
    cal = cal or holiday_sets()
    return cal.add(issued_on, int(settings.ORDER_DEADLINE_WORKING_DAYS[severity]))


# --- steps ----------------------------------------------------------------------------------

@transaction.atomic
def order_issue(
    *, user: AbstractBaseUser, subject: str, requirement: str,
    project: Project | None = None, work: LivelihoodWork | None = None,
    blocker: Blocker | None = None, department: Department | None = None,
    severity: str = Severity.GENERAL, deadline: dt.date | None = None,
    leader: Leader | None = None,
) -> SupervisionOrder:
    """Issue an order to the lead department of ``project`` (or ``work``).

    ``department``, when given, must be that lead department. ``deadline`` defaults by severity
    (working days); ``leader`` defaults, for a leader's account, to the leader linked to that
    account (else the subject's responsible leader). The subject's light now is remembered with
    the order (for the light rules).
    """
    if not can_issue(user):
        raise PermissionDenied(NO_ISSUE_ROLE)
    if blocker is not None and project is None:
        project = blocker.project
    if (project is None) == (work is None):
        raise ValidationError(ONE_SUBJECT, code="one_subject")
    target = project or work
    errors: dict[str, ValidationError] = {}
    if department is not None and department.pk != target.lead_department_id:
        errors["department"] = ValidationError(
            NOT_LEAD_DEPARTMENT, code="not_lead",
            params={"department": target.lead_department, "other": department},
        )
    if blocker is not None:
        if blocker.project_id != project.pk:
            errors["blocker"] = ValidationError(BLOCKER_OTHER_PROJECT, code="blocker_project")
        elif blocker.resolved:
            errors["blocker"] = ValidationError(BLOCKER_RESOLVED, code="blocker_resolved")
    if severity not in Severity.values:
        errors["severity"] = ValidationError(
            _("Pick a severity: general, urgent or critical."), code="invalid_choice"
        )
    subject, requirement = (subject or "").strip(), (requirement or "").strip()
    if not subject:
        errors["subject"] = ValidationError(SUBJECT_REQUIRED, code="required")
    if not requirement:
        errors["requirement"] = ValidationError(REQUIREMENT_REQUIRED, code="required")
    at = now()
    today = _local(at)
    if deadline is not None and deadline < today:
        errors["deadline"] = ValidationError(DEADLINE_PAST, code="deadline_past")
    if errors:
        raise ValidationError(errors)
    if deadline is None:
        deadline = default_deadline(severity, today)
    if leader is None and roles.has_role(user, roles.LEADERS) and not user.is_superuser:
        # The issuing leader is the one who signs in with this account (Leader.account);
        # an account linked to no leader issues in the name of the subject's responsible one.
        leader = Leader.objects.filter(account=user).first() or target.leader
    order = SupervisionOrder(
        project=project, work=work, blocker=blocker, department=target.lead_department,
        issued_by=user, leader=leader, subject=subject, requirement=requirement,
        severity=severity, deadline=deadline, state=OrderState.ISSUED, issued_at=at,
        light_at_issue=current_light(project.pk) if project else current_work_light(work.pk),
    )
    _save(order, user, "order issued")
    return order


def _locked(order: SupervisionOrder) -> SupervisionOrder:
    return SupervisionOrder.objects.select_for_update().select_related("department").get(
        pk=order.pk
    )


@transaction.atomic
def order_sign(*, order: SupervisionOrder, user: AbstractBaseUser) -> SupervisionOrder:
    """签收: the addressed department acknowledges the order."""
    order = _locked(order)
    _check_addressee(user, order)
    _check_state(order, (OrderState.ISSUED,))
    order.state = OrderState.SIGNED
    order.signed_at = now()
    _save(order, user, "order signed")
    return order


def _add_reply(order, user, kind, text, files) -> OrderReply:
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise ValidationError({"files": ValidationError(TOO_MANY_FILES, code="too_many",
                                                        params={"max": MAX_FILES})})
    checked = []
    for f in files:
        try:
            checked.append((f, attachments.check(f)))
        except ValidationError as exc:
            raise ValidationError({"files": exc}) from None
    reply = OrderReply(order=order, author=user, kind=kind, text=text, created_at=now())
    _save(reply, user, f"order {kind}")
    for f, info in checked:
        att = OrderAttachment(
            reply=reply, original_name=(getattr(f, "name", "") or "")[-200:],
            content_type=info.content_type, size=info.size, exif_lon=info.lon,
            exif_lat=info.lat, exif_taken_at=info.taken_at,
        )
        # The stored name is ours (the sniffed type's extension), never the client's.
        ext = info.content_type.split("/")[1].replace("jpeg", "jpg")
        att.file.save(f"order{order.pk}-reply{reply.pk}.{ext}", f, save=False)
        att._history_user = user
        att.save()
    return reply


def _text(text: str | None, *, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError({"text": ValidationError(TEXT_REQUIRED, code="required")})
    return text


@transaction.atomic
def order_reply(*, order: SupervisionOrder, user: AbstractBaseUser, text: str,
                files=()) -> OrderReply:
    """A progress reply (text and photos/PDFs); a sent-back order goes back to in progress."""
    order = _locked(order)
    _check_addressee(user, order)
    _check_state(order, REPLY_STATES)
    text = _text(text, required=True)
    reply = _add_reply(order, user, ReplyKind.REPLY, text, files)
    order.state = OrderState.IN_PROGRESS
    _save(order, user, "order replied")
    return reply


@transaction.atomic
def order_submit(*, order: SupervisionOrder, user: AbstractBaseUser, text: str,
                 files=()) -> OrderReply:
    """The department reports the order done and asks for closure (销号)."""
    order = _locked(order)
    _check_addressee(user, order)
    _check_state(order, REPLY_STATES)
    text = _text(text, required=True)
    reply = _add_reply(order, user, ReplyKind.SUBMIT, text, files)
    order.state = OrderState.SUBMITTED
    order.submitted_at = now()
    _save(order, user, "order submitted")
    return reply


@transaction.atomic
def order_send_back(*, order: SupervisionOrder, user: AbstractBaseUser,
                    text: str) -> OrderReply:
    """The issuer finds the work not done: back to the department (returned)."""
    order = _locked(order)
    _check_reviewer(user, order)
    _check_state(order, (OrderState.SUBMITTED,))
    text = _text(text, required=True)
    reply = _add_reply(order, user, ReplyKind.SEND_BACK, text, ())
    order.state = OrderState.RETURNED
    _save(order, user, "order sent back")
    return reply


@transaction.atomic
def order_close(*, order: SupervisionOrder, user: AbstractBaseUser,
                text: str = "") -> SupervisionOrder:
    """销号: the issuer (or the project office) closes the order; its blocker is resolved."""
    order = _locked(order)
    _check_reviewer(user, order)
    _check_state(order, CLOSE_STATES)
    text = _text(text, required=False)
    at = now()
    _add_reply(order, user, ReplyKind.CLOSE, text, ())
    order.state = OrderState.CLOSED
    order.closed_at = at
    _save(order, user, "order closed")
    if order.blocker_id:
        blocker = Blocker.objects.select_for_update().get(pk=order.blocker_id)
        if not blocker.resolved:
            blocker.resolved = True
            blocker.resolved_on = max(_local(at), blocker.raised_on)
            _save(blocker, user, f"blocker resolved by closing order #{order.pk}")
    return order


@transaction.atomic
def escalate_overdue(*, at: dt.datetime | None = None, cal: HolidaySets | None = None) -> int:
    """Escalate every open order overdue by ORDER_ESCALATE_AFTER_WORKING_DAYS working days
    or more to its subject's responsible leader. Idempotent (each order escalates once);
    returns how many were escalated now."""
    at = at or now()
    today = _local(at)
    candidates = list(
        SupervisionOrder.objects.select_for_update(of=("self",))
        .filter(state__in=OPEN_STATES, escalated_at__isnull=True, deadline__lt=today)
        .select_related("project", "work")
    )
    if not candidates:
        return 0
    cal = cal or holiday_sets()
    after = int(settings.ORDER_ESCALATE_AFTER_WORKING_DAYS)
    done = 0
    for order in candidates:
        if cal.between(order.deadline, today) < after:
            continue
        order.escalated_at = at
        order.escalated_to_id = order.subject_object.leader_id
        order._history_user = None
        order._change_reason = "order escalated"
        order.save(update_fields=["escalated_at", "escalated_to"])
        done += 1
    return done


def needs_escalation_check(today: dt.date) -> bool:
    """Cheap test (one indexed EXISTS) before the lazy escalation on reads."""
    return SupervisionOrder.objects.filter(
        state__in=OPEN_STATES, escalated_at__isnull=True, deadline__lt=today
    ).exists()


# The first day on which an open, not yet escalated order can fall due for escalation, as this
# process last read it, and the day it read it: {"read_on": date, "due_on": date | None}.
# Read at most once a day per process (two queries), so a read with nothing due costs none.
# Why once a day is enough: an order issued later has a deadline no earlier than its issue day,
# so it falls due the next day at the soonest, and the next day reads again. Saves of orders
# in this process forget it (post_save / post_delete below); an edit in another process (a
# deadline moved earlier in the admin) waits for the next day here, or for the daily
# `manage.py escalate_orders`.
_next_due: dict[str, dt.date | None] = {}


def forget_next_due(**_kwargs) -> None:
    _next_due.clear()


def _first_due_on() -> dt.date | None:
    first = (
        SupervisionOrder.objects.filter(state__in=OPEN_STATES, escalated_at__isnull=True)
        .aggregate(first=Min("deadline"))["first"]
    )
    if first is None:
        return None
    after = int(settings.ORDER_ESCALATE_AFTER_WORKING_DAYS)
    # escalate_overdue: deadline < today and working days in (deadline, today] >= after.
    return max(holiday_sets().add(first, after), first + dt.timedelta(days=1))


def escalation_due(today: dt.date) -> bool:
    """Whether an order may fall due for escalation by ``today`` (no query once read today)."""
    if _next_due.get("read_on") != today:
        _next_due.update(read_on=today, due_on=_first_due_on())
    due_on = _next_due["due_on"]
    return due_on is not None and due_on <= today


def escalate_lazily() -> int:
    """Called when the inbox, the orders list and the staff's map layers are read; costs no
    query when nothing has fallen due (``escalation_due``)."""
    if not escalation_due(_local(now())):
        return 0
    done = escalate_overdue()
    _next_due.clear()  # the escalated orders no longer count: read again next time
    return done


post_save.connect(forget_next_due, sender=SupervisionOrder,
                  dispatch_uid="orders_forget_next_due_save")
post_delete.connect(forget_next_due, sender=SupervisionOrder,
                    dispatch_uid="orders_forget_next_due_delete")
