"""Status-light rules (DOMAIN.md) as a table of cases, evaluated in SQL at a fixed date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import translation

from sites import lights
from sites.models import Blocker, Project

# Reference date: 30 June 2026, day 181 of 365 -> 49.589 % of the year elapsed.
REF = dt.date(2026, 6, 30)
# Rules isolated: no planned investment switches the time-progress rule off.
NO_MONEY = {"planned_investment_year": Decimal(0)}
STARTED = {"stage": "construction", "actual_start": dt.date(2026, 6, 20),
           "stats_status": "registered", "stats_registered_on": dt.date(2026, 6, 25)}


def _evaluate(project: Project, ref: dt.date = REF) -> tuple[str, list[dict]]:
    qs = lights.with_lights(lights.with_state(Project.objects.filter(pk=project.pk), as_of=None),
                            ref=ref)
    with translation.override("en"):
        row = qs.annotate(l=F("light"), r=F("light_reasons")).values("l", "r").get()
    return row["l"], row["r"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "light", "reasons"),
    [
        # start rule: months from the planned start month to June, while not started
        ({"planned_start": dt.date(2026, 6, 1), **NO_MONEY}, "green", []),
        ({"planned_start": dt.date(2026, 5, 1), **NO_MONEY}, "yellow",
         [("start_delay", "yellow", "1 months behind planned start (2026-05)")]),
        ({"planned_start": dt.date(2026, 4, 15), **NO_MONEY}, "yellow",
         [("start_delay", "yellow", "2 months behind planned start (2026-04)")]),
        ({"planned_start": dt.date(2026, 3, 1), **NO_MONEY}, "red",
         [("start_delay", "red", "3 months behind planned start (2026-03)")]),
        ({"planned_start": dt.date(2026, 3, 1), "stage": "suspended", **NO_MONEY}, "red",
         [("start_delay", "red", "3 months behind planned start (2026-03)")]),
        # started late is no longer a start problem
        ({"planned_start": dt.date(2026, 1, 1), **STARTED, **NO_MONEY}, "green", []),
        # time progress: rate - 49.589; 400/1000 = 40 % -> -9.6 points (green)
        ({**STARTED, "planned_investment_year": 1000, "completed_investment_year": 400},
         "green", []),
        # 390/1000 = 39 % -> -10.589 -> 10.6 points behind (yellow)
        ({**STARTED, "planned_investment_year": 1000, "completed_investment_year": 390},
         "yellow",
         [("progress_gap", "yellow", "10.6 points behind time progress (investment 39.0% of "
           "the year's plan, 49.6% of the year elapsed)")]),
        # 200/1000 = 20 % -> 29.6 behind (still yellow: 10-30)
        ({**STARTED, "planned_investment_year": 1000, "completed_investment_year": 200},
         "yellow",
         [("progress_gap", "yellow", "29.6 points behind time progress (investment 20.0% of "
           "the year's plan, 49.6% of the year elapsed)")]),
        # 190/1000 = 19 % -> 30.6 behind (red: more than 30)
        ({**STARTED, "planned_investment_year": 1000, "completed_investment_year": 190},
         "red",
         [("progress_gap", "red", "30.6 points behind time progress (investment 19.0% of "
           "the year's plan, 49.6% of the year elapsed)")]),
        # registration: whole months from the actual start to 30 June, not registered
        ({**STARTED, "stats_status": "applied", "stats_registered_on": None,
          "actual_start": dt.date(2026, 5, 31), **NO_MONEY}, "green", []),
        ({**STARTED, "stats_status": "applied", "stats_registered_on": None,
          "actual_start": dt.date(2026, 5, 30), **NO_MONEY}, "yellow",
         [("registration_lag", "yellow",
           "Started 2026-05-30, not registered in the statistics system after 1 months")]),
        ({**STARTED, "stats_status": "not_applied", "stats_registered_on": None,
          "actual_start": dt.date(2026, 4, 30), **NO_MONEY}, "red",
         [("registration_lag", "red",
           "Started 2026-04-30, not registered in the statistics system after 2 months")]),
        # registered after the reference date: not registered yet at 30 June
        ({**STARTED, "stats_registered_on": dt.date(2026, 7, 2),
          "actual_start": dt.date(2026, 4, 30), **NO_MONEY}, "red",
         [("registration_lag", "red",
           "Started 2026-04-30, not registered in the statistics system after 2 months")]),
    ],
)
def test_light_rules(project_factory, fields, light, reasons):
    project = project_factory(**fields)
    got_light, got_reasons = _evaluate(project)
    assert got_light == light
    assert [(r["code"], r["light"], r["text"]) for r in got_reasons] == reasons


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raised", "resolved_on", "light"),
    [
        (dt.date(2026, 6, 1), None, "yellow"),  # open
        (dt.date(2026, 6, 1), dt.date(2026, 6, 10), "green"),  # resolved before REF
        (dt.date(2026, 6, 1), dt.date(2026, 7, 10), "yellow"),  # still open on 30 June
        (dt.date(2026, 7, 1), None, "green"),  # raised after REF
    ],
)
def test_open_blockers_raise_at_least_yellow(project_factory, raised, resolved_on, light):
    project = project_factory(**STARTED, **NO_MONEY)
    Blocker.objects.create(project=project, kind="land", description="用地指标未落实",
                           raised_on=raised, resolved=resolved_on is not None,
                           resolved_on=resolved_on)
    got, reasons = _evaluate(project)
    assert got == light
    if light == "yellow":
        assert reasons == [{"code": "open_blockers", "light": "yellow", "params": {"count": 1},
                            "text": "1 open blockers"}]


@pytest.mark.django_db
def test_worst_rule_wins_and_every_reason_is_listed(project_factory):
    project = project_factory(planned_start=dt.date(2026, 2, 1), planned_investment_year=1000)
    Blocker.objects.create(project=project, kind="funding", description="资金未到位",
                           raised_on=dt.date(2026, 5, 1))
    light, reasons = _evaluate(project)
    assert light == "red"
    assert [(r["code"], r["light"]) for r in reasons] == [
        ("start_delay", "red"),  # 4 months
        ("progress_gap", "red"),  # 0 % -> 49.6 behind
        ("open_blockers", "yellow"),
    ]
    assert reasons[0]["params"] == {"months": 4, "planned_month": "2026-02"}


def test_thresholds_come_from_settings(settings):
    settings.LIGHT_RULES = {**settings.LIGHT_RULES, "open_blockers_min_light": "purple"}
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        lights.rules()


@pytest.mark.django_db
def test_changed_threshold_changes_the_light(project_factory, settings):
    settings.LIGHT_RULES = {**settings.LIGHT_RULES, "start_delay_red_months": 5}
    project = project_factory(planned_start=dt.date(2026, 3, 1), **NO_MONEY)
    assert _evaluate(project)[0] == "yellow"


@pytest.mark.parametrize(
    ("ref", "percent"),
    [
        (dt.date(2026, 6, 30), Decimal(181) * 100 / 365),
        (dt.date(2026, 12, 31), Decimal(100)),
        (dt.date(2028, 1, 1), Decimal(100) / 366),  # leap year
    ],
)
def test_year_elapsed_percent(ref, percent):
    assert lights.year_elapsed_percent(ref) == percent


@pytest.mark.parametrize(
    ("as_of", "ref"),
    [(dt.date(2026, 2, 1), dt.date(2026, 2, 28)), (dt.date(2026, 6, 1), dt.date(2026, 6, 30))],
)
def test_reference_date_is_the_end_of_the_as_of_month(as_of, ref):
    assert lights.reference_date(as_of) == ref
