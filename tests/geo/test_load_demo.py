"""load_demo: the demo city loads whole and coherent, and loading it again changes nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client, override_settings
from opening_hours import OpeningHours

from geo.demo import DEMO_PASSWORD, REFUSED_WITHOUT_DEBUG
from geo.models import CityBoundary, Department, District, Leader, StaffProfile
from markets.models import CalendarException, Closure, MarketZone
from sites.models import Blocker, LivelihoodWork, Milestone, ProgressReport, Project

FRAME = (98.20, 39.74, 98.36, 39.84)  # DOMAIN.md: the demo city's lon/lat frame
AS_OF = dt.date(2026, 11, 30)  # the demo data describe the city as of this day
SHANGHAI = ZoneInfo("Asia/Shanghai")
SPATIAL = [
    (District, "geom"),
    (CityBoundary, "geom"),
    (Project, "geom"),
    (LivelihoodWork, "geom"),
    (MarketZone, "boundary"),
]
ACCOUNTS = {  # username -> (role group, department name)
    "office": ("project_office", "发改委"),
    "dept": ("department_staff", "工信局"),
    "urban": ("urban_management", "城管执法局"),
    "urban2": ("urban_management", "城管执法局"),
    "supervision": ("market_supervision", "市场监管局"),
    "leader": ("leaders", None),
}


def run_load_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The demo city, loaded once for this module (a load takes seconds).

    It lives in a transaction rolled back after the module; each test runs in a savepoint
    inside it (pytest-django's ``db``), so tests that change rows leave the others alone.
    """
    with django_db_blocker.unblock(), override_settings(DEBUG=True), transaction.atomic():
        yield run_load_demo()
        transaction.set_rollback(True)


@pytest.fixture
def demo(loaded, db) -> str:
    return loaded


@pytest.fixture
def load(demo, settings):
    """Run load_demo again on the loaded city."""
    settings.DEBUG = True
    return run_load_demo


