"""The monthly briefing: its numbers against /api/v1/stats/, its sentences computed by hand for
a small city, the Word and PDF documents read back, bad months and permissions."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import docx
import pypdf
import pytest
from django.test import Client
from django.utils import timezone

from geo.models import Leader
from geo.roles import ALL_ROLES
from markets.models import CalendarException, DayKind
from sites.briefing import figures, prose, ranking
from sites.models import ProgressReport
from sites.orders.models import OrderState, SupervisionOrder

SHANGHAI = ZoneInfo("Asia/Shanghai")
PATHS = ["/briefing/", "/briefing/briefing.docx", "/briefing/briefing.pdf"]


def at(day: str, hour: int = 10) -> dt.datetime:
    """An aware datetime in Asia/Shanghai."""
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


def report(project, month: str, stage: str, money: int) -> None:
    y, m = (int(x) for x in month.split("-"))
    ProgressReport.objects.create(
        project=project,
        month=dt.date(y, m, 1),
        stage=stage,
        completed_investment=Decimal(money),
        percent_complete=Decimal(0),
        reported_at=timezone.now(),
    )


@pytest.fixture
def small_city(
    project_factory, department_factory, department, livelihood_factory, user_factory, leader
):
    """Four projects in 发改委 (fgw) and 工信局 (gxj), four orders, one late livelihood work.

    As of June 2026 (reference date 30 June): p1 new, started May (300 万元 of 1,000), not
    registered, applied 1 June; p2 new, never reported (preparation); p3 continuing, completed
    (1,500 of 2,000), registered 2025; p4 continuing, preparation. p2 and p4 were planned to
    start in March: 3 months late, red.
    """
    gxj = department_factory(code="gxj", name="工信局")
    li = Leader.objects.create(name="李副市长", title="副市长")
    p1 = project_factory(
        name="甬金金融科技",
        build_type="new",
        planned_investment_year=1000,
        actual_start=dt.date(2026, 5, 10),
        stats_status="applied",
        stats_applied_on=dt.date(2026, 6, 1),
        bond_status="candidate",
        bond_requested=6_000_000,
    )
    p2 = project_factory(name="索通盛源碳材料", build_type="new", planned_investment_year=1000)
    p3 = project_factory(
        name="中鹏房地产",
        build_type="continuing",
        planned_investment_year=2000,
        lead_department=gxj,
        leader=li,
        actual_start=dt.date(2025, 5, 1),
        stats_status="registered",
        stats_registered_on=dt.date(2025, 6, 1),
        bond_status="approved",
        bond_requested=3_000_000,
        bond_approved=2_500_000,
    )
    p4 = project_factory(
        name="瀚海铝材",
        build_type="continuing",
        planned_investment_year=1000,
        lead_department=gxj,
        leader=li,
    )
    report(p1, "2026-05", "construction", 300)
    report(p3, "2026-06", "completed", 1500)
    report(p3, "2026-07", "operating", 2000)  # after June: not in June's briefing
    report(p4, "2026-04", "preparation", 0)
    livelihood_factory(
        name="五一路小学教学楼",
        milestones=[
            ("完成施工招标", dt.date(2026, 5, 31), None),
            ("开工建设", dt.date(2026, 7, 31), None),
        ],
    )
    livelihood_factory(
        name="市二中教学楼",
        milestones=[
            ("完成施工招标", dt.date(2026, 5, 31), dt.date(2026, 5, 20)),
        ],
    )
    # 端午节 2026: Friday 19 June is a public holiday (the holiday table).
    CalendarException.objects.create(date=dt.date(2026, 6, 19), kind=DayKind.HOLIDAY, name="端午节")
    office = user_factory("project_office")
    common = {"issued_by": office, "requirement": "限期整改"}
    orders = [
        # fgw: issued Mon 1 June, signed Tue 2 June (the next working day: on time), due
        # 10 June, still in progress on 30 June: 20 days overdue, escalated 20 June.
        SupervisionOrder.objects.create(
            project=p2,
            department=department,
            subject="尽快开工",
            deadline=dt.date(2026, 6, 10),
            state=OrderState.IN_PROGRESS,
            issued_at=at("2026-06-01"),
            signed_at=at("2026-06-02"),
            escalated_to=leader,
            escalated_at=at("2026-06-20"),
            **common,
        ),
        # gxj: issued Fri 5 June, signed Tue 9 June (the next working day was Mon 8: late),
        # closed 20 June before its deadline of 25 June: closed on time.
        SupervisionOrder.objects.create(
            project=p4,
            department=gxj,
            subject="落实用地",
            deadline=dt.date(2026, 6, 25),
            state=OrderState.CLOSED,
            issued_at=at("2026-06-05"),
            signed_at=at("2026-06-09"),
            closed_at=at("2026-06-20"),
            **common,
        ),
        # fgw: issued Thu 18 June, signed Mon 22 June — on time only because Fri 19 June is a
        # holiday; closed 29 June after its deadline of 26 June: late.
        SupervisionOrder.objects.create(
            project=p1,
            department=department,
            subject="加快入库",
            deadline=dt.date(2026, 6, 26),
            state=OrderState.CLOSED,
            issued_at=at("2026-06-18"),
            signed_at=at("2026-06-22"),
            closed_at=at("2026-06-29"),
            **common,
        ),
        # gxj: issued 15 June, not signed, due 15 July: neither due nor overdue on 30 June.
        SupervisionOrder.objects.create(
            project=p3,
            department=gxj,
            subject="报送月报",
            deadline=dt.date(2026, 7, 15),
            state=OrderState.ISSUED,
            issued_at=at("2026-06-15"),
            **common,
        ),
        # Issued in July: not in June's figures at all.
        SupervisionOrder.objects.create(
            project=p2,
            department=department,
            subject="七月督办",
            deadline=dt.date(2026, 7, 20),
            state=OrderState.ISSUED,
            issued_at=at("2026-07-02"),
            **common,
        ),
    ]
    return p1, p2, p3, p4, orders


def staff_page(client_user, url: str):
    client = Client()
    client.force_login(client_user)
    return client.get(url)


@pytest.mark.django_db
def test_briefing_numbers_are_the_stats_of_the_month(staff_client, small_city):
    api = staff_client.get("/api/v1/stats/?as_of=2026-06").json()
    briefing = figures.briefing_for(dt.date(2026, 6, 1))
    assert briefing.stats == api
    # The lists are as long as the stats' counts.
    assert len(briefing.pending_registrations) == api["overall"]["started_unregistered"] == 1
    assert len(briefing.red_projects) == api["overall"]["light_red"] == 2


@pytest.mark.django_db
def test_the_current_month_reads_as_of_today(staff_client, small_city):
    # Its last day is still ahead: the figures are today's, the stats with no as_of.
    api = staff_client.get("/api/v1/stats/").json()
    briefing = figures.briefing_for(timezone.localdate().replace(day=1))
    assert briefing.stats == api
    assert briefing.reference_date == timezone.localdate()


@pytest.mark.django_db
def test_briefing_sentences_by_hand(small_city):
    p1, p2, p3, p4, orders = small_city
    with timezone.override("Asia/Shanghai"):
        sections = {s.key: s for s in prose.sections(figures.briefing_for(dt.date(2026, 6, 1)))}
    # started p1, p3 of 4: 50.0%; new p1 of p1, p2: 50.0%; completed 300 + 1,500 = 1,800 of
    # 1,000 + 1,000 + 2,000 + 1,000 = 5,000 万元: 36.0%; not started: p4 (continuing), p2 (new).
    assert sections["overall"].paragraphs[0] == (
        "截至2026年6月30日，年初4个计划建设项目开复工率50.0%，其中2个新建项目仅开工1个、"
        "开工率50.0%，投资完成率36.0%（完成投资1,800 万元，年度计划5,000 万元）；"
        "还有1个续建项目、1个新建项目没有开工。"
    )
    # 30 June is day 181 of 365: 49.6%; 36.0 - 49.6 = -13.6 points. Behind (>= 10 points):
    # p1 (30.0%), p2 and p4 (0%); p3 is at 75.0%.
    assert sections["overall"].paragraphs[1] == (
        "全年时间已过49.6%，投资完成率36.0%，落后序时进度13.6个百分点；"
        "3个项目因投资落后序时进度亮起黄灯或红灯。"
    )
    # Bank: candidate 6,000,000 + approved 3,000,000 = 9,000,000 万元 = 900.0 亿元 of the
    # 1,000 亿元 target (90.0%); submitted or decided: p3 only, approved: 1 (100.0%).
    assert sections["bonds"].paragraphs == [
        "专项债项目库储备900.0 亿元，为1,000.0 亿元目标的90.0%，距目标还差100.0 亿元；"
        "已申报1个项目、获批1个，获批率100.0%，获批额度250.0 亿元。"
    ]
    assert sections["registration"].paragraphs == [
        "已开工但尚未入库报统的项目1个：甬金金融科技（已申报）。"
    ]
    red = sections["red"].items
    assert len(red) == 2
    assert red[0].startswith(
        "1. 索通盛源碳材料（发改委，包抓领导王副市长）：较计划开工（2026-03）滞后 3 个月"
    )
    assert red[0].endswith(
        f"督办单#{orders[0].pk}“尽快开工”（发改委，办理中，期限2026年6月10日，逾期20天，"
        "已升级至王副市长）。"
    )
    assert red[1].startswith("2. 瀚海铝材（工信局，包抓领导李副市长）：")
    assert red[1].endswith(
        f"督办单#{orders[1].pk}“落实用地”（工信局，已销号，期限2026年6月25日，2026年6月20日销号）。"
    )
    # fgw: on-time closure 0 of 2 due (0.0%), start 1/2 (50.0%), completion 300/2,000 (15.0%):
    # mean 21.7. gxj: 1 of 1 due (100.0%), 1/2 (50.0%), 1,500/3,000 (50.0%): mean 66.7.
    assert sections["ranking"].paragraphs == [
        "按按时办结率、开复工率、投资完成率三项平均计算综合得分，本月骏马奖：工信局（综合得分66.7）；"
        "蜗牛奖：发改委（综合得分21.7）。"
    ]
    header, rows = sections["ranking"].table
    assert header == prose.RANKING_HEADER
    assert rows == [
        ("1", "工信局", "2", "0", "1", "0", "100.0%", "50.0%", "50.0%", "66.7"),
        ("2", "发改委", "2", "2", "0", "1", "0.0%", "50.0%", "15.0%", "21.7"),
    ]
    assert sections["livelihood"].paragraphs == ["1项民生实事滞后于节点："]
    assert sections["livelihood"].items == [
        "五一路小学教学楼（发改委）：“完成施工招标”计划2026年5月31日完成，尚未完成。"
    ]


@pytest.mark.django_db
def test_order_figures_are_one_query(small_city, django_assert_num_queries):
    with django_assert_num_queries(1):
        result = ranking.order_figures(ref=dt.date(2026, 6, 30))
    assert {
        code: (row["issued"], row["signed_on_time"], row["closed_on_time"], row["overdue"])
        for code, row in result.items()
    } == {"fgw": (2, 2, 0, 1), "gxj": (2, 0, 1, 0)}
    # On 1 July the July order is not issued yet either; on 3 July it is, and not overdue.
    later = ranking.order_figures(ref=dt.date(2026, 7, 3))
    assert later["fgw"]["issued"] == 3


@pytest.mark.django_db
def test_dashboard_shows_order_figures_ranking_and_briefing_link(small_city, user_factory):
    response = staff_page(user_factory("leaders"), "/dashboard/?as_of=2026-06")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'href="/briefing/?month=2026-06"' in text
    assert '<span id="award-best">工信局</span>' in text
    assert '<span id="award-worst">发改委</span>' in text
    rows = {row["code"]: row for row in response.context["departments"]}
    assert (
        rows["fgw"]["issued"],
        rows["fgw"]["signed_on_time"],
        rows["fgw"]["closed_on_time"],
        rows["fgw"]["overdue"],
    ) == (2, 2, 0, 1)
    assert [row["code"] for row in response.context["departments"]] == ["gxj", "fgw"]
    # Without a month: the current month's briefing.
    now = timezone.localdate().strftime("%Y-%m")
    assert (
        f'href="/briefing/?month={now}"'
        in staff_page(user_factory("leaders"), "/dashboard/").content.decode()
    )


def _text_of_docx(body: bytes) -> str:
    document = docx.Document(io.BytesIO(body))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += ["|".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(parts)


@pytest.mark.django_db
def test_docx_holds_the_briefing(small_city, user_factory):
    response = staff_page(user_factory("project_office"), "/briefing/briefing.docx?month=2026-06")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="briefing-2026-06.docx"' in response["Content-Disposition"]
    document = docx.Document(io.BytesIO(response.content))
    text = _text_of_docx(response.content)
    assert document.paragraphs[0].text == "2026年6月重点项目建设推进情况通报"
    assert "年初4个计划建设项目开复工率50.0%，其中2个新建项目仅开工1个" in text
    assert "落后序时进度13.6个百分点" in text
    assert "已开工但尚未入库报统的项目1个：甬金金融科技（已申报）。" in text
    assert "1|工信局|2|0|1|0|100.0%|50.0%|50.0%|66.7" in text
    assert "五一路小学教学楼（发改委）" in text
    assert len(document.inline_shapes) == 1  # the red projects' map


@pytest.mark.django_db
def test_pdf_holds_the_briefing_in_chinese(small_city, user_factory):
    response = staff_page(user_factory("leaders"), "/briefing/briefing.pdf?month=2026-06")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert "2026年6月重点项目建设推进情况通报" in text
    assert "年初4个计划建设项目开复工率50.0%" in text
    assert "蜗牛奖：发改委（综合得分21.7）" in text
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("WenQuanYi" in name for name in fonts), fonts  # Chinese glyphs, not tofu


@pytest.mark.django_db
def test_page_shows_the_briefing_with_its_downloads(small_city, user_factory):
    response = staff_page(user_factory("department_staff"), "/briefing/?month=2026-06")
    assert response.status_code == 200
    text = response.content.decode()
    assert "年初4个计划建设项目开复工率50.0%" in text
    assert 'href="/briefing/briefing.docx?month=2026-06"' in text
    assert 'href="/briefing/briefing.pdf?month=2026-06"' in text
    assert 'id="briefing-map"' in text
    assert 'src="data:image/png;base64,' in text


def _next_month() -> str:
    today = timezone.localdate()
    return f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("future", "The briefing cannot be for a month in the future"),
        ("2026-13", "The month must be written YYYY-MM"),
        ("June", "The month must be written YYYY-MM"),
    ],
)
def test_bad_month_is_a_400_with_a_message(user_factory, path, month, message):
    month = _next_month() if month == "future" else month
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    client.force_login(user_factory("leaders"))
    response = client.get(f"{path}?month={month}")
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("role", ["anonymous", "no_role", *ALL_ROLES])
def test_briefing_is_for_staff(user_factory, path, role):
    client = Client()
    if role != "anonymous":
        client.force_login(user_factory(None if role == "no_role" else role))
    response = client.get(f"{path}?month=2026-06")
    expected = {"anonymous": 302, "no_role": 403}.get(role, 200)
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/accounts/login/?next=/briefing/")


@pytest.mark.django_db
def test_month_defaults_to_this_month_and_takes_as_of():
    assert figures.parse_month({}) == timezone.localdate().replace(day=1)
    assert figures.parse_month({"as_of": "2026-06"}) == dt.date(2026, 6, 1)
    assert figures.parse_month({"month": "2026-05", "as_of": "2026-06"}) == dt.date(2026, 5, 1)
