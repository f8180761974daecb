"""Routes of the dashboard: the console at `/` and the sign-in page."""

from django.urls import path

from dashboard.views import DashboardPageView

urlpatterns = [
    path("", DashboardPageView.as_view(template_name="dashboard/console.html"), name="index"),
    path("signin", DashboardPageView.as_view(template_name="dashboard/signin.html"), name="signin"),
]