def scalar(sql: str, params: tuple = ()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_loads_the_years_plan(demo):
    assert "loaded demo city: 155 projects (83 new, 72 continuing)" in demo
    assert Project.objects.filter(plan_year=2026).count() == 155
    assert Project.objects.filter(build_type="new").count() == 83
    assert Project.objects.filter(build_type="continuing").count() == 72
    stages = {
        s: Project.objects.filter(stage=s).count()
        for s in ("preparation", "construction", "completed", "operating", "suspended")
    }
    assert stages == {
        "preparation": 18,
        "construction": 112,
        "completed": 14,
        "operating": 8,
        "suspended": 3,
    }
    # A handful of continuing projects have not restarted (DOMAIN.md, the mid-year numbers).
    assert Project.objects.filter(build_type="continuing", stage="preparation").count() == 4
    assert Project.objects.filter(code__regex=r"^ZD2026-\d{3}$").count() == 155
    assert (Department.objects.count(), Leader.objects.count(), District.objects.count()) == (
        12,
        6,
        4,
    )
    assert Leader.objects.filter(title="副市长").count() == 5


def test_project_dates_and_money_are_coherent(demo):
    for p in Project.objects.all():
        started = p.stage in ("construction", "completed", "operating", "suspended")
        assert (p.actual_start is not None) == started, p.code
        assert (p.actual_end is not None) == (p.stage in ("completed", "operating")), p.code
        for day in (p.actual_start, p.actual_end, p.stats_applied_on, p.stats_registered_on):
            assert day is None or day <= AS_OF, p.code
        assert p.completed_investment_year <= p.total_investment, p.code
        assert p.planned_investment_year <= p.total_investment, p.code
        if p.stats_status == "registered":
            assert p.stats_applied_on <= p.stats_registered_on, p.code
        if p.stage == "preparation":
            assert p.stats_status == "not_applied", p.code


def test_current_figures_equal_the_latest_report(demo):
    reported = 0
    for p in Project.objects.prefetch_related("reports"):
        reports = list(p.reports.all())  # ordered by month
        if not reports:
            assert p.stage == "preparation", p.code
            assert p.completed_investment_year == 0
            continue
        reported += 1
        latest = reports[-1]
        assert latest.month == dt.date(2026, 11, 1), p.code
        assert (latest.stage, latest.completed_investment, latest.percent_complete) == (
            p.stage,
            p.completed_investment_year,
            p.percent_complete,
        ), p.code
        for before, after in zip(reports, reports[1:], strict=False):
            assert after.completed_investment >= before.completed_investment, p.code
            assert after.percent_complete >= before.percent_complete, p.code
        for r in reports:
            # Stage per month agrees with the actual dates; reports are filed in the month.
            assert r.month >= p.actual_start.replace(day=1) or p.build_type == "continuing"
            if r.stage in ("completed", "operating"):
                assert p.actual_end.replace(day=1) <= r.month, p.code
            local = r.reported_at.astimezone(SHANGHAI)
            assert (local.year, local.month) == (r.month.year, r.month.month)
            assert local.date() <= AS_OF
    assert reported == 137  # every started project, suspended ones included


def test_named_registration_cases_applied_in_june(demo):
    cases = {
        p.name: p
        for p in Project.objects.filter(
            name__in=["甬金金融科技项目", "索通盛源碳材料项目", "中鹏房地产开发项目"]
        )
    }
    assert len(cases) == 3
    for p in cases.values():
        assert (p.stats_applied_on.year, p.stats_applied_on.month) == (2026, 6), p.name
        assert p.is_started
    assert cases["甬金金融科技项目"].stats_status == "applied"
    assert cases["甬金金融科技项目"].stats_registered_on is None
    assert cases["索通盛源碳材料项目"].stats_registered_on == dt.date(2026, 6, 26)
    # Registered, but after the half-year deadline.
    assert cases["中鹏房地产开发项目"].stats_registered_on > dt.date(2026, 6, 30)
    lagging = Project.objects.filter(
        stage__in=["construction", "completed", "operating"], stats_status="not_applied"
    )
    assert lagging.exists()


def test_bond_bank_and_blockers(demo):
    bonds = Project.objects.exclude(bond_status="none")
    assert bonds.count() == 40
    requested = sum(p.bond_requested for p in bonds)
    # Below the 1,000 亿元 (10,000,000 万元) target of DOMAIN.md.
    assert requested == Decimal("8600000")
    for p in bonds:
        assert p.bond_requested > 0
        assert (p.bond_approved > 0) == (p.bond_status == "approved"), p.code
        assert p.bond_approved <= p.bond_requested
    assert Blocker.objects.filter(resolved=False).count() == 12
    assert Blocker.objects.filter(resolved=True, resolved_on__isnull=False).count() == 8
    assert set(Blocker.objects.values_list("kind", flat=True)) <= {
        "approval",
        "planning",
        "land",
        "funding",
        "other",
    }


@pytest.mark.parametrize(("model", "column"), SPATIAL)
def test_every_geometry_is_valid_and_inside_the_frame(demo, model, column):
    table = model._meta.db_table
    total = scalar(f"SELECT count(*) FROM {table}")
    assert total > 0
    bad = scalar(
        f"SELECT count(*) FROM {table} WHERE NOT ST_IsValid({column}) "
        f"OR NOT ST_Within({column}, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
        FRAME,
    )
    assert bad == 0
    if model in (Project, LivelihoodWork, MarketZone):
        outside = scalar(
            f"SELECT count(*) FROM {table} t JOIN geo_district d ON d.id = t.district_id "
            f"WHERE NOT ST_Within(t.{column}, d.geom)"
        )
        assert outside == 0


def test_districts_tile_the_city(demo):
    # Symmetric difference between the union of districts and the boundary, in m² (EPSG:4542):
    # the generator builds the boundary as that union, so nothing but float noise may show.
    gap = scalar(
        "SELECT ST_Area(ST_Transform(ST_SymDifference(ST_Union(d.geom), c.geom), 4542)) "
        "FROM geo_district d, geo_cityboundary c GROUP BY c.geom"
    )
    assert gap < 1
    overlap = scalar(
        "SELECT coalesce(sum(ST_Area(ST_Transform(ST_Intersection(a.geom, b.geom), 4542))), 0) "
        "FROM geo_district a JOIN geo_district b ON a.id < b.id"
    )
    assert overlap < 1


def test_no_two_projects_share_a_spot(demo):
    clashes = scalar(
        "SELECT count(*) FROM sites_project a JOIN sites_project b ON a.id < b.id "
        "WHERE ST_DWithin(a.geom::geography, b.geom::geography, 100)"
    )
    assert clashes == 0


def test_livelihood_works(demo):
    works = LivelihoodWork.objects.all()
    assert works.filter(programme="provincial").count() == 9
    assert works.filter(programme="municipal").count() == 7
    names = " ".join(works.filter(programme="project").values_list("name", flat=True))
    for named in (
        "市中医院门诊楼",
        "市一院传染病区",
        "发热门诊",
        "市二中教学楼",
        "五一路小学教学楼",
        "老旧小区改造",
        "道路提升改造",
        "地下管网",
        "城市燃气管道老化更新",
    ):
        assert named in names, named
    kinds = {(w.category, w.geom.geom_type) for w in works.filter(programme="project")}
    for category in ("road", "pipe_network", "gas_pipeline"):
        assert {t for c, t in kinds if c == category} <= {"LineString", "MultiLineString"}
    assert {t for c, t in kinds if c == "old_community"} == {"Polygon"}
    for work in works.prefetch_related("milestones"):
        nodes = list(work.milestones.all())
        assert 3 <= len(nodes) <= 5, work.code
        done = [m.actual_date is not None for m in nodes]
        for m in nodes:
            assert m.actual_date is None or m.actual_date <= AS_OF
            assert m.actual_date is None or m.planned_date <= AS_OF + dt.timedelta(days=10)
        if work.status == "completed":
            assert all(done), work.code
            assert work.percent_complete == 100, work.code
        elif work.status == "in_progress":
            assert any(done), work.code
            assert not all(done), work.code
    late = Milestone.objects.filter(planned_date__lt=AS_OF, actual_date__isnull=True)
    assert late.exists()


def test_market_zones(demo):
    zones = {z.name: z for z in MarketZone.objects.select_related("department")}
    assert len(zones) == 7
    assert zones["大唐路夜市街"].kind == "night_market"
    assert zones["大唐路夜市街"].opening_hours == "Mo-Su 18:00-02:00"  # past midnight
    assert zones["悦西市美食街"].kind == "food_street"
    spontaneous = zones["后备箱集市（市政府对面）"]
    assert (spontaneous.kind, spontaneous.status) == ("trunk", "proposed")
    assert "迁" in spontaneous.notes
    designated = [z for z in zones.values() if z.kind in ("trunk", "flea") and z.status == "active"]
    assert len(designated) == 4
    assert len({z.opening_hours for z in designated}) == 4
    for zone in zones.values():
        OpeningHours(zone.opening_hours)  # raises on bad syntax
        assert zone.version == 1
        assert zone.department.name == "城管执法局"
        for rules in (zone.permitted_goods, zone.prohibited_goods, zone.duties):
            assert rules, zone.name
            assert all(isinstance(rule, str) for rule in rules)
        assert zone.contact.count("0937-") == 1
        assert zone.vehicle_rules
        area = scalar(
            "SELECT ST_Area(ST_Transform(boundary, 4542)) FROM markets_marketzone WHERE id = %s",
            (zone.pk,),
        )
        assert 3000 <= area <= 20000, zone.name
        assert zone.capacity * 6 <= area, zone.name  # a stall needs at least 6 m²
    touching = scalar(
        "SELECT count(*) FROM markets_marketzone a JOIN markets_marketzone b ON a.id < b.id "
        "WHERE ST_Intersects(a.boundary, b.boundary)"
    )
    assert touching == 0


def test_closures_and_holidays(demo):
    starts = [c.start.astimezone(SHANGHAI).date() for c in Closure.objects.all()]
    assert len(starts) == 2
    assert min(starts) < AS_OF < max(starts)  # one past, one upcoming
    days = dict(CalendarException.objects.values_list("date", "kind"))
    assert days[dt.date(2026, 10, 1)] == "holiday"
    assert days[dt.date(2026, 2, 17)] == "holiday"  # Spring Festival
    assert days[dt.date(2026, 2, 14)] == "workday"  # make-up working day (Saturday)
    names = set(CalendarException.objects.values_list("name", flat=True))
    for festival in ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"):
        assert festival in names


def checksum() -> dict[str, tuple[int, str]]:
    """Row count and an md5 of every row, per table the demo writes (history included)."""
    models = [
        Department,
        Leader,
        District,
        CityBoundary,
        Project,
        ProgressReport,
        Blocker,
        LivelihoodWork,
        Milestone,
        MarketZone,
        Closure,
        CalendarException,
        User,
        StaffProfile,
    ]
    tables = [m._meta.db_table for m in models]
    tables += [m.history.model._meta.db_table for m in models if hasattr(m, "history")]
    tables += ["auth_user_groups"]
    sums = {}
    for table in tables:
        sums[table] = (
            scalar(f"SELECT count(*) FROM {table}"),
            scalar(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                f"FROM {table} t"
            ),
        )
    return sums


def test_second_run_changes_nothing(demo, load):
    before = checksum()
    out = load()
    assert out.startswith("demo city already loaded: 155 projects")
    assert "unchanged" in out
    assert checksum() == before


def test_second_run_repairs_in_place(demo, load):
    project = Project.objects.filter(reports__isnull=False).order_by("code").first()
    original, reports = project.name, project.reports.count()
    Project.objects.filter(pk=project.pk).update(name="改过的名字")
    project.reports.order_by("month").last().delete()
    office = User.objects.get(username="office")
    office.set_password("changed-by-user-1")
    office.save()
    zone = MarketZone.objects.get(name="大唐路夜市街")
    MarketZone.objects.filter(pk=zone.pk).update(capacity=1)

    out = load()

    assert "created 1 rows, updated 2 rows" in out
    assert Project.objects.get(pk=project.pk).name == original
    assert project.reports.count() == reports
    zone.refresh_from_db()
    assert zone.capacity == 160
    assert zone.version == 2  # a reset is a new version for editors holding the old one
    # Passwords are set only when an account is created.
    assert User.objects.get(username="office").check_password("changed-by-user-1")


def test_refused_with_debug_off(demo, settings):
    settings.DEBUG = False
    before = checksum()
    with pytest.raises(CommandError, match="DEBUG is off") as info:
        run_load_demo()
    assert str(info.value) == REFUSED_WITHOUT_DEBUG
    assert checksum() == before


def test_force_loads_with_debug_off(demo, settings):
    settings.DEBUG = False
    assert run_load_demo("--force").startswith("demo city already loaded: 155 projects")


def test_demo_accounts_exist_and_log_in(demo):
    for username, (role, department) in ACCOUNTS.items():
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        if department:
            assert user.staff_profile.department.name == department
        assert not user.is_superuser
    assert User.objects.get(username="dept").staff_profile.department.code == "gxj"
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    usernames = [*ACCOUNTS, "admin"]
    assert User.objects.filter(username__in=usernames, is_active=True).count() == 7
    # One shared password, hashed once (PBKDF2 costs ~1 s a check): every account holds the
    # same hash, so logging in as two of them shows all seven accept the documented password.
    hashes = User.objects.filter(username__in=usernames).values_list("password", flat=True)
    assert len(set(hashes)) == 1
    client = Client()
    for username in ("dept", "admin"):
        assert client.login(username=username, password=DEMO_PASSWORD), username
        client.logout()


def test_demo_leader_account_is_the_escalations_vice_mayor(demo):
    """`leader` signs in as 马建国 (工信局's vice-mayor): the demo's escalated order is on one
    of his projects, so it is in that inbox (and the escalation is nobody else's)."""
    from geo.models import Leader
    from sites.orders.models import SupervisionOrder
    from sites.orders.selectors import inbox

    user = User.objects.get(username="leader")
    assert Leader.objects.get(account=user).name == "马建国"
    escalated = SupervisionOrder.objects.get(escalated_at__isnull=False)
    assert escalated.escalated_to.name == "马建国"
    assert [o.pk for o in inbox(user)["escalated"]] == [escalated.pk]
