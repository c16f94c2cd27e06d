"""Zone write services: versions, history rows, overlap rules, retire/restore semantics."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from markets import services
from markets.models import MarketZone
from tests.markets.test_api_editing import metric_square


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the msgids), whatever catalogs are compiled."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def zone(city, zone_factory) -> MarketZone:
    return zone_factory(name="新华路后备箱集市", boundary=metric_square(0, 0, 100))


def test_update_bumps_version_and_records_who_and_why(zone, urban):
    result = services.zone_update(zone=zone, expected_version=1, user=urban, reason="扩大范围",
                                  boundary=metric_square(0, 0, 120))
    assert result.zone.version == 2
    assert result.zone.updated_by == urban
    record = zone.history.latest()
    assert (record.version, record.history_user, record.history_change_reason) == (
        2, urban, "扩大范围")


def test_stale_version_raises_conflict_with_details(zone, urban):
    services.zone_update(zone=zone, expected_version=1, user=urban, reason="一",
                         fields={"capacity": 10})
    with pytest.raises(services.VersionConflict) as caught:
        services.zone_update(zone=zone, expected_version=1, user=urban, reason="二",
                             fields={"capacity": 20})
    assert (caught.value.current_version, caught.value.updated_by) == (2, urban.username)
    assert caught.value.code == "stale"
    zone.refresh_from_db()
    assert zone.capacity == 10


@pytest.mark.parametrize(("other_status", "blocked"), [
    ("active", True), ("proposed", True), ("suspended", False), ("retired", False),
])
def test_overlap_counts_only_active_and_proposed_zones(zone, zone_factory, urban, other_status,
                                                       blocked):
    zone_factory(name="邻区", status=other_status, boundary=metric_square(150, 0, 100))
    call = lambda: services.zone_update(  # noqa: E731
        zone=zone, expected_version=1, user=urban, reason="东扩",
        boundary=metric_square(60, 0, 100),  # overlaps x 150..160 m: 10 m x 100 m = 1,000 m²
    )
    if blocked:
        with pytest.raises(ValidationError, match="1000.0 m²"):
            call()
    else:
        assert call().zone.version == 2


def test_overlap_of_one_square_metre_is_tolerated(zone, zone_factory, urban):
    # 0.009 m x 100 m = 0.9 m² overlap in EPSG:4542: below MARKET_MAX_OVERLAP_M2 (1 m²).
    zone_factory(name="邻区", boundary=metric_square(100 - 0.009, 0, 100))
    assert services.zone_update(zone=zone, expected_version=1, user=urban, reason="核对",
                                boundary=metric_square(0, 0, 100)).zone.version == 2


def test_retire_then_restore_brings_back_the_previous_status(zone, urban):
    services.zone_update(zone=zone, expected_version=1, user=urban, reason="暂停",
                         fields={"status": "suspended"})
    services.zone_retire(zone=zone, expected_version=2, user=urban, reason="撤销")
    restored = services.zone_restore(zone=zone, expected_version=None, user=urban,
                                     reason="恢复").zone
    assert (restored.status, restored.version) == ("suspended", 4)


def test_restore_is_refused_when_the_place_is_taken(zone, zone_factory, urban):
    services.zone_retire(zone=zone, expected_version=1, user=urban, reason="撤销")
    zone_factory(name="新占用", boundary=metric_square(50, 50, 100))
    with pytest.raises(ValidationError, match="新占用"):
        services.zone_restore(zone=zone, expected_version=None, user=urban, reason="恢复")
    zone.refresh_from_db()
    assert zone.status == "retired"


def test_status_retired_only_through_retire(zone, urban):
    with pytest.raises(ValidationError) as caught:
        services.zone_update(zone=zone, expected_version=1, user=urban, reason="x",
                             fields={"status": "retired"})
    assert "status" in caught.value.message_dict


def test_unknown_fields_are_refused(zone, urban):
    with pytest.raises(ValidationError) as caught:
        services.zone_update(zone=zone, expected_version=1, user=urban, reason="x",
                             fields={"version": 99})
    assert "version" in caught.value.message_dict


def test_reason_longer_than_the_history_column_is_refused(zone, urban):
    with pytest.raises(ValidationError) as caught:
        services.zone_update(zone=zone, expected_version=1, user=urban, reason="长" * 101,
                             fields={"capacity": 1})
    assert "reason" in caught.value.message_dict
