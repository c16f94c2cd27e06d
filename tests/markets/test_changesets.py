"""Changeset services: the state machine, who may do what, atomic publish, stale bases, schedule."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import translation

from markets import services as zone_services
from markets.changesets import selectors, services
from markets.changesets.models import Changeset, ChangesetState, EditKind
from markets.models import MarketZone
from tests.markets.test_api_editing import metric_square

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def urban(user_factory):
    return user_factory("urban_management", username="urban")


@pytest.fixture
def urban2(user_factory):
    return user_factory("urban_management", username="urban2")


@pytest.fixture
def supervision(user_factory):
    return user_factory("market_supervision", username="supervision")


@pytest.fixture
def admin(user_factory):
    return user_factory(None, username="admin", is_superuser=True)


@pytest.fixture
def zone(city, zone_factory) -> MarketZone:
    # 100 m × 100 m in EPSG:4542 = 10,000 m².
    return zone_factory(name="新华路后备箱集市", boundary=metric_square(0, 0, 100))


@pytest.fixture
def other_zone(zone_factory) -> MarketZone:
    return zone_factory(name="大唐路夜市", boundary=metric_square(300, 0, 100))


def reshape(user, zone, *, size=120, comment="扩大新华路集市") -> Changeset:
    changeset = services.changeset_create(user=user, comment=comment)
    services.changeset_add_edit(changeset=changeset, user=user, kind=EditKind.UPDATE, zone=zone,
                                base_version=zone.version, boundary=metric_square(0, 0, size))
    return changeset


def submitted(user, zone, **kw) -> Changeset:
    changeset = reshape(user, zone, **kw)
    return services.changeset_submit(changeset=changeset, user=user)


def state(changeset) -> str:
    return Changeset.objects.get(pk=changeset.pk).state


def test_draft_leaves_the_zone_alone(zone, urban):
    changeset = reshape(urban, zone)
    zone.refresh_from_db()
    assert zone.version == 1
    assert abs(zone_services.area_m2(zone.boundary) - 10_000) < 0.5
    edit = changeset.edits.get()
    assert (edit.kind, edit.base_version, edit.fields) == ("update", 1, {})
    assert abs(zone_services.area_m2(edit.boundary) - 14_400) < 0.5


def test_full_journey_draft_to_published(zone, urban, urban2):
    changeset = submitted(urban, zone)
    assert state(changeset) == "submitted"
    services.changeset_approve(changeset=changeset, user=urban2)
    assert state(changeset) == "approved"
    services.changeset_publish(changeset=changeset, user=urban2)
    changeset.refresh_from_db()
    assert (changeset.state, changeset.reviewer, changeset.publisher) == (
        "published", urban2, urban2)
    zone.refresh_from_db()
    assert zone.version == 2
    assert abs(zone_services.area_m2(zone.boundary) - 14_400) < 0.5
    record = zone.history.latest()
    assert (record.history_user, record.history_change_reason) == (
        urban, f"#{changeset.pk} 扩大新华路集市")
    assert changeset.edits.get().result_version == 2


def test_approving_your_own_is_refused_and_changes_nothing(zone, urban):
    changeset = submitted(urban, zone)
    with pytest.raises(ValidationError) as caught:
        services.changeset_approve(changeset=changeset, user=urban)
    assert caught.value.code == "own_changeset"
    assert "cannot approve it" in caught.value.messages[0]
    assert state(changeset) == "submitted"


# Who may approve a submitted reshape by `urban` (the author never; another urban-management
# user or an admin yes; market supervision, the project office and leaders no).
@pytest.mark.parametrize(("reviewer", "allowed"), [
    ("urban2", True), ("admin", True), ("supervision", False), ("office", False),
    ("leader", False),
])
def test_approve_permission_matrix(zone, urban, urban2, admin, supervision, user_factory,
                                   reviewer, allowed):
    users = {"urban2": urban2, "admin": admin, "supervision": supervision,
             "office": user_factory("project_office"), "leader": user_factory("leaders")}
    changeset = submitted(urban, zone)
    if allowed:
        services.changeset_approve(changeset=changeset, user=users[reviewer])
        assert state(changeset) == "approved"
    else:
        with pytest.raises(PermissionDenied):
            services.changeset_approve(changeset=changeset, user=users[reviewer])
        assert state(changeset) == "submitted"


@pytest.mark.parametrize("role", ["project_office", "leaders", "department_staff"])
def test_only_zone_staff_draft(role, user_factory):
    with pytest.raises(PermissionDenied):
        services.changeset_create(user=user_factory(role), comment="x")


def test_supervision_drafts_goods_and_another_reviews(zone, supervision, urban, user_factory):
    changeset = services.changeset_create(user=supervision, comment="禁售烟花")
    services.changeset_add_edit(changeset=changeset, user=supervision, kind=EditKind.RULES,
                                zone=zone, fields={"prohibited_goods": ["油烟类餐饮", "烟花"]})
    with pytest.raises(PermissionDenied):  # goods only: no boundary for market supervision
        services.changeset_add_edit(changeset=changeset, user=supervision,
                                    kind=EditKind.UPDATE, zone=zone,
                                    boundary=metric_square(0, 0, 90))
    services.changeset_submit(changeset=changeset, user=supervision)
    second = user_factory("market_supervision")
    services.changeset_approve(changeset=changeset, user=second)
    services.changeset_publish(changeset=changeset, user=second)
    zone.refresh_from_db()
    assert zone.prohibited_goods == ["油烟类餐饮", "烟花"]
    assert zone.version == 2


def test_send_back_needs_a_reason_then_publish_is_refused(zone, urban, urban2):
    changeset = submitted(urban, zone)
    with pytest.raises(ValidationError) as caught:
        services.changeset_send_back(changeset=changeset, user=urban2, reason=" ")
    assert "reason" in caught.value.error_dict
    services.changeset_send_back(changeset=changeset, user=urban2, reason="东边越过了人行道")
    with pytest.raises(ValidationError) as caught:
        services.changeset_publish(changeset=changeset, user=urban2)
    assert caught.value.code == "sent_back"
    assert "东边越过了人行道" in caught.value.messages[0]
    zone.refresh_from_db()
    assert zone.version == 1
    # The author fixes it and submits again; the reason is cleared.
    services.changeset_add_edit(changeset=changeset, user=urban, kind=EditKind.UPDATE, zone=zone,
                                boundary=metric_square(0, 0, 110))
    services.changeset_submit(changeset=changeset, user=urban)
    changeset.refresh_from_db()
    assert (changeset.state, changeset.review_note) == ("submitted", "")


@pytest.mark.parametrize("action", ["approve", "publish", "send_back"])
def test_a_draft_cannot_be_reviewed_or_published(zone, urban, urban2, action):
    changeset = reshape(urban, zone)
    call = {
        "approve": lambda: services.changeset_approve(changeset=changeset, user=urban2),
        "publish": lambda: services.changeset_publish(changeset=changeset, user=urban2),
        "send_back": lambda: services.changeset_send_back(changeset=changeset, user=urban2,
                                                          reason="x"),
    }[action]
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.code == "wrong_state"
    assert state(changeset) == "draft"


def test_submit_refuses_a_second_open_changeset_on_the_same_zone(zone, urban, urban2):
    first = reshape(urban, zone, comment="第一稿")
    second = reshape(urban2, zone, comment="第二稿")
    with pytest.raises(ValidationError) as caught:
        services.changeset_submit(changeset=second, user=urban2)
    assert caught.value.error_list[0].code == "conflict"
    assert f"changeset #{first.pk} (“第一稿”" in caught.value.messages[0]
    assert "新华路后备箱集市" in caught.value.messages[0]
    assert state(second) == "draft"


def test_publish_is_atomic_and_refuses_a_stale_base(zone, other_zone, urban, urban2):
    changeset = services.changeset_create(user=urban, comment="两处一起改")
    services.changeset_add_edit(changeset=changeset, user=urban, kind=EditKind.UPDATE, zone=zone,
                                fields={"capacity": 60})
    services.changeset_add_edit(changeset=changeset, user=urban, kind=EditKind.UPDATE,
                                zone=other_zone, fields={"capacity": 70})
    services.changeset_submit(changeset=changeset, user=urban)
    services.changeset_approve(changeset=changeset, user=urban2)
    # Someone changes the second zone directly in between: its base version 1 is stale.
    zone_services.zone_update(zone=other_zone, expected_version=1, user=urban2, reason="改名",
                              fields={"name": "大唐路美食街"})
    with pytest.raises(ValidationError) as caught:
        services.changeset_publish(changeset=changeset, user=urban2)
    assert caught.value.error_list[0].code == "stale"
    assert "“大唐路美食街”" in caught.value.messages[0]
    assert "now version 2, the changeset edits version 1" in caught.value.messages[0]
    zone.refresh_from_db()
    assert (zone.capacity, zone.version) == (40, 1)  # the first edit was not applied either
    assert state(changeset) == "approved"


def test_an_edit_the_zone_services_refuse_undoes_the_whole_publish(zone, other_zone, urban,
                                                                     urban2):
    changeset = services.changeset_create(user=urban, comment="两处")
    services.changeset_add_edit(changeset=changeset, user=urban, kind=EditKind.UPDATE, zone=zone,
                                fields={"capacity": 60})
    services.changeset_add_edit(changeset=changeset, user=urban, kind=EditKind.CREATE, fields={
        "name": "压线新区", "kind": "flea", "department": zone.department_id,
        "status": "active"}, boundary=metric_square(250, 0, 100))  # 50 m into 大唐路夜市
    services.changeset_submit(changeset=changeset, user=urban)
    services.changeset_approve(changeset=changeset, user=urban2)
    with pytest.raises(ValidationError) as caught:
        services.changeset_publish(changeset=changeset, user=urban2)
    assert caught.value.code == "edit_refused"
    assert caught.value.messages[0].startswith("Zone “压线新区”: The boundary overlaps zone "
                                               "“大唐路夜市”")
    zone.refresh_from_db()
    assert zone.capacity == 40
    assert not MarketZone.objects.filter(name="压线新区").exists()


def test_scheduled_publish_with_a_fixed_clock(zone, urban, urban2):
    changeset = submitted(urban, zone)
    services.changeset_approve(changeset=changeset, user=urban2)
    noon = dt.datetime(2026, 6, 20, 12, 0, tzinfo=SHANGHAI)
    july = dt.datetime(2026, 7, 1, 0, 0, tzinfo=SHANGHAI)
    with pytest.raises(ValidationError) as caught:
        services.changeset_schedule(changeset=changeset, user=urban2,
                                    publish_at=dt.datetime(2026, 6, 1, tzinfo=SHANGHAI), now=noon)
    assert "has already passed" in caught.value.messages[0]
    services.changeset_schedule(changeset=changeset, user=urban2, publish_at=july, now=noon)
    with pytest.raises(ValidationError) as caught:  # not before its time
        services.changeset_publish(changeset=changeset, user=urban2, now=noon)
    assert caught.value.code == "not_due"
    assert services.publish_due_changesets(now=july - dt.timedelta(seconds=1)) == []
    zone.refresh_from_db()
    assert zone.version == 1
    call_command("publish_due_changesets", "--now", "2026-07-01T00:00:00+08:00")
    changeset.refresh_from_db()
    zone.refresh_from_db()
    assert (changeset.state, changeset.published_at) == ("published", july)
    assert zone.version == 2


def test_a_refused_scheduled_publish_is_recorded_and_not_retried(zone, urban, urban2):
    changeset = submitted(urban, zone)
    services.changeset_approve(changeset=changeset, user=urban2)
    noon = dt.datetime(2026, 6, 20, 12, 0, tzinfo=SHANGHAI)
    services.changeset_schedule(changeset=changeset, user=urban2,
                                publish_at=noon + dt.timedelta(hours=1), now=noon)
    zone_services.zone_update(zone=zone, expected_version=1, user=urban2, reason="临时",
                              fields={"capacity": 45})
    [(result, error)] = services.publish_due_changesets(now=noon + dt.timedelta(hours=2))
    assert "was changed after this changeset was drawn" in error
    changeset.refresh_from_db()
    assert (changeset.state, changeset.publish_at) == ("approved", None)
    assert "version 2" in changeset.publish_error


def test_area_change_is_measured_in_metres(zone, urban):
    # 100 m × 100 m = 10,000 m² becomes 120 m × 120 m = 14,400 m²: +4,400 m², +44.0 %.
    changeset = reshape(urban, zone)
    [review] = selectors.changeset_review(changeset)
    assert review["old_m2"] == pytest.approx(10_000, abs=0.5)
    assert review["new_m2"] == pytest.approx(14_400, abs=0.5)
    assert review["change_m2"] == pytest.approx(4_400, abs=0.5)
    assert review["change_pct"] == pytest.approx(44.0, abs=0.01)
    assert review["overlaps"] == []


def test_review_lists_attribute_and_hours_changes(zone, urban):
    changeset = services.changeset_create(user=urban, comment="改时间")
    services.changeset_add_edit(changeset=changeset, user=urban, kind=EditKind.RULES, zone=zone,
                                fields={"opening_hours": "Mo-Su 19:00-23:00", "capacity": 40})
    [review] = selectors.changeset_review(changeset)
    # capacity 40 equals the zone's: only the hours are proposed.
    assert [(r["field"], r["old"], r["new"]) for r in review["rows"]] == [
        ("opening_hours", "Mo-Su 18:00-22:00", "Mo-Su 19:00-23:00")]
    assert len(review["hours_before"]) == len(review["hours_after"]) == 7
    assert review["hours_before"][0]["intervals"][0]["label"] == "18:00–22:00"
    assert review["hours_after"][0]["intervals"][0]["label"] == "19:00–23:00"


def test_restoring_a_version_makes_a_draft(zone, urban):
    zone_services.zone_update(zone=zone, expected_version=1, user=urban, reason="缩小",
                              boundary=metric_square(0, 0, 80))
    first = zone.history.earliest()
    changeset = services.changeset_for_restore(zone=zone, history_id=first.history_id,
                                               user=urban, comment="")
    zone.refresh_from_db()
    assert zone.version == 2
    edit = changeset.edits.get()
    assert (changeset.state, edit.base_version) == ("draft", 2)
    assert abs(zone_services.area_m2(edit.boundary) - 10_000) < 0.5
    assert "Restore version 1" in changeset.comment


def test_state_choices_are_the_documented_ones():
    assert ChangesetState.values == ["draft", "submitted", "approved", "sent_back", "published"]


def test_reinstating_a_retired_zone_waits_for_review(zone, urban, urban2, supervision):
    zone_services.zone_update(zone=zone, expected_version=1, user=urban, reason="试运营",
                              fields={"status": "proposed"})
    zone_services.zone_retire(zone=zone, expected_version=2, user=urban, reason="道路施工")
    changeset = services.changeset_create(user=urban, comment="施工结束，恢复集市")
    edit = services.changeset_add_edit(changeset=changeset, user=urban,
                                       kind=EditKind.REINSTATE, zone=zone, base_version=3)
    assert (edit.kind, edit.base_version, edit.fields, edit.boundary) == (
        "reinstate", 3, {}, None)
    zone.refresh_from_db()
    assert (zone.status, zone.version) == ("retired", 3)
    # The review shows the zone appearing (no old outline) with the status it had before.
    [review] = selectors.changeset_review(changeset)
    assert review["old_geometry"] is None
    assert review["new_geometry"]["type"] == "MultiPolygon"
    assert (review["old_m2"], review["change_m2"]) == (None, None)
    assert review["new_m2"] == pytest.approx(10_000, abs=0.5)
    assert [(r["field"], r["new"]) for r in review["rows"]] == [("status", "Proposed")]
    preview = {f["id"]: f for f in selectors.preview_features(changeset)}
    assert preview[zone.pk]["properties"]["status"] == "proposed"
    services.changeset_submit(changeset=changeset, user=urban)
    services.changeset_approve(changeset=changeset, user=urban2)
    services.changeset_publish(changeset=changeset, user=urban2)
    zone.refresh_from_db()
    assert (zone.status, zone.version) == ("proposed", 4)
    assert zone.history.latest().history_change_reason == f"#{changeset.pk} 施工结束，恢复集市"


def test_reinstatement_refusals_change_nothing(zone, urban, supervision):
    changeset = services.changeset_create(user=urban, comment="恢复")
    with pytest.raises(services.ChangesetStateError, match="is not retired"):
        services.changeset_add_edit(changeset=changeset, user=urban, kind=EditKind.REINSTATE,
                                    zone=zone, base_version=1)
    zone_services.zone_retire(zone=zone, expected_version=1, user=urban, reason="撤销")
    with pytest.raises(ValidationError, match="brings the zone back as it was"):
        services.changeset_add_edit(changeset=changeset, user=urban, kind=EditKind.REINSTATE,
                                    zone=zone, base_version=2, fields={"capacity": 10})
    with pytest.raises(PermissionDenied):
        services.changeset_add_edit(changeset=services.changeset_create(user=supervision),
                                    user=supervision, kind=EditKind.REINSTATE, zone=zone,
                                    base_version=2)
    with pytest.raises(zone_services.VersionConflict):
        services.changeset_add_edit(changeset=changeset, user=urban, kind=EditKind.REINSTATE,
                                    zone=zone, base_version=1)
    assert changeset.edits.count() == 0
    zone.refresh_from_db()
    assert (zone.status, zone.version) == ("retired", 2)
