from django.urls import path

from sites.api import views

urlpatterns = [
    path("projects/", views.ProjectListView.as_view(), name="api-projects"),
    path("projects/<int:pk>/", views.ProjectDetailView.as_view(), name="api-project"),
    path("livelihood/", views.LivelihoodListView.as_view(), name="api-livelihood"),
    path("livelihood/<int:pk>/", views.LivelihoodDetailView.as_view(), name="api-livelihood-work"),
]
