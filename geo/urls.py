from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from geo.api.schema import ApiDocsView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("ogcapi/", include("geo.ogcapi_urls")),
    path("api/v1/", include("geo.api.urls")),
    path("", include("sites.urls")),
    path("", include("markets.urls")),
]
