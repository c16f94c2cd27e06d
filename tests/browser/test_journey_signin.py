"""Journeys that start at the login form: a wrong password, the lockout, each demo role's landing.

These sign in by typing into the form (the ``signin`` fixture); none uses force_login.
"""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD

# Where each README demo account lands (geo/landing.py) and a heading that proves the page drew.
DEMO_LANDINGS = [
    ("admin", "/dashboard/"),
    ("leader", "/dashboard/"),
    ("office", "/dashboard/"),
    ("dept", "/staff/projects/"),
    ("urban", "/staff/markets/"),
    ("supervision", "/staff/markets/rules/"),
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_wrong_password_shows_one_generic_message(page, signin, user_factory):
    user = user_factory("leaders")
    landed = signin(user.username, "not-the-password")
    assert landed.endswith("/accounts/login/")
    error = page.locator("#login-error")
    assert error.inner_text().strip() == "用户名或密码不正确（均区分大小写）。"
    # The form is there again, username kept, password emptied.
    assert page.input_value("#id_username") == user.username
    assert page.input_value("#id_password") == ""
    page.screenshot(path="/tmp/h1-login-wrong-password.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_repeated_failures_lock_the_account_with_a_clear_message(page, signin, user_factory):
    user = user_factory("leaders")
    # Chromium logs the 429 document response as a failed resource load.
    page.expected_console_errors.append("status of 429")
    for attempt in range(1, 5):
        signin(user.username, f"wrong-{attempt}")
        assert page.locator("#login-error").is_visible()
    signin(user.username, "wrong-5")
    assert page.locator("h1").inner_text() == "登录已暂时锁定"
    assert "登录失败次数过多，15 分钟内将拒绝再次登录。" in page.locator(
        "#lockout-message").inner_text()
    # Even the right password is refused now.
    landed = signin(user.username)
    assert landed.endswith("/accounts/login/")
    assert page.locator("h1").inner_text() == "登录已暂时锁定"
    page.screenshot(path="/tmp/h1-lockout.png", full_page=True)
    page.click("text=登录页面")
    assert page.locator("#login-form").is_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("username", "landing"), DEMO_LANDINGS)
def test_each_demo_account_signs_in_and_lands_on_its_work(page, signin, demo_city, username,
                                                          landing):
    landed = signin(username, DEMO_PASSWORD)
    assert landed == page.base_url + landing
    page.wait_for_load_state("networkidle")
    assert page.locator("main h1").first.is_visible()
    # The header shows who is signed in, with change-password and log-out.
    assert page.locator(".site-tools .user-name").is_visible()
    assert page.locator(".site-tools a[href='/accounts/password_change/']").is_visible()
    page.screenshot(path=f"/tmp/h1-landing-{username}.png")
    # page's teardown fails the test on any console or page error on the way.
