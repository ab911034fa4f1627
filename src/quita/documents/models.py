"""Each entity's look on paper: logo, colours, address, footer, and (optionally) its own invoice template."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from quita.core.models import Entity

colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour as #RRGGBB."), code="invalid_colour")


class EntityBranding(models.Model):
    """What an entity's documents show besides its legal name and CNPJ (which live on the Entity).

    `invoice_template` is a Django template kept as data: blank means the file `documents/invoice.html`;
    otherwise it replaces it, and usually starts with `{% extends "documents/invoice.html" %}` and overrides
    only the blocks it needs (see docs/decisions/0015).
    """

    entity = models.OneToOneField(Entity, on_delete=models.CASCADE, related_name="branding", verbose_name=_("entity"))
    logo = models.FileField(_("logo"), upload_to="branding/", blank=True, help_text=_("PNG, JPEG or SVG."))
    primary_colour = models.CharField(_("primary colour"), max_length=7, default="#0d6efd", validators=[colour])
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#198754", validators=[colour])
    street = models.CharField(_("street"), max_length=200, blank=True)
    number = models.CharField(_("number"), max_length=20, blank=True)
    complement = models.CharField(_("complement"), max_length=100, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=2, blank=True)
    postal_code = models.CharField(_("CEP"), max_length=8, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("Shown on documents and used as Reply-To."))
    website = models.CharField(_("website"), max_length=200, blank=True)
    footer = models.TextField(_("footer"), blank=True, help_text=_("Printed at the foot of every page."))
    invoice_template = models.TextField(
        _("invoice template"),
        blank=True,
        help_text=_('A Django template; blank uses the default. Start with {% extends "documents/invoice.html" %}.'),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("entity branding")
        verbose_name_plural = _("entity brandings")

    def __str__(self) -> str:
        return str(self.entity)
