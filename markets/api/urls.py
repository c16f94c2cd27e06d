from django.urls import path

from markets.api import views

urlpatterns = [
    path("markets/", views.ZoneListView.as_view(), name="api-markets"),
    path("markets/<int:pk>/", views.ZoneDetailView.as_view(), name="api-market"),
]
