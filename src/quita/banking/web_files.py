"""Staff pages of the bank files (in the staff UI's frame): remittances (what waits for the next one per wallet, write
one, the history and its downloads) and the imported return files with their counts, totals and records. Thin views
over banking.services and selectors."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from quita.banking import selectors, services
from quita.banking.models import Remittance, ReturnOutcome, Wallet, WalletKind
from quita.core.errors import DomainError
from quita.web.common import paginate, require
from quita.web.context import staff_view, user_actions, user_entities

RECORDS_PER_PAGE = 100


@staff_view
def remittances(request):
    """Per bank wallet of the current company: what waits for the next remittance and "Write remittance" (POST
    `wallet`: `remittance_create`); below, the remittances written, newest first, with their download."""
    entity = request.entity
    error, status = "", 200
    if request.method == "POST":
        require(request, entity, "generate_invoices")
        wallet_id = request.POST.get("wallet", "")
        if not wallet_id.isdigit():
            raise Http404
        wallet = get_object_or_404(Wallet, pk=wallet_id, entity=entity, kind=WalletKind.BANK)
        try:
            remittance = services.remittance_create(wallet_id=wallet.pk, actor=request.user)
        except DomainError as problem:
            error = f"{wallet.name}: {problem.detail}"
            status = problem.status
        else:
            # No plural forms: the catalogues' checks (tests/demo/test_translations.py) read singular entries only.
            message = gettext("Remittance %(file)s written (boletos: %(count)s).")
            messages.success(request, message % {"file": remittance.filename, "count": remittance.record_count})
            return redirect(reverse("banking-web:remittances"))
    context = {
        "wallets": selectors.remittance_pending(entity.pk),
        "page": paginate(request, selectors.entity_remittances(entity.pk), per_page=50),
        "may_write": "generate_invoices" in user_actions(request, entity),
        "error": error,
    }
    return render(request, "banking/web/remittances.html", context, status=status)


@staff_view
@require_GET
def remittance_file(request, pk: int):
    """The stored remittance file, as the bank wants it, under the bank's file name."""
    remittance = Remittance.objects.filter(pk=pk, entity__in=[e.pk for e in user_entities(request)]).first()
    if remittance is None:
        raise Http404
    return remittance_download(remittance)


def remittance_download(remittance: Remittance) -> HttpResponse:
    """The stored remittance as a download (the staff page and the API): the bank's bytes, never re-encoded by a
    browser that guesses a text encoding, under the bank's file name."""
    response = HttpResponse(selectors.remittance_bytes(remittance), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{remittance.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_view
@require_GET
def return_files(request):
    """The current company's imported return files, newest first, with their counts and money."""
    page = paginate(request, selectors.entity_return_files(request.entity.pk), per_page=50)
    selectors.return_files_totals(page["rows"])
    may_import = "record_payments" in user_actions(request, request.entity)
    return render(request, "banking/web/return_files.html", {"page": page, "may_import": may_import})


@staff_view
@require_GET
def return_file(request, pk: int):
    """One return file: its facts and totals (by outcome), refused lines, and its records paged (by outcome)."""
    return_file = selectors.return_file([e.pk for e in user_entities(request)], pk)
    if return_file is None:
        raise Http404
    selectors.return_files_totals([return_file])
    outcome = request.GET.get("outcome", "")
    if outcome not in ReturnOutcome.values:
        outcome = ""
    records = selectors.return_file_records(return_file, outcome=outcome)
    context = {
        "file": return_file,
        "outcomes": selectors.return_file_outcomes(return_file),
        "outcome": outcome,
        "outcome_choices": ReturnOutcome.choices,
        "page": paginate(request, records, per_page=RECORDS_PER_PAGE),
    }
    return render(request, "banking/web/return_file.html", context)
