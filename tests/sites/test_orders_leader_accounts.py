"""Escalations reach the responsible leader's own account (Leader.account), issue #17.

Two vice-mayors, each signing in with an account, each responsible for one project: an order
escalated on the first's project is in the first's inbox and nobody else's among leaders. A
leaders-role account linked to no leader sees the escalations to leaders who have no account.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from geo.models import Leader
from sites.orders import services
from sites.orders.selectors import inbox, inbox_counts
from tests.sites.orders_fixtures import *  # noqa: F403  (fixtures: cast, clock, holiday_table)
from tests.sites.orders_fixtures import at

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def city(user_factory, project_factory, department):
    """Two leaders with accounts (李, 马) and one without (陈), one project each."""
    li_user = user_factory("leaders", username="li")
    ma_user = user_factory("leaders", username="ma")
    li = Leader.objects.create(name="李文涛", title="副市长", account=li_user)
    ma = Leader.objects.create(name="马建国", title="副市长", account=ma_user)
    chen = Leader.objects.create(name="陈晓梅", title="副市长")
    return {
        "li": li, "ma": ma, "chen": chen,
        "li_user": li_user, "ma_user": ma_user,
        "unlinked_user": user_factory("leaders", username="nobody"),
        "office": user_factory("project_office", username="office9"),
        "dept": user_factory("department_staff", department=department, username="dept9"),
        "li_project": project_factory(leader=li),
        "ma_project": project_factory(leader=ma),
        "chen_project": project_factory(leader=chen),
    }


def escalated_order(city, project):
    """An order on ``project`` issued by the office, due 30 Sep 2026, escalated on 10 Oct.

    Escalation after 3 working days overdue: 8, 9 Oct and the make-up Saturday 10 Oct.
    """
    order = services.order_issue(user=city["office"], project=project, subject="加快征地",
                                 requirement="10月底前完成征地", deadline=D(2026, 9, 30))
    return order


def escalate_at_10_october(clock, settings):
    settings.ORDER_ESCALATE_AFTER_WORKING_DAYS = 3
    clock.set(at(2026, 10, 10, 8))
    return services.escalate_overdue()


def test_an_escalation_appears_in_exactly_one_leaders_inbox(city, clock, holiday_table,
                                                            settings):
    order = escalated_order(city, city["li_project"])
    assert escalate_at_10_october(clock, settings) == 1
    order.refresh_from_db()
    assert order.escalated_to == city["li"]
    assert [o.pk for o in inbox(city["li_user"])["escalated"]] == [order.pk]
    assert inbox(city["ma_user"])["escalated"] == []
    assert inbox(city["unlinked_user"])["escalated"] == []  # 李 has an account: not unclaimed
    assert inbox_counts(city["li_user"])["escalated"] == 1
    assert inbox_counts(city["ma_user"]) == {"to_sign": 0, "to_act": 0, "to_review": 0,
                                             "escalated": 0, "total": 0}
    # The project office oversees every escalation; the department's inbox has none.
    assert inbox_counts(city["office"])["escalated"] == 1
    assert inbox_counts(city["dept"])["escalated"] == 0


def test_the_inbox_page_shows_the_escalation_to_its_leader_only(city, clock, holiday_table,
                                                                 settings, client):
    order = escalated_order(city, city["ma_project"])
    escalate_at_10_october(clock, settings)
    link = f'href="/orders/{order.pk}/"'
    client.force_login(city["ma_user"])
    assert link in client.get("/orders/").content.decode()
    client.force_login(city["li_user"])
    assert link not in client.get("/orders/").content.decode()


def test_unlinked_leader_accounts_see_the_unclaimed_escalations(city, clock, holiday_table,
                                                                settings):
    mine = escalated_order(city, city["li_project"])
    unclaimed = escalated_order(city, city["chen_project"])  # 陈 has no account
    assert escalate_at_10_october(clock, settings) == 2
    assert [o.pk for o in inbox(city["unlinked_user"])["escalated"]] == [unclaimed.pk]
    assert [o.pk for o in inbox(city["li_user"])["escalated"]] == [mine.pk]
    assert inbox(city["ma_user"])["escalated"] == []
    # Once 陈 is given an account, the escalation moves to it and leaves the unlinked one.
    chen_user = city["unlinked_user"]
    city["chen"].account = chen_user
    city["chen"].save()
    assert [o.pk for o in inbox(chen_user)["escalated"]] == [unclaimed.pk]
    newcomer = User.objects.create_user("newcomer", password="pw-for-tests-1")
    newcomer.groups.set(chen_user.groups.all())
    assert inbox(newcomer)["escalated"] == []


def test_closed_escalations_leave_the_inbox(city, clock, holiday_table, settings):
    order = escalated_order(city, city["li_project"])
    escalate_at_10_october(clock, settings)
    services.order_sign(order=order, user=city["dept"])
    services.order_reply(order=order, user=city["dept"], text="已完成征地")
    services.order_close(order=order, user=city["office"])
    assert inbox_counts(city["li_user"])["escalated"] == 0


def test_the_header_count_stays_one_query(city, clock, holiday_table, settings,
                                          django_assert_num_queries):
    escalated_order(city, city["li_project"])
    escalated_order(city, city["chen_project"])
    escalate_at_10_october(clock, settings)
    for user, expected in ((city["li_user"], 1), (city["unlinked_user"], 1),
                           (city["ma_user"], 0)):
        inbox_counts(user)  # the user's groups are read once per request
        with django_assert_num_queries(1):
            assert inbox_counts(user)["escalated"] == expected


def test_a_leader_account_issues_in_its_own_name(city, clock):
    # 马 issues on 李's project: the issuing leader is 马, the one signed in.
    order = services.order_issue(user=city["ma_user"], project=city["li_project"],
                                 subject="加快征地", requirement="10月底前完成征地")
    assert order.leader == city["ma"]
    # An account linked to no leader issues in the name of the project's responsible leader.
    order = services.order_issue(user=city["unlinked_user"], project=city["li_project"],
                                 subject="加快征地", requirement="10月底前完成征地")
    assert order.leader == city["li"]


def test_the_admin_links_a_leader_to_an_account(city, user_factory, client):
    client.force_login(user_factory(username="root", is_superuser=True, is_staff=True))
    page = client.get(f"/admin/geo/leader/{city['chen'].pk}/change/").content.decode()
    assert 'name="account"' in page
    listing = client.get("/admin/geo/leader/").content.decode()
    assert "ma</td>" in listing or ">ma<" in listing
