from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "geo"
    verbose_name = _("Reference data")

    def ready(self) -> None:
        from django.urls import register_converter

        from geo.converters import RowIdConverter

        register_converter(RowIdConverter, "id")
