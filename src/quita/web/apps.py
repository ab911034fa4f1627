from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "quita.web"
    verbose_name = _("Staff web UI")
