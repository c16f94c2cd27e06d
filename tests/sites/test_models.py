"""Database constraints hold whatever path a write takes (ORM, admin, raw SQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from sites.models import Blocker, ProgressReport

BOWTIE = "POLYGON((98.30 39.80, 98.31 39.81, 98.31 39.80, 98.30 39.81, 98.30 39.80))"


def _raw_update(table: str, column: str, value, pk: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("total_investment", -1),
        ("planned_investment_year", -0.01),
        ("completed_investment_year", -5),
        ("bond_requested", -1),
        ("percent_complete", 100.1),
        ("percent_complete", -1),
        ("planned_end", dt.date(2026, 2, 1)),  # planned start is 2026-03-01
    ],
)
def test_project_constraints_reject_raw_sql(project_factory, column, value):
    project = project_factory()
    with pytest.raises(IntegrityError):
        _raw_update("sites_project", column, value, project.pk)


@pytest.mark.django_db
def test_project_geometry_must_be_valid_at_the_database(project_factory):
    project = project_factory()
    with pytest.raises(IntegrityError):
        _raw_update("sites_project", "geom", GEOSGeometry(BOWTIE, srid=4326).ewkt, project.pk)


@pytest.mark.django_db
def test_project_geometry_type_is_point_or_footprint(project_factory):
    project = project_factory()
    with pytest.raises(IntegrityError):
        _raw_update(
            "sites_project", "geom", "SRID=4326;LINESTRING(98.3 39.8, 98.31 39.81)", project.pk
        )


@pytest.mark.django_db
def test_full_clean_reports_constraint_messages(project_factory):
    project = project_factory()
    project.percent_complete = Decimal("120")
    project.total_investment = Decimal("-1")
    with translation.override("en"), pytest.raises(ValidationError) as info:
        project.full_clean()
    messages = info.value.message_dict["__all__"]
    assert "Progress must be between 0 and 100 percent." in messages
    assert "Amounts of money cannot be negative." in messages


@pytest.mark.django_db
def test_report_month_is_first_day_and_unique(project_factory):
    project = project_factory()
    kwargs = {
        "project": project, "stage": "construction", "completed_investment": Decimal("10"),
        "percent_complete": Decimal("5"),
        "reported_at": dt.datetime(2026, 4, 5, 10, tzinfo=dt.UTC),
    }
    ProgressReport.objects.create(month=dt.date(2026, 3, 1), **kwargs)
    with transaction.atomic(), pytest.raises(IntegrityError):
        ProgressReport.objects.create(month=dt.date(2026, 3, 1), **kwargs)
    with transaction.atomic(), pytest.raises(IntegrityError):
        ProgressReport.objects.create(month=dt.date(2026, 4, 15), **kwargs)


@pytest.mark.django_db
def test_blocker_cannot_be_resolved_before_raised(project_factory):
    project = project_factory()
    with pytest.raises(IntegrityError):
        Blocker.objects.create(
            project=project, kind="land", description="用地指标未落实",
            raised_on=dt.date(2026, 5, 1), resolved=True, resolved_on=dt.date(2026, 4, 1),
        )


@pytest.mark.django_db
def test_closure_must_end_after_start(zone_factory):
    from markets.models import Closure

    zone = zone_factory()
    start = dt.datetime(2026, 7, 1, 18, tzinfo=dt.UTC)
    with pytest.raises(IntegrityError):
        Closure.objects.create(zone=zone, start=start, end=start, reason="测试")


@pytest.mark.django_db
def test_every_geometry_column_has_a_gist_index():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.f_table_name, c.f_geometry_column
            FROM geometry_columns c
            WHERE c.f_table_schema = 'public' AND c.f_table_name NOT LIKE '%%historical%%'
              AND NOT EXISTS (
                SELECT 1 FROM pg_indexes i
                WHERE i.tablename = c.f_table_name AND i.indexdef ILIKE '%%USING gist%%'
                  AND i.indexdef LIKE '%%' || c.f_geometry_column || '%%')
            """
        )
        assert cursor.fetchall() == []
