from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "quita.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from quita.notifications import messages

        messages.email_kind_register("invoice", messages.invoice_message)
