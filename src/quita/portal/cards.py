"""The portal's card screens (issue 6): a subscriber's saved cards, and paying an invoice with one.

Thin views over `quita.payments.services`, which the portal calls as the system (`actor=None`) after checking
that the customer, card or invoice belongs to the logged-in subscriber. The card is typed into Stripe.js's
Card Element: its number never reaches Quita. The templates are the payments app's partials
(`payments/portal/_cards.html`, `payments/portal/_pay_card.html`).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quita.core.errors import DomainError
from quita.payments import selectors as payment_selectors
from quita.payments import services
from quita.payments.models import Payment, PaymentMethod, PaymentSettings, PaymentStatus
from quita.portal import selectors
from quita.portal.auth import portal_login_required


def _customer_id(request, pk: int) -> int:
    if pk not in selectors.portal_customer_ids(request.portal_account):
        raise Http404
    return pk


def _card(request, pk: int) -> PaymentMethod:
    card = PaymentMethod.objects.filter(
        pk=pk, customer_id__in=selectors.portal_customer_ids(request.portal_account)
    ).first()
    if card is None:
        raise Http404
    return card


def _json_error(error: DomainError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=error.status)


@require_POST
@portal_login_required
def card_setup(request, pk: int):
    try:
        return JsonResponse(services.card_setup_start(customer_id=_customer_id(request, pk), actor=None))
    except DomainError as error:
        return _json_error(error)


@require_POST
@portal_login_required
def card_save(request, pk: int):
    try:
        card = services.card_save(
            customer_id=_customer_id(request, pk),
            actor=None,
            setup_intent=request.POST.get("setup_intent", ""),
            replace_default=request.POST.get("replace_default") == "1",
        )
    except DomainError as error:
        return _json_error(error)
    messages.success(request, _("Card saved: %(card)s") % {"card": card})
    return JsonResponse({"id": card.pk})


@require_POST
@portal_login_required
def card_default(request, pk: int):
    card = _card(request, pk)
    try:
        services.card_set_default(
            card_id=card.pk, actor=None, replace_default=request.POST.get("replace_default") == "1"
        )
        messages.success(request, _("Default card: %(card)s") % {"card": card})
    except DomainError as error:
        messages.error(request, str(error.detail))
    return redirect("portal:cards")


@require_POST
@portal_login_required
def card_remove(request, pk: int):
    card = _card(request, pk)
    try:
        services.card_remove(card_id=card.pk, actor=None)
        messages.success(request, _("Card removed: %(card)s") % {"card": card})
    except DomainError as error:
        messages.error(request, str(error.detail))
    return redirect("portal:cards")


@require_POST
@portal_login_required
def invoice_pay_card(request, pk: int):
    invoice = selectors.portal_invoice(selectors.portal_customer_ids(request.portal_account), pk)
    if invoice is None:
        raise Http404
    chosen = request.POST.get("payment_method") or None
    try:
        payment = services.invoice_pay_card(
            invoice_id=invoice.pk, actor=None, payment_method=int(chosen) if chosen and chosen.isdigit() else None
        )
    except services.CardDeclined as error:
        if error.payment is not None and payment_selectors.payment_awaits_cardholder(error.payment):
            # Refused off-session because the bank wants the cardholder: who is here, and confirms it now.
            return redirect(f"/portal/invoices/{invoice.pk}/?confirm={error.payment.pk}#pay")
        messages.error(request, str(error.detail))
        return redirect("portal:invoice", pk=invoice.pk)
    except DomainError as error:
        messages.error(request, str(error.detail))
        return redirect("portal:invoice", pk=invoice.pk)
    if payment.status == PaymentStatus.PENDING:
        return redirect(f"/portal/invoices/{invoice.pk}/?confirm={payment.pk}#pay")
    messages.success(request, _("Thank you: invoice %(number)s is paid.") % {"number": invoice.number})
    return redirect("portal:invoice", pk=invoice.pk)


@require_POST
@portal_login_required
def payment_confirm(request, pk: int):
    """What Stripe.js needs to let the subscriber confirm a payment their bank wants authenticated (3-D Secure)."""
    ids = selectors.portal_customer_ids(request.portal_account)
    payment = Payment.objects.filter(pk=pk, customer_id__in=ids).first()
    if payment is None:
        raise Http404
    try:
        answer = services.card_payment_client_secret(payment_id=payment.pk)
    except DomainError as error:
        return _json_error(error)
    key = PaymentSettings.objects.get(entity_id=payment.entity_id).stripe_publishable_key
    return JsonResponse({**answer, "publishable_key": key})
