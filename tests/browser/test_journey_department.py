"""Department staff's journey, from the login form: their list, a monthly report, and the
refusal of another department's project. Plus the map popups next to the filter panel."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from geo import numbers
from sites.models import ProgressReport, Project
from tests.conftest import DEMO_PASSWORD


def _open_popup(page, layer: str, predicate: str) -> int:
    """Open the popup of the first feature of ``layer`` for which the JS ``predicate`` over its
    properties ``p`` and ``id`` holds (as the map does on a click); returns its id."""
    return page.evaluate(
        """([layer, predicate]) => {
          const test = new Function("p", "id", `return ${predicate};`);
          let found = null;
          const walk = (group) => group.eachLayer((l) => {
            if (found) return;
            if (l.feature) { if (test(l.feature.properties, l.feature.id)) found = l; }
            else if (l.eachLayer) walk(l);
          });
          walk(window.portalMap.layers[layer]);
          const map = window.portalMap.map;
          const where = found.getLatLng ? found.getLatLng() : found.getBounds().getCenter();
          map.setView(where, 16, { animate: false });
          found.openPopup(where);
          return found.feature.id;
        }""",
        [layer, predicate],
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_department_staff_report_on_their_project_and_not_on_anothers(
        page, demo_city, signin):
    landing = signin("dept", DEMO_PASSWORD)
    assert landing == page.base_url + "/staff/projects/"
    assert page.locator("h1").inner_text() == "工信局牵头的项目"
    rows = page.locator("#my-projects tbody tr")
    # Every listed project is 工信局's (gxj), and each offers the report link.
    departments = set(rows.evaluate_all("rows => rows.map(r => r.dataset.department)"))
    assert departments == {"gxj"}
    assert page.locator("#my-projects a.report-link").count() == rows.count()
    page.screenshot(path="/tmp/h5-journey-list.png", full_page=True)

    # Their own project under construction: follow its "填报进度" link.
    row = page.locator("#my-projects tbody tr", has=page.locator("td", has_text="在建")).first
    pk = int(row.get_attribute("data-project"))
    name = row.locator("th a").inner_text()
    project = Project.objects.get(pk=pk)
    assert project.lead_department.name == "工信局"
    with page.expect_navigation():
        row.locator("a.report-link").click()
    assert page.url == f"{page.base_url}/projects/{pk}/#report-form"
    assert page.locator("h1").inner_text().startswith(name)
    # The link lands on the form: it is in view.
    assert page.locator("#report-form").evaluate(
        "f => { const r = f.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }")

    # Type the month's figures into the form: a little more investment and progress.
    month = timezone.localdate().strftime("%Y-%m")
    invested = project.completed_investment_year + Decimal("120.50")
    percent = min(project.percent_complete + Decimal("2.5"), Decimal("100"))
    form = page.locator("#report-form")
    assert form.locator("#id_month").input_value() == month  # this month is proposed
    form.locator("#id_completed_investment").fill("")
    form.locator("#id_completed_investment").press_sequentially(str(invested))
    form.locator("#id_percent_complete").fill("")
    form.locator("#id_percent_complete").press_sequentially(str(percent))
    form.locator("#id_note").press_sequentially("设备安装完成")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    # Back on the project page: the banner, the new figures and the report in the table.
    assert page.url == f"{page.base_url}/projects/{pk}/"
    assert page.locator(".messages").inner_text() == f"{month} 进度已保存。"
    # Issue 16: the page reads the amount in 万元/亿元; the stored figure is in data-wan.
    assert Decimal(page.locator("dd.completed").get_attribute("data-wan")) == invested
    first = page.locator("#reports-table tbody tr").first
    cells = first.locator("td").all_inner_texts()
    today = timezone.localdate()
    assert cells[0] == f"{today.year}年{today.month}月"
    assert Decimal(first.locator("td").nth(2).get_attribute("data-wan")) == invested
    assert cells[2] == numbers.money(invested, language="zh-hans")
    assert cells[4] == "设备安装完成"
    assert cells[5].startswith("dept")
    report = ProgressReport.objects.get(project_id=pk, month=dt.date.fromisoformat(month + "-01"))
    assert report.completed_investment == invested
    assert report.reporter.username == "dept"
    page.screenshot(path="/tmp/h5-journey-saved.png", full_page=True)

    # Another department's project on the map: its popup offers details but no report link.
    page.goto(page.base_url + "/")
    page.locator("#map-status[data-loaded='true']").wait_for(state="attached")
    foreign_pk = _open_popup(page, "projects", "p.lead_department_code !== 'gxj'")
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    assert popup.locator("a.popup-report").count() == 0
    # ...while one of their own does.
    page.locator(".leaflet-popup-close-button").click()
    page.locator(".leaflet-popup").wait_for(state="detached")  # after its fade-out
    _open_popup(page, "projects", "p.lead_department_code === 'gxj'")
    assert page.locator(".leaflet-popup a.popup-report").inner_text() == "填报进度"
    page.locator(".leaflet-popup-close-button").click()
    page.locator(".leaflet-popup").wait_for(state="detached")  # after its fade-out
    _open_popup(page, "projects", f"id === {foreign_pk}")
    with page.expect_navigation():
        page.locator(".leaflet-popup a.popup-details").click()
    assert page.url.startswith(f"{page.base_url}/projects/{foreign_pk}/")
    assert page.locator("#report-link").count() == 0
    assert page.locator("#report-form").count() == 0

    # Posting a report to it anyway (with the page's CSRF cookie) is refused, nothing saved.
    foreign = Project.objects.get(pk=foreign_pk)
    before = (ProgressReport.objects.filter(project=foreign).count(), foreign.history.count(),
              Project.objects.values().get(pk=foreign_pk))
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{page.base_url}/projects/{foreign_pk}/report/",
        form={"csrfmiddlewaretoken": token, "month": month, "stage": "construction",
              "completed_investment": "99999", "percent_complete": "99",
              "actual_start": "2026-03-01", "note": "越权填报"},
    )
    assert response.status == 403
    assert f"该项目的牵头单位是{foreign.lead_department.name}" in response.text()
    after = (ProgressReport.objects.filter(project=foreign).count(), foreign.history.count(),
             Project.objects.values().get(pk=foreign_pk))
    assert after == before


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_popup_is_not_under_the_filter_panel_and_details_keep_as_of(
        page, login, project_factory, user_factory):
    # A project at the city's west edge, brought under the filter panel (top left): its popup
    # must be panned clear of the panel to be read and used.
    project = project_factory(name="西部项目", geom=Point(98.203, 39.80, srid=4326),
                              stage="construction", actual_start=dt.date(2026, 3, 2))
    ProgressReport.objects.create(
        project=project, month=dt.date(2026, 6, 1), stage="construction",
        completed_investment=Decimal("700"), percent_complete=Decimal("20"),
        reported_at=timezone.now(),
    )
    login(user_factory("leaders"))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(page.base_url + "/?as_of=2026-06")
    page.locator("#map-status[data-loaded='true']").wait_for(state="attached")
    panel = page.locator(".map-filters")
    assert panel.get_attribute("open") is not None
    # Put the point under the middle of the panel (where a user who zoomed there finds it).
    box = panel.bounding_box()
    point = page.evaluate("""([x, y]) => {
      const map = window.portalMap.map;
      let layer = null;
      const walk = (g) => g.eachLayer((l) => {
        if (l.feature) layer = l;
        else if (l.eachLayer) walk(l);
      });
      walk(window.portalMap.layers.projects);
      window._project = layer;
      const frame = map.getContainer().getBoundingClientRect();
      const at = map.latLngToContainerPoint(layer.getLatLng());
      map.panBy([at.x - (x - frame.left), at.y - (y - frame.top)], { animate: false });
      const now = map.latLngToContainerPoint(layer.getLatLng());
      return { x: now.x + frame.left, y: now.y + frame.top };
    }""", [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert box["x"] <= point["x"] <= box["x"] + box["width"]
    assert box["y"] <= point["y"] <= box["y"] + box["height"]
    page.evaluate("""() => new Promise((done) => {
      const map = window.portalMap.map;
      map.once("moveend", () => done());
      window._project.openPopup();
      setTimeout(done, 1500);  // no pan needed: resolve anyway
    })""")
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    page.wait_for_timeout(400)  # the auto-pan animation
    page.screenshot(path="/tmp/h5-popup-test.png")
    panel_box = panel.bounding_box()

    def overlaps(a, b) -> bool:
        return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                    or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])

    details = popup.locator("a.popup-details")
    assert not overlaps(popup.bounding_box(), panel_box)
    assert not overlaps(details.bounding_box(), panel_box)
    # The popup is wholly inside the map.
    map_box = page.locator("#map").bounding_box()
    popup_box = popup.bounding_box()
    assert popup_box["x"] >= map_box["x"]
    assert popup_box["y"] >= map_box["y"]
    assert popup_box["x"] + popup_box["width"] <= map_box["x"] + map_box["width"]
    # The link carries the map's month; a real click reaches it (nothing covers it).
    assert details.get_attribute("href") == f"/projects/{project.pk}/?as_of=2026-06"
    with page.expect_navigation():
        details.click()
    assert page.url == f"{page.base_url}/projects/{project.pk}/?as_of=2026-06"
    assert "截至 2026年6月" in page.locator("#as-of-note").inner_text()
    # Figures as of June: the June report's 20 %, not today's.
    assert page.locator(".percent").inner_text() == "20.0%"
    # Both the breadcrumb and the header's map link lead back to the same view.
    assert page.locator("#back-to-map").get_attribute("href") == "/?as_of=2026-06"
    assert re.search(r"/\?as_of=2026-06$",
                     page.locator(".site-nav a").first.evaluate("a => a.href"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_export_menu_is_a_readable_table_clear_of_the_filter_panel(page, project_factory):
    project_factory()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(page.base_url + "/")
    page.locator("#map-status[data-loaded='true']").wait_for(state="attached")
    menu = page.locator(".export-menu")
    menu.locator("summary").click()
    links = menu.locator("a[data-layer]")
    assert links.count() == 15
    # Links are words of their own size, not Leaflet's 30 × 30 bar buttons.
    for box in links.evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())"):
        assert box["width"] > 35
        assert box["height"] < 30
    assert "leaflet-bar" not in menu.get_attribute("class")
    # Three rows, one per layer, each naming its layer.
    assert menu.locator("tr th").all_inner_texts() == ["重点项目", "民生项目", "集市区域"]
    menu_box = menu.bounding_box()
    panel_box = page.locator(".map-filters").bounding_box()
    assert menu_box["x"] >= panel_box["x"] + panel_box["width"]  # beside, not over, the panel
    assert menu.evaluate("m => m.scrollHeight <= m.clientHeight")  # no scroll box
    page.screenshot(path="/tmp/h5-export-test.png")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("role", "edit_link"), [
    ("urban_management", True), ("leaders", False), (None, False),
])
def test_market_popup_offers_the_boundary_editor_to_urban_management(
        page, login, zone_factory, user_factory, role, edit_link):
    zone = zone_factory(name="大唐路夜市", kind="night_market")
    if role:
        login(user_factory(role))
    page.goto(page.base_url + "/")
    page.locator("#map-status[data-loaded='true']").wait_for(state="attached")
    _open_popup(page, "markets", f"id === {zone.pk}")
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    assert popup.locator("a.popup-details").get_attribute("href") == f"/markets/{zone.pk}/"
    edit = popup.locator("a.popup-edit")
    if edit_link:
        assert edit.inner_text() == "编辑"
        assert edit.get_attribute("href") == f"/staff/markets/{zone.pk}/edit/"
    else:
        assert edit.count() == 0
    # Nobody but the project office and a project's own department gets a report link.
    assert popup.locator("a.popup-report").count() == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_filters_follow_to_the_dashboard_and_back(page, login, project_factory, user_factory):
    project_factory(stage="construction")
    login(user_factory("leaders"))
    page.goto(page.base_url + "/?stage=construction&as_of=2026-06")
    page.locator("#map-status[data-loaded='true']").wait_for(state="attached")
    dashboard = page.locator(".site-nav a", has_text="工作台")
    page.wait_for_function(
        "() => document.querySelector(\".site-nav a[href^='/dashboard/']\").search !== ''")
    assert page.locator(".site-nav a", has_text="地图").get_attribute("href") == \
        "/?stage=construction&as_of=2026-06"
    with page.expect_navigation():
        dashboard.click()
    assert page.url == f"{page.base_url}/dashboard/?stage=construction&as_of=2026-06"
    back = page.locator("#dashboard-map-link")
    with page.expect_navigation():
        back.click()
    assert page.url == f"{page.base_url}/?stage=construction&as_of=2026-06"
    assert page.locator("#filter-stage").input_value() == "construction"
    assert page.locator("#filter-month-value").inner_text() == "2026-06"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_report_lands_on_the_form_with_a_banner(
        page, login, project_factory, user_factory, department):
    project = project_factory(stage="construction", actual_start=dt.date(2026, 3, 2))
    login(user_factory("department_staff", department=department))
    page.expected_console_errors.append("status of 400")  # the refused POST's page
    page.goto(f"{page.base_url}/projects/{project.pk}/#report-form")
    form = page.locator("#report-form")
    form.locator("#id_percent_complete").fill("")
    form.locator("#id_percent_complete").press_sequentially("150")
    form.locator("#id_note").press_sequentially("本月设备进场")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.wait_for_function("() => document.activeElement && document.activeElement.id === "
                           "'id_percent_complete'")
    # The form is in view, its first invalid field focused, the typed values kept.
    assert form.evaluate("f => { const r = f.getBoundingClientRect();"
                         " return r.top < innerHeight && r.bottom > 0; }")
    assert form.locator("#id_percent_complete").input_value() == "150"
    assert form.locator("#id_note").input_value() == "本月设备进场"
    assert "形象进度必须在 0 到 100% 之间。" in form.locator("#report-errors").inner_text()
    # The banner at the top of the page says it was not saved.
    assert page.locator(".message-error").first.inner_text() == \
        "进度报告未保存：请在下方填报表中修改标出的项目。"
    page.screenshot(path="/tmp/h5-refused-test.png")
    assert ProgressReport.objects.count() == 0
    # Reloading that URL (a GET) goes to the project page's form, not a blank 405.
    page.goto(f"{page.base_url}/projects/{project.pk}/report/")
    assert page.url == f"{page.base_url}/projects/{project.pk}/#report-form"
    assert page.locator("#report-form").is_visible()
