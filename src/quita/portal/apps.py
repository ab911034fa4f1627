from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "quita.portal"
    label = "portal"
    verbose_name = _("Subscriber portal")

    def ready(self) -> None:
        from quita.notifications.messages import email_kind_register
        from quita.portal.messages import portal_access_message

        email_kind_register("portal_access", portal_access_message)
