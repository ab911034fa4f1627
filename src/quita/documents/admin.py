from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from quita.core.admin import EntityScopedAdmin
from quita.documents.models import EntityBranding


@admin.register(EntityBranding)
class EntityBrandingAdmin(EntityScopedAdmin):
    list_display = ["entity", "primary_colour", "city", "email", "updated_at"]
    fieldsets = [
        (None, {"fields": ["entity", "logo", "primary_colour", "accent_colour"]}),
        (_("Address"), {"fields": ["street", "number", "complement", "district", "city", "state", "postal_code"]}),
        (_("Contact"), {"fields": ["phone", "email", "website", "footer"]}),
        (_("Template"), {"fields": ["invoice_template"], "classes": ["collapse"]}),
    ]
