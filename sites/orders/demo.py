"""The demo city's supervision orders (geo.demo stage "activity"): one overdue and escalated,
one due soon (yellow), one closed — so the staff map's badges and the inbox show something.

Dates are relative to the day of the load; orders are matched by subject (safe to repeat).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.utils import timezone

from geo.models import Leader
from sites import lights
from sites.models import Project
from sites.orders.models import OrderReply, OrderState, ReplyKind, Severity, SupervisionOrder
from sites.orders.selectors import holiday_sets

CHANGE_REASON = "demo city (load_demo)"


def _aware(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def load_orders(result, reference) -> None:
    users = {u.username: u for u in User.objects.filter(username__in=("leader", "office",
                                                                     "dept"))}
    if len(users) < 3:
        return
    dept_id = users["dept"].staff_profile.department_id
    red = list(
        lights.annotate(Project.objects.filter(lead_department_id=dept_id), as_of=None)
        .filter(light=lights.RED).order_by("code")
    )
    if len(red) < 3:
        red = list(Project.objects.filter(lead_department_id=dept_id).order_by("code"))
    if len(red) < 3:
        return
    # The escalated order (the first) goes to a project of the leader who signs in as
    # `leader` (Leader.account, fixtures/accounts.json), so that inbox shows the escalation.
    linked = Leader.objects.filter(account=users["leader"]).values_list("pk", flat=True).first()
    red = sorted(red, key=lambda p: p.leader_id != linked)[:3]
    cal = holiday_sets()
    today = timezone.localdate()
    specs = [
        # subject, project, issued (working days ago), deadline (working days from today),
        # state, escalate, issuer
        ("督促尽快开工（演示：已逾期并升级）", red[0], 15, -8, OrderState.SIGNED, True, "leader"),
        ("补齐用地手续（演示：临近期限）", red[1], 5, 2, OrderState.IN_PROGRESS, False, "office"),
        ("完成统计入库（演示：已销号）", red[2], 12, -2, OrderState.CLOSED, False, "leader"),
    ]
    for subject, project, ago, due, state, escalate, issuer in specs:
        if SupervisionOrder.objects.filter(subject=subject).exists():
            result.sizes["supervision orders"] = result.sizes.get("supervision orders", 0) + 1
            continue
        issued = _aware(cal.add(today, -ago))
        order = SupervisionOrder(
            project=project, department_id=project.lead_department_id,
            issued_by=users[issuer],
            leader_id=(linked or project.leader_id) if issuer == "leader" else None,
            subject=subject, requirement="请按期办结并上传现场照片。", severity=Severity.URGENT,
            deadline=cal.add(today, due), state=state, issued_at=issued,
            signed_at=issued + dt.timedelta(hours=3), light_at_issue=lights.RED,
        )
        if escalate:
            order.escalated_at = _aware(today, 8)
            order.escalated_to_id = project.leader_id
        if state == OrderState.CLOSED:
            order.submitted_at = _aware(cal.add(today, -4), 15)
            order.closed_at = _aware(cal.add(today, -3), 10)
        order._history_user = users[issuer]
        order._change_reason = CHANGE_REASON
        order.save()
        if state in (OrderState.IN_PROGRESS, OrderState.CLOSED):
            OrderReply.objects.create(
                order=order, author=users["dept"], kind=ReplyKind.REPLY,
                text="已组织现场推进。", created_at=issued + dt.timedelta(days=1),
            )
        if state == OrderState.CLOSED:
            OrderReply.objects.create(order=order, author=users[issuer], kind=ReplyKind.CLOSE,
                                      text="同意销号。", created_at=order.closed_at)
        result.created["supervision orders"] += 1
        result.sizes["supervision orders"] = result.sizes.get("supervision orders", 0) + 1
