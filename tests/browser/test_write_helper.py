"""What a user sees when a write fails, through static/js/write.js, in Debian's Chromium.

The editor and the history page send every write through one helper: a version conflict (412)
says someone else saved first and offers a reload, a request that never reaches the server says
so and keeps what was typed, and a refusal (400) puts the API's message next to its field.
Each provoked failure logs Chromium's "Failed to load resource" line, listed as expected.
"""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from markets.models import Changeset, MarketZone
from tests.markets.test_api_editing import metric_square


def _zh(text: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text)


NETWORK = "Not saved: the server could not be reached. Try again."


def _open_editor(page, zone) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{page.base_url}/staff/markets/{zone.pk}/edit/")
    page.wait_for_selector("#editor-map[data-ready=true]", state="attached")
    page.wait_for_selector("#editor-status[data-version='1']", state="attached")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_restore_after_someone_else_saved_opens_the_conflict_dialog(
    page, login, user_factory, city, zone_factory
):
    zone = zone_factory(name="已撤夜市", status="retired", boundary=metric_square(0, 0, 100))
    login(user_factory("urban_management"))
    _open_editor(page, zone)
    # Someone else's save in between: the zone is at version 2, the page still holds 1, so the
    # restore's If-Match: "1" is refused with 412 by the API itself.
    MarketZone.objects.filter(pk=zone.pk).update(version=2)
    page.expected_console_errors.append("status of 412")

    page.locator("#f-reason").fill("恢复营业")
    page.locator("#restore-button").click()
    page.wait_for_selector("#conflict-dialog[open]")
    message = page.locator("#conflict-message").text_content()
    assert "2" in message  # "… (now version 2) …"
    assert page.locator("#conflict-reload").is_visible()
    # Nothing typed is lost, and nothing was restored.
    assert page.locator("#f-reason").input_value() == "恢复营业"
    zone.refresh_from_db()
    assert (zone.status, zone.version) == ("retired", 2)

    page.locator("#conflict-reload").click()
    page.wait_for_selector("#editor-status[data-version='2']", state="attached")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_save_that_never_reaches_the_server_says_so_and_keeps_the_form(
    page, login, user_factory, city, zone_factory
):
    zone = zone_factory(name="大唐路夜市", boundary=metric_square(0, 0, 100))
    login(user_factory("urban_management"))
    _open_editor(page, zone)
    page.route("**/api/v1/changesets/", lambda route: route.abort("internetdisconnected"))
    page.expected_console_errors.append("net::ERR_INTERNET_DISCONNECTED")

    page.locator("#f-capacity").fill("55")
    page.locator("#f-reason").fill("调整摊位数")
    page.locator("#save-button").click()
    status = page.locator("#editor-status")
    expected = _zh(NETWORK)
    page.wait_for_function(
        "text => document.getElementById('editor-status').textContent === text", arg=expected
    )
    assert status.text_content() == expected
    assert page.locator("#f-capacity").input_value() == "55"
    assert page.locator("#f-reason").input_value() == "调整摊位数"
    assert not page.locator("#draft-notice").is_visible()
    assert Changeset.objects.count() == 0

    # Back online, the same form saves as it stands.
    page.unroute("**/api/v1/changesets/")
    page.locator("#save-button").click()
    page.wait_for_selector("#editor-status[data-draft]", state="attached")
    edit = Changeset.objects.get().edits.get()
    assert edit.fields["capacity"] == 55


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_save_shows_the_field_s_message(page, login, user_factory, city, zone_factory):
    zone = zone_factory(name="悦西市美食街", boundary=metric_square(0, 0, 100))
    login(user_factory("urban_management"))
    _open_editor(page, zone)
    # The API's 400 body (geo/api/errors.py): a detail and the field errors by name.
    refusal = {"detail": "摊位数超出上限。", "errors": {"capacity": ["摊位数超出上限。"]}}
    page.route(
        "**/api/v1/changesets/",
        lambda route: route.fulfill(
            status=400, content_type="application/json", body=json.dumps(refusal)
        ),
    )
    page.expected_console_errors.append("status of 400")

    page.locator("#f-capacity").fill("5000")
    page.locator("#f-reason").fill("扩大")
    page.locator("#save-button").click()
    error = page.locator("#error-capacity")
    error.wait_for(state="visible")
    assert error.text_content() == "摊位数超出上限。"
    assert page.locator("#f-capacity").get_attribute("aria-invalid") == "true"
    assert "摊位数超出上限。" in page.locator("#editor-status").text_content()
    assert page.locator("#f-capacity").input_value() == "5000"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_history_restore_offline_says_so_and_keeps_the_reason(
    page, login, user_factory, city, zone_factory
):
    from markets import services

    user = user_factory("urban_management")
    zone = zone_factory(name="悦西市美食街", boundary=metric_square(0, 0, 100))
    services.zone_update(
        zone=zone,
        expected_version=1,
        user=user,
        reason="缩小",
        boundary=metric_square(0, 0, 60),
        fields={"capacity": 12},
    )
    login(user)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{page.base_url}/staff/markets/{zone.pk}/history/")
    page.wait_for_selector("#history-map[data-ready=true]", state="attached")
    page.route("**/api/v1/changesets/", lambda route: route.abort("internetdisconnected"))
    page.expected_console_errors.append("net::ERR_INTERNET_DISCONNECTED")
    page.on("dialog", lambda dialog: dialog.accept())

    page.locator("#f-reason").fill("恢复原边界")
    page.locator(".restore-version").first.click()
    expected = _zh(NETWORK)
    page.wait_for_function(
        "text => document.getElementById('history-status').textContent === text", arg=expected
    )
    assert page.locator("#f-reason").input_value() == "恢复原边界"
    assert page.url.endswith(f"/staff/markets/{zone.pk}/history/")
    assert Changeset.objects.count() == 0
