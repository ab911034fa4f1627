"""Subscriber accounts: access e-mails, setting the password, and logging in with a rate limit.

Login attempts are written outside any surrounding transaction (autocommit), so a refused attempt is
counted even though the call raises. Limits: LOGIN_FAILURES_PER_ACCOUNT failures of one CPF/CNPJ, or
LOGIN_FAILURES_PER_IP failures from one address, within LOGIN_WINDOW refuse further attempts until the
window has passed (a success clears the account's count, not the address's).
"""

from __future__ import annotations

import datetime
import uuid

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from quita.core.activity import activity_record
from quita.core.errors import DomainError, ValidationFailed
from quita.core.models import ActivityAction
from quita.core.permissions import ensure_permission
from quita.customers.models import Customer
from quita.notifications.models import Email, EmailKind
from quita.notifications.services import email_queue
from quita.portal.models import LoginAttempt, SubscriberAccount
from quita.portal.tokens import access_token, uid_decode

LOGIN_WINDOW = datetime.timedelta(minutes=15)
LOGIN_FAILURES_PER_ACCOUNT = 5
LOGIN_FAILURES_PER_IP = 20


class LoginRefused(DomainError):
    status = 400
    code = "portal_invalid_credentials"
    default_detail = _("CPF/CNPJ or password incorrect.")


class LoginThrottled(DomainError):
    status = 429
    code = "portal_login_throttled"
    default_detail = _("Too many failed attempts. Wait a few minutes and try again.")


def document_clean(value: str) -> str:
    """The digits of a CPF/CNPJ as typed (dots, dashes and slashes ignored)."""
    return "".join(ch for ch in (value or "") if ch.isdigit())[:14]


def account_link_customers(account: SubscriberAccount) -> list[int]:
    """Link the account to every customer with its document; returns their ids."""
    ids = list(Customer.objects.filter(document=account.document).values_list("pk", flat=True))
    account.customers.set(ids)
    return ids


def _account_for(document: str) -> SubscriberAccount:
    account, created = SubscriberAccount.objects.get_or_create(document=document)
    if created:
        account.set_unusable_password()
        account.save(update_fields=["password"])
    return account


def _queue_access_email(*, account: SubscriberAccount, customer: Customer, actor, to: list[str]) -> Email:
    email, _created = email_queue(
        entity=customer.entity,
        kind=EmailKind.PORTAL_ACCESS,
        to=to,
        key=f"portal_access:{account.pk}:{uuid.uuid4().hex}",
        actor=actor,
        customer=customer,
        data={"account": account.pk},
        subject=str(_("Your access to the subscriber portal")),
    )
    return email


@transaction.atomic
def portal_access_send(*, customer: Customer, actor) -> Email:
    """Staff: e-mail the customer a link to set (or reset) their portal password."""
    ensure_permission(actor=actor, entity=customer.entity_id, action="manage_customers")
    if not customer.emails:
        raise ValidationFailed(_("The customer has no e-mail address."), code="customer_without_email")
    account = _account_for(customer.document)
    account_link_customers(account)
    email = _queue_access_email(account=account, customer=customer, actor=actor, to=list(customer.emails))
    activity_record(
        entity_id=customer.entity_id,
        actor=actor,
        action=ActivityAction.CREATE,
        obj=email,
        customer_id=customer.pk,
        summary=_("Portal access link e-mailed to %(to)s") % {"to": ", ".join(customer.emails)},
    )
    return email


def _throttled(document: str, ip: str, now: datetime.datetime) -> bool:
    since = now - LOGIN_WINDOW
    if LoginAttempt.objects.filter(ip=ip, at__gte=since, succeeded=False).count() >= LOGIN_FAILURES_PER_IP:
        return True
    last_success = LoginAttempt.objects.filter(document=document, succeeded=True).aggregate(at=Max("at"))["at"]
    if last_success and last_success > since:
        since = last_success
    failures = LoginAttempt.objects.filter(document=document, at__gte=since, succeeded=False).count()
    return failures >= LOGIN_FAILURES_PER_ACCOUNT


def portal_access_request(*, document: str, ip: str) -> None:
    """A subscriber asks for the link ("first access / forgot password"). Says nothing about whether the
    CPF/CNPJ exists: the link goes to the e-mails already on file, if there are any. Rate limited like logins."""
    document = document_clean(document)
    now = timezone.now()
    if _throttled(document, ip, now):
        raise LoginThrottled()
    LoginAttempt.objects.create(document=document, ip=ip, at=now, succeeded=False)
    customers = [c for c in Customer.objects.filter(document=document, is_active=True).order_by("pk") if c.emails]
    if not document or not customers:
        return
    with transaction.atomic():
        account = _account_for(document)
        account_link_customers(account)
        to = []
        for customer in customers:
            to += [address for address in customer.emails if address not in to]
        _queue_access_email(account=account, customer=customers[0], actor=None, to=to)


def portal_account_from_token(uidb64: str, token: str) -> SubscriberAccount | None:
    pk = uid_decode(uidb64)
    account = SubscriberAccount.objects.filter(pk=pk, is_active=True).first() if pk else None
    if account is None or not access_token.check_token(account, token):
        return None
    return account


@transaction.atomic
def portal_password_set(*, account: SubscriberAccount, password: str, confirmation: str) -> SubscriberAccount:
    """Set the password (Django's validators apply); the access link stops working."""
    if password != confirmation:
        raise ValidationFailed(
            _("The two passwords differ."), code="passwords_differ", fields={"confirmation": [_("Type it again.")]}
        )
    try:
        password_validation.validate_password(password, user=account)
    except DjangoValidationError as error:
        raise ValidationFailed(
            " ".join(error.messages), code="password_too_weak", fields={"password": error.messages}
        ) from None
    account.set_password(password)
    account.password_set_at = timezone.now()
    account.save(update_fields=["password", "password_set_at"])
    for customer in account.customers.all():
        activity_record(
            entity_id=customer.entity_id,
            actor=None,
            action=ActivityAction.UPDATE,
            obj=account,
            customer_id=customer.pk,
            summary=_("Portal password set"),
        )
    return account


@transaction.atomic
def portal_account_open(*, customer: Customer, actor, password: str) -> SubscriberAccount:
    """Open (or reset) the portal account of the customer's CPF/CNPJ with a given password.

    For set-up by the system (`quita demo`'s subscriber login); people choose their own password through the
    e-mailed link (`portal_access_send`). Django's password validators apply.
    """
    ensure_permission(actor=actor, entity=customer.entity_id, action="manage_customers")
    account = _account_for(customer.document)
    account_link_customers(account)
    return portal_password_set(account=account, password=password, confirmation=password)


def portal_login(*, document: str, password: str, ip: str) -> SubscriberAccount:
    """Check a CPF/CNPJ and password; every attempt is recorded and the limits are checked first."""
    document = document_clean(document)
    now = timezone.now()
    if _throttled(document, ip, now):
        raise LoginThrottled()
    account = SubscriberAccount.objects.filter(document=document, is_active=True).first() if document else None
    if account is None:
        SubscriberAccount().set_password(password)  # the same hashing time whether or not the account exists
        ok = False
    else:
        ok = account.check_password(password)
    LoginAttempt.objects.create(document=document, ip=ip, at=now, succeeded=ok)
    if not ok:
        raise LoginRefused()
    account.last_login = now
    account.save(update_fields=["last_login"])
    account_link_customers(account)
    return account
