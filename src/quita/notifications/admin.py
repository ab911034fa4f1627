from django.contrib import admin

from quita.core.admin import EntityScopedAdmin, ReadOnlyAdmin
from quita.notifications.messages import default_template_sources
from quita.notifications.models import Email, EmailKind, EmailTemplate


@admin.register(Email)
class EmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "invoice", "customer", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "entity"]
    search_fields = ["key", "provider_message_id", "subject"]


@admin.register(EmailTemplate)
class EmailTemplateAdmin(EntityScopedAdmin):
    list_display = ["entity", "kind", "language", "subject", "updated_at"]
    list_filter = ["kind", "language", "entity"]

    def get_changeform_initial_data(self, request):
        """A new template starts as a copy of the default files of its kind (?kind=…, invoice by default)."""
        initial = super().get_changeform_initial_data(request)
        kind = initial.get("kind") if initial.get("kind") in EmailKind.values else EmailKind.INVOICE
        initial.setdefault("kind", kind)
        initial.update({k: v for k, v in default_template_sources(kind).items() if k not in initial})
        return initial
