"""Routes of OGC API – Features, mounted at ``/ogcapi/``."""

from django.urls import path

from geo import ogcapi
from geo.api.schema import OgcOpenApiView

urlpatterns = [
    path("", ogcapi.LandingView.as_view(), name="ogcapi-landing"),
    path("api", OgcOpenApiView.as_view(), name="ogcapi-openapi"),
    path("conformance", ogcapi.ConformanceView.as_view(), name="ogcapi-conformance"),
    path("collections", ogcapi.CollectionsView.as_view(), name="ogcapi-collections"),
    path("collections/<str:collection>", ogcapi.CollectionView.as_view(), name="ogcapi-collection"),
    path(
        "collections/<str:collection>/queryables",
        ogcapi.QueryablesView.as_view(),
        name="ogcapi-queryables",
    ),
    path("collections/<str:collection>/items", ogcapi.ItemsView.as_view(), name="ogcapi-items"),
    path(
        "collections/<str:collection>/items/<str:fid>",
        ogcapi.ItemView.as_view(),
        name="ogcapi-item",
    ),
]
