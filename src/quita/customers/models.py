"""Customers, what they buy (products, contracts, services) and the categories of what is billed."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from stdnum.br import cnpj as cnpj_number
from stdnum.br import cpf as cpf_number

from quita.core.models import Entity
from quita.core.money import MoneyField


class Category(models.Model):
    """What a charge is for (Internet, Mobile, TV, Other). Data, not code: add rows to add categories."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PersonType(models.TextChoices):
    INDIVIDUAL = "PF", _("Individual (PF)")
    COMPANY = "PJ", _("Company (PJ)")


def validate_document(person_type: str, document: str) -> str:
    """Check a CPF (PF) or CNPJ (PJ) with python-stdnum and return its digits."""
    module = cpf_number if person_type == PersonType.INDIVIDUAL else cnpj_number
    digits = "".join(ch for ch in (document or "") if ch.isdigit())
    # python-stdnum accepts documents of one repeated digit (111.111.111-11), which the Receita never issues.
    if not module.is_valid(document or "") or len(set(digits)) == 1:
        label = "CPF" if person_type == PersonType.INDIVIDUAL else "CNPJ"
        raise ValidationError(_("Invalid %(label)s.") % {"label": label}, code=f"invalid_{label.lower()}")
    return module.compact(document)


class Customer(models.Model):
    """A subscriber: a person (CPF) or a company (CNPJ) billed by one entity."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="customers", verbose_name=_("entity"))
    person_type = models.CharField(_("person type"), max_length=2, choices=PersonType.choices)
    document = models.CharField(_("CPF/CNPJ"), max_length=14, help_text=_("Digits only."))
    name = models.CharField(_("name"), max_length=200)
    trade_name = models.CharField(_("trade name"), max_length=200, blank=True)
    emails = models.JSONField(_("e-mails"), default=list, blank=True)
    phones = models.JSONField(_("phones"), default=list, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    number = models.CharField(_("number"), max_length=20, blank=True)
    complement = models.CharField(_("complement"), max_length=100, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=2, blank=True)
    postal_code = models.CharField(_("CEP"), max_length=8, blank=True)
    condominium = models.CharField(_("condominium"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "document"], name="customer_unique_document"),
            models.CheckConstraint(condition=Q(person_type__in=PersonType.values), name="customer_person_type_valid"),
        ]
        indexes = [models.Index(fields=["entity", "name"], name="customer_entity_name_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            self.document = validate_document(self.person_type, self.document)
        except ValidationError as error:
            raise ValidationError({"document": error}) from None


class Product(models.Model):
    """A plan or product with a recurring monthly price."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="products", verbose_name=_("entity"))
    name = models.CharField(_("name"), max_length=120)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    price = MoneyField(_("recurring price"), validators=[MinValueValidator(0)])
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative")]

    def __str__(self) -> str:
        return self.name


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED_DEBT = "suspended_debt", _("Suspended for debt")
    SUSPENDED_TEMPORARY = "suspended_temporary", _("Suspended temporarily")
    CANCELLED = "cancelled", _("Cancelled")


class Contract(models.Model):
    """A customer's agreement to be billed: on which day the period is billed and on which day it is due."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("entity"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("customer")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    billing_day = models.PositiveSmallIntegerField(
        _("billing day"),
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("Day of the month the period is billed; 29-31 bill on the last day of shorter months."),
    )
    due_day = models.PositiveSmallIntegerField(_("due day"), validators=[MinValueValidator(1), MaxValueValidator(31)])
    status = models.CharField(_("status"), max_length=24, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    # The carteira boletos are issued from; a wallet of kind "invoice" lets the subscriber choose the bank.
    wallet = models.ForeignKey(
        "banking.Wallet",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("wallet"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(billing_day__gte=1, billing_day__lte=31), name="contract_billing_day"),
            models.CheckConstraint(condition=Q(due_day__gte=1, due_day__lte=31), name="contract_due_day"),
            models.CheckConstraint(condition=Q(status__in=ContractStatus.values), name="contract_status_valid"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="contract_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["entity", "billing_day", "status", "customer"], name="contract_billing_idx"),
            models.Index(fields=["end_date"], condition=Q(end_date__isnull=False), name="contract_end_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer}"


class Service(models.Model):
    """A contract line: a product at a price, in a category, from a start date to an optional end date."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="services", verbose_name=_("contract")
    )
    # The contract's customer, copied so the billing run can pick a chunk's services by customer id range
    # through an index (a contract never changes customer; service_create sets it).
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="services", verbose_name=_("customer"), editable=False
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="services", verbose_name=_("product"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    price = MoneyField(_("price"))
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="services", verbose_name=_("category")
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="service_price_not_negative"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="service_end_after_start",
            ),
        ]
        indexes = [
            # The billing run looks up services that start or end within a period (prorated periods).
            models.Index(fields=["start_date"], name="service_start_idx"),
            models.Index(fields=["end_date"], condition=Q(end_date__isnull=False), name="service_end_idx"),
        ]

    def __str__(self) -> str:
        return self.description or self.product.name

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date is before the start date.")})
