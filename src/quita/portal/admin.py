from django.contrib import admin

from quita.portal.models import LoginAttempt, SubscriberAccount


@admin.register(SubscriberAccount)
class SubscriberAccountAdmin(admin.ModelAdmin):
    """Look up accounts, deactivate one; passwords are set only by the subscriber through the e-mailed link."""

    list_display = ["document", "is_active", "last_login", "password_set_at", "created_at"]
    search_fields = ["document"]
    fields = ["document", "is_active", "last_login", "password_set_at", "created_at", "customers"]
    readonly_fields = ["document", "last_login", "password_set_at", "created_at", "customers"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        from quita.core.selectors import entities_for_user

        return queryset.filter(customers__entity__in=entities_for_user(request.user)).distinct()


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    list_display = ["at", "document", "ip", "succeeded"]
    list_filter = ["succeeded"]
    search_fields = ["document", "ip"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return request.user.is_superuser
