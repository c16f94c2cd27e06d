"""Livelihood works and supervision orders (issue 17): the work's light counts its orders as a
project's does (an overdue order is red with a reason naming it; a light that went red stays at
least yellow until the orders issued on it are closed); its page has the "issue an order" link.

The clock stands at Sun 20 Sep 2026 (a make-up working day) unless a test moves it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from sites import layers
from sites.orders import services
from tests.sites.orders_fixtures import *  # noqa: F403  (fixtures: cast, clock, holiday_table)
from tests.sites.orders_fixtures import at

pytestmark = pytest.mark.django_db
D = dt.date


def light_of(work, lang="en"):
    with translation.override(lang):
        props = layers.livelihood_page_feature(work.pk, staff=True)["properties"]
    return props["light"], props["light_reasons"]


@pytest.fixture
def work(livelihood_factory):
    """A road on schedule: its next milestone is planned for 31 Dec 2026."""
    return livelihood_factory(milestones=[("开工", D(2026, 5, 1), D(2026, 5, 3)),
                                          ("完工", D(2026, 12, 31), None)])


def issue(cast, work, deadline, user="office"):
    return services.order_issue(user=cast[user], work=work, subject="加快施工",
                                requirement="按期完成", deadline=deadline)


def test_a_work_on_schedule_without_orders_is_green(cast, clock, work):
    assert light_of(work) == ("green", [])


def test_a_late_milestone_is_yellow_and_named(cast, clock, livelihood_factory):
    # 开工 planned 1 Sep, not reached by 20 Sep: late.
    late = livelihood_factory(milestones=[("开工", D(2026, 9, 1), None),
                                          ("完工", D(2026, 12, 31), None)])
    light, reasons = light_of(late)
    assert light == "yellow"
    assert reasons == [{"code": "milestone_late", "light": "yellow",
                        "params": {"milestone": "开工", "planned": "2026-09-01"},
                        "text": "Milestone “开工” planned for 2026-09-01 is not reached"}]


def test_an_overdue_escalated_order_turns_the_work_red(cast, clock, holiday_table, work,
                                                       settings):
    settings.ORDER_ESCALATE_AFTER_WORKING_DAYS = 3
    order = issue(cast, work, D(2026, 9, 30))
    assert order.light_at_issue == "green"
    assert light_of(work) == ("green", [])
    # 9 Oct: 9 calendar days past the 30 Sep deadline.
    clock.set(at(2026, 10, 9))
    light, reasons = light_of(work)
    assert light == "red"
    assert reasons == [{"code": "order_overdue", "light": "red",
                        "params": {"number": order.pk, "days": 9, "leader": None},
                        "text": f"Supervision order #{order.pk} is 9 days overdue"}]
    # Sat 10 Oct (make-up day) is the third working day overdue: escalated to the work's
    # responsible leader, and the reason says so.
    clock.set(at(2026, 10, 10))
    assert services.escalate_overdue() == 1
    order.refresh_from_db()
    assert order.escalated_to == work.leader
    assert light_of(work)[1][0]["text"] == (
        f"Supervision order #{order.pk} is 10 days overdue, escalated to 王副市长")
    feature = layers.livelihood_page_feature(work.pk, staff=True)["properties"]
    assert (feature["open_orders"], feature["overdue_orders"]) == (1, 1)


def test_the_work_stays_yellow_until_orders_issued_on_red_are_closed(cast, clock,
                                                                     holiday_table, work):
    first = issue(cast, work, D(2026, 9, 21))
    clock.set(at(2026, 9, 23))  # first is 2 days overdue: red
    assert light_of(work)[0] == "red"
    second = issue(cast, work, D(2026, 10, 30))
    assert second.light_at_issue == "red"
    services.order_sign(order=first, user=cast["dept"])
    services.order_reply(order=first, user=cast["dept"], text="已完成")
    services.order_close(order=first, user=cast["office"])
    # first closed: nothing overdue, but second was issued on red and is open.
    light, reasons = light_of(work)
    assert light == "yellow"
    assert reasons == [{"code": "orders_after_red", "light": "yellow", "params": {"count": 1},
                        "text": "1 supervision orders issued on a red light are not closed "
                                "yet"}]
    services.order_sign(order=second, user=cast["dept"])
    services.order_reply(order=second, user=cast["dept"], text="已完成")
    services.order_close(order=second, user=cast["office"])
    assert light_of(work) == ("green", [])


def test_the_public_gets_no_light_or_orders(cast, clock, work, client):
    issue(cast, work, D(2026, 10, 30))
    public = layers.livelihood_page_feature(work.pk, staff=False)["properties"]
    assert not {"light", "light_reasons", "open_orders", "overdue_orders"} & set(public)
    body = client.get("/api/v1/livelihood/").json()
    assert "open_orders" not in body["features"][0]["properties"]


def test_the_staff_api_carries_the_works_orders(cast, clock, work, client):
    issue(cast, work, D(2026, 10, 30))
    client.force_login(cast["office"])
    props = client.get(f"/api/v1/livelihood/{work.pk}/").json()["properties"]
    assert (props["light"], props["open_orders"], props["overdue_orders"]) == ("green", 1, 0)


@pytest.mark.parametrize(("who", "link"), [("leader", True), ("office", True), ("dept", False)])
def test_the_work_page_lists_orders_and_offers_the_issue_link(cast, clock, work, client, who,
                                                               link):
    order = issue(cast, work, D(2026, 10, 30))
    client.force_login(cast[who])
    page = client.get(f"/livelihood/{work.pk}/").content.decode()
    assert 'id="work-orders"' in page
    assert f'href="/orders/{order.pk}/"' in page
    assert (f'id="issue-order" href="/orders/new/?work={work.pk}"' in page) is link


def test_anonymous_visitors_see_no_orders_on_the_work_page(cast, clock, work, client):
    issue(cast, work, D(2026, 10, 30))
    page = client.get(f"/livelihood/{work.pk}/").content.decode()
    assert 'id="work-orders"' not in page
    assert "issue-order" not in page


def test_the_open_orders_filter_keeps_the_works_with_orders(cast, clock, work,
                                                            livelihood_factory, client):
    quiet = livelihood_factory(milestones=[("完工", D(2026, 12, 31), None)])
    issue(cast, work, D(2026, 9, 21))  # Monday: not overdue on Sunday the 20th

    def codes(query):
        body = client.get(f"/api/v1/livelihood/?{query}")
        assert body.status_code == 200, body.content
        return [f["properties"]["code"] for f in body.json()["features"]]

    assert client.get("/api/v1/livelihood/?orders=open").status_code == 403
    client.force_login(cast["office"])
    assert sorted(codes("")) == sorted([work.code, quiet.code])
    assert codes("orders=open") == [work.code]
    assert codes("orders=overdue") == []
    clock.set(at(2026, 9, 22))
    assert codes("orders=overdue") == [work.code]
    assert codes("orders=open,overdue") == [work.code]
    bad = client.get("/api/v1/livelihood/?orders=late")
    assert bad.status_code == 400
    assert "orders" in bad.json()["errors"]
