"""Sign-in pages, landing by role, the sign-in lockout and the portal's error pages."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.template import loader
from django.test import Client
from django.urls import include, path
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from geo.api.throttling import AnonBurstThrottle, AnonDownloadThrottle, AnonItemsThrottle
from geo.client_address import client_ip

PASSWORD = "pw-for-tests-1"  # conftest's user_factory password
LOGIN = "/accounts/login/"
GENERIC_ERROR = "用户名或密码不正确（均区分大小写）。"
LOCKED = "登录已暂时锁定"


# --- a URLconf with views that fail on purpose (403 with a reason, 500) -----------------------


def _refuse(request):
    raise PermissionDenied("只有项目办可以查看此页面。")


def _refuse_silently(request):
    raise PermissionDenied


def _crash(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("test-403/", _refuse),
    path("test-403-plain/", _refuse_silently),
    path("test-500/", _crash),
    path("", include("geo.urls")),
]


def _post_login(client: Client, username: str, password: str, address: str = "10.0.0.1",
                **data):
    return client.post(LOGIN, {"username": username, "password": password, **data},
                       REMOTE_ADDR=address)


def _signed_in_as(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).username if user_id else None


# --- the login page ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading", "forgot"),
    [
        ("zh-hans", "<h1 id=\"login-heading\">登录</h1>", "联系系统管理员"),
        ("en", "<h1 id=\"login-heading\">Log in</h1>", "Ask an administrator"),
    ],
)
def test_login_page_renders_in_each_language(language, heading, forgot):
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert heading in html
    assert forgot in html
    assert '<form id="login-form" method="post"' in html
    assert 'id="id_username"' in html
    assert 'id="id_password"' in html
    form = html[html.index('<form id="login-form"'):]
    form = form[:form.index("</form>")]
    assert form.count('type="submit"') == 1


@pytest.mark.django_db
def test_header_login_link_carries_the_page_but_not_the_login_page_itself(client):
    # On the map the header's 登录 link brings the user back to the map; on the login page it
    # is the plain login URL (a next pointing at the login page would land there again).
    assert f'href="{LOGIN}?next=/markets/"' in client.get("/markets/").content.decode()
    html = client.get(LOGIN).content.decode()
    assert f'href="{LOGIN}"' in html
    assert "next=/accounts/login/" not in html
    assert "next=%2Faccounts%2Flogin" not in html


# --- landing by role ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "superuser", "landing"),
    [
        (None, True, "/dashboard/"),
        ("leaders", False, "/dashboard/"),
        ("project_office", False, "/dashboard/"),
        ("department_staff", False, "/staff/projects/"),
        ("urban_management", False, "/staff/markets/"),
        ("market_supervision", False, "/staff/markets/rules/"),
        (None, False, "/"),
    ],
)
def test_each_role_lands_where_its_work_is(client, user_factory, department, role, superuser,
                                           landing):
    user = user_factory(role, department=department if role == "department_staff" else None,
                        is_superuser=superuser)
    response = _post_login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == landing
    assert _signed_in_as(client) == user.username


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["/markets/", "/dashboard/?as_of=2026-06"])
def test_safe_next_is_honoured(client, user_factory, next_url):
    user = user_factory("leaders")
    response = _post_login(client, user.username, PASSWORD, next=next_url)
    assert response.status_code == 302
    assert response["Location"] == next_url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example", "///evil.example", "http:evil.example",
     "/\\evil.example", "javascript:alert(1)"],
)
def test_off_site_next_is_ignored(client, user_factory, next_url):
    user = user_factory("leaders")
    # The form does not carry it on either.
    html = client.get(LOGIN, {"next": next_url}).content.decode()
    form = html[html.index('<form id="login-form"'):]
    assert 'name="next"' not in form[:form.index("</form>")]
    response = _post_login(client, user.username, PASSWORD, next=next_url)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"  # the role's landing, not the given next


# --- wrong passwords ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_wrong_password_gives_one_message_that_hides_whether_the_user_exists(user_factory):
    user_factory("leaders", username="wang")
    User.objects.create_user("retired", password=PASSWORD, is_active=False)

    def error_block(username: str, password: str) -> str:
        response = _post_login(Client(), username, password)
        assert response.status_code == 200
        html = response.content.decode()
        start = html.index('<div class="auth-error"')
        return html[start:html.index("</div>", start)]

    known = error_block("wang", "wrong-password")
    assert known.count("<p>") == 1
    assert GENERIC_ERROR in known
    assert error_block("nobody-by-this-name", "wrong-password") == known
    assert error_block("retired", PASSWORD) == known  # an inactive account says nothing more


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"username": "a" * 5000, "password": "x"},
        {"username": "nul\x00name", "password": "x"},
        {"username": "user", "password": "nul\x00pass"},
        {"username": "用户😀", "password": "x" * 10000},
        {"username": "user"},
        {"password": "x"},
        {},
        {"username": ["a", "b"], "password": "x"},
    ],
    ids=["long-username", "nul-username", "nul-password", "unicode", "no-password",
         "no-username", "empty", "repeated-field"],
)
def test_login_never_answers_500(client, data):
    response = client.post(LOGIN, data)
    assert response.status_code == 200
    assert 'id="login-form"' in response.content.decode()
    assert _signed_in_as(client) is None


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"next": "x" * 5000}, {"next": "/\x00"}, {"next": "%zz"}])
def test_login_page_with_odd_next_is_not_a_500(client, query):
    assert client.get(LOGIN, query).status_code in {200, 400}


# --- lockout (django-axes, counts in the database) ----------------------------------------------


@pytest.mark.django_db
def test_five_failures_for_one_username_lock_it_even_with_the_right_password(user_factory):
    user_factory("leaders", username="li")
    client = Client()
    statuses = [_post_login(client, "li", f"wrong-{n}").status_code for n in range(1, 6)]
    # The first four get the form again; the fifth failure reaches the limit: the lockout page.
    assert statuses == [200, 200, 200, 200, 429]
    response = _post_login(client, "li", PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html
    assert "登录失败次数过多，15 分钟内将拒绝再次登录。" in html
    assert _signed_in_as(client) is None
    # The username is locked from any address; another user from the same address is not.
    assert _post_login(Client(), "li", PASSWORD, address="10.9.9.9").status_code == 429
    other = user_factory("leaders")
    assert _post_login(Client(), other.username, PASSWORD).status_code == 302
    # Locks live in the database (every worker sees them): 5 failures on one row; attempts
    # while locked are refused without being counted (the lock does not grow).
    rows = AccessAttempt.objects.filter(username="li").values_list("ip_address",
                                                                   "failures_since_start")
    assert list(rows) == [("10.0.0.1", 5)]


@pytest.mark.django_db
@pytest.mark.parametrize(("minutes_ago", "status"), [(14, 429), (16, 302)])
def test_a_lock_lasts_fifteen_minutes_from_the_last_failure(user_factory, minutes_ago, status):
    user_factory("leaders", username="chen")
    for n in range(5):
        _post_login(Client(), "chen", f"wrong-{n}")
    # Age the stored attempt as the clock would (the lock is the row's attempt_time + 15 min).
    AccessAttempt.objects.filter(username="chen").update(
        attempt_time=timezone.now() - dt.timedelta(minutes=minutes_ago))
    assert _post_login(Client(), "chen", PASSWORD).status_code == status


@pytest.mark.django_db
def test_twenty_failures_from_one_address_lock_the_address(user_factory):
    user = user_factory("leaders")
    address = "10.0.0.7"
    # 10 usernames x 2 failures: no username comes near its limit of 5.
    statuses = [
        _post_login(Client(), f"guess{n}", "wrong", address=address).status_code
        for n in range(10) for _ in range(2)
    ]
    assert statuses == [200] * 19 + [429]
    response = _post_login(Client(), user.username, PASSWORD, address=address)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    # The same account from another address signs in: the lock is the address's.
    assert _post_login(Client(), user.username, PASSWORD, address="10.0.0.8").status_code == 302


@pytest.mark.django_db
def test_nineteen_failures_from_one_address_do_not_lock_it(user_factory):
    user = user_factory("leaders")
    for n in range(19):
        assert _post_login(Client(), f"guess{n}", "wrong").status_code == 200
    assert _post_login(Client(), user.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_admin_sees_and_lifts_the_lock(user_factory):
    user_factory("leaders", username="zhao")
    for n in range(5):
        _post_login(Client(), "zhao", f"wrong-{n}")
    assert _post_login(Client(), "zhao", PASSWORD).status_code == 429

    admin = User.objects.create_superuser("root", password=PASSWORD)
    admin_client = Client()
    admin_client.force_login(admin)
    changelist = admin_client.get("/admin/axes/accessattempt/", {"q": "zhao"})
    assert changelist.status_code == 200
    assert "zhao" in changelist.content.decode()
    ids = list(AccessAttempt.objects.filter(username="zhao").values_list("pk", flat=True))
    response = admin_client.post("/admin/axes/accessattempt/", {
        "action": "delete_selected", "_selected_action": ids, "post": "yes",
    })
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="zhao").exists()

    client = Client()
    assert _post_login(client, "zhao", PASSWORD).status_code == 302
    assert _signed_in_as(client) == "zhao"


@pytest.mark.django_db
def test_lockout_counts_the_peer_address_not_a_forwarded_header(client, user_factory):
    client.post(LOGIN, {"username": "x", "password": "y"}, REMOTE_ADDR="10.1.2.3",
                HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.1.2.3"]


@pytest.mark.parametrize("throttle", [AnonBurstThrottle, AnonDownloadThrottle, AnonItemsThrottle])
def test_api_throttles_take_the_address_as_the_lockout_does(throttle):
    request = APIRequestFactory().get("/api/v1/projects/", REMOTE_ADDR="10.1.2.3",
                                      HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(request) == "10.1.2.3"
    assert throttle().get_ident(request) == "10.1.2.3"


# --- password change, reset, logout ------------------------------------------------------------


@pytest.mark.django_db
def test_password_change_replaces_the_old_password(user_factory):
    user = user_factory("leaders")
    client = Client()
    assert _post_login(client, user.username, PASSWORD).status_code == 302
    page = client.get("/accounts/password_change/")
    assert page.status_code == 200
    assert "<h1 id=\"password-heading\">修改密码</h1>" in page.content.decode()
    response = client.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": "Gansu-night-2026",
        "new_password2": "Gansu-night-2026",
    })
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_change/done/"
    assert "密码已修改" in client.get(response["Location"]).content.decode()
    client.post("/accounts/logout/")

    assert GENERIC_ERROR in _post_login(Client(), user.username, PASSWORD).content.decode()
    assert _post_login(Client(), user.username, "Gansu-night-2026").status_code == 302


@pytest.mark.django_db
def test_password_change_refuses_a_wrong_old_password(client, user_factory):
    user = user_factory("leaders")
    client.force_login(user)
    response = client.post("/accounts/password_change/", {
        "old_password": "not-it", "new_password1": "Gansu-night-2026",
        "new_password2": "Gansu-night-2026",
    })
    assert response.status_code == 200
    assert "密码未修改" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_password_rules_are_explained_in_chinese(client, user_factory):
    client.force_login(user_factory("leaders"))
    response = client.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": "1234", "new_password2": "1234",
    })
    assert response.status_code == 200
    html = response.content.decode()
    # Django 5.2's own zh_Hans catalog lacks this one (geo/password_messages.py).
    assert "密码长度太短。密码必须包含至少 8 个字符。" in html
    assert "This password is too short" not in html


@pytest.mark.django_db
def test_password_change_needs_a_signed_in_user(client):
    response = client.get("/accounts/password_change/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/password_change/"


@pytest.mark.django_db
def test_header_offers_change_password_to_signed_in_users(client, user_factory):
    assert 'href="/accounts/password_change/"' not in client.get("/markets/").content.decode()
    client.force_login(user_factory("leaders"))
    assert 'href="/accounts/password_change/"' in client.get("/markets/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/accounts/password_reset/"),
        ("post", "/accounts/password_reset/"),
        ("get", "/accounts/password_reset/done/"),
        ("get", "/accounts/reset/MQ/set-password/"),
        ("post", "/accounts/reset/MQ/abc-123/"),
        ("get", "/accounts/reset/done/"),
    ],
)
def test_password_reset_by_mail_is_refused_with_a_page(client, user_factory, method, url):
    user_factory("leaders", email="wang@example.org")
    response = getattr(client, method)(url, {"email": "wang@example.org"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "本系统没有邮件服务器，不能通过邮件重置密码。" in html
    assert "请联系系统管理员为您的账号设置新密码。" in html
    assert mail.outbox == []


@pytest.mark.django_db
def test_logout_is_a_post_and_lands_on_the_map_with_a_message(client, user_factory):
    client.force_login(user_factory("leaders"))
    assert client.get("/accounts/logout/").status_code == 405
    assert _signed_in_as(client) is not None
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "您已退出登录。" in response.content.decode()
    assert _signed_in_as(client) is None


# --- error pages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_post_without_csrf_token_gets_the_portal_403(user_factory):
    user = user_factory("leaders")
    client = Client(enforce_csrf_checks=True)
    response = _post_login(client, user.username, PASSWORD)
    assert response.status_code == 403
    html = response.content.decode()
    assert "表单已过期，请刷新页面后重试。" in html
    assert 'class="site-header"' in html  # the portal's page, not Django's
    assert "CSRF verification failed" not in html
    assert 'href="/accounts/login/">刷新页面</a>' in html
    assert _signed_in_as(client) is None


@pytest.mark.django_db
@pytest.mark.urls("tests.geo.test_accounts")
def test_403_shows_the_reason_and_a_sign_in_link_when_signed_out(client, user_factory):
    response = client.get("/test-403/?a=1")
    assert response.status_code == 403
    html = response.content.decode()
    assert '<p class="error-reason" id="error-reason">只有项目办可以查看此页面。</p>' in html
    assert 'href="/accounts/login/?next=/test-403/%3Fa%3D1"' in html
    assert '<a href="/">返回地图</a>' in html

    client.force_login(user_factory("leaders"))
    html = client.get("/test-403/").content.decode()
    assert "只有项目办可以查看此页面。" in html
    assert 'id="error-signin"' not in html


@pytest.mark.django_db
@pytest.mark.urls("tests.geo.test_accounts")
def test_403_without_a_reason_says_so_in_words(client):
    response = client.get("/test-403-plain/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "You do not have permission to open this page." in response.content.decode()


@pytest.mark.django_db
def test_dashboard_403_for_a_user_without_a_role_is_the_portal_page(client, user_factory):
    client.force_login(user_factory())
    response = client.get("/dashboard/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1 id=\"error-heading\">无权访问</h1>" in html
    assert 'class="site-header"' in html


@pytest.mark.django_db
def test_404_is_the_portal_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1 id=\"error-heading\">页面不存在</h1>" in html
    assert "<code>/no-such-page/</code>" in html
    assert '<a href="/">返回地图</a>' in html


@pytest.mark.django_db
def test_api_errors_stay_json(client):
    response = client.get("/api/v1/projects/999999/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) >= {"detail"}


@pytest.mark.django_db
@pytest.mark.urls("tests.geo.test_accounts")
def test_500_is_the_portal_page(user_factory):
    client = Client(raise_request_exception=False)
    response = client.get("/test-500/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1 id=\"error-heading\">服务器错误</h1>" in html
    assert "boom" not in html


def test_500_page_renders_without_a_request_or_database():
    # Django's server_error view renders it with an empty context; no DB fixture here.
    html = loader.get_template("500.html").render({})
    assert 'id="error-heading"' in html
    assert 'href="/"' in html
