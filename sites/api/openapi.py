"""The OpenAPI description of this app's GeoJSON endpoints (imported at ``ready()``)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import extend_schema

from geo.api.params import openapi_parameters
from geo.api.schema import detail_extension, list_extension

EXTENSIONS = [
    list_extension("sites.api.views.ProjectListView", "Key projects (GeoJSON)", "projects"),
    detail_extension("sites.api.views.ProjectDetailView", "One key project", "projects"),
    list_extension(
        "sites.api.views.LivelihoodListView", "Livelihood works (GeoJSON)", "livelihood"
    ),
    detail_extension("sites.api.views.LivelihoodDetailView", "One livelihood work", "livelihood"),
]


class OrderListSchema(OpenApiViewExtension):
    """The orders list's filters, declared once (sites.orders.selectors.ORDER_PARAMS); their
    department enum is read from the database, so when the document is written, not at import."""

    target_class = "sites.orders.api.OrderListView"
    match_subclasses = False

    def view_replacement(self):
        from sites.orders import selectors
        from sites.orders.serializers import OrderOutput

        class Fixed(self.target_class):
            @extend_schema(
                parameters=openapi_parameters(selectors.ORDER_PARAMS),
                responses=OrderOutput(many=True),
            )
            def get(self, request, *args, **kwargs):
                return super().get(request, *args, **kwargs)

        return Fixed
