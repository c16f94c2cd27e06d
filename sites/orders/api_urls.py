from django.urls import path

from sites.orders import api

urlpatterns = [
    path("orders/", api.OrderListView.as_view(), name="api-orders"),
    path("orders/<id:pk>/", api.OrderDetailView.as_view(), name="api-order"),
    path("orders/<id:pk>/sign/", api.OrderSignView.as_view(), name="api-order-sign"),
    path("orders/<id:pk>/reply/", api.OrderReplyView.as_view(), name="api-order-reply"),
    path("orders/<id:pk>/submit/", api.OrderSubmitView.as_view(), name="api-order-submit"),
    path("orders/<id:pk>/send-back/", api.OrderSendBackView.as_view(),
         name="api-order-send-back"),
    path("orders/<id:pk>/close/", api.OrderCloseView.as_view(), name="api-order-close"),
]
