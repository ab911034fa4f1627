"""The staff pages of the bank files (banking/web_files.py): remittances (what waits per wallet, write one, the
history and its download, permissions) and the imported return files (list counts and money, one file's records
paged and filtered; the upload leads to it)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from quita.banking import services
from quita.banking.models import Boleto, Remittance, ReturnFile
from quita.core.models import Role
from tests.banking.test_round_trip import bank_return
from tests.conftest import make_user


def staff(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def viewer(entity):
    return make_user("viewer", entity, Role.READ_ONLY)


def _wallet_row(html: str, wallet) -> list[str]:
    """The cells of a wallet's row in "Next remittance" (name, bank, entries, changes, cancellations, number)."""
    row = re.search(rf'<tr data-wallet="{wallet.pk}">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_write_a_remittance_from_the_page_and_download_it(make_wallet, make_invoice, ledger, clerk, clock):
    wallet = make_wallet("237")
    invoices = [make_invoice(amount) for amount in ("50.00", "60.00", "70.00")]
    boletos = [services.boleto_issue(invoice_id=i.pk, wallet_id=wallet.pk, actor=clerk) for i in invoices]
    client = staff(clerk)
    page = client.get("/billing/remittances/").content.decode()
    assert _wallet_row(page, wallet)[2:6] == ["3", "0", "0", "1"]  # three new entries, none else, file number 1
    assert "Write remittance" in page and "No remittance was written yet." in page

    written = client.post("/billing/remittances/", {"wallet": wallet.pk}, follow=True)
    assert written.status_code == 200
    remittance = Remittance.objects.get()
    assert (remittance.record_count, remittance.total_amount, remittance.created_by) == (3, Decimal("180.00"), clerk)
    html = written.content.decode()
    assert f"Remittance {remittance.filename} written (boletos: 3)." in html
    assert f'href="/billing/remittances/{remittance.pk}/file/"' in html and "R$180.00" in html
    assert _wallet_row(html, wallet)[2:6] == ["0", "0", "0", "2"]
    assert not Boleto.objects.exclude(pending_action="").exists()

    download = client.get(f"/billing/remittances/{remittance.pk}/file/")
    assert download.status_code == 200 and download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"] == f'attachment; filename="{remittance.filename}"'
    assert download.content == remittance.content.encode("latin-1") and download.content.startswith(b"01REMESSA")

    # A paid invoice's open boleto is cancelled in the next one; a voided invoice's too.
    ledger.pay(invoices[0])
    ledger.void_invoice(invoices[1])
    page = client.get("/billing/remittances/").content.decode()
    assert _wallet_row(page, wallet)[2:5] == ["0", "0", "2"]
    client.post("/billing/remittances/", {"wallet": wallet.pk})
    second = Remittance.objects.get(number=2)
    assert sorted(second.items.values_list("boleto_id", "action")) == [
        (boletos[0].pk, "cancel"),
        (boletos[1].pk, "cancel"),
    ]


def test_nothing_pending_gives_a_clear_message_and_no_remittance(make_wallet, clerk):
    wallet = make_wallet("237")
    answer = staff(clerk).post("/billing/remittances/", {"wallet": wallet.pk})
    assert answer.status_code == 409
    assert "Carteira 237: There is nothing to send to the bank." in answer.content.decode()
    assert not Remittance.objects.exists()
    wallet.refresh_from_db()
    assert wallet.next_remittance_number == 1


def test_viewer_sees_no_button_and_gets_403(make_wallet, make_invoice, viewer, clerk, other_entity, clock):
    wallet = make_wallet("237")
    services.boleto_issue(invoice_id=make_invoice("50.00").pk, wallet_id=wallet.pk, actor=clerk)
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    remittance = Remittance.objects.get()
    client = staff(viewer)
    page = client.get("/billing/remittances/")
    assert page.status_code == 200 and "Write remittance" not in page.content.decode()
    assert remittance.filename in page.content.decode()
    assert client.get(f"/billing/remittances/{remittance.pk}/file/").status_code == 200
    assert client.post("/billing/remittances/", {"wallet": wallet.pk}).status_code == 403
    assert Remittance.objects.count() == 1
    # Another company's wallet or file: not found.
    stranger = make_user("stranger", other_entity, Role.BILLING_CLERK)
    assert staff(stranger).post("/billing/remittances/", {"wallet": wallet.pk}).status_code == 404
    assert staff(stranger).get(f"/billing/remittances/{remittance.pk}/file/").status_code == 404
    assert staff(stranger).get("/billing/bank-returns/").status_code == 200


@pytest.fixture
def imported(make_wallet, make_invoice, ledger, clerk, clock):
    """Two return files of the Banco do Brasil wallet: the first pays invoice A; the second reports A's payment again
    (duplicate), pays B, pays a void invoice C (needs attention) and confirms D's entry (applied: registered)."""
    wallet = make_wallet("001")  # CNAB 240: its segment U reports the amount credited (CNAB 400 does not)
    invoices = [make_invoice(amount) for amount in ("50.00", "60.00", "70.00", "80.00")]
    boletos = [services.boleto_issue(invoice_id=i.pk, wallet_id=wallet.pk, actor=clerk) for i in invoices]
    ledger.void_invoice(invoices[2])
    paid = {"occurrence": "06", "fee": Decimal("1.50")}
    first = bank_return(wallet, [(boletos[0], {**paid, "paid_amount": Decimal("50.00")})], file_number=1)
    second = bank_return(
        wallet,
        [
            (boletos[0], {**paid, "paid_amount": Decimal("50.00")}),
            (boletos[1], {**paid, "paid_amount": Decimal("60.00")}),
            (boletos[2], {**paid, "paid_amount": Decimal("70.00")}),
            (boletos[3], {"occurrence": "02", "fee": Decimal("0.80")}),
        ],
        file_number=2,
    )
    client = staff(clerk)
    for name, content in (("CB0101.RET", first), ("CB0102.RET", second)):
        answer = client.post(
            "/billing/bank-returns/upload/", {"entity": wallet.entity_id, "file": SimpleUploadedFile(name, content)}
        )
        assert answer.status_code == 302
    return wallet, invoices, boletos, client


def _file_row(html: str, return_file) -> list[str]:
    row = re.search(rf'<tr data-return-file="{return_file.pk}">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_return_file_list_counts_and_totals(imported, clerk):
    _wallet, _invoices, _boletos, client = imported
    first, second = ReturnFile.objects.order_by("id")
    html = client.get("/billing/bank-returns/").content.decode()
    assert html.index("CB0102.RET") < html.index("CB0101.RET")  # newest first
    # records, applied, needing attention, duplicates, rejected lines, paid, fees, credited
    assert _file_row(html, second)[1:] == [
        "CB0102.RET",
        "001 Banco do Brasil · CNAB 240",
        "clerk",
        "4",
        "2",
        "1",
        "1",
        "0",
        "R$180.00",
        "R$5.30",
        "R$175.50",
    ]
    assert _file_row(html, first)[4:] == ["1", "1", "0", "0", "0", "R$50.00", "R$1.50", "R$48.50"]
    assert f'href="/billing/bank-returns/{second.pk}/"' in html


def test_upload_leads_to_the_file_page_with_records_paged(imported, clerk, monkeypatch):
    wallet, invoices, boletos, client = imported
    second = ReturnFile.objects.get(filename="CB0102.RET")
    # Uploading the same file again lands on the same page, saying nothing changed.
    again = client.post(
        "/billing/bank-returns/upload/",
        {"entity": wallet.entity_id, "file": SimpleUploadedFile("X.RET", second.content.encode("latin-1"))},
        follow=True,
    )
    assert again.redirect_chain == [(f"/billing/bank-returns/{second.pk}/", 302)]
    html = again.content.decode()
    assert "This file was imported before: nothing changed." in html
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert counts == {"records": "4", "applied": "2", "attention": "1", "duplicates": "1", "rejected": "0"}
    lines = re.findall(r'<tr data-line="(\d+)">', html)
    assert len(lines) == 4 and lines == sorted(lines, key=int)
    assert f'href="/billing/boletos/{boletos[1].pk}/"' in html and f'href="/billing/invoices/{invoices[1].pk}/"' in html
    assert "Paid a void invoice" in html and "Already received in another file" in html

    monkeypatch.setattr("quita.banking.web_files.RECORDS_PER_PAGE", 3)
    first_page = client.get(f"/billing/bank-returns/{second.pk}/").content.decode()
    assert re.findall(r'<tr data-line="(\d+)">', first_page) == lines[:3] and "?page=2" in first_page
    last_page = client.get(f"/billing/bank-returns/{second.pk}/?page=2").content.decode()
    assert re.findall(r'<tr data-line="(\d+)">', last_page) == lines[3:]
    attention = client.get(f"/billing/bank-returns/{second.pk}/?outcome=attention").content.decode()
    assert len(re.findall(r'<tr data-line="\d+">', attention)) == 1 and "Paid a void invoice" in attention
    assert client.get("/billing/bank-returns/999999/").status_code == 404


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_pages_read_in_a_fixed_number_of_queries(imported, clerk):
    """Counts and totals come from grouped queries: more files, records or remittances, the same queries."""
    wallet, _invoices, boletos, client = imported
    first, second = ReturnFile.objects.order_by("id")
    assert _queries(client, f"/billing/bank-returns/{first.pk}/") == _queries(
        client, f"/billing/bank-returns/{second.pk}/"
    )
    listed = _queries(client, "/billing/bank-returns/")
    services.return_import(
        entity_id=wallet.entity_id,
        content=bank_return(wallet, [(boletos[3], {"occurrence": "02"})], file_number=3),
        filename="CB0103.RET",
        actor=clerk,
    )
    assert _queries(client, "/billing/bank-returns/") == listed
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    written = _queries(client, "/billing/remittances/")
    Boleto.objects.filter(pk=boletos[3].pk).update(pending_action="change")
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    assert _queries(client, "/billing/remittances/") == written


def test_cnab_400_files_say_the_credited_amount_is_not_reported(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")
    boleto = services.boleto_issue(invoice_id=make_invoice("50.00").pk, wallet_id=wallet.pk, actor=clerk)
    content = bank_return(wallet, [(boleto, {"occurrence": "06", "paid_amount": Decimal("50.00")})])
    return_file = services.return_import(
        entity_id=wallet.entity_id, content=content, filename="CB.RET", actor=clerk
    ).return_file
    client = staff(clerk)
    row = _file_row(client.get("/billing/bank-returns/").content.decode(), return_file)
    assert row[9:] == ["R$50.00", "R$1.50", "—"]
    detail = client.get(f"/billing/bank-returns/{return_file.pk}/").content.decode()
    assert "CNAB 400 return files do not report the amount credited." in detail
