"""/api/v1/markets/walking/?near=lon,lat: public markets by walking distance over the roads."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString, MultiLineString

from geo.models import ContextFeature, ContextKind
from tests.conftest import square

URL = "/api/v1/markets/walking/"

# Lengths near 39.79° N on the CGCS2000/GRS80 ellipsoid: 1° of latitude ≈ 111,031 m,
# 1° of longitude ≈ 85,641 m (the metric CRS, EPSG:4542, is within 5e-5 of true scale here).
#
# A U of main roads: 南环路 along lat 39.790 and 北环路 along lat 39.794, lon 98.279-98.290,
# joined only at the east by 东环路 (lon 98.290, lat 39.7895-39.7945), which has no vertex where
# the other two end on it: ST_Union must node them there, or the U is three loose pieces.
ORIGIN = "98.28,39.7901"  # 0.0001° (11 m) north of 南环路
# 北侧: centre (98.280, 39.793), 111 m south of 北环路, 322 m straight north of the origin.
# 南侧: centre (98.285, 39.790), on 南环路, 0.005° east (427 m) of the origin.


def _road(name: str, *points: tuple[float, float]) -> ContextFeature:
    return ContextFeature.objects.create(
        kind=ContextKind.MAIN_ROAD,
        name=name,
        geom=MultiLineString(LineString(*points, srid=4326), srid=4326),
    )


@pytest.fixture
def u_roads(db):
    _road("南环路", (98.279, 39.790), (98.290, 39.790))
    _road("北环路", (98.279, 39.794), (98.290, 39.794))
    _road("东环路", (98.290, 39.7895), (98.290, 39.7945))
    # A river is no road: even straight across from the origin to 北侧, it is not walked.
    ContextFeature.objects.create(
        kind=ContextKind.RIVER,
        name="清水河",
        geom=MultiLineString(LineString((98.28, 39.789), (98.28, 39.795), srid=4326), srid=4326),
    )


@pytest.fixture
def two_markets(zone_factory):
    return {
        "north": zone_factory(name="北侧", boundary=square(98.2795, 39.7925)),
        "south": zone_factory(name="南侧", boundary=square(98.2845, 39.7895)),
    }


@pytest.mark.django_db
def test_walking_order_differs_from_the_straight_line(api_client, u_roads, two_markets):
    response = api_client.get(URL, {"near": ORIGIN}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    body = response.json()
    assert body["near"] == [98.28, 39.7901]
    assert body["metres_per_minute"] == 80
    south, north = body["markets"]
    # 南侧: 11.1 (up to 南环路) + 428.2 (0.005° east along it) + 0 = 439.3 m -> 440 m, 5.5 min
    # -> 5; straight (haversine): sqrt(427.1² + 11.1²) = 427.3 -> 430 m.
    assert south == {
        "id": two_markets["south"].pk,
        "name": "南侧",
        "metres": 440,
        "minutes": 5,
        "straight_metres": 430,
        "route": "roads",
        "text": "步行约 440 米 / 约 5 分钟",
    }
    # 北侧: 11.1 + 856.4 (east along 南环路) + 444.1 (north on 东环路) + 856.4 (west along
    # 北环路) + 111.0 (down to the market) = 2,279 m -> 2,280 m; straight 0.0029° = 322 -> 320.
    assert north["name"] == "北侧"
    assert north["route"] == "roads"
    assert 2270 <= north["metres"] <= 2290
    assert north["straight_metres"] == 320
    assert north["text"].startswith("步行约 2.3 公里 / 约 ")
    # The straight line would put 北侧 first (320 < 430): walking flips the order.
    assert north["straight_metres"] < south["straight_metres"]


@pytest.mark.django_db
def test_in_english(api_client, u_roads, two_markets):
    body = api_client.get(URL, {"near": ORIGIN}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["markets"][0]["text"] == "about 440 m on foot, about 5 min"


@pytest.mark.django_db
def test_without_roads_the_straight_line_says_so(api_client, two_markets):
    body = api_client.get(URL, {"near": ORIGIN}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert [(m["name"], m["route"], m["metres"]) for m in body["markets"]] == [
        ("北侧", "straight", 320),
        ("南侧", "straight", 430),
    ]
    assert body["markets"][0]["text"] == "直线距离约 320 米"


@pytest.mark.django_db
def test_far_from_the_city_no_roads_are_walked(api_client, u_roads, two_markets):
    # Beijing: 1,500 km away; no walk along the demo city's roads from there.
    body = api_client.get(URL, {"near": "116.39,39.91"}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert {m["route"] for m in body["markets"]} == {"straight"}
    assert body["markets"][0]["text"].startswith("直线距离约 1,")


@pytest.mark.django_db
def test_only_public_markets(api_client, u_roads, two_markets, zone_factory):
    zone_factory(name="草案", status="proposed", boundary=square(98.281, 39.7905))
    zone_factory(name="已撤销", status="retired", boundary=square(98.283, 39.7905))
    names = [m["name"] for m in api_client.get(URL, {"near": ORIGIN}).json()["markets"]]
    assert names == ["南侧", "北侧"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "near",
    [
        "",
        "98.28",
        "98.28,39.79,1",
        "abc,39.79",
        "181,39.79",
        "98.28,-91",
        "1e2,3",
        " 98.28,39.79",
        "nan,nan",
        "inf,1",
    ],
)
def test_a_bad_near_is_a_400_naming_it(api_client, two_markets, near):
    response = api_client.get(URL, {"near": near}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["near"]


@pytest.mark.django_db
def test_near_left_out_is_a_400(api_client):
    response = api_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "near is required: lon,lat of the visitor.",
        "errors": {"near": ["near is required: lon,lat of the visitor."]},
    }


@pytest.mark.django_db
def test_documented_in_openapi(api_client):
    document = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = document["paths"][URL]["get"]
    [near] = operation["parameters"]
    assert near["name"] == "near"
    assert near["required"] is True
    assert {"200", "400"} <= set(operation["responses"])
