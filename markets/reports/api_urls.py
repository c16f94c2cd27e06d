from django.urls import path

from markets.reports import api

urlpatterns = [
    path("markets/<id:pk>/reports/", api.ZoneReportsView.as_view(), name="api-zone-reports"),
    path("reports/", api.ReportListView.as_view(), name="api-reports"),
    path("reports/<str:code>/", api.ReportStatusView.as_view(), name="api-report"),
    path("reports/<str:code>/assign/", api.AssignView.as_view(), name="api-report-assign"),
    path("reports/<str:code>/handle/", api.HandleView.as_view(), name="api-report-handle"),
    path("reports/<str:code>/unfounded/", api.UnfoundedView.as_view(), name="api-report-unfounded"),
]
