"""Routes of deployments."""

from django.urls import path

from deployments import api

urlpatterns = [
    path(
        "strategies/<str:name>/deployments",
        api.StrategyDeploymentView.as_view(),
        name="strategy-deployments",
    ),
    path("deployments", api.DeploymentListView.as_view(), name="deployment-list"),
    path(
        "deployments/<str:deployment_id>",
        api.DeploymentDetailView.as_view(),
        name="deployment-detail",
    ),
    *[
        path(
            f"deployments/<str:deployment_id>/{action}",
            api.DeploymentActionView.as_view(deployment_action=action),
            name=f"deployment-{action}",
        )
        for action in ("pause", "resume", "stop")
    ],
]
