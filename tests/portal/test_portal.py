"""The subscriber portal: login with CPF/CNPJ, rate limits, the e-mailed access link, own data only."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from quita.core.models import Role
from quita.documents.formats import document_format
from quita.notifications.models import Email
from quita.portal import services
from quita.portal.models import LoginAttempt, SubscriberAccount
from tests.conftest import make_user
from tests.documents.conftest import pdf_text
from tests.portal.conftest import PASSWORD, login


def test_login_with_formatted_cpf_lands_on_the_invoices(client, account, maria, invoices):
    response = login(client, document_format(maria.document))
    assert response.status_code == 302 and response["Location"] == "/portal/"
    page = client.get("/portal/")
    assert page.status_code == 200
    html = page.content.decode()
    assert invoices["open"].number in html
    assert "R$\xa099,90" in html
    assert invoices["other"].number not in html
    assert "Olá, Maria" in html  # pt-BR by default


def test_wrong_password_is_refused_and_recorded(client, account, maria):
    response = login(client, maria.document, "wrong")
    assert response.status_code == 200
    assert "CPF/CNPJ ou senha incorretos" in response.content.decode()
    assert client.get("/portal/").status_code == 302
    assert LoginAttempt.objects.filter(document=maria.document, succeeded=False).count() == 1


def test_failed_logins_are_limited_per_account(client, account, maria):
    for _ in range(services.LOGIN_FAILURES_PER_ACCOUNT):
        assert login(client, maria.document, "wrong").status_code == 200
    blocked = login(client, maria.document)  # even the right password, until the window passes
    assert blocked.status_code == 429
    assert client.get("/portal/").status_code == 302
    # Another address does not help: the limit is the account's.
    other = client.__class__(REMOTE_ADDR="10.9.9.9")
    assert login(other, maria.document).status_code == 429


def test_window_passes(client, account, maria, clock):
    import datetime

    for _ in range(services.LOGIN_FAILURES_PER_ACCOUNT):
        login(client, maria.document, "wrong")
    clock.set(clock.now + services.LOGIN_WINDOW + datetime.timedelta(seconds=1))
    assert login(client, maria.document).status_code == 302


def test_failed_logins_are_limited_per_ip(client, account, maria):
    for n in range(services.LOGIN_FAILURES_PER_IP):
        login(client, f"{n:011d}", "wrong")  # many documents from one address
    assert login(client, maria.document).status_code == 429
    elsewhere = client.__class__(REMOTE_ADDR="10.1.2.3")
    assert login(elsewhere, maria.document).status_code == 302


def test_another_customers_invoice_is_404(client, account, maria, invoices):
    login(client, maria.document)
    assert client.get(f"/portal/invoices/{invoices['other'].pk}/").status_code == 404
    assert client.get(f"/portal/invoices/{invoices['other'].pk}/pdf/").status_code == 404
    assert client.get("/portal/invoices/999999/").status_code == 404


def test_invoice_page_and_pdf(client, account, maria, invoices):
    login(client, maria.document)
    invoice = invoices["open"]
    page = client.get(f"/portal/invoices/{invoice.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert invoice.number in html and "R$\xa099,90" in html and "25/02/2025" in html
    assert 'id="pay-card"' in html and 'id="pay-boleto-pix"' in html
    assert f"/portal/invoices/{invoice.pk}/pdf/" in html
    pdf = client.get(f"/portal/invoices/{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert invoice.number in text and "R$\xa099,90" in text
    paid = client.get(f"/portal/invoices/{invoices['paid'].pk}/").content.decode()
    assert 'id="pay-card"' not in paid  # nothing to pay


def test_lists_and_history(client, account, maria, invoices):
    login(client, maria.document)
    paid = client.get("/portal/invoices/?status=paid").content.decode()
    assert invoices["paid"].number in paid and invoices["open"].number not in paid
    assert invoices["open"].number in client.get("/portal/invoices/?status=open").content.decode()
    history = client.get("/portal/transactions/").content.decode()
    assert "Fibra 300 Mega" in history and "Móvel 15 GB" not in history
    assert "Pagamento da fatura" in history
    assert client.get("/portal/cards/").status_code == 200


def test_pay_link_lands_on_the_invoice_after_login(client, account, maria, invoices):
    invoice = invoices["open"]
    path = f"/portal/invoices/{invoice.pk}/"
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/portal/login/?next=%2Fportal%2Finvoices%2F{invoice.pk}%2F"
    page = client.get(response["Location"])
    assert f'value="{path}"' in page.content.decode()
    landed = login(client, maria.document, next_url=path)
    assert landed["Location"] == path
    # Somewhere else is not followed.
    client.post("/portal/logout/")
    assert login(client, maria.document, next_url="https://evil.example/")["Location"] == "/portal/"


def test_a_subscriber_is_not_staff(client, account, maria, invoices):
    login(client, maria.document)
    assert client.get(f"/billing/invoices/{invoices['open'].pk}/pdf/").status_code == 302
    assert client.get("/api/invoices/").status_code in (401, 403)


def _link(message) -> str:
    return re.search(r"http://[^\s]+/portal/access/[^\s]+/", message.body).group(0)


def test_access_link_sets_the_password_once(client, entity, maria, invoices, django_capture_on_commit_callbacks):
    clerk = make_user("clerk2", entity, Role.BILLING_CLERK)
    with django_capture_on_commit_callbacks(execute=True):
        record = services.portal_access_send(customer=maria, actor=clerk)
    assert record.kind == "portal_access"
    (message,) = mail.outbox
    assert message.to == maria.emails
    link = _link(message)
    path = link.split("8000", 1)[1]
    assert path.split("/")[-2] not in Email.objects.get(pk=record.pk).data.values()  # the token is not stored
    step = client.get(path)
    assert step.status_code == 302 and step["Location"].endswith("/set-password/")
    form = client.get(step["Location"])
    assert form.status_code == 200
    weak = client.post(step["Location"], {"password": "123", "confirmation": "123"})
    assert weak.status_code == 200 and SubscriberAccount.objects.get().has_usable_password() is False
    done = client.post(step["Location"], {"password": PASSWORD, "confirmation": PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200
    # The link worked once.
    other = client.__class__()
    again = other.get(path)
    assert other.get(again["Location"]).status_code == 400
    client.post("/portal/logout/")
    assert login(client, maria.document).status_code == 302


def test_self_service_access_request_tells_nothing(client, maria, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post("/portal/access/", {"document": "529.982.247-25"})
    assert unknown.status_code == 200 and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/portal/access/", {"document": document_format(maria.document)})
    sent = "Se este CPF/CNPJ"
    assert sent in known.content.decode() and sent in unknown.content.decode()  # the same answer
    (message,) = mail.outbox
    assert "/portal/access/" in message.body


def test_password_change_ends_other_sessions(client, account, maria):
    login(client, maria.document)
    account.set_password("Outra-Senha-Forte-9")
    account.save()
    assert client.get("/portal/").status_code == 302


@pytest.mark.parametrize("path", ["/portal/login/", "/portal/access/"])
def test_public_pages_render(client, path, db):
    assert client.get(path).status_code == 200


def test_portal_access_command(maria, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("portal-access", str(maria.pk), stdout=out)
    assert "maria@example.com" in out.getvalue()
    (message,) = mail.outbox
    assert "/portal/access/" in message.body and message.subject.startswith("Fibra Sul:")
