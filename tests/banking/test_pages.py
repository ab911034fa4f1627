"""The printable boleto (ITF barcode decoded back, PIX QR); the staff pages (return upload, needs attention, an
invoice's boleto and PIX, a contract's wallet) with their permissions; the subscriber's bank-choice flow on the portal
login (tests/banking/test_portal_flow.py)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from quita.banking import services
from quita.banking.models import AttentionItem, Boleto, ReturnFile
from quita.banking.pix import brcode
from quita.banking.printing import boleto_context, itf_svg
from quita.core.models import ActivityLog, Role
from quita.customers import services as customer_services
from tests.banking.test_round_trip import bank_return
from tests.conftest import make_user

ITF_DIGITS = {
    "nnwwn": "0",
    "wnnnw": "1",
    "nwnnw": "2",
    "wwnnn": "3",
    "nnwnw": "4",
    "wnwnn": "5",
    "nwwnn": "6",
    "nnnww": "7",
    "wnnwn": "8",
    "nwnwn": "9",
}


def decode_itf(svg: str) -> str:
    """Read the bars of the SVG back: widths → narrow/wide → interleaved digit pairs (start nnnn, stop wnn)."""
    rects = [(float(x), float(w)) for x, w in re.findall(r'<rect x="([\d.]+)mm" y="[\d.]+mm" width="([\d.]+)mm"', svg)]
    rects = [r for r in rects if r[1] < 5]  # drop the background
    elements = []
    for (x, w), nxt in zip(rects, [*rects[1:], None], strict=True):
        elements.append(w)
        if nxt is not None:
            elements.append(round(nxt[0] - (x + w), 4))
    narrow = min(elements)
    kinds = "".join("w" if e > narrow * 1.5 else "n" for e in elements)
    assert kinds.startswith("nnnn") and kinds.endswith("wnn")
    body = kinds[4:-3]
    digits = ""
    for start in range(0, len(body), 10):
        block = body[start : start + 10]
        digits += ITF_DIGITS[block[0::2]] + ITF_DIGITS[block[1::2]]
    return digits


def test_itf_barcode_encodes_the_44_digits():
    code = "23795422300002952951172060007589645204030050"
    assert decode_itf(itf_svg(code)) == code


@pytest.fixture
def chooser_invoice(entity, make_customer, make_wallet, ledger):
    chooser = services.wallet_create(entity=entity, actor=None, name="Fatura", kind="invoice")
    make_wallet("237")
    make_wallet("341")
    customer = make_customer()
    customer_services.contract_create(
        customer=customer, actor=None, billing_day=1, due_day=10, start_date=datetime.date(2025, 1, 1), wallet=chooser
    )
    ledger.charge(customer, "75.00")
    return ledger.invoice(customer)


def test_printable_page_has_the_pix_qr_of_the_wallet_key(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("001")
    boleto = services.boleto_issue(invoice_id=make_invoice("99.90").pk, wallet_id=wallet.pk, actor=clerk)
    context = boleto_context(boleto)
    decoded = brcode.parse(context["pix_payload"])
    assert (decoded["key"], decoded["amount"], decoded["crc_ok"]) == ("cobranca@fibrasul.example", "99.90", True)
    assert context["pix_qr"].startswith("<svg") and context["awaiting"]
    assert decode_itf(context["itf"]) == boleto.barcode


def staff(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def viewer(entity):
    return make_user("viewer", entity, Role.READ_ONLY)


def test_staff_upload_page(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")
    boleto = services.boleto_issue(invoice_id=make_invoice("50.00").pk, wallet_id=wallet.pk, actor=clerk)
    content = bank_return(wallet, [(boleto, {"occurrence": "06", "paid_amount": Decimal("50.00")})])
    client = staff(clerk)
    page = client.get("/billing/bank-returns/upload/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/static/vendor/bootstrap/css/bootstrap.min.css"' in html  # the staff UI's frame
    assert 'href="/billing/needs-attention/"' in html and 'type="file"' in html
    done = client.post(
        "/billing/bank-returns/upload/",
        {"entity": wallet.entity_id, "file": SimpleUploadedFile("CB.RET", content)},
        follow=True,
    )
    return_file = ReturnFile.objects.get()
    assert done.redirect_chain == [(f"/billing/bank-returns/{return_file.pk}/", 302)]  # the file's page
    assert b"CB.RET" in done.content and b"Return file imported." in done.content
    boleto.refresh_from_db()
    assert boleto.status == "paid"
    again = client.post(
        "/billing/bank-returns/upload/",
        {"entity": wallet.entity_id, "file": SimpleUploadedFile("CB.RET", content)},
        follow=True,
    )
    assert b"nothing changed" in again.content and ReturnFile.objects.count() == 1
    assert Client().get("/billing/needs-attention/").status_code == 302


def test_upload_refuses_a_malformed_file_where_it_happens(make_wallet, clerk, clock):
    wallet = make_wallet("237")
    page = staff(clerk, "pt-br").post(
        "/billing/bank-returns/upload/",
        {"entity": wallet.entity_id, "file": SimpleUploadedFile("X.RET", b"not a cnab file\r\n")},
    )
    assert page.status_code == 400
    assert 'class="invalid-feedback d-block" id="id_file_error"' in page.content.decode()


def test_read_only_sees_no_form_or_buttons_and_posts_get_403(viewer, make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")
    invoice = make_invoice("50.00")
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    client = staff(viewer)
    upload = client.get("/billing/bank-returns/upload/")
    assert upload.status_code == 200 and b'type="file"' not in upload.content
    assert client.post("/billing/bank-returns/upload/", {"entity": wallet.entity_id}).status_code == 403
    detail = client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert boleto.digitable_line in detail and "Issue boleto" not in detail and "Create PIX charge" not in detail
    assert client.post(f"/billing/invoices/{invoice.pk}/boleto/", {"wallet": wallet.pk}).status_code == 403
    assert client.post(f"/billing/invoices/{invoice.pk}/pix/").status_code == 403
    # Reading is every role's right: print and PDF.
    assert client.get(f"/billing/boletos/{boleto.pk}/").status_code == 200
    assert client.get(f"/billing/boletos/{boleto.pk}/print/").status_code == 200
    assert client.get(f"/billing/boletos/{boleto.pk}/pdf/")["Content-Type"] == "application/pdf"
    assert Boleto.objects.count() == 1


def test_staff_issue_a_boleto_from_the_invoice_page(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("341")
    invoice = make_invoice("80.00")
    client = staff(clerk)
    before = client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert "No boleto was issued for this invoice." in before and "Issue boleto" in before
    assert f'name="wallet" value="{wallet.pk}"' in before  # the one bank wallet: no choice to make
    issued = client.post(f"/billing/invoices/{invoice.pk}/boleto/", {"wallet": wallet.pk}, HTTP_HX_REQUEST="true")
    boleto = Boleto.objects.get(invoice=invoice)
    card = issued.content.decode()
    assert issued.status_code == 200 and card.lstrip().startswith('<div class="card mt-3" id="invoice-banking">')
    assert f"Boleto {boleto.our_number_display} issued: awaiting registration at the bank." in card
    assert boleto.digitable_line in card and "Awaiting registration" in card
    plain = client.post(f"/billing/invoices/{invoice.pk}/boleto/", {"wallet": wallet.pk})
    assert plain.status_code == 302 and plain["Location"] == f"/billing/invoices/{invoice.pk}/"
    assert Boleto.objects.filter(invoice=invoice).count() == 1  # the open boleto of that wallet, not a second one
    page = client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert boleto.digitable_line in page
    assert "Awaiting registration" in page
    assert f"/billing/boletos/{boleto.pk}/pdf/" in page and f"/billing/boletos/{boleto.pk}/print/" in page
    assert invoice.pix_charges.get().payload in page  # the PIX of the boleto's wallet key, copia e cola
    printed = client.get(f"/billing/boletos/{boleto.pk}/print/")
    assert boleto.digitable_line.encode() in printed.content and b'class="itf"' in printed.content
    detail = client.get(f"/billing/boletos/{boleto.pk}/").content.decode()
    assert 'href="/static/vendor/bootstrap/css/bootstrap.min.css"' in detail
    assert boleto.digitable_line in detail and "Awaiting registration" in detail and "Not sent yet." in detail
    pdf = client.get(f"/billing/boletos/{boleto.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]


def contract_invoice(make_customer, ledger, wallet, amount: str):
    """An invoice of a customer whose contract is billed through `wallet`."""
    customer = make_customer()
    customer_services.contract_create(
        customer=customer, actor=None, billing_day=1, due_day=10, start_date=datetime.date(2025, 1, 1), wallet=wallet
    )
    ledger.charge(customer, amount)
    return ledger.invoice(customer)


def test_invoice_modal_shows_the_boleto_card_and_issues_in_place(make_wallet, make_customer, ledger, clerk, clock):
    make_wallet("237")
    itau = make_wallet("341")
    invoice = contract_invoice(make_customer, ledger, itau, "64.90")
    client = staff(clerk)
    opened = client.get(f"/billing/invoices/{invoice.pk}/modal/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="invoice-banking"' in opened and "No boleto was issued for this invoice." in opened
    assert f'hx-post="/billing/invoices/{invoice.pk}/boleto/"' in opened and "Issue boleto" in opened
    assert f'<option value="{itau.pk}" selected>' in opened  # the contract's wallet comes chosen
    issued = client.post(f"/billing/invoices/{invoice.pk}/boleto/", {"wallet": itau.pk}, HTTP_HX_REQUEST="true")
    boleto = Boleto.objects.get(invoice=invoice)
    assert boleto.wallet_id == itau.pk and boleto.digitable_line in issued.content.decode()
    again = client.get(f"/billing/invoices/{invoice.pk}/modal/", HTTP_HX_REQUEST="true").content.decode()
    assert boleto.digitable_line in again and boleto.our_number_display in again
    assert "Awaiting registration" in again and "payable in up to 30 minutes" in again
    assert f"/billing/boletos/{boleto.pk}/print/" in again and f"/billing/boletos/{boleto.pk}/pdf/" in again
    # The same card, from the same partial, on the invoice page.
    page = client.get(f"/billing/invoices/{invoice.pk}/").content.decode()

    def card(html: str) -> str:
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)  # a new mask each render
        start = html.index('<div class="card mt-3" id="invoice-banking">')
        return html[start : html.index("</textarea>", start)]

    assert card(again) == card(page)


def test_issue_refused_by_the_service_shows_its_message_in_the_card(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")
    invoice = make_invoice("20.00")
    client = staff(clerk, "pt-br")
    assert f'name="wallet" value="{wallet.pk}"' in client.get(f"/billing/invoices/{invoice.pk}/modal/").content.decode()
    services.wallet_update(wallet=wallet, actor=None, is_active=False)  # while the modal is open
    refused = client.post(f"/billing/invoices/{invoice.pk}/boleto/", {"wallet": wallet.pk}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 409
    assert 'role="alert" tabindex="-1" autofocus>Esta carteira está inativa.</div>' in refused.content.decode()
    assert not Boleto.objects.filter(invoice=invoice).exists()


def test_pix_charge_from_the_card_comes_back_in_the_card(make_wallet, make_invoice, clerk, clock):
    invoice = make_invoice("35.00")
    client = staff(clerk)
    url = f"/billing/invoices/{invoice.pk}/pix/"
    assert f'hx-post="{url}"' in client.get(f"/billing/invoices/{invoice.pk}/modal/").content.decode()
    refused = client.post(url, HTTP_HX_REQUEST="true")
    assert refused.status_code == 409 and "No bank wallet of this company has a PIX key." in refused.content.decode()
    assert not invoice.pix_charges.exists()
    make_wallet("001")
    created = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="invoice-banking"' in created and "PIX charge created." in created
    assert invoice.pix_charges.get().payload in created and "Create PIX charge" not in created


def test_void_invoice_modal_has_no_boleto_card_nor_issue_action(make_wallet, make_customer, ledger, clerk, clock):
    from quita.billing import services as billing_services

    wallet = make_wallet("237")
    plain = contract_invoice(make_customer, ledger, wallet, "30.00")
    billing_services.invoice_void(invoice_id=plain.pk, actor=clerk, reason="duplicada")
    client = staff(clerk)
    opened = client.get(f"/billing/invoices/{plain.pk}/modal/", HTTP_HX_REQUEST="true").content.decode()
    assert f"Invoice {plain.number}" in opened
    assert 'id="invoice-banking"' not in opened and "Issue boleto" not in opened and "/boleto/" not in opened
    # A boleto issued before the invoice was voided stays in sight (it may still be paid), without the action.
    with_boleto = contract_invoice(make_customer, ledger, wallet, "40.00")
    boleto = services.boleto_issue(invoice_id=with_boleto.pk, wallet_id=wallet.pk, actor=clerk)
    billing_services.invoice_void(invoice_id=with_boleto.pk, actor=clerk, reason="duplicada")
    opened = client.get(f"/billing/invoices/{with_boleto.pk}/modal/", HTTP_HX_REQUEST="true").content.decode()
    assert boleto.digitable_line in opened and "Issue boleto" not in opened and "Create PIX charge" not in opened
    refused = client.post(f"/billing/invoices/{with_boleto.pk}/boleto/", {"wallet": wallet.pk}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 409 and f"Invoice {with_boleto.number} is void." in refused.content.decode()


def test_staff_pix_charge_without_boleto(make_wallet, make_invoice, clerk, clock):
    make_wallet("001")
    invoice = make_invoice("30.00")
    client = staff(clerk)
    response = client.post(f"/billing/invoices/{invoice.pk}/pix/")
    assert response.status_code == 302
    charge = invoice.pix_charges.get()
    assert brcode.parse(charge.payload)["amount"] == "30.00"
    assert charge.payload in client.get(f"/billing/invoices/{invoice.pk}/").content.decode()


def test_another_entitys_boleto_is_404(make_wallet, make_invoice, clerk, other_entity, clock):
    wallet = make_wallet("237")
    boleto = services.boleto_issue(invoice_id=make_invoice("10.00").pk, wallet_id=wallet.pk, actor=clerk)
    outsider = staff(make_user("outsider", other_entity, Role.ADMINISTRATOR))
    assert outsider.get(f"/billing/boletos/{boleto.pk}/").status_code == 404
    assert outsider.get(f"/billing/boletos/{boleto.pk}/print/").status_code == 404
    assert boleto.our_number_display not in outsider.get("/billing/boletos/").content.decode()
    assert outsider.get(f"/billing/boletos/{boleto.pk}/pdf/").status_code == 404
    assert outsider.post(f"/billing/invoices/{boleto.invoice_id}/boleto/", {"wallet": wallet.pk}).status_code == 404


def test_boleto_list_filters_and_search(make_wallet, make_invoice, clerk, clock, ledger):
    wallet = make_wallet("237")
    first = services.boleto_issue(invoice_id=make_invoice("10.00").pk, wallet_id=wallet.pk, actor=clerk)
    second = services.boleto_issue(invoice_id=make_invoice("20.00").pk, wallet_id=wallet.pk, actor=clerk)
    ledger.pay(second.invoice, method="cash")  # the boleto stays open at the bank until the next remittance
    Boleto.objects.filter(pk=second.pk).update(status="paid")
    client = staff(clerk)
    every = client.get("/billing/boletos/").content.decode()
    assert first.our_number_display in every and second.our_number_display in every
    paid = client.get("/billing/boletos/?status=paid").content.decode()
    assert second.our_number_display in paid and first.our_number_display not in paid
    found = client.get("/billing/boletos/", {"q": first.digitable_line}).content.decode()
    assert first.our_number_display in found and second.our_number_display not in found
    by_invoice = client.get("/billing/boletos/", {"q": second.invoice.number}).content.decode()
    assert second.our_number_display in by_invoice and first.our_number_display not in by_invoice


def test_needs_attention_list_and_resolve(make_wallet, clerk, viewer, clock):
    wallet = make_wallet("237")
    services.pix_received(
        entity_id=wallet.entity_id,
        end_to_end_id="E0000000020250210000000000000001",
        txid="UNKNOWN1",
        amount="12.34",
        paid_at=clock.now,
    )
    item = AttentionItem.objects.get()
    listed = staff(clerk).get("/billing/needs-attention/").content.decode()
    assert "PIX for an unknown txid" in listed and "R$" in listed and "Resolve" in listed
    assert ">Resolve</button>" not in staff(viewer).get("/billing/needs-attention/").content.decode()
    assert staff(viewer).post(f"/billing/needs-attention/{item.pk}/resolve/", {"resolution": "x"}).status_code == 403
    resolved = staff(clerk).post(f"/billing/needs-attention/{item.pk}/resolve/", {"resolution": "Refunded by PIX"})
    assert resolved.status_code == 302
    item.refresh_from_db()
    assert item.resolved_at is not None and item.resolution == "Refunded by PIX"
    assert "Refunded by PIX" not in staff(clerk).get("/billing/needs-attention/").content.decode()
    assert "Refunded by PIX" in staff(clerk).get("/billing/needs-attention/?state=resolved").content.decode()


def test_navigation_has_the_banking_pages_under_billing(clerk, entity):
    html = staff(clerk, "pt-br").get("/billing/invoices/").content.decode()
    assert 'href="/billing/bank-returns/"' in html and 'href="/billing/needs-attention/"' in html
    assert 'href="/billing/boletos/"' in html and 'href="/billing/remittances/"' in html
    assert "Arquivos de retorno" in html and "Arquivos de remessa" in html


def test_contract_wallet_screen(entity, make_customer, make_wallet, clerk, viewer, clock):
    chooser = services.wallet_create(entity=entity, actor=None, name="Fatura", kind="invoice")
    bradesco = make_wallet("237")
    customer = make_customer()
    contract = customer_services.contract_create(
        customer=customer, actor=None, billing_day=1, due_day=10, start_date=datetime.date(2025, 1, 1)
    )
    client = staff(clerk)
    overview = client.get(f"/customers/{customer.pk}/").content.decode()
    url = f"/customers/{customer.pk}/contracts/{contract.pk}/"
    assert f'href="{url}"' in overview
    page = client.get(url).content.decode()
    assert "Billing" in page and f'value="{chooser.pk}"' in page and f'value="{bradesco.pk}"' in page
    assert "the subscriber chooses the bank" in page
    saved = client.post(url, {"wallet": chooser.pk})
    assert saved.status_code == 302 and saved["Location"] == url
    contract.refresh_from_db()
    assert contract.wallet == chooser
    assert "Fatura" in client.get(f"/customers/{customer.pk}/").content.decode()
    assert ActivityLog.objects.filter(object_id=contract.pk, action="update").exists()
    # Read-only: the form is disabled, no save button, a post is 403 and changes nothing.
    seen = staff(viewer).get(url).content.decode()
    assert "<fieldset disabled>" in seen and ">Save</button>" not in seen
    assert staff(viewer).post(url, {"wallet": bradesco.pk}).status_code == 403
    contract.refresh_from_db()
    assert contract.wallet == chooser
    cleared = client.post(url, {"wallet": ""})
    assert cleared.status_code == 302
    contract.refresh_from_db()
    assert contract.wallet is None


def test_contract_wallet_screen_refuses_another_entitys_wallet(
    entity, other_entity, make_customer, make_wallet, clerk, clock
):
    foreign = make_wallet("237", target=other_entity)
    customer = make_customer()
    contract = customer_services.contract_create(
        customer=customer, actor=None, billing_day=1, due_day=10, start_date=datetime.date(2025, 1, 1)
    )
    page = staff(clerk).post(f"/customers/{customer.pk}/contracts/{contract.pk}/", {"wallet": foreign.pk})
    assert page.status_code == 422
    contract.refresh_from_db()
    assert contract.wallet is None
