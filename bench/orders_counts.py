"""Benchmark the supervision-order counts: the inbox count in every page header and the staff
map's per-project badges, as aggregate queries (ours) vs a per-project Python loop vs raw SQL.

Run by hand (not part of ``make test``)::

    DEBUG=1 .venv/bin/python -m bench.orders_counts [--orders 2000] [--repeat 7]

Seeds synthetic orders on the database's projects inside a transaction that is rolled back at
the end (other sessions never see them) and prints the median wall time of each way and the
ratios (a loop / ours, ours / raw SQL), with the number of queries each issues.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time


class _Rollback(Exception):  # noqa: N818 - leaves the seeding transaction without committing
    pass


def _median(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _seed(n: int, rng: random.Random):
    import datetime as dt

    from django.contrib.auth.models import User
    from django.utils import timezone

    from sites.models import Project
    from sites.orders.models import OrderState, SupervisionOrder

    projects = list(Project.objects.values_list("pk", "lead_department_id"))
    user = User.objects.create_user("bench-orders")
    now = timezone.now()
    today = timezone.localdate()
    states = [s.value for s in OrderState]
    SupervisionOrder.objects.bulk_create(
        SupervisionOrder(
            project_id=pk, department_id=dept, issued_by=user, subject=f"bench {i}",
            requirement="r", deadline=today + dt.timedelta(days=rng.randint(-20, 20)),
            state=rng.choice(states), issued_at=now,
        )
        for i, (pk, dept) in enumerate(rng.choice(projects) for _ in range(n))
    )
    # a closed order has its closing time (CHECK order_closed_at_when_closed)
    SupervisionOrder.objects.filter(state="closed").update(closed_at=now)
    return projects, today


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv if argv is not None else [])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from geo.roles import PROJECT_OFFICE
    from sites.models import Project
    from sites.orders.models import OPEN_STATES, OrderState, SupervisionOrder
    from sites.orders.selectors import inbox_counts, open_orders_by_project

    rng = random.Random(17)
    try:
        with transaction.atomic():
            projects, today = _seed(args.orders, rng)
            office = User.objects.create_user("bench-office")
            office.groups.add(Group.objects.get_or_create(name=PROJECT_OFFICE)[0])

            def loop_badges():
                out = {}
                for pk in Project.objects.values_list("pk", flat=True):
                    qs = SupervisionOrder.objects.filter(project_id=pk, state__in=OPEN_STATES)
                    n = qs.count()
                    if n:
                        out[pk] = {"open": n, "overdue": qs.filter(deadline__lt=today).count()}
                return out

            def raw_badges():
                with connection.cursor() as cur:
                    cur.execute(
                        "SELECT project_id, count(*), count(*) FILTER (WHERE deadline < %s) "
                        "FROM sites_supervisionorder WHERE state <> 'closed' "
                        "AND project_id IS NOT NULL GROUP BY project_id", [today])
                    return {r[0]: {"open": r[1], "overdue": r[2]} for r in cur.fetchall()}

            def loop_inbox():
                total = 0
                for pk in Project.objects.values_list("pk", flat=True):
                    total += SupervisionOrder.objects.filter(
                        project_id=pk, state__in=(OrderState.SUBMITTED,)).count()
                    total += SupervisionOrder.objects.filter(
                        project_id=pk, state__in=OPEN_STATES, escalated_at__isnull=False,
                    ).exclude(state=OrderState.SUBMITTED).count()
                return total

            def raw_inbox():
                with connection.cursor() as cur:
                    cur.execute(
                        "SELECT count(*) FROM sites_supervisionorder WHERE state = 'submitted' "
                        "OR (state <> 'closed' AND escalated_at IS NOT NULL)")
                    return cur.fetchone()[0]

            inbox_counts(office)  # the user's groups, read once per request
            rows = [
                ("badges", lambda: open_orders_by_project(today), loop_badges, raw_badges,
                 lambda a, b: a == b),
                ("inbox count", lambda: inbox_counts(office)["total"], loop_inbox, raw_inbox,
                 lambda a, b: a == b),
            ]
            print(f"{len(projects)} projects, {args.orders} orders, median of {args.repeat}")
            for name, ours, loop, raw, same in rows:
                with CaptureQueriesContext(connection) as q_ours:
                    ours()
                with CaptureQueriesContext(connection) as q_loop:
                    loop()
                t_ours, r_ours = _median(ours, args.repeat)
                t_loop, r_loop = _median(loop, args.repeat)
                t_raw, r_raw = _median(raw, args.repeat)
                assert same(r_ours, r_loop), name
                assert same(r_ours, r_raw), name
                print(f"{name:12} ours {t_ours * 1000:7.2f} ms ({len(q_ours)} query)  "
                      f"loop {t_loop * 1000:8.2f} ms ({len(q_loop)} queries)  "
                      f"raw SQL {t_raw * 1000:7.2f} ms  "
                      f"loop/ours {t_loop / t_ours:6.1f}x  ours/raw {t_ours / t_raw:4.2f}x")
            raise _Rollback
    except _Rollback:
        pass


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
