"""The project office's journey, from the login form: a blocker added and resolved; the year's
list imported (a dry run with a rejection, then one without, then applied) with rows that have
no coordinates; the unplaced projects placed from the queue, one by a map click and one by
typed GCJ-02 coordinates; both then on the map."""

from __future__ import annotations

import pytest

from geo.gcj02 import wgs84_to_gcj02
from geo.models import Leader
from sites.models import Blocker, Project
from tests.conftest import DEMO_PASSWORD

HEADER = "编号,项目名称,类别,建设性质,牵头单位,包抓领导,总投资,年度计划投资,经度,纬度"
PLACED = "J-001,旅程有坐标项目,工业,新建,发改委,{leader},12000,5000,98.3010,39.8020"
UNPLACED_A = "J-002,旅程待落图项目甲,新能源,新建,发改委,{leader},8000,3000,,"
UNPLACED_B = "J-003,旅程待落图项目乙,基础设施,续建,发改委,{leader},6000,2000,,"
# Where project 乙 really is (WGS84); the office copies it from an Amap picker, in GCJ-02.
SITE_B = (98.2650, 39.7700)


def _csv(path, rows: list[str]) -> str:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8-sig")
    return str(path)


def _map_loaded(page) -> None:
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_project_office_journey(page, signin, demo_city, tmp_path):
    leader = Leader.objects.order_by("pk").first().name
    landed = signin("office", DEMO_PASSWORD)
    assert landed == page.base_url + "/dashboard/"
    page.wait_for_selector("#kpi-cards")
    assert page.inner_text('[data-kpi="unplaced"] .value') == "0"

    # --- a blocker added and resolved on a project page --------------------------------------
    with page.expect_navigation():
        page.click("header nav a[href='/staff/projects/']")
    first = page.locator("#my-projects tbody tr th a").first
    name = first.inner_text()
    with page.expect_navigation():
        first.click()
    assert page.inner_text("h1").startswith(name)
    project = Project.objects.get(name=name)
    page.locator("section[aria-labelledby=blockers-heading] details summary").click()
    page.select_option("#id_kind", "land")
    page.fill("#id_description", "用地指标未落实（旅程测试）")
    with page.expect_navigation():
        page.locator("form[action$='/blockers/'] button[type=submit]").click()
    blocker = Blocker.objects.get(project=project, description="用地指标未落实（旅程测试）")
    assert not blocker.resolved
    item = page.locator("ul.blockers li.open", has_text="用地指标未落实")
    assert item.count() == 1
    page.screenshot(path="/tmp/h3-project-page.png", full_page=True)
    with page.expect_navigation():
        item.locator("button[type=submit]").click()
    blocker.refresh_from_db()
    assert blocker.resolved
    assert page.locator("ul.blockers li.resolved", has_text="用地指标未落实").count() == 1

    # --- the import page: column help, a dry run with a rejection --------------------------------
    with page.expect_navigation():
        page.click("header nav a[href='/staff/import/']")
    columns = page.locator("#columns-projects tbody tr")
    assert columns.count() >= 10
    leader_row = page.locator("#columns-projects tr[data-column=leader]")
    assert leader_row.locator("th").inner_text() == "包抓领导"
    assert "必填" in leader_row.inner_text()
    page.screenshot(path="/tmp/h3-import-before.png", full_page=True)
    bad = _csv(tmp_path / "bad.csv", [PLACED.format(leader=leader),
                                      UNPLACED_A.format(leader=leader),
                                      UNPLACED_B.format(leader="李四")])
    page.set_input_files("#import-file", bad)
    with page.expect_navigation():
        page.click("#import-form button[type=submit]")
    rows = page.locator("#import-report tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).get_attribute("data-action") == "created"
    assert "待落图" in rows.nth(1).inner_text()
    assert rows.nth(2).get_attribute("data-action") == "rejected"
    assert rows.nth(2).locator("p.field-error").inner_text() == (
        "第 4 行“包抓领导”列：没有“李四”这位市领导，请填写门户列出的准确姓名。")
    assert page.locator("#import-confirm").count() == 0  # a rejected row: nothing to apply
    page.screenshot(path="/tmp/h3-import-rejected.png", full_page=True)

    # --- fixed, checked again, applied ------------------------------------------------------------
    good = _csv(tmp_path / "good.csv", [PLACED.format(leader=leader),
                                        UNPLACED_A.format(leader=leader),
                                        UNPLACED_B.format(leader=leader)])
    page.set_input_files("#import-file", good)
    with page.expect_navigation():
        page.click("#import-form button[type=submit]")
    assert "2 个没有位置（待落图）" in page.inner_text("#import-summary")
    assert not Project.objects.filter(code__startswith="J-").exists()  # a dry run
    page.screenshot(path="/tmp/h3-import-checked.png", full_page=True)
    with page.expect_navigation():
        page.click("#import-confirm button")
    page.wait_for_selector("#import-done")
    assert "2 个项目尚未落图" in page.inner_text("#import-done")
    assert Project.objects.get(code="J-002").geom is None
    assert Project.objects.get(code="J-001").geom.coords == (98.301, 39.802)

    assert page.get_attribute("#import-to-queue", "href") == "/staff/projects/unplaced/"

    # --- the dashboard counts them, the project page says where they are ----------------------
    with page.expect_navigation():
        page.click("header nav a[href='/dashboard/']")
    assert page.inner_text('[data-kpi="unplaced"] .value') == "2"
    page.screenshot(path="/tmp/h3-dashboard.png", full_page=True)
    with page.expect_navigation():
        page.click("#dashboard-unplaced")
    a = Project.objects.get(code="J-002")
    b = Project.objects.get(code="J-003")
    with page.expect_navigation():
        page.click(f"#unplaced-{a.pk} h2 a")
    assert "尚未落图" in page.inner_text("#detail-unplaced")
    assert page.locator("#detail-map").count() == 0
    page.screenshot(path="/tmp/h3-project-unplaced.png", full_page=True)
    with page.expect_navigation():
        page.click("#detail-unplaced a")

    # --- the placement queue: one by a map click ----------------------------------------------
    assert page.url == page.base_url + f"/staff/projects/unplaced/#unplaced-{a.pk}"
    page.wait_for_selector("#place-map[data-ready=true]")
    assert page.locator(".queue-item").count() == 2
    page.screenshot(path="/tmp/h3-queue.png", full_page=True)
    item_a = page.locator(f"#unplaced-{a.pk}")
    item_a.locator(".pick-button").click()
    box = page.locator("#place-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lon_typed = float(page.input_value(f"#lon-{a.pk}"))
    lat_typed = float(page.input_value(f"#lat-{a.pk}"))
    assert "旅程待落图项目甲" in page.inner_text("#pick-status")
    page.screenshot(path="/tmp/h3-queue-picked.png", full_page=True)
    with page.expect_navigation():
        item_a.locator(".place-button").click()
    a.refresh_from_db()
    assert a.geom.coords == (lon_typed, lat_typed)
    assert 98.20 < lon_typed < 98.36
    assert 39.74 < lat_typed < 39.84
    assert a.history.first().history_change_reason == "placed on the map (WGS84)"
    assert page.locator(f"#unplaced-{a.pk}").count() == 0

    # --- and one by typed GCJ-02 coordinates --------------------------------------------------
    gcj = wgs84_to_gcj02(*SITE_B)
    page.fill(f"#lon-{b.pk}", f"{gcj[0]:.6f}")
    page.fill(f"#lat-{b.pk}", f"{gcj[1]:.6f}")
    page.select_option(f"#crs-{b.pk}", "gcj02")
    with page.expect_navigation():
        page.locator(f"#unplaced-{b.pk} .place-button").click()
    b.refresh_from_db()
    # Typed to 6 decimals (±5e-7°), converted back within 1e-6°: within 2e-6° of the site.
    assert abs(b.geom.x - SITE_B[0]) < 2e-6
    assert abs(b.geom.y - SITE_B[1]) < 2e-6
    page.wait_for_selector("#queue-empty")
    page.screenshot(path="/tmp/h3-queue-done.png", full_page=True)

    # --- both on the map ---------------------------------------------------------------------
    with page.expect_navigation():
        page.click("#queue-empty a")
    _map_loaded(page)
    total = Project.objects.count()
    assert page.get_attribute("#map-status", "data-projects") == str(total)
    page.fill("#filter-q", "旅程待落图")
    page.press("#filter-q", "Enter")
    page.wait_for_selector("#map-status[data-loaded=true][data-projects='2']", state="attached")
    page.screenshot(path="/tmp/h3-map.png", full_page=True)
