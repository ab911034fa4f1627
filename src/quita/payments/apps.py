from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "quita.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from quita.payments import checks  # noqa: F401  (registers the system checks)
