"""Staff pages of banking (in the staff UI's frame): the return upload, the needs-attention list, an invoice's boleto
and PIX (issue, print, PDF), and a contract's billing wallet. Thin views over banking.services and selectors."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from quita.banking import selectors, services
from quita.banking.cards import invoice_banking_context, shown_boletos
from quita.banking.models import AttentionItem, Boleto, BoletoStatus, Wallet
from quita.banking.printing import boleto_html, boleto_pdf, boleto_pdf_filename
from quita.banking.web_boleto_actions import boleto_page
from quita.core.errors import DomainError
from quita.core.models import Entity
from quita.core.money import format_money
from quita.customers import services as customer_services
from quita.customers.models import Contract, Customer
from quita.customers.selectors import customers_matching
from quita.web.common import done, form_error, is_htmx, modal, paginate, require, scoped_customer, scoped_invoice
from quita.web.context import staff_view, user_actions, user_entities


class ReturnUploadForm(forms.Form):
    """A return file (retorno) for one of the user's entities where they may record payments."""

    entity = forms.ModelChoiceField(queryset=None, label=_("Company"))
    file = forms.FileField(label=_("Return file"))

    def __init__(self, *args, entities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].queryset = entities
        if len(entities) == 1:
            self.fields["entity"].initial = entities[0].pk


def _entities_allowing(request, action: str) -> list:
    return [entity for entity in user_entities(request) if action in user_actions(request, entity)]


@staff_view
def return_upload(request):
    """Upload a return file, then its page (counts, refused lines, records)."""
    allowed = _entities_allowing(request, "record_payments")
    if request.method == "POST" and not allowed:
        require(request, request.entity, "record_payments")
    queryset = Entity.objects.filter(pk__in=[entity.pk for entity in allowed]).order_by("name")
    form = ReturnUploadForm(request.POST or None, request.FILES or None, entities=queryset)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.return_import(
                    entity_id=form.cleaned_data["entity"].pk,
                    content=upload.read(),
                    filename=upload.name,
                    actor=request.user,
                )
            except DomainError as problem:
                form_error(form, problem)
                status = problem.status
            else:
                # The file's page shows what the import did (web_files.return_file).
                if result.created:
                    messages.success(request, gettext("Return file imported."))
                else:
                    messages.info(request, gettext("This file was imported before: nothing changed."))
                return redirect(reverse("banking-web:return-file", args=[result.return_file.pk]))
        else:
            status = 422
    context = {"form": form if allowed else None}
    return render(request, "banking/web/return_upload.html", context, status=status)


@staff_view
@require_GET
def attention_list(request):
    """Needs attention: money kept but not applied by itself, open first."""
    state = request.GET.get("state", "open")
    items = AttentionItem.objects.filter(entity__in=[e.pk for e in user_entities(request)]).select_related(
        "entity", "payment", "credit"
    )
    if state == "open":
        items = items.filter(resolved_at__isnull=True)
    elif state == "resolved":
        items = items.filter(resolved_at__isnull=False)
    else:
        state = "all"
    page = paginate(request, items.order_by("-created_at", "-id"), per_page=50)
    resolvable = {e.pk for e in _entities_allowing(request, "record_payments")}
    return render(request, "banking/web/attention_list.html", {"page": page, "state": state, "resolvable": resolvable})


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("What was done"), max_length=255)


class ApplyForm(forms.Form):
    invoice = forms.CharField(label=_("Invoice number"), max_length=40)


class CreditForm(forms.Form):
    """Find the customer (name, CPF/CNPJ or code), then choose one of those found: `attention_credit`."""

    q = forms.CharField(label=_("Customer: name, CPF/CNPJ or code"), max_length=100, required=False)
    customer = forms.IntegerField(label=_("Customer"), required=False)


# At most this many customers are listed for the clerk to choose from; a longer list asks for a closer search.
CREDIT_MATCHES = 10


def _attention_item(request, pk: int) -> AttentionItem:
    item = get_object_or_404(AttentionItem, pk=pk, entity__in=[e.pk for e in user_entities(request)])
    require(request, item.entity, "record_payments")
    return item


def _resolve_modal(request, item, *, form=None, apply_form=None, status: int = 200) -> HttpResponse:
    can_apply = services.attention_can_apply(item)
    context = {
        "item": item,
        "form": form or ResolveForm(),
        "apply_form": (apply_form or ApplyForm(prefix="apply")) if can_apply else None,
    }
    return modal(request, "banking/web/attention_resolve.html", context, status)


