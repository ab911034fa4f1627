"""Staff screens for cards: the billing tab's "Payment methods" card and the pay modal's card option.

Thin views over the services. Adding a card: the page asks `card_setup` for a SetupIntent, Stripe.js
(Card Element) confirms it with the card typed into Stripe's own field — the number never reaches Quita —
and the page posts the SetupIntent id to `card_save`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quita.billing.models import Invoice
from quita.core.errors import DomainError
from quita.core.permissions import user_can
from quita.core.selectors import entities_for_user
from quita.customers.models import Customer
from quita.payments import services
from quita.payments.models import PaymentMethod


def _scoped(request, model, pk: int, action: str, entity_path: str = "entity"):
    row = get_object_or_404(model, pk=pk, **{f"{entity_path}__in": entities_for_user(request.user)})
    entity_id = row.entity_id
    if not user_can(request.user, entity_id, action):
        raise PermissionDenied
    return row


def _back(request, customer_id: int):
    """Back to the page the action came from (the billing tab by default); from an htmx modal, a full reload."""
    target = request.POST.get("next") or request.headers.get("HX-Current-URL") or request.headers.get("Referer") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = f"/customers/{customer_id}/billing/"
    if request.headers.get("HX-Request") == "true":
        return HttpResponse(status=204, headers={"HX-Redirect": target})
    return redirect(target)


@login_required
@require_POST
def card_setup(request, pk: int):
    """JSON for Stripe.js: a SetupIntent's client secret and the entity's publishable key."""
    customer = _scoped(request, Customer, pk, "manage_customers")
    try:
        return JsonResponse(services.card_setup_start(customer_id=customer.pk, actor=request.user))
    except DomainError as error:
        return JsonResponse(error.as_dict(), status=error.status)


@login_required
@require_POST
def card_save(request, pk: int):
    """Keep the card of the SetupIntent Stripe.js confirmed (id, brand, last 4, expiry only)."""
    customer = _scoped(request, Customer, pk, "manage_customers")
    try:
        card = services.card_save(
            customer_id=customer.pk,
            actor=request.user,
            setup_intent=request.POST.get("setup_intent", ""),
            replace_default=request.POST.get("replace_default") == "1",
        )
    except DomainError as error:
        return JsonResponse(error.as_dict(), status=error.status)
    messages.success(request, _("Card saved: %(card)s") % {"card": card})
    return JsonResponse({"id": card.pk, "brand": card.brand, "last4": card.last4, "is_default": card.is_default})


@login_required
@require_POST
def card_default(request, pk: int):
    card = _scoped(request, PaymentMethod, pk, "manage_customers")
    try:
        services.card_set_default(
            card_id=card.pk, actor=request.user, replace_default=request.POST.get("replace_default") == "1"
        )
        messages.success(request, _("Default card: %(card)s") % {"card": card})
    except DomainError as error:
        messages.error(request, str(error.detail))
    return _back(request, card.customer_id)


@login_required
@require_POST
def card_remove(request, pk: int):
    card = _scoped(request, PaymentMethod, pk, "manage_customers")
    try:
        services.card_remove(card_id=card.pk, actor=request.user)
        messages.success(request, _("Card removed: %(card)s") % {"card": card})
    except DomainError as error:
        messages.error(request, str(error.detail))
    return _back(request, card.customer_id)


@login_required
@require_POST
def invoice_pay_card(request, pk: int):
    """Charge an invoice's open balance to the chosen saved card; a decline shows its sentence."""
    invoice = _scoped(request, Invoice, pk, "record_payments")
    chosen = request.POST.get("payment_method") or None
    try:
        payment = services.invoice_pay_card(
            invoice_id=invoice.pk, actor=request.user, payment_method=int(chosen) if chosen else None
        )
    except DomainError as error:
        messages.error(request, str(error.detail))
    else:
        if payment.status == "pending":
            messages.warning(
                request, _("The bank asks the subscriber to confirm this payment: they can finish it in the portal.")
            )
        else:
            messages.success(request, _("Invoice %(number)s paid by card.") % {"number": invoice.number})
    return _back(request, invoice.customer_id)
