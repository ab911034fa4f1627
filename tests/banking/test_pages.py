"""The printable boleto (ITF barcode decoded back, PIX QR), the subscriber's bank-choice flow, the staff upload."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from quita.banking import services
from quita.banking.models import Boleto
from quita.banking.pix import brcode
from quita.banking.portal_views import invoice_pay_url
from quita.banking.printing import boleto_context, itf_svg
from quita.customers import services as customer_services
from tests.banking.test_round_trip import bank_return

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


def test_portal_flow_pick_a_bank_then_print(chooser_invoice, clock):
    client = Client()
    url = invoice_pay_url(chooser_invoice)
    page = client.get(url)
    assert page.status_code == 200 and b"Pay invoice" in page.content or b"Pagar fatura" in page.content
    banks = client.get(url + "?print=1")
    assert b"Bradesco" in banks.content and "Itaú".encode() in banks.content
    itau = services.bank_choices(chooser_invoice)[1]
    chosen = client.post(url, {"wallet": itau.pk})
    assert chosen.status_code == 302
    boleto = Boleto.objects.get(invoice=chooser_invoice)
    assert boleto.wallet == itau
    printed = client.get(chosen["Location"])
    assert printed.status_code == 200
    assert boleto.digitable_line.encode() in printed.content
    assert b"30" in printed.content and b"<svg" in printed.content
    assert client.get(url.replace(url.split("/")[-2], "forged")).status_code == 404


def test_printable_page_has_the_pix_qr_of_the_wallet_key(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("001")
    boleto = services.boleto_issue(invoice_id=make_invoice("99.90").pk, wallet_id=wallet.pk, actor=clerk)
    context = boleto_context(boleto)
    decoded = brcode.parse(context["pix_payload"])
    assert (decoded["key"], decoded["amount"], decoded["crc_ok"]) == ("cobranca@fibrasul.example", "99.90", True)
    assert context["pix_qr"].startswith("<svg") and context["awaiting"]


def test_staff_upload_page(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")
    boleto = services.boleto_issue(invoice_id=make_invoice("50.00").pk, wallet_id=wallet.pk, actor=clerk)
    from decimal import Decimal

    content = bank_return(wallet, [(boleto, {"occurrence": "06", "paid_amount": Decimal("50.00")})])
    client = Client()
    client.force_login(clerk)
    page = client.post(
        "/billing/bank-returns/upload/", {"entity": wallet.entity_id, "file": SimpleUploadedFile("CB.RET", content)}
    )
    assert page.status_code == 200
    assert b"CB.RET" in page.content
    boleto.refresh_from_db()
    assert boleto.status == "paid"
    assert client.get("/billing/needs-attention/").status_code == 200
    assert Client().get("/billing/needs-attention/").status_code == 302
