from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitesConfig(AppConfig):
    name = "sites"
    label = "sites"
    verbose_name = _("Key projects and livelihood works")
    # geo.demo.STAGES -> this app's demo loader
    demo_parts = {"layers": "sites.demo.load_layers", "activity": "sites.orders.demo.load_orders"}
    # The counts the page header shows (geo.context_processors: nav.<name>_count), per user.
    nav_counts = {"orders": "sites.orders.selectors.inbox_total"}
    # The URLs this app's scripts use (geo.page_urls: script key -> URL name).
    page_urls = {
        "home": "map",
        "dashboard": "dashboard",
        "battleMap": "battle-map-export",
        "apiProjects": "api-projects",
        "apiLivelihood": "api-livelihood",
        "projectDetail": "project-detail",
        "livelihoodDetail": "livelihood-detail",
    }

    def ready(self) -> None:
        from sites.api import openapi  # noqa: F401 (registers the endpoints' schema)
        from sites.layers import register_layers

        register_layers()
