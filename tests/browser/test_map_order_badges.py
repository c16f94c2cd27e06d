"""The staff map's open-orders badge is on every project with open supervision orders: beside a
point marker, and at the middle of a project drawn as an area (issue 17)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import GEOSGeometry, Point
from django.utils import timezone

from sites.orders.models import SupervisionOrder
from tests.browser.test_journey_department import _open_popup

SHOTS = "/tmp/shots/or2"


def _order(project, user, *, deadline: dt.date) -> SupervisionOrder:
    return SupervisionOrder.objects.create(
        project=project, department=project.lead_department, issued_by=user,
        subject="加快进度", requirement="按期办结", deadline=deadline,
        issued_at=timezone.now() - dt.timedelta(days=20),
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_point_and_area_projects_carry_the_badge(page, login, user_factory, project_factory):
    office = user_factory("project_office")
    today = timezone.localdate()
    point = project_factory(geom=Point(98.22, 39.76, srid=4326))
    # A triangle around (98.336, 39.826); drawn as an SVG path, not a circle marker.
    area = project_factory(geom=GEOSGeometry(
        "POLYGON((98.33 39.82, 98.345 39.82, 98.335 39.835, 98.33 39.82))", srid=4326))
    project_factory(geom=GEOSGeometry(
        "POLYGON((98.25 39.80, 98.26 39.80, 98.26 39.81, 98.25 39.80))", srid=4326))
    _order(point, office, deadline=today + dt.timedelta(days=10))
    _order(area, office, deadline=today + dt.timedelta(days=10))
    _order(area, office, deadline=today - dt.timedelta(days=5))  # overdue: "2!"
    login(office)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(page.base_url + "/")
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")
    badges = page.locator("#map .leaflet-tooltip.order-badge")
    assert sorted(badges.all_inner_texts()) == ["1", "2!"]
    overdue = page.locator("#map .leaflet-tooltip.order-badge-overdue")
    assert overdue.inner_text() == "2!"
    # The area's badge sits inside the area's drawn outline (its bounding box on screen).
    area_box = page.evaluate(
        """(pk) => {
            let box = null;
            window.portalMap.layers.projects.eachLayer(function walk(layer) {
                if (layer.eachLayer) return layer.eachLayer(walk);
                if (layer.feature && String(layer.feature.id) === String(pk)) {
                    box = layer.getElement().getBoundingClientRect().toJSON();
                }
            });
            return box;
        }""",
        area.pk,
    )
    badge = overdue.bounding_box()
    centre_x, centre_y = badge["x"] + badge["width"] / 2, badge["y"] + badge["height"] / 2
    assert area_box["left"] <= centre_x <= area_box["right"]
    assert area_box["top"] <= centre_y <= area_box["bottom"]
    page.screenshot(path=f"{SHOTS}/map-badges.png")
    assert page.outside_requests == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_work_with_orders_has_the_badge_the_reasons_and_the_issue_link(
        page, signin, user_factory, livelihood_factory):
    office = user_factory("project_office")
    today = timezone.localdate()
    work = livelihood_factory(milestones=[("完工", today + dt.timedelta(days=200), None)])
    quiet = livelihood_factory(
        geom=GEOSGeometry("LINESTRING(98.25 39.80, 98.27 39.80)", srid=4326),
        milestones=[("完工", today + dt.timedelta(days=200), None)])
    SupervisionOrder.objects.create(
        work=work, department=work.lead_department, issued_by=office, subject="加快施工",
        requirement="按期完成", deadline=today - dt.timedelta(days=10),
        issued_at=timezone.now() - dt.timedelta(days=20))
    signin(office.username)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(page.base_url + "/")
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")
    assert page.locator("#map-status").get_attribute("data-livelihood") == "2"
    assert quiet.pk not in (None, work.pk)
    assert page.locator("#map .leaflet-tooltip.order-badge").all_inner_texts() == ["1!"]
    assert page.locator("[data-legend=open-orders]").count() == 1
    _open_popup(page, "livelihood", f"String(id) === '{work.pk}'")
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    assert popup.locator(".popup-light li[data-code=order_overdue]").count() == 1
    assert popup.locator(".popup-orders").inner_text() == "未销号督办单: 1 (1 逾期)"
    page.screenshot(path=f"{SHOTS}/work-popup.png")
    link = popup.locator("a.popup-order")
    with page.expect_navigation():
        link.click()
    assert page.url == f"{page.base_url}/orders/new/?work={work.pk}"
    assert page.locator("#order-department").inner_text() == work.lead_department.name
    # The map's order filter keeps the work with the order, and drops the other.
    page.goto(page.base_url + "/?orders=open")
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")
    assert page.locator("#map-status").get_attribute("data-livelihood") == "1"
    assert page.outside_requests == []
