from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "quita.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from quita.billing import summaries

        # SQLite drops a table's triggers when a migration rebuilds the table: put the summaries' back (0008).
        post_migrate.connect(summaries.on_post_migrate, sender=self)
