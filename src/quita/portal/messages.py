"""The portal access e-mail ("set your password"), built when sent so the token is never stored."""

from __future__ import annotations

from django.conf import settings

from quita.documents.selectors import branding_for
from quita.notifications.messages import Message, render_email
from quita.portal.models import SubscriberAccount
from quita.portal.tokens import access_token, uid_encode


def access_url(account: SubscriberAccount) -> str:
    base = settings.QUITA_BASE_URL.rstrip("/")
    return f"{base}/portal/access/{uid_encode(account.pk)}/{access_token.make_token(account)}/"


def portal_access_message(email) -> Message:
    account = SubscriberAccount.objects.get(pk=email.data["account"])
    customer = email.customer
    entity = email.entity
    branding = branding_for(entity)
    context = {
        "entity": entity,
        "customer": customer,
        "branding": branding,
        "access_url": access_url(account),
        "has_password": account.has_usable_password(),
        "login_url": f"{settings.QUITA_BASE_URL.rstrip('/')}/portal/login/",
    }
    subject, text, html = render_email(entity=entity, kind=email.kind, language=email.language, context=context)
    return Message(subject=subject, body_text=text, body_html=html, reply_to=[branding.email] if branding.email else [])
