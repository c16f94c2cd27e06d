"""axe-core (vendored from npm, static/vendor/axe-core-*) finds no violation on any page.

Injected with ``page.evaluate`` rather than a <script> tag: the printable map's policy allows
only its own inline scripts (by hash), and evaluation through the DevTools protocol is not
subject to the page's CSP. Every rule axe runs by default (WCAG 2.0–2.2 A/AA and best
practices); a violation fails with its rule, impact and the first offending elements.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_screenshots import SIZES, _ids
from tests.conftest import DEMO_PASSWORD

AXE = next((Path(__file__).resolve().parents[2] / "static" / "vendor").glob("axe-core-*"))
RUN = """async () => {
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
    }));
}"""


def violations(page) -> list[dict]:
    page.evaluate((AXE / "axe.min.js").read_text(encoding="utf-8"))
    return page.evaluate(RUN)


def _pages(ids: dict[str, int]):
    return [
        ("/", "#map-status[data-loaded=true]"),
        ("/markets/", "body[data-markets-ready=true]"),
        (f"/markets/{ids['zone']}/", "#market-map .leaflet-interactive"),
        ("/dashboard/", "#kpi-cards"),
        (f"/projects/{ids['project']}/", "#detail-map[data-ready=true]"),
        (f"/staff/markets/{ids['zone']}/edit/", ".leaflet-pm-toolbar"),
        ("/export/battle-map.html", "#map-status, .folium-map"),
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", list(SIZES))
def test_no_axe_violations(page, signin, demo_city, size):
    page.set_viewport_size(SIZES[size])
    page.goto(page.base_url + "/accounts/login/")
    found = {"/accounts/login/": violations(page)}
    signin("admin", DEMO_PASSWORD)
    report = _visit(page, _pages(_ids()), found)
    assert report == [], "\n".join(report)


def _visit(page, pages: list[tuple[str, str]], found: dict[str, list[dict]]) -> list[str]:
    """Open each (path, what shows it is ready) and run axe; one line per violation found."""
    for path, ready in pages:
        response = page.goto(page.base_url + path)
        assert response.status == 200, path
        page.wait_for_selector(ready, state="attached")
        found[path] = violations(page)
    return [
        f"{path}: {v['id']} ({v['impact']}) {v['help']}: {v['nodes']}"
        for path, items in found.items()
        for v in items
    ]


def _other_pages(ids: dict[str, int]):
    """Every other page a signed-in administrator reaches from the header and the main pages."""
    from markets.models import MarketZone
    from sites.models import LivelihoodWork

    work = LivelihoodWork.objects.filter(geom__isnull=False).order_by("pk").first().pk
    zone = MarketZone.objects.get(pk=ids["zone"])
    return [
        (f"/livelihood/{work}/", "#detail-map[data-ready=true]"),
        ("/briefing/", "main h1"),
        ("/staff/projects/", "main h1"),
        ("/staff/projects/unplaced/", "main h1"),
        ("/staff/import/", "main h1"),
        ("/orders/", "main h1"),
        (f"/orders/new/?project={ids['project']}", "main h1"),
        ("/staff/markets/", "main h1"),
        ("/staff/markets/rules/", "main h1"),
        (f"/staff/markets/{zone.pk}/rules/", "main h1"),
        ("/staff/markets/new/", ".leaflet-pm-toolbar"),
        ("/staff/markets/import/", "main h1"),
        (f"/staff/markets/{zone.pk}/history/", "#history-map[data-ready=true]"),
        ("/staff/changesets/", "main h1"),
        ("/staff/reports/", "main h1"),
        (f"/markets/{zone.pk}/report/", "main h1"),
        ("/reports/", "main h1"),
        ("/ogcapi/", "main h1, h1"),
        ("/ogcapi/collections/markets/items", "h1"),
        ("/accounts/password_change/", "main h1"),
        *_record_pages(ids),
    ]


def _record_pages(ids: dict[str, int]):
    """The pages of one supervision order, one changeset and one public report (the demo city
    has none of them): made here as their people make them, through the services."""
    from django.contrib.auth.models import User

    from markets.changesets.services import changeset_add_edit, changeset_create
    from markets.models import MarketZone
    from markets.reports.services import report_create
    from sites.models import Project
    from sites.orders.services import order_issue

    zone = MarketZone.objects.get(pk=ids["zone"])
    order = order_issue(
        user=User.objects.get(username="office"), subject="加快施工进度",
        requirement="本月底前提交整改方案", project=Project.objects.get(pk=ids["project"]),
    )
    urban = User.objects.get(username="urban")
    draft = changeset_create(user=urban, comment="更新联系电话")
    changeset_add_edit(changeset=draft, user=urban, kind="update", zone=zone,
                       base_version=zone.version, fields={"contact": "0937-8888888"})
    report = report_create(zone=zone, category="litter", text="散场后垃圾未清理")
    # A project that came without coordinates (待落图), for the placement queue and its map.
    unplaced = Project.objects.get(pk=ids["project"])
    unplaced.pk, unplaced.geom = None, None
    unplaced.code, unplaced.name = "DEMO-UNPLACED", "待落图项目"
    unplaced.save()
    return [
        (f"/orders/{order.pk}/", "main h1"),
        (f"/staff/changesets/{draft.pk}/", "main h1"),
        (f"/reports/{report.code}/", "main h1"),
        ("/staff/reports/", "main h1"),  # with the report in its list and on its map
        ("/staff/projects/unplaced/", "#place-map.leaflet-container"),
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_axe_violations_on_the_other_pages(page, signin, demo_city):
    page.set_viewport_size(SIZES["desktop"])
    page.goto(page.base_url + "/accounts/login/")
    signin("admin", DEMO_PASSWORD)
    report = _visit(page, _other_pages(_ids()), {})
    assert report == [], "\n".join(report)


def _admin_pages(ids: dict[str, int]):
    """The Django admin an administrator works in: the index, a list, the change forms with
    a geometry widget and inlines (closures' date and time, reports, milestones), a record's
    history, the latest changes, and the API's Swagger UI."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.contrib.auth.models import User

    from markets.models import MarketZone
    from markets.services import closure_create
    from sites.models import LivelihoodWork

    zone = MarketZone.objects.get(pk=ids["zone"])
    # One closure, so the zone's form shows the inline's date and time inputs.
    start = dt.datetime(2026, 12, 24, 18, tzinfo=ZoneInfo("Asia/Shanghai"))
    closure_create(zone=zone, start=start, end=start + dt.timedelta(hours=8),
                   reason="道路施工临时关闭", user=User.objects.get(username="urban"))
    work = LivelihoodWork.objects.order_by("pk").first().pk
    return [
        ("/admin/", "#content h1"),
        ("/admin/markets/marketzone/", "#changelist"),
        (f"/admin/markets/marketzone/{zone.pk}/change/", ".leaflet-pm-toolbar"),
        (f"/admin/markets/marketzone/{zone.pk}/history/", "#content h1"),
        ("/admin/markets/marketzone/add/", ".leaflet-pm-toolbar"),
        (f"/admin/sites/project/{ids['project']}/change/", ".leaflet-pm-toolbar"),
        (f"/admin/sites/livelihoodwork/{work}/change/", ".leaflet-pm-toolbar"),
        ("/admin/markets/calendarexception/", "#changelist"),
        ("/admin/audit/", "#content h1"),
        ("/api/docs/", ".swagger-ui .opblock"),
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_axe_violations_in_the_admin(page, signin, demo_city):
    page.set_viewport_size(SIZES["desktop"])
    signin("admin", DEMO_PASSWORD)
    report = _visit(page, _admin_pages(_ids()), {})
    assert report == [], "\n".join(report)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_inputs_are_named_as_their_columns_and_stay_so_in_added_rows(
        page, signin, demo_city):
    """What a screen reader hears in the zone's closures table, and in a row added to it."""
    page.set_viewport_size(SIZES["desktop"])
    signin("admin", DEMO_PASSWORD)
    zone = _ids()["zone"]
    page.goto(page.base_url + f"/admin/markets/marketzone/{zone}/change/")
    page.wait_for_selector(".leaflet-pm-toolbar")
    page.get_by_role("button", name="添加另一个 临时闭市").click()
    row = page.locator("#closures-group tr.dynamic-closures").last
    assert row.get_by_role("textbox", name="开始 · 日期").count() == 1
    assert row.get_by_role("textbox", name="开始 · 时间").count() == 1
    assert row.get_by_role("textbox", name="结束 · 日期").count() == 1
    assert row.get_by_role("textbox", name="原因").count() == 1
    # select2's combobox, empty, is named by its column (and by its value once one is chosen).
    assert row.get_by_role("combobox", name="创建人").count() == 1
    # The Geoman tools of the admin's geometry widget have names, as in the editor.
    tools = page.locator(".leaflet-pm-toolbar .leaflet-buttons-control-button")
    names = [tools.nth(i).get_attribute("aria-label") for i in range(tools.count())]
    assert names == ["绘制长方形", "绘制多边形", "编辑图层", "拖拽图层", "剪切图层", "删除图层"]
    found = {"zone form, row added": violations(page)}
    page.goto(page.base_url + "/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock")
    # An operation opened and the schemas section, as someone reading the API opens them.
    page.locator(".opblock-summary-control").first.click()
    page.wait_for_selector(".opblock-body")
    found["/api/docs/, an operation open"] = violations(page)
    page.locator(".try-out__btn").first.click()
    page.wait_for_selector(".execute")
    found["/api/docs/, trying it out"] = violations(page)
    report = [f"{where}: {v['id']} ({v['impact']}) {v['help']}: {v['nodes']}"
              for where, items in found.items() for v in items]
    assert report == [], "\n".join(report)
