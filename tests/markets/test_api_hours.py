"""Hours in the market-zone API: properties, ``at``, filters, the schedule and the preview."""

from __future__ import annotations

import datetime as dt

import pytest

from markets.models import CalendarException, Closure
from markets.schedule import TZ

# Friday 5 June 2026; the factory's zones are open Mo-Su 18:00-22:00 unless told otherwise.
FRIDAY_EVENING = "2026-06-05T19:00:00"
SEASONAL = "May-Oct Fr,Sa 18:00-01:00; PH off"


def _features(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["features"]


def _one(response) -> dict:
    [feature] = _features(response)
    return feature["properties"]


@pytest.mark.django_db
def test_feature_carries_hours_and_rules(api_client, zone_factory, department):
    zone_factory(name="大唐路夜市", opening_hours=SEASONAL, contact="0937-0000000")
    props = _one(api_client.get(f"/api/v1/markets/?at={FRIDAY_EVENING}", HTTP_ACCEPT_LANGUAGE="en"))
    # Issue 16: the public reads the hours in words; the raw OSM string is for staff only.
    assert "opening_hours" not in props
    hours = {
        k: props[k]
        for k in (
            "hours_text",
            "season_text",
            "next_change_text",
            "open_now",
            "next_change",
            "status_text",
            "open_tonight",
            "evaluated_at",
            "permitted_goods",
            "prohibited_goods",
            "duties",
            "capacity",
            "department",
            "contact",
        )
    }
    assert hours == {
        "hours_text": ["Fri, Sat 18:00–01:00 (next day) (May–Oct)", "Closed on public holidays"],
        "season_text": "Season: May–Oct",
        "next_change_text": "next opens tomorrow 18:00",
        "open_now": True,
        "next_change": "2026-06-06T01:00:00+08:00",
        "status_text": "open until 01:00",
        "open_tonight": True,
        "evaluated_at": "2026-06-05T19:00:00+08:00",
        "permitted_goods": ["日用百货"],
        "prohibited_goods": ["油烟类餐饮"],
        "duties": ["摊走地净"],
        "capacity": 40,
        "department": "发改委",
        "contact": "0937-0000000",
    }


@pytest.mark.parametrize(
    "at",
    [
        "2026-06-05T19:00",  # naive: Asia/Shanghai
        "2026-06-05T19:00:00%2B08:00",  # with its offset (the + encoded)
        "2026-06-05T19:00:00 08:00",  # a + that arrived as a space
        "2026-06-05T11:00:00Z",  # the same instant in UTC
        "2026-06-05T13:00:00%2B02:00",
    ],
    ids=["naive", "offset", "lost-plus", "utc", "other-offset"],
)
@pytest.mark.django_db
def test_at_naive_offset_and_utc_are_the_same_instant(api_client, zone_factory, at):
    zone_factory(opening_hours=SEASONAL)
    props = _one(api_client.get(f"/api/v1/markets/?at={at}"))
    assert (props["open_now"], props["next_change"], props["evaluated_at"]) == (
        True,
        "2026-06-06T01:00:00+08:00",
        "2026-06-05T19:00:00+08:00",
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("at=tomorrow", "at"),
        ("at=2026-13-01T10:00", "at"),
        ("at=9999-12-31T23:59", "at"),  # would overflow one day later
        ("at=0001-01-01T00:00", "at"),
        ("open_now=yes", "open_now"),
        ("open_now=1", "open_now"),
        ("open_tonight=maybe", "open_tonight"),
        ("kind=bazaar", "kind"),
    ],
)
@pytest.mark.django_db
def test_bad_parameters_are_400_with_the_field(api_client, zone_factory, query, field):
    zone_factory()
    response = api_client.get(f"/api/v1/markets/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert list(body["errors"]) == [field]
    assert body["detail"] == body["errors"][field][0]


@pytest.mark.django_db
def test_open_now_and_kind_filters(api_client, zone_factory):
    from tests.conftest import square

    zone_factory(name="甲", kind="trunk", opening_hours="Mo-Su 18:00-22:00")
    zone_factory(
        name="乙", kind="flea", opening_hours="Mo-Su 20:00-23:00", boundary=square(98.31, 39.80)
    )
    zone_factory(
        name="丙", kind="trunk", opening_hours="Mo-Su 20:00-23:00", boundary=square(98.32, 39.80)
    )

    def names(query: str) -> list[str]:
        return [
            f["properties"]["name"]
            for f in _features(api_client.get(f"/api/v1/markets/?at={FRIDAY_EVENING}&{query}"))
        ]

    assert names("open_now=true") == ["甲"]
    assert names("open_now=false") == ["丙", "乙"]  # ordered by name (pinyin-free: code points)
    assert names("open_now=false&kind=trunk") == ["丙"]
    assert names("open_tonight=true") == ["丙", "乙", "甲"]
    assert names("kind=flea") == ["乙"]


@pytest.mark.django_db
def test_status_text_follows_the_request_language(api_client, zone_factory):
    zone_factory(opening_hours=SEASONAL)
    url = f"/api/v1/markets/?at={FRIDAY_EVENING}"
    assert _one(api_client.get(url))["status_text"] == "营业中，至 01:00"  # default: Chinese
    assert _one(api_client.get(url, HTTP_ACCEPT_LANGUAGE="en"))["status_text"] == (
        "open until 01:00"
    )
    out_of_season = "/api/v1/markets/?at=2026-11-02T12:00"
    assert _one(api_client.get(out_of_season))["status_text"] == "季节性休市，5月1日开市"
    assert _one(api_client.get(out_of_season, HTTP_ACCEPT_LANGUAGE="en"))["status_text"] == (
        "closed for the season until 1 May"
    )


@pytest.mark.django_db
def test_suspended_closed_and_holiday_zones(api_client, zone_factory):
    from tests.conftest import square

    zone_factory(name="甲", status="suspended", status_reason="道路施工")
    closed = zone_factory(name="乙", boundary=square(98.31, 39.80))
    Closure.objects.create(
        zone=closed,
        start=dt.datetime(2026, 6, 5, 18, 30, tzinfo=TZ),
        end=dt.datetime(2026, 6, 5, 21, 0, tzinfo=TZ),
        reason="消防检查",
    )
    zone_factory(
        name="丙", opening_hours="Mo-Su 18:00-22:00; PH off", boundary=square(98.32, 39.80)
    )
    CalendarException.objects.create(date=dt.date(2026, 6, 5), kind="holiday", name="测试假日")
    response = api_client.get(f"/api/v1/markets/?at={FRIDAY_EVENING}", HTTP_ACCEPT_LANGUAGE="en")
    got = {
        f["properties"]["name"]: (
            f["properties"]["open_now"],
            f["properties"]["next_change"],
            f["properties"]["status_text"],
        )
        for f in _features(response)
    }
    assert got == {
        "甲": (False, None, "suspended today: 道路施工"),
        "乙": (False, "2026-06-05T21:00:00+08:00", "temporarily closed: 消防检查"),
        # PH off on the holiday; the next opening is Saturday's 18:00.
        "丙": (False, "2026-06-06T18:00:00+08:00", "opens tomorrow 18:00"),
    }


@pytest.mark.django_db
def test_detail_has_the_hours_too(api_client, zone_factory):
    zone = zone_factory(opening_hours=SEASONAL)
    response = api_client.get(
        f"/api/v1/markets/{zone.pk}/?at=2026-06-06T00:30", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    props = response.json()["properties"]
    # 00:30 on Saturday belongs to Friday evening's session.
    assert (props["open_now"], props["status_text"]) == (True, "open until 01:00")
    assert api_client.get(f"/api/v1/markets/{zone.pk}/?at=nonsense").status_code == 400


@pytest.mark.django_db
def test_list_query_budget(staff_client, zone_factory, django_assert_num_queries):
    from tests.conftest import square

    for i in range(5):
        zone_factory(boundary=square(98.30 + i * 0.002, 39.80))
    # The user's groups, the data's version, the features (one SQL query), the closures of all
    # listed zones and the holiday table: the same five for 5 zones or 1,000. (Staff: no
    # anonymous throttle counter.)
    with django_assert_num_queries(5):
        response = staff_client.get(f"/api/v1/markets/?at={FRIDAY_EVENING}")
    assert len(_features(response)) == 5
    # The same question at the same version again: this worker's rendered body, after the
    # version query (the forced user keeps its groups from the first request).
    with django_assert_num_queries(1):
        again = staff_client.get(f"/api/v1/markets/?at={FRIDAY_EVENING}")
    assert again.content == response.content


@pytest.mark.django_db
def test_list_says_now_each_minute_and_follows_every_write(api_client, zone_factory, monkeypatch):
    from django.utils import timezone

    zone = zone_factory(name="悦西市美食街")

    def at(hour: int, minute: int, second: int) -> list[dict]:
        moment = dt.datetime(2026, 6, 5, hour, minute, second, tzinfo=TZ)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return _features(api_client.get("/api/v1/markets/"))[0]["properties"]

    first = at(19, 30, 5)
    same = at(19, 30, 50)
    # Within one minute and one version the first answer of the minute stands, and says when
    # it was computed.
    assert same["evaluated_at"] == first["evaluated_at"] == "2026-06-05T19:30:05+08:00"
    Closure.objects.create(
        zone=zone,
        start=dt.datetime(2026, 6, 5, 19, 0, tzinfo=TZ),
        end=dt.datetime(2026, 6, 5, 23, 0, tzinfo=TZ),
        reason="暴雨预警",
    )
    closed = at(19, 30, 55)  # a write: answered afresh at once
    later = at(19, 31, 1)  # the next minute: answered afresh
    assert closed["evaluated_at"] == "2026-06-05T19:30:55+08:00"
    assert later["evaluated_at"] == "2026-06-05T19:31:01+08:00"
    assert (first["open_now"], closed["open_now"], later["open_now"]) == (True, False, False)


# --- /api/v1/markets/<id>/schedule/ ------------------------------------------------------------


@pytest.mark.django_db
def test_schedule_day_by_day(api_client, zone_factory):
    zone = zone_factory(name="悦西市美食街", opening_hours=SEASONAL)
    Closure.objects.create(
        zone=zone,
        start=dt.datetime(2026, 6, 6, 20, 0, tzinfo=TZ),
        end=dt.datetime(2026, 6, 6, 23, 0, tzinfo=TZ),
        reason="暴雨预警",
    )
    CalendarException.objects.create(date=dt.date(2026, 6, 7), kind="workday", name="调休")
    response = api_client.get(
        f"/api/v1/markets/{zone.pk}/schedule/?from=2026-06-05&days=3", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": zone.pk,
        "name": "悦西市美食街",
        # Issue 16: words for the public, no raw OSM string (staff: see the test below).
        "hours_text": ["Fri, Sat 18:00–01:00 (next day) (May–Oct)", "Closed on public holidays"],
        "status": "active",
        "status_reason": "",
        "from": "2026-06-05",
        "days": [
            {
                "date": "2026-06-05",
                "weekday": "Friday",
                "day_kind": None,
                "holiday_name": None,
                "intervals": [
                    {
                        "start": "2026-06-05T18:00:00+08:00",
                        "end": "2026-06-06T01:00:00+08:00",
                        "label": "18:00–01:00",
                        "closures": [],
                        "open": [
                            {
                                "start": "2026-06-05T18:00:00+08:00",
                                "end": "2026-06-06T01:00:00+08:00",
                            }
                        ],
                    }
                ],
            },
            {
                "date": "2026-06-06",
                "weekday": "Saturday",
                "day_kind": None,
                "holiday_name": None,
                "intervals": [
                    {
                        "start": "2026-06-06T18:00:00+08:00",
                        "end": "2026-06-07T01:00:00+08:00",
                        "label": "18:00–01:00",
                        "closures": [
                            {
                                "start": "2026-06-06T20:00:00+08:00",
                                "end": "2026-06-06T23:00:00+08:00",
                                "reason": "暴雨预警",
                            }
                        ],
                        "open": [
                            {
                                "start": "2026-06-06T18:00:00+08:00",
                                "end": "2026-06-06T20:00:00+08:00",
                            },
                            {
                                "start": "2026-06-06T23:00:00+08:00",
                                "end": "2026-06-07T01:00:00+08:00",
                            },
                        ],
                    }
                ],
            },
            # A make-up working Sunday keeps Monday's hours: none.
            {
                "date": "2026-06-07",
                "weekday": "Sunday",
                "day_kind": "workday",
                "holiday_name": "调休",
                "intervals": [],
            },
        ],
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("days=0", "days"),
        ("days=32", "days"),
        ("days=seven", "days"),
        ("from=2026-02-30", "from"),
        ("from=June", "from"),
        ("from=9999-12-31", "from"),
    ],
)
@pytest.mark.django_db
def test_schedule_bad_parameters(api_client, zone_factory, query, field):
    zone = zone_factory()
    response = api_client.get(f"/api/v1/markets/{zone.pk}/schedule/?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.django_db
def test_schedule_limits_and_visibility(api_client, zone_factory):
    zone = zone_factory()
    days = api_client.get(f"/api/v1/markets/{zone.pk}/schedule/?days=31").json()["days"]
    assert len(days) == 31
    assert len(api_client.get(f"/api/v1/markets/{zone.pk}/schedule/").json()["days"]) == 7
    draft = zone_factory(status="proposed")
    assert api_client.get(f"/api/v1/markets/{draft.pk}/schedule/").status_code == 404
    assert api_client.get("/api/v1/markets/999999/schedule/").status_code == 404


# --- /api/v1/markets/preview-hours/ ------------------------------------------------------------


@pytest.mark.django_db
def test_preview_needs_staff(api_client):
    response = api_client.get("/api/v1/markets/preview-hours/?opening_hours=24/7")
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}


@pytest.mark.django_db
def test_preview_shows_days_or_the_parser_error(user_factory):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user_factory("urban_management"))
    ok = client.get(
        "/api/v1/markets/preview-hours/",
        {"opening_hours": "Fr 18:00-01:00", "from": "2026-06-05", "days": "2"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert ok.status_code == 200
    assert [[i["label"] for i in d["intervals"]] for d in ok.json()["days"]] == [
        ["18:00–01:00"],
        [],
    ]
    bad = client.get(
        "/api/v1/markets/preview-hours/",
        {"opening_hours": "Mo-Zz 10:00-12:00"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "detail": "The opening hours could not be read at line 1, character 4: expected wday.",
        "errors": {
            "opening_hours": [
                "The opening hours could not be read at line 1, character 4: expected wday."
            ]
        },
        "problem": {"message": "expected wday", "line": 1, "column": 4},
    }


# --- hours in words (issue 16 item 4) ----------------------------------------------------------


@pytest.mark.django_db
def test_staff_also_get_the_raw_rule(staff_client, zone_factory):
    zone = zone_factory(opening_hours=SEASONAL)
    props = _one(staff_client.get(f"/api/v1/markets/?at={FRIDAY_EVENING}"))
    assert props["opening_hours"] == SEASONAL
    detail = staff_client.get(f"/api/v1/markets/{zone.pk}/?at={FRIDAY_EVENING}").json()
    assert detail["properties"]["opening_hours"] == SEASONAL
    schedule = staff_client.get(f"/api/v1/markets/{zone.pk}/schedule/?from=2026-06-05&days=1")
    assert schedule.json()["opening_hours"] == SEASONAL


@pytest.mark.parametrize(
    ("at", "chinese", "english"),
    [
        # The status line says the next change; this line the one after it (issue 16).
        # Friday 5 June 2026 (SEASONAL: May–Oct, Fr and Sa 18:00–01:00): open until 01:00,
        # then Saturday evening.
        ("2026-06-05T19:00", "下次开市 明天 18:00", "next opens tomorrow 18:00"),
        # Friday noon: opens at 18:00 (the status line), open until Saturday 01:00.
        ("2026-06-05T12:00", "开市后营业至 次日 01:00", "then open until 01:00 (next day)"),
        ("2026-06-04T20:00", "开市后营业至 次日 01:00", "then open until 01:00 (next day)"),
        # Saturday 31 October: the season's last evening; Saturday 1 May 2027 is the next
        # (no holiday table in the test, so PH off does not apply).
        (
            "2026-10-31T19:00",
            "本季最后一晚，2027年5月1日 再开市",
            "last evening of the season; reopens 1 May 2027",
        ),
        # Sunday 1 November: closed for the winter until 1 May 2027, 18:00–01:00.
        ("2026-11-01T12:00", "开市后营业至 次日 01:00", "then open until 01:00 (next day)"),
    ],
)
@pytest.mark.django_db
def test_next_change_in_words(api_client, zone_factory, at, chinese, english):
    zone_factory(opening_hours=SEASONAL)
    zh = _one(api_client.get(f"/api/v1/markets/?at={at}", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    en = _one(api_client.get(f"/api/v1/markets/?at={at}", HTTP_ACCEPT_LANGUAGE="en"))
    assert (zh["next_change_text"], en["next_change_text"]) == (chinese, english)
    assert (zh["season_text"], en["season_text"]) == ("本季 5–10月", "Season: May–Oct")


@pytest.mark.django_db
def test_no_words_when_the_state_never_changes(api_client, zone_factory):
    zone_factory(opening_hours="Mo-Su 18:00-22:00", status="suspended")
    props = _one(api_client.get(f"/api/v1/markets/?at={FRIDAY_EVENING}"))
    assert props["hours_text"] == ["每天 18:00–22:00"]
    assert (props["season_text"], props["next_change_text"]) == (None, None)
