"""Zone saves in the Django admin go through markets.services: errors appear on the form."""

from __future__ import annotations

import json
import threading

import pytest
from django.utils import translation

from markets.models import MarketZone
from tests.markets.test_api_editing import geojson_of, metric_square


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the msgids), whatever catalogs are compiled."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def form_data(zone: MarketZone, **overrides) -> dict:
    data = {
        "name": zone.name, "kind": zone.kind, "status": zone.status, "status_reason": "",
        "boundary": json.dumps(geojson_of(zone.boundary)), "address": "", "district": "",
        "department": zone.department_id, "contact": "", "capacity": str(zone.capacity),
        "opening_hours": zone.opening_hours, "permitted_goods": json.dumps(zone.permitted_goods),
        "prohibited_goods": json.dumps(zone.prohibited_goods),
        "duties": json.dumps(zone.duties), "vehicle_rules": "", "notes": "",
        "change_reason": "管理后台修改", "expected_version": str(zone.version),
        "closures-TOTAL_FORMS": "0", "closures-INITIAL_FORMS": "0",
        "closures-MIN_NUM_FORMS": "0", "closures-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


@pytest.fixture
def zone(city, zone_factory) -> MarketZone:
    return zone_factory(name="新华路后备箱集市", boundary=metric_square(0, 0, 100))


def state(zone: MarketZone) -> tuple:
    zone = MarketZone.objects.get(pk=zone.pk)
    return bytes(zone.boundary.ewkb), zone.version, zone.capacity, zone.history.count()


def url(zone: MarketZone) -> str:
    return f"/admin/markets/marketzone/{zone.pk}/change/"


BOWTIE = {"type": "MultiPolygon", "coordinates": [[[
    [98.300, 39.800], [98.301, 39.801], [98.301, 39.800], [98.300, 39.801], [98.300, 39.800]]]]}


OUTSIDE = {"type": "MultiPolygon", "coordinates": [[[
    [100.000, 39.800], [100.001, 39.800], [100.001, 39.801], [100.000, 39.800]]]]}


@pytest.mark.parametrize(("overrides", "field", "text"), [
    ({"boundary": json.dumps(BOWTIE)}, "boundary", "valid"),
    ({"boundary": json.dumps(OUTSIDE)},
     "boundary", "inside the city"),
    ({"change_reason": "", "capacity": "12"}, "change_reason", "Say why"),
    ({"expected_version": "0", "capacity": "12"}, None, "changed by someone else"),
    ({"status": "retired"}, "status", "delete it"),
])
def test_bad_admin_saves_show_form_errors(admin_client, zone, overrides, field, text):
    before = state(zone)
    response = admin_client.post(url(zone), form_data(zone, **overrides))
    assert response.status_code == 200
    form = response.context["adminform"].form
    errors = form.errors.get(field or "__all__", [])
    assert any(text in e for e in errors), form.errors
    assert state(zone) == before


def test_admin_overlap_names_the_other_zone(admin_client, zone, zone_factory):
    # Moving the zone 90 m east overlaps the neighbour (x 180..280 m) by 10 m x 100 m = 1,000 m².
    zone_factory(name="悦西市美食街", boundary=metric_square(180, 0, 100))
    before = state(zone)
    response = admin_client.post(url(zone), form_data(
        zone, boundary=json.dumps(geojson_of(metric_square(90, 0, 100)))))
    assert response.status_code == 200
    message = " ".join(response.context["adminform"].form.errors["boundary"])
    assert "悦西市美食街" in message
    assert "1000.0 m²" in message
    assert state(zone) == before


def test_admin_save_is_versioned_and_audited(admin_client, admin_user, zone):
    response = admin_client.post(url(zone), form_data(
        zone, capacity="12", boundary=json.dumps(geojson_of(metric_square(0, 0, 80)))))
    assert response.status_code == 302, response.context["adminform"].form.errors
    zone.refresh_from_db()
    assert (zone.version, zone.capacity, zone.updated_by) == (2, 12, admin_user)
    record = zone.history.latest()
    assert (record.history_change_reason, record.history_user) == ("管理后台修改", admin_user)
    assert zone.history.count() == 2


def test_admin_delete_retires(admin_client, zone):
    response = admin_client.post(f"/admin/markets/marketzone/{zone.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    zone.refresh_from_db()
    assert zone.status == "retired"
    assert zone.history.latest().history_change_reason == "Retired in the admin"


def test_admin_bulk_delete_retires(admin_client, zone):
    response = admin_client.post("/admin/markets/marketzone/", {
        "action": "delete_selected", "_selected_action": [zone.pk], "post": "yes"})
    assert response.status_code == 302
    zone.refresh_from_db()
    assert zone.status == "retired"


@pytest.mark.django_db(transaction=True)
def test_a_colleague_cannot_change_the_zone_between_check_and_save(
    admin_client, admin_user, zone, monkeypatch
):
    """The form's trial write and save_model's real one are separate steps; a save by someone
    else in between used to make the real one stale (an error page). The row stays locked from
    the check to the end of the request, so the other writer waits (here: times out)."""
    from django.contrib import admin as django_admin
    from django.db import OperationalError, connection

    from markets import services

    admin_class = type(django_admin.site._registry[MarketZone])
    original = admin_class.save_model
    colleague: list = []

    def interloper():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '300ms'")
            current = MarketZone.objects.get(pk=zone.pk)
            services.zone_update(zone=current, expected_version=current.version,
                                 user=admin_user, reason="同事修改",
                                 boundary=None, fields={"capacity": 99})
            colleague.append("saved")
        except OperationalError as exc:
            colleague.append(type(exc).__name__)
        finally:
            connection.close()

    def save_model_after_a_colleague(self, request, obj, form, change):
        thread = threading.Thread(target=interloper)
        thread.start()
        thread.join()
        return original(self, request, obj, form, change)

    monkeypatch.setattr(admin_class, "save_model", save_model_after_a_colleague)
    response = admin_client.post(url(zone), form_data(zone, capacity="12"))
    assert colleague == ["OperationalError"]
    assert response.status_code == 302
    zone.refresh_from_db()
    assert (zone.version, zone.capacity) == (2, 12)
