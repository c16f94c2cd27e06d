"""A layer body rendered once per version (geo/api/body_cache.py): the second identical request
costs the version query only, and any write, audience or language change renders anew."""

from __future__ import annotations

import pytest
from rest_framework.views import APIView

from sites.models import Project


@pytest.fixture
def no_throttles(monkeypatch):
    # Anonymous throttles count in the database; the budget pinned here is the body's.
    monkeypatch.setattr(APIView, "throttle_classes", [])


@pytest.fixture
def two_projects(project_factory):
    return project_factory(name="东区污水处理厂"), project_factory(name="新华路改造")


@pytest.mark.django_db
def test_the_same_request_again_costs_one_query_and_gets_the_same_bytes(
    api_client, two_projects, no_throttles, django_assert_num_queries
):
    first = api_client.get("/api/v1/projects/")
    assert first.status_code == 200
    with django_assert_num_queries(1):  # geo.api.conditional.data_version
        again = api_client.get("/api/v1/projects/")
    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]


def names(client) -> list[str]:
    features = client.get("/api/v1/projects/").json()["features"]
    return sorted(f["properties"]["name"] for f in features)


@pytest.mark.django_db
def test_a_write_is_seen_at_once(api_client, two_projects, no_throttles):
    assert names(api_client) == ["东区污水处理厂", "新华路改造"]
    project = two_projects[0]
    project.name = "东区污水处理厂（二期）"
    project.save()
    assert names(api_client) == ["东区污水处理厂（二期）", "新华路改造"]
    Project.objects.filter(pk=two_projects[1].pk).delete()
    assert names(api_client) == ["东区污水处理厂（二期）"]


@pytest.mark.django_db
def test_staff_and_public_and_each_language_get_their_own_body(
    api_client, staff_client, two_projects, no_throttles
):
    public = api_client.get("/api/v1/projects/")
    staff = staff_client.get("/api/v1/projects/")
    assert "light" not in public.json()["features"][0]["properties"]
    assert "light" in staff.json()["features"][0]["properties"]
    # The public body did not become the staff one, or the reverse, when asked again.
    assert api_client.get("/api/v1/projects/").content == public.content
    assert staff_client.get("/api/v1/projects/").content == staff.content
    english = api_client.get("/api/v1/projects/", HTTP_ACCEPT_LANGUAGE="en")
    assert english["ETag"] != public["ETag"]
    assert api_client.get("/api/v1/projects/").content == public.content


@pytest.mark.django_db
def test_a_filtered_request_is_its_own_entry(api_client, two_projects, no_throttles):
    everything = api_client.get("/api/v1/projects/").json()["features"]
    assert len(everything) == 2
    project = two_projects[0]
    filtered = api_client.get(f"/api/v1/projects/?department={project.lead_department.code}")
    assert filtered.status_code == 200
    assert len(api_client.get("/api/v1/projects/").json()["features"]) == 2


@pytest.mark.django_db
def test_ogc_items_pages_are_queried_once_per_version(
    staff_client, two_projects, project_factory, django_assert_max_num_queries
):
    url = "/ogcapi/collections/projects/items?limit=1"
    first = staff_client.get(url).json()
    assert (first["numberMatched"], first["numberReturned"]) == (2, 1)
    with django_assert_max_num_queries(1):  # the version query only: no count, no features
        again = staff_client.get(url).json()
    assert again["features"] == first["features"]
    assert again["numberMatched"] == 2
    # Another page is another question.
    second = staff_client.get(url + "&offset=1").json()
    assert second["features"][0]["id"] != first["features"][0]["id"]
    project_factory(name="滨河公园")
    assert staff_client.get(url).json()["numberMatched"] == 3
