from django.urls import include, path

urlpatterns = [
    path("", include("sites.api.urls")),
    path("", include("markets.api.urls")),
]
