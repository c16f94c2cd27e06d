"""Market supervision's journey from the login form: change a zone's goods, see them in public.

Signs in as the README's demo account ``supervision`` (no force_login), opens a zone's rules from
the rules list by clicking, saves new permitted goods into a draft changeset and submits it;
``urban`` approves and publishes it; then the public page as anyone would read it. The page
fixture fails the test on any console or page error.
"""

from __future__ import annotations

import pytest

from markets.models import MarketZone
from tests.conftest import DEMO_PASSWORD

SHOTS = "/tmp/h4"
ZONE = "大唐路夜市街"
NEW_GOODS = ["文创手作", "鲜花绿植", "非遗小吃（无明火）"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_market_supervision_journey(page, signin, demo_city, width, height):
    page.set_viewport_size({"width": width, "height": height})
    zone = MarketZone.objects.get(name=ZONE)
    old_goods = list(zone.permitted_goods)
    assert not set(NEW_GOODS) & set(old_goods)

    landing = signin("supervision", DEMO_PASSWORD)
    assert landing == page.base_url + "/staff/markets/rules/"
    # Supervision may not reshape zones: the rules list offers no editor or history links.
    assert page.locator("#rules-zones a[href$='/edit/']").count() == 0

    page.get_by_role("link", name=ZONE, exact=True).click()
    page.wait_for_url(f"**/staff/markets/{zone.pk}/rules/")
    # Hours and status belong to urban management: only the goods form is offered here.
    assert page.locator("#hours-form").count() == 0
    page.get_by_label("允许经营的商品").fill("\n".join(NEW_GOODS))
    page.locator("#goods-form").get_by_label("修改原因").fill("按夏季经营方案调整经营范围")
    page.get_by_role("button", name="保存经营范围和摊主责任").click()
    # Issue 18: the goods wait in a draft changeset until someone else approves and publishes.
    page.wait_for_url(f"**/staff/markets/{zone.pk}/rules/?saved=goods&changeset=*")
    assert page.locator("#saved-draft").is_visible()
    zone.refresh_from_db()
    assert (zone.permitted_goods, zone.version) == (old_goods, 1)
    page.locator("#saved-draft a").click()
    page.wait_for_url("**/staff/changesets/*/")
    page.locator("#submit-button").click()
    page.wait_for_url("**/staff/changesets/*/?done=submit")
    review_url = page.url.split("?")[0]
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state()

    # urban (urban management) reviews, approves and publishes it.
    signin("urban", DEMO_PASSWORD)
    page.goto(review_url)
    page.locator("#approve-button").click()
    page.wait_for_url("**/?done=approve")
    page.locator("#publish-button").click()
    page.wait_for_url("**/?done=publish")
    zone.refresh_from_db()
    assert zone.permitted_goods == NEW_GOODS
    assert zone.version == 2
    assert zone.updated_by.username == "supervision"
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state()
    signin("supervision", DEMO_PASSWORD)
    page.goto(f"{page.base_url}/staff/markets/{zone.pk}/rules/")

    # The public page, from the rules page's link: the new goods, and only the rules link.
    page.get_by_role("link", name="公开页面").click()
    page.wait_for_url(f"**/markets/{zone.pk}/")
    assert page.locator(".goods-permitted li").all_text_contents() == NEW_GOODS
    links = page.locator("#staff-links a")
    assert links.all_text_contents() == ["编辑规则"]
    page.screenshot(path=f"{SHOTS}/journey-supervision-detail-staff-{width}.png", full_page=True)

    # Signed out, the public finds the market in the list and reads the same goods.
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state()
    page.get_by_role("navigation").get_by_role("link", name="夜间集市").click()
    page.wait_for_url("**/markets/")
    page.get_by_role("link", name=ZONE, exact=True).first.click()
    page.wait_for_url(f"**/markets/{zone.pk}/")
    assert page.locator(".goods-permitted li").all_text_contents() == NEW_GOODS
    assert page.locator("#staff-links").count() == 0
    page.screenshot(path=f"{SHOTS}/journey-supervision-public-{width}.png", full_page=True)
    assert page.console_errors == []
