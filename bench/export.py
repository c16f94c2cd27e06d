"""Benchmark the streaming GeoJSON download against ogr2ogr and a drf-gis serializer view.

Run by hand (not part of ``make test``)::

    DEBUG=1 .venv/bin/python -m bench.export [--features 200000] [--keep]

Creates its own database (``test_portal_bench``, migrated like a test database, never the
shared one), seeds N published projects (points, Chinese names), then runs, each in a child
process under GNU time so that its peak memory (max RSS) is its own:

* ours: ``GET /api/v1/projects.geojson`` through Django (SQL features, named cursor, streaming);
* ours again on a quarter of the rows (``bbox``), to show that memory does not grow with N;
* ``ogr2ogr -f GeoJSON`` (Debian's gdal-bin) reading the same rows and columns with ``-sql``;
* a plain ``GeoFeatureModelSerializer`` list view (drf-gis) with the same fields.

Each writes its output to a file under /tmp and prints the wall time, peak RSS and size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

BENCH_DB_ENV = "BENCH_EXPORT_DB"
BENCH_DB_NAME = "test_portal_bench"
OGR2OGR = "/usr/bin/ogr2ogr"
TIME = "/usr/bin/time"  # GNU time, for each child's own peak RSS


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    import django

    django.setup()


# --- the children ----------------------------------------------------------------------------


def _use_bench_db() -> None:
    from django.db import connection

    connection.settings_dict["NAME"] = os.environ[BENCH_DB_ENV]


def _rss_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, from /proc, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _report(started: float, baseline: float) -> None:
    # The parent reads this line: the request's own time and memory, without interpreter and
    # Django start-up (ogr2ogr has none of those).
    print(json.dumps({"request_seconds": time.perf_counter() - started,
                      "baseline_mb": baseline, "peak_mb": _rss_mb("VmHWM")}), flush=True)


def child_ours(out: str, query: str) -> None:
    """The download view, consumed chunk by chunk as a client would."""
    _setup_django()
    _use_bench_db()
    from django.db import connection
    from django.test import Client
    from django.urls import resolve

    client = Client(HTTP_HOST="127.0.0.1")
    resolve("/api/v1/projects.geojson")  # a running worker has its URLconf loaded
    connection.ensure_connection()
    baseline, started = _rss_mb("VmRSS"), time.perf_counter()
    response = client.get(f"/api/v1/projects.geojson{query}")
    assert response.status_code == 200, response.status_code
    with open(out, "wb") as sink:
        for chunk in response.streaming_content:
            sink.write(chunk)
    _report(started, baseline)


def child_drf_gis(out: str) -> None:
    """A textbook drf-gis list view: a GeoFeatureModelSerializer over the same rows."""
    _setup_django()
    _use_bench_db()
    from rest_framework import generics, serializers
    from rest_framework.test import APIRequestFactory
    from rest_framework_gis.serializers import GeoFeatureModelSerializer

    from sites.models import Project

    class ProjectSerializer(GeoFeatureModelSerializer):
        lead_department = serializers.CharField(source="lead_department.name")
        lead_department_code = serializers.CharField(source="lead_department.code")
        district = serializers.CharField(source="district.name", default=None)

        class Meta:
            model = Project
            geo_field = "geom"
            fields = ("id", "code", "name", "category", "build_type", "stage", "planned_start",
                      "planned_end", "actual_start", "actual_end", "percent_complete",
                      "lead_department", "lead_department_code", "district", "updated_at")

    class ProjectList(generics.ListAPIView):
        serializer_class = ProjectSerializer
        throttle_classes = []
        queryset = (Project.objects.filter(published=True)
                    .select_related("lead_department", "district").order_by("code"))

    from django.db import connection

    request = APIRequestFactory().get("/bench/", HTTP_HOST="127.0.0.1")
    connection.ensure_connection()
    baseline, started = _rss_mb("VmRSS"), time.perf_counter()
    response = ProjectList.as_view()(request)
    response.render()
    Path(out).write_bytes(response.content)
    _report(started, baseline)


def _children(argv: list[str]) -> bool:
    if len(argv) >= 2 and argv[0] == "--child":
        kind, out = argv[1], argv[2]
        if kind == "ours":
            child_ours(out, argv[3] if len(argv) > 3 else "")
        else:
            child_drf_gis(out)
        return True
    return False


# --- the parent ------------------------------------------------------------------------------


def _measure(label: str, command: list[str], out: Path, env: dict) -> dict:
    """Run ``command``; its wall time, peak RSS and, for our children, the time and memory of
    the request alone (their last stdout line).

    The peak comes from GNU time (``%M``): a child forked straight from this process would
    inherit this process's high-water mark (Linux keeps it across exec).
    """
    start = time.perf_counter()
    with tempfile.NamedTemporaryFile() as peak, tempfile.TemporaryFile() as errors:
        process = subprocess.run([TIME, "-f", "%M", "-o", peak.name, *command], env=env,
                                 stdout=subprocess.PIPE, stderr=errors, check=False)
        elapsed = time.perf_counter() - start
        if process.returncode != 0:
            errors.seek(0)
            sys.exit(f"{label} failed:\n{errors.read().decode(errors='replace')[-2000:]}")
        peak_kb = int(Path(peak.name).read_text().split()[-1])
    stdout = process.stdout
    result = {"label": label, "process_seconds": elapsed, "seconds": elapsed,
              "peak_mb": peak_kb / 1024, "growth_mb": None,
              "mb": out.stat().st_size / 2**20, "features": _count_features(out)}
    lines = stdout.decode().strip().splitlines()
    if lines and lines[-1].startswith("{"):
        inner = json.loads(lines[-1])
        result["seconds"] = inner["request_seconds"]
        result["growth_mb"] = inner["peak_mb"] - inner["baseline_mb"]
    return result


def _count_features(path: Path) -> int:
    # '"Feature"' (closing quote) never matches "FeatureCollection".
    return path.read_bytes().count(b'"Feature"')


def _seed(n: int) -> None:
    from django.contrib.gis.geos import Point

    from geo.models import Department, District, Leader
    from sites.models import Project

    have = Project.objects.filter(code__startswith="B").count()
    if have >= n:
        print(f"seed: {have} projects already in place")
        return
    Project.objects.filter(code__startswith="B").delete()
    department, _ = Department.objects.get_or_create(code="fgw", defaults={"name": "发改委"})
    leader, _ = Leader.objects.get_or_create(name="王副市长", defaults={"title": "副市长"})
    district = District.objects.first()
    rng = random.Random(6)
    stages = ["preparation", "construction", "completed", "operating"]
    batch = []
    start = time.perf_counter()
    for i in range(n):
        batch.append(Project(
            code=f"B{i:07d}", name=f"基准项目{i}号（甬金金融科技配套）", plan_year=2026,
            category="industry", build_type="new" if i % 3 else "continuing",
            stage=stages[i % 4], total_investment=10_000, planned_investment_year=4_000,
            completed_investment_year=1_000, percent_complete=25, lead_department=department,
            leader=leader, district=district,
            # Inside the demo frame lon 98.20-98.36, lat 39.74-39.84.
            geom=Point(98.20 + rng.random() * 0.16, 39.74 + rng.random() * 0.10, srid=4326),
        ))
        if len(batch) == 5000:
            Project.objects.bulk_create(batch)
            batch = []
    Project.objects.bulk_create(batch)
    print(f"seed: {n} projects in {time.perf_counter() - start:.1f} s")


def _ogr_source(name: str) -> str:
    """PG: connection string for ogr2ogr from the DATABASE_URL / var/database_url socket."""
    from django.conf import settings

    url = os.environ.get("DATABASE_URL") or (settings.VAR_DIR / "database_url").read_text()
    parts = urlsplit(url.strip())
    host = unquote(parts.hostname or "") if parts.hostname else ""
    if not host:
        # postgis://user@%2Fpath%2Fto%2Fsocket/db: the host is the socket directory.
        host = unquote(parts.netloc.rsplit("@", 1)[-1])
    items = [f"host={host}", f"dbname={name}", f"user={parts.username or 'postgres'}"]
    if parts.password:
        items.append(f"password={unquote(parts.password)}")
    if parts.port:
        items.append(f"port={parts.port}")
    return "PG:" + " ".join(items)


OGR_SQL = (
    "SELECT p.id, p.code, p.name, p.category, p.build_type, p.stage, p.planned_start, "
    "p.planned_end, p.actual_start, p.actual_end, p.percent_complete, d.name AS lead_department, "
    "d.code AS lead_department_code, s.name AS district, p.updated_at, p.geom "
    "FROM sites_project p JOIN geo_department d ON d.id = p.lead_department_id "
    "LEFT JOIN geo_district s ON s.id = p.district_id WHERE p.published ORDER BY p.code"
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.export")
    parser.add_argument("--features", type=int, default=200_000)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    # ``python -m bench`` calls main() with its own argv; then the defaults apply.
    args = parser.parse_args(argv or [])

    _setup_django()
    from django.db import connection

    # Its own database, whatever TEST_DB_SUFFIX says: never a developer's test database.
    connection.settings_dict["TEST"]["NAME"] = BENCH_DB_NAME
    name = connection.creation.create_test_db(verbosity=0, keepdb=True, serialize=False)
    print(f"database: {name}")
    try:
        _seed(args.features)
        from sites.models import Project

        count = Project.objects.filter(published=True).count()
        env = {**os.environ, BENCH_DB_ENV: name, "DJANGO_SETTINGS_MODULE": "geo.settings"}
        ogr_env = {k: v for k, v in env.items()
                   if k not in {"GDAL_DATA", "PROJ_DATA", "PROJ_LIB"}}
        tmp = Path(tempfile.mkdtemp(prefix="bench-export-"))
        me = [sys.executable, "-m", "bench.export", "--child"]
        results = [
            _measure("ours (stream, named cursor)", [*me, "ours", str(tmp / "ours.geojson")],
                     tmp / "ours.geojson", env),
            # A box over the western quarter of the frame: about N/4 rows.
            _measure("ours, ~N/4 rows (bbox)",
                     [*me, "ours", str(tmp / "ours4.geojson"), "?bbox=98.20,39.74,98.24,39.84"],
                     tmp / "ours4.geojson", env),
            _measure("ogr2ogr -f GeoJSON", [
                OGR2OGR, "-f", "GeoJSON", str(tmp / "ogr.geojson"), _ogr_source(name),
                "-sql", OGR_SQL, "-lco", "RFC7946=YES", "-lco", "COORDINATE_PRECISION=6",
                "-nln", "projects"], tmp / "ogr.geojson", ogr_env),
            _measure("drf-gis GeoFeatureModelSerializer", [*me, "drf", str(tmp / "drf.json")],
                     tmp / "drf.json", env),
        ]
        print(f"{count} published projects\n")
        print("seconds: the export itself (our children exclude Python/Django start-up, shown "
              "in 'process s');\npeak MB: the process's max RSS; growth MB: peak minus RSS "
              "just before the request.\n")
        print(f"{'method':<36}{'seconds':>8}{'process s':>10}{'peak MB':>9}{'growth MB':>10}"
              f"{'out MB':>8}{'features':>9}")
        for r in results:
            growth = "-" if r["growth_mb"] is None else f"{r['growth_mb']:.0f}"
            print(f"{r['label']:<36}{r['seconds']:>8.2f}{r['process_seconds']:>10.2f}"
                  f"{r['peak_mb']:>9.0f}{growth:>10}{r['mb']:>8.1f}{r['features']:>9}")
        ours, ogr = results[0], results[2]
        print(f"\nours / ogr2ogr time: {ours['seconds'] / ogr['seconds']:.2f}x "
              f"(target <= 1.5x); drf-gis / ours: "
              f"{results[3]['seconds'] / ours['seconds']:.1f}x")
        (tmp / "results.json").write_text(json.dumps(results, indent=2))
        print(f"outputs in {tmp}")
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(name, verbosity=0, keepdb=False)


if __name__ == "__main__":
    if not _children(sys.argv[1:]):
        main(sys.argv[1:])