@staff_view
def attention_resolve(request, pk: int):
    """Mark a needs-attention item resolved, saying what was done (a modal; with money, it can also be applied to an
    invoice: `attention_apply`)."""
    item = _attention_item(request, pk)
    form = ResolveForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.attention_resolve(
                    item_id=item.pk, actor=request.user, resolution=form.cleaned_data["resolution"]
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status
            else:
                return done(request, gettext("Marked as resolved."), reverse("banking-web:attention"))
        else:
            status = 422
    return _resolve_modal(request, item, form=form, status=status)


@staff_view
@require_POST
def attention_apply(request, pk: int):
    """Apply a needs-attention item's money to the open invoice whose number the person typed."""
    item = _attention_item(request, pk)
    form = ApplyForm(request.POST, prefix="apply")
    status = 422
    if form.is_valid():
        invoice = selectors.invoice_by_number(item.entity_id, form.cleaned_data["invoice"])
        if invoice is None:
            form.add_error("invoice", gettext("No invoice of this company has this number."))
        else:
            try:
                item = services.attention_apply(item_id=item.pk, invoice_id=invoice.pk, actor=request.user)
            except DomainError as error:
                form_error(form, error)
                status = error.status
            else:
                message = gettext("%(amount)s applied to invoice %(number)s.") % {
                    "amount": format_money(item.payment.amount),
                    "number": invoice.number,
                }
                return done(request, message, reverse("banking-web:attention"))
    return _resolve_modal(request, item, apply_form=form, status=status)


@staff_view
def attention_credit(request, pk: int):
    """Credit a needs-attention item's money to a customer's account (a modal): find the customer by name, CPF/CNPJ or
    code among the item's company's customers, choose one, confirm (`attention_credit`)."""
    item = _attention_item(request, pk)
    data = request.POST if request.method == "POST" else request.GET
    form = CreditForm(data, prefix="credit")
    status = 200
    matches = []
    if form.is_valid():
        search = form.cleaned_data["q"]
        if search:
            rows = customers_matching(Customer.objects.filter(entity_id=item.entity_id), search)
            matches = list(rows.order_by("name", "pk")[: CREDIT_MATCHES + 1])
            if not matches:
                form.add_error("q", gettext("No customer of this company matches."))
        if request.method == "POST":
            status = 422
            if form.cleaned_data["customer"] is None:
                form.add_error("customer", gettext("Choose the customer."))
            else:
                try:
                    item = services.attention_credit(
                        item_id=item.pk, customer_id=form.cleaned_data["customer"], actor=request.user
                    )
                except DomainError as error:
                    form_error(form, error)
                    status = error.status
                else:
                    message = gettext("%(amount)s credited to %(customer)s's account.") % {
                        "amount": format_money(-item.credit.amount),
                        "customer": item.credit.customer.name,
                    }
                    return done(request, message, reverse("banking-web:attention"))
    elif request.method == "POST":
        status = 422
    context = {
        "item": item,
        "form": form,
        "matches": matches[:CREDIT_MATCHES],
        "more": len(matches) > CREDIT_MATCHES,
        "chosen": getattr(form, "cleaned_data", {}).get("customer"),
    }
    return modal(request, "banking/web/attention_credit.html", context, status)


# ---------------------------------------------------------------------------------------------------------------
# An invoice's boleto and PIX
# ---------------------------------------------------------------------------------------------------------------


def _card_answer(request, invoice, *, message: str = "", error: str = "", status: int = 200) -> HttpResponse:
    """After an action of the invoice's card: HTMX gets the card again (page or modal) with what happened; a plain
    form goes back to the invoice page with it as a message."""
    if not is_htmx(request):
        (messages.error if error else messages.success)(request, error or message)
        return redirect(reverse("web:invoice", args=[invoice.pk]))
    context = invoice_banking_context(invoice, may_issue=True, message=message, error=error)
    return render(request, "banking/web/_invoice_banking.html", context, status=status)


@staff_view
@require_POST
def boleto_issue(request, pk: int):
    """Issue a boleto for an unpaid invoice from the wallet chosen in its card (page or modal)."""
    invoice = scoped_invoice(request, pk)
    require(request, invoice.entity, "generate_invoices")
    try:
        boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=request.POST.get("wallet"), actor=request.user)
    except DomainError as problem:
        return _card_answer(request, invoice, error=str(problem.detail), status=problem.status)
    message = gettext("Boleto %(number)s issued: awaiting registration at the bank.") % {
        "number": boleto.our_number_display
    }
    return _card_answer(request, invoice, message=message)


