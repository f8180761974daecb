from django.urls import path

from audit.api import AuditListView, AuditVerifyView

urlpatterns = [
    path("audit", AuditListView.as_view(), name="audit-list"),
    path("audit/verify", AuditVerifyView.as_view(), name="audit-verify"),
]
