"""The OpenAPI description of this app's GeoJSON endpoints (imported at ``ready()``)."""

from __future__ import annotations

from geo.api.schema import detail_extension, list_extension

EXTENSIONS = [
    list_extension("sites.api.views.ProjectListView", "Key projects (GeoJSON)", "projects"),
    detail_extension("sites.api.views.ProjectDetailView", "One key project", "projects"),
    list_extension(
        "sites.api.views.LivelihoodListView", "Livelihood works (GeoJSON)", "livelihood"
    ),
    detail_extension("sites.api.views.LivelihoodDetailView", "One livelihood work", "livelihood"),
]
