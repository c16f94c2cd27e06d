from django.urls import path

from markets.api import editing, views, walking
from markets.changesets.urls import api_urlpatterns as changeset_api

urlpatterns = [
    path("markets/", editing.ZoneCollectionView.as_view(), name="api-markets"),
    path("markets/<id:pk>/", editing.ZoneItemView.as_view(), name="api-market"),
    path("markets/<id:pk>/restore/", editing.ZoneRestoreView.as_view(), name="api-market-restore"),
    path("markets/<id:pk>/history/", editing.ZoneHistoryView.as_view(), name="api-market-history"),
    path(
        "markets/<id:pk>/history/<id:history_id>/restore/",
        editing.ZoneVersionRestoreView.as_view(), name="api-market-version-restore",
    ),
    path("markets/<id:pk>/schedule/", views.ZoneScheduleView.as_view(),
         name="api-market-schedule"),
    path("markets/preview-hours/", views.HoursPreviewView.as_view(), name="api-markets-preview"),
    path("markets/walking/", walking.WalkingDistanceView.as_view(), name="api-markets-walking"),
    *changeset_api,
]
