"""Subscribers' logins to the portal, apart from staff users, and the record of login attempts."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from quita.customers.models import Customer


class SubscriberAccount(AbstractBaseUser):
    """A subscriber's portal login: one per CPF/CNPJ, with a password hashed by Django's hashers.

    Not a staff user (not AUTH_USER_MODEL): a subscriber can never reach the staff UI, the admin or the API.
    It sees the customers linked to it: every customer with its document, in any entity of this Quita
    (one ISP may bill through several CNPJs). The links are refreshed at each login. See docs/decisions/0017.
    """

    document = models.CharField(_("CPF/CNPJ"), max_length=14, unique=True, help_text=_("Digits only."))
    customers = models.ManyToManyField(Customer, related_name="portal_accounts", verbose_name=_("customers"))
    is_active = models.BooleanField(_("active"), default=True)
    password_set_at = models.DateTimeField(_("password set at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    USERNAME_FIELD = "document"

    class Meta:
        verbose_name = _("subscriber account")
        verbose_name_plural = _("subscriber accounts")

    def __str__(self) -> str:
        return self.document


class LoginAttempt(models.Model):
    """One portal login attempt; failures in the last minutes limit further attempts per account and per IP."""

    document = models.CharField(_("CPF/CNPJ"), max_length=14)
    ip = models.GenericIPAddressField(_("IP address"))
    at = models.DateTimeField(_("when"))
    succeeded = models.BooleanField(_("succeeded"), default=False)

    class Meta:
        verbose_name = _("login attempt")
        verbose_name_plural = _("login attempts")
        indexes = [
            models.Index(fields=["document", "at"], name="portal_attempt_document_idx"),
            models.Index(fields=["ip", "at"], name="portal_attempt_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.document} {self.ip} {self.at:%Y-%m-%d %H:%M}"
