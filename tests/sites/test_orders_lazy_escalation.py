"""Lazy escalation on the staff map's reads (issue 17): an order that has fallen due is
escalated when the projects layer is read, and a read with nothing due costs no query for it.

Escalation after 3 working days overdue; the clock starts on Sun 20 Sep 2026.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sites.orders import services
from tests.sites.orders_fixtures import *  # noqa: F403  (fixtures: cast, clock, holiday_table)
from tests.sites.orders_fixtures import at

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture(autouse=True)
def three_days(settings):
    settings.ORDER_ESCALATE_AFTER_WORKING_DAYS = 3
    services.forget_next_due()


def issue(cast, deadline):
    return services.order_issue(user=cast["office"], project=cast["project"], subject="开工",
                                requirement="尽快开工", deadline=deadline)


def reasons(client, project):
    body = client.get(f"/api/v1/projects/{project.pk}/")
    assert body.status_code == 200
    return [r["text"] for r in body.json()["properties"]["light_reasons"]
            if r["code"] == "order_overdue"]


def test_the_staff_map_read_escalates_an_order_that_fell_due(cast, clock, holiday_table,
                                                             client):
    order = issue(cast, D(2026, 9, 30))
    # Fri 9 Oct: 2 working days overdue (8, 9 Oct; 1-7 Oct are the National Day holiday).
    clock.set(at(2026, 10, 9))
    client.force_login(cast["office"])  # (a session opened on the clock's day)
    client.get("/api/v1/projects/")
    order.refresh_from_db()
    assert order.escalated_at is None
    # Sat 10 Oct, a make-up working day: the third. The map's read escalates it, and the
    # light's reason it returns already names the leader.
    clock.set(at(2026, 10, 10, 9))
    client.force_login(cast["office"])
    assert client.get("/api/v1/projects/").status_code == 200
    order.refresh_from_db()
    assert order.escalated_at == at(2026, 10, 10, 9)
    assert order.escalated_to == cast["project"].leader
    assert reasons(client, cast["project"]) == [
        f"督办单 #{order.pk} 逾期 10 天，已升级至王副市长"]


def test_the_public_map_read_escalates_nothing(cast, clock, holiday_table, client):
    order = issue(cast, D(2026, 9, 30))
    clock.set(at(2026, 10, 12))
    assert client.get("/api/v1/projects/").status_code == 200
    order.refresh_from_db()
    assert order.escalated_at is None


def test_nothing_due_costs_no_query(cast, clock, holiday_table, django_assert_num_queries):
    issue(cast, D(2026, 9, 30))  # falls due on Sat 10 Oct
    clock.set(at(2026, 10, 9))
    assert services.escalate_lazily() == 0  # reads when it can next fall due: 10 Oct
    with django_assert_num_queries(0):
        assert services.escalate_lazily() == 0
        assert services.escalate_lazily() == 0
    clock.set(at(2026, 10, 10))
    assert services.escalate_lazily() == 1
    # Escalated: nothing open is left to fall due; the next days cost nothing after one read.
    clock.set(at(2026, 10, 12))
    assert services.escalate_lazily() == 0
    with django_assert_num_queries(0):
        assert services.escalate_lazily() == 0


def test_a_new_order_is_seen_at_once_in_this_process(cast, clock, holiday_table):
    clock.set(at(2026, 10, 9))
    assert services.escalate_lazily() == 0  # no orders: nothing can fall due
    assert services.escalation_due(D(2026, 10, 9)) is False
    order = issue(cast, D(2026, 10, 9))
    # An order saved here forgets the answer: due on Tue 13 Oct (Sat 10 Oct is a make-up
    # working day, then 12 and 13 Oct).
    assert services.escalation_due(D(2026, 10, 12)) is False
    services.forget_next_due()
    assert services.escalation_due(D(2026, 10, 13)) is True
    assert order.pk


def test_the_map_read_with_nothing_due_runs_the_same_queries(cast, clock, holiday_table,
                                                             client, monkeypatch):
    issue(cast, D(2026, 10, 30))
    client.force_login(cast["office"])
    # The day's one read of the due date, as staff (the badge's counts are staff-only).
    first = client.get("/api/v1/projects/?stage=preparation").json()["features"]
    assert first[0]["properties"]["open_orders"] == 1

    def count(path):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    # Different filters each time, so no cached body answers.
    with_lazy = count("/api/v1/projects/?stage=construction")
    monkeypatch.setattr(services, "escalate_lazily", lambda: 0)
    without = count("/api/v1/projects/?stage=completed")
    assert with_lazy == without
