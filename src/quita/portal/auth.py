"""The portal's own session login, apart from staff authentication (`django.contrib.auth`).

The session keeps the account id and a hash of its password (as Django does for users), so changing
the password ends the other sessions.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme

from quita.portal.models import SubscriberAccount

SESSION_ACCOUNT = "portal_account"
SESSION_HASH = "portal_account_hash"


def portal_session_login(request, account: SubscriberAccount) -> None:
    request.session.cycle_key()
    request.session[SESSION_ACCOUNT] = account.pk
    request.session[SESSION_HASH] = account.get_session_auth_hash()


def portal_session_logout(request) -> None:
    request.session.pop(SESSION_ACCOUNT, None)
    request.session.pop(SESSION_HASH, None)
    request.session.cycle_key()


def portal_account(request) -> SubscriberAccount | None:
    if hasattr(request, "_portal_account"):
        return request._portal_account
    account = None
    pk = request.session.get(SESSION_ACCOUNT)
    if pk is not None:
        account = SubscriberAccount.objects.filter(pk=pk, is_active=True).first()
        if account is not None and not constant_time_compare(
            request.session.get(SESSION_HASH, ""), account.get_session_auth_hash()
        ):
            account = None
    request._portal_account = account
    return account


def safe_next(request, value: str | None) -> str | None:
    """A `next` address inside the portal on this host, or None."""
    if (
        value
        and value.startswith("/portal/")
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return None


def portal_login_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        account = portal_account(request)
        if account is None:
            return redirect(f"/portal/login/?{urlencode({'next': request.get_full_path()})}")
        request.portal_account = account
        return view(request, *args, **kwargs)

    return wrapper
