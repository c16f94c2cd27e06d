from django.urls import path

from markets.reports import views

urlpatterns = [
    path("markets/<id:pk>/report/", views.report_form, name="market-report"),
    path("reports/", views.report_lookup, name="report-lookup"),
    path("reports/<str:code>/", views.report_status, name="report-status"),
    path("staff/reports/", views.staff_reports, name="report-staff-list"),
    path("staff/reports/<id:pk>/", views.staff_report_action, name="report-staff-action"),
    path("staff/reports/<id:pk>/photo.jpg", views.staff_report_photo, name="report-photo"),
]
