"""Supervision orders step by step: the permission matrix of every action, bad input that
changes nothing, default deadlines by severity, escalation against a fixed clock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from sites.models import Blocker
from sites.orders import services
from sites.orders.models import OrderReply, OrderState, SupervisionOrder
from sites.orders.selectors import holiday_sets, inbox_counts, order_colour
from tests.sites.orders_fixtures import *  # noqa: F403  (fixtures: cast, clock, holiday_table)
from tests.sites.orders_fixtures import at

pytestmark = pytest.mark.django_db
D = dt.date
ROLES = ("leader", "other_leader", "office", "dept", "other_dept_staff", "urban", "market")


def issue(cast, **kw):
    kw.setdefault("user", cast["leader"])
    kw.setdefault("project", cast["project"])
    kw.setdefault("subject", "加快征地")
    kw.setdefault("requirement", "10月底前完成征地")
    return services.order_issue(**kw)


def in_state(cast, state):
    """An order brought to ``state`` by the people allowed to."""
    order = issue(cast)
    dept = cast["dept"]
    if state == "issued":
        return order
    services.order_sign(order=order, user=dept)
    if state == "signed":
        order.refresh_from_db()
        return order
    services.order_reply(order=order, user=dept, text="已进场")
    if state == "in_progress":
        order.refresh_from_db()
        return order
    services.order_submit(order=order, user=dept, text="已完成")
    if state == "submitted":
        order.refresh_from_db()
        return order
    raise AssertionError(state)


ACTIONS = {
    # action: (state it starts from, the step, who may do it)
    "sign": ("issued", lambda o, u: services.order_sign(order=o, user=u), {"dept"}),
    "reply": ("signed", lambda o, u: services.order_reply(order=o, user=u, text="进展"),
              {"dept"}),
    "submit": ("in_progress", lambda o, u: services.order_submit(order=o, user=u, text="完成"),
               {"dept"}),
    "send_back": ("submitted",
                  lambda o, u: services.order_send_back(order=o, user=u, text="不合格"),
                  {"leader", "office"}),
    "close": ("submitted", lambda o, u: services.order_close(order=o, user=u),
              {"leader", "office"}),
}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_issue(cast, clock, role):
    user = cast[role]
    if role in {"leader", "other_leader", "office"}:
        order = issue(cast, user=user)
        assert order.state == OrderState.ISSUED
        assert order.department == cast["project"].lead_department
    else:
        with pytest.raises(PermissionDenied):
            issue(cast, user=user)
        assert not SupervisionOrder.objects.exists()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_permission_matrix(cast, clock, action, role):
    start, step, allowed = ACTIONS[action]
    order = in_state(cast, start)
    replies = OrderReply.objects.count()
    history = order.history.count()
    if role in allowed:
        step(order, cast[role])
        order.refresh_from_db()
        assert order.state == {"sign": "signed", "reply": "in_progress", "submit": "submitted",
                               "send_back": "returned", "close": "closed"}[action]
        assert order.history.count() > history
        assert order.history.first().history_user == cast[role]
    else:
        with pytest.raises(PermissionDenied):
            step(order, cast[role])
        order.refresh_from_db()
        assert order.state == start
        assert OrderReply.objects.count() == replies
        assert order.history.count() == history


def test_allowed_actions_follow_the_matrix(cast, clock):
    order = in_state(cast, "submitted")
    assert services.allowed_actions(cast["dept"], order) == []
    assert services.allowed_actions(cast["leader"], order) == ["send_back", "close"]
    assert services.allowed_actions(cast["other_leader"], order) == []
    order = issue(cast)
    assert services.allowed_actions(cast["dept"], order) == ["sign"]


def test_the_whole_chain_and_its_times(cast, clock):
    order = issue(cast, severity="urgent")
    clock.set(at(2026, 9, 21, 9))
    services.order_sign(order=order, user=cast["dept"])
    services.order_reply(order=order, user=cast["dept"], text="已进场")
    clock.set(at(2026, 9, 22, 15))
    services.order_submit(order=order, user=cast["dept"], text="已完成")
    services.order_send_back(order=order, user=cast["leader"], text="缺照片")
    order.refresh_from_db()
    assert order.state == "returned"
    services.order_reply(order=order, user=cast["dept"], text="补充照片")
    order.refresh_from_db()
    assert order.state == "in_progress"
    services.order_submit(order=order, user=cast["dept"], text="已完成")
    clock.set(at(2026, 9, 23, 11))
    services.order_close(order=order, user=cast["leader"], text="同意销号")
    order.refresh_from_db()
    assert order.state == "closed"
    assert order.signed_at == at(2026, 9, 21, 9)
    assert order.closed_at == at(2026, 9, 23, 11)
    assert list(order.replies.values_list("kind", flat=True)) == [
        "reply", "submit", "send_back", "reply", "submit", "close"]
    states = [h.state for h in order.history.order_by("history_date", "history_id")]
    assert states[0] == "issued"
    assert states[-1] == "closed"


# --- bad input ------------------------------------------------------------------------------

def test_order_to_another_department_is_refused(cast, clock):
    with pytest.raises(ValidationError) as exc:
        issue(cast, department=cast["other_dept"])
    assert "department" in exc.value.message_dict
    assert "发改委" in exc.value.message_dict["department"][0]
    assert not SupervisionOrder.objects.exists()


def test_deadline_in_the_past_is_refused(cast, clock):
    with pytest.raises(ValidationError) as exc:
        issue(cast, deadline=D(2026, 9, 19))
    assert list(exc.value.message_dict) == ["deadline"]
    assert not SupervisionOrder.objects.exists()
    assert issue(cast, deadline=D(2026, 9, 20)).deadline == D(2026, 9, 20)  # today is fine


def test_wrong_state_is_refused(cast, clock):
    order = issue(cast)
    with pytest.raises(ValidationError):
        services.order_close(order=order, user=cast["leader"])
    with pytest.raises(ValidationError):
        services.order_reply(order=order, user=cast["dept"], text="x")
    services.order_sign(order=order, user=cast["dept"])
    with pytest.raises(ValidationError):
        services.order_sign(order=order, user=cast["dept"])
    order.refresh_from_db()
    assert order.state == "signed"


def test_empty_reply_is_refused(cast, clock):
    order = in_state(cast, "signed")
    with pytest.raises(ValidationError):
        services.order_reply(order=order, user=cast["dept"], text="   ")
    assert not OrderReply.objects.exists()


# --- deadlines ------------------------------------------------------------------------------

@pytest.mark.parametrize(("issued", "severity", "deadline"), [
    # general = 10 working days, urgent = 5, critical = 2 (settings), counted by hand:
    (at(2026, 9, 30), "general", D(2026, 10, 20)),
    (at(2026, 9, 24), "urgent", D(2026, 10, 9)),
    (at(2026, 9, 18), "critical", D(2026, 9, 21)),
])
def test_default_deadline_by_severity_in_working_days(
    cast, clock, holiday_table, issued, severity, deadline
):
    clock.set(issued)
    assert issue(cast, severity=severity).deadline == deadline


def test_colour(cast, clock, holiday_table):
    cal = holiday_sets()
    order = issue(cast, deadline=D(2026, 10, 9))
    assert order_colour(order, D(2026, 9, 30), cal) == "yellow"  # 8, 9 Oct: 2 working days
    assert order_colour(order, D(2026, 9, 25), cal) == "green"  # 28, 29, 30 Sep, 8, 9 Oct
    assert order_colour(order, D(2026, 9, 29), cal) == "yellow"  # 30 Sep, 8, 9 Oct
    assert order_colour(order, D(2026, 10, 10), cal) == "red"


# --- escalation -----------------------------------------------------------------------------

def test_escalation_after_n_working_days_overdue(cast, clock, holiday_table, settings):
    settings.ORDER_ESCALATE_AFTER_WORKING_DAYS = 3
    order = issue(cast, deadline=D(2026, 9, 30))
    services.order_sign(order=order, user=cast["dept"])
    # 9 Oct: 9 calendar days overdue but only 2 working days (8, 9 Oct).
    clock.set(at(2026, 10, 9, 18))
    assert services.escalate_overdue() == 0
    # Sat 10 Oct is a make-up working day: the third.
    clock.set(at(2026, 10, 10, 8))
    assert services.escalate_overdue() == 1
    order.refresh_from_db()
    assert order.escalated_at == at(2026, 10, 10, 8)
    assert order.escalated_to == cast["project"].leader
    # Idempotent: a second run (or the lazy run of a read) changes nothing.
    clock.set(at(2026, 10, 12, 8))
    assert services.escalate_overdue() == 0
    call_command("escalate_orders")
    order.refresh_from_db()
    assert order.escalated_at == at(2026, 10, 10, 8)
    assert order.history.filter(history_change_reason="order escalated").count() == 1


def test_closed_orders_never_escalate(cast, clock, holiday_table):
    order = in_state(cast, "submitted")
    services.order_close(order=order, user=cast["office"])
    clock.set(at(2026, 12, 1))
    assert services.escalate_overdue() == 0


# --- the problem list -----------------------------------------------------------------------

def test_closing_the_order_resolves_its_blocker(cast, clock):
    blocker = Blocker.objects.create(project=cast["project"], kind="land",
                                     description="征地未完成", raised_on=D(2026, 9, 1))
    order = issue(cast, project=None, blocker=blocker)
    assert order.project == cast["project"]
    services.order_sign(order=order, user=cast["dept"])
    services.order_reply(order=order, user=cast["dept"], text="已征地")
    clock.set(at(2026, 9, 25))
    services.order_close(order=order, user=cast["leader"])
    blocker.refresh_from_db()
    assert blocker.resolved
    assert blocker.resolved_on == D(2026, 9, 25)
    assert blocker.history.first().history_user == cast["leader"]


def test_a_resolved_blocker_takes_no_order(cast, clock):
    blocker = Blocker.objects.create(project=cast["project"], kind="land", description="x",
                                     raised_on=D(2026, 9, 1), resolved=True,
                                     resolved_on=D(2026, 9, 2))
    with pytest.raises(ValidationError):
        issue(cast, blocker=blocker)


# --- the inbox ------------------------------------------------------------------------------

def test_inbox_counts(cast, clock, holiday_table, django_assert_num_queries):
    issue(cast)  # to sign
    second = in_state(cast, "submitted")  # to review (leader1 issued it)
    issue(cast, user=cast["office"], deadline=D(2026, 9, 21))
    # Deadlines 10 Oct (10 working days from Sun 20 Sep, a make-up day) and 21 Sep; on Fri
    # 16 Oct all three are 3 or more working days overdue.
    clock.set(at(2026, 10, 16))
    assert services.escalate_overdue() == 3
    dept = cast["dept"]
    inbox_counts(dept)  # the user's groups and department are read once per request
    with django_assert_num_queries(1):
        counts = inbox_counts(dept)
    assert counts == {"to_sign": 2, "to_act": 0, "to_review": 0, "escalated": 0, "total": 2}
    assert inbox_counts(cast["leader"]) == {"to_sign": 0, "to_act": 0, "to_review": 1,
                                            "escalated": 3, "total": 3}
    assert inbox_counts(cast["other_dept_staff"])["total"] == 0
    assert inbox_counts(cast["urban"])["total"] == 0
    assert second.pk
