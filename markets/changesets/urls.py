from django.urls import path

from markets.changesets import api, views

api_urlpatterns = [
    path("changesets/", api.ChangesetListView.as_view(), name="api-changesets"),
    path("changesets/<id:pk>/", api.ChangesetDetailView.as_view(), name="api-changeset"),
    path("changesets/<id:pk>/edits/", api.ChangesetEditsView.as_view(), name="api-changeset-edits"),
    path("changesets/<id:pk>/submit/", api.SubmitView.as_view(), name="api-changeset-submit"),
    path("changesets/<id:pk>/approve/", api.ApproveView.as_view(), name="api-changeset-approve"),
    path(
        "changesets/<id:pk>/send-back/", api.SendBackView.as_view(), name="api-changeset-send-back"
    ),
    path("changesets/<id:pk>/publish/", api.PublishView.as_view(), name="api-changeset-publish"),
    path("changesets/<id:pk>/preview/", api.PreviewView.as_view(), name="api-changeset-preview"),
]

urlpatterns = [
    path("staff/changesets/", views.changeset_list_page, name="changeset-list"),
    path("staff/changesets/<id:pk>/", views.changeset_review_page, name="changeset-review"),
]
