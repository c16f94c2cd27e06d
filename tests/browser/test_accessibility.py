"""axe-core (vendored from npm, static/vendor/axe-core-*) finds no violation on any main page.

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
    for path, ready in _pages(_ids()):
        page.goto(page.base_url + path)
        page.wait_for_selector(ready, state="attached")
        found[path] = violations(page)
    report = [
        f"{path}: {v['id']} ({v['impact']}) {v['help']}: {v['nodes']}"
        for path, items in found.items()
        for v in items
    ]
    assert report == [], "\n".join(report)
