"""Benchmark "open now" for 1,000 market zones: parse each rule once (ours) vs parse every time.

Run by hand (not part of ``make test``)::

    DEBUG=1 .venv/bin/python -m bench.open_now [--zones 1000] [--repeat 7]

Seeds synthetic zones inside a transaction that is rolled back at the end (other sessions never
see them) and prints the median wall time of:

* the request path ``GET /api/v1/markets/?at=…`` (SQL features, closures, holiday table, then
  open_now / next_change / status_text per zone), with the cached parse and with a parse per
  zone per request;
* the evaluation alone (no database), the same two ways.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    import django

    django.setup()


class _Rollback(Exception):  # noqa: N818 - leaves the seeding transaction without committing
    """Raised to leave the seeding transaction without committing."""


def rules(rng: random.Random, n: int) -> list[str]:
    """Realistic night-market rules: seasons, weekdays, spans past midnight, holidays."""
    seasons = ["", "May-Oct ", "Apr-Oct ", "Jun-Sep "]
    days = ["Mo-Su", "Fr,Sa", "Fr-Su", "Th-Su", "Sa,Su"]
    starts = ["17:00", "18:00", "18:30", "19:00", "20:00"]
    ends = ["21:00", "22:00", "23:00", "24:00", "01:00", "02:00"]
    tails = ["", "; PH off", "; PH 17:00-24:00"]
    return [
        f"{rng.choice(seasons)}{rng.choice(days)} {rng.choice(starts)}-{rng.choice(ends)}"
        f"{rng.choice(tails)}"
        for _ in range(n)
    ]


def _seed(n: int, rng: random.Random) -> None:
    import datetime as dt

    from django.contrib.gis.geos import MultiPolygon, Polygon

    from geo.models import Department
    from markets.models import CalendarException, Closure, MarketZone

    dept = Department.objects.create(code="bench-h4", name="基准城管")
    texts = rules(rng, 60)  # many zones share a rule, as in a real city
    zones = []
    for i in range(n):
        # A 40-column grid of 0.001° squares, 0.002° apart, inside the demo frame.
        lon, lat = 98.20 + (i % 40) * 0.002, 39.74 + (i // 40) * 0.002
        square = Polygon.from_bbox((lon, lat, lon + 0.001, lat + 0.001))
        zones.append(
            MarketZone(
                name=f"基准集市{i:04d}",
                kind="trunk",
                status="active",
                boundary=MultiPolygon(square, srid=4326),
                department=dept,
                capacity=40,
                opening_hours=texts[i % len(texts)],
            )
        )
    MarketZone.objects.bulk_create(zones)
    tz = dt.timezone(dt.timedelta(hours=8))
    Closure.objects.bulk_create(
        Closure(
            zone=z,
            start=dt.datetime(2026, 6, 5, 20, tzinfo=tz),
            end=dt.datetime(2026, 6, 5, 22, tzinfo=tz),
            reason="基准关闭",
        )
        for z in MarketZone.objects.filter(name__startswith="基准集市")[: n // 20]
    )
    for day, kind in (
        ("2026-06-19", "holiday"),
        ("2026-06-20", "holiday"),
        ("2026-06-21", "holiday"),
        ("2026-06-28", "workday"),
    ):
        CalendarException.objects.get_or_create(date=day, defaults={"kind": kind, "name": "基准"})


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    _setup_django()

    from django.contrib.auth.models import User
    from django.db import transaction
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import translation

    from markets import hours, schedule, selectors
    from markets.selectors import load_calendar

    setup_test_environment()  # the test client's ALLOWED_HOSTS ("testserver")
    rng = random.Random(4)
    url = "/api/v1/markets/?at=2026-06-05T21:00&status=active"
    results: dict[str, float] = {}
    try:
        with transaction.atomic():
            _seed(args.zones, rng)
            staff = User.objects.create_superuser("bench-h4", password=None)
            client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
            client.force_login(staff)  # staff: no anonymous throttle counter in the timing

            def request() -> None:
                response = client.get(url)
                assert response.status_code == 200, response.content[:300]

            response = client.get(url)
            count = len(response.json()["features"])
            assert count >= args.zones, count

            features = selectors.zone_features(selectors.ZoneFilters(status=["active"]), staff=True)
            calendar = load_calendar()
            at = hours.parse_at("2026-06-05T21:00")

            def evaluate() -> None:
                with translation.override("zh-hans"):
                    hours.with_hours(
                        [dict(f, properties=dict(f["properties"])) for f in features],
                        hours.HoursFilters(at=at),
                        calendar=calendar,
                    )

            request()  # warm the parse cache (the first request after a deploy parses once)
            results["request, cached parse"] = _median_ms(request, args.repeat)
            results["evaluation only, cached parse"] = _median_ms(evaluate, args.repeat)
            cached_parse = schedule.parse
            schedule.parse = schedule.parse_uncached  # the naive way: parse per zone per call
            try:
                results["request, parse every time"] = _median_ms(request, args.repeat)
                results["evaluation only, parse every time"] = _median_ms(evaluate, args.repeat)
            finally:
                schedule.parse = cached_parse
            raise _Rollback
    except _Rollback:
        pass

    print(
        f"open_now for {count} zones ({len(set(rules(random.Random(4), 60)))} distinct "
        f"rules), median of {args.repeat}:"
    )
    for name, ms in results.items():
        print(f"  {name:<38} {ms:9.1f} ms")
    for what in ("request", "evaluation only"):
        naive = results[f"{what}, parse every time"]
        ours = results[f"{what}, cached parse"]
        print(f"  {what}: parse-every-time / cached = {naive / ours:.2f}x")


if __name__ == "__main__":
    main()
