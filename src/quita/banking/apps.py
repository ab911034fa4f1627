from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BankingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "quita.banking"
    verbose_name = _("Banking")
