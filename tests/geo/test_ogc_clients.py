"""Real OGC API clients against a live server (issue 13): the ogctests suite, GDAL, OWSLib."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

import pytest

from geo.api.throttling import AnonBurstThrottle, AnonItemsThrottle

ROOT = Path(__file__).resolve().parents[2]
OGCTESTS_PYTHON = ROOT / "var" / "ogctests" / "bin" / "python"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


@pytest.fixture
def served(live_server, project_factory, livelihood_factory, zone_factory, monkeypatch):
    """A live server with 6 published projects (+1 hidden), 2 works and 2 zones, unthrottled
    (the suites fetch every feature one by one)."""
    monkeypatch.setattr(AnonItemsThrottle, "rate", "100000/min", raising=False)
    monkeypatch.setattr(AnonBurstThrottle, "rate", "100000/min", raising=False)
    for i in range(6):
        project_factory(
            code=f"K{i}",
            name=f"项目{i}",
            stage="construction" if i % 2 else "preparation",
            geom=f"POINT({98.21 + i * 0.01} 39.75)",
        )
    project_factory(code="HID", name="未公开", published=False)
    livelihood_factory(name="五一路小学教学楼")
    livelihood_factory(name="老旧小区改造")
    zone_factory(name="大唐路夜市")
    zone_factory(name="悦西市美食街")
    return live_server.url


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"GDAL_DATA", "PROJ_DATA", "PROJ_LIB"}}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


@pytest.mark.django_db(transaction=True)
def test_ogctests_core_suite_passes(served, tmp_path):
    if not OGCTESTS_PYTHON.exists():
        pytest.fail("var/ogctests is missing: run scripts/setup.sh --test")
    package = subprocess.run(
        [
            str(OGCTESTS_PYTHON),
            "-c",
            "import ogctests, os; print(os.path.dirname(ogctests.__file__))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the portal's pyproject settings
    report = tmp_path / "ogctests.xml"
    env = _env() | {"INSTANCE_URL": f"{served}/ogcapi"}
    result = subprocess.run(
        [
            str(OGCTESTS_PYTHON),
            "-m",
            "pytest",
            f"{package}/features/core",
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            str(tmp_path / "pytest.ini"),
            "--rootdir",
            str(tmp_path),
            f"--junit-xml={report}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    suite = ET.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    counts = {key: int(suite.get(key)) for key in ("tests", "failures", "errors", "skipped")}
    assert (counts["failures"], counts["errors"]) == (0, 0), result.stdout[-4000:]
    assert counts["tests"] == 29  # 0.1.15 has 29 (the issue counted 28)
    assert counts["skipped"] == 0, result.stdout[-4000:]


def _ogrinfo(*args: str) -> str:
    """ogrinfo's output, followed by the URLs it fetched (CPL_DEBUG)."""
    result = subprocess.run(
        ["/usr/bin/ogrinfo", "-ro", *args],
        capture_output=True,
        env=_env() | {"CPL_DEBUG": "ON"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    fetched = re.findall(r"HTTP: Fetch\((\S+)\)", result.stderr.decode())
    return result.stdout.decode("utf-8") + "\nFETCHED " + " ".join(fetched)


@pytest.mark.django_db(transaction=True)
def test_gdal_reads_with_a_filter_and_a_crs(served):
    # The OAPIF driver reads the OpenAPI document of /ogcapi/api, finds the queryables among
    # the items' parameters and sends the -where to the server (GDAL 3.6: filter-lang=cql-text).
    output = _ogrinfo(
        "-al", f"OAPIF:{served}/ogcapi", "projects", "-where", "stage = 'construction'"
    )
    assert "Feature Count: 3" in output
    assert sorted(re.findall(r"^  code \(String\) = (\w+)$", output, re.M)) == ["K1", "K3", "K5"]
    assert "POINT (98.22 39.75)" in output
    # Evaluated by the server, not by GDAL after fetching everything.
    fetched = output.split("FETCHED ")[1].split()
    assert f"{served}/ogcapi/api" in fetched
    assert any(
        "filter=stage%20%3D%20'construction'&filter-lang=cql-text" in url for url in fetched
    ), fetched
    # Debian 12's GDAL 3.6 OAPIF driver cannot ask for a CRS (its CRS options came in 3.7), so
    # the CRS is read with GDAL's GeoJSON driver from the items URL, as QGIS asks for it.
    url = (
        f"{served}/ogcapi/collections/projects/items?crs={quote(f'{EPSG}4542')}"
        f"&filter={quote(chr(39).join(['code = ', 'K1', '']))}"
    )
    projected = _ogrinfo("-al", url)
    assert "Feature Count: 1" in projected
    [(north, east)] = re.findall(r"POINT \(([\d.]+) ([\d.]+)\)", projected)
    # lon 98.22, lat 39.75 in CGCS2000 / GK CM 99E, north first: Snyder's series (as for the
    # point in test_ogc_parts) gives N 4402061.948, E 433150.142
    assert (float(north), float(east)) == pytest.approx((4402061.948, 433150.142), abs=0.01)


@pytest.mark.django_db(transaction=True)
def test_owslib_reads_collections_queryables_and_filtered_items(served):
    from owslib.ogcapi.features import Features

    api = Features(f"{served}/ogcapi")
    assert [c["id"] for c in api.collections()["collections"]] == [
        "projects",
        "livelihood",
        "markets",
    ]
    assert (
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter"
        in api.conformance()["conformsTo"]
    )
    queryables = api.collection_queryables("projects")
    assert "stage" in queryables["properties"]
    items = api.collection_items("projects", filter="stage = 'construction'", limit=2)
    assert items["numberMatched"] == 3
    assert items["numberReturned"] == 2
    assert [link["rel"] for link in items["links"]].count("next") == 1


READ_WITH_A_CRS = """
import json, sys, pyogrio
frame = pyogrio.read_dataframe(
    "OAPIF:" + sys.argv[1] + "/ogcapi", layer="projects", where="code = 'K1'", CRS="EPSG:4542"
)
point = frame.geometry.iloc[0]
print(json.dumps({"codes": list(frame["code"]), "epsg": frame.crs.to_epsg(),
                  "xy": [point.x, point.y]}))
"""


@pytest.mark.django_db(transaction=True)
def test_gdal_oapif_asks_the_server_for_a_crs(served):
    # The GDAL in pyogrio's wheel (3.7+, as current QGIS has) gives the OAPIF driver its CRS
    # option: it asks the server for EPSG:4542 (crs=…) and sends the filter, as QGIS would.
    # Its own process: GDAL holds the interpreter while it fetches from this one's live server.
    result = subprocess.run(
        [sys.executable, "-c", READ_WITH_A_CRS, served],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env=os.environ | {"CPL_DEBUG": "ON", "NO_PROXY": "127.0.0.1,localhost"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    read = json.loads(result.stdout.strip().splitlines()[-1])
    assert read["codes"] == ["K1"]
    assert read["epsg"] == 4542
    # The same point as above (lon 98.22, lat 39.75): E 433150.142, N 4402061.948.
    assert read["xy"] == pytest.approx([433150.142, 4402061.948], abs=0.01)
    items = [
        url
        for url in re.findall(r"HTTP: Fetch\((\S+)\)", result.stderr)
        if "/collections/projects/items" in url
    ]
    assert any("crs=" in url and "4542" in url for url in items), items
    assert any("filter=" in url for url in items), items
