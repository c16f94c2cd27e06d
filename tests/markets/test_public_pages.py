"""The public market-hours pages /markets/ and /markets/<id>/ (server-rendered HTML)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from markets.models import CalendarException, Closure
from markets.schedule import TZ
from tests.conftest import square

SEASONAL = "May-Oct Fr,Sa 18:00-01:00; PH off"


@pytest.fixture
def en_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


class _Controls(HTMLParser):
    """Collects form controls and the ids that labels point at."""

    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.items: list[dict] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append(a)
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        if tag == "li" and "market-item" in (a.get("class") or ""):
            self.items.append(a)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


def _parse(response) -> _Controls:
    parser = _Controls()
    parser.feed(response.content.decode())
    return parser


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.django_db
def test_list_shows_open_badges_at_the_given_instant(en_client, zone_factory):
    zone_factory(name="大唐路夜市", opening_hours="Mo-Su 18:00-22:00")
    zone_factory(
        name="悦西市美食街", opening_hours="Mo-Su 20:00-02:00", boundary=square(98.31, 39.80)
    )
    response = en_client.get("/markets/?at=2026-06-05T19:00")
    assert response.status_code == 200
    items = {i["data-name"]: i["data-open-now"] for i in _parse(response).items}
    assert items == {"大唐路夜市": "true", "悦西市美食街": "false"}
    text = _text(response)
    assert "open until 22:00" in text
    assert "opens 20:00" in text
    assert "Hours as of 5 June 2026 19:00, Beijing time." in text
    # At 23:00 the first has closed and the second is open past midnight.
    later = {
        i["data-name"]: i["data-open-now"]
        for i in _parse(en_client.get("/markets/?at=2026-06-05T23:00")).items
    }
    assert later == {"大唐路夜市": "false", "悦西市美食街": "true"}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("when=now", ["甲"]),
        ("when=tonight", ["丙", "甲"]),
        ("kind=flea", ["乙"]),
        ("kind=trunk&when=now", ["甲"]),
        ("", ["丙", "乙", "甲"]),
    ],
)
@pytest.mark.django_db
def test_list_filters(en_client, zone_factory, query, names):
    zone_factory(name="甲", kind="trunk", opening_hours="Mo-Su 18:00-22:00")
    zone_factory(
        name="乙", kind="flea", opening_hours="Sa 09:00-12:00", boundary=square(98.31, 39.80)
    )
    zone_factory(
        name="丙", kind="trunk", opening_hours="Mo-Su 21:00-23:00", boundary=square(98.32, 39.80)
    )
    response = en_client.get(f"/markets/?at=2026-06-05T19:00&{query}")
    assert [i["data-name"] for i in _parse(response).items] == names


@pytest.mark.django_db
def test_list_rejects_a_bad_at_with_a_message(en_client, zone_factory):
    zone_factory()
    response = en_client.get("/markets/?at=next-friday")
    assert response.status_code == 400
    assert "at must be an ISO 8601 date and time" in _text(response)


@pytest.mark.django_db
def test_list_hides_drafts_and_labels_every_control(en_client, zone_factory):
    zone_factory(name="甲")
    zone_factory(name="草稿", status="proposed", boundary=square(98.31, 39.80))
    parsed = _parse(en_client.get("/markets/"))
    assert [i["data-name"] for i in parsed.items] == ["甲"]
    unlabelled = [c for c in parsed.controls if c.get("id") not in parsed.label_for]
    assert unlabelled == []


@pytest.mark.django_db
def test_list_is_chinese_by_default(zone_factory):
    zone_factory(opening_hours="Mo-Su 18:00-22:00")
    text = _text(Client().get("/markets/?at=2026-06-05T19:00"))
    assert "夜间集市" in text
    assert "营业中，至 22:00" in text
    assert "正在营业" in text


@pytest.mark.django_db
def test_detail_page(en_client, zone_factory, department):
    zone = zone_factory(
        name="大唐路夜市",
        opening_hours=SEASONAL,
        contact="城管大队 0937-1234567",
        permitted_goods=["日用百货", "服装"],
        prohibited_goods=["油烟类餐饮", "赌博"],
        duties=["摊走地净", "自备垃圾袋"],
        capacity=60,
        boundary=square(98.30, 39.80, size=0.002),
    )
    Closure.objects.create(
        zone=zone,
        start=dt.datetime(2026, 6, 6, 20, 0, tzinfo=TZ),
        end=dt.datetime(2026, 6, 6, 23, 0, tzinfo=TZ),
        reason="暴雨预警",
    )
    CalendarException.objects.create(date=dt.date(2026, 6, 19), kind="holiday", name="端午节")
    response = en_client.get(f"/markets/{zone.pk}/?at=2026-06-05T19:00")
    assert response.status_code == 200
    text = _text(response)
    for expected in (
        "open until 01:00",
        "Hours for the next 7 days",
        "暴雨预警",
        "日用百货",
        "服装",
        "油烟类餐饮",
        "赌博",
        "摊走地净",
        "自备垃圾袋",
        "60 stalls",
        "发改委",
        "城管大队 0937-1234567",
        "Last updated",
    ):
        assert expected in text, expected
    # 5-11 June: sessions on Friday 5 and Saturday 6 only (Saturday's cut by the closure).
    rows = re.findall(r'<tr data-date="([\d-]+)">(.*?)</tr>', response.content.decode(), re.S)
    assert [d for d, _ in rows] == [f"2026-06-{d:02d}" for d in range(5, 12)]
    assert ["18:00–01:00" in body for _, body in rows] == [True, True] + [False] * 5
    assert "interval-cut" in rows[1][1]
    # Directions: the point on the surface of a 0.002° square is its centre (98.301, 39.801).
    links = _parse(response).links
    assert (
        "https://uri.amap.com/marker?position=98.301%2C39.801&name=%E5%A4%A7%E5%94%90%E8%B7"
        "%AF%E5%A4%9C%E5%B8%82&coordinate=wgs84&callnative=0"
    ) in links
    assert "geo:39.801,98.301" in links


@pytest.mark.django_db
def test_detail_shows_a_suspension(en_client, zone_factory):
    zone = zone_factory(status="suspended", status_reason="道路施工")
    text = _text(en_client.get(f"/markets/{zone.pk}/?at=2026-06-05T19:00"))
    assert "suspended today: 道路施工" in text


@pytest.mark.parametrize("status", ["proposed", "retired"])
@pytest.mark.django_db
def test_detail_of_a_non_public_zone_is_404(en_client, zone_factory, status):
    zone = zone_factory(status=status)
    assert en_client.get(f"/markets/{zone.pk}/").status_code == 404


@pytest.mark.django_db
def test_detail_bad_at_is_400(en_client, zone_factory):
    zone = zone_factory()
    response = en_client.get(f"/markets/{zone.pk}/?at=soon")
    assert response.status_code == 400
    assert "at must be an ISO 8601 date and time" in _text(response)


# --- hours in words (issue 16 item 4) ----------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_hours_in_words_not_the_rule(zone_factory):
    zone_factory(name="大唐路夜市", opening_hours="Jul-Oct Mo-Su 18:00-22:00; PH 18:00-23:30")
    # Wednesday 1 July 2026, noon: closed, opens at 18:00 (the status line) until 22:00.
    response = Client().get("/markets/?at=2026-07-01T12:00")
    text = _text(response)
    for expected in (
        "每天 18:00–22:00（7–10月）",
        "节假日延长至 23:30",
        "今天 18:00 开市",
        "开市后营业至 22:00",
        "本季 7–10月",
    ):
        assert expected in text, expected
    # Neither the page nor its JSON carries the raw OSM string.
    assert "Jul-Oct" not in response.content.decode()


@pytest.mark.django_db
def test_list_hours_in_english(en_client, zone_factory):
    zone_factory(opening_hours="Jul-Oct Mo-Su 18:00-22:00")
    text = _text(en_client.get("/markets/?at=2026-07-01T19:00"))
    for expected in ("Daily 18:00–22:00 (Jul–Oct)", "next opens tomorrow 18:00", "Season: Jul–Oct"):
        assert expected in text, expected


@pytest.mark.django_db
def test_detail_shows_the_raw_rule_to_staff_only(zone_factory, user_factory):
    zone = zone_factory(opening_hours=SEASONAL)
    public = Client().get(f"/markets/{zone.pk}/?at=2026-06-05T19:00")
    assert "周五、周六 18:00–次日01:00（5–10月）" in _text(public)
    assert "节假日休市" in _text(public)
    assert "营业中，至 01:00" in _text(public)
    assert "下次开市 明天 18:00" in _text(public)
    assert "01:00 收市" not in _text(public)  # the status line's news, said once
    assert "Fr,Sa" not in public.content.decode()
    staff = Client()
    staff.force_login(user_factory("urban_management"))
    page = staff.get(f"/markets/{zone.pk}/?at=2026-06-05T19:00").content.decode()
    assert f'规则（工作人员可见）： <code lang="en">{SEASONAL}</code>' in page


@pytest.mark.django_db
def test_list_page_is_computed_once_a_minute_and_follows_every_write(
    en_client, zone_factory, django_assert_max_num_queries
):
    zone = zone_factory(name="大唐路夜市", opening_hours="Mo-Su 18:00-22:00")
    first = en_client.get("/markets/?at=2026-06-05T19:00")
    assert {i["data-name"]: i["data-open-now"] for i in _parse(first).items} == {
        "大唐路夜市": "true"
    }
    # Asked again at the same instant and version: no features, closures or calendar queries
    # (the version query, the session and the anonymous request's own bookkeeping only).
    with django_assert_max_num_queries(2):
        again = en_client.get("/markets/?at=2026-06-05T19:00")
    assert _parse(again).items == _parse(first).items
    assert f'href="/markets/{zone.pk}/?at=2026-06-05T19%3A00"' in again.content.decode()
    Closure.objects.create(
        zone=zone,
        start=dt.datetime(2026, 6, 5, 18, 0, tzinfo=TZ),
        end=dt.datetime(2026, 6, 5, 23, 0, tzinfo=TZ),
        reason="暴雨预警",
    )
    closed = en_client.get("/markets/?at=2026-06-05T19:00")
    assert {i["data-name"]: i["data-open-now"] for i in _parse(closed).items} == {
        "大唐路夜市": "false"
    }
