"""Admin for the core, and the base classes every app's admin uses.

The admin is for rare configuration and for looking things up. Three rules, one base class each:
staff see only the entities they are members of (`EntityScopedAdmin`); financial records are
read-only (`ReadOnlyAdmin`); and records that have services are added and changed through them
(`ServiceBackedAdmin`), so the admin validates and logs exactly like the API and the CLI.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from quita.core.errors import DomainError
from quita.core.models import ActivityLog, Entity, Membership, NumberSequence
from quita.core.selectors import entities_for_user


class EntityScopedAdmin(admin.ModelAdmin):
    """Show a staff user only rows of the entities they are a member of; superusers see everything."""

    # The lookup from this model to its Entity (e.g. "contract__entity"); "pk" for Entity itself.
    entity_field = "entity"

    def get_queryset(self, request):
        """Rows of the user's entities only."""
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.entity_field}__in": entities_for_user(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Choices of entities (and of rows that belong to an entity) limited to the user's entities."""
        if not request.user.is_superuser:
            related = db_field.related_model
            entities = entities_for_user(request.user)
            if related is Entity:
                kwargs["queryset"] = entities
            elif any(field.name == "entity" for field in related._meta.fields):
                kwargs["queryset"] = related._default_manager.filter(entity__in=entities)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdmin(EntityScopedAdmin):
    """A financial record: it can be looked at, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None):
        """Financial records are written by services only."""
        return False

    def has_change_permission(self, request, obj=None):
        """Issued records never change; corrections are new records."""
        return False

    def has_delete_permission(self, request, obj=None):
        """Nothing financial is deleted."""
        return False


class _Rehearsal(Exception):
    """Raised to roll back a service call made only to validate a form."""


class ServiceBackedForm(forms.ModelForm):
    """A model form that rehearses its service call while validating, so a refusal shows on the form.

    The call runs in a savepoint that is always rolled back; `ServiceBackedAdmin.save_model` makes the
    real call. `get_form` sets `service_admin`, `admin_request` and `admin_change` on the form class.
    """

    service_admin: ServiceBackedAdmin
    admin_request = None
    admin_change = False

    def clean(self):
        """Field checks first, then the service's own rules (document, e-mails, dates, permissions…)."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            with transaction.atomic():
                self.service_admin.call_service(self.admin_request, self.instance, cleaned, self.admin_change)
                raise _Rehearsal
        except _Rehearsal:
            pass
        except DomainError as error:
            self._add_domain_error(error)
        except (ValidationError, IntegrityError) as error:
            self.add_error(None, str(error))
        return cleaned

    def _add_domain_error(self, error: DomainError) -> None:
        """Put a service's error on the fields it names, or above the form."""
        placed = False
        for name, messages in error.fields.items():
            if name in self.fields and name not in self.errors:
                for message in messages if isinstance(messages, list) else [messages]:
                    self.add_error(name, str(message))
                placed = True
        if not placed:
            self.add_error(None, str(error.detail))


class ServiceBackedAdmin(EntityScopedAdmin):
    """Adds and changes go through the app's service functions; deleting is off (records are deactivated)."""

    form = ServiceBackedForm
    # Fields that cannot change once the row exists (the service has no way to change them).
    fixed_after_create: tuple[str, ...] = ()

    def call_service(self, request, instance, data: dict, change: bool):
        """Create (change=False) or update `instance` from the form's cleaned data; return the saved row."""
        raise NotImplementedError

    def get_readonly_fields(self, request, obj=None):
        """The fields fixed after creation are read-only on the change form."""
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly + self.fixed_after_create if obj is not None else readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The form class, told which admin, request and mode it validates for."""
        form = super().get_form(request, obj, change=change, **kwargs)
        attributes = {"service_admin": self, "admin_request": request, "admin_change": obj is not None}
        return type(form.__name__, (form,), attributes)

    def save_model(self, request, obj, form, change):
        """Call the service for real and make `obj` the row it saved (the admin then logs and redirects)."""
        saved = self.call_service(request, obj, form.cleaned_data, change)
        for field in saved._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def has_delete_permission(self, request, obj=None):
        """Customers, contracts, services and products are deactivated or ended, never deleted."""
        return False


@admin.register(Entity)
class EntityAdmin(EntityScopedAdmin):
    """The billing companies. No service exists for them yet: the admin is where they are set up."""

    entity_field = "pk"
    list_display = ("name", "legal_name", "cnpj", "time_zone", "invoice_prefix", "is_active")
    list_filter = ("is_active", "time_zone")
    search_fields = ("name", "legal_name", "cnpj")

    def has_delete_permission(self, request, obj=None):
        """Everything financial belongs to an entity: deactivate it instead."""
        return False


@admin.register(Membership)
class MembershipAdmin(EntityScopedAdmin):
    """Who may act on which entity, with which role."""

    list_display = ("user", "entity", "role")
    list_filter = ("role", "entity")
    search_fields = ("user__username", "user__first_name", "user__last_name", "entity__name")
    list_select_related = ("user", "entity")
    autocomplete_fields = ("user",)


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdmin):
    """The last number handed out per gapless series (read-only: numbers are never reused or skipped)."""

    list_display = ("entity", "series", "last_value")
    list_filter = ("entity",)
    search_fields = ("series",)
    list_select_related = ("entity",)


@admin.register(ActivityLog)
class ActivityLogAdmin(ReadOnlyAdmin):
    """Every change, who made it and the values before and after."""

    list_display = ("created_at", "entity", "actor", "action", "content_type", "object_id", "customer_id", "summary")
    list_filter = ("action", "entity", "content_type", ("created_at", admin.DateFieldListFilter))
    search_fields = ("summary", "=object_id", "=customer_id", "actor__username")
    list_select_related = ("entity", "actor", "content_type")
    show_full_result_count = False
    fields = (
        "created_at",
        "entity",
        "actor",
        "action",
        "content_type",
        "object_id",
        "customer_id",
        "summary",
        "before",
        "after",
    )