@staff_view
@require_POST
def pix_create(request, pk: int):
    """Create the invoice's PIX charge from the boleto's or the contract's wallet with a PIX key (from its card)."""
    invoice = scoped_invoice(request, pk)
    require(request, invoice.entity, "generate_invoices")
    wallet = _pix_wallet_for_staff(invoice)
    if wallet is None:
        error = gettext("No bank wallet of this company has a PIX key.")
        return _card_answer(request, invoice, error=error, status=409)
    try:
        services.pix_charge_create(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=request.user)
    except DomainError as problem:
        return _card_answer(request, invoice, error=str(problem.detail), status=problem.status)
    return _card_answer(request, invoice, message=gettext("PIX charge created."))


def _pix_wallet_for_staff(invoice):
    boletos = selectors.invoice_open_boletos(invoice)
    for boleto in boletos:
        if boleto.wallet.pix_key:
            return boleto.wallet
    wallet = selectors.pix_wallet(invoice)
    if wallet is not None:
        return wallet
    return selectors.entity_bank_wallets(invoice.entity_id).exclude(pix_key="").first()


def _staff_boleto(request, pk: int) -> Boleto:
    boleto = (
        Boleto.objects.select_related("wallet", "invoice", "customer", "entity")
        .filter(pk=pk, entity__in=[e.pk for e in user_entities(request)])
        .first()
    )
    if boleto is None:
        raise Http404
    return boleto


@staff_view
@require_GET
def boleto_list(request):
    """The current company's boletos, newest first; filter by status, search by nosso número, line or invoice."""
    status = request.GET.get("status", "")
    search = request.GET.get("q", "").strip()
    page = paginate(request, selectors.entity_boletos(request.entity.pk, status=status, search=search), per_page=50)
    shown_boletos(page["rows"])
    context = {"page": page, "status": status, "q": search, "statuses": BoletoStatus.choices}
    return render(request, "banking/web/boletos.html", context)


@staff_view
@require_GET
def boleto_detail(request, pk: int):
    """A boleto in the staff frame: status, linha digitável, print, PDF, what the bank reported about it, and its
    actions (web_boleto_actions)."""
    return boleto_page(request, _staff_boleto(request, pk))


@staff_view
@require_GET
def boleto_print(request, pk: int):
    """The printable boleto (any member of the entity may read it)."""
    return HttpResponse(boleto_html(_staff_boleto(request, pk), request=request))


@staff_view
@require_GET
def boleto_pdf_view(request, pk: int):
    boleto = _staff_boleto(request, pk)
    return pdf_response(boleto, inline=request.GET.get("inline") == "1")


def pdf_response(boleto: Boleto, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(boleto_pdf(boleto), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{boleto_pdf_filename(boleto)}"'
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------------------------------
# Contracts → edit → Billing → Wallet → save
# ---------------------------------------------------------------------------------------------------------------


class ContractBillingForm(forms.Form):
    wallet = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Wallet"),
        empty_label=_("No wallet"),
        help_text=_('A wallet of kind "invoice" lets the subscriber choose the bank when paying.'),
    )

    def __init__(self, *args, wallets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wallet"].queryset = wallets
        self.fields["wallet"].label_from_instance = _wallet_label


def _wallet_label(wallet) -> str:
    if wallet.kind == "invoice":
        return gettext("%(name)s (invoice: the subscriber chooses the bank)") % {"name": wallet.name}
    return f"{wallet.name} — {wallet.get_bank_display()}"


@staff_view
def contract_edit(request, pk: int, contract_id: int):
    """A contract's edit page; its Billing section sets the wallet (contract_update)."""
    customer = scoped_customer(request, pk)
    contract = get_object_or_404(Contract, pk=contract_id, customer=customer)
    can_edit = "manage_customers" in user_actions(request, customer.entity)
    if request.method == "POST" and not can_edit:
        require(request, customer.entity, "manage_customers")
    wallets = selectors.entity_wallets(customer.entity_id)
    if contract.wallet_id:
        wallets = Wallet.objects.filter(pk__in=[*wallets.values_list("pk", flat=True), contract.wallet_id]).order_by(
            "kind", "bank", "name"
        )
    form = ContractBillingForm(request.POST or None, wallets=wallets, initial={"wallet": contract.wallet_id})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                customer_services.contract_update(
                    contract=contract, actor=request.user, wallet=form.cleaned_data["wallet"]
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status
            else:
                return done(
                    request,
                    gettext("Contract #%(id)s saved.") % {"id": contract.pk},
                    reverse("banking-customers:contract-edit", args=[customer.pk, contract.pk]),
                )
        else:
            status = 422
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "customer": customer,
        "contract": contract,
        "services": contract.services.select_related("product", "category").order_by("start_date", "pk"),
        "form": form,
        "can_edit": can_edit,
        "tab": "overview",
    }
    return render(request, "banking/web/contract_edit.html", context, status=status)
