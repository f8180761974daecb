"""The kernel app: exact Decimal arithmetic for every thread of the process."""

from django.apps import AppConfig

from kernel.decimals import decimal_context_install


class KernelConfig(AppConfig):
    name = "kernel"
    verbose_name = "Kernel"

    def ready(self) -> None:
        from kernel import checks  # noqa: F401  (registers the deployment checks)

        decimal_context_install()
