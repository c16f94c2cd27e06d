from django.urls import include, path

from sites.api import views

urlpatterns = [
    path("projects/", views.ProjectListView.as_view(), name="api-projects"),
    path("projects/<id:pk>/", views.ProjectDetailView.as_view(), name="api-project"),
    path("projects/<id:pk>/reports/", views.ProjectReportsView.as_view(),
         name="api-project-reports"),
    path("projects/<id:pk>/blockers/", views.ProjectBlockersView.as_view(),
         name="api-project-blockers"),
    path("blockers/<id:pk>/resolve/", views.BlockerResolveView.as_view(),
         name="api-blocker-resolve"),
    path("stats/", views.StatsView.as_view(), name="api-stats"),
    path("livelihood/", views.LivelihoodListView.as_view(), name="api-livelihood"),
    path("livelihood/<id:pk>/", views.LivelihoodDetailView.as_view(), name="api-livelihood-work"),
    path("", include("sites.orders.api_urls")),
]
