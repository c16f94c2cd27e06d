"""A few problem reports in the demo city (called by geo.demo.demo_load): one in each state."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.contrib.gis.db.models.functions import PointOnSurface
from django.contrib.gis.geos import Point
from django.utils import timezone

from markets.models import PUBLIC_STATUSES, MarketZone
from markets.reports.models import Report, ReportCategory, ReportState

# (fixed code, category, text, hours ago, state, phone); codes are fixed so a reload updates
# the same rows instead of adding more.
DEMO_REPORTS = (
    (
        "DEM0000001",
        ReportCategory.BLOCKED_ROAD,
        "后备箱车辆停在消防通道上，救护车过不去。",
        2,
        ReportState.NEW,
        "13800000001",
    ),
    ("DEM0000002", ReportCategory.NOISE, "晚上十一点以后还在用喇叭叫卖。", 30, ReportState.NEW, ""),
    (
        "DEM0000003",
        ReportCategory.LITTER,
        "收摊后地面有很多垃圾，没有做到摊走地净。",
        50,
        ReportState.ASSIGNED,
        "",
    ),
    ("DEM0000004", ReportCategory.HAWKERS, "路口有流动摊贩占道经营。", 96, ReportState.HANDLED, ""),
    (
        "DEM0000005",
        ReportCategory.FOOD_SAFETY,
        "烧烤摊没有健康证。",
        120,
        ReportState.UNFOUNDED,
        "",
    ),
)


def load_demo_reports() -> dict[str, int]:
    """Create the demo reports that are missing; {"created": n, "total": n}."""
    zones = list(
        MarketZone.objects.filter(status__in=PUBLIC_STATUSES)
        .annotate(inside=PointOnSurface("boundary"))
        .order_by("name")[:3]
    )
    if not zones:
        return {"created": 0, "total": 0}
    urban = User.objects.filter(username="urban").first()
    existing = set(Report.objects.filter(code__startswith="DEM").values_list("code", flat=True))
    now = timezone.now()
    created = 0
    for n, (code, category, text, hours_ago, state, phone) in enumerate(DEMO_REPORTS):
        if code in existing:
            continue
        zone = zones[n % len(zones)]
        made = now - dt.timedelta(hours=hours_ago)
        report = Report(
            code=code,
            zone=zone,
            category=category,
            text=text,
            phone=phone,
            point=Point(zone.inside.x, zone.inside.y, srid=4326),
            created_at=made,
            state=state,
        )
        if state != ReportState.NEW:
            report.assignee = urban
            report.assigned_at = made + dt.timedelta(hours=1)
        if state in (ReportState.HANDLED, ReportState.UNFOUNDED):
            report.closed_at = made + dt.timedelta(hours=5)
            handled = state == ReportState.HANDLED
            report.note = "已劝离并清理。" if handled else "现场核查，摊主持有健康证。"
        report._change_reason = "demo"
        report.save()
        created += 1
    return {"created": created, "total": len(DEMO_REPORTS)}
