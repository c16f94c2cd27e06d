"""The SQL feature writer (geo.geojson): every value kind comes out as the JSON it stands for.

Features are written by format() over JSON texts rather than json_build_object, so escaping,
NULLs, numbers PostgreSQL can hold but JSON cannot, and long property lists (format() takes at
most 100 arguments) are checked here against the parsed output.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db.models import BooleanField, DateField, DecimalField, F, TextField, Value
from django.db.models.expressions import RawSQL

from geo import geojson
from sites.models import Project, ProjectCategory

pytestmark = pytest.mark.django_db

AWKWARD = 'say "hi"\\ 100% tab\there\nnew line \x01 西湖 🌙 \'single\''


def _one(queryset, properties: dict, **kw) -> dict:
    text = geojson.feature(queryset, geom="geom", properties=properties, **kw)
    return json.loads(text)


def test_values_of_every_kind_round_trip(project_factory):
    p = project_factory(
        name=AWKWARD, actual_start=None, planned_start=dt.date(2026, 3, 1),
        total_investment=Decimal("12345.67"), published=True,
    )
    props = {
        "name": "name",
        "code": "code",
        "planned_start": "planned_start",
        "actual_start": "actual_start",
        "total_investment": "total_investment",
        "published": "published",
        "leader_id": "leader_id",
        "district": "district__name",
        "updated_at": geojson.LocalISO("updated_at"),
        # Django refuses to send these; PostgreSQL's numeric holds them all the same.
        "nan": RawSQL("'NaN'::numeric", (), output_field=DecimalField()),
        "infinity": RawSQL("'-Infinity'::numeric", (), output_field=DecimalField()),
        "no_number": RawSQL("NULL::numeric", (), output_field=DecimalField()),
        "no": Value(False, output_field=BooleanField()),
        "unknown": RawSQL("NULL::boolean", (), output_field=BooleanField()),
        "no_date": RawSQL("NULL::date", (), output_field=DateField()),
        "100% key \"quoted\"": Value("%s %1$s %%", output_field=TextField()),
    }
    feature = _one(Project.objects.filter(pk=p.pk), props)
    assert feature["type"] == "Feature"
    assert feature["id"] == p.pk
    assert feature["geometry"] == {"type": "Point", "coordinates": [98.28, 39.79]}
    p.refresh_from_db()
    assert feature["properties"] == {
        "name": AWKWARD,
        "code": p.code,
        "planned_start": "2026-03-01",
        "actual_start": None,
        "total_investment": 12345.67,
        "published": True,
        "leader_id": p.leader_id,
        "district": None,
        "updated_at": p.updated_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
        .replace(microsecond=0).isoformat(),
        # JSON has no NaN or infinity: written as strings, as json_build_object does.
        "nan": "NaN",
        "infinity": "-Infinity",
        "no_number": None,
        "no": False,
        "unknown": None,
        "no_date": None,
        "100% key \"quoted\"": "%s %1$s %%",
    }
    # Property order is the selector's order.
    assert list(feature["properties"]) == list(props)


def test_choice_labels_are_quoted_once_and_unknown_codes_show_themselves(project_factory):
    known = project_factory(category="energy")
    odd = project_factory(category="energy")
    Project.objects.filter(pk=odd.pk).update(category='odd "code"')
    props = {"label": geojson.choice_label("category", ProjectCategory.choices)}
    assert _one(Project.objects.filter(pk=known.pk), props)["properties"] == {
        "label": str(dict(ProjectCategory.choices)["energy"])
    }
    assert _one(Project.objects.filter(pk=odd.pk), props)["properties"] == {
        "label": 'odd "code"'
    }


def test_more_properties_than_format_takes_arguments(project_factory):
    p = project_factory(name="多")
    props = {f"k{i:03d}": ("name" if i % 2 else "planned_start") for i in range(150)}
    feature = _one(Project.objects.filter(pk=p.pk), props)
    assert list(feature["properties"]) == list(props)
    assert feature["properties"]["k001"] == "多"
    assert feature["properties"]["k148"] == "2026-03-01"


def test_no_properties_is_an_empty_object(project_factory):
    p = project_factory()
    assert _one(Project.objects.filter(pk=p.pk), {})["properties"] == {}


def test_computed_members_come_after_the_properties_with_their_parameters(project_factory):
    p = project_factory(name="甲")
    computed = geojson.Computed(
        columns={"_twice": F("planned_investment_year")},
        members=[("double", "(t._twice * %s)::text", (2,)),
                 ("said", "to_json(%s::text)::text", ("它说 \"好\" 100%",))],
    )
    feature = _one(Project.objects.filter(pk=p.pk), {"name": "name"}, computed=computed)
    assert feature["properties"] == {"name": "甲", "double": 8000, "said": "它说 \"好\" 100%"}


def test_collection_holds_every_row_in_order_and_its_members(project_factory):
    codes = [project_factory(code=c).code for c in ("B2", "A1", "C3")]
    text = geojson.feature_collection(
        Project.objects.order_by("code"), geom="geom", properties={"code": "code"},
        members={"name": "项目", "n": 3},
    )
    assert isinstance(text, bytes)
    body = json.loads(text)
    assert body["type"] == "FeatureCollection"
    assert body["name"] == "项目"
    assert body["n"] == 3
    assert [f["properties"]["code"] for f in body["features"]] == sorted(codes)


def test_empty_collection(project_factory):
    body = json.loads(geojson.feature_collection(
        Project.objects.filter(pk=-1), geom="geom", properties={"code": "code"},
    ))
    assert body == {"type": "FeatureCollection", "features": []}
