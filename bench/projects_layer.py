"""Benchmark the projects layer: our SQL-built GeoJSON vs a plain drf-gis list view vs raw SQL.

Run by hand (not part of ``make test``)::

    DEBUG=1 .venv/bin/python -m bench.projects_layer [--rows 10000] [--repeat 5]

Seeds synthetic projects inside a transaction that is rolled back at the end, so the database
is left as it was (other sessions never see the rows). Prints the median wall time of:

* ours: ``GET /api/v1/projects/`` as staff (every staff field, lights and reasons in SQL);
* plain: a ``GeoFeatureModelSerializer`` ``ListAPIView`` over the same rows and stored fields
  (with ``select_related``; no lights, which would cost it extra queries per row);
* raw: the very SQL statement our view runs, executed on a bare cursor and its rows received
  (the lower bound for this output), and a hand-written minimal statement for reference.

Variants run round-robin after an untimed garbage collection; ``BENCH_VERBOSE=1`` prints every
run's time as well as the medians.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from decimal import Decimal


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    import django

    django.setup()


class _Rollback(Exception):
    """Raised to leave the seeding transaction without committing."""


def _seed(n: int) -> None:
    import datetime as dt

    from django.contrib.gis.geos import Point

    from geo.models import Department, Leader
    from sites.models import Blocker, ProgressReport, Project

    rng = random.Random(42)
    depts = [Department.objects.create(code=f"bench-d{i}", name=f"基准部门{i}") for i in range(8)]
    leaders = [Leader.objects.create(name=f"基准领导{i}") for i in range(5)]
    stages = ["preparation", "construction", "completed", "operating", "suspended"]
    rows = []
    for i in range(n):
        stage = rng.choice(stages)
        started = stage in ("construction", "completed", "operating")
        planned = Decimal(rng.randint(100, 50000))
        rows.append(Project(
            code=f"BENCH-{i:05d}", name=f"基准项目{i}", plan_year=2026,
            category=rng.choice(["industry", "energy", "infrastructure", "urban"]),
            build_type=rng.choice(["new", "continuing"]), stage=stage,
            planned_start=dt.date(2026, rng.randint(1, 12), 1),
            planned_end=dt.date(2027, 12, 31),
            actual_start=dt.date(2026, rng.randint(1, 6), 15) if started else None,
            actual_end=dt.date(2026, 7, 1) if stage in ("completed", "operating") else None,
            total_investment=planned * 3, planned_investment_year=planned,
            completed_investment_year=(planned * Decimal(rng.random())).quantize(Decimal("1")),
            percent_complete=Decimal(rng.randint(0, 100)),
            lead_department=rng.choice(depts), leader=rng.choice(leaders),
            geom=Point(98.20 + rng.random() * 0.16, 39.74 + rng.random() * 0.10, srid=4326),
            stats_status=rng.choice(["not_applied", "applied", "registered"]),
            bond_status=rng.choice(["none", "candidate", "submitted", "approved"]),
            bond_requested=Decimal(rng.randint(0, 100000)),
        ))
    Project.objects.bulk_create(rows, batch_size=2000)
    projects = list(Project.objects.filter(code__startswith="BENCH-"))
    Blocker.objects.bulk_create([
        Blocker(project=p, kind="land", description="基准", raised_on=dt.date(2026, 3, 1))
        for p in rng.sample(projects, n // 10)
    ])
    ProgressReport.objects.bulk_create([
        ProgressReport(project=p, month=dt.date(2026, m, 1), stage=p.stage,
                       completed_investment=p.completed_investment_year * m / 6,
                       percent_complete=p.percent_complete, reported_at=dt.datetime.now(dt.UTC))
        for p in projects[: n // 2] for m in (3, 6)
    ], batch_size=5000)


def _interleaved(variants: dict, repeat: int) -> dict[str, tuple[float, int]]:
    """Median seconds and output size of each variant, run round-robin so that load from
    other processes on a shared machine falls on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    sizes: dict[str, int] = {}
    for fn in variants.values():
        fn()  # warm up (plans, caches)
    for _ in range(repeat):
        for name, fn in variants.items():
            # Collect the previous variant's cyclic garbage first (untimed): the plain view
            # leaves ~10,000 model instances and GEOS geometries in cycles, and the cycle
            # collector otherwise runs (0.5 s) inside whichever variant comes next. Not
            # charging the plain view for it favours the baseline, never us.
            gc.collect()
            t0 = time.perf_counter()
            sizes[name] = fn()
            times[name].append(time.perf_counter() - t0)
    if os.environ.get("BENCH_VERBOSE"):
        for name, ts in times.items():
            print(name, " ".join(f"{t:.3f}" for t in ts))
    return {name: (statistics.median(times[name]), sizes[name]) for name in variants}


