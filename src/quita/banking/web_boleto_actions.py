"""The staff boleto page (/billing/boletos/<id>/) and its two everyday actions: move the due date (prorrogar
vencimento) and cancel the boleto by hand (pedido de baixa). Thin views over banking.services; an HTMX post swaps the
page's body in place, a plain post goes back to the page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from quita.banking import selectors, services
from quita.banking.models import Boleto, BoletoStatus
from quita.core.errors import DomainError
from quita.web.common import is_htmx, require
from quita.web.context import staff_view, user_actions, user_entities
from quita.web.forms import DateInput

# The permission the services check for both actions (boleto_change_due_date, boleto_cancel).
ACTION = "generate_invoices"


class DueDateForm(forms.Form):
    due_date = forms.DateField(label=_("New due date"), widget=DateInput())


class CancelForm(forms.Form):
    """The reason is checked by `boleto_cancel` itself (blank → `reason_required`, too long → `reason_too_long`), so
    the clerk reads the service's own sentence, the one the API gives, not Django's generic "This field is required."
    The template marks the field required and limits its length in the browser."""

    reason = forms.CharField(
        label=_("Reason for the cancellation"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": services.BOLETO_CANCEL_REASON_MAX, "aria-required": "true"}),
    )
    notify = forms.BooleanField(label=_("Notify the subscriber"), required=False, initial=True)


def boleto_page_context(request, boleto: Boleto, **extra) -> dict:
    """What the boleto page shows: status, dates, remittances and returns, and the action forms for allowed roles."""
    status = services.boleto_display_status(boleto, now=timezone.now())
    may_act = ACTION in user_actions(request, boleto.entity)
    return {
        "boleto": boleto,
        "status": status,
        "status_label": BoletoStatus(status).label,
        "payable_at": services.boleto_payable_at(boleto),
        "records": boleto.return_records.select_related("return_file").order_by("-id")[:50],
        "remittances": boleto.remittance_items.select_related("remittance").order_by("-id")[:50],
        "cancel_reason": selectors.boleto_cancel_reason(boleto),
        "may_act": may_act and boleto.status in services.OPEN_STATUSES,
        "due_form": DueDateForm(initial={"due_date": boleto.due_date}),
        "cancel_form": CancelForm(),
        **extra,
    }


def boleto_page(request, boleto: Boleto, *, status: int = 200, **extra):
    """The whole page, or only its body (#boleto-detail) for an HTMX action."""
    template = "banking/web/_boleto_detail.html" if is_htmx(request) else "banking/web/boleto.html"
    return render(request, template, boleto_page_context(request, boleto, **extra), status=status)


def _boleto(request, pk: int) -> Boleto:
    boleto = get_object_or_404(
        Boleto.objects.select_related("wallet", "invoice", "customer", "entity"),
        pk=pk,
        entity__in=[e.pk for e in user_entities(request)],
    )
    require(request, boleto.entity, ACTION)
    return boleto


def _answer(request, boleto: Boleto, *, form, run, **forms_shown):
    """Run the service when the form is valid (`run` returns what to tell the user); its refusal goes on the field
    it names (or above the form). After a success a plain post goes back to the page with a message; HTMX gets the
    page's body again, as the boleto is now."""
    status, error, message = 422, "", ""
    if form.is_valid():
        try:
            message = run(form.cleaned_data)
        except DomainError as problem:
            # The service's whole sentence ("The new due date is in the past."), on its field when the form has it.
            field = next((name for name in problem.fields if name in form.fields), None)
            form.add_error(field, str(problem.detail))
            status, error = problem.status, str(problem.detail)
        else:
            if not is_htmx(request):
                messages.success(request, message)
                return redirect(reverse("banking-web:boleto", args=[boleto.pk]))
            status = 200
    boleto = _boleto(request, boleto.pk)  # read again: the service may have changed it
    shown = {"message": message} if status == 200 else {"error": error, **forms_shown}
    return boleto_page(request, boleto, status=status, **shown)


@staff_view
@require_POST
def boleto_due_date(request, pk: int):
    """Move an open boleto's due date: a new barcode and linha digitável, the change in the next remittance."""
    boleto = _boleto(request, pk)
    form = DueDateForm(request.POST)

    def run(data) -> str:
        services.boleto_change_due_date(boleto_id=boleto.pk, due_date=data["due_date"], actor=request.user)
        return gettext("Due date moved to %(date)s.") % {
            "date": formats.date_format(data["due_date"], "SHORT_DATE_FORMAT")
        }

    return _answer(request, boleto, form=form, run=run, due_form=form)


@staff_view
@require_POST
def boleto_cancel(request, pk: int):
    """Cancel an open boleto with a reason; the bank gets the write-off in the next remittance if it has the boleto."""
    boleto = _boleto(request, pk)
    form = CancelForm(request.POST)

    def run(data) -> str:
        services.boleto_cancel(boleto_id=boleto.pk, actor=request.user, reason=data["reason"], notify=data["notify"])
        if data["notify"] and selectors.boleto_cancel_notified(boleto.pk):
            return gettext("Boleto cancelled. The subscriber was told by e-mail.")
        return gettext("Boleto cancelled.")

    return _answer(request, boleto, form=form, run=run, cancel_form=form)
