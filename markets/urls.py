from django.urls import path

from markets import pwa, staff_views, views
from markets.changesets.urls import urlpatterns as changeset_pages

urlpatterns = [
    path("markets/", views.public_list, name="markets"),
    path("markets/<id:pk>/", views.public_detail, name="market"),
    path("markets/manifest.webmanifest", pwa.manifest, name="markets-manifest"),
    path("markets/sw.js", pwa.service_worker, name="markets-sw"),
    path("staff/markets/", staff_views.zone_staff_list, name="market-staff-list"),
    path("staff/markets/rules/", views.staff_index, name="market-rules-index"),
    path("staff/markets/<id:pk>/rules/", views.rules_edit, name="market-rules"),
    path("staff/markets/new/", staff_views.zone_editor, name="market-new"),
    path("staff/markets/import/", staff_views.zone_import_page, name="market-import"),
    path("staff/markets/<id:pk>/edit/", staff_views.zone_editor, name="market-edit"),
    path("staff/markets/<id:pk>/history/", staff_views.zone_history_page, name="market-history"),
    *changeset_pages,
]
