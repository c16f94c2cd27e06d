from django.urls import include, path, re_path

from geo.api.context import context_layers
from geo.api.exports import FORMATS_PATTERN, LayerDownloadView

urlpatterns = [
    # The context under every map: city, districts, main roads, river (public, cacheable).
    path("context/", context_layers, name="api-context"),
    path("", include("sites.api.urls")),
    path("", include("markets.api.urls")),
    path("", include("markets.reports.api_urls")),
    # Downloads: /api/v1/<layer>.<format>; an unknown format gets a 404 that lists the formats.
    re_path(FORMATS_PATTERN, LayerDownloadView.as_view(), name="api-download"),
]
