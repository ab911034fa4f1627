"""Staff pages of the company's bank wallets (carteiras de cobrança): the list, and a form to create or change one.
Thin views over banking.selectors and the wallet_create / wallet_update services, which validate and log."""

from __future__ import annotations

from django import forms
from django.db import models
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.formats import localize
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from quita.banking import selectors, services
from quita.banking.models import MAX_FINE_PERCENT, MAX_INTEREST_PERCENT_MONTH, Wallet, WalletKind
from quita.core.errors import DomainError
from quita.web.common import done, form_error, require
from quita.web.context import set_current_entity, staff_view, user_actions, user_entities

# The form's fields by fieldset, in page order; an "invoice" wallet (a bank chooser) has only the first three.
INVOICE_WALLET_FIELDS = ["name", "kind", "is_active"]
BANK_FIELDS = [
    "bank",
    "agency",
    "agency_digit",
    "account",
    "account_digit",
    "wallet_code",
    "variation",
    "beneficiary_code",
    "beneficiary_digit",
    "station",
    "cnab_layout",
    "registration",
    "next_our_number",
]
CHARGE_FIELDS = ["fine_percent", "interest_percent_month", "discount_percent", "discount_days", "instructions"]
PIX_FIELDS = ["pix_key", "pix_api_url", "pix_token_url", "pix_client_id", "pix_client_secret_env"]
BANK_WALLET_FIELDS = [*INVOICE_WALLET_FIELDS, *BANK_FIELDS, *CHARGE_FIELDS, *PIX_FIELDS]
PERCENT_FIELDS = ["fine_percent", "interest_percent_month", "discount_percent"]


def _form_field(model_field, **kwargs):
    if isinstance(model_field, models.URLField):
        kwargs["assume_scheme"] = "https"  # the PSP's API Pix (and Django 6's default)
    return model_field.formfield(**kwargs)


class WalletForm(forms.Form):
    """A wallet's fields as the model labels them; the rules (caps, bank data, names) are the service's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                Wallet,
                fields=BANK_WALLET_FIELDS,
                localized_fields=PERCENT_FIELDS,
                formfield_callback=_form_field,
                widgets={"instructions": forms.Textarea(attrs={"rows": 3})},
            )
        )
        self.fields["fine_percent"].help_text = gettext("At most %(max)s%%.") % {"max": localize(MAX_FINE_PERCENT)}
        self.fields["interest_percent_month"].help_text = gettext("At most %(max)s%% a month.") % {
            "max": localize(MAX_INTEREST_PERCENT_MONTH)
        }
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}_help"
        self.fields["bank"].required = True
        if self.data.get("kind") == WalletKind.INVOICE:  # the bank fields are hidden then, and not saved
            for name in [*BANK_FIELDS, *CHARGE_FIELDS, *PIX_FIELDS]:
                self.fields[name].required = False

    def sections(self) -> list[tuple[str, bool, list]]:
        """The page's fieldsets: (legend, shown for a bank wallet only, bound fields)."""
        return [
            (gettext("Wallet"), False, [self[name] for name in INVOICE_WALLET_FIELDS]),
            (gettext("Bank and agreement"), True, [self[name] for name in BANK_FIELDS]),
            (gettext("Fine, interest and discount"), True, [self[name] for name in CHARGE_FIELDS]),
            (gettext("PIX"), True, [self[name] for name in PIX_FIELDS]),
        ]

    def service_fields(self, *, changed_only: bool) -> dict:
        """What to pass to the service: the fields of the chosen kind (of those changed, for an update)."""
        names = BANK_WALLET_FIELDS if self.cleaned_data["kind"] == WalletKind.BANK else INVOICE_WALLET_FIELDS
        return {name: self.cleaned_data[name] for name in names if not changed_only or name in self.changed_data}


def _may_manage(request, entity) -> bool:
    return services.WALLET_ACTION in user_actions(request, entity)


@staff_view
@require_GET
def wallet_list(request):
    """The current company's wallets: bank details, layout, registration, nosso número, charges, PIX, contracts."""
    context = {
        "wallets": selectors.entity_wallet_list(request.entity.pk),
        "may_manage": _may_manage(request, request.entity),
    }
    return render(request, "banking/web/wallets.html", context)


@staff_view
def wallet_new(request):
    """A new wallet of the current company (wallet_create)."""
    require(request, request.entity, services.WALLET_ACTION)
    form = WalletForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                wallet = services.wallet_create(
                    entity=request.entity, actor=request.user, **form.service_fields(changed_only=False)
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status
            else:
                return done(
                    request, gettext("Wallet %(name)s created.") % {"name": wallet.name}, reverse("banking-web:wallets")
                )
        else:
            status = 422
    return render(request, "banking/web/wallet_form.html", {"form": form, "wallet": None}, status=status)


@staff_view
def wallet_edit(request, pk: int):
    """Change a wallet of one of the user's companies (wallet_update); it becomes the current company."""
    wallet = get_object_or_404(Wallet, pk=pk, entity__in=[e.pk for e in user_entities(request)])
    if request.entity.pk != wallet.entity_id:
        request.entity = next(e for e in user_entities(request) if e.pk == wallet.entity_id)
        set_current_entity(request, request.entity)
    require(request, request.entity, services.WALLET_ACTION)
    initial = {name: getattr(wallet, name) for name in BANK_WALLET_FIELDS}
    form = WalletForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            changes = form.service_fields(changed_only=True)
            try:
                if changes:
                    wallet = services.wallet_update(wallet=wallet, actor=request.user, **changes)
            except DomainError as error:
                form_error(form, error)
                status = error.status
            else:
                return done(
                    request, gettext("Wallet %(name)s saved.") % {"name": wallet.name}, reverse("banking-web:wallets")
                )
        else:
            status = 422
    return render(request, "banking/web/wallet_form.html", {"form": form, "wallet": wallet}, status=status)
