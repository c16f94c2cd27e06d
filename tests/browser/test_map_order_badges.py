"""The staff map's open-orders badge is on every project with open supervision orders: beside a
point marker, and at the middle of a project drawn as an area (issue 17)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import GEOSGeometry, Point
from django.utils import timezone

from sites.orders.models import SupervisionOrder

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
