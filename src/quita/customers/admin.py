"""Admin for customers, products, contracts and services: every add and change goes through the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from quita.core.admin import ServiceBackedAdmin, ServiceBackedForm
from quita.customers import services as customer_services
from quita.customers.models import Category, Contract, Customer, Product, Service


class ListAsTextField(forms.CharField):
    """A list of strings (e-mails, phones) edited as one comma-separated line."""

    def prepare_value(self, value):
        """Show a list as "a, b"."""
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value):
        """Read "a, b" (or a JSON-looking list the browser sent back) as ["a", "b"]."""
        text = super().to_python(value)
        if isinstance(text, list | tuple):
            return list(text)
        text = (text or "").strip().strip("[]")
        return [item.strip().strip("'\"") for item in text.split(",") if item.strip().strip("'\"")]


class CustomerForm(ServiceBackedForm):
    """The customer form: e-mails and phones as comma-separated text."""

    document = forms.CharField(label=_("CPF/CNPJ"), max_length=20, help_text=_("With or without punctuation."))
    emails = ListAsTextField(label=_("e-mails"), required=False, help_text=_("Separate several with commas."))
    phones = ListAsTextField(label=_("phones"), required=False, help_text=_("Separate several with commas."))

    class Meta:
        model = Customer
        fields = "__all__"

    def clean_document(self) -> str:
        """Drop the punctuation of a CPF/CNPJ; the service checks the digits."""
        return "".join(ch for ch in self.cleaned_data["document"] if ch not in " -./")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """What charges are for (Internet, Mobile, TV, Other): data, shared by every entity."""

    list_display = ("name", "code")
    search_fields = ("name", "code")


class ReadOnlyInline(admin.TabularInline):
    """Child rows shown for reading; they are added and changed on their own page, through the services."""

    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContractInline(ReadOnlyInline):
    """The customer's contracts, for reading; open one to change it."""

    model = Contract
    fields = ("id", "billing_day", "due_day", "status", "start_date", "end_date")
    readonly_fields = fields


@admin.register(Customer)
class CustomerAdmin(ServiceBackedAdmin):
    """Subscribers. Saved through `customer_create` / `customer_update`: CPF/CNPJ checked, change logged."""

    form = CustomerForm
    list_display = ("name", "document", "person_type", "city", "state", "condominium", "entity", "is_active")
    list_filter = ("entity", "person_type", "is_active", "state")
    search_fields = ("name", "trade_name", "document", "emails", "city", "condominium")
    list_select_related = ("entity",)
    show_full_result_count = False
    fixed_after_create = ("entity",)
    inlines = (ContractInline,)
    fieldsets = (
        (None, {"fields": ("entity", "person_type", "document", "name", "trade_name", "is_active")}),
        (_("Contact"), {"fields": ("emails", "phones")}),
        (
            _("Address"),
            {"fields": ("street", "number", "complement", "district", "city", "state", "postal_code", "condominium")},
        ),
    )

    def get_search_results(self, request, queryset, search_term):
        """Also find a CPF/CNPJ typed with punctuation (123.456.789-09)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = "".join(ch for ch in search_term if ch.isdigit())
        if len(digits) >= 3 and digits != search_term.strip():
            found = found | queryset.filter(document__contains=digits)
        return found, may_have_duplicates

    def call_service(self, request, instance, data, change):
        """customer_create or customer_update with the form's fields."""
        fields = {name: data[name] for name in customer_services.CUSTOMER_FIELDS if name in data}
        if change:
            return customer_services.customer_update(customer=instance, actor=request.user, **fields)
        return customer_services.customer_create(entity=data["entity"], actor=request.user, **fields)


@admin.register(Product)
class ProductAdmin(ServiceBackedAdmin):
    """Plans and products with their recurring price. Saved through `product_create` / `product_update`."""

    list_display = ("name", "category", "price", "entity", "is_active")
    list_filter = ("entity", "category", "is_active")
    search_fields = ("name",)
    list_select_related = ("entity", "category")
    fixed_after_create = ("entity",)

    def call_service(self, request, instance, data, change):
        """product_create or product_update with the form's fields."""
        fields = {name: data[name] for name in ("name", "category", "price", "is_active") if name in data}
        if change:
            return customer_services.product_update(product=instance, actor=request.user, **fields)
        return customer_services.product_create(entity=data["entity"], actor=request.user, **fields)


class ServiceInline(ReadOnlyInline):
    """The contract's services, for reading; open one to change it."""

    model = Service
    fields = ("product", "description", "price", "category", "start_date", "end_date")
    readonly_fields = fields


@admin.register(Contract)
class ContractAdmin(ServiceBackedAdmin):
    """Contracts: billing day, due day, status. Saved through `contract_create` / `contract_update`."""

    list_display = ("id", "customer", "entity", "billing_day", "due_day", "status", "start_date", "end_date", "wallet")
    list_filter = ("entity", "status", "billing_day", "due_day")
    search_fields = ("=id", "customer__name", "customer__document", "description")
    list_select_related = ("customer", "entity")
    show_full_result_count = False
    autocomplete_fields = ("customer",)
    fields = ("customer", "description", "billing_day", "due_day", "status", "start_date", "end_date", "wallet")
    fixed_after_create = ("customer",)
    inlines = (ServiceInline,)

    def call_service(self, request, instance, data, change):
        """contract_create or contract_update with the form's fields."""
        names = ("description", "billing_day", "due_day", "status", "start_date", "end_date", "wallet")
        fields = {name: data[name] for name in names if name in data}
        if change:
            return customer_services.contract_update(contract=instance, actor=request.user, **fields)
        return customer_services.contract_create(customer=data["customer"], actor=request.user, **fields)


@admin.register(Service)
class ServiceAdmin(ServiceBackedAdmin):
    """Contract lines. Saved through `service_create` / `service_update`; periods already billed keep their charges."""

    entity_field = "contract__entity"
    list_display = ("id", "contract", "customer", "product", "category", "price", "start_date", "end_date")
    list_filter = ("category", "contract__entity", "product")
    search_fields = ("=id", "=contract__id", "description", "product__name", "contract__customer__name")
    list_select_related = ("contract__customer", "product", "category")
    show_full_result_count = False
    autocomplete_fields = ("contract", "product")
    fields = ("contract", "product", "description", "price", "category", "start_date", "end_date")
    fixed_after_create = ("contract", "product")

    @admin.display(description=_("customer"), ordering="contract__customer__name")
    def customer(self, obj: Service):
        """The customer whose contract this line belongs to."""
        return obj.contract.customer

    def call_service(self, request, instance, data, change):
        """service_create or service_update with the form's fields."""
        names = ("description", "price", "category", "start_date", "end_date")
        fields = {name: data[name] for name in names if name in data}
        if change:
            return customer_services.service_update(service=instance, actor=request.user, **fields)
        return customer_services.service_create(
            contract=data["contract"], actor=request.user, product=data["product"], **fields
        )
