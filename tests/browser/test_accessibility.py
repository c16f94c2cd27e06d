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
