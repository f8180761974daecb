"""Routes of orders, fills and positions (read, and closed by orders)."""

from django.urls import path

from orders import api

urlpatterns = [
    path("orders", api.OrderListView.as_view(), name="order-list"),
    path("orders/preview", api.OrderPreviewView.as_view(), name="order-preview"),
    path(
        "orders/by-client-id/<str:client_order_id>",
        api.OrderByClientIdView.as_view(),
        name="order-by-client-id",
    ),
    path("orders/<str:order_id>", api.OrderDetailView.as_view(), name="order-detail"),
    path("fills", api.FillListView.as_view(), name="fill-list"),
    path("positions", api.PositionListView.as_view(), name="position-list"),
    path("positions/<str:symbol>", api.PositionDetailView.as_view(), name="position-detail"),
]
