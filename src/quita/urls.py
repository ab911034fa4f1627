"""URLs: the admin, the REST API under /api/ with its OpenAPI schema and Swagger UI, and the staff web UI at /."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from quita.banking.urls import customer_patterns as banking_customers
from quita.banking.urls import portal_patterns as banking_portal
from quita.banking.urls import web_patterns as banking_web
from quita.core.api import ActivityViewSet, EntityViewSet, TokenView

core_router = SimpleRouter()
core_router.register("entities", EntityViewSet, basename="entity")
core_router.register("activity", ActivityViewSet, basename="activity")

api_patterns = [
    path("token/", TokenView.as_view(), name="token"),
    path(
        "schema/",
        SpectacularAPIView.as_view(),
        name="schema",
    ),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include("quita.notifications.api.urls")),
    # Payments first: its explicit `invoices/<id>/pay/` and `invoices/pay-many/` sit beside billing's router.
    path("", include("quita.payments.api.urls")),
    path("", include("quita.billing.api.urls")),
    path("", include("quita.customers.api.urls")),
    path("", include("quita.banking.api.urls")),
    *core_router.urls,
]

urlpatterns = [
    path("admin/", admin.site.urls),
    # The staff card screens (the billing tab's Payment methods card, the pay modal's card option).
    path("cards/", include("quita.payments.urls")),
    path("portal/banking/", include(banking_portal)),
    path("billing/", include(banking_web)),
    path("customers/", include(banking_customers)),
    path("api/", include((api_patterns, "api"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("quita.portal.urls")),
    path("", include("quita.documents.urls")),
    # The staff web UI at the root: /login/, /customers/, /billing/... (quita.web).
    path("", include("quita.web.urls")),
]

handler404 = "quita.core.api.page_not_found"
