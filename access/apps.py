"""App configuration for access control."""

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access control"

    def ready(self) -> None:
        from django.contrib.auth.models import User

        from access.credential_cache import credential_cache_clear
        from access.models import ApiKey, Membership

        # Any change to what authenticates a key drops this process's cached copies at once.
        for model in (ApiKey, Membership, User):
            post_save.connect(credential_cache_clear, sender=model, dispatch_uid=f"cc-{model}")
            post_delete.connect(credential_cache_clear, sender=model, dispatch_uid=f"cd-{model}")
        m2m_changed.connect(
            credential_cache_clear, sender=User.groups.through, dispatch_uid="cc-groups"
        )
