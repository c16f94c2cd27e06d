"""The printable battle map carries the context layers (city, districts and names, river, main
roads) inline, under its features, and explains them in its legend (issue 16)."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.test import Client

from geo.demo import LoadResult, _load_context, _load_reference
from geo.models import District


@pytest.fixture
def context(db):
    result = LoadResult()
    _load_reference(result)
    _load_context(result)


def _page(query: str = "") -> str:
    response = Client().get(f"/export/battle-map.html{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_context_layers_are_inline_and_explained(context):
    text = _page()
    # fixtures: 1 city, 4 districts, 1 river, 8 main roads, written once in the page's data.
    assert text.count('"layer": "city"') == 1
    assert text.count('"layer": "district"') == 4
    assert text.count('"layer": "river"') == 1
    assert text.count('"layer": "main_road"') == 8
    for name in ("关城区", "瀚海区", "祁西区", "新钢区", "清水河", "大唐路"):
        assert f'"name": "{name}"' in text
    # Drawn first (under the features), into its own pane.
    assert text.index('createPane("bmContext")') < text.index("bm-feature bm-projects")
    for label in ("底图要素", "市界", "区界", "河流", "主干道"):
        assert label in text


def test_district_names_are_escaped_labels(context):
    District.objects.create(
        code="x", name="<img src=x onerror=alert(1)>新区",
        geom=GEOSGeometry("MULTIPOLYGON(((98.30 39.80, 98.31 39.80, 98.31 39.81, 98.30 39.80)))",
                          srid=4326))
    text = _page()
    assert "&lt;img src=x onerror=alert(1)&gt;新区" in text
    assert "<img src=x" not in text


def test_no_context_stored_draws_none(db):
    text = _page()
    assert '"layer"' not in text  # the context collection is empty: nothing drawn under


def test_legend_names_only_the_context_drawn(district):
    # One district, no city boundary, roads or river: the legend explains what is drawn.
    text = _page()
    assert "区界" in text
    for label in ("市界", "河流", "主干道"):
        assert label not in text
