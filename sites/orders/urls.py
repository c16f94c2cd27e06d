from django.urls import path

from sites.orders import views

urlpatterns = [
    path("orders/", views.inbox, name="orders-inbox"),
    path("orders/new/", views.issue, name="order-new"),
    path("orders/<id:pk>/", views.detail, name="order-detail"),
    path("orders/<id:pk>/<slug:step>/", views.act, name="order-act"),
    path("orders/attachments/<id:pk>/", views.attachment, name="order-attachment"),
]
