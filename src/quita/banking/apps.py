from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BankingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "quita.banking"
    verbose_name = _("Banking")

    def ready(self):
        from quita.banking.payment_block import invoice_payment_block
        from quita.documents.selectors import payment_block_register

        payment_block_register(invoice_payment_block)

        from quita.banking.services import invoice_charges_follow_balance
        from quita.payments.services import balance_hook_register

        balance_hook_register(invoice_charges_follow_balance)

        from quita.banking.services import attention_credit_voided
        from quita.billing.services import received_credit_void_hook_register

        received_credit_void_hook_register(attention_credit_voided)

        from quita.banking.notices import KIND, UPDATED, boleto_message
        from quita.notifications.messages import email_kind_register

        email_kind_register(KIND, boleto_message)
        email_kind_register(UPDATED, boleto_message)
