"""The light remembers supervision orders: an overdue order makes it red with a reason naming
the order, its days overdue and the leader it was escalated to; a light that went red stays
at least yellow until its orders are closed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import translation

from sites import layers, lights, selectors
from sites.models import Project
from sites.orders import services
from tests.sites.orders_fixtures import *  # noqa: F403  (fixtures: cast, clock, holiday_table)
from tests.sites.orders_fixtures import at

pytestmark = pytest.mark.django_db
D = dt.date


def light_of(project, as_of=None):
    qs = lights.annotate(Project.objects.filter(pk=project.pk), as_of=as_of)
    return qs.annotate(l=F("light"), r=F("light_reasons")).values_list("l", "r").get()


@pytest.fixture
def on_track(cast):
    """A started project on plan: green."""
    p = cast["project"]
    p.stage = "construction"
    p.actual_start = D(2026, 3, 1)
    p.stats_status = "registered"
    p.stats_registered_on = D(2026, 3, 10)
    p.completed_investment_year = Decimal("3000")  # 75 % of 4000
    p.save()
    return p


def test_an_overdue_escalated_order_turns_the_light_red(cast, clock, holiday_table, on_track,
                                                         settings):
    settings.ORDER_ESCALATE_AFTER_WORKING_DAYS = 3
    assert light_of(on_track)[0] == "green"
    order = services.order_issue(user=cast["leader"], project=on_track, subject="s",
                                 requirement="r", deadline=D(2026, 9, 30))
    assert light_of(on_track) == ("green", [])
    clock.set(at(2026, 10, 9))
    with translation.override("zh-hans"):
        light, reasons = light_of(on_track)
    assert light == "red"
    assert reasons == [{"code": "order_overdue", "light": "red",
                        "params": {"number": order.pk, "days": 9, "leader": None},
                        "text": f"督办单 #{order.pk} 逾期 9 天"}]
    clock.set(at(2026, 10, 10))
    services.escalate_overdue()
    with translation.override("zh-hans"):
        light, reasons = light_of(on_track)
    assert reasons[0]["text"] == f"督办单 #{order.pk} 逾期 10 天，已升级至王副市长"
    with translation.override("en"):
        assert light_of(on_track)[1][0]["text"] == (
            f"Supervision order #{order.pk} is 10 days overdue, escalated to 王副市长")
    # As of September (its last day) the order was not overdue yet.
    september = light_of(on_track, as_of=D(2026, 9, 1))[1]
    assert "order_overdue" not in [r["code"] for r in september]


def test_a_red_light_stays_yellow_until_its_orders_are_closed(cast, clock, project_factory):
    red = project_factory(planned_start=D(2026, 3, 1))  # not started 6 months on: red
    assert light_of(red)[0] == "red"
    order = services.order_issue(user=cast["office"], project=red, subject="开工",
                                 requirement="尽快开工", deadline=D(2026, 10, 30))
    assert order.light_at_issue == "red"
    red.stage = "construction"
    red.actual_start = D(2026, 9, 20)
    red.completed_investment_year = Decimal("3000")
    red.save()
    light, reasons = light_of(red)
    assert light == "yellow"
    assert [r["code"] for r in reasons] == ["orders_after_red"]
    assert reasons[0]["params"] == {"count": 1}
    services.order_sign(order=order, user=cast["dept"])
    services.order_reply(order=order, user=cast["dept"], text="已开工")
    services.order_close(order=order, user=cast["office"])
    assert light_of(red) == ("green", [])


def test_the_staff_layer_carries_the_badge(cast, clock, on_track):
    services.order_issue(user=cast["leader"], project=on_track, subject="s", requirement="r",
                         deadline=D(2026, 9, 21))
    import json

    fc = json.loads(layers.projects_geojson(selectors.SiteFilters(), staff=True))
    props = fc["features"][0]["properties"]
    assert props["open_orders"] == 1
    assert props["overdue_orders"] == 0
    clock.set(at(2026, 9, 22))
    fc = json.loads(layers.projects_geojson(selectors.SiteFilters(), staff=True))
    assert fc["features"][0]["properties"]["overdue_orders"] == 1
    public = json.loads(layers.projects_geojson(selectors.SiteFilters(), staff=False))
    assert "open_orders" not in public["features"][0]["properties"]


def test_the_open_orders_filter_is_for_staff(cast, clock, on_track, project_factory, client):
    from django.core.exceptions import PermissionDenied

    other = project_factory()
    services.order_issue(user=cast["leader"], project=on_track, subject="s", requirement="r",
                         deadline=D(2026, 9, 21))

    def codes(orders, staff=True):
        f = selectors.SiteFilters(orders=orders)
        return [p.code for p in selectors.projects_queryset(f, staff=staff)]

    assert codes(["open"]) == [on_track.code]
    assert codes(["overdue"]) == []
    clock.set(at(2026, 9, 22))
    assert codes(["overdue"]) == [on_track.code]
    assert other.code not in codes(["open", "overdue"])
    with pytest.raises(PermissionDenied):
        codes(["open"], staff=False)
    assert client.get("/api/v1/projects/?orders=open").status_code == 403
    assert client.get("/api/v1/projects/?orders=soon").status_code == 400
