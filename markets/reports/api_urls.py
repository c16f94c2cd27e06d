from django.urls import path

from markets.reports import api

urlpatterns = [
    path("markets/<id:pk>/reports/", api.ZoneReportsView.as_view(), name="api-zone-reports"),
    path("reports/", api.ReportListView.as_view(), name="api-reports"),
    path("reports/<str:code>/", api.ReportStatusView.as_view(), name="api-report"),
]
