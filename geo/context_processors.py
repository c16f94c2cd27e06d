from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.db.models import Extent
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from geo import roles
from geo.basemap_pack import current_pack, effective_basemap
from geo.models import CityBoundary
from geo.page_urls import page_urls


def _nav_counts(user) -> dict:
    """Each app's header counts (``AppConfig.nav_counts``: name -> function of the user), as
    ``<name>_count``, computed only when a page's header shows them."""
    counts = {}
    for config in apps.get_app_configs():
        for name, path in getattr(config, "nav_counts", {}).items():
            count = import_string(path)
            counts[f"{name}_count"] = SimpleLazyObject(lambda count=count: count(user))
    return counts


def city_bbox() -> tuple[float, float, float, float]:
    """The stored city boundary's extent (minx, miny, maxx, maxy); settings.CITY_BBOX without."""
    extent = CityBoundary.objects.aggregate(extent=Extent("geom"))["extent"]
    return tuple(extent) if extent else tuple(settings.CITY_BBOX)


def portal(request) -> dict:
    """Map configuration every page may pass to its script (via json_script)."""
    # The admin's geometry widget asks for the map configuration without a request.
    user = getattr(request, "user", None) or AnonymousUser()
    basemap = effective_basemap()
    pack = current_pack()
    return {
        # Which staff pages the navigation offers (each page checks permissions itself).
        "nav": {
            "dashboard": roles.is_staff_reader(user),
            "market_rules": roles.has_role(
                user, roles.URBAN_MANAGEMENT, roles.MARKET_SUPERVISION
            ),
            "market_edit": roles.has_role(user, roles.URBAN_MANAGEMENT),
            "sites_import": roles.has_role(user, roles.PROJECT_OFFICE),
            "projects_unplaced": roles.has_role(user, roles.PROJECT_OFFICE),
            "my_projects": roles.has_role(
                user, roles.DEPARTMENT_STAFF, roles.PROJECT_OFFICE, roles.LEADERS
            ),
            # Supervision orders: the inbox link and its count (one aggregate query, run
            # only when a page's header shows it).
            "orders": roles.is_staff_reader(user),
            **_nav_counts(user),
        },
        "map_config": {
            # Resolved per request: a pack loaded with load_basemap shows at once.
            "basemap": basemap,
            "pack": pack.map_config() if basemap == "pack" and pack else None,
            "contextUrl": reverse("api-context"),
            # Every path a script uses (static/js/urls.js reads them; none is spelled in JS).
            "urls": page_urls(),
            "basemapUrl": settings.BASEMAP_URL,
            "basemapAttribution": settings.BASEMAP_ATTRIBUTION,
            "tiandituKey": settings.TIANDITU_KEY,
            "center": list(settings.MAP_CENTER),
            "bbox": list(city_bbox()),
            # For the title and legend every map carries (static/js/basemap.js).
            "strings": {
                "dataAsOf": _("Data as of %(when)s"),
                "mainMapTitle": _("Key projects, livelihood works and night markets"),
                "outlineLight": _("Outline: status light"),
                "openOrders": _("Badge: open supervision orders (“!”: one is overdue)"),
                "thisFeature": _("This project or work"),
                "thisMarket": _("This market zone"),
                "thisZone": _("The zone being edited"),
                "otherZones": _("Other market zones"),
                "projectSites": _("Project sites nearby"),
                "versionA": _("Version A"),
                "versionB": _("Version B (dashed)"),
                "pickedSite": _("The site picked"),
                "openNow": _("Open now"),
                "closedNow": _("Closed now"),
                "legend": _("Legend"),
                "context": _("Map context"),
                "contextLayers": {
                    "city": _("City boundary"),
                    "district": _("District boundary"),
                    "river": _("River"),
                    "main_road": _("Main road"),
                },
            },
        }
    }
