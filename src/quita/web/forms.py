"""Forms of the staff UI. They only check types and shapes; the services apply the business rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from quita.billing.models import CreditType, TransactionKind
from quita.billing.services import MANUAL_CREDIT_TYPES
from quita.customers.models import Category
from quita.payments.models import MANUAL_METHODS, PaymentMethodKind


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _category_choices():
    return [("", _("All categories"))] + [(c.code, c.name) for c in Category.objects.order_by("pk")]


class TransactionForm(forms.Form):
    """ "+ Add transaction": a charge or a credit typed by a person."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(kind.value, kind.label) for kind in (TransactionKind.CHARGE, TransactionKind.CREDIT)],
        widget=forms.RadioSelect,
        initial=TransactionKind.CHARGE,
    )
    credit_type = forms.ChoiceField(
        label=_("Credit type"),
        choices=[("", "—")] + [(c, CreditType(c).label) for c in MANUAL_CREDIT_TYPES],
        required=False,
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    amount = forms.CharField(label=_("Amount (R$)"), widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    date = forms.DateField(label=_("Date"), widget=DateInput())
    service = forms.TypedChoiceField(label=_("Service"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("No service"))] + [(s.pk, str(s)) for s in services]
        self.services = {s.pk: s for s in services}


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)


class ProformaForm(forms.Form):
    """ "Generate proforma invoice": the period, the due date and an optional category."""

    start = forms.DateField(label=_("Start"), widget=DateInput())
    end = forms.DateField(label=_("End"), widget=DateInput())
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())
    category = forms.ChoiceField(label=_("Category"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _category_choices()


class PayForm(forms.Form):
    """Money received at the counter or by transfer for one or several invoices of a customer."""

    method = forms.ChoiceField(
        label=_("Method"),
        choices=[(m, PaymentMethodKind(m).label) for m in MANUAL_METHODS],
        widget=forms.RadioSelect,
        initial=PaymentMethodKind.CASH,
    )
    amount = forms.CharField(label=_("Amount (R$)"), widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    reference = forms.CharField(label=_("Reference"), max_length=120, required=False)
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())


class InvoiceRunForm(ProformaForm):
    """The batch: the period's invoices for all customers of the entity."""


class RefundForm(forms.Form):
    """Refund (all or part of) one payment of an invoice; the payments service refuses what cannot be refunded."""

    payment = forms.TypedChoiceField(label=_("Payment"), coerce=int)
    amount = forms.CharField(label=_("Amount (R$)"), widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)

    def __init__(self, *args, payments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment"].choices = [(p.pk, p.label) for p in payments]


class InvoiceEmailForm(forms.Form):
    """E-mail an invoice: to the customer's addresses (pre-filled) or to others, separated by commas."""

    to = forms.CharField(
        label=pgettext_lazy("e-mail recipient", "To"),
        max_length=1000,
        widget=forms.TextInput(attrs={"inputmode": "email"}),
    )
    # A key made when the modal opens: a double click sends one e-mail (notifications' idempotency key).
    key = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def addresses(self) -> list[str]:
        text = self.cleaned_data["to"].replace(";", ",")
        return [part.strip() for part in text.split(",") if part.strip()]
