from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketsConfig(AppConfig):
    name = "markets"
    verbose_name = _("Night-economy markets")
    # geo.demo.STAGES -> this app's demo loaders
    demo_parts = {
        "reference": "markets.demo.load_calendar",
        "layers": "markets.demo.load_zones",
        "activity": "markets.demo.load_reports",
    }
    # The URLs this app's scripts use (geo.page_urls: script key -> URL name).
    page_urls = {
        "markets": "markets",
        "marketDetail": "market",
        "marketsWorker": "markets-sw",
        "apiMarkets": "api-markets",
    }

    def ready(self) -> None:
        from markets.api import openapi  # noqa: F401 (registers the endpoints' schema)
        from markets.layers import register_layers

        register_layers()
