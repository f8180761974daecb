"""Routes of operations."""

from django.urls import path

from operations import api

urlpatterns = [
    path("operations", api.OperationListView.as_view(), name="operation-list"),
    path(
        "operations/<str:operation_id>", api.OperationDetailView.as_view(), name="operation-detail"
    ),
    path(
        "operations/<str:operation_id>/metrics",
        api.OperationMetricsView.as_view(),
        name="operation-metrics",
    ),
    path(
        "operations/<str:operation_id>/cancel",
        api.OperationCancelView.as_view(),
        name="operation-cancel",
    ),
]
