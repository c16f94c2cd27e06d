from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from geo import accounts, audit_admin, health, tiles
from geo.api.schema import ApiDocsView, PortalSchemaView

# Reset by mail needs a mail server the city does not run: each of Django's reset URLs answers
# with a page saying an administrator resets the password.
_password_reset_unavailable = [
    path("accounts/password_reset/", accounts.password_reset_unavailable, name="password_reset"),
    path("accounts/password_reset/done/", accounts.password_reset_unavailable,
         name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", accounts.password_reset_unavailable,
         name="password_reset_confirm"),
    path("accounts/reset/done/", accounts.password_reset_unavailable,
         name="password_reset_complete"),
]

# JSON under /api/ and /ogcapi/, the portal's 404.html and 500.html everywhere else.
handler404 = "geo.error_pages.not_found"
handler500 = "geo.error_pages.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    # The city's basemap pack (manage.py load_basemap), served by the portal itself.
    path("tiles/<int:z>/<int:x>/<int:y>.<str:ext>", tiles.tile, name="basemap-tile"),
    path("readyz", health.readyz, name="readyz"),
    # Without CSRF: the language form on every public page carries no per-visitor token, so the
    # page is the same for everyone and may be cached (geo/cache_headers.py). A forged POST can
    # only switch someone's language; `next` is still checked against the host.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/audit/", audit_admin.latest_changes, name="admin-audit"),
    path("admin/", admin.site.urls),
    # The portal's login and logout come before Django's auth URLs, which keep password change.
    path("accounts/login/", accounts.PortalLoginView.as_view(), name="login"),
    path("accounts/logout/", accounts.PortalLogoutView.as_view(), name="logout"),
    *_password_reset_unavailable,
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", PortalSchemaView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("ogcapi/", include("geo.ogcapi_urls")),
    path("api/v1/", include("geo.api.urls")),
    path("", include("sites.urls")),
    path("", include("markets.urls")),
    path("", include("markets.reports.urls")),
]
