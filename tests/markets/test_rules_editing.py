"""Staff rule editing: the services (permission matrix, validation, audit) and the pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from markets import services
from markets.changesets import services as changeset_services
from markets.models import CalendarException, Changeset, Closure, MarketZone
from markets.schedule import TZ
from tests.conftest import square

EVENING = "May-Oct Fr,Sa 18:00-01:00"


def _t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Hashing with the production hasher takes ~1 s per user on a busy machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def users(user_factory, db):
    from django.contrib.auth.models import User

    return {
        "urban_management": user_factory("urban_management"),
        "market_supervision": user_factory("market_supervision"),
        "project_office": user_factory("project_office"),
        "leaders": user_factory("leaders"),
        "admin": User.objects.create_superuser("root-h4", password="pw-for-tests-1"),
        "anonymous": AnonymousUser(),
    }


# --- the services ---------------------------------------------------------------------------

HOURS_CHANGE = {"opening_hours": EVENING}
GOODS_CHANGE = {"permitted_goods": ["旧书", "手工艺品"]}

MATRIX = [
    # (role, change, allowed)
    ("urban_management", HOURS_CHANGE, True),
    ("urban_management", {"status": "suspended", "status_reason": "道路施工"}, True),
    ("urban_management", {"capacity": 30}, True),
    ("urban_management", GOODS_CHANGE, False),
    ("urban_management", {"duties": ["禁止外放音响"]}, False),
    ("market_supervision", GOODS_CHANGE, True),
    ("market_supervision", {"duties": ["禁止外放音响"]}, True),
    ("market_supervision", HOURS_CHANGE, False),
    ("market_supervision", {"status": "suspended", "status_reason": "x"}, False),
    ("project_office", HOURS_CHANGE, False),
    ("project_office", GOODS_CHANGE, False),
    ("leaders", GOODS_CHANGE, False),
    ("anonymous", HOURS_CHANGE, False),
    ("admin", HOURS_CHANGE, True),
    ("admin", GOODS_CHANGE, True),
]


@pytest.mark.parametrize(("role", "change", "allowed"), MATRIX)
@pytest.mark.django_db
def test_permission_matrix(users, zone_factory, role, change, allowed):
    zone = zone_factory()
    user = users[role]
    if allowed:
        services.zone_update_rules(
            zone=zone, data=change, expected_version=1, user=user, reason="按新规定调整"
        )
        zone.refresh_from_db()
        assert zone.version == 2
        for name, value in change.items():
            assert getattr(zone, name) == value
    else:
        with pytest.raises(PermissionDenied):
            services.zone_update_rules(
                zone=zone, data=change, expected_version=1, user=user, reason="按新规定调整"
            )
        zone.refresh_from_db()
        assert zone.version == 1


@pytest.mark.django_db
def test_unchanged_fields_of_another_role_may_be_sent(users, zone_factory):
    zone = zone_factory()
    services.zone_update_rules(
        zone=zone,
        expected_version=1,
        user=users["market_supervision"],
        reason="补充经营范围",
        data={"opening_hours": zone.opening_hours, "permitted_goods": ["旧书"]},
    )
    zone.refresh_from_db()
    assert (zone.version, zone.permitted_goods) == (2, ["旧书"])


@pytest.mark.django_db
def test_rule_edit_is_audited(users, zone_factory):
    zone = zone_factory()
    user = users["urban_management"]
    services.zone_update_rules(
        zone=zone,
        data={"opening_hours": EVENING},
        expected_version=1,
        user=user,
        reason="夏季延长营业",
    )
    zone.refresh_from_db()
    assert (zone.version, zone.updated_by, zone.opening_hours) == (2, user, EVENING)
    latest = zone.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason, latest.version) == (
        user,
        "夏季延长营业",
        2,
    )
    delta = latest.diff_against(
        latest.prev_record, excluded_fields=["updated_at", "version", "updated_by"]
    )
    assert [c.field for c in delta.changes] == ["opening_hours"]


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"opening_hours": "Mo-Zz 18:00-22:00"}, "opening_hours", "opening_hours_syntax"),
        ({"opening_hours": "Mo-Fr " + "18:00-22:00," * 50}, "opening_hours", "max_length"),
        ({"status": "retired"}, "status", "invalid"),
        ({"status": "closed"}, "status", "invalid_choice"),
        ({"status": "suspended", "status_reason": ""}, "status_reason", "required"),
        ({"permitted_goods": "旧书"}, "permitted_goods", None),  # a string is split into lines
        ({"permitted_goods": [1, 2]}, "permitted_goods", "invalid_list"),
        ({"duties": ["x" * 101]}, "duties", "invalid_list"),
        ({"boundary": "POINT(0 0)"}, "boundary", "read_only"),
    ],
)
@pytest.mark.django_db
def test_bad_rules_save_nothing(users, zone_factory, data, field, code):
    zone = zone_factory()
    history = zone.history.count()
    if code is None:
        services.zone_update_rules(
            zone=zone, data=data, expected_version=1, user=users["admin"], reason="测试"
        )
        zone.refresh_from_db()
        assert zone.permitted_goods == ["旧书"]
        return
    with pytest.raises(ValidationError) as info:
        services.zone_update_rules(
            zone=zone, data=data, expected_version=1, user=users["admin"], reason="测试"
        )
    assert [e.code for e in info.value.error_dict[field]] == [code]
    zone.refresh_from_db()
    assert (zone.version, zone.history.count()) == (1, history)


@pytest.mark.django_db
def test_syntax_error_quotes_the_parser(users, zone_factory):
    zone = zone_factory()
    with pytest.raises(ValidationError) as info:
        services.zone_update_rules(
            zone=zone,
            data={"opening_hours": "Mo-Zz 18:00-22:00"},
            expected_version=1,
            user=users["admin"],
            reason="测试",
        )
    [error] = info.value.error_dict["opening_hours"]
    assert error.params == {"message": "expected wday", "line": 1, "column": 4}


@pytest.mark.django_db
def test_rule_edit_and_boundary_edit_conflict_check_each_other(users, zone_factory):
    zone = zone_factory()
    services.zone_update(
        zone=zone,
        expected_version=1,
        user=users["urban_management"],
        reason="边界外扩",
        boundary=square(98.30, 39.80, size=0.0012),
    )
    with pytest.raises(services.VersionConflict):
        services.zone_update_rules(
            zone=zone,
            data={"opening_hours": EVENING},
            expected_version=1,
            user=users["urban_management"],
            reason="夏季延长营业",
        )
    zone.refresh_from_db()
    assert (zone.version, zone.opening_hours) == (2, "Mo-Su 18:00-22:00")
    # And the other way round: a rule edit makes a boundary edit of the old version stale.
    services.zone_update_rules(
        zone=zone,
        data={"opening_hours": EVENING},
        expected_version=2,
        user=users["urban_management"],
        reason="夏季延长营业",
    )
    with pytest.raises(services.VersionConflict):
        services.zone_update(
            zone=zone,
            expected_version=2,
            user=users["urban_management"],
            reason="边界外扩",
            boundary=square(98.30, 39.80, size=0.0013),
        )


@pytest.mark.django_db
def test_closure_create_and_cancel_are_audited(users, zone_factory):
    zone = zone_factory()
    user = users["urban_management"]
    closure = services.closure_create(
        zone=zone,
        start=_t("2026-06-05 20:00"),
        end=_t("2026-06-05 22:00"),
        reason="消防检查",
        user=user,
    )
    assert (closure.created_by, closure.reason) == (user, "消防检查")
    services.closure_delete(closure=closure, user=user, reason="检查改期")
    assert not Closure.objects.exists()
    rows = list(
        Closure.history.order_by("history_id").values_list(
            "history_type", "history_user", "history_change_reason"
        )
    )
    assert rows == [("+", user.pk, "消防检查"), ("-", user.pk, "检查改期")]


@pytest.mark.parametrize(
    ("start", "end", "reason", "field", "code"),
    [
        ("2026-06-05 22:00", "2026-06-05 20:00", "检查", "end", "closure_order"),
        ("2026-06-05 22:00", "2026-06-05 22:00", "检查", "end", "closure_order"),
        ("2026-06-05 20:00", "2026-06-05 22:00", "  ", "reason", "required"),
    ],
)
@pytest.mark.django_db
def test_bad_closures_save_nothing(users, zone_factory, start, end, reason, field, code):
    zone = zone_factory()
    with pytest.raises(ValidationError) as info:
        services.closure_create(
            zone=zone, start=_t(start), end=_t(end), reason=reason, user=users["urban_management"]
        )
    assert [e.code for e in info.value.error_dict[field]] == [code]
    assert not Closure.objects.exists()


@pytest.mark.parametrize("role", ["market_supervision", "project_office", "anonymous"])
@pytest.mark.django_db
def test_only_urban_management_sets_closures_and_holidays(users, zone_factory, role):
    zone = zone_factory()
    with pytest.raises(PermissionDenied):
        services.closure_create(
            zone=zone,
            start=_t("2026-06-05 20:00"),
            end=_t("2026-06-05 22:00"),
            reason="检查",
            user=users[role],
        )
    with pytest.raises(PermissionDenied):
        services.calendar_exception_set(
            date=dt.date(2026, 6, 19), kind="holiday", name="端午节", user=users[role]
        )


@pytest.mark.django_db
def test_holiday_table_services(users):
    user = users["urban_management"]
    services.calendar_exception_set(
        date=dt.date(2026, 6, 19), kind="holiday", name="端午节", user=user
    )
    services.calendar_exception_set(
        date=dt.date(2026, 6, 19), kind="workday", name="调休", user=user
    )
    assert list(CalendarException.objects.values_list("date", "kind", "name")) == [
        (dt.date(2026, 6, 19), "workday", "调休")
    ]
    with pytest.raises(ValidationError):
        services.calendar_exception_set(
            date=dt.date(2026, 6, 20), kind="festival", name="x", user=user
        )
    services.calendar_exception_delete(date=dt.date(2026, 6, 19), user=user)
    assert not CalendarException.objects.exists()
    with pytest.raises(ValidationError):
        services.calendar_exception_delete(date=dt.date(2026, 6, 19), user=user)


# --- the page ---------------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user.is_authenticated:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("role", "status", "forms"),
    [
        ("urban_management", 200, {"hours-form", "closure-form"}),
        ("market_supervision", 200, {"goods-form"}),
        ("admin", 200, {"hours-form", "closure-form", "goods-form"}),
        ("project_office", 403, set()),
        ("leaders", 403, set()),
        ("anonymous", 302, set()),
    ],
)
@pytest.mark.django_db
def test_rules_page_by_role(users, zone_factory, role, status, forms):
    zone = zone_factory()
    response = _client(users[role]).get(f"/staff/markets/{zone.pk}/rules/")
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")
    found = set(re.findall(r'<form[^>]* id="([\w-]+-form)"', response.content.decode()))
    assert found == forms


def _hours_post(zone: MarketZone, **overrides) -> dict:
    data = {
        "action": "hours",
        "hours-opening_hours": EVENING,
        "hours-status": "active",
        "hours-status_reason": "",
        "hours-capacity": "40",
        "hours-reason": "夏季延长营业",
        "hours-version": str(zone.version),
    }
    data.update(overrides)
    return data


def _review_and_publish(draft, users):
    """Submit as the author, approve and publish as a second urban-management user."""
    from django.contrib.auth.models import Group, User

    second = User.objects.create_user("urban-reviewer", password="x")
    second.groups.add(Group.objects.get(name="urban_management"))
    changeset_services.changeset_submit(changeset=draft, user=draft.author)
    changeset_services.changeset_approve(changeset=draft, user=second)
    changeset_services.changeset_publish(changeset=draft, user=second)


@pytest.mark.django_db
def test_page_saves_hours_and_shows_history(users, zone_factory):
    zone = zone_factory()
    client = _client(users["urban_management"])
    url = f"/staff/markets/{zone.pk}/rules/"
    response = client.post(url, _hours_post(zone))
    # Issue 18: the page saves into a draft changeset; the zone changes once it is published.
    draft = Changeset.objects.get()
    assert (response.status_code, response["Location"]) == (
        302, url + f"?saved=hours&changeset={draft.pk}")
    assert (draft.state, draft.comment, draft.edits.get().fields) == (
        "draft", "夏季延长营业", {"opening_hours": EVENING})
    zone.refresh_from_db()
    assert (zone.opening_hours, zone.version) == ("Mo-Su 18:00-22:00", 1)
    assert f"Saved into draft changeset #{draft.pk}" in client.get(
        response["Location"]).content.decode()
    _review_and_publish(draft, users)
    zone.refresh_from_db()
    assert (zone.opening_hours, zone.version) == (EVENING, 2)
    page = client.get(url).content.decode()
    assert "夏季延长营业" in page  # the reason
    assert "opening_hours" in page  # what changed


@pytest.mark.django_db
def test_page_shows_the_parser_error_and_saves_nothing(users, zone_factory):
    zone = zone_factory()
    response = _client(users["urban_management"]).post(
        f"/staff/markets/{zone.pk}/rules/", _hours_post(zone, **{"hours-opening_hours": "Mo-Zz"})
    )
    assert response.status_code == 400
    assert (
        "The opening hours could not be read at line 1, character 4: expected wday."
        in response.content.decode()
    )
    zone.refresh_from_db()
    assert (zone.opening_hours, zone.version) == ("Mo-Su 18:00-22:00", 1)


@pytest.mark.django_db
def test_page_refuses_a_stale_version(users, zone_factory):
    zone = zone_factory()
    client = _client(users["urban_management"])
    stale = _hours_post(zone)
    services.zone_update_rules(
        zone=zone,
        data={"capacity": 20},
        expected_version=1,
        user=users["urban_management"],
        reason="减少摊位",
    )
    response = client.post(f"/staff/markets/{zone.pk}/rules/", stale)
    assert response.status_code == 412
    assert "changed by someone else" in response.content.decode()
    zone.refresh_from_db()
    assert (zone.opening_hours, zone.version) == ("Mo-Su 18:00-22:00", 2)


@pytest.mark.django_db
def test_page_closure_end_before_start(users, zone_factory):
    zone = zone_factory()
    response = _client(users["urban_management"]).post(
        f"/staff/markets/{zone.pk}/rules/",
        {
            "action": "closure",
            "closure-start": "2026-06-05T22:00",
            "closure-end": "2026-06-05T20:00",
            "closure-reason": "检查",
        },
    )
    assert response.status_code == 400
    assert "A closure must end after it starts." in response.content.decode()
    assert not Closure.objects.exists()


@pytest.mark.django_db
def test_market_supervision_cannot_post_hours(users, zone_factory):
    zone = zone_factory()
    response = _client(users["market_supervision"]).post(
        f"/staff/markets/{zone.pk}/rules/", _hours_post(zone)
    )
    assert response.status_code == 403
    zone.refresh_from_db()
    assert zone.version == 1


@pytest.mark.django_db
def test_page_saves_goods(users, zone_factory):
    zone = zone_factory()
    response = _client(users["market_supervision"]).post(
        f"/staff/markets/{zone.pk}/rules/",
        {
            "action": "goods",
            "goods-permitted_goods": "旧书\n手工艺品\n旧书\n",
            "goods-prohibited_goods": "油烟类餐饮",
            "goods-duties": "摊走地净\n禁止外放音响",
            "goods-reason": "调整经营范围",
            "goods-version": "1",
        },
    )
    assert response.status_code == 302
    zone.refresh_from_db()
    assert zone.version == 1  # in a draft changeset until published (issue 18)
    draft = Changeset.objects.get(author=users["market_supervision"])
    changeset_services.changeset_submit(changeset=draft, user=users["market_supervision"])
    changeset_services.changeset_approve(changeset=draft, user=users["urban_management"])
    changeset_services.changeset_publish(changeset=draft, user=users["urban_management"])
    zone.refresh_from_db()
    assert (zone.permitted_goods, zone.prohibited_goods, zone.duties, zone.version) == (
        ["旧书", "手工艺品"],
        ["油烟类餐饮"],
        ["摊走地净", "禁止外放音响"],
        2,
    )


@pytest.mark.django_db
def test_page_cancels_a_closure(users, zone_factory):
    zone = zone_factory()
    user = users["urban_management"]
    closure = services.closure_create(
        zone=zone,
        start=_t("2099-06-05 20:00"),
        end=_t("2099-06-05 22:00"),
        reason="消防检查",
        user=user,
    )
    client = _client(user)
    assert "消防检查" in client.get(f"/staff/markets/{zone.pk}/rules/").content.decode()
    response = client.post(
        f"/staff/markets/{zone.pk}/rules/",
        {
            "action": "cancel-closure",
            "closure": str(closure.pk),
            "reason": "检查改期",
        },
    )
    assert response.status_code == 302
    assert not Closure.objects.exists()