def run(rows: int, repeat: int) -> None:
    import psycopg2.extensions
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from rest_framework import generics
    from rest_framework.test import APIRequestFactory, force_authenticate
    from rest_framework_gis.serializers import GeoFeatureModelSerializer

    from sites.api.views import ProjectListView
    from sites.models import Project

    class PlainSerializer(GeoFeatureModelSerializer):
        lead_department = __import__("rest_framework").serializers.CharField(
            source="lead_department.name")
        leader = __import__("rest_framework").serializers.CharField(source="leader.name")

        class Meta:
            model = Project
            geo_field = "geom"
            fields = ("id", "code", "name", "category", "build_type", "stage", "planned_start",
                      "planned_end", "actual_start", "actual_end", "percent_complete",
                      "lead_department", "leader", "total_investment",
                      "planned_investment_year", "completed_investment_year", "stats_status",
                      "stats_applied_on", "stats_registered_on", "bond_status",
                      "bond_requested", "bond_approved", "published", "updated_at")

    class PlainView(generics.ListAPIView):
        serializer_class = PlainSerializer
        pagination_class = None

        def get_queryset(self):
            return Project.objects.select_related("lead_department", "leader").order_by("code")

    factory = APIRequestFactory()
    try:
        with transaction.atomic():
            t0 = time.perf_counter()
            _seed(rows)
            print(f"seeded {rows} projects in {time.perf_counter() - t0:.1f} s "
                  "(rolled back at the end)")
            with connection.cursor() as cur:
                cur.execute("ANALYZE sites_project; ANALYZE sites_blocker; "
                            "ANALYZE sites_progressreport")
            user = User.objects.create_superuser("bench-admin", password=None)

            def ours(query: str = "") -> int:
                request = factory.get(f"/api/v1/projects/{query}")
                force_authenticate(request, user)
                response = ProjectListView.as_view()(request)
                return len(response.content)

            def plain() -> int:
                request = factory.get("/bench/plain/")
                force_authenticate(request, user)
                response = PlainView.as_view()(request)
                response.render()
                return len(response.content)

            with CaptureQueriesContext(connection) as ctx:
                ours()
            statement = ctx.captured_queries[-1]["sql"]

            def raw() -> int:
                # The statement yields one feature per row: receive them all, as bytes.
                with connection.cursor() as cur:
                    psycopg2.extensions.register_type(psycopg2.extensions.BYTES, cur.cursor)
                    cur.execute(statement)
                    return sum(len(row[0]) + 1 for row in cur.fetchall()) + 1

            def raw_minimal() -> int:
                with connection.cursor() as cur:
                    cur.execute(
                        "SELECT json_build_object('type','FeatureCollection','features',"
                        "json_agg(json_build_object('type','Feature','id',p.id,'geometry',"
                        "ST_AsGeoJSON(p.geom,6)::json,'properties',json_build_object("
                        "'code',p.code,'name',p.name,'stage',p.stage,'percent_complete',"
                        "p.percent_complete,'lead_department',d.name)) ORDER BY p.code))::text "
                        "FROM sites_project p JOIN geo_department d ON d.id=p.lead_department_id"
                    )
                    return len(cur.fetchone()[0].encode())

            count = Project.objects.count()
            variants = {
                "ours (staff, lights in SQL)": ours,
                "ours as_of=2026-06": lambda: ours("?as_of=2026-06"),
                "plain drf-gis serializer": plain,
                "raw SQL (same statement)": raw,
                "raw SQL (minimal, public fields)": raw_minimal,
            }
            results = _interleaved(variants, repeat)
            base = results["ours (staff, lights in SQL)"][0]
            raw_t = results["raw SQL (same statement)"][0]
            print(f"\n{count} projects in the table; median of {repeat} runs\n")
            print(f"{'variant':34} {'seconds':>9} {'MB':>7} {'vs ours':>9}")
            for name, (secs, size) in results.items():
                print(f"{name:34} {secs:9.3f} {size / 1e6:7.2f} {secs / base:8.2f}x")
            plain_t = results["plain drf-gis serializer"][0]
            print(f"\nours is {plain_t / base:.1f}x faster than the plain view "
                  f"(target >= 10x) and {base / raw_t:.2f}x the raw SQL time (target <= 1.5x)")
            raise _Rollback
    except _Rollback:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    # Under `python -m bench` (no argv given) the command line holds bench names, not options.
    if argv is None and __name__ != "__main__":
        argv = []
    args = parser.parse_args(argv)
    if __name__ == "__main__":
        _setup_django()
    run(args.rows, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
