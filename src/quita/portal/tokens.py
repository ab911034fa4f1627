"""The signed, expiring token of the "set your password" link (Django's password-reset token machinery).

It is bound to the account's current password hash and last login, so it stops working once used.
"""

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode


class AccessTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "quita.portal.tokens.AccessTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        login = "" if user.last_login is None else user.last_login.replace(microsecond=0, tzinfo=None)
        return f"{user.pk}{user.password}{login}{timestamp}{user.document}"


access_token = AccessTokenGenerator()


def uid_encode(pk: int) -> str:
    return urlsafe_base64_encode(force_bytes(pk))


def uid_decode(value: str) -> int | None:
    try:
        return int(urlsafe_base64_decode(value).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
