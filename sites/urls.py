from django.urls import include, path

from sites import import_views, placement_views, views
from sites.briefing import views as briefing_views

urlpatterns = [
    path("", views.map_page, name="map"),
    path("projects/<id:pk>/", views.project_detail, name="project-detail"),
    path("projects/<id:pk>/report/", views.project_report_submit, name="project-report"),
    path("projects/<id:pk>/blockers/", views.project_blocker_add, name="project-blocker-add"),
    path("blockers/<id:pk>/resolve/", views.blocker_resolve, name="blocker-resolve"),
    path("livelihood/<id:pk>/", views.livelihood_detail, name="livelihood-detail"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("briefing/", briefing_views.briefing_page, name="briefing"),
    path("briefing/briefing.docx", briefing_views.briefing_docx, name="briefing-docx"),
    path("briefing/briefing.pdf", briefing_views.briefing_pdf, name="briefing-pdf"),
    path("export/battle-map.html", views.battle_map_export, name="battle-map-export"),
    path("staff/import/", import_views.import_page, name="sites-import"),
    path("staff/projects/unplaced/", placement_views.unplaced_queue, name="projects-unplaced"),
    path("staff/projects/<id:pk>/place/", placement_views.project_place, name="project-place"),
    path("staff/projects/", views.my_projects, name="my-projects"),
    path("", include("sites.orders.urls")),
]
