"""The staff rule editor in Debian's Chromium: live preview of an opening_hours string."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_live_preview_while_typing(page, login, user_factory, zone_factory):
    zone = zone_factory(opening_hours="Mo-Su 18:00-22:00")
    login(user_factory("urban_management"))
    # The preview answers 400 while the rule typed so far does not parse; that is expected.
    page.expected_console_errors.append("status of 400")
    page.goto(f"{page.base_url}/staff/markets/{zone.pk}/rules/")
    preview = page.locator("#hours-preview")
    page.wait_for_selector("#hours-preview[data-state=valid]", state="attached")
    assert preview.locator("li").count() == 7

    field = page.locator("#id_hours-opening_hours")
    field.fill("")
    field.type("Mo-Zz 18:00-22:00")
    page.wait_for_selector("#hours-preview[data-state=invalid]", state="attached")
    assert "expected wday" in preview.inner_text()
    # The caret sits under the 4th character, where the parser stopped.
    assert preview.locator("pre").inner_text().splitlines()[1] == "   ^"
    assert field.get_attribute("aria-invalid") == "true"

    field.fill("Fr,Sa 18:00-01:00")
    page.wait_for_selector("#hours-preview[data-state=valid]", state="attached")
    assert "18:00–01:00" in preview.inner_text()
    assert field.get_attribute("aria-invalid") is None
