"""Benchmark the monthly briefing as .docx (issue 17: under 5 s for 155 projects).

Run by hand (not part of ``make test``)::

    DEBUG=1 .venv/bin/python -m bench.briefing [--projects 155] [--repeat 5]

Uses the database's projects (the demo city has the plan's 155); with fewer, it seeds the rest
inside a transaction that is rolled back at the end. Prints the median wall time of:

* ours: ``GET /briefing/briefing.docx?month=2026-06`` as staff — the stats, lists, order
  figures and ranking in aggregate queries, the map drawn with Pillow, the Word document;
* plain: the same document with each project's state and light read one project at a time
  (one query per project, as a loop over ``Project.objects.all()`` would) and summed in Python;
* raw: the SQL statements ours runs, replayed on a bare cursor (the lower bound for the
  figures), and the document writing alone (python-docx + map, figures given).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from bench.projects_layer import _interleaved, _Rollback, _seed, _setup_django

MONTH = dt.date(2026, 6, 1)
TARGET_SECONDS = 5.0


def run(projects: int, repeat: int) -> None:
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.db.models import F
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from sites import lights
    from sites.briefing import figures, mapimage, views, word
    from sites.models import Project

    factory = RequestFactory()
    try:
        with transaction.atomic():
            have = Project.objects.count()
            if have < projects:
                _seed(projects - have)
                print(f"seeded {projects - have} projects (rolled back at the end)")
            user = User.objects.create_superuser("bench-briefing", password=None)

            def ours() -> int:
                request = factory.get("/briefing/briefing.docx?month=2026-06")
                request.user = user
                response = views.briefing_docx(request)
                assert response.status_code == 200, response.content[:200]
                return len(response.content)

            def plain() -> int:
                # Per project: its state as of the month and its light, one query each.
                with translation.override("zh-hans"):
                    briefing = figures.briefing_for(MONTH)
                    rows = []
                    for project in Project.objects.select_related("lead_department"):
                        one = lights.annotate(Project.objects.filter(pk=project.pk), as_of=MONTH)
                        one = one.annotate(stage_now=F("eff_stage"), light_now=F("light"))
                        rows.append(one.values("stage_now", "light_now").get())
                    briefing.stats["overall"]["projects"] = len(rows)
                    png = mapimage.red_projects_png(mapimage.briefing_points(briefing.red_projects))
                    return len(word.briefing_docx(briefing, map_png=png))

            with CaptureQueriesContext(connection) as ctx:
                ours()
            statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]

            def raw() -> int:
                size = 0
                with connection.cursor() as cur:
                    for sql in statements:
                        cur.execute(sql)
                        size += len(cur.fetchall()) if cur.description else 0
                return size

            with translation.override("zh-hans"):
                given = figures.briefing_for(MONTH)

            def document_only() -> int:
                with translation.override("zh-hans"):
                    png = mapimage.red_projects_png(mapimage.briefing_points(given.red_projects))
                    return len(word.briefing_docx(given, map_png=png))

            count = Project.objects.count()
            results = _interleaved(
                {
                    "ours (.docx view)": ours,
                    "plain (query per project)": plain,
                    "raw SQL (ours' statements)": raw,
                    "document only (figures given)": document_only,
                },
                repeat,
            )
            base = results["ours (.docx view)"][0]
            print(
                f"\n{count} projects; {len(statements)} SQL statements in ours; "
                f"median of {repeat} runs\n"
            )
            print(f"{'variant':32} {'seconds':>9} {'vs ours':>9}")
            for name, (secs, _size) in results.items():
                print(f"{name:32} {secs:9.3f} {secs / base:8.2f}x")
            plain_t = results["plain (query per project)"][0]
            raw_t = results["raw SQL (ours' statements)"][0]
            print(
                f"\nours {base:.2f} s (target < {TARGET_SECONDS:.0f} s: "
                f"{'met' if base < TARGET_SECONDS else 'MISSED'}); plain is "
                f"{plain_t / base:.1f}x ours; ours is {base / raw_t:.1f}x its SQL alone"
            )
            raise _Rollback
    except _Rollback:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=155)
    parser.add_argument("--repeat", type=int, default=5)
    if argv is None and __name__ != "__main__":
        argv = []
    args = parser.parse_args(argv)
    if __name__ == "__main__":
        _setup_django()
    run(args.projects, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
