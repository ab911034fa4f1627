"""A clerk's two everyday boleto actions: cancel by hand (pedido de baixa: `boleto_cancel`, its API and its button)
and move the due date from the boleto page (prorrogar vencimento: `boleto_change_due_date` behind a form)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from quita.banking import services
from quita.banking.cnab import reader
from quita.banking.models import Boleto, BoletoStatus, RemittanceAction
from quita.billing.models import InvoiceStatus
from quita.core.errors import Conflict, PermissionDenied, ValidationFailed
from quita.core.models import ActivityLog, Role
from tests.banking.test_pages import staff
from tests.banking.test_round_trip import bank_return
from tests.conftest import make_user

REASON = "Subscriber pays by PIX"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}  # the API in English, as the staff test client


@pytest.fixture
def viewer(entity):
    return make_user("viewer", entity, Role.READ_ONLY)


@pytest.fixture
def issued(make_wallet, make_invoice, clerk, clock):
    """A Bradesco (CNAB 400) boleto, not sent to the bank yet."""
    wallet = make_wallet("237")
    return services.boleto_issue(invoice_id=make_invoice("89.90").pk, wallet_id=wallet.pk, actor=clerk)


@pytest.fixture
def sent(issued, clerk):
    """The same boleto after its entry went in a remittance."""
    services.remittance_create(wallet_id=issued.wallet_id, actor=clerk)
    issued.refresh_from_db()
    assert issued.pending_action == RemittanceAction.NONE
    return issued


def _api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _cancel_rows(boleto):
    return ActivityLog.objects.filter(object_id=boleto.pk, action="void", summary__startswith="boleto")


# -- the service ---------------------------------------------------------------------------------------------------


def test_a_boleto_not_sent_is_cancelled_with_nothing_for_the_bank(issued, clerk):
    cancelled = services.boleto_cancel(boleto_id=issued.pk, actor=clerk, reason=f"  {REASON}  ")
    assert (cancelled.status, cancelled.pending_action) == (BoletoStatus.CANCELLED, RemittanceAction.NONE)
    assert cancelled.cancelled_at is not None
    with pytest.raises(Conflict) as empty:
        services.remittance_create(wallet_id=issued.wallet_id, actor=clerk)
    assert empty.value.code == "remittance_empty"
    issued.invoice.refresh_from_db()
    assert issued.invoice.status == InvoiceStatus.UNPAID  # it can get a new boleto or be paid otherwise
    again = services.boleto_issue(invoice_id=issued.invoice_id, wallet_id=issued.wallet_id, actor=clerk)
    assert again.pk != issued.pk and again.our_number == issued.our_number + 1


def test_a_sent_boleto_gets_the_write_off_in_the_next_remittance(sent, clerk):
    cancelled = services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason=REASON)
    assert (cancelled.status, cancelled.pending_action) == (BoletoStatus.CANCELLED, RemittanceAction.CANCEL)
    remittance = services.remittance_create(wallet_id=sent.wallet_id, actor=clerk)
    assert list(remittance.items.values_list("boleto_id", "action")) == [(sent.pk, "cancel")]
    titles = reader.read(remittance.content).titles
    assert [(t.our_number, t.occurrence_code) for t in titles] == [(sent.our_number, "02")]  # 02: pedido de baixa
    sent.refresh_from_db()
    assert sent.pending_action == RemittanceAction.NONE and sent.status == BoletoStatus.CANCELLED


def test_the_write_off_replaces_a_change_of_due_date_still_waiting(sent, clerk):
    services.boleto_change_due_date(boleto_id=sent.pk, due_date=sent.due_date + datetime.timedelta(days=5), actor=clerk)
    services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason=REASON)
    remittance = services.remittance_create(wallet_id=sent.wallet_id, actor=clerk)
    assert [t.occurrence_code for t in reader.read(remittance.content).titles] == ["02"]


def test_the_activity_row_keeps_the_reason(issued, clerk):
    services.boleto_cancel(boleto_id=issued.pk, actor=clerk, reason=REASON)
    row = _cancel_rows(issued).get()
    assert row.actor == clerk and row.customer_id == issued.customer_id
    assert row.after["reason"] == REASON and row.after["status"] == "cancelled"
    assert row.before["status"] == "awaiting" and REASON in row.summary


def test_a_paid_boleto_is_refused_and_nothing_changes(sent, clerk):
    content = bank_return(sent.wallet, [(sent, {"occurrence": "06", "paid_amount": Decimal("89.90")})])
    services.return_import(entity_id=sent.entity_id, content=content, filename="CB.RET", actor=clerk)
    sent.refresh_from_db()
    assert sent.status == BoletoStatus.PAID
    with pytest.raises(Conflict) as refused:
        services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason=REASON)
    assert refused.value.code == "boleto_already_paid"
    after = Boleto.objects.get(pk=sent.pk)
    assert (after.status, after.pending_action, after.cancelled_at) == (BoletoStatus.PAID, "", None)
    assert not _cancel_rows(sent).exists()


def test_cancelling_twice_is_refused(sent, clerk):
    services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason=REASON)
    with pytest.raises(Conflict) as refused:
        services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason="again")
    assert refused.value.code == "boleto_already_cancelled"
    assert _cancel_rows(sent).count() == 1
    Boleto.objects.filter(pk=sent.pk).update(status=BoletoStatus.WRITTEN_OFF)
    with pytest.raises(Conflict) as written_off:
        services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason=REASON)
    assert written_off.value.code == "boleto_already_cancelled"


@pytest.mark.parametrize(
    ("reason", "code"), [("", "reason_required"), ("   ", "reason_required"), ("x" * 256, "reason_too_long")]
)
def test_the_reason_is_required_and_short(issued, clerk, reason, code):
    with pytest.raises(ValidationFailed) as refused:
        services.boleto_cancel(boleto_id=issued.pk, actor=clerk, reason=reason)
    assert refused.value.code == code and "reason" in refused.value.fields
    assert Boleto.objects.get(pk=issued.pk).status == BoletoStatus.AWAITING_REGISTRATION


def test_a_read_only_user_may_not_cancel(issued, viewer):
    with pytest.raises(PermissionDenied):
        services.boleto_cancel(boleto_id=issued.pk, actor=viewer, reason=REASON)
    assert Boleto.objects.get(pk=issued.pk).status == BoletoStatus.AWAITING_REGISTRATION


# -- the API -------------------------------------------------------------------------------------------------------


def test_api_cancel(sent, clerk, viewer):
    url = f"/api/boletos/{sent.pk}/cancel/"
    assert _api(viewer).post(url, {"reason": REASON}, format="json").status_code == 403
    blank = _api(clerk).post(url, {"reason": ""}, format="json")
    assert blank.status_code == 400 and blank.json()["code"] == "reason_required"
    assert _api(clerk).post(url, {}, format="json").json()["code"] == "required"
    done = _api(clerk).post(url, {"reason": REASON}, format="json")
    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["pending_action"]) == ("cancelled", "cancel")
    again = _api(clerk).post(url, {"reason": REASON}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "boleto_already_cancelled"
    assert _api(clerk).post("/api/boletos/999999/cancel/", {"reason": REASON}, format="json").status_code == 404


def test_api_schema_has_the_cancel_action(clerk):
    schema = _api(clerk).get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/boletos/{id}/cancel/"]["post"]
    assert "409" in operation["responses"] and "requestBody" in operation


# -- the boleto page -----------------------------------------------------------------------------------------------


def test_page_moves_the_due_date_in_place(sent, clerk):
    client = staff(clerk)
    page = client.get(f"/billing/boletos/{sent.pk}/").content.decode()
    assert "Move due date" in page and "Cancel boleto" in page
    new_due = sent.due_date + datetime.timedelta(days=7)
    answer = client.post(
        f"/billing/boletos/{sent.pk}/due-date/", {"due_date": new_due.isoformat()}, HTTP_HX_REQUEST="true"
    )
    html = answer.content.decode()
    sent_before = sent.digitable_line
    sent.refresh_from_db()
    assert answer.status_code == 200 and html.lstrip().startswith('<div id="boleto-detail">') and "<html" not in html
    assert sent.due_date == new_due and sent.digitable_line != sent_before
    assert f'id="due-date">{new_due:%m/%d/%Y}' in html and sent.digitable_line in html
    assert '<dd class="col-7" id="next-remittance">Change of due date</dd>' in html
    assert "Due date moved to" in html


def test_page_shows_the_refusal_next_to_the_due_date(sent, clerk):
    client = staff(clerk)
    before = sent.digitable_line
    past = client.post(f"/billing/boletos/{sent.pk}/due-date/", {"due_date": "2020-01-01"}, HTTP_HX_REQUEST="true")
    html = past.content.decode()
    assert past.status_code == 400
    assert 'id="id_due_date_error">The new due date is in the past.</div>' in html and 'aria-invalid="true"' in html
    plain = client.post(f"/billing/boletos/{sent.pk}/due-date/", {"due_date": ""})
    assert plain.status_code == 422 and 'id="id_due_date_error"' in plain.content.decode()
    assert Boleto.objects.get(pk=sent.pk).digitable_line == before


def test_page_cancels_with_a_reason(sent, clerk):
    client = staff(clerk)
    blank = client.post(f"/billing/boletos/{sent.pk}/cancel/", {"reason": ""}, HTTP_HX_REQUEST="true")
    assert blank.status_code == 400
    assert 'id="id_reason_error">Give a reason for the cancellation.</div>' in blank.content.decode()
    done = client.post(f"/billing/boletos/{sent.pk}/cancel/", {"reason": REASON})
    assert done.status_code == 302 and done["Location"] == f"/billing/boletos/{sent.pk}/"
    page = client.get(done["Location"]).content.decode()
    assert "Boleto cancelled." in page and f'id="cancel-reason">{REASON}<' in page
    assert "Cancellation (write-off request)" in page and "Cancel boleto" not in page  # no action on a closed boleto
    # The invoice, still unpaid, gets a new boleto from the same wallet (not the cancelled one again).
    client.post(f"/billing/invoices/{sent.invoice_id}/boleto/", {"wallet": sent.wallet_id})
    fresh = Boleto.objects.get(invoice_id=sent.invoice_id, status=BoletoStatus.AWAITING_REGISTRATION)
    assert fresh.pk != sent.pk and fresh.our_number == sent.our_number + 1
    late = client.post(f"/billing/boletos/{sent.pk}/cancel/", {"reason": REASON}, HTTP_HX_REQUEST="true")
    assert late.status_code == 409 and "This boleto is already cancelled or written off." in late.content.decode()


# Each refusal of `boleto_cancel` reaches the clerk as the service's own sentence, the one the API gives (its `detail`):
# on the reason field for the reason's, above the page for the boleto's state (the actions are gone by then).
@pytest.mark.parametrize(
    ("reason", "code", "sentence"),
    [
        ("", "reason_required", "Give a reason for the cancellation."),
        ("   ", "reason_required", "Give a reason for the cancellation."),
        ("x" * 256, "reason_too_long", "The reason is longer than 255 characters."),
    ],
)
def test_page_says_what_the_api_says_about_the_reason(sent, clerk, reason, code, sentence):
    api = _api(clerk).post(f"/api/boletos/{sent.pk}/cancel/", {"reason": reason}, format="json", **EN)
    assert (api.status_code, api.json()["code"], api.json()["detail"]) == (400, code, sentence)
    for headers in ({"HTTP_HX_REQUEST": "true"}, {}):
        page = staff(clerk).post(f"/billing/boletos/{sent.pk}/cancel/", {"reason": reason}, **headers)
        html = page.content.decode()
        assert page.status_code == 400 and f'id="id_reason_error">{sentence}</div>' in html
        assert "This field is required." not in html and "Ensure this value" not in html
        assert 'aria-invalid="true"' in html and 'maxlength="255"' in html
    assert Boleto.objects.get(pk=sent.pk).status == sent.status and sent.status in services.OPEN_STATUSES
    assert not _cancel_rows(sent).exists()


def _pay(boleto, clerk):
    content = bank_return(boleto.wallet, [(boleto, {"occurrence": "06", "paid_amount": boleto.amount})])
    services.return_import(entity_id=boleto.entity_id, content=content, filename="CB.RET", actor=clerk)


@pytest.mark.parametrize(
    ("make_state", "code", "sentence"),
    [
        (_pay, "boleto_already_paid", "This boleto is paid; it cannot be cancelled."),
        (
            lambda b, clerk: services.boleto_cancel(boleto_id=b.pk, actor=clerk, reason=REASON),
            "boleto_already_cancelled",
            "This boleto is already cancelled or written off.",
        ),
        (
            lambda b, clerk: Boleto.objects.filter(pk=b.pk).update(status=BoletoStatus.REJECTED),
            "boleto_not_open",
            "Only an open boleto can be cancelled.",
        ),
    ],
)
def test_page_says_what_the_api_says_about_the_boletos_state(sent, clerk, make_state, code, sentence):
    client = staff(clerk)
    page = client.get(f"/billing/boletos/{sent.pk}/").content.decode()
    assert "Cancel boleto" in page  # the clerk opened the page while the boleto was open...
    make_state(sent, clerk)  # ...and it changed before the post
    api = _api(clerk).post(f"/api/boletos/{sent.pk}/cancel/", {"reason": "again"}, format="json", **EN)
    assert (api.status_code, api.json()["code"], api.json()["detail"]) == (409, code, sentence)
    answer = client.post(f"/billing/boletos/{sent.pk}/cancel/", {"reason": "again"}, HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 409
    assert f'<div class="alert alert-danger" role="alert" tabindex="-1" autofocus>{sentence}</div>' in html
    assert "Cancel boleto" not in html


def test_page_says_why_the_due_date_cannot_move_yet(sent, clerk):
    """A refusal that names no field (a change of amount still waiting) shows above the due-date form."""
    Boleto.objects.filter(pk=sent.pk).update(pending_action=RemittanceAction.AMOUNT)
    new_due = (sent.due_date + datetime.timedelta(days=3)).isoformat()
    api = _api(clerk).post(f"/api/boletos/{sent.pk}/change-due-date/", {"due_date": new_due}, format="json", **EN)
    assert (api.status_code, api.json()["code"]) == (409, "boleto_amount_change_pending")
    answer = staff(clerk).post(f"/billing/boletos/{sent.pk}/due-date/", {"due_date": new_due}, HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 409
    form = html[html.index('action="/billing/boletos/') : html.index("Move due date</button>")]
    assert f'<div class="alert alert-danger" role="alert"><div>{api.json()["detail"]}</div></div>' in form
    assert Boleto.objects.get(pk=sent.pk).due_date == sent.due_date


def test_page_actions_hidden_for_a_viewer_and_posts_403(sent, viewer):
    client = staff(viewer)
    page = client.get(f"/billing/boletos/{sent.pk}/").content.decode()
    assert sent.digitable_line in page and "Cancel boleto" not in page and "Move due date" not in page
    assert client.post(f"/billing/boletos/{sent.pk}/cancel/", {"reason": REASON}).status_code == 403
    due = (sent.due_date + datetime.timedelta(days=3)).isoformat()
    assert client.post(f"/billing/boletos/{sent.pk}/due-date/", {"due_date": due}).status_code == 403
    assert Boleto.objects.get(pk=sent.pk).due_date == sent.due_date and _cancel_rows(sent).count() == 0


def test_page_of_another_entitys_boleto_is_404(sent, other_entity):
    outsider = staff(make_user("outsider", other_entity))
    assert outsider.post(f"/billing/boletos/{sent.pk}/cancel/", {"reason": REASON}).status_code == 404


def test_page_speaks_portuguese(sent, clerk):
    client = staff(clerk, language="pt-br")
    page = client.get(f"/billing/boletos/{sent.pk}/").content.decode()
    assert "Prorrogar vencimento" in page and "Cancelar boleto" in page and "Motivo do cancelamento" in page
    blank = client.post(f"/billing/boletos/{sent.pk}/cancel/", {"reason": " "}, HTTP_HX_REQUEST="true")
    assert blank.status_code == 400
    assert 'id="id_reason_error">Informe o motivo do cancelamento.<' in blank.content.decode()
    long = client.post(f"/billing/boletos/{sent.pk}/cancel/", {"reason": "x" * 256}, HTTP_HX_REQUEST="true")
    assert long.status_code == 400
    assert 'id="id_reason_error">O motivo tem mais de 255 caracteres.<' in long.content.decode()
    client.post(f"/billing/boletos/{sent.pk}/cancel/", {"reason": REASON})
    done = client.get(f"/billing/boletos/{sent.pk}/").content.decode()
    assert "Boleto cancelado." in done and "Cancelado em" in done and "Cancelamento (pedido de baixa)" in done
    late = client.post(f"/billing/boletos/{sent.pk}/cancel/", {"reason": REASON}, HTTP_HX_REQUEST="true")
    assert late.status_code == 409 and "Este boleto já está cancelado ou baixado." in late.content.decode()
