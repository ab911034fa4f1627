"""The demo app: only the `quita demo` management command and the data it builds."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data for a first look at Quita; it has no models."""

    name = "quita.demo"
    label = "demo"
    verbose_name = _("Demo")
