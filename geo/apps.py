from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "geo"
    verbose_name = _("Reference data")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.urls import register_converter

        from geo.converters import RowIdConverter
        from geo.db_session import configure_session

        register_converter(RowIdConverter, "id")
        connection_created.connect(configure_session, dispatch_uid="geo.configure_session")
