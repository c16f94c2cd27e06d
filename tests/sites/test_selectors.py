"""as_of time travel, light filter, staff light fields and the layer's query budget."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from sites.models import Blocker, ProgressReport


def _features(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return json.loads(response.content)["features"]


def _report(project, month, stage, money, percent):
    ProgressReport.objects.create(project=project, month=month, stage=stage,
                                  completed_investment=Decimal(money),
                                  percent_complete=Decimal(percent), reported_at=timezone.now())


@pytest.fixture
def reported(project_factory):
    """Reports in March (preparation), May (construction 800) and July (construction 2000)."""
    project = project_factory(stage="construction", actual_start=dt.date(2026, 5, 3),
                              completed_investment_year=2000, percent_complete=45)
    _report(project, dt.date(2026, 3, 1), "preparation", 0, 0)
    _report(project, dt.date(2026, 5, 1), "construction", 800, 10)
    _report(project, dt.date(2026, 7, 1), "construction", 2000, 45)
    return project


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("as_of", "stage", "money", "percent"),
    [
        ("2026-02", "preparation", 0, 0),  # before the first report: preparation / 0
        ("2026-03", "preparation", 0, 0),
        ("2026-04", "preparation", 0, 0),  # latest report <= April is March's
        ("2026-05", "construction", 800, 10),
        ("2026-06", "construction", 800, 10),
        ("2026-07", "construction", 2000, 45),
        ("", "construction", 2000, 45),  # now: the project's current figures
    ],
)
def test_as_of_gives_the_latest_report_of_that_month(staff_client, api_client, reported,
                                                     as_of, stage, money, percent):
    [feature] = _features(staff_client.get(f"/api/v1/projects/?as_of={as_of}"))
    props = feature["properties"]
    assert (props["stage"], props["completed_investment_year"], props["percent_complete"]) == (
        stage, money, percent)
    [public] = _features(api_client.get(f"/api/v1/projects/?as_of={as_of}"))
    assert (public["properties"]["stage"], public["properties"]["percent_complete"]) == (
        stage, percent)
    detail = json.loads(staff_client.get(f"/api/v1/projects/{reported.pk}/?as_of={as_of}").content)
    assert detail["properties"]["stage"] == stage


@pytest.mark.django_db
def test_stage_filter_applies_to_the_as_of_state(staff_client, reported):
    assert _features(staff_client.get("/api/v1/projects/?as_of=2026-04&stage=construction")) == []
    assert len(_features(staff_client.get("/api/v1/projects/?as_of=2026-05&stage=construction"))
               ) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("as_of", ["2026-13", "26-05", "2026/05", "x", "2026-00"])
def test_malformed_as_of_is_400(api_client, as_of):
    response = api_client.get(f"/api/v1/projects/?as_of={as_of}")
    assert response.status_code == 400
    assert "as_of" in response.json()["errors"]


@pytest.mark.django_db
def test_staff_see_light_and_reasons_public_do_not(staff_client, api_client, project_factory):
    # Planned start March 2026, not started; as of June: 3 months late -> red.
    project_factory(planned_start=dt.date(2026, 3, 1), planned_investment_year=0)
    [feature] = _features(staff_client.get("/api/v1/projects/?as_of=2026-06"))
    props = feature["properties"]
    assert props["light"] == "red"
    assert [r["code"] for r in props["light_reasons"]] == ["start_delay"]
    assert props["light_reasons"][0]["params"] == {"months": 3, "planned_month": "2026-03"}
    [public] = _features(api_client.get("/api/v1/projects/?as_of=2026-06"))
    assert not {"light", "light_reasons", "time_progress_gap", "open_blockers"} & set(
        public["properties"])


@pytest.mark.django_db
def test_light_filter(staff_client, project_factory):
    red = project_factory(planned_start=dt.date(2026, 3, 1), planned_investment_year=0)
    green = project_factory(planned_start=dt.date(2026, 6, 1), planned_investment_year=0)
    ids = lambda q: [f["id"] for f in _features(staff_client.get(f"/api/v1/projects/?{q}"))]  # noqa: E731
    assert ids("as_of=2026-06&light=red") == [red.pk]
    assert ids("as_of=2026-06&light=green") == [green.pk]
    assert ids("as_of=2026-06&light=green,red") == [red.pk, green.pk]


@pytest.mark.django_db
def test_layer_query_count_does_not_grow_with_rows(staff_client, project_factory,
                                                   django_assert_max_num_queries):
    for n in range(30):
        p = project_factory(planned_start=dt.date(2026, 1 + n % 6, 1))
        Blocker.objects.create(project=p, kind="land", description="x",
                               raised_on=dt.date(2026, 2, 1))
    # user + groups (auth), then one query builds the whole FeatureCollection
    with django_assert_max_num_queries(3):
        features = _features(staff_client.get("/api/v1/projects/?as_of=2026-06"))
    assert len(features) == 30
    assert all(f["properties"]["open_blockers"] == 1 for f in features)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("milestones", "status", "light", "next_name"),
    [
        ([("设计", dt.date(2026, 3, 1), dt.date(2026, 2, 20)),
          ("开工", dt.date(2026, 9, 1), None)], "in_progress", "on_time", "开工"),
        ([("设计", dt.date(2026, 3, 1), None)], "in_progress", "late", "设计"),
        ([("设计", dt.date(2026, 3, 1), dt.date(2026, 3, 20))], "in_progress", "done", None),
        ([("设计", dt.date(2026, 3, 1), None)], "completed", "done", "设计"),
    ],
)
def test_livelihood_milestone_light(staff_client, api_client, livelihood_factory,
                                    milestones, status, light, next_name):
    livelihood_factory(milestones=milestones, status=status)
    [feature] = _features(staff_client.get("/api/v1/livelihood/?as_of=2026-06"))
    assert feature["properties"]["milestone_light"] == light
    assert feature["properties"]["next_milestone"] == next_name
    [public] = _features(api_client.get("/api/v1/livelihood/?as_of=2026-06"))
    assert "milestone_light" not in public["properties"]
    assert len(_features(staff_client.get(f"/api/v1/livelihood/?as_of=2026-06&light={light}"))
               ) == 1
